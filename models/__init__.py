"""Unmask's detectors: face preprocessing, detector registry, training and evaluation."""
