"""Hard real faces: the fit reals a starting network already scores as fakes, drawn more often.

A fine-tune that sees the real faces its network takes for blends (heavy make-up, beauty filters,
occlusions, odd light) more often, each beside its own self-blend, learns that those looks are not
the blend it must find. The reals are ranked once, by the starting weights (`init_weights`), on
their undamaged crops as serving cuts them; the ranking is kept in the run folder, so a resumed run
draws exactly as the first one did.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

RANKING_FILE = "hard_reals.json"


def boosted(scores: np.ndarray, share: float, boost: float) -> np.ndarray:
    """Sampling multipliers: `boost` for the top `share` of `scores` (ties at the cut included), 1 elsewhere."""
    scores = np.asarray(scores, dtype=np.float64)
    if not 0.0 < share < 1.0 or boost < 1.0:
        raise ValueError("hard reals need 0 < share < 1 and boost >= 1")
    cut = np.quantile(scores, 1.0 - share)
    return np.where(scores >= cut, float(boost), 1.0)


def starting_scores(run_dir: Path, names: list[str], score: Callable[[], np.ndarray], log) -> np.ndarray:
    """The starting network's scores of the fit reals (`score()`), kept in the run folder by name so a
    resumed run reads the same ranking; a run whose reals changed ranks them again."""
    path = Path(run_dir) / RANKING_FILE
    if path.exists():
        kept = json.loads(path.read_text())
        if kept.get("names") == names:
            log(f"hard reals: ranking read from {path}")
            return np.asarray(kept["scores"], dtype=np.float64)
    values = np.asarray(score(), dtype=np.float64)
    if len(values) != len(names):
        raise ValueError("one score per real face is needed")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"names": names, "scores": values.tolist()}))
    log(f"hard reals: {len(values)} fit reals ranked by the starting weights")
    return values
