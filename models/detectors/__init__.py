"""Registered detectors; importing a module registers its detector."""
