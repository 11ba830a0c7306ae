"""What runs on every check: decode media, sample frames, score faces, aggregate them, fuse clip evidence.

The companion's side of models/. Imports: numpy, OpenCV, models.faces, models.detectors and each other;
never models.training or models.evaluation, never TensorFlow.
"""
