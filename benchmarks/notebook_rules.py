"""The original analysis's rules as it ran them: a Python loop over users.

Kept only to measure against (bench_rules.py); cadence itself
uses the vectorised ``models/rules.py``. Covers the per-user parts of the
notebook (regular pattern per event type, constant gap and progression on the
high-search users); the rate and quantile rules were table operations there too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def regular(times_s: np.ndarray) -> bool:
    g = np.diff(np.sort(times_s))
    if g.size < 3:
        return False
    mode = pd.Series(np.round(g)).mode().iloc[0]
    if mode <= 0:
        return False
    return abs(g.mean() - mode) / mode < 0.1 and g.std(ddof=1) < 60


def patterns(times_s: np.ndarray) -> tuple[bool, bool]:
    g = np.round(np.diff(np.sort(times_s)))
    constant = g.size >= 1 and bool((g == g[0]).all())
    progression = False
    if g.size >= 2:
        d = np.diff(g)
        progression = bool((d == d[0]).all())
    return constant, progression


def notebook_rules(events: pd.DataFrame) -> pd.DataFrame:
    """One row per user, looping over users as the notebook did."""
    rows = {}
    for uid, ev in events.groupby("user_id", sort=True):
        row = {}
        for name in ("search", "call", "message"):
            t = ev.loc[ev["event"] == name, "ts_ms"].to_numpy() / 1000.0
            row[f"regular_{name}"] = regular(t)
        s = ev.loc[ev["event"] == "search", "ts_ms"].to_numpy() / 1000.0
        high = s.size > 45 and s.max() > s.min()
        high = high and s.size / ((s.max() - s.min()) / 86400) > 100
        c, p = patterns(s) if high else (False, False)
        row["constant_gap"], row["progression"] = c, p
        rows[uid] = row
    return pd.DataFrame.from_dict(rows, orient="index")
