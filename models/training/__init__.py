"""What trains a detector offline: data pipelines, trainers, checkpoints, calibration fitting, fusion fit, export.

Needs the `train` extra (TensorFlow). Imports: anything in models/ (serving's pipeline, the detectors,
evaluation's metrics); nothing in models.serving or models.detectors imports it. No import circles.
"""
