"""Blend difficulty: AUC per blend ratio against every real, on pairs with and without web damage."""
import numpy as np
import pytest

from models.evaluation.difficulty import by_ratio
from models.training.data import fixed_pairs_with_details, validation_arrays
from models.training.pseudo_fakes import Mix, make_pair
from tests.models.fixtures import tiny_face_set


def test_by_ratio_against_hand_computed_aucs():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.15, 0.35])  # 4 reals, then their 4 fakes
    rows = by_ratio(scores, np.array([1.0, 1.0, 0.25, 0.25]))
    assert rows["1"]["auc"] == 1.0
    assert rows["0.25"]["auc"] == pytest.approx(4 / 8)  # 0.15 beats one real, 0.35 beats three
    assert rows["all"]["auc"] == pytest.approx(12 / 16)
    assert rows["0.25"]["n_real"] == 4 and rows["0.25"]["n_fake"] == 2


def test_details_record_the_blend_ratio_without_changing_the_pair():
    faces = tiny_face_set(4)
    for index in range(12):
        details = {}
        real, fake, _ = make_pair(index, 7, faces, [], Mix(), 64, 0.0, families=("blend",), details=details)
        again = make_pair(index, 7, faces, [], Mix(), 64, 0.0, families=("blend",))
        assert np.array_equal(real, again[0]) and np.array_equal(fake, again[1])
        assert details["ratio"] in (0.25, 0.5, 0.75, 1.0)


def test_fixed_pairs_with_details_are_the_validation_pairs():
    faces = tiny_face_set(5)
    images, labels, details = fixed_pairs_with_details(faces, [], 64, 11, ("blend",))
    expected, expected_labels = validation_arrays(faces, [], 64, 11, ("blend",))["blend"]
    assert np.array_equal(images, expected) and np.array_equal(labels, expected_labels)
    clean, _, clean_details = fixed_pairs_with_details(faces, [], 64, 11, ("blend",), degrade=False)
    assert clean_details == details  # the same fakes, only the damage differs
    for index in range(len(details)):
        plain = make_pair(index, 11, faces, [], Mix(), 64, 0.0, families=("blend",), degrade=False)
        assert np.array_equal(clean[len(details) + index], plain[1])
