"""Metrics of a score (higher = more suspicious) against a label column."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

#: Folds of :func:`supervised_ceiling`'s cross-validation.
CEILING_FOLDS = 5


def top_mask(score: np.ndarray, budget: float) -> np.ndarray:
    """True for the ``ceil(budget · n)`` highest scores (ties broken by position)."""
    score = np.asarray(score, dtype=np.float64)
    k = int(np.ceil(budget * score.size))
    mask = np.zeros(score.size, dtype=bool)
    if k > 0:
        mask[np.argsort(-score, kind="stable")[:k]] = True
    return mask


def score_metrics(score: np.ndarray, label: np.ndarray, budget: float = 0.02) -> dict:
    """ROC AUC, average precision, and precision/recall among the top ``budget``.

    Parameters
    ----------
    score : anomaly scores, higher = more suspicious.
    label : 1 / True for positives.
    budget : share of users inspected (the top of the ranking).

    Returns
    -------
    dict
        ``roc_auc`` and ``average_precision`` (NaN when the label has one class),
        ``precision_at_budget``, ``recall_at_budget``, ``positives``.

    Examples
    --------
    Scores 4, 3, 2, 1 with labels 1, 0, 1, 0 and budget 0.5: precision 0.5,
    recall 0.5, AP = (1 + 2/3) / 2 = 0.8333.
    """
    score = np.asarray(score, dtype=np.float64)
    y = np.asarray(label).astype(bool)
    top = top_mask(score, budget)
    positives = int(y.sum())
    both = positives > 0 and positives < y.size
    return {
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, score))
        if both
        else float("nan"),
        "precision_at_budget": float(y[top].mean()) if top.any() else float("nan"),
        "recall_at_budget": float(y[top].sum() / positives)
        if positives
        else float("nan"),
        "positives": positives,
    }


def recall_by_kind(
    score: np.ndarray, kind: np.ndarray, budget: float = 0.02
) -> dict[str, float]:
    """Share of each kind's users inside the top ``budget`` of the scores."""
    top = top_mask(score, budget)
    kinds = pd.Series(np.asarray(kind, dtype=object))
    return {
        str(k): float(top[(kinds == k).to_numpy()].mean())
        for k in sorted(kinds.unique())
    }


def label_metrics(
    score: np.ndarray,
    labels: pd.DataFrame,
    budget: float = 0.02,
    human_kinds: tuple[str, ...] = ("human", "power_user"),
) -> dict[str, float]:
    """Metrics against simulator labels (``is_bot``, ``kind``), flattened.

    Keys: ``label_*`` from :func:`score_metrics`, ``recall_<kind>`` for every
    kind, and ``power_user_in_budget`` (share of power users inside the budget —
    the false positives a good detector avoids).
    """
    out = {
        f"label_{k}": v
        for k, v in score_metrics(score, labels["is_bot"], budget).items()
    }
    for kind, share in recall_by_kind(score, labels["kind"], budget).items():
        key = "power_user_in_budget" if kind == "power_user" else f"recall_{kind}"
        if kind in human_kinds and kind != "power_user":
            key = f"{kind}_in_budget"
        out[key] = share
    return out


def supervised_ceiling(
    features: pd.DataFrame, label: np.ndarray, seed: int = 0, folds: int = CEILING_FOLDS
) -> float:
    """AP a model *told the labels* reaches from the same feature table.

    A gradient-boosted classifier is fitted on all but one of ``folds``
    stratified folds and scores the held-out fold; the average precision of
    those out-of-fold scores is returned. It is a yardstick, never a detector:
    where the unsupervised score comes near it, what is missing is in the
    features (a bot seen for three events), not in the model; where the
    unsupervised score is far below it, a model could do better from the same
    columns (though a classifier that learns one simulator's kinds may also
    learn their quirks).

    Parameters
    ----------
    features : one row per user; numeric columns are used, NaN as missing
        (a column without any value in a training fold is left out of it).
    label : True for the automated users.
    seed : shuffles the folds and seeds the classifier.
    folds : at least 2, and at most the count of either class.
    """
    y = np.asarray(label).astype(bool)
    if len(y) != len(features):
        raise ValueError(
            f"label has {len(y)} values for {len(features)} rows of features"
        )
    least = int(min(y.sum(), (~y).sum()))
    if not 2 <= folds <= least:
        raise ValueError(
            f"folds must be in [2, {least}] (the count of the rarer class), got {folds}"
        )
    x = features.select_dtypes("number").to_numpy(np.float64)
    out = np.zeros(y.size)
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, held in split.split(x, y):
        some = np.isfinite(x[train]).any(axis=0)
        model = HistGradientBoostingClassifier(random_state=seed)
        model.fit(x[np.ix_(train, some)], y[train])
        out[held] = model.predict_proba(x[np.ix_(held, some)])[:, 1]
    return float(average_precision_score(y, out))


def rule_metrics(
    score: np.ndarray, flags: pd.DataFrame, budget: float = 0.02
) -> dict[str, float]:
    """Agreement of the score with each weak-label rule flag and their union.

    Keys ``rule_<flag>_<metric>`` for every flag column with at least one user.
    """
    out = {}
    for col in flags.columns:
        y = flags[col].to_numpy(bool)
        if not y.any():
            continue
        name = col if col.startswith("rule_") else f"rule_{col}"
        for key, value in score_metrics(score, y, budget).items():
            out[f"{name}_{key}"] = value
    return out


def histogram_reference(values: np.ndarray, bins: int = 10) -> dict:
    """Bin edges at the deciles of ``values`` and the share of values in each bin.

    The last share is the share of missing (NaN) values, so a feature that goes
    missing more often also counts as drift. Ties at a quantile merge bins.
    """
    x = np.asarray(values, dtype=np.float64)
    finite = x[np.isfinite(x)]
    if finite.size:
        inner = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        inner = np.array([])
    return {"edges": inner.tolist(), "shares": _bin_shares(x, inner).tolist()}


def _bin_shares(x: np.ndarray, inner: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    counts = np.bincount(
        np.searchsorted(inner, x[finite], side="right"), minlength=inner.size + 1
    ).astype(np.float64)
    counts = np.r_[counts, (~finite).sum()]
    return counts / max(x.size, 1)


def psi(reference: dict, values: np.ndarray, eps: float = 1e-4) -> float:
    """Population stability index of ``values`` against a :func:`histogram_reference`.

    PSI = Σ (a − e)·ln(a / e) over the reference bins (shares a observed, e
    expected; both floored at ``eps``). Rule of thumb: < 0.1 stable, 0.1–0.25 a
    shift worth a look, > 0.25 the population moved.
    """
    inner = np.asarray(reference["edges"], dtype=np.float64)
    expected = np.maximum(np.asarray(reference["shares"], dtype=np.float64), eps)
    actual = np.maximum(_bin_shares(np.asarray(values, np.float64), inner), eps)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
