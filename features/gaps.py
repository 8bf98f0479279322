"""Gap statistics of each user's event times, for all users at once.

With t₁ < … < tₙ a user's event times in seconds, the gaps are gᵢ = tᵢ₊₁ − tᵢ.
People are bursty: many short gaps inside sessions, long ones between, so the
spread of gaps is large (CV > 1). Scripts are regular, even when they skip beats:
a job every T seconds that sometimes misses has gaps gᵢ = mᵢ·T + uᵢ with mᵢ ≥ 1
(geometric) and small jitter uᵢ, so each gap sits near a whole number of periods.

Every function takes a flat array of values and a :class:`~features.grouped.Groups`
giving each value's user (sorted), and returns one value per user. A statistic that
is undefined for a user (too few gaps) is NaN.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from features.grouped import (
    Groups,
    divide,
    grouped_quantile,
    mean_resultant,
    run_starts,
    searchsorted_sorted,
    sorted_within,
)
from features.schedule import session_start_mask

#: Gaps below this are treated as this when a logarithm is taken (1 ms).
MIN_GAP_S = 1e-3
#: Widest half-window around a modal search → call lag (±10% below 300 s).
LAG_HALFWIDTH_S = 30.0
#: Chance that another of a person's lags falls within the modal lag's window
#: (±10%: 0.2 wide in ln lag): lags spread as a log-normal of σ ≥ 0.8 put at
#: most 0.2 / (σ √(2π)) = 10% of them in any such window.
LAG_CHANCE = 0.1


#: Requests of one stream at most this far apart (ms) belong to one page: a
#: browser fetches a page's parts in a burst, and the page is one action.
PAGE_MS = 1000


def page_starts(ts_ms: np.ndarray, groups: Groups, tick_ms: np.ndarray) -> np.ndarray:
    """Whether each event starts a page: the user's first event, or one more
    than :data:`PAGE_MS` after the user's previous event (times ascending within
    users). On a clock coarser than a page (``tick_ms``, per user, over
    :data:`PAGE_MS`) a gap of one tick may be a minute, so every event is one.

    Examples
    --------
    Times 0, 200, 900, 5000, 5400, 9000 ms of one user on a 1 ms clock →
    pages start at 0, 5000 and 9000. On whole minutes, every event starts one.
    """
    # a session's start rule with a page's idle: more than PAGE_MS in whole ms
    start = session_start_mask(ts_ms, groups, PAGE_MS + 1)
    return start | (tick_ms[groups.codes] > PAGE_MS)


def gaps_of(times_s: np.ndarray, groups: Groups) -> tuple[np.ndarray, Groups]:
    """Gaps between consecutive events of the same user.

    Parameters
    ----------
    times_s : event times in seconds, sorted within each user (or integer times
        in any unit: integer gaps come back as integers, in that unit).
    groups : the user of each event (sorted).

    Returns
    -------
    gaps_s, gap_groups
        One gap per consecutive pair of a user's events (n−1 for n events), and the
        user of each gap.

    Examples
    --------
    Times 5, 10, 15, 25, 30 of one user give gaps 5, 5, 10, 5.
    """
    same = groups.codes[1:] == groups.codes[:-1]
    t = np.asarray(times_s)
    if not np.issubdtype(t.dtype, np.integer):
        t = t.astype(np.float64, copy=False)
    return np.diff(t)[same], Groups(groups.codes[1:][same], groups.n)


@dataclasses.dataclass
class GapMoments:
    """Moments of each user's gaps (seconds); see :func:`gap_moments`."""

    n_gaps: np.ndarray
    mean_s: np.ndarray
    std_s: np.ndarray
    cv: np.ndarray
    burstiness: np.ndarray


def gap_moments(gaps_s: np.ndarray, groups: Groups, min_gaps: int = 2) -> GapMoments:
    """Count, mean, std, coefficient of variation and burstiness of the gaps.

    - mean μ = Σg/n; std σ = √(Σ(g−μ)²/n) (population form);
    - CV = σ/μ;
    - burstiness B = (σ−μ)/(σ+μ): −1 perfectly regular, 0 Poisson, → 1 bursty
      (Goh & Barabási 2008).

    std, CV and B need at least ``min_gaps`` gaps (else NaN); mean needs one.

    Examples
    --------
    Gaps 5, 5, 10, 5: μ = 6.25, σ = 2.165, CV = 0.3464, B = −0.4853.
    """
    n = groups.count()
    mean = groups.mean(gaps_s)
    dev = gaps_s - mean[groups.codes]
    std = np.sqrt(groups.mean(dev * dev))
    enough = n >= min_gaps
    std = np.where(enough, std, np.nan)
    return GapMoments(
        n_gaps=n,
        mean_s=mean,
        std_s=std,
        cv=divide(std, mean),
        burstiness=divide(std - mean, std + mean),
    )


@dataclasses.dataclass
class ModalGap:
    """The most common gap of each user; see :func:`modal_gap`."""

    mode_s: np.ndarray
    mode_share: np.ndarray
    mean_over_mode: np.ndarray


def sort_gaps(gaps_s: np.ndarray, groups: Groups) -> np.ndarray:
    """Order sorting gaps ascending within each user, for the functions below.

    Sorts one float key, user·64 + ln(max(g, 1 µs)): ln-gaps span less than 64,
    so users stay apart, and the key resolves gaps that differ by more than a
    relative 1e-8 (gaps closer than that, or under 1 µs, may tie).
    """
    g = np.maximum(np.asarray(gaps_s, dtype=np.float64), 1e-6)
    return np.argsort(_log_key(g, groups), kind="stable")


def modal_gap(
    gaps_s: np.ndarray,
    groups: Groups,
    tol: float = 0.1,
    presorted: bool = False,
    max_halfwidth_s: float | None = None,
) -> ModalGap:
    """The gap with the most company, and how much company it has.

    For each gap g of a user, count that user's gaps in [g·(1−tol), g·(1+tol)].
    The *mode* is the mean of the gaps in the window of the gap with the largest
    count (the smallest such gap on ties); ``mode_share`` is that count over the
    number of gaps; ``mean_over_mode`` is mean gap / mode (the notebook's "mean
    within 10% of the mode" test, as a number: a script that never misses has
    ≈ 1). Gaps under 1 ms count as 1 ms. Needs one gap. ``presorted`` says the
    gaps are already ascending within each user (else :func:`sort_gaps` sorts
    them). ``max_halfwidth_s`` caps the window's half-width at so many seconds:
    [g − w, g + w] with w = min(tol·g, cap).

    Examples
    --------
    Gaps 5, 5, 10, 5 → mode 5 s, share 0.75, mean/mode 1.25.
    """
    g = np.maximum(np.asarray(gaps_s, dtype=np.float64), MIN_GAP_S)
    out = ModalGap(*(np.full(groups.n, np.nan) for _ in range(3)))
    if g.size == 0:
        return out
    gs = g if presorted else g[sort_gaps(gaps_s, groups)]
    cs = groups.codes  # sorting within users leaves the user codes in place
    key = _log_key(gs, groups)
    # the window edges, widened by a few ulps of the key so that gaps exactly
    # on an edge stay inside however large the user codes make the key
    slack = max(1e-9, 4 * float(np.spacing(key[-1])))
    if max_halfwidth_s is None:
        lo_edge = key + np.log1p(-tol)
        hi_edge = key + np.log1p(tol)
    else:  # both edges still rise with the gap: the searches stay sorted
        w = np.minimum(tol * gs, max_halfwidth_s)
        lo_edge = key + np.log1p(-w / gs)
        hi_edge = key + np.log1p(w / gs)
    lo = searchsorted_sorted(key, lo_edge - slack, side="left")
    hi = searchsorted_sorted(key, hi_edge + slack, side="right")
    company = (hi - lo).astype(np.float64)
    most = groups.max(company)
    # first (smallest) gap of each user whose company equals the user's most
    hit = np.flatnonzero(company == most[cs])
    first = hit[run_starts(cs[hit])]
    centre = np.full(groups.n, np.nan)
    centre[cs[first]] = gs[first]
    ce = centre[cs]
    half = tol * ce
    if max_halfwidth_s is not None:
        half = np.minimum(half, max_halfwidth_s)
    inside = np.abs(gs - ce) <= half * (1 + 1e-9)
    sub = groups.subset(inside)
    out.mode_s = sub.mean(gs[inside])
    out.mode_share = divide(sub.count(), groups.count())
    out.mean_over_mode = divide(groups.mean(g), out.mode_s)
    return out


def _log_key(gaps_s: np.ndarray, groups: Groups) -> np.ndarray:
    """user·64 + 16 + ln(gap): ascending when the gaps are ascending within users.

    ln-gaps of 1 µs … 30 years span less than 64, so users stay apart.
    """
    return groups.codes * 64.0 + (np.log(gaps_s) + 16.0)


def rayleigh_r(values: np.ndarray, period: np.ndarray, groups: Groups) -> np.ndarray:
    """Mean resultant length of each user's values folded at the user's period.

    Phases φ = 2π·(x mod T)/T (the mod is implicit in cos and sin);
    R = |mean e^{iφ}| ∈ [0, 1]: 1 when every value is a whole number of periods,
    ≈ 0 when the phases are uniform (accurate to about 1e-7, see
    :func:`~features.grouped.mean_resultant`). NaN where the period is not finite
    and positive or the user has no values.

    Examples
    --------
    Gaps 5, 5, 10, 5 at T = 5 → R = 1.
    """
    t = np.asarray(period, dtype=np.float64)[groups.codes]
    ok = np.isfinite(t) & (t > 0)
    x = np.asarray(values, dtype=np.float64)
    return mean_resultant(x[ok] / t[ok], groups.subset(ok))


def rayleigh_pvalue(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """p-value of the Rayleigh test of uniformity from R and the sample size n.

    With R_n = n·R: p = exp(√(1 + 4n + 4(n² − R_n²)) − (1 + 2n)) for n < 50
    (Zar's approximation, Biostatistical Analysis eq. 27.4), and p = e^{−Z},
    Z = n·R², from 50 on. Zar's never goes negative: the small-sample series
    e^{−Z}(1 + (2Z − Z²)/(4n) − …) does for n ≤ 10 and R near 1 (it read 0 —
    "certain" — for six gaps in step), and at n = 10, R = 0.9 it gives 4.6e-7
    where 2e-5 of uniform samples reach that R; Zar's gives 3.8e-5, on the
    safe side (tests: against a simulation). Clipped to [0, 1]; NaN where
    n < 1.

    Examples
    --------
    n = 6, R = 1 → exp(√25 − 13) = e^{−8} = 3.4e-4.
    """
    r = np.asarray(r, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = n * r * r
    rn = n * r
    with np.errstate(invalid="ignore", over="ignore"):
        small = np.exp(
            np.sqrt(1.0 + 4.0 * n + 4.0 * (n * n - rn * rn)) - (1.0 + 2.0 * n)
        )
    p = np.where(n < 50, small, np.exp(-z))
    return np.where(n >= 1, np.clip(p, 0.0, 1.0), np.nan)


@dataclasses.dataclass
class PeriodFit:
    """The fitted base period of each user; see :func:`fit_period`."""

    period_s: np.ndarray
    rayleigh_r: np.ndarray
    rayleigh_z: np.ndarray
    rayleigh_p: np.ndarray
    rayleigh_p_sidak: np.ndarray
    n_in_run: np.ndarray
    run_share: np.ndarray
    p_miss: np.ndarray
    p_miss_mom: np.ndarray
    jitter: np.ndarray


#: Clock ticks :func:`clock_tick_ms` recognises, in ms (finest first).
TICKS_MS: tuple[int, ...] = (10, 100, 1000, 60_000)


def clock_tick_ms(ts_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """The coarsest clock tick that divides every one of a user's times, in ms.

    1 for millisecond timestamps, 1000 when a user's times are whole seconds,
    60,000 for whole minutes (of :data:`TICKS_MS`); 1 for a user without times.
    Logs written at a coarse resolution put every gap on that lattice, which a
    period search must not mistake for a schedule.

    Examples
    --------
    Times 2,000, 5,000 and 9,000 ms → 1000; 2,000, 5,000 and 9,250 → 10.
    """
    x = np.mod(np.asarray(ts_ms, dtype=np.int64), TICKS_MS[-1]).astype(np.int32)
    has = groups.count() > 0
    out = np.ones(groups.n)
    for tick in TICKS_MS:
        off = groups.sum(x % tick != 0)  # times off this tick, per user
        out = np.where(has & (off == 0), float(tick), out)
    return out


#: A gap shorter than this share of the period is no beat of it: a repeat
#: inside one tick of the clock (a zero gap) or a second event of one run.
#: Folded at any period a zero gap lands on phase 0, in step with every
#: beat, so a bursty user's piled-up gaps would read as a schedule.
BEAT_FLOOR = 0.5


#: Quantile of a user's gaps that the period search tries too, divided as
#: the modal gap is (:func:`low_gap`, :func:`fit_period`).
LOW_GAP_QUANTILE = 0.1


def low_gap(
    gaps_s: np.ndarray,
    groups: Groups,
    least_s: float | np.ndarray,
    presorted: bool = False,
) -> np.ndarray:
    """Each user's :data:`LOW_GAP_QUANTILE` of gaps at least ``least_s`` long,
    the gap at that rank (per user or one value; NaN without such gaps). A
    script that skips most of its beats (geometric multiples m with
    P(m = 1) = 1 − p_miss) has its modal gap at any of the first multiples
    of its period — nearly as likely each at p_miss 0.9 — but a tenth of its
    gaps at one period and more within four: its low gaps are one to four
    periods. ``presorted``: gaps ascending within users.

    Examples
    --------
    Gaps 60, 120, 180, …, 600 s (one each) → 60 s (the first of ten: the
    10th percentile, read as a gap, not between two); with ``least_s`` 100,
    gaps under 100 s are left out → 120 s.
    """
    g = np.asarray(gaps_s, dtype=np.float64)
    least = np.broadcast_to(np.asarray(least_s, dtype=np.float64), (groups.n,))
    spans = g >= least[groups.codes]
    # a gap itself (the order statistic), not a blend of two: a blend of m
    # and m + 1 periods is no multiple of the period
    return grouped_quantile(
        g[spans],
        groups.subset(spans),
        LOW_GAP_QUANTILE,
        presorted=presorted,
        interpolate=False,
    )


def fit_period(
    gaps_s: np.ndarray,
    groups: Groups,
    mode_s: np.ndarray,
    *,
    divisors: tuple[int, ...] = (1, 2, 3, 4),
    min_period_s: float | np.ndarray = 0.01,
    max_period_s: float = 4 * 3600.0,
    max_multiple: int = 20,
    min_gaps: int = 3,
    tick_s: float | np.ndarray = 0.0,
    low_s: np.ndarray | None = None,
) -> PeriodFit:
    """Fit a base period T that survives missed beats, and test it.

    1. Candidates are the modal gap divided by each of ``divisors`` (a script that
       misses beats still has its modal gap at T, since m = 1 is the most likely
       multiple) and, given ``low_s`` (:func:`low_gap`), that low gap divided
       by each of them too: where most beats are missed, m = 1 is likely by a
       hair, the modal gap lands on any of the first multiples, and a low gap
       is one to four periods. Candidates outside [``min_period_s``,
       ``max_period_s``] are not tried: the daily rhythm (24 h) belongs to
       time-of-day features, and searching it here would make every person
       with a routine look like a script. ``min_period_s`` may be one value
       per user (see :func:`clock_tick_ms`: on whole-second timestamps every
       gap is a whole number of seconds, so a candidate of 1 s or ½ s folds
       any gaps to R = 1).
    2. Only *in-run* gaps are used: those up to ``max_multiple`` modal gaps
       (longer ones are breaks between runs, not misses) and at least
       :data:`BEAT_FLOOR` of the period tried (shorter ones are no beat of it:
       a zero gap folds to phase 0 at any period). Each candidate is scored by
       the Rayleigh R of the in-run gaps folded at it; the best R wins, the
       larger period on ties (R within 1e-6).
    3. T is refined by least squares on g = m·T with m = max(1, round(g/T)), twice
       (over the gaps still at least half of T).
    4. At T, over the in-run gaps: Rayleigh R, Z = nR²
       and p (:func:`rayleigh_pvalue`), at least (T / tick)^(1 − n) where the
       clock that wrote the times ticks in ``tick_s`` (0: no floor): on such
       a clock the gaps fold to T / tick phases only, and chance puts n of
       them on one phase that often (two ticks: one in 2^(n − 1)); then
       Šidák-corrected for K candidates,
       p_K = 1 − (1 − p)^K; the miss probability by maximum likelihood,
       p_miss = 1 − 1/mean(m) (m geometric with P(m = 1) = 1 − p_miss); by the
       method of moments of the Q&A in the references, q = E[(g−ḡ)³]/ḡ³,
       p_hit = (3 − √(1 + 4q))/2, p_miss_mom = 1 − p_hit (clipped to [0, 1]; that
       formula returns the probability of a *hit*, checked by simulation in the
       tests); and the jitter std(g − m·T)/T.

    Everything is NaN for users with fewer than ``min_gaps`` gaps or no candidate.

    The p-value ranks users; it is not a calibrated test. Gaps comparable to T
    fold non-uniformly even without a schedule (a Poisson user's short gaps crowd
    the low phases, and T is fitted to the same gaps), so people often reach
    p ≈ 0.01–0.001; schedules reach p < 1e-10 (see the tests).

    Examples
    --------
    Times 5, 10, 15, 25, 30 → T = 5, R = 1, p_miss = 0.2 (one missed beat in the
    five beats of four gaps), jitter 0.
    """
    g = np.asarray(gaps_s, dtype=np.float64)
    n = groups.count()
    mode = np.where(n >= min_gaps, mode_s, np.nan)
    # in-run gaps: up to max_multiple modal gaps (NaN modes compare False)
    in_run = g <= max_multiple * mode[groups.codes]
    run = groups.subset(in_run)
    gr = g[in_run]
    cycles = gr / mode[run.codes]  # each gap in modal gaps
    best_r = np.full(groups.n, -1.0)
    period = np.full(groups.n, np.nan)
    tried = np.zeros(groups.n)
    cands = [mode / k for k in divisors]
    if low_s is not None:
        low = np.where(n >= min_gaps, low_s, np.nan)
        cands += [low / k for k in divisors]
    for cand in cands:
        k = mode / cand  # the candidate's beats per modal gap
        valid = np.isfinite(cand) & (cand >= min_period_s) & (cand <= max_period_s)
        phase = k[run.codes] * cycles
        beats = phase >= BEAT_FLOOR
        r = mean_resultant(phase[beats], run.subset(beats))
        # R is good to ~1e-7 (float32 phases): nearer than 1e-6 is a tie
        better = valid & np.isfinite(r) & (r > best_r + 1e-6)
        best_r = np.where(better, r, best_r)
        period = np.where(better, cand, period)
        tried += valid
    for _ in range(2):  # least squares on g = m·T, m = max(1, round(g/T))
        fold = gr / period[run.codes]
        beats = fold >= BEAT_FLOOR
        m = np.maximum(1.0, np.rint(fold[beats]))
        sub = run.subset(beats)
        period = divide(sub.sum(m * gr[beats]), sub.sum(m * m))
    # the fit may slide under the least period (gaps of one and two ticks pull
    # a two-tick candidate to one): a lattice of the clock, not a schedule
    period = np.where(period >= min_period_s, period, np.nan)
    beats = gr >= BEAT_FLOOR * period[run.codes]  # NaN periods compare False
    run = run.subset(beats)
    gr = gr[beats]
    u = gr / period[run.codes]
    m = np.maximum(1.0, np.rint(u))
    n_run = np.where(np.isfinite(period), run.count(), np.nan)
    resid = u - m  # the gap's offset from m periods, in periods
    r = mean_resultant(u, run)
    p = rayleigh_pvalue(r, n_run)
    phases = divide(period, tick_s)  # NaN without a tick (0) or a period
    lattice = np.isfinite(phases)
    floor = np.exp((1.0 - n_run[lattice]) * np.log(np.maximum(phases[lattice], 1.0)))
    p[lattice] = np.maximum(p[lattice], floor)
    k_tried = np.maximum(tried, 1)
    p_sidak = -np.expm1(k_tried * np.log1p(-np.minimum(p, 1 - 1e-16)))
    rmean = run.mean(resid)
    dev = resid - rmean[run.codes]
    jitter = np.sqrt(run.mean(dev * dev))
    gmean = run.mean(gr)
    dev = gr - gmean[run.codes]
    q = divide(run.mean(dev * dev * dev), gmean**3)
    p_hit = np.clip((3.0 - np.sqrt(np.maximum(1.0 + 4.0 * q, 0.0))) / 2.0, 0.0, 1.0)
    none = ~np.isfinite(period)
    out = PeriodFit(
        period_s=period,
        rayleigh_r=r,
        rayleigh_z=n_run * r * r,
        rayleigh_p=p,
        rayleigh_p_sidak=p_sidak,
        n_in_run=n_run,
        run_share=divide(n_run, n),
        p_miss=1.0 - 1.0 / run.mean(m),
        p_miss_mom=1.0 - p_hit,
        jitter=jitter,
    )
    for f in dataclasses.fields(out):
        getattr(out, f.name)[none] = np.nan
    return out


@dataclasses.dataclass
class Coupling:
    """How a user's calls follow their searches; see :func:`search_to_call_lag`."""

    lag_median_s: np.ndarray
    lag_cv: np.ndarray
    lag_mode_share: np.ndarray
    n_lags: np.ndarray
    followed_share: np.ndarray


def call_lags(
    search_t: np.ndarray,
    search_groups: Groups,
    call_t: np.ndarray,
    call_groups: Groups,
    max_lag: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each call's lag since the same user's latest search at or before it.

    Times in any one unit, ascending within users; ``max_lag`` in that unit.
    Returns the lag of every call (in call order) and whether it counts: the
    call has such a search, no more than ``max_lag`` before it.

    Examples
    --------
    Searches at 0, 50, 100 and calls at 10, 110, 500 with ``max_lag`` 300 →
    lags 10, 10, 400; the last does not count.
    """
    if call_t.size == 0 or search_t.size == 0:
        return np.zeros(call_t.size), np.zeros(call_t.size, dtype=bool)
    ckey, skey = _user_time_keys(search_t, search_groups, call_t, call_groups, max_lag)
    back = searchsorted_sorted(skey, ckey, side="right") - 1
    idx_s = np.maximum(back, 0)
    same = (back >= 0) & (search_groups.codes[idx_s] == call_groups.codes)
    lag = call_t - search_t[idx_s]
    return lag, same & (lag <= max_lag)


def _user_time_keys(
    search_t: np.ndarray,
    search_groups: Groups,
    call_t: np.ndarray,
    call_groups: Groups,
    max_lag: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One ascending key per call and per search: user code · span + time, the
    span wide enough that no lag of ``max_lag`` crosses from one user to the
    next."""
    t0 = min(search_t.min(), call_t.min())
    scale = float(max(search_t.max(), call_t.max()) - t0) + 2 * max_lag + 1.0
    ckey = call_groups.codes * scale + (call_t - t0)
    skey = search_groups.codes * scale + (search_t - t0)
    return ckey, skey


def search_to_call_lag(
    search_t: np.ndarray,
    search_groups: Groups,
    call_t: np.ndarray,
    call_groups: Groups,
    *,
    unit_s: float = 1.0,
    max_lag_s: float = 3600.0,
    min_lags: int = 5,
) -> Coupling:
    """The lag from a search to each call it leads to.

    Times are in units of ``unit_s`` seconds (seconds by default; ms since the
    epoch with ``unit_s=0.001``, whose whole-number lags sort faster); lags come
    back in seconds. Each call's lag is the time since the same user's latest
    search at or before it, where that search lies within ``max_lag_s``: a
    script calls a fixed time after the search it acts on, and its searches that
    lead to no call add no lag (counted from the search, each of those would add
    the random wait until the next call). Per user: the median lag, the CV of
    the lags (std/mean), the *lag mode share* — the share of lags within ±10%
    (at most ±30 s) of the modal lag (:func:`modal_gap`), robust where the CV is
    not — and the number of lags behind those: NaN below ``min_lags`` lags.
    Apart from the lags, the share of searches followed by a call within
    ``max_lag_s`` (needs one search).

    Examples
    --------
    Searches at 0, 100, 200 and calls at 10, 110, 210 → lags 10, 10, 10: median
    10 s, CV 0, lag mode share 1, followed share 1. Add searches at 50 and 150
    that lead to no call of their own: the lags stay 10, 10, 10 (counted from
    each search they would be 10, 60, 10, 60, 10).
    """
    n = search_groups.n
    if call_t.size == 0 or search_t.size == 0:
        nan = np.full(n, np.nan)
        share = np.where(search_groups.count() > 0, 0.0, np.nan)
        return Coupling(nan, nan.copy(), nan.copy(), nan.copy(), share)
    max_lag = max_lag_s / unit_s
    # followed share: does a call come within max_lag after each search?
    ckey, skey = _user_time_keys(search_t, search_groups, call_t, call_groups, max_lag)
    idx = searchsorted_sorted(ckey, skey, side="left")
    idx_c = np.minimum(idx, ckey.size - 1)
    same = (idx < ckey.size) & (call_groups.codes[idx_c] == search_groups.codes)
    followed = same & (call_t[idx_c] - search_t <= max_lag)
    n_followed = search_groups.subset(followed).count()
    lag, ok = call_lags(search_t, search_groups, call_t, call_groups, max_lag)
    sub = call_groups.subset(ok)
    # each statistic below is blind to the order of a user's lags: sort them
    # once for the median and the mode
    lags = sorted_within(lag[ok], sub) * unit_s
    count = sub.count()
    median = grouped_quantile(lags, sub, 0.5, presorted=True)
    mean = sub.mean(lags)
    dev = lags - mean[sub.codes]
    std = np.sqrt(sub.mean(dev * dev))
    enough = count >= min_lags
    # a script's lag wanders by seconds, a person's by minutes: the window
    # around a long lag is capped at ±30 s, as a wall-clock start's
    mode = modal_gap(lags, sub, presorted=True, max_halfwidth_s=LAG_HALFWIDTH_S)
    return Coupling(
        lag_median_s=np.where(enough, median, np.nan),
        lag_cv=np.where(enough, divide(std, mean), np.nan),
        lag_mode_share=np.where(enough, mode.mode_share, np.nan),
        n_lags=np.where(enough, count, np.nan),
        followed_share=divide(n_followed, search_groups.count()),
    )
