"""Signs of automation that no gap statistic sees: never resting, wall-clock runs.

People sleep: a client active for a whole day without a multi-hour pause is not
a person, however irregular its gaps (memoryless traffic has CV ≈ 1 and never
rests). And a job started by a scheduler at the same second of every day or
every hour starts its sessions whole days or hours apart to within seconds,
where a person's routine wanders by tens of minutes.

All functions take event times in ms (UTC), sorted within each user, with a
:class:`~features.grouped.Groups` giving each event's user.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from features.grouped import Groups

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
#: A pause at least this long is a rest (people sleep for longer).
REST_MS = 3 * HOUR_MS
#: Hours awake without a rest past which no person goes for long (21 h; the
#: rest columns' limit in ``models.ensemble.HUMAN_LIMITS``).
LONG_AWAKE_H = 21.0
#: A gap at least this long starts a new session.
SESSION_GAP_MS = 30 * 60_000
#: Sessions a share of single-event sessions needs.
MIN_SESSIONS = 4
#: Chance that a person's session is one event alone: people in the simulator
#: 2–4% (humans 3.6%, power users 2%), taken seven times over; a capture of
#: one minute per hour (the shared access log) splits visits into single
#: requests and puts people at 47%, where this level lets through clients with
#: many visits of one request each (at 0.3: 20 there, 15 of them automated by
#: user agent). World benchmark (against 0.3): one_day 0.939 / 0.876 → 0.945
#: / 0.896, hard_one_day seed 0 0.803 → 0.811, the rest the same or better;
#: the real log the same (at 0.2: hardly different again). The detector
#: learns a higher level from a population whose people drop by for an action
#: or two (``models.ensemble.VISITS_CHANCE``); this is its floor.
SINGLE_EVENT_CHANCE = 0.25
#: Two session starts coincide on the wall clock when their phases (time of
#: day, or of the hour) differ by at most this much.
CLOCK_WINDOW_MS = 30_000
#: Support of a wall-clock share: session starts, and distinct days (hours)
#: they fall on.
MIN_STARTS = 4
MIN_CYCLES = 3
#: Fewest other starts at the best phase that count (one is chance).
MIN_COMPANY = 2
#: The narrowest span over which a person's session starts fall by chance: an
#: hour (starts anywhere in the hour, folded on it; a routine's hour of the
#: day, folded on the day). Two starts then coincide within ±30 s with
#: probability 60 s / 1 h at most.
CHANCE_SPAN_MS = HOUR_MS
#: Chance that another start falls within ±30 s of one: 60 s / 1 h.
CLOCK_CHANCE = 2 * CLOCK_WINDOW_MS / CHANCE_SPAN_MS


def _stretches(
    ts: np.ndarray, groups: Groups, rest_ms: int
) -> tuple[np.ndarray, np.ndarray, Groups]:
    """The stretches of activity without a rest of ``rest_ms`` (events cut
    wherever two consecutive ones of a user are at least that far apart): each
    one's first and last event index and the stretches grouped by user."""
    codes = groups.codes
    new_piece = np.r_[True, (codes[1:] != codes[:-1]) | (np.diff(ts) >= rest_ms)]
    first = np.flatnonzero(new_piece)
    last = np.r_[first[1:], ts.size] - 1
    return first, last, Groups(codes[first], groups.n)


def longest_awake_h(
    ts_ms: np.ndarray, groups: Groups, rest_ms: int = REST_MS
) -> np.ndarray:
    """Longest stretch of activity without a rest of ``rest_ms``, in hours.

    The events are cut wherever two consecutive ones are at least ``rest_ms``
    apart; the longest piece's duration (last − first event) is returned. NaN
    for a user with fewer than 2 events.

    Examples
    --------
    Events at 0 h, 2 h, 4 h, 10 h, 11 h (rest 3 h) → pieces [0, 4] and [10, 11]
    → 4.0.
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    if ts.size < 2:
        return np.full(groups.n, np.nan)
    first, last, pieces = _stretches(ts, groups, rest_ms)
    out = pieces.max((ts[last] - ts[first]) / HOUR_MS)
    return np.where(groups.count() >= 2, out, np.nan)


def awake_share(
    ts_ms: np.ndarray,
    groups: Groups,
    rest_ms: int = REST_MS,
    long_h: float = LONG_AWAKE_H,
) -> np.ndarray:
    """Share of a user's events inside stretches of activity without a rest
    of ``rest_ms`` that last longer than ``long_h`` hours (see
    :func:`longest_awake_h`).

    A person who stays up through one night in three weeks acts a day or two
    of them so; a job that never rests, all of its life, whatever else its
    account does and however long the capture. NaN where the user's span
    (first to last event) is ``long_h`` or shorter: no stretch could be longer.

    Examples
    --------
    Events every hour from 0 h to 30 h, then at 40 h and 41 h (rest 3 h, long
    21 h) → stretches [0, 30] (31 events) and [40, 41] (2 events) → 31 / 33.
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    if ts.size < 2:
        return np.full(groups.n, np.nan)
    first, last, pieces = _stretches(ts, groups, rest_ms)
    length_h = (ts[last] - ts[first]) / HOUR_MS
    events = (last - first + 1).astype(np.float64)
    inside = pieces.sum(np.where(length_h > long_h, events, 0.0))
    span_h = (groups.max(ts) + groups.max(-ts)) / HOUR_MS  # last − first event
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inside / groups.count()
    return np.where(span_h > long_h, out, np.nan)


def awake_active_h(
    ts_ms: np.ndarray, groups: Groups, rest_ms: int = REST_MS
) -> np.ndarray:
    """Most clock hours (UTC) holding an event inside one stretch of activity
    without a rest of ``rest_ms`` (see :func:`longest_awake_h`).

    A person who never rests for long but acts in short sessions fills few of
    the hours of such a stretch; a client polling around the clock fills all.
    0 for a user with no events.

    Examples
    --------
    Events at 10:05, 10:50, 12:30 and 18:00 (rest 3 h) → stretches 10:05–12:30
    (hours 10 and 12) and 18:00 (hour 18) → 2.
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    codes = groups.codes
    out = np.zeros(groups.n)
    if ts.size == 0:
        return out
    new_piece = np.r_[True, (codes[1:] != codes[:-1]) | (np.diff(ts) >= rest_ms)]
    piece = np.cumsum(new_piece) - 1
    hour = np.floor_divide(ts, HOUR_MS)
    new_hour = new_piece | np.r_[True, hour[1:] != hour[:-1]]
    hours = np.bincount(piece[new_hour], minlength=int(piece[-1]) + 1)
    first = np.flatnonzero(new_piece)
    per_piece = Groups(codes[first], groups.n)
    return np.nan_to_num(per_piece.max(hours.astype(np.float64)), nan=0.0)


def longest_active_run_h(ts_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """Most consecutive clock hours (UTC) that each hold an event of the user.

    A person's sessions last minutes and come hours apart; memoryless traffic
    or a busy script fills hour after hour. 0 for a user with no events.

    Examples
    --------
    Events at 10:05, 10:50, 11:30, 12:01, 15:00 → hours 10, 11, 12 in a row → 3.
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    codes = groups.codes
    out = np.zeros(groups.n)
    if ts.size == 0:
        return out
    hour = np.floor_divide(ts, HOUR_MS)
    new_hour = np.r_[True, (codes[1:] != codes[:-1]) | (hour[1:] != hour[:-1])]
    h, c = hour[new_hour], codes[new_hour]
    new_run = np.r_[True, (c[1:] != c[:-1]) | (np.diff(h) != 1)]
    first = np.flatnonzero(new_run)
    length = np.diff(np.r_[first, h.size]).astype(np.float64)
    return np.nan_to_num(Groups(c[first], groups.n).max(length), nan=0.0)


def session_starts(
    ts_ms: np.ndarray, groups: Groups, gap_ms: int = SESSION_GAP_MS
) -> tuple[np.ndarray, Groups]:
    """Times of the events that start a session (first event of a user, or
    after a gap of at least ``gap_ms``) and their users."""
    ts = np.asarray(ts_ms, dtype=np.int64)
    start = session_start_mask(ts, groups, gap_ms)
    return ts[start], Groups(groups.codes[start], groups.n)


def session_start_mask(
    ts_ms: np.ndarray, groups: Groups, gap_ms: int = SESSION_GAP_MS
) -> np.ndarray:
    """True for each event that starts a session: a user's first, or one after
    at least ``gap_ms`` idle."""
    ts = np.asarray(ts_ms, dtype=np.int64)
    codes = groups.codes
    if ts.size == 0:
        return np.zeros(0, dtype=bool)
    return np.r_[True, (codes[1:] != codes[:-1]) | (np.diff(ts) >= gap_ms)]


def clock_share(
    starts_ms: np.ndarray,
    groups: Groups,
    fold_ms: int,
    window_ms: int = CLOCK_WINDOW_MS,
    min_starts: int = MIN_STARTS,
    min_cycles: int = MIN_CYCLES,
) -> np.ndarray:
    """Share of a user's other session starts at the same wall-clock phase
    (its Wilson 95% lower bound).

    Each start is folded to its phase in the cycle ``fold_ms`` (time of day for
    a day, minute and second for an hour). For the start with the most company,
    k is the number of *other* starts within ±``window_ms`` of it (circularly),
    of n − 1 others (:func:`clock_company`): k/(n − 1) is 0 when no two starts
    coincide and 1 when all start at the same second of the cycle. A person's
    routine wanders by minutes, a scheduler's by seconds. A single coincidence
    (k = 1) is taken as chance and counts as 0. The lower bound of the share is
    returned, so that a few coincidences among few starts weigh little and
    volume alone cannot inflate it.

    NaN below the support: fewer than ``min_starts`` starts, or starts in fewer
    than ``min_cycles`` distinct cycles (days, hours).

    Examples
    --------
    Starts at 03:12:05, 03:12:09, 03:11:58 on three days and 17:00 on a fourth,
    folded on a day → the best start has k = 2 others within 30 s, of 3 others
    → share 0.667, lower bound 0.208.
    """
    return company_share(
        *clock_company(starts_ms, groups, fold_ms, window_ms, min_starts, min_cycles)
    )


def company_share(company: np.ndarray, n: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """The wall-clock share from :func:`clock_company`'s counts: the Wilson
    lower bound of (company beyond chance) / (n − 1), NaN where ``ok`` fails."""
    out = np.full(company.shape, np.nan)
    out[ok] = share_lower_bound(beyond_chance(company[ok]), n[ok] - 1)
    return out


def beyond_chance(company: np.ndarray) -> np.ndarray:
    """One coincidence (two starts at one phase) happens to people by chance:
    the company counts only from :data:`MIN_COMPANY` other starts on."""
    return np.where(company >= MIN_COMPANY, company, 0.0)


def company_logp(
    company: np.ndarray,
    n: np.ndarray,
    ok: np.ndarray,
    chance: float = CLOCK_CHANCE,
) -> np.ndarray:
    """How unlikely the best item's company is by chance: −log10 of
    n · P(Bin(n − 1, q) ≥ k), where k of the n − 1 other items (session starts,
    search → call lags) fall within the window of the best of n, and each
    would by chance with probability q = ``chance`` (default
    :data:`CLOCK_CHANCE`); the factor n pays for choosing the best. 0 where the
    bound passes 1, NaN where ``ok`` fails (see :func:`clock_company`).

    The share says how much of a user's activity a schedule governs; this says
    whether the coincidences are more than chance at all: a person with six
    sessions in a day, three of them at one minute and second of the hour,
    has share bound 0.12 but p = 6 · 4.5e-5 (logp 3.57); two of six, p = 0.016.

    Examples
    --------
    k = 2 of n − 1 = 5 others, q = 1/60 → P(≥ 2) = 2.69e-3, × 6 → logp 1.79.
    """
    k = np.asarray(company, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    q = min(1.0, chance)
    out = np.full(k.shape, np.nan)
    good = np.asarray(ok, dtype=bool) & (n >= 1)
    ng = n[good]
    kg = np.minimum(k[good], ng - 1)  # at most every other item
    log_tail = binomial_log_tail(kg, ng - 1, q)
    out[good] = np.maximum(-(np.log(ng) + log_tail) / np.log(10.0), 0.0)
    return out


def binomial_log_tail(k: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """ln P(X ≥ k) for X ~ Bin(n, q), finite deep in the tail.

    scipy's ``logsf`` underflows to −inf far in the tail (near n = 200 at
    q = 0.1); there P(X ≥ k) is its first term P(X = k) within a factor
    1 / (1 − r), r = (n − k)/(k + 1) · q/(1 − q), r ≤ 0.5 taken.

    Examples
    --------
    k = 2, n = 5, q = 1/60 → ln 2.69e-3.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    log_tail = np.asarray(binom.logsf(k - 1, n, q), dtype=np.float64)
    deep = ~np.isfinite(log_tail)
    if deep.any():
        ratio = (n[deep] - k[deep]) / (k[deep] + 1) * q / (1 - q)
        log_tail[deep] = binom.logpmf(k[deep], n[deep], q) - np.log1p(
            -np.minimum(ratio, 0.5)
        )
    return log_tail


def single_event_sessions(
    ts_ms: np.ndarray, groups: Groups, gap_ms: int = SESSION_GAP_MS
) -> np.ndarray:
    """Per user, the sessions that hold one event alone: an event with at
    least ``gap_ms`` idle before it (or none: a user's first) and after it
    (or none: a user's last). A job that wakes, acts once and sleeps makes
    only such sessions; a person's visit is mostly several actions.

    Examples
    --------
    Events at 0, 40 min, 41 min, 2 h, 5 h → sessions {0}, {40, 41 min}, {2 h},
    {5 h} → 3.
    """
    start = session_start_mask(ts_ms, groups, gap_ms)
    if start.size == 0:
        return np.zeros(groups.n)
    end = np.r_[start[1:], True]  # the next event starts a session
    return groups.sum(start & end)


def single_event_logp(
    single: np.ndarray, n_sessions: np.ndarray, chance: float = SINGLE_EVENT_CHANCE
) -> np.ndarray:
    """How unlikely ``single`` single-event sessions of ``n_sessions`` are for
    a person: −log10 P(Bin(n, q) ≥ k), q = ``chance``
    (:data:`SINGLE_EVENT_CHANCE`); NaN below :data:`MIN_SESSIONS` sessions.

    Examples
    --------
    6 of 6 at q = 0.25 → −log10 0.25⁶ = 3.61; 3 of 6 → 0.77.
    """
    k = np.asarray(single, dtype=np.float64)
    n = np.asarray(n_sessions, dtype=np.float64)
    out = np.full(k.shape, np.nan)
    ok = n >= MIN_SESSIONS
    tail = binomial_log_tail(k[ok], n[ok], chance)
    out[ok] = np.maximum(-tail / np.log(10.0), 0.0)
    return out


def clock_company(
    starts_ms: np.ndarray,
    groups: Groups,
    fold_ms: int,
    window_ms: int = CLOCK_WINDOW_MS,
    min_starts: int = MIN_STARTS,
    min_cycles: int = MIN_CYCLES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each user: the most other session starts within ±``window_ms`` of
    one start's phase in the cycle ``fold_ms`` (k), the number of starts (n),
    and whether the support holds (see :func:`clock_share`)."""
    ts = np.asarray(starts_ms, dtype=np.int64)
    codes = groups.codes
    n = groups.count()
    if ts.size == 0:
        return np.zeros(groups.n), n, np.zeros(groups.n, dtype=bool)
    cycle = np.floor_divide(ts, fold_ms)
    new_cycle = np.r_[True, (codes[1:] != codes[:-1]) | (cycle[1:] != cycle[:-1])]
    cycles = np.bincount(codes[new_cycle], minlength=groups.n)
    phase = np.mod(ts, fold_ms)
    # each phase three times (−fold, 0, +fold) so that a window wraps around
    c3 = np.concatenate([codes, codes, codes])
    p3 = np.concatenate([phase, phase + fold_ms, phase + 2 * fold_ms])
    key = np.sort(c3 * (4 * fold_ms) + p3)
    centre = codes * (4 * fold_ms) + phase + fold_ms
    hi = np.searchsorted(key, centre + window_ms, side="right")
    lo = np.searchsorted(key, centre - window_ms, side="left")
    company = (hi - lo - 1).astype(np.float64)
    best = np.nan_to_num(groups.max(company), nan=0.0)
    ok = (n >= min_starts) & (cycles >= min_cycles)
    return best, n, ok


def share_lower_bound(
    k: np.ndarray, n: np.ndarray, z: float = 1.959963984540054
) -> np.ndarray:
    """Wilson lower confidence bound of a share k/n (NaN where n < 1).

    An effect size with its uncertainty: it rises toward k/n as n grows but
    never above it, so volume alone never makes a modest share look extreme
    (unlike a p-value against a fixed chance level).

    Exactly 0 where k = 0 (the formula's two terms cancel there only to
    within rounding, and a share of 3e-17 would rank above one of 0).

    Examples
    --------
    k = 5, n = 10 (z = 1.96, 95%) → 0.237; k = 500, n = 1000 → 0.469.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = z * z
        centre = p + z2 / (2 * n)
        margin = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        out = (centre - margin) / (1 + z2 / n)
    out = np.where(k > 0, np.maximum(out, 0.0), np.where(k == 0, 0.0, np.nan))
    return np.where(n >= 1, out, np.nan)
