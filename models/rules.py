"""The original analysis's hand rules, each a named boolean flag.

These are *weak labels for evaluation*: "does the model agree with what the analyst
found, and what does it find beyond it?". They are never training targets.

Every rule is vectorised over all users; parameters default to the notebook's
values. Where the notebook did something questionable the default is the sensible
variant and the notebook's behaviour stays one argument away:

- ``floor_times=True`` floors event times to whole seconds first, as the notebook
  did; by default times keep their milliseconds, and only the *mode* of the gaps
  (which needs repeated values) is taken on ``resolution_s`` (1 s).
- ``batch_size=1000`` computes the quantile rules' quantiles per batch of 1,000
  users, as the notebook did (an artefact of its threading); by default they are
  taken over all users.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.grouped import (
    RANGE_EVENTS,
    Groups,
    ascending,
    divide,
    run_starts,
    sorted_by,
    user_ranges,
)

EVENT_TYPES: tuple[str, ...] = ("search", "call", "message")
RATE_COLUMNS: tuple[str, ...] = ("search_per_day", "call_per_day", "message_per_day")
RULES: tuple[str, ...] = (
    "regular_search",
    "regular_call",
    "regular_message",
    "extreme_rate",
    "tail_jump",
    "low_engagement",
    "high_activity",
    "search_call_low_msg",
    "search_msg_low_call",
    "constant_gap",
    "progression",
)
#: Parameters of the rules that compare users (:func:`with_population_rules`).
POPULATION_PARAMS: tuple[str, ...] = (
    "top_unique",
    "jump_factor",
    "jump_tail",
    "batch_size",
)
#: The rules that need each user's events (the others need only the features).
EVENT_RULES: tuple[str, ...] = (
    "regular_search",
    "regular_call",
    "regular_message",
    "constant_gap",
    "progression",
)


def rule_flags(
    events: pd.DataFrame,
    signups: pd.DataFrame,
    features: pd.DataFrame,
    **params,
) -> pd.DataFrame:
    """All rule flags for the users of ``features``.

    Parameters
    ----------
    events, signups
        As returned by :func:`features.io.load_logs` (``signups`` is accepted for
        symmetry with the feature builder; rates come from ``features``).
    features
        The table of :func:`features.build.build_features` (its index is the set
        of users, and its per-day rates and counts feed the rate rules).
    **params
        ``top_unique``, ``jump_factor``, ``jump_tail`` and ``batch_size`` go to
        the rules that compare users (:func:`with_population_rules`); the others
        (``floor_times``, ``resolution_s``, ``regular_tol``,
        ``regular_max_std_s``, ``regular_min_gaps``, ``high_search_rate``,
        ``high_search_count``, ``max_events``) to the rules that need each
        user's events (:func:`event_rule_flags`). Defaults are the notebook's.

    Returns
    -------
    DataFrame
        Index = ``features.index``; one bool column per rule in :data:`RULES`
        and ``rule_any``, their union.
    """
    population = {k: params.pop(k) for k in POPULATION_PARAMS if k in params}
    flags = event_rule_flags(events, features.index.to_numpy(np.int64), **params)
    return with_population_rules(flags, features, **population)


def event_rule_flags(
    events: pd.DataFrame,
    users: np.ndarray,
    *,
    floor_times: bool = False,
    resolution_s: float = 1.0,
    regular_tol: float = 0.1,
    regular_max_std_s: float = 60.0,
    regular_min_gaps: int = 3,
    high_search_rate: float = 100.0,
    high_search_count: int = 45,
    max_events: int = RANGE_EVENTS,
) -> pd.DataFrame:
    """The rules of :data:`EVENT_RULES` (those that need each user's events).

    Parameters
    ----------
    events
        As returned by :func:`features.io.load_logs`.
    users
        The users to flag (sorted ids); the result's index.
    floor_times, resolution_s
        See the module docstring.
    regular_tol, regular_max_std_s, regular_min_gaps
        :func:`regular_pattern`.
    high_search_rate, high_search_count
        Which users the constant-gap and progression rules look at.
    max_events
        The rules run on ranges of users with about this many events, so memory
        stays bounded on large logs (results do not depend on it).
    """
    users = np.asarray(users, dtype=np.int64)
    uid = events["user_id"].to_numpy(np.int64)
    if not ascending(uid):
        order = np.argsort(uid, kind="stable")
        events, uid = events.iloc[order], uid[order]
    parts = [
        _event_flags(
            events.iloc[e_lo:e_hi],
            users[u_lo:u_hi],
            floor_times=floor_times,
            resolution_s=resolution_s,
            regular_tol=regular_tol,
            regular_max_std_s=regular_max_std_s,
            regular_min_gaps=regular_min_gaps,
            high_search_rate=high_search_rate,
            high_search_count=high_search_count,
        )
        for u_lo, u_hi, e_lo, e_hi in user_ranges(uid, users, max_events)
    ]
    return pd.concat(parts)


def with_population_rules(
    event_flags: pd.DataFrame,
    features: pd.DataFrame,
    *,
    top_unique: int = 20,
    jump_factor: float = 10.0,
    jump_tail: float = 0.02,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """The full flag table from the per-user rules and the feature table.

    ``top_unique`` is :func:`extreme_rate`'s, ``jump_factor`` and ``jump_tail``
    :func:`tail_jump`'s, ``batch_size`` :func:`quantile_rules`' (see the module
    docstring).

    ``event_flags`` holds the rules of :data:`EVENT_RULES` (which need each
    user's events) for the users of ``features``, in its order; the rules that
    compare users with each other (rates, quantiles) are computed here, over
    all of ``features``. This is how the Spark path gets its flags: the per-user
    rules run beside the features in each bucket, the rest on the driver.
    """
    flags = event_flags.reindex(features.index)
    if flags[list(EVENT_RULES)].isna().any().any():
        raise ValueError("event_flags: no per-user rule flags for some users")
    out = pd.DataFrame(index=features.index)
    for name in EVENT_TYPES:
        out[f"regular_{name}"] = flags[f"regular_{name}"].to_numpy()
    rates = features[list(RATE_COLUMNS)].round(2)
    out["extreme_rate"] = extreme_rate(
        rates, ("search_per_day", "call_per_day"), top_unique
    )
    out["tail_jump"] = tail_jump(rates, RATE_COLUMNS, jump_factor, jump_tail)
    master = features[["n_search", "tenure_days"]].join(rates)
    for name, flag in quantile_rules(master, batch_size).items():
        out[name] = flag
    out["constant_gap"] = flags["constant_gap"].to_numpy()
    out["progression"] = flags["progression"].to_numpy()
    out["rule_any"] = out[list(RULES)].any(axis=1)
    return out.astype(bool)


def _event_flags(
    events: pd.DataFrame,
    users: np.ndarray,
    *,
    floor_times: bool,
    resolution_s: float,
    regular_tol: float,
    regular_max_std_s: float,
    regular_min_gaps: int,
    high_search_rate: float,
    high_search_count: int,
) -> pd.DataFrame:
    """The rules that need each user's event times, for the users ``users``."""
    uid = events["user_id"].to_numpy(np.int64)
    known = np.isin(uid, users)
    code = np.searchsorted(users, uid[known])
    ts = events["ts_ms"].to_numpy(np.int64)[known]
    kind = pd.Categorical(events["event"], categories=list(EVENT_TYPES)).codes[known]
    t_s = np.floor(ts / 1000.0) if floor_times else ts / 1000.0
    if not sorted_by(code, t_s):  # logs from load_logs already are
        order = np.lexsort((t_s, code))
        code, t_s, kind = code[order], t_s[order], kind[order]
    out = {}
    for j, name in enumerate(EVENT_TYPES):
        keep = kind == j
        out[f"regular_{name}"] = regular_pattern(
            t_s[keep],
            Groups(code[keep], users.size),
            tol=regular_tol,
            max_std_s=regular_max_std_s,
            min_gaps=regular_min_gaps,
            resolution_s=resolution_s,
        )
    keep = kind == 0
    s_groups = Groups(code[keep], users.size)
    high = high_search_users(t_s[keep], s_groups, high_search_rate, high_search_count)
    constant, progression = gap_patterns(t_s[keep], s_groups, resolution_s)
    out["constant_gap"] = high & constant
    out["progression"] = high & progression
    return pd.DataFrame(out, index=users)


def _gaps(t_s: np.ndarray, groups: Groups) -> tuple[np.ndarray, np.ndarray]:
    same = groups.codes[1:] == groups.codes[:-1]
    return np.diff(t_s)[same], groups.codes[1:][same]


def exact_mode(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """Most frequent value per group, the smallest on ties (as ``Series.mode``)."""
    out = np.full(n, np.nan)
    if values.size == 0:
        return out
    whole = np.isfinite(values).all() and (values == np.round(values)).all()
    if whole and values.min() >= 0 and values.max() < 2**31:
        # one integer key (user, value), sorted as plain integers and unpacked:
        # equal keys are equal pairs, so no argsort and no gathers
        key = codes.astype(np.int64) << 31 | values.astype(np.int64)
        key.sort()
        starts = run_starts(key)
        rv = (key[starts] & (2**31 - 1)).astype(values.dtype)
        rc = key[starts] >> 31
    else:
        order = np.lexsort((values, codes))
        v, c = values[order], codes[order]
        starts = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (v[1:] != v[:-1])])
        rv, rc = v[starts], c[starts]
    # runs of equal (group, value), ascending by group then value: per group,
    # the longest run, the first (smallest value) among equally long ones
    run = np.diff(np.r_[starts, values.size])
    most = Groups(rc, n).max(run)
    hit = np.flatnonzero(run == most[rc])
    first = hit[run_starts(rc[hit])]
    out[rc[first]] = rv[first]
    return out


def regular_pattern(
    t_s: np.ndarray,
    groups: Groups,
    *,
    tol: float = 0.1,
    max_std_s: float = 60.0,
    min_gaps: int = 3,
    resolution_s: float | None = 1.0,
) -> np.ndarray:
    """The notebook's regular-gap rule for one event type.

    A user is flagged when they have at least ``min_gaps`` gaps, the mean gap is
    within ``tol`` of the modal gap (|mean − mode| / mode < tol) and the gap
    standard deviation (sample, ddof = 1) is under ``max_std_s`` seconds. The
    mode is the most frequent gap rounded to ``resolution_s`` (None: exact
    values, as the notebook on its second-floored times); a modal gap of 0 never
    flags (the notebook divided by it).
    """
    g, c = _gaps(t_s, groups)
    n = np.bincount(c, minlength=groups.n)
    mean = divide(np.bincount(c, weights=g, minlength=groups.n), n)
    dev = g - mean[c]
    var = divide(np.bincount(c, weights=dev * dev, minlength=groups.n), n - 1)
    std = np.sqrt(var)
    binned = g if not resolution_s else np.round(g / resolution_s) * resolution_s
    mode = exact_mode(binned, c, groups.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        close = np.abs(mean - mode) / mode < tol
    return (n >= min_gaps) & (mode > 0) & close & (std < max_std_s)


def extreme_rate(
    rates: pd.DataFrame, columns: tuple[str, ...], top_unique: int = 20
) -> np.ndarray:
    """Users at or above the ``top_unique``-th largest distinct value of any column.

    The notebook flags ``search_per_day`` or ``call_per_day`` at or above the 20th
    largest distinct value (infinite values ignored).
    """
    flag = np.zeros(len(rates), dtype=bool)
    for col in columns:
        x = rates[col].to_numpy(np.float64)
        uniq = np.unique(x[np.isfinite(x)])
        if uniq.size == 0:
            continue
        thresh = uniq[::-1][:top_unique][-1]
        flag |= x >= thresh
    return flag


def jump_threshold(values: np.ndarray, jump_factor: float = 10.0, tail: float = 0.02):
    """The value after the first big jump among the top distinct values, or None.

    Takes the distinct values; keeps the top ``tail`` share of them (the top 10
    when that share is one value or fewer); returns the value right after the
    first step at least ``jump_factor`` times the median step. None when there
    are fewer than 10 distinct values or no such jump.
    """
    uniq = np.unique(values[np.isfinite(values)])
    if uniq.size < 10:
        return None
    top_n = int(tail * uniq.size)
    top = uniq[-top_n:] if top_n > 1 else uniq[-10:]
    steps = np.diff(top)
    if steps.size == 0:
        return None
    big = np.flatnonzero(steps >= jump_factor * np.median(steps))
    return float(top[big[0] + 1]) if big.size else None


def tail_jump(
    rates: pd.DataFrame,
    columns: tuple[str, ...],
    jump_factor: float = 10.0,
    tail: float = 0.02,
) -> np.ndarray:
    """Users at or above the jump threshold (:func:`jump_threshold`) of any column."""
    flag = np.zeros(len(rates), dtype=bool)
    for col in columns:
        x = rates[col].to_numpy(np.float64)
        thresh = jump_threshold(x, jump_factor, tail)
        if thresh is not None:
            flag |= x >= thresh
    return flag


def quantile_rules(master: pd.DataFrame, batch_size: int | None = None) -> dict:
    """The notebook's four quantile rules over ``n_search``, rates and tenure.

    - low_engagement: n_search ≥ q97, search/day ≥ q99, call/day ≤ q50,
      message/day ≤ q95;
    - high_activity: search/day ≥ q97, (call/day ≥ q99 or message/day ≥ q75),
      tenure ≥ q97;
    - search_call_low_msg: search/day ≥ q97, call/day ≥ q95, message/day ≤ q25;
    - search_msg_low_call: search/day ≥ q99, message/day ≥ q99, call/day ≤ q25.

    Quantiles are linear-interpolated (pandas' default), over all users or per
    consecutive batch of ``batch_size`` users (the notebook's behaviour).
    """
    if batch_size:
        batch = np.arange(len(master)) // batch_size
        grouped = master.groupby(batch)

        def q(col: str, p: float) -> pd.Series:
            return grouped[col].transform(lambda s: s.quantile(p))

    else:

        def q(col: str, p: float) -> float:
            return master[col].quantile(p)

    s, c, m = (
        master["search_per_day"],
        master["call_per_day"],
        master["message_per_day"],
    )
    n, t = master["n_search"], master["tenure_days"]
    rules = {
        "low_engagement": (n >= q("n_search", 0.97))
        & (s >= q("search_per_day", 0.99))
        & (c <= q("call_per_day", 0.50))
        & (m <= q("message_per_day", 0.95)),
        "high_activity": (s >= q("search_per_day", 0.97))
        & ((c >= q("call_per_day", 0.99)) | (m >= q("message_per_day", 0.75)))
        & (t >= q("tenure_days", 0.97)),
        "search_call_low_msg": (s >= q("search_per_day", 0.97))
        & (c >= q("call_per_day", 0.95))
        & (m <= q("message_per_day", 0.25)),
        "search_msg_low_call": (s >= q("search_per_day", 0.99))
        & (m >= q("message_per_day", 0.99))
        & (c <= q("call_per_day", 0.25)),
    }
    return {k: v.to_numpy(bool) for k, v in rules.items()}


def high_search_users(
    search_s: np.ndarray, groups: Groups, min_rate: float = 100.0, min_count: int = 45
) -> np.ndarray:
    """Users with more than ``min_count`` searches and more than ``min_rate``
    searches per day between their first and last search (the notebook's 297)."""
    n = groups.count()
    first = np.full(groups.n, np.nan)
    last = np.full(groups.n, np.nan)
    if groups.size:
        starts = groups.starts()
        has = n > 0
        first[has] = search_s[starts[has]]
        last[has] = search_s[starts[has] + n[has].astype(np.int64) - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = n / ((last - first) / 86_400.0)
    return (n > min_count) & (rate > min_rate)


def gap_patterns(
    t_s: np.ndarray, groups: Groups, resolution_s: float | None = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's constant-gap and progression patterns.

    Gaps are rounded to ``resolution_s`` first (None: exact).

    - constant gap: at least one gap, and all of a user's gaps are equal;
    - progression: at least two gaps whose successive differences are all equal
      (arithmetic) or whose successive ratios are all equal (geometric; the
      notebook's "fractional increase", the ratio minus one, is the same test).
      Like the notebook, a constant sequence is also an arithmetic progression.
    """
    g, c = _gaps(t_s, groups)
    if resolution_s:
        g = np.round(g / resolution_s) * resolution_s
    n = np.bincount(c, minlength=groups.n)
    constant = (n >= 1) & _all_equal_consecutive(g, c, groups.n)
    d, dc = np.diff(g), c[1:]
    same = dc == c[:-1]
    arith = _all_equal_consecutive(d[same], dc[same], groups.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = g[1:] / g[:-1]
    geom = _all_equal_consecutive(ratio[same], dc[same], groups.n)
    progression = (n >= 2) & (arith | geom)
    return constant, progression


def _all_equal_consecutive(x: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """True for groups whose values are all equal (vacuously true when empty)."""
    differs = np.zeros(n, dtype=bool)
    if x.size > 1:
        same_group = codes[1:] == codes[:-1]
        neq = (x[1:] != x[:-1]) & ~(np.isnan(x[1:]) & np.isnan(x[:-1]))
        differs[codes[1:][same_group & neq]] = True
    return ~differs
