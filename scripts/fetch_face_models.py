"""Fetch the face detector's model files from the pinned mediapipe wheel into models/faces/assets/.

Usage: python scripts/fetch_face_models.py [--dest DIR] [--wheel PATH_TO_LOCAL_WHEEL]
Idempotent: files already present with the manifest's sha256 are left alone.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.faces.assets import FaceModelMissing, fetch_assets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, fetch and verify; exit status 1 with the reason on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, help="target folder (default: models/faces/assets)")
    parser.add_argument("--wheel", type=Path, help="use this local mediapipe wheel instead of PyPI")
    args = parser.parse_args(argv)
    try:
        folder = fetch_assets(args.dest, wheel=args.wheel, log=print)
    except FaceModelMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"face models ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
