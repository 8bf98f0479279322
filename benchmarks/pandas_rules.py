"""The original analysis's rules as an analyst would vectorise them with pandas.

Usage: python benchmarks/pandas_rules.py DATA_DIR OUT.csv

The yardstick of ``bench_end_to_end.py``: what running the hand rules costs
without cadence. It reads the four logs with ``pandas.read_csv``, parses each
timestamp column (epoch ms when numeric, else ``pandas.to_datetime``), builds
the notebook's per-user table (counts, tenure, per-day rates) and its rules —
regular gaps per event type, extreme rates, tail jumps, the four quantile rules,
constant gap and progression on the high-search users — with pandas group
operations only (no loop over users), and writes one row of flags per user.
It imports nothing from cadence, so its start-up is pandas' alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

EVENTS = ("search", "call", "message")


def read_times(path: Path, column: str) -> pd.DataFrame:
    frame = pd.read_csv(path, sep="\t", dtype={"user_id": str, column: str})
    raw = frame[column]
    ms = pd.to_numeric(raw, errors="coerce")
    if ms.notna().mean() > 0.5:
        t = pd.to_datetime(ms, unit="ms", utc=True)
    else:
        t = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    out = pd.DataFrame({"user_id": frame["user_id"], "t": t}).dropna()
    return out.drop_duplicates()


def gap_table(ev: pd.DataFrame) -> pd.DataFrame:
    """Each event's gap to the user's previous one, in whole seconds."""
    ev = ev.sort_values(["user_id", "t"])
    secs = ev["t"].astype("int64") // 10**9
    gap = secs.groupby(ev["user_id"]).diff()
    return pd.DataFrame({"user_id": ev["user_id"], "gap": gap}).dropna()


def regular(ev: pd.DataFrame) -> pd.Series:
    gaps = gap_table(ev)
    by = gaps.groupby("user_id")["gap"]
    stats = by.agg(["size", "mean", "std"])
    counts = gaps.value_counts(["user_id", "gap"]).reset_index()
    mode = counts.drop_duplicates("user_id").set_index("user_id")["gap"]
    mode = mode.reindex(stats.index)
    close = (stats["mean"] - mode).abs() / mode < 0.1
    return (stats["size"] >= 3) & (mode > 0) & close & (stats["std"] < 60)


def patterns(search: pd.DataFrame, users: pd.Index) -> pd.DataFrame:
    gaps = gap_table(search)
    by = gaps.groupby("user_id")["gap"]
    constant = by.nunique() == 1
    step = by.diff()
    gaps["step"] = step
    steps = gaps.dropna().groupby("user_id")["step"].nunique()
    progression = (steps == 1) & (by.size().reindex(steps.index) >= 2)
    out = pd.DataFrame(index=users)
    out["constant_gap"] = constant.reindex(users, fill_value=False)
    out["progression"] = progression.reindex(users, fill_value=False)
    return out


def top_unique(x: pd.Series, k: int = 20) -> pd.Series:
    uniq = np.sort(x[np.isfinite(x)].unique())[::-1]
    return x >= uniq[:k][-1] if uniq.size else x != x


def tail_jump(x: pd.Series, factor: float = 10.0, tail: float = 0.02) -> pd.Series:
    uniq = np.sort(x[np.isfinite(x)].unique())
    if uniq.size < 10:
        return x != x
    n = int(tail * uniq.size)
    top = uniq[-n:] if n > 1 else uniq[-10:]
    steps = np.diff(top)
    big = np.flatnonzero(steps >= factor * np.median(steps))
    return x >= top[big[0] + 1] if big.size else x != x


def main(data: Path, out: Path) -> None:
    signup = pd.read_csv(data / "signup.tsv", sep="\t", dtype={"user_id": str})
    signup["signup"] = pd.to_datetime(
        signup["signup_ts"], utc=True, errors="coerce", format="mixed"
    )
    logs = {e: read_times(data / f"{e}.tsv", f"{e}_ts") for e in EVENTS}
    users = pd.Index(signup["user_id"].unique(), name="user_id")
    table = pd.DataFrame(index=users)
    last = pd.concat([logs[e] for e in EVENTS]).groupby("user_id")["t"].max()
    first = signup.groupby("user_id")["signup"].min()
    tenure = (last.reindex(users) - first.reindex(users)).dt.total_seconds() / 86400
    table["tenure_days"] = tenure.clip(lower=1).fillna(1)
    for e in EVENTS:
        n = logs[e].groupby("user_id").size().reindex(users, fill_value=0)
        table[f"n_{e}"] = n
        table[f"{e}_per_day"] = n / table["tenure_days"]
        table[f"regular_{e}"] = regular(logs[e]).reindex(users, fill_value=False)
    s, c, m = (table[f"{e}_per_day"] for e in EVENTS)
    flags = table.filter(like="regular_")
    flags["extreme_rate"] = top_unique(s) | top_unique(c)
    flags["tail_jump"] = tail_jump(s) | tail_jump(c)
    flags["low_engagement"] = (
        (table["n_search"] >= table["n_search"].quantile(0.97))
        & (s >= s.quantile(0.99))
        & (c <= c.quantile(0.5))
        & (m <= m.quantile(0.95))
    )
    flags["high_activity"] = (
        (s >= s.quantile(0.97))
        & ((c >= c.quantile(0.99)) | (m >= m.quantile(0.75)))
        & (table["tenure_days"] >= table["tenure_days"].quantile(0.97))
    )
    flags["search_call_low_msg"] = (
        (s >= s.quantile(0.97)) & (c >= c.quantile(0.95)) & (m <= m.quantile(0.25))
    )
    flags["search_msg_low_call"] = (
        (s >= s.quantile(0.99)) & (m >= m.quantile(0.99)) & (c <= c.quantile(0.25))
    )
    search = logs["search"]
    span = search.groupby("user_id")["t"].agg(["size", "min", "max"])
    rate = span["size"] / ((span["max"] - span["min"]).dt.total_seconds() / 86400)
    high = span.index[(span["size"] > 45) & (rate > 100)]
    pat = patterns(search[search["user_id"].isin(high)], users)
    flags = flags.join(pat)
    flags.to_csv(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
