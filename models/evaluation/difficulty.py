"""Where a detector's held-out AUC on blends and swaps is lost: by blend ratio, with and without web damage."""
from __future__ import annotations

import numpy as np

from models.evaluation import metrics


def by_ratio(scores: np.ndarray, ratios: np.ndarray) -> dict:
    """Metrics of all fakes, then of the fakes of each blend ratio, each against every real face;
    `scores` holds the reals first, then their fakes, pair by pair."""
    n = len(ratios)
    real, fake = scores[:n], scores[n:]
    rows = {"all": metrics.summary(scores, np.r_[np.zeros(n), np.ones(n)])}
    for ratio in sorted(set(ratios.tolist())):
        chosen = fake[ratios == ratio]
        rows[f"{ratio:g}"] = metrics.summary(np.r_[real, chosen], np.r_[np.zeros(n), np.ones(len(chosen))])
    return rows


def blend_difficulty(model, faces, size: int, seed: int, families=("blend", "swap")) -> dict:
    """{family: {"web damage" | "no damage": by_ratio rows}} on the fixed validation pairs of `faces`."""
    from models.training.data import fixed_pairs_with_details
    from models.training.export import predict_batched

    out = {}
    for family in families:
        out[family] = {}
        for damaged, label in ((True, "web damage"), (False, "no damage")):
            images, _, details = fixed_pairs_with_details(faces, [], size, seed, (family,), degrade=damaged)
            ratios = np.array([d["ratio"] for d in details])
            out[family][label] = by_ratio(predict_batched(model, images), ratios)
    return out


def markdown_table(report: dict) -> str:
    """One row per family, damage and ratio: the number of fakes and the AUC against every real."""
    rows = ["| family | damage | blend ratio | fakes | AUC | AP |", "|---|---|---|---|---|---|"]
    for family, by_damage in report.items():
        for damage, by_r in by_damage.items():
            for ratio, m in by_r.items():
                rows.append(f"| {family} | {damage} | {ratio} | {m['n_fake']} | {m['auc']:.3f} | {m['ap']:.3f} |")
    return "\n".join(rows)
