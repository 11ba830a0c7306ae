"""Unmask's detectors, by when the code runs: detectors/ and serving/ on every check, training/, evaluation/ offline.

faces/ (face detection, landmarks, alignment) and synth/ (pseudo-fakes) are shared; configs/ holds the
training configs, weights/ the shipped weights and their manifest. tests/models/test_layout.py checks
which package may import which.
"""
