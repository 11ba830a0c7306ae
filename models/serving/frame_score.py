"""How several frame detectors make one face score, and which score bands judge it.

A face's score is the most alarmed of its frame detectors: a specialist (such as
`generated_residual`, for generated faces) must be heard on its own, not averaged away by a partner
that was never trained to see that kind of fake. Alarm is measured against each detector's own
bands, which were chosen on the real faces of every val source (`anchored`): in logit space, 0 at
the detector's `real_below` and 1 at its `fake_from`. Two calibrated probabilities are not on one
scale for real faces (a blend detector leaves a long tail of real faces near its `fake_from`, a
generated-face detector leaves them near 0), so the plain highest probability would let one
detector's ordinary real faces drown the other's alarms. The most alarmed detector's position is
mapped back onto the scale of the member first by name, so the face score reads like that
detector's probability whatever the order of the set.
The highest of several scores flags real faces more often than any one of them, so a set of
detectors is judged by bands chosen for that set (`scripts/choose_frame_bands.py`), stored in the
first member's manifest entry under `bands_with` with the versions of the others they were chosen
with (so the first member's version covers them, and cached verdicts go when they change).
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Mapping, Sequence

from models.detectors.calibration import logit, sigmoid
from models.detectors.detector import ScoreBands

log = logging.getLogger(__name__)

COMBINE_RULE = "anchored"  # stored with a set's bands: bands chosen under another rule are not used


def alarm(score: float, bands: ScoreBands) -> float:
    """Where a probability sits against a detector's own bands, in logit space: 0 at real_below, 1 at fake_from."""
    low, high = float(logit(bands.real_below)), float(logit(bands.fake_from))
    return (float(logit(score)) - low) / max(high - low, 1e-3)


def combine(scores: Mapping[str, float], anchors: Mapping[str, ScoreBands] | None = None) -> float:
    """One face's score from its detectors' calibrated probabilities: the most alarmed detector, on
    the scale of the set's detector first by name (`anchors`: each one's own bands), so a face that
    only some of the set judge (`min_faces_of`) reads on the scale the set's bands were chosen on."""
    if not scores:
        raise ValueError("no detector scored this face")
    if len(scores) == 1 and (not anchors or next(iter(scores)) not in anchors):
        return float(next(iter(scores.values())))
    name = most_alarmed(scores, anchors)
    top = alarm(scores[name], anchors[name])
    reference = anchors[min(anchors)]
    low, high = float(logit(reference.real_below)), float(logit(reference.fake_from))
    return float(sigmoid(low + top * (high - low)))


def most_alarmed(scores: Mapping[str, float], anchors: Mapping[str, ScoreBands] | None) -> str:
    """The detector whose score sits highest against its own bands (one detector: itself); several
    need every one's bands."""
    if len(scores) == 1:
        return next(iter(scores))
    missing = [name for name in scores if name not in (anchors or {})]
    if missing:
        raise ValueError(f"no bands to anchor {', '.join(missing)}")
    return max(scores, key=lambda name: alarm(scores[name], anchors[name]))


def anchors_of(detectors: Sequence) -> dict[str, ScoreBands]:
    """Each frame detector's own bands, by name: what `combine` anchors their scores to."""
    return {d.name: d.bands for d in detectors}


def min_faces_of(detectors: Sequence) -> dict[str, int]:
    """Each frame detector's smallest judged face in pixels, by name (0: every face it is given)."""
    return {d.name: int(getattr(d, "min_face_px", 0)) for d in detectors}


def judged_by_size(scores: Mapping[str, float], size: float, min_faces: Mapping[str, int]) -> dict[str, float]:
    """The scores of the detectors that judge a face of `size` px (`min_faces_of`; unnamed: every size)."""
    return {name: float(value) for name, value in scores.items() if size >= min_faces.get(name, 0)}


def min_sharpness_of(detectors: Sequence) -> dict[str, float]:
    """Each frame detector's least judged sharpness (`models.faces.quality.sharpness`), by name (0: any)."""
    return {d.name: float(getattr(d, "min_sharpness", 0.0)) for d in detectors}


def judged_by_sharpness(scores: Mapping[str, float], sharpness: float,
                        min_sharpness: Mapping[str, float]) -> dict[str, float]:
    """The scores of the detectors that judge a face this sharp (`min_sharpness_of`; unnamed: any)."""
    return {name: float(value) for name, value in scores.items() if sharpness >= min_sharpness.get(name, 0.0)}


def partners_key(names: Sequence[str]) -> str:
    """The `bands_with` key of a set of partner detectors: their names, sorted, joined with '+'."""
    return "+".join(sorted(names))


def chosen_bands(first, others: Sequence) -> ScoreBands | None:
    """Bands stored in `first`'s entry for exactly these partners at their current versions, else None."""
    stored = getattr(first, "bands_with", {}).get(partners_key([d.name for d in others]))
    if not stored or stored.get("versions") != {d.name: d.version for d in others}:
        return None
    if stored.get("rule") != COMBINE_RULE:
        return None
    return ScoreBands(**stored["bands"])


def unchosen_bands(detectors: Sequence) -> ScoreBands:
    """Bands for a set nobody chose them for: the strictest of each side of the members' own bands."""
    return ScoreBands(real_below=max(d.bands.real_below for d in detectors),
                      fake_from=max(d.bands.fake_from for d in detectors))


def set_bands(detectors: Sequence) -> ScoreBands | None:
    """The bands chosen for these frame detectors together, stored in any member's entry (one: its own); else None."""
    if len(detectors) == 1:
        return detectors[0].bands
    for i, first in enumerate(detectors):
        bands = chosen_bands(first, [d for j, d in enumerate(detectors) if j != i])
        if bands is not None:
            return bands
    return None


def frame_bands(detectors: Sequence) -> ScoreBands:
    """The bands that judge the combined score of these frame detectors (one: its own bands)."""
    bands = set_bands(detectors)
    if bands is not None:
        return bands
    _warn_unchosen("+".join(d.name for d in detectors))
    return unchosen_bands(detectors)


def chosen_set_bands(detectors: Sequence) -> ScoreBands:
    """`frame_bands` for a choice that builds on the set's own bands (face sizes, sharpness floors,
    probes): a set whose bands were not chosen for its members at their versions is an error, not
    the strictest fallback, since a choice made on the fallback would not hold once bands are chosen."""
    bands = set_bands(detectors)
    if bands is None:
        raise ValueError(f"no bands were chosen for {'+'.join(d.name for d in detectors)} at these versions: "
                         "run scripts/choose_set_bands.py --write first")
    return bands


@lru_cache(maxsize=None)
def _warn_unchosen(names: str) -> None:
    """Log, once per set of detectors, that no bands were chosen for them together."""
    log.warning("no bands were chosen for frame detectors %s together; using the strictest of their own", names)
