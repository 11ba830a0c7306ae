"""The frame CNN's architecture: the seed's layers plus BatchNorm, He init, any input size."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models.detectors.frame_cnn import LAYERS, build_frame_cnn  # noqa: E402


def test_parameter_count_is_the_seed_plus_batchnorm():
    model = build_frame_cnn(224)
    assert model.count_params() == 652_913 + 1_024 == 653_937


def test_layer_structure_matches_the_seed_notebook():
    model = build_frame_cnn(224)
    convs = [l for l in model.layers if isinstance(l, tf.keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size[0], c.dilation_rate[0]) for c in convs] == [
        (64, 5, 1), (64, 5, 1), (64, 5, 1), (32, 3, 2), (16, 3, 2), (16, 3, 2)]
    assert len([l for l in model.layers if isinstance(l, tf.keras.layers.BatchNormalization)]) == 6
    assert len([l for l in model.layers if isinstance(l, tf.keras.layers.MaxPooling2D)]) == 3
    dense = [l.units for l in model.layers if isinstance(l, tf.keras.layers.Dense)]
    assert dense == [400, 512, 400, 1] == [spec[1] for spec in LAYERS[6:]]
    assert all(isinstance(c.kernel_initializer, tf.keras.initializers.HeNormal) for c in convs)
    assert model.layers[-1].activation.__name__ == "sigmoid"


def test_fully_convolutional_any_input_size_gives_one_probability():
    model = build_frame_cnn(None)
    for size in (64, 128, 224):
        out = model(np.zeros((2, size, size, 3), np.float32), training=False).numpy()
        assert out.shape == (2, 1)
        assert np.all((out > 0) & (out < 1))
