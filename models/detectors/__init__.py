"""What a detector is at serving time: the interface, registry, manifest, LiteRT runner, calibration, each detector.

Imports: numpy, LiteRT, models.faces, models.serving (clip fusion, temporal signals) and each other; never
models.training or models.evaluation. TensorFlow only inside a detector's `build()` (training and export).
Importing a detector's module registers it.
"""
