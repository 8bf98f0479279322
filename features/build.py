"""One feature row per user: volume, time of day, gaps per stream, coupling.

:func:`build_features` is the only entry point the scripts use. Every column is
described in :data:`CATALOGUE` (name, unit, formula); ``python -m features.build``
prints that catalogue as the Markdown table kept in ``docs/features.md``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from features import gaps as gp
from features import schedule as sch
from features import timeofday as tod
from features import volume as vol
from features.grouped import (
    RANGE_EVENTS,
    Groups,
    ascending,
    distinct_sorted,
    divide,
    grouped_quantile,
    sorted_by,
    sorted_within,
    user_codes,
    user_ranges,
)

STREAMS: tuple[str, ...] = ("all", "search", "call", "message")
EVENT_TYPES: tuple[str, ...] = ("search", "call", "message")

#: (column, unit, meaning) for the per-stream gap columns, ``{s}`` = stream.
_GAP_COLUMNS: list[tuple[str, str, str]] = [
    ("{s}_n_gaps", "count", "number of gaps between consecutive {s} events"),
    ("{s}_gap_median_s", "s", "median gap"),
    (
        "{s}_gap_q75_s",
        "s",
        "upper quartile of the gaps: three in four come sooner (≥ 4 gaps)",
    ),
    ("{s}_gap_cv", "ratio", "coefficient of variation of gaps, σ/μ (≥ 2 gaps)"),
    (
        "{s}_gap_log_iqr",
        "ln ratio",
        "ln(q75/q25) of gaps: a spread that breaks do not inflate (≥ 4 gaps; a "
        "quartile under one tick of a coarse clock counts as 1 ms, or the upper "
        "one as a tick; under 1 ms as 1 ms)",
    ),
    (
        "{s}_burstiness",
        "[-1, 1]",
        "(σ−μ)/(σ+μ) of gaps: −1 regular, 0 Poisson, →1 bursty",
    ),
    (
        "{s}_mode_s",
        "s",
        "modal gap: mean of the gaps within ±10% of the gap with most company",
    ),
    (
        "{s}_mode_share",
        "share",
        "share of gaps within ±10% of the modal gap (≥ 4 gaps)",
    ),
    (
        "{s}_mean_over_mode",
        "ratio",
        "mean gap / modal gap (≈1 for a script that never skips)",
    ),
    (
        "{s}_period_s",
        "s",
        "fitted base period T (the modal gap or a low gap, or a divisor of "
        "either; LS-refined; ≤ 4 h; "
        "≥ 2 ticks of the timestamps' resolution)",
    ),
    (
        "{s}_rayleigh_r",
        "[0, 1]",
        "R = |mean exp(2πi·(g mod T)/T)| over in-run gaps (T/2 ≤ g ≤ 20T)",
    ),
    (
        "{s}_rayleigh_r2",
        "≤ 1",
        "unbiased R² at T, (nR² − 1)/(n − 1): the effect size, not its significance",
    ),
    (
        "{s}_rayleigh_logp",
        "-log10 p",
        "−log10 of the Šidák-corrected Rayleigh p-value at T",
    ),
    (
        "{s}_rhythm",
        "≤ 1",
        "rhythm strength: unbiased R² at T where the Rayleigh test is significant "
        "(p < 0.001), else 0; ≥ 7 in-run gaps",
    ),
    ("{s}_run_share", "share", "share of gaps that are in-run (T/2 ≤ g ≤ 20T)"),
    (
        "{s}_p_miss",
        "probability",
        "MLE of the missed-beat probability, 1 − 1/mean(round(g/T))",
    ),
    (
        "{s}_p_miss_mom",
        "probability",
        "method-of-moments miss probability, 1 − (3−√(1+4q))/2",
    ),
    ("{s}_jitter", "ratio", "std(g − m·T)/T over in-run gaps"),
]

CATALOGUE: list[tuple[str, str, str]] = [
    ("n_search", "count", "searches"),
    ("n_call", "count", "calls"),
    ("n_message", "count", "messages"),
    ("n_events", "count", "all events"),
    (
        "tenure_days",
        "days",
        "floor(days from signup to last action) + 1 (notebook's tenure)",
    ),
    ("search_per_day", "events/day", "n_search / tenure_days"),
    ("call_per_day", "events/day", "n_call / tenure_days"),
    ("message_per_day", "events/day", "n_message / tenure_days"),
    ("events_per_day", "events/day", "n_events / tenure_days"),
    ("share_search", "share", "n_search / n_events"),
    ("share_call", "share", "n_call / n_events"),
    ("share_message", "share", "n_message / n_events"),
    ("active_days", "days", "distinct UTC days with an event"),
    ("events_per_active_day", "events/day", "n_events / active_days"),
    ("max_events_hour", "count", "most events in one clock hour (UTC)"),
    ("max_events_day", "count", "most events in one UTC day"),
    (
        "max_minutes_hour",
        "count",
        "most distinct active minutes in one clock hour (UTC): sustained activity, "
        "which a burst of requests in a few seconds does not fill",
    ),
    (
        "minute_count_dispersion",
        "ratio",
        "variance of the events per active clock minute over a zero-truncated "
        "Poisson count's of the same mean: ≈ 1 memoryless, > 1 piled-up sessions, "
        "< 1 a steady pace (≥ 10 active minutes, ≥ 1.5 events per active minute)",
    ),
    ("first_action_delay_s", "s", "first event − signup"),
    (
        "night_share",
        "share",
        "share of events at 00:00–06:00 local time (≥ 3 active days)",
    ),
    (
        "night_share_lcb",
        "share",
        "Wilson 95% lower bound of the night share: an effect size that volume "
        "alone cannot inflate (≥ 3 active days)",
    ),
    ("active_hours", "count", "clock hours (UTC) holding at least one event"),
    (
        "night_hours_lcb",
        "share",
        "Wilson 95% lower bound of the share of active hours at 00:00–06:00 "
        "local time: a visit counts once, however many its actions (≥ 3 "
        "active days)",
    ),
    (
        "hour_entropy_bits",
        "bits",
        "entropy of the local hour-of-day histogram (max 4.585; ≥ 3 active days)",
    ),
    (
        "diurnal_r",
        "[0, 1]",
        "Rayleigh R of the local time of day (24 h period; ≥ 3 active days)",
    ),
    (
        "diurnal_r2",
        "≤ 1",
        "unbiased R² of the local time of day, (nR² − 1)/(n − 1); ≈0 around the "
        "clock (≥ 3 active days)",
    ),
    (
        "weekend_share",
        "share",
        "share of events on a local Saturday or Sunday (≥ 3 active days)",
    ),
    (
        "longest_awake_h",
        "h",
        "longest stretch of activity without a 3 h rest (≥ 2 events)",
    ),
    (
        "awake_active_h",
        "h",
        "most clock hours (UTC) with an event inside one stretch without a 3 h rest",
    ),
    (
        "active_run_h",
        "h",
        "most consecutive clock hours (UTC) each holding an event",
    ),
    (
        "awake_share",
        "share",
        "share of the events inside stretches without a 3 h rest longer than "
        "21 h: a night without sleep in weeks holds a few, a job that never "
        "rests all of its own (span > 21 h)",
    ),
    ("n_sessions", "count", "sessions: events after ≥ 30 min idle, or a first event"),
    (
        "single_event_sessions",
        "count",
        "sessions that hold one event alone (≥ 30 min idle before and after it)",
    ),
    (
        "single_event_share_lcb",
        "share",
        "Wilson 95% lower bound of single_event_sessions / n_sessions: a job "
        "that wakes, acts once and sleeps (≥ 4 sessions)",
    ),
    (
        "single_event_logp",
        "-log10 p",
        "how unlikely that many single-event sessions are for a person: "
        "−log10 P(Bin(n, 0.25) ≥ k) for k of n sessions (people in the simulator: "
        "2–4% of sessions; ≥ 4 sessions)",
    ),
    (
        "clock_day_share",
        "share",
        "Wilson 95% lower bound of the share of the other session starts (after "
        "≥ 30 min idle) within ±30 s of the best start's time of day; one such "
        "start is chance and counts 0 (≥ 4 starts on ≥ 3 days)",
    ),
    (
        "clock_day_starts",
        "count",
        "session starts at the best start's time of day (±30 s), itself included "
        "(where clock_day_share is defined)",
    ),
    (
        "clock_hour_share",
        "share",
        "the same folded on the hour: minute and second (≥ 4 starts in ≥ 3 "
        "hours; on a clock of whole minutes, the minute)",
    ),
    (
        "clock_hour_starts",
        "count",
        "session starts at the best start's minute and second of the hour (±30 s)",
    ),
    (
        "clock_day_logp",
        "-log10 p",
        "how unlikely clock_day_starts is by chance: n · P(Bin(n − 1, 1/60) ≥ k) "
        "for k other of n starts within ±30 s of the best (a person's starts "
        "fall anywhere in an hour of the day at least); 0 where that passes 1",
    ),
    (
        "clock_hour_logp",
        "-log10 p",
        "the same for clock_hour_starts",
    ),
    ("daily_count_cv", "ratio", "CV of event counts over active days (≥ 2 days)"),
    (
        "pace_fano_ub",
        "ratio",
        "upper 95% bound of the variance over the mean of the events per 10-minute "
        "window inside stretches of activity of 3 h or more (empty windows "
        "counted, the partly filled windows of a stretch's first and last events "
        "not), a page's requests counted once (≤ 1 s apart, on clocks of 1 s "
        "or finer): ≈1 memoryless, <1 a steady job, whatever the volume; people's "
        "sessions bunch their actions (≥ 20 windows, ≥ 20 pages)",
    ),
    *[
        (
            name.format(s=s),
            unit,
            text.format(s="" if s == "all" else s).replace("  ", " "),
        )
        for s in STREAMS
        for name, unit, text in _GAP_COLUMNS
    ],
    (
        "lag_median_s",
        "s",
        "median lag from the latest search to each call, within 1 h; searches "
        "and calls counted by page (requests of a stream ≤ 1 s apart are one "
        "page, on clocks of 1 s or finer) (≥ 5 lags)",
    ),
    ("lag_cv", "ratio", "CV of those search → call lags (≥ 5 lags)"),
    (
        "lag_mode_share",
        "share",
        "share of those lags within ±10% (at most ±30 s) of the modal lag (≥ 5 lags)",
    ),
    (
        "lag_mode_share_lcb",
        "share",
        "Wilson 95% lower bound of the share of lags at the modal lag (≥ 5 lags)",
    ),
    (
        "lag_mode_chance_logp",
        "-log10 p",
        "how unlikely the lags at the modal lag are by chance: n · P(Bin(n − 1, "
        "0.1) ≥ k) for k other of n lags in its window (a person's lags spread "
        "too widely to put more than a tenth in one); 0 where that passes 1 "
        "(≥ 5 lags)",
    ),
    (
        "followed_share",
        "share",
        "share of search pages followed by a call within 1 h",
    ),
]
COLUMNS: list[str] = [c[0] for c in CATALOGUE]

#: Significance a rhythm must reach before its strength counts (``{s}_rhythm``).
RHYTHM_P = 1e-3
#: In-run gaps a rhythm needs to be measured at all: the least at which even a
#: perfect one (R = 1) can pass :data:`RHYTHM_P` (n = 7: p = 6.7e-5, 2.7e-4
#: Šidák-corrected for 4 candidate periods; n = 6: 1.3e-3). World benchmark
#: (from 10, with the p-value of :func:`features.gaps.rayleigh_pvalue` that
#: stays positive): one_day 0.88 / 0.82 → 0.89 / 0.83, the rest within 0.01.
RHYTHM_MIN_GAPS = 7
#: Gaps a spread or a share of gaps needs (``{s}_gap_log_iqr``,
#: ``{s}_mode_share``): two gaps of a minute each are no "regular" user, and
#: a person's handful of events put them in a whole-minute clock's same bin.
SHAPE_MIN_GAPS = 4


def build_features(
    events: pd.DataFrame, signups: pd.DataFrame, now_ms: int | None = None
) -> pd.DataFrame:
    """Build the feature table, one row per user.

    Parameters
    ----------
    events : DataFrame
        ``user_id`` (int), ``event`` (search/call/message), ``ts_ms`` (int, ms
        since the epoch UTC). Any order.
    signups : DataFrame
        ``user_id``, ``country_code``, ``signup_ms`` (one row per user), and
        optionally ``time_zone`` (an IANA name or a UTC offset; where given it
        overrides the country's zone).
    now_ms : int, optional
        Unused by the statistics themselves (they depend only on the events);
        accepted so that callers state the present explicitly. Events after it
        are rejected.

    Returns
    -------
    DataFrame
        Index ``user_id`` (sorted), the columns of :data:`COLUMNS` as float64.
        Every user in ``signups`` or ``events`` has a row; a statistic that is
        undefined for a user is NaN.

    More than :data:`~features.grouped.RANGE_EVENTS` events are built range of
    users by range (:func:`build_features_in_parts`): the same result, in
    bounded memory, and faster (arrays that fit in cache).
    """
    ts = events["ts_ms"].to_numpy(np.int64)
    if now_ms is not None and ts.size and ts.max() > now_ms:
        raise ValueError(f"events: {int((ts > now_ms).sum())} events are after now_ms")
    if len(events) > RANGE_EVENTS:
        uid = events["user_id"].to_numpy(np.int64)
        if not ascending(uid):
            events = events.iloc[np.argsort(uid, kind="stable")]
        return build_features_in_parts(events, signups, max_events=RANGE_EVENTS)
    return _build_range(events, signups)


def _build_range(events: pd.DataFrame, signups: pd.DataFrame) -> pd.DataFrame:
    """:func:`build_features` in one pass over all the events given."""
    uid = events["user_id"].to_numpy(np.int64)
    ts = events["ts_ms"].to_numpy(np.int64)
    kind = _event_codes(events["event"])
    users, code = user_codes(uid, signups["user_id"].to_numpy(np.int64))
    n = users.size
    if not sorted_by(code, ts):
        order = np.lexsort((ts, code))  # logs from load_logs arrive sorted
        code, ts, kind = code[order], ts[order], kind[order]
    groups = Groups(code, n)

    sign = np.full(n, np.nan)
    country = np.full(n, "", dtype=object)
    spos = np.searchsorted(users, signups["user_id"].to_numpy(np.int64))
    sign[spos] = signups["signup_ms"].to_numpy(np.float64)
    country[spos] = tod.country_codes(signups["country_code"].to_numpy(dtype=object))
    if "time_zone" in signups.columns:  # a user's own zone overrides the country
        own = signups["time_zone"].fillna("").astype(str).to_numpy(dtype=object)
        country[spos] = np.where(own != "", own, country[spos])

    out: dict[str, np.ndarray] = {}
    counts = np.bincount(code * 3 + kind, minlength=n * 3).reshape(n, 3).astype(float)
    total = counts.sum(axis=1)
    first = np.full(n, np.nan)
    last = np.full(n, np.nan)
    if ts.size:
        first_idx = groups.starts()
        has = total > 0
        first[has] = ts[first_idx[has]]
        last[has] = ts[first_idx[has] + total[has].astype(np.int64) - 1]
    anchor = np.where(np.isfinite(sign), sign, first)
    tenure = vol.tenure_days(anchor, last)
    for j, name in enumerate(EVENT_TYPES):
        out[f"n_{name}"] = counts[:, j]
    out["n_events"] = total
    out["tenure_days"] = tenure
    for j, name in enumerate(EVENT_TYPES):
        out[f"{name}_per_day"] = vol.rate_per_day(counts[:, j], tenure)
    out["events_per_day"] = vol.rate_per_day(total, tenure)
    for j, name in enumerate(EVENT_TYPES):
        out[f"share_{name}"] = divide(counts[:, j], total)
    active = vol.active_days(ts, groups)
    out["active_days"] = active
    out["events_per_active_day"] = divide(total, active)
    hours = vol.window_runs(ts, groups, vol.HOUR_MS)  # for the peak and the clock
    out["max_events_hour"] = vol.counts_per_window(ts, groups, vol.HOUR_MS, hours)
    out["max_events_day"] = vol.counts_per_window(ts, groups, vol.DAY_MS)
    minutes = vol.window_runs(ts, groups, vol.MINUTE_MS)  # once for both
    out["max_minutes_hour"] = vol.active_minutes_per_hour(ts, groups, minutes)
    out["minute_count_dispersion"] = vol.minute_count_dispersion(ts, groups, minutes)
    out["first_action_delay_s"] = (first - sign) / 1000.0

    local = tod.local_time_ms(ts, country, groups)
    hist = tod.hour_histogram(local, groups)
    # a daily clock needs days: on fewer, a few hours of activity look like a
    # perfect routine (or a flat clock) and say nothing either way
    days_ok = active >= tod.MIN_ACTIVE_DAYS
    clock = {
        "night_share": tod.night_share(hist),
        "night_share_lcb": sch.share_lower_bound(
            tod.night_count(hist), hist.sum(axis=1)
        ),
        "hour_entropy_bits": tod.hour_entropy_bits(hist),
        "diurnal_r": tod.diurnal_r(local, groups),
    }
    clock["diurnal_r2"] = tod.unbiased_r2(clock["diurnal_r"], total)
    hour_local, hour_groups = tod.active_hours(ts, local, groups, hours)
    out["active_hours"] = hour_groups.count()
    night = tod.night_count(tod.hour_histogram(hour_local, hour_groups))
    clock["night_hours_lcb"] = sch.share_lower_bound(night, out["active_hours"])
    clock["weekend_share"] = tod.weekend_share(local, groups)
    for name, values in clock.items():
        out[name] = np.where(days_ok, values, np.nan)
    out["daily_count_cv"] = vol.daily_count_cv(ts, groups)
    # a page's requests are one action: a page that reloads itself every 15
    # minutes puts 0 or 1 loads in a window, steady, but 0 or 20 requests,
    # bunched as a person's sessions (bench_unseen: 0.47 → 1.00 of those pages
    # inside the budget; every world of bench_worlds the same or better)
    tick_ms = gp.clock_tick_ms(ts, groups)
    page = gp.page_starts(ts, groups, tick_ms)
    out["pace_fano_ub"] = vol.pace_fano_ub(ts[page], groups.subset(page), sch.REST_MS)
    out["longest_awake_h"] = sch.longest_awake_h(ts, groups)
    out["awake_active_h"] = sch.awake_active_h(ts, groups)
    out["active_run_h"] = sch.longest_active_run_h(ts, groups)
    out["awake_share"] = sch.awake_share(ts, groups)
    starts, start_groups = sch.session_starts(ts, groups)
    out["n_sessions"] = start_groups.count()
    single = sch.single_event_sessions(ts, groups)
    enough = out["n_sessions"] >= sch.MIN_SESSIONS
    out["single_event_sessions"] = single
    out["single_event_share_lcb"] = np.where(
        enough, sch.share_lower_bound(single, out["n_sessions"]), np.nan
    )
    out["single_event_logp"] = sch.single_event_logp(single, out["n_sessions"])
    # on a clock of whole minutes the ±30 s window holds the start's minute
    # alone: one of the hour's 60, the chance level the p-value assumes
    for fold, ms in (("day", sch.DAY_MS), ("hour", sch.HOUR_MS)):
        k, n_starts, ok = sch.clock_company(starts, start_groups, ms)
        out[f"clock_{fold}_share"] = sch.company_share(k, n_starts, ok)
        out[f"clock_{fold}_starts"] = np.where(ok, k + 1, np.nan)
        out[f"clock_{fold}_logp"] = sch.company_logp(k, n_starts, ok)

    per_stream = {"all": (ts, groups)}
    for j, name in enumerate(EVENT_TYPES):
        keep = kind == j
        per_stream[name] = (ts[keep], groups.subset(keep))
    for stream in STREAMS:
        tick = tick_ms if stream == "all" else None  # all events': known already
        out.update(_gap_columns(stream, *per_stream[stream], tick_ms=tick))

    # a page's further requests repeat its call's lag: each page counts once
    pages = {}
    for name in ("search", "call"):
        t, g = per_stream[name]
        first = gp.page_starts(t, g, tick_ms)
        pages[name] = (t[first], g.subset(first))
    coupling = gp.search_to_call_lag(*pages["search"], *pages["call"], unit_s=1e-3)
    out["lag_median_s"] = coupling.lag_median_s
    out["lag_cv"] = coupling.lag_cv
    out["lag_mode_share"] = coupling.lag_mode_share
    out["lag_mode_share_lcb"] = sch.share_lower_bound(
        coupling.lag_mode_share * coupling.n_lags, coupling.n_lags
    )
    n_lags = np.nan_to_num(coupling.n_lags, nan=0.0)
    out["lag_mode_chance_logp"] = sch.company_logp(
        np.round(np.nan_to_num(coupling.lag_mode_share) * n_lags) - 1,
        n_lags,
        n_lags > 0,
        chance=gp.LAG_CHANCE,
    )
    out["followed_share"] = coupling.followed_share

    frame = pd.DataFrame(out, index=pd.Index(users, name="user_id"))
    return frame[COLUMNS].astype(np.float64)


def build_features_in_parts(
    events: pd.DataFrame,
    signups: pd.DataFrame,
    *,
    max_events: int = RANGE_EVENTS,
    progress: bool = False,
) -> pd.DataFrame:
    """:func:`build_features` over contiguous ranges of users, for bounded memory.

    Every statistic depends only on one user's events, so the concatenated
    parts equal one call on everything (tested). ``events`` must be sorted by
    ``user_id`` (as :func:`features.io.load_logs` returns them); ranges hold
    about ``max_events`` events each. ``progress`` shows a bar per range.
    """
    uid = events["user_id"].to_numpy(np.int64)
    if not ascending(uid):
        raise ValueError("events must be sorted by user_id")
    sign_uid = signups["user_id"].to_numpy(np.int64)
    users = np.union1d(sign_uid, distinct_sorted(uid))
    parts = user_ranges(uid, users, max_events)
    if len(parts) == 1:
        return _build_range(events, signups)
    from tqdm import tqdm

    sign_order = np.argsort(sign_uid, kind="stable")
    sign_sorted = sign_uid[sign_order]
    out = []
    for u_lo, u_hi, e_lo, e_hi in tqdm(
        parts, desc="features", unit="part", disable=not progress
    ):
        lo, hi = users[u_lo], users[u_hi - 1]
        s_lo = np.searchsorted(sign_sorted, lo, side="left")
        s_hi = np.searchsorted(sign_sorted, hi, side="right")
        out.append(
            _build_range(events.iloc[e_lo:e_hi], signups.iloc[sign_order[s_lo:s_hi]])
        )
    return pd.concat(out)


def _event_codes(event: pd.Series) -> np.ndarray:
    cat = pd.Categorical(event, categories=list(EVENT_TYPES))
    codes = np.asarray(cat.codes, dtype=np.int64)
    if (codes < 0).any():
        bad = sorted({str(v) for v in event[codes < 0][:1000]})[:5]
        raise ValueError(f"events: unknown event type(s) {bad}; expected {EVENT_TYPES}")
    return codes


def _gap_columns(
    stream: str, ts_ms: np.ndarray, groups: Groups, tick_ms: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    g_ms, gg = gp.gaps_of(ts_ms, groups)
    # every statistic below is blind to the order of a user's gaps, so sort them
    # once (whole ms pack into one integer key) for the mode and the quantiles
    g = sorted_within(g_ms, gg) / 1000.0
    mom = gp.gap_moments(g, gg)
    mode = gp.modal_gap(g, gg, presorted=True)
    # a period spans at least two ticks of the clock that wrote the times
    if tick_ms is None:
        tick_ms = gp.clock_tick_ms(ts_ms, groups)
    tick_s = tick_ms / 1000.0
    least = np.maximum(0.01, 2 * tick_s)
    fit = gp.fit_period(
        g,
        gg,
        mode.mode_s,
        min_period_s=least,
        tick_s=np.where(tick_ms > 1, tick_s, 0.0),
        low_s=gp.low_gap(g, gg, least, presorted=True),
    )
    logp = -np.log10(np.clip(fit.rayleigh_p_sidak, 1e-300, 1.0))
    return {
        f"{stream}_n_gaps": mom.n_gaps,
        f"{stream}_gap_median_s": grouped_quantile(g, gg, 0.5, presorted=True),
        f"{stream}_gap_q75_s": np.where(
            mom.n_gaps >= SHAPE_MIN_GAPS,
            grouped_quantile(g, gg, 0.75, presorted=True),
            np.nan,
        ),
        f"{stream}_gap_cv": mom.cv,
        f"{stream}_gap_log_iqr": _log_iqr(g, gg, tick_s),
        f"{stream}_burstiness": mom.burstiness,
        f"{stream}_mode_s": mode.mode_s,
        f"{stream}_mode_share": np.where(
            mom.n_gaps >= SHAPE_MIN_GAPS, mode.mode_share, np.nan
        ),
        f"{stream}_mean_over_mode": mode.mean_over_mode,
        f"{stream}_period_s": fit.period_s,
        f"{stream}_rayleigh_r": fit.rayleigh_r,
        f"{stream}_rayleigh_r2": tod.unbiased_r2(fit.rayleigh_r, fit.n_in_run),
        f"{stream}_rayleigh_logp": np.where(
            np.isfinite(fit.rayleigh_p_sidak), logp, np.nan
        ),
        f"{stream}_rhythm": _rhythm(fit),
        f"{stream}_run_share": fit.run_share,
        f"{stream}_p_miss": fit.p_miss,
        f"{stream}_p_miss_mom": fit.p_miss_mom,
        f"{stream}_jitter": fit.jitter,
    }


def _rhythm(fit: gp.PeriodFit) -> np.ndarray:
    """Unbiased R² at the fitted period where the Rayleigh test is significant
    (Šidák p < :data:`RHYTHM_P`), else 0; NaN below :data:`RHYTHM_MIN_GAPS`
    in-run gaps. Volume only passes the gate; the evidence is the effect size."""
    r2 = tod.unbiased_r2(fit.rayleigh_r, fit.n_in_run)
    significant = fit.rayleigh_p_sidak < RHYTHM_P
    out = np.where(significant, np.maximum(r2, 0.0), 0.0)
    return np.where(fit.n_in_run >= RHYTHM_MIN_GAPS, out, np.nan)


def _log_iqr(g: np.ndarray, groups: Groups, tick_s: np.ndarray) -> np.ndarray:
    """ln(q75 / q25) of each user's gaps, ascending within users (≥
    :data:`SHAPE_MIN_GAPS` gaps). A gap under 1 ms counts as 1 ms. On a
    clock coarser than 1 ms (``tick_s``) a quartile under one tick is only
    known to lie under it: an upper one counts as one tick, a lower one as
    1 ms. So a busy user whose gaps are mostly 0 on a clock of whole minutes
    gets an unresolved spread (ln 60,000), not a perfectly regular 0, and so
    does a visit with a quarter of its gaps 0 on whole seconds."""
    q75 = grouped_quantile(g, groups, 0.75, presorted=True)
    q25 = grouped_quantile(g, groups, 0.25, presorted=True)
    q75 = np.where(q75 < gp.MIN_GAP_S, np.maximum(tick_s, gp.MIN_GAP_S), q75)
    coarse = tick_s > gp.MIN_GAP_S * 1.5
    q25 = np.where(coarse & (q25 < tick_s * (1 - 1e-9)), 0.0, q25)
    out = np.log(q75 / np.maximum(q25, gp.MIN_GAP_S))
    return np.where(groups.count() >= SHAPE_MIN_GAPS, out, np.nan)


def catalogue_markdown() -> str:
    """The feature catalogue as a Markdown table."""
    lines = [
        "# Feature catalogue",
        "",
        "Generated by `python -m features.build`; one row per column of",
        "`build_features`. Times are UTC unless marked local; a statistic that is",
        "undefined for a user (too few events) is NaN.",
        "",
        "| column | unit | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{name}` | {unit} | {text} |" for name, unit, text in CATALOGUE]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(catalogue_markdown())
