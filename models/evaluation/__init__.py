"""What measures detectors offline: metrics, evaluation through the serving pipeline, band and fusion choice, ablations.

Imports: anything in models/ (serving, detectors, training); nothing in models.serving or models.detectors
imports it. No import circles.
"""
