"""How several frame detectors make one face score, and which score bands judge it.

A face's score is the highest of the frame detectors' calibrated probabilities: a specialist (such
as `frame_cnn_generated`, for generated faces) must be heard on its own, not averaged away by a
partner that was never trained to see that kind of fake.
The highest of several scores flags real faces more often than any one of them, so a set of
detectors is judged by bands chosen for that set (`scripts/choose_frame_bands.py`), stored in the
first member's manifest entry under `bands_with` with the versions of the others they were chosen
with (so the first member's version covers them, and cached verdicts go when they change).
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Mapping, Sequence

from models.detectors.detector import ScoreBands

log = logging.getLogger(__name__)


def combine(scores: Mapping[str, float]) -> float:
    """One face's score from its detectors' calibrated probabilities: the highest."""
    if not scores:
        raise ValueError("no detector scored this face")
    return float(max(scores.values()))


def partners_key(names: Sequence[str]) -> str:
    """The `bands_with` key of a set of partner detectors: their names, sorted, joined with '+'."""
    return "+".join(sorted(names))


def chosen_bands(first, others: Sequence) -> ScoreBands | None:
    """Bands stored in `first`'s entry for exactly these partners at their current versions, else None."""
    stored = getattr(first, "bands_with", {}).get(partners_key([d.name for d in others]))
    if not stored or stored.get("versions") != {d.name: d.version for d in others}:
        return None
    return ScoreBands(**stored["bands"])


def unchosen_bands(detectors: Sequence) -> ScoreBands:
    """Bands for a set nobody chose them for: the strictest of each side of the members' own bands."""
    return ScoreBands(real_below=max(d.bands.real_below for d in detectors),
                      fake_from=max(d.bands.fake_from for d in detectors))


def frame_bands(detectors: Sequence) -> ScoreBands:
    """The bands that judge the combined score of these frame detectors (one: its own bands)."""
    if len(detectors) == 1:
        return detectors[0].bands
    for i, first in enumerate(detectors):
        bands = chosen_bands(first, [d for j, d in enumerate(detectors) if j != i])
        if bands is not None:
            return bands
    _warn_unchosen("+".join(d.name for d in detectors))
    return unchosen_bands(detectors)


@lru_cache(maxsize=None)
def _warn_unchosen(names: str) -> None:
    """Log, once per set of detectors, that no bands were chosen for them together."""
    log.warning("no bands were chosen for frame detectors %s together; using the strictest of their own", names)
