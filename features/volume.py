"""Volume and rate per user: the original analysis's master table, extended.

All functions take event times in ms since the epoch (UTC), sorted within each
user, with a :class:`~features.grouped.Groups` giving each event's user.
"""

from __future__ import annotations

import numpy as np

from features.grouped import Groups, divide

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def tenure_days(signup_ms: np.ndarray, last_ms: np.ndarray) -> np.ndarray:
    """Tenure as the original analysis defines it, in days.

    tenure = |whole days from signup to the last action| + 1, where whole days
    are floored (``Timedelta.days``); a user with no action has tenure 1 (the
    analysis replaced 0 by 1 to avoid dividing by zero). A user without a signup
    row is measured from the first action instead (see :func:`build_features`).

    Examples
    --------
    Signup 2019-03-18 00:00, last action 2019-04-03 22:05 → 16 days + 1 = 17.
    """
    days = np.floor_divide(np.asarray(last_ms, dtype=np.float64) - signup_ms, DAY_MS)
    tenure = np.abs(days) + 1
    return np.where(np.isfinite(tenure), tenure, 1.0)


def counts_per_window(ts_ms: np.ndarray, groups: Groups, window_ms: int) -> np.ndarray:
    """For each user, the most events in any one calendar window (UTC).

    Windows are fixed buckets of ``window_ms`` (e.g. the hour 10:00–11:00), not
    sliding ones. 0 for a user with no events.

    Examples
    --------
    Events at 10:05, 10:20, 10:59, 11:01 → most in an hour = 3.
    """
    if groups.size == 0:
        return np.zeros(groups.n)
    bucket = np.floor_divide(ts_ms, window_ms)
    # runs of equal (user, bucket) are contiguous because times are sorted
    new = np.r_[
        True, (groups.codes[1:] != groups.codes[:-1]) | (bucket[1:] != bucket[:-1])
    ]
    starts = np.flatnonzero(new)
    run_len = np.diff(np.r_[starts, groups.size]).astype(np.float64)
    out = np.zeros(groups.n)
    if starts.size:
        runs = Groups(groups.codes[starts], groups.n)
        out = np.nan_to_num(runs.max(run_len), nan=0.0)
    return out


def active_minutes_per_hour(ts_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """For each user, the most distinct clock minutes holding an event in any
    one clock hour (UTC): 60 for a client busy all hour, 1 for a burst of
    requests inside one minute, however many. 0 for a user with no events.

    Examples
    --------
    Events at 10:05:01, 10:05:40, 10:17:00, 11:00:00 → minutes 05 and 17 of hour
    10 → 2.
    """
    minute = np.floor_divide(ts_ms, 60_000)
    codes = groups.codes
    if minute.size == 0:
        return np.zeros(groups.n)
    new = np.r_[True, (codes[1:] != codes[:-1]) | (minute[1:] != minute[:-1])]
    return counts_per_window(ts_ms[new], groups.subset(new), HOUR_MS)


def active_days(ts_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """Number of distinct UTC calendar days with at least one event."""
    day = np.floor_divide(ts_ms, DAY_MS)
    new = np.r_[True, (groups.codes[1:] != groups.codes[:-1]) | (day[1:] != day[:-1])]
    return (
        Groups(groups.codes[new], groups.n).count()
        if groups.size
        else np.zeros(groups.n)
    )


def daily_count_cv(ts_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """CV (std/mean) of a user's event counts over the days they were active.

    NaN for users active on fewer than two days.

    Examples
    --------
    Counts 2, 2, 2 on three days → 0; counts 1 and 3 → 0.5.
    """
    if groups.size == 0:
        return np.full(groups.n, np.nan)
    day = np.floor_divide(ts_ms, DAY_MS)
    new = np.r_[True, (groups.codes[1:] != groups.codes[:-1]) | (day[1:] != day[:-1])]
    starts = np.flatnonzero(new)
    per_day = np.diff(np.r_[starts, groups.size]).astype(np.float64)
    days = Groups(groups.codes[starts], groups.n)
    mean = days.mean(per_day)
    std = np.sqrt(days.mean((per_day - mean[days.codes]) ** 2))
    return np.where(days.count() >= 2, divide(std, mean), np.nan)


def rate_per_day(count: np.ndarray, tenure: np.ndarray) -> np.ndarray:
    """Events per day of tenure, as the original analysis (count / tenure_days)."""
    return divide(count, tenure)
