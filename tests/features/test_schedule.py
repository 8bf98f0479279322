"""Never resting, wall-clock schedules, support and effect sizes: hand-made users."""

from __future__ import annotations

import math
from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from features import schedule as sch
from features import timeofday as tod
from features.build import build_features
from features.grouped import Groups

H = 3_600_000
DAY = 86_400_000
T0 = 1_551_484_800_000  # 2019-03-02 00:00 UTC


def one_user(ts: np.ndarray) -> tuple[np.ndarray, Groups]:
    ts = np.sort(np.asarray(ts, dtype=np.int64))
    return ts, Groups(np.zeros(ts.size, dtype=np.int64), 1)


def frame(users: dict[int, np.ndarray], event: str = "search") -> pd.DataFrame:
    parts = [
        pd.DataFrame({"user_id": uid, "event": event, "ts_ms": np.sort(ts)})
        for uid, ts in users.items()
    ]
    return pd.concat(parts, ignore_index=True).astype({"ts_ms": np.int64})


def signups(uids, country: str = "GB") -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": list(uids), "country_code": country, "signup_ms": T0 - DAY}
    )


def test_longest_awake_by_hand():
    ts, g = one_user(np.array([0, 2, 4, 10, 11]) * H)
    assert sch.longest_awake_h(ts, g)[0] == pytest.approx(4.0)
    # a rest of exactly 3 h cuts; 2 h 59 min does not
    ts, g = one_user(np.array([0, 3 * H, 3 * H + 1, 6 * H - 60_000]))
    assert sch.longest_awake_h(ts, g)[0] == pytest.approx((3 * H - 60_000 - 1) / H)
    ts, g = one_user(np.array([5 * H]))
    assert np.isnan(sch.longest_awake_h(ts, g)[0])


def test_client_awake_30_hours_against_a_sleeping_person():
    rng = np.random.default_rng(1)
    # every 5–25 min for 30 h, never a 3 h pause
    bot = T0 + np.cumsum(rng.uniform(5, 25, 200)) * 60_000
    bot = bot[bot < T0 + 30 * H]
    # a person: two sessions a day (09:00 and 20:00) for 5 days
    person = np.concatenate(
        [
            T0 + d * DAY + h * H + np.arange(8) * 60_000
            for d in range(5)
            for h in (9, 20)
        ]
    )
    f = build_features(frame({1: bot, 2: person}), signups([1, 2]))
    assert f.loc[1, "longest_awake_h"] == pytest.approx((bot[-1] - bot[0]) / H)
    assert f.loc[1, "longest_awake_h"] > 29
    assert f.loc[2, "longest_awake_h"] == pytest.approx(7 / 60)
    assert f.loc[1, "active_run_h"] >= 29
    assert f.loc[2, "active_run_h"] == 1


def test_awake_share_by_hand():
    # hourly from 0 h to 30 h, then 40 h and 41 h: one stretch of 30 h past
    # 21 h (31 events) and one of 1 h (2 events)
    ts, g = one_user(np.r_[np.arange(31), 40, 41] * H)
    assert sch.awake_share(ts, g)[0] == pytest.approx(31 / 33)
    # a stretch of exactly 21 h is not past it; a span of 21 h holds none
    ts, g = one_user(np.r_[np.arange(22), 30] * H)
    assert sch.awake_share(ts, g)[0] == 0.0
    ts, g = one_user(np.arange(22) * H)
    assert np.isnan(sch.awake_share(ts, g)[0])
    ts, g = one_user(np.array([5 * H]))
    assert np.isnan(sch.awake_share(ts, g)[0])


def test_a_night_without_sleep_is_a_little_of_a_life_a_job_all_of_it():
    # a person: a session every 2 h from 09:00 to 21:00 for 21 days, and once
    # awake through the night (sessions at 23:00, 01:00 … 07:00 from day 10
    # to day 11); a job every 10 min for 5 days, alone in its account
    days = [
        T0 + d * DAY + h * H + np.arange(5) * 60_000
        for d in range(21)
        for h in range(9, 22, 2)
    ]
    night = T0 + 10 * DAY + np.arange(23, 32, 2) * H
    person = np.unique(np.concatenate([*days, night]))
    job = T0 + np.arange(0, 5 * DAY, 10 * 60_000)
    f = build_features(frame({1: person, 2: job}), signups([1, 2]))
    # the person's one stretch past 21 h: 09:00 on day 10 to 21:04 on day 11
    stretch_h = 36 + 4 / 60
    assert f.loc[1, "longest_awake_h"] == pytest.approx(stretch_h)
    # its events then: two days' seven sessions of five and the night's five
    assert f.loc[1, "awake_share"] == pytest.approx((2 * 7 * 5 + 5) / len(person))
    assert f.loc[2, "awake_share"] == 1.0
    # the job inside an account whose owner acts by hand now and then, weeks
    # apart: the share is still nearly all of it
    owner = T0 + np.array([-20, -10, 10, 20]) * DAY
    both = np.r_[job, owner]
    f = build_features(frame({3: both}), signups([3]))
    assert f.loc[3, "awake_share"] == pytest.approx(job.size / both.size)


def test_active_run_by_hand():
    minutes = np.array([10 * 60 + 5, 10 * 60 + 50, 11 * 60 + 30, 12 * 60 + 1, 15 * 60])
    ts, g = one_user(T0 + minutes * 60_000)
    assert sch.longest_active_run_h(ts, g)[0] == 3


def test_clock_share_by_hand():
    hms = [(3, 12, 5), (3, 12, 9), (3, 11, 58), (17, 0, 0)]
    ts = [
        T0 + d * DAY + (h * 3600 + m * 60 + s) * 1000 for d, (h, m, s) in enumerate(hms)
    ]
    ts, g = one_user(ts)
    low = sch.share_lower_bound(np.array([2]), np.array([3]))[0]
    assert low == pytest.approx(0.2077, abs=1e-4)  # k = 2 of 3 others
    assert sch.clock_share(ts, g, DAY)[0] == pytest.approx(low)
    # wrapping around midnight: 23:59:50 and 00:00:10 are 20 s apart
    ts2, g2 = one_user(
        [T0 + 86_390_000, T0 + DAY + 10_000, T0 + 2 * DAY + 43_200_000, T0 + 3 * DAY]
    )
    assert sch.clock_share(ts2, g2, DAY)[0] == pytest.approx(low)
    # below the support: 3 starts, or 4 starts on 2 days
    assert np.isnan(sch.clock_share(ts[:3], Groups(np.zeros(3, np.int64), 1), DAY)[0])
    two_days = np.array([T0, T0 + H, T0 + DAY, T0 + DAY + H])
    assert np.isnan(sch.clock_share(*one_user(two_days), DAY)[0])


def test_job_at_a_fixed_second_beside_a_person_with_a_routine():
    rng = np.random.default_rng(7)
    days = np.sort(rng.choice(20, 15, replace=False))
    at = (3 * 3600 + 12 * 60 + 5) * 1000
    # the job: 03:12:05 ± 5 s on 15 of 20 days, 10 searches 2 s apart each run
    runs = T0 + days * DAY + at + rng.normal(0, 5000, days.size)
    job = (runs[:, None] + np.arange(10) * 2000).ravel()
    # the person: 08:00 ± 40 min every day, a few searches a minute apart
    starts = T0 + np.arange(20) * DAY + 8 * H + rng.normal(0, 40 * 60_000, 20)
    person = (starts[:, None] + np.arange(4) * 60_000).ravel()
    f = build_features(frame({1: job, 2: person}), signups([1, 2]))
    # all 14 other runs of the job start within the window of the best one
    full = sch.share_lower_bound(np.array([14]), np.array([14]))[0]
    assert f.loc[1, "clock_day_share"] == pytest.approx(full)
    assert full > 0.75
    # the person: 20 starts; at most a couple of chance coincidences
    k = np.arange(0, 20)
    person_low = sch.share_lower_bound(k, np.full(20, 19))
    assert np.isclose(person_low[:4], f.loc[2, "clock_day_share"]).any()
    assert f.loc[2, "clock_day_share"] < 0.1
    # the job's coincidences are far beyond chance; the person's are not
    assert f.loc[1, "clock_day_logp"] > 10
    assert f.loc[2, "clock_day_logp"] < 3


def test_company_logp_by_hand_and_against_a_sum_of_terms():
    k = np.array([2, 3, 0, 1, 14, 2, 5])
    n = np.array([6, 6, 6, 30, 15, 6, 9])
    ok = np.array([True, True, True, True, True, False, True])
    got = sch.company_logp(k, n, ok)
    # by hand, q = 60 s / 1 h: P(Bin(5, q) ≥ 2) = 1 − (59/60)^5 − 5 (1/60)(59/60)^4
    q = 1 / 60
    tail = 1 - (1 - q) ** 5 - 5 * q * (1 - q) ** 4
    assert tail == pytest.approx(2.6863e-3, rel=1e-4)
    assert got[0] == pytest.approx(-np.log10(6 * tail))
    assert got[0] == pytest.approx(1.793, abs=1e-3)
    # a sum of binomial terms (math.comb), n times, capped at 1
    for i in (1, 4, 6):
        m = n[i] - 1
        p = sum(comb(m, j) * q**j * (1 - q) ** (m - j) for j in range(k[i], m + 1))
        assert got[i] == pytest.approx(-np.log10(min(1.0, n[i] * p)), rel=1e-9)
    assert got[1] == pytest.approx(3.567, abs=1e-3)
    # no company or a single chance one: the bound passes 1, so 0
    assert got[2] == 0.0 and got[3] == 0.0
    assert np.isnan(got[5])  # below the support


def test_one_day_user_has_no_daily_rhythm():
    day = T0 + 9 * H + np.arange(40) * 6 * 60_000  # 40 searches in 4 hours, one day
    week = np.concatenate(
        [T0 + d * DAY + 9 * H + np.arange(8) * 60_000 for d in range(5)]
    )
    f = build_features(frame({1: day, 2: week}), signups([1, 2]))
    for col in (
        "diurnal_r",
        "diurnal_r2",
        "night_share",
        "night_share_lcb",
        "night_hours_lcb",
    ):
        assert np.isnan(f.loc[1, col]), col
        assert np.isfinite(f.loc[2, col]), col
    assert np.isnan(f.loc[1, "clock_day_share"])


def test_wilson_bound_by_hand_and_against_scipy():
    got = sch.share_lower_bound(np.array([5, 500, 0]), np.array([10, 1000, 10]))
    np.testing.assert_allclose(got[:2], [0.2366, 0.4691], atol=1e-4)
    assert got[2] == 0
    for k, n in ((3, 7), (40, 100), (999, 1000)):
        want = binomtest(k, n).proportion_ci(0.95, method="wilson").low
        assert sch.share_lower_bound(np.array([k]), np.array([n]))[0] == pytest.approx(
            want, abs=1e-6
        )
    assert np.isnan(sch.share_lower_bound(np.array([0]), np.array([0]))[0])
    # none of n is exactly 0 for every n (rounding left 3e-17 at n = 6 and 7,
    # which ranked above the other zeros)
    n = np.arange(1, 200)
    assert (sch.share_lower_bound(np.zeros(n.size), n) == 0).all()
    assert np.isnan(sch.share_lower_bound(np.array([np.nan]), np.array([10]))[0])


def test_volume_alone_gives_a_person_no_night_evidence():
    """A person with a fixed human night share (12%) at 100 and at 10,000 events:
    the evidence stays below the share itself, and below a 25%-night client's
    at 100 events; the old p-value grew without bound."""
    rng = np.random.default_rng(3)

    def user(n, night):
        day = rng.integers(0, 30, n) * DAY
        is_night = rng.random(n) < night
        hour = np.where(is_night, rng.uniform(0, 6, n), rng.uniform(6, 24, n))
        return T0 + day + (hour * H).astype(np.int64)

    users = {1: user(100, 0.12), 2: user(10_000, 0.12), 3: user(100, 0.25)}
    f = build_features(frame(users), signups(users))
    lcb = f["night_share_lcb"]
    assert lcb[2] <= f.loc[2, "night_share"] <= 0.13
    assert lcb[2] < lcb[3]
    assert lcb[1] < lcb[2] < 0.12


def test_active_hours_by_hand():
    minute = 60_000
    ts, g = one_user(T0 + np.array([2 * H + 10 * minute, 2 * H + 50 * minute, 14 * H]))
    local = ts + 3 * H  # the hours are the clock's (UTC); the times ride along
    got, hour_groups = tod.active_hours(ts, local, g)
    assert got.tolist() == [T0 + 5 * H + 10 * minute, T0 + 17 * H]
    assert hour_groups.count().tolist() == [2]
    # two users, each hour counted apart; one event a user is one hour
    ts = np.array([T0, T0 + 1, T0, T0 + H, T0 + H + 5], dtype=np.int64)
    g = Groups(np.array([0, 0, 1, 1, 1]), 3)
    got, hour_groups = tod.active_hours(ts, ts, g)
    assert got.tolist() == [T0, T0, T0 + H]
    assert hour_groups.count().tolist() == [1, 2, 0]


def test_a_night_visit_counts_once_however_many_its_actions():
    """Two people on the same twelve daytime hours over four days, and one
    night visit: of one action, or of forty within the hour. Per event the
    busy visit makes the night sure (40 of 52 events); per active hour both
    are 1 night hour of 13, the Wilson bound worked by scipy."""
    days = [T0 + d * DAY + h * H for d in range(4) for h in (9, 13, 18)]
    night = T0 + DAY + 2 * H + 5 * 60_000
    users = {1: np.r_[days, night], 2: np.r_[days, night + np.arange(40) * 60_000]}
    f = build_features(frame(users), signups(users))
    want = binomtest(1, 13).proportion_ci(0.95, method="wilson").low
    assert f["active_hours"].tolist() == [13, 13]
    assert f["night_hours_lcb"].tolist() == pytest.approx([want, want], abs=1e-9)
    by_events = binomtest(40, 52).proportion_ci(0.95, method="wilson").low
    assert f.loc[2, "night_share_lcb"] == pytest.approx(by_events, abs=1e-9)
    assert f.loc[2, "night_share_lcb"] > 10 * f.loc[2, "night_hours_lcb"]


def test_awake_active_hours_by_hand():
    minutes = np.array([10 * 60 + 5, 10 * 60 + 50, 12 * 60 + 30, 18 * 60])
    ts, g = one_user(T0 + minutes * 60_000)
    assert sch.awake_active_h(ts, g)[0] == 2
    assert sch.longest_awake_h(ts, g)[0] == pytest.approx(145 / 60)


def test_active_minutes_per_hour_by_hand():
    from features.volume import active_minutes_per_hour

    sec = np.array(
        [10 * 3600 + 5 * 60 + 1, 10 * 3600 + 5 * 60 + 40, 10 * 3600 + 17 * 60]
    )
    ts, g = one_user(T0 + np.r_[sec, 11 * 3600] * 1000)
    assert active_minutes_per_hour(ts, g)[0] == 2
    # a burst of 50 requests inside one second fills one minute
    ts, g = one_user(T0 + np.arange(50) * 10)
    assert active_minutes_per_hour(ts, g)[0] == 1


def test_single_event_sessions_by_hand():
    # events at 0, 40 min, 41 min, 2 h, 5 h: sessions {0}, {40, 41 min}, {2 h},
    # {5 h}; a second user's lone event is one session of one event
    m = 60_000
    t = np.array([0, 40 * m, 41 * m, 2 * H, 5 * H, 7 * H], dtype=np.int64)
    g = Groups(np.array([0, 0, 0, 0, 0, 1]), 2)
    np.testing.assert_array_equal(sch.single_event_sessions(t, g), [3, 1])
    # 29 minutes of idle do not end a session: all five are one session
    t = np.arange(5, dtype=np.int64) * 29 * m
    assert sch.single_event_sessions(*one_user(t))[0] == 0


def test_single_event_logp_by_hand_and_against_a_sum_of_terms():
    k = np.array([6, 3, 8, 40, 2, 3])
    n = np.array([6, 6, 8, 40, 3, 4])
    got = sch.single_event_logp(k, n)
    q = sch.SINGLE_EVENT_CHANCE
    assert q == 0.25
    # by hand: 6 of 6 → 0.25⁶; 3 of 6 → 1 − P(0, 1 or 2 of 6) = 1 − 0.8306
    assert got[0] == pytest.approx(-6 * np.log10(0.25))
    assert got[0] == pytest.approx(3.612, abs=1e-3)
    assert got[1] == pytest.approx(-np.log10(1 - 0.830566), abs=1e-5)
    below = sum(comb(6, j) * q**j * (1 - q) ** (6 - j) for j in range(3))
    assert got[1] == pytest.approx(-np.log10(1 - below))
    for i in (2, 3, 5):
        p = sum(
            comb(n[i], j) * q**j * (1 - q) ** (n[i] - j) for j in range(k[i], n[i] + 1)
        )
        assert got[i] == pytest.approx(-np.log10(p), rel=1e-9)
    assert np.isnan(got[4])  # three sessions: below the support
    # deep in the tail the first term carries it: finite, and within the
    # 1 / (1 − r) factor of the exact sum
    deep = sch.binomial_log_tail(np.array([900.0]), np.array([1000.0]), 0.1)
    exact = np.logaddexp.reduce(
        [
            math.log(comb(1000, j)) + j * math.log(0.1) + (1000 - j) * math.log(0.9)
            for j in range(900, 1001)
        ]
    )
    assert np.isfinite(deep[0]) and deep[0] == pytest.approx(exact, rel=1e-6)


def test_a_job_that_acts_once_per_wake_beside_people():
    # a poller: one request every 2 h through one day (12 sessions of one
    # event); a person: four visits of three searches; a person with two visits
    m = 60_000
    poller = T0 + np.arange(12) * 2 * H
    person = T0 + 8 * H + np.add.outer(np.arange(4) * 3 * H, np.arange(3) * m).ravel()
    brief = T0 + 9 * H + np.array([0, 2 * m, 5 * H, 5 * H + m])
    f = build_features(frame({1: poller, 2: person, 3: brief}), signups([1, 2, 3]))
    assert f.loc[1, "single_event_sessions"] == 12 and f.loc[1, "n_sessions"] == 12
    assert f.loc[1, "single_event_logp"] == pytest.approx(-12 * np.log10(0.25))
    assert f.loc[1, "single_event_share_lcb"] == pytest.approx(
        sch.share_lower_bound(np.array([12]), np.array([12]))[0]
    )
    assert f.loc[1, "single_event_share_lcb"] > 0.7
    assert f.loc[2, "single_event_sessions"] == 0
    assert (
        f.loc[2, "single_event_share_lcb"] == 0 and f.loc[2, "single_event_logp"] == 0
    )
    # two visits: no evidence either way
    assert np.isnan(f.loc[3, "single_event_share_lcb"])
    assert np.isnan(f.loc[3, "single_event_logp"])


def test_hourly_job_on_a_whole_minute_clock():
    # a log of whole minutes: a job at minute :12 of ten hours (three requests
    # each run, written in that minute), beside a person whose ten sessions
    # start at minutes :03, :04, … :12 of ten hours (a minute apart on the hour)
    hours = np.arange(10) * H
    job = np.repeat(T0 + hours + 12 * 60_000, 3)
    person = T0 + hours + (3 + np.arange(10)) * 60_000
    person = np.concatenate([person, person + 5 * 60_000])
    f = build_features(frame({1: job, 2: person}), signups([1, 2]))
    # the ±30 s window holds one minute: the job's nine other starts, chance
    # 1/60 each: −log10(10 · (1/60)^9) = 9 log10 60 − 1
    assert f.loc[1, "clock_hour_starts"] == 10
    assert f.loc[1, "clock_hour_logp"] == pytest.approx(9 * np.log10(60) - 1)
    # starts in neighbouring minutes are 60 s apart: no company
    assert f.loc[2, "clock_hour_starts"] == 1
    assert f.loc[2, "clock_hour_logp"] == 0
    assert f.loc[1, "clock_hour_share"] > 0.6 and f.loc[2, "clock_hour_share"] == 0
