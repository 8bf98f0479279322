"""Figures for MLflow artifacts and reports (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def score_histogram(
    scores: np.ndarray,
    threshold: float,
    path: str | Path,
    *,
    bots: np.ndarray | None = None,
    title: str = "cadence scores",
) -> Path:
    """Histogram of scores (log count axis) with the budget threshold marked.

    When ``bots`` (a boolean mask, e.g. simulator labels) is given, the bots'
    scores are drawn on top in a second colour.
    """
    scores = np.asarray(scores, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    bins = np.histogram_bin_edges(scores[np.isfinite(scores)], bins=80)
    if bots is None:
        ax.hist(scores, bins=bins, color="#4c72b0", label="users")
    else:
        bots = np.asarray(bots, dtype=bool)
        ax.hist(scores[~bots], bins=bins, color="#4c72b0", label="people")
        ax.hist(scores[bots], bins=bins, color="#dd8452", alpha=0.85, label="bots")
    ax.axvline(threshold, color="#c44e52", linestyle="--", label="budget threshold")
    ax.set_yscale("log")
    ax.set_xlabel("score (0 = typical user, 1 = training top 1%)")
    ax.set_ylabel("users (log scale)")
    ax.set_title(title)
    ax.legend(frameon=False)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
