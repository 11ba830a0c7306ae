"""Detection metrics: ROC curve, AUC, EER, average precision, accuracy at a threshold."""
from __future__ import annotations

import numpy as np


def _check(scores, labels):
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1).astype(bool)
    if scores.shape != labels.shape:
        raise ValueError("scores and labels differ in length")
    if labels.all() or not labels.any():
        raise ValueError("metrics need both real (0) and fake (1) examples")
    return scores, labels


def roc_curve(scores, labels):
    """False-positive rates, true-positive rates and thresholds, from the highest threshold down."""
    scores, labels = _check(scores, labels)
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tps = np.cumsum(y)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.r_[0.0, tps / y.sum()]
    fpr = np.r_[0.0, fps / (~y).sum()]
    return fpr, tpr, np.r_[np.inf, s[distinct]]


def auc(scores, labels) -> float:
    """Area under the ROC curve (ties count half)."""
    fpr, tpr, _ = roc_curve(scores, labels)
    return float(np.trapezoid(tpr, fpr))


def eer(scores, labels) -> float:
    """Equal error rate: where the false-positive rate equals the false-negative rate."""
    fpr, tpr, _ = roc_curve(scores, labels)
    fnr = 1 - tpr
    i = int(np.nanargmin(np.abs(fnr - fpr)))
    if i == 0:
        return float((fpr[0] + fnr[0]) / 2)
    # linear interpolation between the two points around the crossing
    d0, d1 = fnr[i - 1] - fpr[i - 1], fnr[i] - fpr[i]
    t = d0 / (d0 - d1) if d0 != d1 else 0.0
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


def average_precision(scores, labels) -> float:
    """Average precision: sum over recall steps of precision at that step."""
    scores, labels = _check(scores, labels)
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tps = np.cumsum(y)[distinct]
    precision = tps / (distinct + 1)
    recall = tps / y.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def rates_at(scores, labels, threshold: float) -> dict:
    """Accuracy, false-positive rate on reals and true-positive rate on fakes at `score >= threshold`."""
    scores, labels = _check(scores, labels)
    pred = scores >= threshold
    return {
        "accuracy": float((pred == labels).mean()),
        "fpr": float(pred[~labels].mean()),
        "tpr": float(pred[labels].mean()),
    }


def summary(scores, labels, threshold: float | None = None) -> dict:
    """AUC, EER, AP (and rates at a threshold when given) in one dict."""
    out = {"n_real": int((np.asarray(labels) == 0).sum()), "n_fake": int((np.asarray(labels) == 1).sum()),
           "auc": auc(scores, labels), "eer": eer(scores, labels), "ap": average_precision(scores, labels)}
    if threshold is not None:
        out.update(rates_at(scores, labels, threshold))
    return out
