"""Gap statistics: hand-worked values, the Q&A's examples, an independent
implementation, recovery of simulated schedules, and invariances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features import gaps as gp
from features.grouped import Groups


def one_user(times):
    t = np.asarray(times, dtype=np.float64)
    return t, Groups(np.zeros(t.size, np.int64), 1)


def users(*series):
    """Flat sorted times and groups for several users' time lists."""
    t = np.concatenate([np.asarray(s, dtype=np.float64) for s in series])
    codes = np.concatenate([np.full(len(s), i) for i, s in enumerate(series)])
    return t, Groups(codes.astype(np.int64), len(series))


def fit_all(times, groups, low=True):
    """Gaps, modal gaps and the period fit as features.build makes them (with
    the low-gap candidates unless ``low`` is False)."""
    g, gg = gp.gaps_of(times, groups)
    mode = gp.modal_gap(g, gg)
    low_s = gp.low_gap(g, gg, 0.01) if low else None
    return g, gg, mode, gp.fit_period(g, gg, mode.mode_s, low_s=low_s)


def test_gaps_of_keeps_users_apart():
    t, grp = users([5, 10, 15, 25, 30], [100, 103], [7])
    g, gg = gp.gaps_of(t, grp)
    np.testing.assert_array_equal(g, [5, 5, 10, 5, 3])
    np.testing.assert_array_equal(gg.codes, [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(gg.count(), [4, 1, 0])


def test_gap_moments_by_hand():
    # gaps 5, 5, 10, 5: mean 6.25, population std sqrt(4.6875) = 2.1651
    t, grp = one_user([5, 10, 15, 25, 30])
    m = gp.gap_moments(*gp.gaps_of(t, grp))
    std = np.sqrt(((5 - 6.25) ** 2 * 3 + (10 - 6.25) ** 2) / 4)
    assert m.mean_s[0] == pytest.approx(6.25)
    assert m.std_s[0] == pytest.approx(std)
    assert m.cv[0] == pytest.approx(std / 6.25)
    assert m.burstiness[0] == pytest.approx((std - 6.25) / (std + 6.25))


def test_gap_moments_nan_below_two_gaps():
    t, grp = users([0, 10], [0], [1, 2, 4])
    m = gp.gap_moments(*gp.gaps_of(t, grp))
    assert np.isnan(m.cv[0]) and np.isnan(m.cv[1]) and np.isfinite(m.cv[2])
    assert m.mean_s[0] == 10 and np.isnan(m.mean_s[1])


def test_modal_gap_qa_example():
    t, grp = one_user([5, 10, 15, 25, 30])
    mode = gp.modal_gap(*gp.gaps_of(t, grp))
    assert mode.mode_s[0] == pytest.approx(5)
    assert mode.mode_share[0] == pytest.approx(0.75)
    assert mode.mean_over_mode[0] == pytest.approx(6.25 / 5)


def test_modal_gap_averages_the_window():
    # 59, 60, 61 are within 10% of each other; 200 and 500 are not
    t, grp = one_user(np.cumsum([0, 59, 60, 61, 200, 500]))
    mode = gp.modal_gap(*gp.gaps_of(t, grp))
    assert mode.mode_s[0] == pytest.approx(60)
    assert mode.mode_share[0] == pytest.approx(3 / 5)


def rayleigh_resultant(angles):
    """R of angles, written out independently (complex mean)."""
    return np.abs(np.mean(np.exp(1j * np.asarray(angles))))


def test_rayleigh_against_reference_values():
    # astropy's documented example, angles 130°, 90°, 0°, 145°: R = 0.4980
    angles = np.deg2rad([130, 90, 0, 145])
    r_ref = rayleigh_resultant(angles)
    # rayleigh_r folds values at a period; 360 "degrees" as the period
    vals, grp = one_user([130, 90, 0, 145])
    r = gp.rayleigh_r(vals, np.array([360.0]), grp)
    assert r[0] == pytest.approx(r_ref, abs=1e-6)  # float32 phases
    # Zar's approximation by hand: R_n = 4R, p = exp(√(17 + 4(16 − R_n²)) − 9)
    rn = 4 * r_ref
    want = np.exp(np.sqrt(1 + 16 + 4 * (16 - rn * rn)) - 9)
    p = gp.rayleigh_pvalue(np.array([r_ref]), np.array([4]))[0]
    assert p == pytest.approx(want, rel=1e-12)
    assert p == pytest.approx(0.2563, abs=0.01)  # astropy's series: 0.2563
    # six gaps in step: e^{−8}, not the series' negative value clipped to 0
    six = gp.rayleigh_pvalue(np.array([1.0]), np.array([6]))[0]
    assert six == pytest.approx(np.exp(-8.0))


def test_rayleigh_pvalue_is_safe_against_a_simulation():
    # uniform angles: the share of samples whose R reaches r, against p
    rng = np.random.default_rng(0)
    for n, r in ((7, 0.8), (8, 0.9), (10, 0.8), (10, 0.9)):
        th = rng.uniform(0, 2 * np.pi, (400_000, n))
        big_r = np.hypot(np.cos(th).sum(1), np.sin(th).sum(1)) / n
        seen = (big_r >= r).mean()
        p = gp.rayleigh_pvalue(np.array([r]), np.array([n]))[0]
        assert seen <= p < 3 * seen + 1e-5, (n, r, seen, p)


def test_rayleigh_pvalue_large_n_is_exp_minus_z():
    p = gp.rayleigh_pvalue(np.array([0.1, 0.3]), np.array([100, 400]))
    np.testing.assert_allclose(p, np.exp([-1.0, -36.0]))


def test_fit_period_qa_example():
    t, grp = one_user([5, 10, 15, 25, 30])
    *_, fit = fit_all(t, grp)
    assert fit.period_s[0] == pytest.approx(5)
    assert fit.rayleigh_r[0] == pytest.approx(1)
    # 4 gaps cover 5 beats (m = 1, 1, 2, 1): one miss in five, mean m = 1.25
    assert fit.p_miss[0] == pytest.approx(0.2)
    assert fit.jitter[0] == pytest.approx(0, abs=1e-12)


def test_fit_period_rejects_irregular_example():
    # the Q&A's counter-example: 5, 21, 34, 89 is not periodic
    t, grp = one_user(np.cumsum([0, 5, 21, 34, 89]))
    *_, fit = fit_all(t, grp)
    assert fit.rayleigh_p_sidak[0] > 0.1


def test_fit_period_stays_above_the_least_period():
    # a person on a clock of whole minutes: gaps of one, two and three minutes.
    # The least period is two ticks (120 s); the fit from the two-minute mode
    # would slide to one minute, where every gap is a whole number of periods
    # (R = 1) — the clock's lattice, not a schedule
    t, grp = one_user(60.0 * np.cumsum([0, 2, 1, 2, 2, 1, 3, 2, 1, 2, 2, 1, 2]))
    g, gg = gp.gaps_of(t, grp)
    mode = gp.modal_gap(g, gg)
    assert mode.mode_s[0] == pytest.approx(120)
    free = gp.fit_period(g, gg, mode.mode_s, min_period_s=0.01)
    assert free.period_s[0] == pytest.approx(60) and free.rayleigh_r[0] == 1
    fit = gp.fit_period(g, gg, mode.mode_s, min_period_s=120.0)
    assert np.isnan(fit.period_s[0]) and np.isnan(fit.rayleigh_r[0])


def test_a_period_of_two_ticks_is_no_evidence_from_a_few_gaps():
    # a person's app retries on a whole-second clock: eight gaps of 2, 4 or 6 s.
    # At T = 2 s (two ticks) every gap folds to phase 0 — but on that clock a
    # gap has only two phases, and chance puts all eight on one with p = 2⁻⁷
    t, grp = one_user(np.cumsum([0, 2, 4, 2, 2, 6, 2, 4, 2.0]))
    g, gg = gp.gaps_of(t, grp)
    mode = gp.modal_gap(g, gg)
    free = gp.fit_period(g, gg, mode.mode_s, min_period_s=2.0)
    on_clock = gp.fit_period(g, gg, mode.mode_s, min_period_s=2.0, tick_s=1.0)
    assert free.period_s[0] == on_clock.period_s[0] == pytest.approx(2.0)
    assert free.rayleigh_r[0] == pytest.approx(1.0)
    assert free.rayleigh_p[0] < 1e-4  # the continuous test: "certain"
    assert on_clock.rayleigh_p[0] == pytest.approx(2.0**-7)
    # a script at 60 ticks keeps its evidence: the floor 60⁻⁷ is far below
    t, grp = one_user(60.0 * np.arange(9))
    g, gg = gp.gaps_of(t, grp)
    mode = gp.modal_gap(g, gg)
    fit = gp.fit_period(g, gg, mode.mode_s, min_period_s=2.0, tick_s=1.0)
    plain = gp.fit_period(g, gg, mode.mode_s, min_period_s=2.0)
    assert fit.rayleigh_p[0] == plain.rayleigh_p[0] < 1e-4


def test_gaps_shorter_than_half_a_period_are_no_beats():
    # a person's clicks: three gaps near 10 s, then irregular ones, plus
    # repeats in the same instant (zero gaps). Folded at any period a zero gap
    # lands on phase 0, in step with the beats; it is no beat of any period, so
    # the fit is the same as without the repeats
    beats = [10, 10, 10.4, 15.5, 27.1, 18.3, 6.6]
    with_repeats = [0, 10, 0, 10, 0, 10.4, 0, 15.5, 27.1, 0, 18.3, 6.6, 1e-4]
    fits = []
    for gaps in (beats, with_repeats):
        t, grp = one_user(np.cumsum([0.0, *gaps]))
        g, gg = gp.gaps_of(t, grp)
        fits.append(gp.fit_period(g, gg, np.array([10.0])))
    plain, repeated = fits
    for name in ("period_s", "rayleigh_r", "rayleigh_p", "p_miss", "jitter"):
        assert getattr(repeated, name)[0] == pytest.approx(getattr(plain, name)[0])
    assert repeated.n_in_run[0] == plain.n_in_run[0] == 7
    # by hand: the beats folded at the fitted period
    u = np.array(beats) / plain.period_s[0]
    assert plain.rayleigh_r[0] == pytest.approx(abs(np.exp(2j * np.pi * u).mean()))
    # the repeats folded in as beats would read a much stronger rhythm
    assert plain.rayleigh_r[0] < 0.6
    folded = np.array(with_repeats) / plain.period_s[0]
    assert abs(np.exp(2j * np.pi * folded).mean()) > plain.rayleigh_r[0] + 0.15


def test_fit_period_survives_missed_beats():
    # a 60 s script that misses about half its beats keeps T = 60, not 120
    rng = np.random.default_rng(1)
    m = rng.geometric(0.5, 400)
    g = m * 60.0 + rng.normal(0, 0.6, m.size)
    t, grp = one_user(np.r_[0, np.cumsum(g)])
    *_, fit = fit_all(t, grp)
    assert fit.period_s[0] == pytest.approx(60, rel=0.01)
    assert fit.p_miss[0] == pytest.approx(0.5, abs=0.05)


def test_low_gap_docstring_example():
    g, gg = one_user(np.arange(1, 11) * 60.0)
    assert gp.low_gap(g, gg, 0.01)[0] == 60.0
    assert gp.low_gap(g, gg, 100.0)[0] == 120.0
    g, gg = one_user(np.r_[np.arange(1, 22) * 10.0, 5.0][::-1])  # any order
    assert gp.low_gap(g, gg, 0.01)[0] == 20.0  # rank 2 of 22: 5, 10, 20
    g, gg = users([5.0, 6.0], [])
    assert np.isnan(gp.low_gap(g, gg, 10.0)).all()  # no gap long enough


def _skipping_script(seed, p_lo=0.8, p_hi=0.95):
    rng = np.random.default_rng(100 + seed)
    period = float(np.exp(rng.uniform(np.log(5), np.log(1800))))
    p_miss = rng.uniform(p_lo, p_hi)
    m = rng.geometric(1 - p_miss, 200)
    g = m * period + rng.normal(0, 0.01 * period, m.size)
    return period, p_miss, one_user(np.r_[0, np.cumsum(g)])


@pytest.mark.parametrize("seed", range(8))
def test_fit_finds_scripts_that_skip_most_beats(seed):
    """Scripts that skip 80–95 % of their beats (as a log sampled at one
    event in ten or twenty keeps a steady job): T and the miss probability."""
    period, p_miss, (t, grp) = _skipping_script(seed)
    *_, fit = fit_all(t, grp)
    assert fit.period_s[0] == pytest.approx(period, rel=0.01)
    assert fit.p_miss[0] == pytest.approx(p_miss, abs=0.05)
    assert fit.rayleigh_p_sidak[0] < 1e-10


def test_only_the_low_gap_finds_a_script_whose_mode_is_a_multiple():
    """Where a script skips nine beats in ten its modal gap can be five or
    more periods, past the modal gap's divisors; then the modal candidates
    miss T and the low-gap candidates find it."""
    off_mode = 0
    for seed in range(40):
        period, p_miss, (t, grp) = _skipping_script(seed, 0.88, 0.92)
        *_, mode, old = fit_all(t, grp, low=False)
        if mode.mode_s[0] < 4.5 * period:  # beyond the modal candidates' reach
            continue
        off_mode += 1
        *_, fit = fit_all(t, grp)
        assert fit.period_s[0] == pytest.approx(period, rel=0.01)
        assert fit.rayleigh_p_sidak[0] < 1e-10
        assert not (
            old.period_s[0] == pytest.approx(period, rel=0.01)
            and old.rayleigh_p_sidak[0] < 1e-10
        )
    assert off_mode >= 5


@pytest.mark.parametrize("seed", range(12))
def test_fit_recovers_drawn_schedule(seed):
    # T from seconds to an hour, p_miss across [0, 0.5], jitter up to 10%, n = 300
    rng = np.random.default_rng(seed)
    period = float(np.exp(rng.uniform(np.log(5), np.log(3600))))
    p_miss = [0.0, 0.5][seed] if seed < 2 else rng.uniform(0, 0.5)
    jitter = 0.10 if seed in (1, 2) else rng.uniform(0.01, 0.10)
    m = rng.geometric(1 - p_miss, 300)
    g = m * period + rng.normal(0, jitter * period, m.size)
    t, grp = one_user(np.r_[0, np.cumsum(g)])
    *_, fit = fit_all(t, grp)
    assert fit.period_s[0] == pytest.approx(period, rel=0.01)
    assert fit.p_miss[0] == pytest.approx(p_miss, abs=0.05)
    assert fit.jitter[0] == pytest.approx(jitter, rel=0.25)
    assert fit.rayleigh_p_sidak[0] < 1e-10


def test_method_of_moments_formula_gives_the_hit_probability():
    # The Q&A's closed form (3 − √(1+4q))/2 with q = E[(g−ḡ)³]/ḡ³ is checked by
    # simulation: it tracks 1 − p_miss, so p_miss_mom = 1 − that tracks p_miss.
    rng = np.random.default_rng(7)
    for p_miss in (0.1, 0.3):
        m = rng.geometric(1 - p_miss, 200_000)
        g = m * 30.0 + rng.normal(0, 0.3, m.size)
        t, grp = one_user(np.r_[0, np.cumsum(g)])
        *_, fit = fit_all(t, grp)
        assert fit.p_miss_mom[0] == pytest.approx(p_miss, abs=0.03)


def test_poisson_users_score_far_below_schedules():
    # Gaps folded at a period fitted to them are not uniform under a Poisson null
    # when gaps are comparable to T (short gaps crowd the low phases), so the
    # p-value is a ranking score rather than a calibrated test; what matters is
    # the separation from schedules of the same mean rate.
    rng = np.random.default_rng(3)
    people = [np.cumsum(rng.exponential(300, 200)) for _ in range(50)]
    bots = [
        np.cumsum(300 * rng.geometric(0.7, 200) + rng.normal(0, 15, 200))
        for _ in range(50)
    ]
    t, grp = users(*people, *bots)
    *_, fit = fit_all(t, grp)
    logp = -np.log10(fit.rayleigh_p_sidak)
    assert np.median(logp[:50]) < 3
    assert np.min(logp[50:]) > 10
    assert np.min(logp[50:]) > np.max(logp[:50])


def test_fit_period_nan_below_min_gaps():
    t, grp = users([0, 10, 20], [0, 10, 20, 30])
    *_, fit = fit_all(t, grp)
    assert np.isnan(fit.period_s[0]) and np.isnan(fit.rayleigh_r[0])
    assert fit.period_s[1] == pytest.approx(10)


def test_search_to_call_lag_docstring_example():
    s, sg = one_user([0, 100, 200, 300, 400])
    c, cg = one_user([10, 110, 210, 310, 410])
    out = gp.search_to_call_lag(s, sg, c, cg)
    assert out.lag_median_s[0] == pytest.approx(10)
    assert out.lag_cv[0] == pytest.approx(0, abs=1e-9)
    assert out.lag_mode_share[0] == pytest.approx(1)
    assert out.followed_share[0] == pytest.approx(1)


def test_call_lags_docstring_example():
    s, sg = one_user([0.0, 50, 100])
    c, cg = one_user([10.0, 110, 500])
    lag, ok = gp.call_lags(s, sg, c, cg, max_lag=300)
    np.testing.assert_array_equal(lag, [10, 10, 400])
    np.testing.assert_array_equal(ok, [True, True, False])


def test_searches_without_a_call_add_no_lag():
    # a script calls 10 s after every other search: each call's lag is 10 s;
    # counted forward from every search, half the lags would be 60 s
    s, sg = one_user(np.arange(12) * 50.0)
    c, cg = one_user(np.arange(6) * 100.0 + 10)
    out = gp.search_to_call_lag(s, sg, c, cg)
    assert out.n_lags[0] == 6
    assert out.lag_median_s[0] == pytest.approx(10)
    assert out.lag_mode_share[0] == pytest.approx(1)
    # a call follows within 1 h every search but the last (550 s)
    assert out.followed_share[0] == pytest.approx(11 / 12)
    # a call before any search, or more than max_lag after one, has no lag
    late = gp.search_to_call_lag(
        *one_user([100.0, 200, 300, 400, 500]),
        *one_user([50.0, 110, 210, 310, 410, 510, 5000]),
        max_lag_s=1000,
    )
    assert late.n_lags[0] == 5 and late.lag_median_s[0] == pytest.approx(10)


def test_search_to_call_lag_matches_a_per_user_loop():
    rng = np.random.default_rng(3)
    n_users, searches, calls = 40, [], []
    for _ in range(n_users):
        searches.append(np.sort(rng.uniform(0, 20_000, rng.integers(0, 30))))
        calls.append(np.sort(rng.uniform(0, 20_000, rng.integers(0, 30))))
    s, sg = users(*searches)
    c, cg = users(*calls)
    out = gp.search_to_call_lag(s, sg, c, cg, max_lag_s=1800)
    for u in range(n_users):
        lags = []
        for t in calls[u]:
            before = searches[u][searches[u] <= t]
            if before.size and t - before[-1] <= 1800:
                lags.append(t - before[-1])
        followed = [
            np.any((calls[u] >= t) & (calls[u] - t <= 1800)) for t in searches[u]
        ]
        if searches[u].size:
            assert out.followed_share[u] == pytest.approx(np.mean(followed))
        else:
            assert np.isnan(out.followed_share[u])
        if len(lags) >= 5:
            assert out.n_lags[u] == len(lags)
            assert out.lag_median_s[u] == pytest.approx(np.median(lags))
        else:
            assert np.isnan(out.n_lags[u]) and np.isnan(out.lag_median_s[u])


def test_search_to_call_lag_does_not_cross_users():
    # user 0 searches, only user 1 calls: user 0 has no lags
    s, sg = users([0, 100, 200, 300, 400, 500], [])
    c, cg = users([], [5, 105, 205, 305, 405, 505])
    out = gp.search_to_call_lag(s, sg, c, cg)
    assert out.followed_share[0] == 0
    assert np.isnan(out.lag_median_s[0])


def test_lag_window_is_capped_at_30_s_around_long_lags():
    # searches an hour apart; calls after 1,500, 1,580, 1,650, 1,420, 1,560 s:
    # within ±10% of 1,500 s all five lie; within ±30 s, the most company is
    # 1,560 with 1,580 (each other's only neighbours): the mode share is 2 of 5
    lags = np.array([1500.0, 1580, 1650, 1420, 1560])
    s = np.arange(5) * 3600.0
    out = gp.search_to_call_lag(*one_user(s), *one_user(s + lags))
    assert out.lag_mode_share[0] == pytest.approx(2 / 5)
    g = np.sort(lags)
    uncapped = gp.modal_gap(g, Groups(np.zeros(5, dtype=np.int64), 1), presorted=True)
    assert uncapped.mode_share[0] == pytest.approx(1.0)
    # a script's 10 s lag (±5%) is far below the cap: all of its lags count
    short = gp.search_to_call_lag(
        *one_user(s), *one_user(s + [10, 10.4, 9.6, 10.2, 9.9])
    )
    assert short.lag_mode_share[0] == pytest.approx(1.0)


def reference_gap_stats(times):
    """Per-user loop: the independent implementation of CV and mode share."""
    g = np.diff(np.sort(times))
    cv = g.std() / g.mean() if g.size >= 2 else np.nan
    best, best_count = None, -1
    for x in np.sort(g):
        count = np.sum(np.abs(g - x) <= 0.1 * x * (1 + 1e-9))
        if count > best_count:
            best, best_count = x, count
    inside = np.abs(g - best) <= 0.1 * best * (1 + 1e-9)
    return cv, inside.mean(), g[inside].mean()


def test_vectorised_equals_reference_loop():
    rng = np.random.default_rng(11)
    series = []
    for i in range(60):
        n = rng.integers(3, 80)
        if i % 3 == 0:
            gaps = 40 * rng.geometric(0.7, n) + rng.normal(0, 1, n)
        else:
            gaps = rng.lognormal(4, 1.5, n)
        series.append(np.r_[0, np.cumsum(np.abs(gaps) + 0.01)])
    t, grp = users(*series)
    g, gg = gp.gaps_of(t, grp)
    mom = gp.gap_moments(g, gg)
    mode = gp.modal_gap(g, gg)
    for i, s in enumerate(series):
        cv, share, mode_s = reference_gap_stats(s)
        assert mom.cv[i] == pytest.approx(cv, rel=1e-9)
        assert mode.mode_share[i] == pytest.approx(share)
        assert mode.mode_s[i] == pytest.approx(mode_s, rel=1e-9)


# whole seconds up to 1000 s, scaled by a power of two (exact in floating point,
# so gaps on the ±10% window edges stay on them): every period candidate stays
# inside fit_period's validity range (0.01 s – 4 h), where the fit is scale-free
times_strategy = st.lists(
    st.integers(0, 1000), min_size=4, max_size=40, unique=True
).map(sorted)


@settings(max_examples=60, deadline=None)
@given(
    times_strategy,
    st.integers(-100_000, 100_000),
    st.sampled_from([0.125, 0.25, 0.5, 2.0, 4.0, 8.0]),
)
def test_invariant_to_shift_and_scale(times, shift, scale):
    t, grp = one_user(times)
    base_g, base_gg, base_mode, base = fit_all(t, grp)
    t2, grp2 = one_user(np.asarray(times) * scale + shift)
    _, _, mode2, fit2 = fit_all(t2, grp2)
    mom, mom2 = gp.gap_moments(base_g, base_gg), gp.gap_moments(*gp.gaps_of(t2, grp2))
    np.testing.assert_allclose(mom2.cv, mom.cv, rtol=1e-6)
    np.testing.assert_allclose(mode2.mode_share, base_mode.mode_share)
    # the period scales with the times (within the validity range)
    if np.isfinite(base.period_s[0]) and np.isfinite(fit2.period_s[0]):
        assert fit2.period_s[0] == pytest.approx(base.period_s[0] * scale, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.lists(times_strategy, min_size=1, max_size=5))
def test_users_do_not_affect_each_other(series):
    t, grp = users(*series)
    g, gg, mode, fit = fit_all(t, grp)
    for i, s in enumerate(series):
        _, _, m1, f1 = fit_all(*one_user(s))
        np.testing.assert_allclose(mode.mode_share[i], m1.mode_share[0])
        np.testing.assert_allclose(fit.period_s[i], f1.period_s[0], rtol=1e-9)
        np.testing.assert_allclose(
            fit.rayleigh_r[i], f1.rayleigh_r[0], rtol=1e-9, atol=1e-12
        )


def test_clock_tick_by_hand():
    t = np.array([2_000, 5_000, 9_000, 2_000, 5_000, 9_250, 60_000, 180_000, 7])
    grp = Groups(np.array([0, 0, 0, 1, 1, 1, 2, 2, 3]), 5)
    # whole seconds, whole tens of ms, whole minutes, ms, and a user without times
    np.testing.assert_array_equal(gp.clock_tick_ms(t, grp), [1000, 10, 60_000, 1, 1])


def whole_second_user(times_ms):
    import pandas as pd

    from features.build import build_features

    ts = np.unique(np.asarray(times_ms, dtype=np.int64))
    ev = pd.DataFrame(
        {
            "user_id": 1,
            "event": pd.Categorical(
                ["search"] * ts.size, ["search", "call", "message"]
            ),
            "ts_ms": ts,
        }
    )
    sign = pd.DataFrame({"user_id": [1], "country_code": ["IT"], "signup_ms": [ts[0]]})
    return build_features(ev, sign).iloc[0]


def test_whole_second_times_do_not_fold_into_a_schedule():
    # fast memoryless clicks logged in whole seconds: every gap is a whole
    # number of seconds, so a period of 1 s (the modal gap) would fold them all
    # to R = 1; a period must span two ticks of the clock
    rng = np.random.default_rng(1)
    t = 1_600_000_000_000 + np.cumsum(rng.exponential(1500.0, 600))
    f = whole_second_user(t // 1000 * 1000)
    assert f["all_mode_s"] == pytest.approx(1.0)
    assert not f["all_period_s"] < 2.0  # NaN (no candidate) or ≥ 2 s
    assert not f["all_rayleigh_logp"] > 3.0
    # a real schedule logged in whole seconds is still found
    beats = 1_600_000_000_000 + 30_000.0 * np.arange(400)
    jittered = beats + rng.normal(0, 600.0, beats.size)
    f = whole_second_user(jittered // 1000 * 1000)
    assert f["all_period_s"] == pytest.approx(30.0, rel=0.01)
    assert f["all_rayleigh_logp"] > 50


def test_page_starts_docstring_example_and_coarse_clocks():
    t = np.array([0, 200, 900, 5000, 5400, 9000, 0, 500], dtype=np.int64)
    g = Groups(np.array([0, 0, 0, 0, 0, 0, 1, 1]), 2)
    fine = gp.page_starts(t, g, np.array([1.0, 1.0]))
    # a chain: 900 joins 0's page through 200; the second user starts afresh
    assert fine.tolist() == [True, False, False, True, False, True, True, False]
    coarse = gp.page_starts(t, g, np.array([1.0, 60_000.0]))
    assert coarse.tolist() == [True, False, False, True, False, True, True, True]
    whole_s = np.array([0, 1000, 2000, 4000], dtype=np.int64)  # whole seconds
    one = Groups(np.zeros(4, dtype=np.int64), 1)
    assert gp.page_starts(whole_s, one, np.array([1000.0])).tolist() == [
        True,
        False,
        False,
        True,
    ]
