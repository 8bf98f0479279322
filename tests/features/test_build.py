"""The feature table: hand-worked users, NaN semantics, partition invariance."""

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from features import schedule as sch
from features import timeofday as tod
from features import volume as vol
from features.build import COLUMNS, build_features, catalogue_markdown
from features.grouped import Groups

H = 3_600_000
D = 86_400_000
T0 = 1_551_830_400_000  # 2019-03-06T00:00:00Z, a Wednesday


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "event", "ts_ms"])


def signups(*rows):
    return pd.DataFrame(rows, columns=["user_id", "country_code", "signup_ms"])


def test_tenure_matches_the_notebook_example():
    sign = pd.Timestamp("2019-03-18", tz="UTC").value // 1_000_000
    last = pd.Timestamp("2019-04-03 22:05", tz="UTC").value // 1_000_000
    assert vol.tenure_days(np.array([sign]), np.array([last]))[0] == 17


def test_counts_per_window_example():
    t = T0 + 10 * H + np.array([5, 20, 59, 61]) * 60_000
    g = Groups(np.zeros(4, np.int64), 1)
    assert vol.counts_per_window(t, g, H)[0] == 3


def test_daily_count_cv_examples():
    t = np.array([T0, T0 + 1, T0 + D, T0 + D + 1, T0 + 2 * D, T0 + 2 * D + 1])
    g = Groups(np.zeros(6, np.int64), 1)
    assert vol.daily_count_cv(t, g)[0] == pytest.approx(0)
    t2 = np.array([T0, T0 + D, T0 + D + 1, T0 + D + 2])
    assert vol.daily_count_cv(t2, Groups(np.zeros(4, np.int64), 1))[0] == 0.5


def test_local_time_uses_the_country_zone():
    noon = np.array([T0 + 12 * H] * 3)
    local = tod.local_time_ms(noon, np.array(["IT", "GB", "??"], dtype=object))
    np.testing.assert_array_equal((local - T0) // H, [13, 12, 12])


def test_hand_made_users():
    ev = frame(
        [
            # user 1 (IT): searches at 02:00 and 03:00 local (01:00, 02:00 UTC)
            (1, "search", T0 + 1 * H),
            (1, "search", T0 + 2 * H),
            (1, "call", T0 + 2 * H + 30_000),
            # user 2 (GB): one message only
            (2, "message", T0 + 20 * H),
        ]
    )
    sign = signups((1, "IT", T0 - 2 * D), (2, "GB", T0), (3, "SE", T0))
    F = build_features(ev, sign)
    assert list(F.index) == [1, 2, 3] and list(F.columns) == COLUMNS
    assert F.dtypes.eq(np.float64).all()
    u1, u2, u3 = F.loc[1], F.loc[2], F.loc[3]
    assert (u1.n_search, u1.n_call, u1.n_message, u1.n_events) == (2, 1, 0, 3)
    assert u1.tenure_days == 3  # floor(2.08 days) + 1
    assert u1.search_per_day == pytest.approx(2 / 3)
    assert u1.share_call == pytest.approx(1 / 3)
    assert u1.max_events_hour == 2 and u1.max_events_day == 3
    assert u1.first_action_delay_s == pytest.approx(2 * 86400 + 3600)
    # one active day: below the support of a daily clock, no evidence either way
    assert np.isnan(u1.night_share) and np.isnan(u1.diurnal_r2)
    assert u1.longest_awake_h == pytest.approx((3600 + 30) / 3600)  # 01:00–02:00:30
    assert u1.all_gap_median_s == pytest.approx((3600 + 30) / 2)
    assert np.isnan(u1.lag_median_s)  # fewer than 5 lags
    assert u1.followed_share == pytest.approx(0.5)  # 1st search's next call > 1 h
    # one event: counts are real zeros, gap statistics undefined (NaN)
    assert u2.n_message == 1 and u2.n_search == 0
    assert np.isnan(u2.all_gap_cv) and np.isnan(u2.message_period_s)
    # no events at all: still a row; counts 0, tenure 1, rates 0, shape NaN
    assert u3.n_events == 0 and u3.tenure_days == 1 and u3.events_per_day == 0
    assert np.isnan(u3.night_share) and np.isnan(u3.share_search)


def test_lag_share_bound_of_a_hand_made_harvester():
    # ten searches an hour apart; a call 20 s after six of them, and after
    # two others at 300 s and 900 s: 6 of 8 lags at the modal lag
    searches = T0 + np.arange(10) * H
    lags_ms = np.array([20, 20, 20, 20, 20, 20, 300, 900]) * 1000
    calls = searches[:8] + lags_ms
    ev = frame([(1, "search", t) for t in searches] + [(1, "call", t) for t in calls])
    f = build_features(ev, signups((1, "IT", T0))).loc[1]
    assert f.lag_mode_share == pytest.approx(6 / 8)
    assert f.lag_median_s == pytest.approx(20)
    assert f.followed_share == pytest.approx(8 / 10)
    # the Wilson bound at 95%, worked independently from its closed form
    from scipy.stats import norm

    z, n, p = norm.ppf(0.975), 8, 6 / 8
    wilson = (
        p + z * z / (2 * n) - z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    ) / (1 + z * z / n)
    assert f.lag_mode_share_lcb == pytest.approx(wilson)
    assert 0.35 < f.lag_mode_share_lcb < 6 / 8
    # chance: 5 others of 7 in the window, each with probability 0.1, best of 8
    # → 8 · Σ_{j ≥ 5} C(7, j) 0.1^j 0.9^(7−j) = 8 · 1.765e-4 = 1.4e-3: not yet 0.001
    tail = sum(comb(7, j) * 0.1**j * 0.9 ** (7 - j) for j in range(5, 8))
    assert tail == pytest.approx(21 * 0.1**5 * 0.81 + 7 * 0.1**6 * 0.9 + 0.1**7)
    assert tail == pytest.approx(1.765e-4)
    assert f.lag_mode_chance_logp == pytest.approx(-np.log10(8 * tail))
    assert f.lag_mode_chance_logp < 3


def test_a_pages_further_requests_add_no_lag():
    # a person: ten searches an hour apart, a call after eight of them at lags
    # spread over minutes; in a browser each search and each call is followed
    # by its page's requests (0.1-0.4 s apart, within a second of each other)
    rng = np.random.default_rng(3)
    searches = T0 + np.arange(10) * H
    calls = searches[:8] + np.array([40, 75, 140, 260, 480, 900, 1300, 1700]) * 1000

    def with_page(times):
        steps = rng.integers(100, 400, size=(times.size, 6)).cumsum(axis=1)
        return np.concatenate([times, (times[:, None] + steps).ravel()])

    plain = frame(
        [(1, "search", t) for t in searches] + [(1, "call", t) for t in calls]
    )
    paged = frame(
        [(2, "search", t) for t in with_page(searches)]
        + [(2, "call", t) for t in with_page(calls)]
    )
    f = build_features(pd.concat([plain, paged]), signups((1, "IT", T0), (2, "IT", T0)))
    assert f.loc[2, "n_call"] == 7 * 8  # every request is still counted
    lag_columns = ["lag_median_s", "lag_mode_share", "lag_mode_chance_logp"]
    lag_columns += ["lag_mode_share_lcb", "followed_share"]
    pd.testing.assert_series_equal(
        f.loc[2, lag_columns], f.loc[1, lag_columns], check_names=False
    )
    assert f.loc[1, "lag_mode_share"] == pytest.approx(1 / 8)
    # counted per request, a call's seven requests would be seven lags within
    # 2.4 s of each other, and the lags would run from the page's last search
    assert f.loc[1, "lag_median_s"] == pytest.approx((260 + 480) / 2)


def test_on_a_whole_minute_clock_each_call_is_its_own_page():
    # two calls in the minute after each of three searches, one call two
    # minutes after three others: on a clock of whole minutes two times one
    # tick apart (or equal) may be a minute apart, so nothing is merged
    s = T0 + np.arange(6) * H
    calls = np.concatenate([s[:3] + 60_000, s[:3] + 60_000, s[3:] + 120_000])
    ev = frame([(1, "search", t) for t in s] + [(1, "call", t) for t in calls])
    f = build_features(ev, signups((1, "IT", T0))).loc[1]
    assert f.lag_median_s == pytest.approx(60.0)  # 9 lags: six of 60 s (merged: 90)
    assert f.lag_mode_share == pytest.approx(6 / 9)


def test_lags_at_one_lag_beyond_chance_need_more_than_a_few():
    # a script: 60 searches an hour apart, a call 20 s after each (±1%);
    # a person: 10 calls after searches at lags spread over minutes, 4 of
    # them at 30 s by coincidence
    rng = np.random.default_rng(5)
    s1 = T0 + np.arange(60) * H
    c1 = s1 + 20_000 * (1 + 0.01 * rng.standard_normal(60))
    s2 = T0 + np.arange(10) * H
    lags2 = np.array([30, 30, 30, 30, 75, 140, 260, 480, 900, 1700]) * 1000
    ev = frame(
        [(1, "search", t) for t in s1]
        + [(1, "call", t) for t in c1.astype(np.int64)]
        + [(2, "search", t) for t in s2]
        + [(2, "call", t) for t in s2 + lags2]
    )
    f = build_features(ev, signups((1, "IT", T0), (2, "IT", T0)))
    assert f.loc[1, "lag_mode_share"] == 1.0
    # all 59 others in the window: 60 · 0.1^59, logp = 59 − log10 60
    assert f.loc[1, "lag_mode_chance_logp"] == pytest.approx(59 - np.log10(60))
    # the person: 3 others of 9 → 10 · P(Bin(9, 0.1) ≥ 3) = 0.53: chance
    assert f.loc[2, "lag_mode_share"] == pytest.approx(0.4)
    tail = 1 - sum(comb(9, j) * 0.1**j * 0.9 ** (9 - j) for j in range(3))
    assert f.loc[2, "lag_mode_chance_logp"] == pytest.approx(-np.log10(10 * tail))
    assert f.loc[2, "lag_mode_chance_logp"] < 0.3


def test_shares_and_spreads_of_gaps_need_four_gaps():
    # three gaps of a minute each are no evidence of regularity; four are
    ev = frame(
        [(1, "search", T0 + i * 60_000) for i in range(4)]
        + [(2, "search", T0 + i * 60_000) for i in range(5)]
    )
    f = build_features(ev, signups((1, "IT", T0), (2, "IT", T0)))
    assert f.loc[1, "all_n_gaps"] == 3 and f.loc[2, "all_n_gaps"] == 4
    assert np.isnan(f.loc[1, "all_mode_share"]) and np.isnan(
        f.loc[1, "all_gap_log_iqr"]
    )
    assert f.loc[2, "all_mode_share"] == 1.0 and f.loc[2, "all_gap_log_iqr"] == 0.0
    assert f.loc[1, "all_mode_s"] == pytest.approx(60)  # the modal gap itself stays


def test_upper_quartile_of_gaps_by_hand():
    # gaps 10, 1, 4, 2, 3 s (five): sorted 1, 2, 3, 4, 10, the upper quartile
    # at position 0.75 · 4 = 3 → 4 s; between 2 and 3 at 2.25 with four gaps
    # 1, 2, 3, 4 → 3.25 s; three gaps are too few (NaN)
    def times(gaps_s):
        return T0 + np.concatenate([[0], np.cumsum(gaps_s)]).astype(np.int64) * 1000

    users = {1: [10, 1, 4, 2, 3], 2: [4, 1, 3, 2], 3: [1, 2, 3]}
    ev = frame(
        [(u, "search", int(t)) for u, gaps in users.items() for t in times(gaps)]
    )
    f = build_features(ev, signups(*((u, "IT", T0) for u in users)))
    assert f.loc[1, "all_gap_q75_s"] == pytest.approx(4.0)
    assert f.loc[2, "all_gap_q75_s"] == pytest.approx(3.25)
    assert np.isnan(f.loc[3, "all_gap_q75_s"])
    for u, gaps in users.items():
        if len(gaps) >= 4:  # numpy's default (linear) quantile agrees
            assert f.loc[u, "all_gap_q75_s"] == pytest.approx(np.quantile(gaps, 0.75))


def minute_counts(counts, t0=T0):
    """Times putting ``counts[m]`` events a second apart in minute m."""
    return np.concatenate(
        [t0 + m * 60_000 + np.arange(c) * 1000 for m, c in enumerate(counts)]
    ).astype(np.int64)


def session_times(rng, span_ms, n_sessions):
    """A person's times: sessions of 3–10 events 1–10 s apart, started at
    random within ``span_ms``."""
    starts = rng.uniform(0, span_ms, n_sessions)
    size = rng.integers(3, 11, starts.size)
    return np.sort(
        np.concatenate(
            [
                b + np.cumsum(rng.uniform(1_000, 10_000, k))
                for b, k in zip(starts, size, strict=True)
            ]
        )
    )


def test_minute_count_dispersion_by_hand():
    # counts 1, 3, 1, 3, … in 20 minutes: mean 2, variance 1; the zero-truncated
    # Poisson count of mean 2 has rate λ = 1.594 and variance 2 · (1 + λ − 2)
    lam = vol.zero_truncated_rate(np.array([2.0]))[0]
    assert lam / -np.expm1(-lam) == pytest.approx(2.0, rel=1e-12)
    assert lam == pytest.approx(1.5936, abs=1e-4)
    t = minute_counts(np.tile([1, 3], 10))
    one = Groups(np.zeros(t.size, np.int64), 1)
    got = vol.minute_count_dispersion(t, one)[0]
    assert got == pytest.approx(1.0 / (2.0 * (lam - 1.0)), rel=1e-9)
    assert got == pytest.approx(0.842, abs=1e-3)
    # a steady 2 a minute: no variance at all
    t = minute_counts(np.full(20, 2))
    assert vol.minute_count_dispersion(t, one.subset(np.ones(t.size, bool)))[0] == 0
    # support: nine active minutes, or about one event a minute, say nothing
    for counts in (np.tile([1, 3], 5)[:9], np.r_[np.ones(30, int), 2, 3]):
        t = minute_counts(counts)
        g = Groups(np.zeros(t.size, np.int64), 1)
        assert np.isnan(vol.minute_count_dispersion(t, g)[0])


def test_minute_count_dispersion_tells_pace_from_piled_up_sessions():
    # 200 users each: memoryless traffic (≈ 1 by construction of the measure),
    # a script's gamma gaps of shape 6 (steady: well under 1) and a person's
    # sessions of 3–10 events seconds apart started at random (piled up: over 1)
    rng = np.random.default_rng(7)
    n, span = 200, 3_000 * 60_000

    def disp(per_user):
        t = np.concatenate(per_user).astype(np.int64)
        codes = np.repeat(np.arange(n), [len(x) for x in per_user])
        return vol.minute_count_dispersion(t, Groups(codes, n))

    poisson = disp([np.sort(rng.uniform(0, span, 6_000)) for _ in range(n)])
    steady = disp([np.cumsum(rng.gamma(6.0, 20_000 / 6.0, 6_000)) for _ in range(n)])

    piled = disp([session_times(rng, span, 800) for _ in range(n)])
    assert abs(np.mean(poisson) - 1.0) < 0.03
    assert np.max(steady) < 0.35 and np.min(piled) > 1.5
    # the measure reads minutes: the same on a clock of whole minutes
    t = np.sort(rng.uniform(0, span, 6_000)).astype(np.int64)
    g = Groups(np.zeros(t.size, np.int64), 1)
    coarse = t // 60_000 * 60_000
    assert (
        vol.minute_count_dispersion(coarse, g)[0]
        == vol.minute_count_dispersion(t, g)[0]
    )


def window_counts(counts, t0=T0, window_ms=vol.PACE_WINDOW_MS):
    """Times putting ``counts[w]`` events a second apart in window w."""
    return np.concatenate(
        [t0 + w * window_ms + np.arange(c) * 1000 for w, c in enumerate(counts)]
    ).astype(np.int64)


def test_pace_fano_ub_by_hand():
    rest = sch.REST_MS

    def pace(t):
        return vol.pace_fano_ub(t, Groups(np.zeros(t.size, np.int64), 1), rest)[0]

    # 3, 1, 3, 1, … in the 20 ten-minute windows between a stretch's first
    # and last (which hold 1 each): mean 2, sample variance 20/19; the bound
    # multiplies the Fano factor by 19 / χ²(0.05; 19)
    bound = 19 / stats.chi2.ppf(0.05, 19)
    assert pace(window_counts(np.r_[1, np.tile([3, 1], 10), 1])) == pytest.approx(
        (20 / 19) / 2 * bound, rel=1e-12
    )
    # empty windows inside a stretch count: 4, 0, 4, 0, …, 4 (21 windows)
    counts = np.r_[np.tile([4, 0], 10), 4]
    fano = np.var(counts, ddof=1) / np.mean(counts)
    assert pace(window_counts(np.r_[2, counts, 2])) == pytest.approx(
        fano * 20 / stats.chi2.ppf(0.05, 20), rel=1e-12
    )
    # a steady 2 per window: no variance at all, whatever the edges hold
    assert pace(window_counts(np.r_[1, np.full(20, 2), 9])) == 0
    # support: 19 windows (39 events) between the edges, or 19 events (in
    # 37 windows) between them, say nothing
    assert np.isnan(pace(window_counts(np.r_[1, np.tile([3, 1], 10)[:19], 1])))
    assert np.isnan(pace(window_counts(np.r_[1, np.tile([1, 0], 18), 1, 1])))
    # stretches under three hours are left out: forty lone sessions of 3
    # events, and ten steady spells of 17 windows (2 h 50 min), 6 h apart,
    # hold no pace; beside a long stretch they change nothing
    lone = np.concatenate([window_counts([3], T0 + i * 6 * H) for i in range(1, 41)])
    spells = np.concatenate(
        [window_counts(np.full(17, 2), T0 + i * 6 * H) for i in range(42, 52)]
    )
    assert np.isnan(pace(lone)) and np.isnan(pace(spells))
    long = window_counts(np.r_[1, np.tile([3, 1], 10), 1])
    assert pace(np.r_[long, lone + 3 * H, spells]) == pace(long)
    # two spells of 18 windows (three hours) count: 32 windows inside, steady
    two = np.r_[window_counts(np.full(18, 2)), window_counts(np.full(18, 2), T0 + D)]
    assert pace(two) == 0


def test_a_steady_jobs_pace_ignores_where_its_stretches_begin_and_end():
    # a job every 30 s in shifts of 5 h that start and end at random seconds:
    # its windows between first and last hold 20 each, its first and last
    # windows anything from 1 to 20; with those counted, 30 such shifts read
    # 0.52–0.98, nearer a memoryless process's 1 than a steady job's 0
    rng = np.random.default_rng(4)
    shifts = [
        T0 + i * D + rng.integers(0, 600_000) + np.arange(600) * 30_000
        for i in range(30)
    ]
    t = np.concatenate(shifts).astype(np.int64)
    codes = np.repeat(np.arange(30), 600)
    pace = vol.pace_fano_ub(t, Groups(codes, 30), sch.REST_MS)
    assert np.max(pace) == 0  # every inner window holds 20 events


def test_pace_fano_ub_tells_memoryless_and_steady_traffic_from_sessions():
    # 200 users each over two days without a rest: memoryless traffic (≈ 1),
    # a script's gamma gaps of shape 6 (steady: well under 1), and a person's
    # sessions of 3–10 events seconds apart started at random (bunched)
    rng = np.random.default_rng(8)
    n, span = 200, 2 * 24 * H

    def pace(per_user, level=0.95):
        t = np.concatenate(per_user).astype(np.int64)
        codes = np.repeat(np.arange(n), [len(x) for x in per_user])
        return vol.pace_fano_ub(t, Groups(codes, n), sch.REST_MS, level=level)

    memoryless = [np.sort(rng.uniform(0, span, 1_500)) for _ in range(n)]
    steady = [np.cumsum(rng.gamma(6.0, span / 1_500 / 6.0, 1_500)) for _ in range(n)]

    people = [session_times(rng, span, 250) for _ in range(n)]
    # at the median of the bound's law the estimate itself: 1 for memoryless
    assert abs(np.mean(pace(memoryless, level=0.5)) - 1.0) < 0.05
    # the 95% bound: every memoryless user under 2, every person over it
    assert np.max(pace(memoryless)) < 2.0 < np.min(pace(people))
    assert np.max(pace(steady)) < 0.5


def test_the_pace_counts_a_pages_requests_once():
    # a page left open reloads itself: in 37 ten-minute windows it loads
    # 1, 1, 0, 1, 1, 0, …, 1 times (a reload every 15 minutes; a stretch runs
    # from its first event's window to its last's), each load 12 requests;
    # 50 ms apart they are one page (≤ 1 s), 2 s apart twelve
    loads = np.r_[np.tile([1, 1, 0], 12), 1]
    at = window_counts(loads)  # a load's first request, a second apart at most

    def requests(step_ms):
        return (at[:, None] + np.arange(12) * step_ms).ravel()

    ev = frame(
        [(1, "search", t) for t in requests(50)]
        + [(2, "search", t) for t in requests(2000)]
    )
    f = build_features(ev, signups((1, "IT", T0), (2, "IT", T0)))

    def by_hand(counts):
        inner = counts[1:-1]  # the first and last windows are left out
        n = inner.size
        fano = np.var(inner, ddof=1) / np.mean(inner)
        return fano * (n - 1) / stats.chi2.ppf(0.05, n - 1)

    # one page per load: steady, under a memoryless process's 1
    assert f.loc[1, "pace_fano_ub"] == pytest.approx(by_hand(loads), rel=1e-12)
    assert f.loc[1, "pace_fano_ub"] < 1.0
    # requests apart are pages of their own: twelve per load bunch the counts
    assert f.loc[2, "pace_fano_ub"] == pytest.approx(by_hand(12 * loads), rel=1e-12)
    assert f.loc[2, "pace_fano_ub"] == pytest.approx(12 * f.loc[1, "pace_fano_ub"])
    assert f.loc[1, "n_events"] == f.loc[2, "n_events"] == 12 * loads.sum()


def test_an_upper_quartile_under_the_clock_is_unresolved():
    # twelve events: ten in one minute, on whole minutes (gaps mostly 0), beside
    # the same pattern a millisecond apart and a cron job exactly a minute apart
    minute = [(1, "search", T0 + (i // 10) * 60_000) for i in range(12)]
    fine = [(2, "search", T0 + 1 + (i // 10) * 60_000) for i in range(12)]
    cron = [(3, "search", T0 + i * 60_000) for i in range(12)]
    f = build_features(frame(minute + fine + cron), signups((1, "IT", T0)))
    assert f.loc[1, "all_gap_log_iqr"] == pytest.approx(np.log(60.0 / 1e-3))
    assert f.loc[2, "all_gap_log_iqr"] == 0.0  # a ms clock: under 1 ms is 1 ms
    assert f.loc[3, "all_gap_log_iqr"] == 0.0  # resolved and perfectly regular


def test_a_lower_quartile_under_the_clock_is_unresolved():
    # a visit on whole seconds: gaps 0, 0, 0, 1, 2, 2, 3, 5 s (a quarter or
    # more 0): the lower quartile is only known to lie under a second, so the
    # spread is unresolved (ln(q75 / 1 ms)); the same gaps 400 ms later on a
    # ms clock keep their face value, and whole-second gaps of 2–5 s resolve
    gaps = np.array([0, 0, 0, 1, 2, 2, 3, 5])
    coarse = T0 + np.r_[0, np.cumsum(gaps)] * 1000
    fine = T0 + np.r_[0, np.cumsum(gaps) * 1000 + 400]
    wide = T0 + np.r_[0, np.cumsum([2, 3, 2, 4, 5, 3, 2, 2])] * 1000
    f = build_features(
        frame(
            [(1, "search", t) for t in coarse]
            + [(2, "search", t) for t in fine]
            + [(3, "search", t) for t in wide]
        ),
        signups((1, "IT", T0)),
    )
    q75 = np.quantile(gaps, 0.75)  # 2.25 s
    assert f.loc[1, "all_gap_log_iqr"] == pytest.approx(np.log(q75 / 1e-3))
    fine_gaps = np.diff(fine) / 1000
    q25, q75 = np.quantile(fine_gaps, [0.25, 0.75])
    assert 0 < q25 < 1  # under a second, but resolved on a ms clock
    want = np.log(q75 / q25)
    assert f.loc[2, "all_gap_log_iqr"] == pytest.approx(want)
    # sorted 2, 2, 2, 2, 3, 3, 4, 5: q25 = 2, q75 = 3 + 0.25 · (4 − 3) = 3.25
    assert f.loc[3, "all_gap_log_iqr"] == pytest.approx(np.log(3.25 / 2.0))


def test_users_with_events_but_no_signup_get_a_row():
    ev = frame([(9, "call", T0), (9, "call", T0 + 60_000)])
    F = build_features(ev, signups((1, "IT", T0)))
    assert list(F.index) == [1, 9]
    assert F.loc[9, "tenure_days"] == 1  # measured from the first action


def test_input_order_does_not_matter(small_sim):
    ev = small_sim.events.head(40_000)
    shuffled = ev.sample(frac=1.0, random_state=1)
    a = build_features(ev, small_sim.signups)
    b = build_features(shuffled, small_sim.signups)
    pd.testing.assert_frame_equal(a, b)


def test_partition_invariance(small_sim, small_features):
    """Each user's row depends only on that user's events: building features on
    disjoint sets of users gives the same rows (what partitioned and Spark runs
    rely on)."""
    users = small_sim.signups["user_id"].to_numpy()
    parts = []
    for k in range(3):
        mine = users[users % 3 == k]
        ev = small_sim.events[small_sim.events["user_id"].isin(mine)]
        sg = small_sim.signups[small_sim.signups["user_id"].isin(mine)]
        parts.append(build_features(ev, sg))
    joined = pd.concat(parts).sort_index()
    pd.testing.assert_frame_equal(joined, small_features, rtol=1e-9, atol=1e-12)


def test_no_infinite_values(small_features):
    values = small_features.to_numpy()
    assert not np.isinf(values).any()


def test_bots_differ_from_people_where_expected(small_sim, small_features):
    kind = small_sim.labels.set_index("user_id")["kind"].loc[small_features.index]
    F = small_features
    med = F.groupby(kind.to_numpy()).median()
    assert med.loc["periodic", "all_rayleigh_logp"] > 10 * max(
        med.loc["human", "all_rayleigh_logp"], 0.1
    )
    assert med.loc["low_and_slow", "diurnal_r2"] < med.loc["human", "diurnal_r2"]
    assert (
        med.loc["harvester", "lag_mode_share"]
        > 0.5
        > med.loc["human", "lag_mode_share"]
    )
    assert (
        med.loc["burst_scraper", "max_events_hour"]
        > 20 * med.loc["human", "max_events_hour"]
    )


def test_catalogue_lists_every_column():
    text = catalogue_markdown()
    for c in COLUMNS:
        assert f"`{c}`" in text


def test_large_unsorted_input_is_built_in_ranges(
    small_sim, small_features, monkeypatch
):
    import features.build as fb

    # as if the logs held more than a range of events: build_features sorts them
    # by user and builds range by range, with the same result
    monkeypatch.setattr(fb, "RANGE_EVENTS", 30_000)
    shuffled = small_sim.events.sample(frac=1.0, random_state=2)
    got = fb.build_features(shuffled, small_sim.signups)
    assert len(small_sim.events) > 5 * fb.RANGE_EVENTS
    pd.testing.assert_frame_equal(got, small_features, rtol=1e-9, atol=1e-12)


def test_built_in_parts_equals_built_at_once(small_sim, small_features):
    from features.build import build_features_in_parts

    parts = build_features_in_parts(
        small_sim.events, small_sim.signups, max_events=25_000
    )
    pd.testing.assert_frame_equal(parts, small_features, rtol=1e-9, atol=1e-12)


def test_user_ranges_cover_everything_once():
    from features.grouped import user_ranges

    rng = np.random.default_rng(0)
    ev_users = np.sort(rng.integers(0, 300, 5000))
    users = np.arange(-5, 310)  # some users without events, before and after
    ranges = user_ranges(ev_users, users, max_events=700)
    assert len(ranges) > 5
    assert ranges[0][0] == 0 and ranges[0][2] == 0
    assert ranges[-1][1] == users.size and ranges[-1][3] == ev_users.size
    for (a, b, c, d), (a2, _, c2, _) in zip(ranges, ranges[1:], strict=False):
        assert b == a2 and d == c2
        # no user is split: the last event before a cut belongs to another user
        assert ev_users[d - 1] != ev_users[d]
        # users and events of a range agree
        assert users[a] <= ev_users[c] and ev_users[d - 1] <= users[b - 1]


def test_big_single_user_gets_its_own_range():
    from features.grouped import user_ranges

    ev_users = np.r_[np.zeros(10), np.ones(1000), np.full(10, 2)].astype(np.int64)
    ranges = user_ranges(ev_users, np.arange(3), max_events=100)
    sizes = [d - c for _, _, c, d in ranges]
    assert sum(sizes) == 1020 and 1000 in sizes


def test_no_events_at_all():
    ev = frame([])
    ev["event"] = pd.Categorical(ev["event"], ["search", "call", "message"])
    F = build_features(
        ev.astype({"user_id": "int64", "ts_ms": "int64"}),
        signups((1, "IT", T0), (2, "GB", T0)),
    )
    assert list(F.index) == [1, 2]
    assert (F["n_events"] == 0).all() and (F["max_events_hour"] == 0).all()
    assert F["all_gap_cv"].isna().all() and F["night_share"].isna().all()


def test_docs_catalogue_is_up_to_date():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    assert doc.read_text().strip() == catalogue_markdown().strip(), (
        "regenerate: python -m features.build > docs/features.md"
    )
