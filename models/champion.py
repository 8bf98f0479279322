"""Is a newly trained model close enough to the current champion to replace it?

``train.py --register NAME`` compares the new model with the model under the
alias (``@champion``) on the data just trained on, and moves the alias only
when the two are not wildly different (``--force-alias`` moves it anyway). The
comparison is pure: two fitted detectors and one feature table in, numbers out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from models.ensemble import CadenceDetector

#: Least share of the union of the two suspect sets that both flag (Jaccard).
MIN_OVERLAP = 0.5
#: Least Spearman rank correlation of the two scores over every user.
MIN_RANK_CORR = 0.7
#: The champion's threshold applied to the new scores may flag at most this
#: many times (and at least its inverse) the share the champion flags itself.
MAX_SHARE_RATIO = 3.0


def champion_comparison(
    champion: CadenceDetector,
    challenger: CadenceDetector,
    features: pd.DataFrame,
    challenger_scores: np.ndarray | None = None,
) -> dict[str, float]:
    """How the challenger differs from the champion on ``features``.

    Returns
    -------
    dict
        ``suspect_overlap`` (Jaccard of the suspect sets, each at its own
        threshold; 1 when both are empty), ``rank_corr`` (Spearman of the
        scores), ``old_share`` (the champion's suspects, as a share of
        users), ``new_share`` (the challenger's), and ``threshold_share`` (the
        share of users whose new score reaches the champion's threshold).
    """
    old = champion.score_samples(features)
    new = (
        challenger.score_samples(features)
        if challenger_scores is None
        else np.asarray(challenger_scores, dtype=np.float64)
    )
    sus_old = old >= champion.threshold_
    sus_new = new >= challenger.threshold_
    union = int((sus_old | sus_new).sum())
    corr = spearmanr(old, new).statistic if old.size > 2 else np.nan
    return {
        "suspect_overlap": float((sus_old & sus_new).sum() / union) if union else 1.0,
        "rank_corr": float(corr) if np.isfinite(corr) else 0.0,
        "old_share": float(sus_old.mean()),
        "new_share": float(sus_new.mean()),
        "threshold_share": float((new >= champion.threshold_).mean()),
    }


def close_enough(comparison: dict[str, float]) -> tuple[bool, list[str]]:
    """Whether the challenger may replace the champion, and why not if not."""
    why = []
    if comparison["suspect_overlap"] < MIN_OVERLAP:
        why.append(
            f"suspect overlap {comparison['suspect_overlap']:.2f} < {MIN_OVERLAP}"
        )
    if comparison["rank_corr"] < MIN_RANK_CORR:
        why.append(f"rank correlation {comparison['rank_corr']:.2f} < {MIN_RANK_CORR}")
    base = max(comparison["old_share"], 1e-9)
    ratio = comparison["threshold_share"] / base
    if not 1 / MAX_SHARE_RATIO <= ratio <= MAX_SHARE_RATIO:
        why.append(
            f"the champion's threshold flags {ratio:.1f}x as many users under the "
            f"new scores (allowed {1 / MAX_SHARE_RATIO:.2f}–{MAX_SHARE_RATIO:g}x)"
        )
    return not why, why
