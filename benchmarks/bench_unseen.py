"""Automation the simulator does not make: how much of it does cadence catch?

Usage: python benchmarks/bench_unseen.py [--users 26000] [--per-kind 40] [--seed 0]
       python benchmarks/bench_unseen.py --mixed-people 1000 [--seed 0]
       python benchmarks/bench_unseen.py --foreign [--capture-days 1] [--seed 0]

The simulator's bots are what the defaults were tuned on, so recall on them
flatters. This script adds ``--per-kind`` accounts of each of twelve kinds of
automation written here and nowhere else, into a default simulated population,
fits the default detector on everything (unsupervised, as train.py does) and
prints, per kind: the share inside the 2% budget (the model's suspects; capped
when there are more bots than budget), the share scoring above 99% of the people
(recall at 1% false positives among humans and power users, whatever the number
of bots), the AUC against the people, and the share any hand rule flags.

Unseen kinds (parameters drawn per account):
    poisson_clock       memoryless searches and calls, mean gap 2–15 min, day and
                        night for 3–20 days: no period at all, only no sleep
    office_hours_cron   a job every T (20 s – 10 min, jitter 5–25%, p_miss ≤ 0.3)
                        that runs only 09–18 local time on weekdays: a human clock
    drifting_period     a job whose period drifts +30% over its run (T 30–300 s)
    two_period          each gap is T or 1.618·T at random (T 20–300 s), 2% jitter
    heavy_jitter_cron   T 1–10 min with 30% jitter and 20% missed beats
    sleepless_human     human-like sessions (log-normal gaps, median 45 s) at bot
                        volume (1,500–5,000 events), spread evenly over the clock
    random_sleep        a script that sleeps a uniform random time between
                        actions (a 2–20 s, b 2–8 times a), in one shift of
                        6–14 h a day, 3–20 days: no period, and it rests
    daytime_poisson     memoryless searches and calls (mean gap 1–10 min) from
                        08:00 to 23:00 local, 3–20 days: a person's clock, no
                        sessions
    auto_refresh        a page left open that reloads itself every 1–15 min
                        (± 2%), each load the same 5–20 requests within a second
                        or two, from 08:00 for 8–16 h local, 3–20 days: bunched
                        like a person's page loads, steady between them
    hourly_quota        a scraper with a quota per clock hour: 20–200 requests
                        as fast as it may (0.5–3 s apart) from a few seconds
                        past each hour, then idle till the next, 3–20 days
    backoff_poller      polls every 15–60 s while there is news, doubling its
                        wait after each empty poll up to 15–60 min (news at
                        10–30 % of polls), round the clock: no single period
    demand_worker       handles requests as they arrive: memoryless, at a rate
                        that follows people's hour of the day (peak 20–120 an
                        hour, 5–20 % of it at night), round the clock, 3–20 days

People of other makes (nine kinds; the other side of generalising: people the
simulator does not make, which the detector must not take for automation). For
them the same columns are false positives: the share inside the budget, the
share above 99 % of the simulated people, the AUC against them (0.5: alike).
Each sleeps and acts in sessions (a geometric number of actions, 30 s apart at
the median) unless said; 10–30 days:
    rotating_shift      bedtime 8 h later every week (early, late, night
                        shifts): the night the shift turns, 24 h or more awake
    new_parent          sleep broken every 1.5–3.5 h; a short session at 60 %
                        of the wakings
    family_account      three people of a household on one account, bedtimes
                        21:00–03:00 each: their rests overlap a few hours
    train_commuter      sessions within a minute or two of the same trains
                        (fixed to the minute) every weekday, besides others
    alert_follower      a saved search's alert at one fixed second every
                        evening, opened on 40–80 % of days after a log-normal
                        delay (median a minute)
    shop_owner          a dealer answering customers six days a week in
                        opening hours: conversations of a few calls and
                        messages, customers arriving at random (1–6 an hour)
    hawkes_person       self-exciting: each action invites more (branching
                        0.5–0.85, after 30 s – 20 min), sessions of any length
    heavy_tail_person   heavy-tailed gaps in waking time (Lomax, tail index
                        0.8–1.5, scale 30–120 s), no sessions as such
    deal_hunter         refreshes a search waiting for a new listing: a few
                        streaks a day of 10–40 refreshes 40 s apart (log-normal
                        sd 0.5), besides ordinary sessions

``--mixed-people N`` asks the same of a population, not of forty accounts in
it: the default world's people joined by N of each of the nine kinds (9,000
for N = 1000: a quarter of the people), no unseen automation. The detector's
levels learned from the population (the pace limit, the visits chance, the
fast-gap share) then meet these people as part of it. It prints the AP of
the simulator's automation against every person, and for each kind of person
the share inside the budget and above 99 % of the simulated people.

``--foreign`` builds a marketplace none of whose accounts the simulator made:
``--users`` accounts, 2 % of them the twelve kinds of automation above in equal
numbers, the rest people of the nine kinds (three in ten self-exciting, three
in ten with heavy-tailed gaps, one in ten a household, a twentieth each of the
others), over the simulator's month; ``--capture-days D`` keeps D days from the
middle of it, as the simulator's captures do. Every level the detector learns
comes from people it was never tuned on. It prints the AP of the automation
against the people and each kind's row (for people, false positives: the
"above 99 %" column is then the share above 99 % of the other people).
"""

from __future__ import annotations

import argparse

import _common  # noqa: F401  (puts the project on sys.path)
import numpy as np
import pandas as pd
from _common import print_table
from sklearn.metrics import average_precision_score

from cadence.simulate import (
    COUNTRY_SHARES,
    COUNTRY_UTC_OFFSET_H,
    DAY_MS,
    HOUR_MS,
    HOURLY_WEIGHT,
    HUMAN_KINDS,
    SimConfig,
    capture_start_ms,
    month_ms,
    simulate,
)
from features.build import build_features_in_parts
from models.ensemble import CadenceDetector
from models.rules import rule_flags

FIRST_ID = 90_000_000


def _log_uniform(rng, low, high, size=None):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def _periodic(rng, begin, n, period_s, jitter, p_miss):
    """Times (ms) of n beats every period_s with jitter and geometric misses."""
    m = rng.geometric(1.0 - p_miss, n) if p_miss > 0 else np.ones(n)
    gaps = m * period_s + rng.normal(0.0, jitter * period_s, n)
    return begin + 1000.0 * np.cumsum(np.maximum(gaps, 0.05))


def _local_hour(ts, offset_h):
    """The local hour of the day (fractional) of the times ``ts`` (ms) in a
    zone ``offset_h`` hours from UTC."""
    return ((ts + offset_h * HOUR_MS) % DAY_MS) / HOUR_MS


def _weekday(ts, offset_h):
    """The local day of the week of the times ``ts`` (ms): 0 Monday … 6 Sunday."""
    return (((ts + offset_h * HOUR_MS) // DAY_MS) + 3) % 7  # 1970-01-01: a Thursday


def _midnights(begin, days, offset_h):
    """The local midnights (ms) of ``days`` days from the day of ``begin``."""
    first = ((begin + offset_h * HOUR_MS) // DAY_MS) * DAY_MS - offset_h * HOUR_MS
    return first + np.arange(days) * DAY_MS


def _daily_window(ts, offset_h, first_h, hours):
    """Which of the times ``ts`` (ms) fall in the local daily window of
    ``hours`` hours from ``first_h``."""
    return (_local_hour(ts, offset_h) - first_h) % 24 < hours


def poisson_clock(rng, begin, end_ms, offset_h):
    mean_gap_s = rng.uniform(120, 900)
    span = min(rng.uniform(3, 20) * DAY_MS, end_ms - begin)
    n = max(int(span / (mean_gap_s * 1000)), 5)
    ts = begin + 1000.0 * np.cumsum(rng.exponential(mean_gap_s, n))
    return ts, np.where(rng.random(n) < 0.7, 0, 1)


def office_hours_cron(rng, begin, end_ms, offset_h):
    period = _log_uniform(rng, 20, 600)
    n = int((end_ms - begin) / (period * 1000)) + 1
    ts = _periodic(rng, begin, n, period, rng.uniform(0.05, 0.25), rng.uniform(0, 0.3))
    hour = np.floor(_local_hour(ts, offset_h))
    weekday = _weekday(ts, offset_h)
    keep = (hour >= 9) & (hour < 18) & (weekday < 5)
    ts = ts[keep][:4000]
    return ts, np.zeros(ts.size, int)


def drifting_period(rng, begin, end_ms, offset_h):
    t0 = _log_uniform(rng, 30, 300)
    n = int(rng.integers(300, 2000))
    period = t0 * np.linspace(1.0, 1.3, n)
    gaps = period + rng.normal(0, 0.03, n) * period
    return begin + 1000.0 * np.cumsum(gaps), np.ones(n, int)


def two_period(rng, begin, end_ms, offset_h):
    t1 = _log_uniform(rng, 20, 300)
    n = int(rng.integers(300, 2000))
    period = np.where(rng.random(n) < 0.5, t1, 1.618 * t1)
    gaps = period * (1 + rng.normal(0, 0.02, n))
    return begin + 1000.0 * np.cumsum(gaps), np.zeros(n, int)


def heavy_jitter_cron(rng, begin, end_ms, offset_h):
    n = int(rng.integers(200, 1500))
    ts = _periodic(rng, begin, n, _log_uniform(rng, 60, 600), 0.3, 0.2)
    return ts, np.zeros(n, int)


def sleepless_human(rng, begin, end_ms, offset_h):
    n = int(rng.integers(1500, 5000))
    gaps = rng.lognormal(np.log(45.0), 1.2, n)
    # a break of ~20 min after each session of 20–60 events
    breaks = np.cumsum(rng.integers(20, 61, n // 20 + 1))
    breaks = breaks[breaks < n]
    gaps[breaks] = rng.exponential(1200.0, breaks.size)
    return begin + 1000.0 * np.cumsum(gaps), np.where(rng.random(n) < 0.6, 0, 1)


def random_sleep(rng, begin, end_ms, offset_h):
    low = rng.uniform(2, 20)
    high = low * rng.uniform(2, 8)
    days = rng.uniform(3, 20)
    n = int(days * DAY_MS / (1000 * (low + high) / 2)) + 1
    ts = begin + 1000.0 * np.cumsum(rng.uniform(low, high, n))
    # the shift compresses: keep the times that fall in it, up to 6,000 actions
    ts = ts[_daily_window(ts, 0.0, rng.uniform(0, 24), rng.uniform(6, 14))][:6000]
    return ts, np.where(rng.random(ts.size) < 0.9, 0, 1)


def daytime_poisson(rng, begin, end_ms, offset_h):
    mean_gap_s = rng.uniform(60, 600)
    span = min(rng.uniform(3, 20) * DAY_MS, end_ms - begin)
    n = max(int(span / (mean_gap_s * 1000)), 5)
    ts = begin + 1000.0 * np.cumsum(rng.exponential(mean_gap_s, n))
    ts = ts[_daily_window(ts, offset_h, 8.0, 15.0)]
    return ts, np.where(rng.random(ts.size) < 0.7, 0, 1)


def auto_refresh(rng, begin, end_ms, offset_h):
    period = rng.uniform(60, 900)
    days = rng.uniform(3, 20)
    loads = int(days * DAY_MS / (1000 * period)) + 1
    t = begin + 1000.0 * np.cumsum(period * (1 + rng.normal(0, 0.02, loads)))
    t = t[_daily_window(t, offset_h, 8.0, rng.uniform(8, 16))]
    size = np.full(t.size, rng.integers(5, 21))  # the same page: the same requests
    step = rng.exponential(100.0, size.sum())  # ms between a load's requests
    first = np.repeat(np.cumsum(size) - size, size)  # each request's load's first
    elapsed = np.cumsum(step)
    ts = np.repeat(t, size) + (elapsed - elapsed[first])
    return ts, np.zeros(ts.size, int)


def hourly_quota(rng, begin, end_ms, offset_h):
    quota = int(rng.integers(20, 201))
    step_s = rng.uniform(0.5, 3.0)  # the median gap of its fastest pace
    hours = int(min(rng.uniform(3, 20) * 24, (end_ms - begin) / HOUR_MS))
    # every clock hour, a few seconds after it turns, the quota as fast as it may
    top = (begin // HOUR_MS + 1 + np.arange(hours)) * HOUR_MS
    start = top + rng.uniform(0, 5000, hours)
    gaps = rng.lognormal(np.log(step_s * 1000), 0.5, (hours, quota))
    ts = (start[:, None] + np.cumsum(gaps, axis=1)).ravel()
    return ts, np.where(rng.random(ts.size) < 0.8, 0, 1)


def backoff_poller(rng, begin, end_ms, offset_h):
    base, cap = rng.uniform(15, 60), rng.uniform(900, 3600)
    news = rng.uniform(0.1, 0.3)  # chance a poll finds something: back to base
    n = int(rng.integers(500, 3000))
    # the wait doubles after every empty poll, up to the cap
    reset = rng.random(n) < news
    run = np.arange(n) - np.maximum.accumulate(np.where(reset, np.arange(n), 0))
    gaps = np.minimum(base * 2.0**run, cap) * (1 + rng.normal(0, 0.02, n))
    return begin + 1000.0 * np.cumsum(gaps), np.zeros(n, int)


def demand_worker(rng, begin, end_ms, offset_h):
    # handles requests as they come: memoryless arrivals whose rate follows the
    # people's hour of the day (peak 20–120 an hour, a floor of 5–20 % of it at
    # night), round the clock for 3–20 days
    peak, floor = rng.uniform(20, 120), rng.uniform(0.05, 0.2)
    span = min(rng.uniform(3, 20) * DAY_MS, end_ms - begin)
    shape = HOURLY_WEIGHT / HOURLY_WEIGHT.max()
    rate_h = peak * np.maximum(shape, floor)  # per local hour of the day
    # thinning: candidates at the peak rate, each kept with its hour's share
    n = int(span / HOUR_MS * peak) + 1
    ts = begin + np.cumsum(rng.exponential(HOUR_MS / peak, n))
    ts = ts[ts < begin + span]
    hour = np.floor(_local_hour(ts, offset_h)).astype(int)
    ts = ts[rng.random(ts.size) < rate_h[hour] / peak]
    return ts, np.where(rng.random(ts.size) < 0.5, 0, 2)


UNSEEN = {
    f.__name__: f
    for f in (
        poisson_clock,
        office_hours_cron,
        drifting_period,
        two_period,
        heavy_jitter_cron,
        sleepless_human,
        random_sleep,
        daytime_poisson,
        auto_refresh,
        hourly_quota,
        backoff_poller,
        demand_worker,
    )
}


# People the simulator does not make. Each account is a person: it sleeps, acts
# in sessions of a few actions, and has no scheduler behind it. They measure
# the other side of generalising: how many people of another make the default
# detector mistakes for automation.


def _in_sleep(ts, bed_ms, wake_ms):
    """Which of the times ``ts`` fall inside one of the sleeps [bed, wake)
    (sorted, not overlapping)."""
    i = np.searchsorted(bed_ms, ts, side="right") - 1
    return (i >= 0) & (ts < wake_ms[np.maximum(i, 0)])


def _nights(rng, begin, days, offset_h, bed_h, hours, wander_h=0.5):
    """Bed and wake times (ms) of ``days`` nights from the local day of
    ``begin``: bedtime ``bed_h[i]`` local hours after that day's midnight
    (scalar or per night) wandering ``wander_h`` sd, sleeps of ``hours``;
    first, the night before, as the first night a day earlier (a person met
    at 02:00 has slept since the evening, not been up since the morning)."""
    bed = _midnights(begin, days, offset_h)
    bed = bed + (np.asarray(bed_h) + rng.normal(0, wander_h, days)) * HOUR_MS
    wake = bed + np.asarray(hours) * HOUR_MS
    bed, wake = np.r_[bed[0] - DAY_MS, bed], np.r_[wake[0] - DAY_MS, wake]
    wake = np.minimum(wake, np.r_[bed[1:], np.inf])  # a later bed cuts a sleep short
    return bed, wake


def _awake_starts(rng, begin, span_ms, rate_h, bed, wake):
    """Session starts memoryless at ``rate_h`` per waking hour in [begin,
    begin + span)."""
    n = rng.poisson(rate_h * span_ms / HOUR_MS)
    ts = np.sort(begin + rng.uniform(0, span_ms, n))
    return ts[~_in_sleep(ts, bed, wake)]


def _runs(rng, starts, sizes, median_ms, sd):
    """Times of runs of ``sizes[i]`` actions from ``starts[i]``, log-normal
    gaps (median ``median_ms``, log sd ``sd``) between a run's actions."""
    owner = np.repeat(np.arange(starts.size), sizes)
    gaps = rng.lognormal(np.log(median_ms), sd, owner.size)
    first = np.cumsum(sizes) - sizes
    gaps[first] = 0.0
    elapsed = np.cumsum(gaps)
    return starts[owner] + elapsed - elapsed[first][owner]


#: A person's actions by stream (search, call, message).
PEOPLE_STREAMS = (0.6, 0.25, 0.15)


def _session_events(rng, starts, mean_actions, streams=PEOPLE_STREAMS):
    """Each session start expanded into a geometric number of actions (mean
    ``mean_actions``) a log-normal 30 s apart (median), streams drawn with
    probabilities ``streams`` (search, call, message)."""
    k = rng.geometric(1.0 / mean_actions, starts.size)
    ts = _runs(rng, starts, k, 30_000.0, 1.0)
    return ts, rng.choice(3, ts.size, p=streams)


def _span_days(rng, begin, end_ms, low=10, high=30):
    """A person's span in the capture (ms, ``low``–``high`` days, cut at its
    end) and the nights to draw for it."""
    span = min(rng.uniform(low, high) * DAY_MS, end_ms - begin)
    return span, int(span // DAY_MS) + 2


def _within(ts, begin, span_ms):
    """The times ``ts`` inside [begin, begin + span)."""
    return ts[(ts >= begin) & (ts < begin + span_ms)]


def rotating_shift(rng, begin, end_ms, offset_h):
    # a shift worker whose bedtime moves 8 h later every week (early, late,
    # night): the night the shift turns, a day of 24 h or more awake
    span, days = _span_days(rng, begin, end_ms, 14, 30)
    week = (np.arange(days) + rng.integers(0, 7)) // 7
    bed_h = rng.uniform(21, 23) + 8.0 * ((week + rng.integers(0, 3)) % 3)
    bed, wake = _nights(rng, begin, days, offset_h, bed_h, rng.uniform(6, 8))
    starts = _awake_starts(rng, begin, span, rng.uniform(0.1, 0.6), bed, wake)
    return _session_events(rng, starts, rng.uniform(3, 8))


def new_parent(rng, begin, end_ms, offset_h):
    # sleep broken every 1.5–3.5 h to feed a baby; the phone comes out at
    # 60 % of the wakings for a session of one to three actions
    span, days = _span_days(rng, begin, end_ms)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(21.5, 23.5), 8.5)
    starts = _awake_starts(rng, begin, span, rng.uniform(0.1, 0.5), bed, wake)
    # the wakings of the nights from begin's (the night before holds no session)
    wakings = [b + HOUR_MS * np.cumsum(rng.uniform(1.5, 3.5, 5)) for b in bed[1:]]
    woken = np.concatenate(wakings)
    woken = woken[(woken < np.repeat(wake[1:], 5)) & (rng.random(woken.size) < 0.6)]
    woken = _within(woken, begin, span)
    ts, ev = _session_events(rng, starts, rng.uniform(3, 8))
    ts2, ev2 = _session_events(rng, woken, 1.8)
    return np.r_[ts, ts2], np.r_[ev, ev2]


def family_account(rng, begin, end_ms, offset_h):
    # three people of one household on one account, bedtimes 21:00–03:00
    # each: their rests overlap for a few hours only
    span, days = _span_days(rng, begin, end_ms)
    parts = []
    for _ in range(3):
        bed, wake = _nights(
            rng, begin, days, offset_h, rng.uniform(21, 27), rng.uniform(6.5, 9)
        )
        parts.append(_awake_starts(rng, begin, span, rng.uniform(0.03, 0.2), bed, wake))
    return _session_events(rng, np.sort(np.concatenate(parts)), rng.uniform(3, 8))


def train_commuter(rng, begin, end_ms, offset_h):
    # browses on the same trains every weekday: sessions within a minute or
    # two of fixed departures (to the minute), besides ordinary ones
    span, days = _span_days(rng, begin, end_ms)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(22, 24), 7.5)
    starts = _awake_starts(rng, begin, span, rng.uniform(0.05, 0.3), bed, wake)
    midnight = _midnights(begin, days, offset_h)
    weekday = _weekday(midnight, offset_h)
    rides = []
    for depart_min, sd_s in (
        (rng.integers(420, 510), 90.0),
        (rng.integers(1020, 1140), 120.0),
    ):
        t = midnight + depart_min * 60_000 + rng.normal(0, sd_s * 1000, days)
        rides.append(t[(weekday < 5) & (rng.random(days) < 0.8)])
    rides = np.concatenate(rides)
    rides = _within(rides, begin, span)
    return _session_events(rng, np.sort(np.r_[starts, rides]), rng.uniform(3, 8))


def alert_follower(rng, begin, end_ms, offset_h):
    # a saved search's alert arrives every evening at one fixed second; on
    # 40–80 % of days the person opens it after a log-normal delay (median a
    # minute) and browses; other sessions as anyone's
    span, days = _span_days(rng, begin, end_ms)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(22, 24), 7.5)
    starts = _awake_starts(rng, begin, span, rng.uniform(0.03, 0.2), bed, wake)
    alert = _midnights(begin, days, offset_h) + rng.integers(18 * 60, 21 * 60) * 60_000
    opened = alert + rng.lognormal(np.log(60_000.0), 1.0, days)
    opened = opened[rng.random(days) < rng.uniform(0.4, 0.8)]
    opened = _within(opened, begin, span)
    return _session_events(rng, np.sort(np.r_[starts, opened]), rng.uniform(3, 8))


def shop_owner(rng, begin, end_ms, offset_h):
    # a dealer answering customers six days a week in opening hours: each
    # customer a conversation of a few calls and messages, customers
    # arriving at random (1–6 an hour); evenings as anyone's
    span, days = _span_days(rng, begin, end_ms)
    opens_h, hours = rng.uniform(8, 10), rng.uniform(8, 11)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(22, 24), 8.0)
    own = _awake_starts(rng, begin, span, rng.uniform(0.03, 0.15), bed, wake)
    n = rng.poisson(rng.uniform(1, 6) * span / HOUR_MS)
    customers = begin + rng.uniform(0, span, n)
    open_hour = _daily_window(customers, offset_h, opens_h, hours)
    customers = customers[open_hour & (_weekday(customers, offset_h) != 6)]
    ts, ev = _session_events(
        rng, np.sort(customers), rng.uniform(2, 6), (0.1, 0.3, 0.6)
    )
    ts2, ev2 = _session_events(rng, own, rng.uniform(3, 8))
    return np.r_[ts, ts2], np.r_[ev, ev2]


def deal_hunter(rng, begin, end_ms, offset_h):
    # waits for a new listing by refreshing a search: a few streaks a day of
    # 10–40 refreshes 40 s apart at the median, as steady as a hand gets
    # (log-normal sd 0.5), besides ordinary sessions
    span, days = _span_days(rng, begin, end_ms)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(22, 24), 7.5)
    starts = _awake_starts(rng, begin, span, rng.uniform(0.05, 0.3), bed, wake)
    ts, ev = _session_events(rng, starts, rng.uniform(3, 8))
    streaks = _awake_starts(rng, begin, span, rng.uniform(0.05, 0.15), bed, wake)
    refreshes = _runs(rng, streaks, rng.integers(10, 41, streaks.size), 40e3, 0.5)
    return np.r_[ts, refreshes], np.r_[ev, np.zeros(refreshes.size, int)]


def hawkes_person(rng, begin, end_ms, offset_h):
    # self-exciting: each action invites more (branching 0.5–0.85, after a
    # memoryless 30 s – 20 min), started at random while awake; sessions of
    # any length, no fixed size
    span, days = _span_days(rng, begin, end_ms)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(22, 24.5), 7.5)
    gen = _awake_starts(rng, begin, span, rng.uniform(0.1, 0.6), bed, wake)
    branching, delay_ms = rng.uniform(0.5, 0.85), _log_uniform(rng, 30e3, 1200e3)
    everything = [gen]
    while gen.size:
        kids = rng.poisson(branching, gen.size)
        gen = np.repeat(gen, kids) + rng.exponential(delay_ms, kids.sum())
        everything.append(gen)
    ts = np.sort(np.concatenate(everything))
    return ts, rng.choice(3, ts.size, p=PEOPLE_STREAMS)


def heavy_tail_person(rng, begin, end_ms, offset_h):
    # gaps of a priority queue: heavy-tailed in waking time (Lomax: tail index
    # 0.8–1.5, scale 30–120 s, no floor), nights of 7–8.5 h wandering an hour
    span, days = _span_days(rng, begin, end_ms)
    bed, wake = _nights(rng, begin, days, offset_h, rng.uniform(22, 24.5), 8.0, 1.0)
    alpha, scale = rng.uniform(0.8, 1.5), rng.uniform(30e3, 120e3)
    # each day's waking time: from each wake (begin, if later) to the next bed
    woke = np.maximum(wake[:-1], begin)
    awake = (bed[1:] - woke).clip(0)
    ends = np.cumsum(awake)
    n = int(rng.integers(100, 2000))
    at = np.cumsum(scale * (rng.random(n) ** (-1.0 / alpha) - 1.0))
    at = at[at < ends[-1]]
    # waking time → the clock: day d's waking starts at woke[d]
    day = np.searchsorted(ends, at, side="right")
    ts = woke[day] + at - (ends - awake)[day]
    ts = ts[ts < begin + span]
    return ts, rng.choice(3, ts.size, p=PEOPLE_STREAMS)


UNSEEN_PEOPLE = {
    f.__name__: f
    for f in (
        rotating_shift,
        new_parent,
        family_account,
        train_commuter,
        alert_follower,
        shop_owner,
        hawkes_person,
        heavy_tail_person,
        deal_hunter,
    )
}


def _accounts(counts: dict, start_ms: int, end_ms: int, seed: int, first_id: int):
    """``counts[kind]`` accounts of each kind of :data:`UNSEEN` and
    :data:`UNSEEN_PEOPLE`, signed up over the first 20 days from ``start_ms``
    and cut at ``end_ms``: (signups, events, kinds), ids from ``first_id``."""
    rng = np.random.default_rng(seed)
    makers = {**UNSEEN, **UNSEEN_PEOPLE}
    countries = list(COUNTRY_SHARES)
    shares = np.array(list(COUNTRY_SHARES.values()))
    rows, events = [], []
    uid = first_id
    for kind, count in counts.items():
        make = makers[kind]
        for _ in range(count):
            country = countries[rng.choice(len(countries), p=shares / shares.sum())]
            signup = start_ms + int(rng.integers(0, 20)) * DAY_MS
            begin = signup + int(rng.integers(0, DAY_MS))
            ts, ev = make(rng, begin, end_ms, COUNTRY_UTC_OFFSET_H[country])
            keep = ts < end_ms
            events.append(
                pd.DataFrame(
                    {"user_id": uid, "event": ev[keep], "ts_ms": ts[keep].astype(int)}
                )
            )
            rows.append((uid, country, signup, kind))
            uid += 1
    extra = pd.DataFrame(rows, columns=["user_id", "country_code", "signup_ms", "kind"])
    new_events = pd.concat(events, ignore_index=True)
    new_events["event"] = pd.Categorical.from_codes(
        new_events["event"].to_numpy(), categories=["search", "call", "message"]
    )
    kinds = extra.set_index("user_id")["kind"]
    return extra.drop(columns="kind"), new_events, kinds


def add_unseen(sim, per_kind: int, seed: int, makers: dict | None = None):
    """The simulation's signups, events and kinds with ``per_kind`` accounts of
    each of ``makers`` added (name → maker; all unseen kinds by default)."""
    counts = dict.fromkeys(makers or {**UNSEEN, **UNSEEN_PEOPLE}, per_kind)
    start_ms = int(sim.signups["signup_ms"].min())
    extra, new_events, new_kinds = _accounts(
        counts, start_ms, sim.end_ms, seed, FIRST_ID
    )
    all_events = pd.concat([sim.events, new_events], ignore_index=True)
    all_events = all_events.sort_values(["user_id", "ts_ms"], kind="stable")
    signups = pd.concat([sim.signups, extra], ignore_index=True).sort_values("user_id")
    kinds = pd.concat([sim.labels.set_index("user_id")["kind"], new_kinds]).sort_index()
    return signups, all_events.reset_index(drop=True), kinds


#: People of a world made wholly elsewhere (``--foreign``): mostly the two
#: general models of human activity (self-exciting, heavy-tailed gaps), then
#: households on one account, the rest a twentieth each.
FOREIGN_PEOPLE = {
    "hawkes_person": 0.3,
    "heavy_tail_person": 0.3,
    "family_account": 0.1,
    "rotating_shift": 0.05,
    "new_parent": 0.05,
    "train_commuter": 0.05,
    "alert_follower": 0.05,
    "shop_owner": 0.05,
    "deal_hunter": 0.05,
}
#: Share of a foreign world's accounts that are automation, split evenly
#: between the kinds of :data:`UNSEEN` (the simulator's default share is 1.5 %).
FOREIGN_BOT_SHARE = 0.02


def foreign_world(users: int, seed: int, capture_days: int = 0):
    """A marketplace none of whose accounts the simulator made: ``users``
    accounts, :data:`FOREIGN_BOT_SHARE` of them automation of the twelve
    unseen kinds, the others people of :data:`FOREIGN_PEOPLE`, over the
    simulator's default month; with ``capture_days``, only the events of that
    many days from the middle of the month, as the simulator captures, and the
    accounts seen in them. (signups, events, kinds)."""
    config = SimConfig(capture_days=capture_days)
    start_ms, end_ms = month_ms(config)
    per_bot_kind = int(round(users * FOREIGN_BOT_SHARE / len(UNSEEN)))
    people = users - per_bot_kind * len(UNSEEN)
    counts = {k: int(round(w * people)) for k, w in FOREIGN_PEOPLE.items()}
    counts |= dict.fromkeys(UNSEEN, per_bot_kind)
    signups, events, kinds = _accounts(counts, start_ms, end_ms, seed, FIRST_ID)
    if capture_days:
        lo = capture_start_ms(config)
        ts = events["ts_ms"]
        events = events[(ts >= lo) & (ts < lo + capture_days * DAY_MS)]
        seen = signups["user_id"].isin(events["user_id"].unique())
        signups, kinds = signups[seen], kinds[seen.to_numpy()]
    events = events.sort_values(["user_id", "ts_ms"], kind="stable")
    return signups.reset_index(drop=True), events.reset_index(drop=True), kinds


def _auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting half."""
    neg = np.sort(negatives)
    below = np.searchsorted(neg, positives, side="left")
    equal = np.searchsorted(neg, positives, side="right") - below
    return float(((below + equal / 2) / neg.size).mean())


def _fitted(args, per_kind: int, makers: dict | None = None):
    """The default world of ``args`` with ``per_kind`` accounts of each of
    ``makers`` added, fitted as train.py fits: (events, signups, features,
    detector, scores, kinds, the scores of the simulated people)."""
    sim = simulate(SimConfig(users=args.users, seed=args.seed))
    signups, events, kinds = add_unseen(sim, per_kind, args.seed + 1, makers)
    features, detector, scores, kinds = _scored(events, signups, kinds, args.seed)
    people = scores[kinds.isin(HUMAN_KINDS)].to_numpy()
    return events, signups, features, detector, scores, kinds, people


def _scored(events, signups, kinds, seed: int):
    """The feature table of ``events``, the default detector fitted on it as
    train.py fits, each user's score and ``kinds`` in the table's order."""
    features = build_features_in_parts(events, signups)
    detector = CadenceDetector(random_state=seed).fit(features)
    scores = pd.Series(detector.score_samples(features), index=features.index)
    return features, detector, scores, kinds.reindex(features.index)


def _row(name, mine, scores, suspect, people, flags=None):
    """The share of the users ``mine`` inside the budget, above 99 % of
    ``people``'s scores and their AUC against them (and the share any hand
    rule flags), as the row ``name``."""
    row = {
        "kind": name,
        "users": int(mine.sum()),
        "in_budget": float(suspect[mine].mean()),
        "recall_1pct_fp": float((scores[mine] > np.quantile(people, 0.99)).mean()),
        "auc_vs_people": _auc(scores[mine].to_numpy(), people),
    }
    if flags is not None:
        row["rule_any"] = float(flags[mine].mean())
    return row


def mixed_people(args) -> None:
    """The default world's people joined by ``args.mixed_people`` of each kind
    of people of other makes (a population the detector's learned levels must
    follow, not forty accounts in it): AP of the simulator's automation
    against every person, and each kind of person's share inside the budget."""
    _, _, features, detector, scores, kinds, people = _fitted(
        args, args.mixed_people, UNSEEN_PEOPLE
    )
    suspect = scores >= detector.threshold_
    person = kinds.isin([*HUMAN_KINDS, *UNSEEN_PEOPLE]).to_numpy()
    ap = average_precision_score(~person, scores.to_numpy())
    rows = [
        _row(k, (kinds == k).to_numpy(), scores, suspect, people)
        for k in [*UNSEEN_PEOPLE, *HUMAN_KINDS]
    ]
    rows.append(_row("automation (the simulator's)", ~person, scores, suspect, people))
    print_table(
        rows,
        f"{len(features):,} users, {args.mixed_people:,} of each kind of people "
        f"of other makes; AP of the automation against every person {ap:.3f}; "
        f"budget {detector.budget:.0%} ({int(suspect.sum()):,} suspects)",
    )


def foreign(args) -> None:
    """A world made wholly elsewhere (:func:`foreign_world`): AP of its
    automation against its people, recall inside the budget, and for each kind
    the share inside the budget and above 99 % of the people."""
    signups, events, kinds = foreign_world(args.users, args.seed, args.capture_days)
    features, detector, scores, kinds = _scored(events, signups, kinds, args.seed)
    bot = kinds.isin(list(UNSEEN)).to_numpy()
    suspect = scores >= detector.threshold_
    people = scores[~bot].to_numpy()
    ap = average_precision_score(bot, scores.to_numpy())
    rows = [
        _row(k, (kinds == k).to_numpy(), scores, suspect, people)
        for k in [*UNSEEN, *FOREIGN_PEOPLE]
        if (kinds == k).any()
    ]
    capture = f", a {args.capture_days}-day capture" if args.capture_days else ""
    print_table(
        rows,
        f"a world none of whose {len(features):,} users the simulator made"
        f"{capture}: AP of the automation ({int(bot.sum())}) against the people "
        f"{ap:.3f}, recall inside the budget {suspect[bot].mean():.2f} "
        f"({int(suspect.sum()):,} suspects); for people the columns are false "
        "positives",
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    p.add_argument("--per-kind", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mixed-people", type=int, default=0, metavar="N")
    p.add_argument("--foreign", action="store_true")
    p.add_argument("--capture-days", type=int, default=0, metavar="D")
    args = p.parse_args()
    for name in ("users", "per_kind", "mixed_people", "capture_days"):
        if getattr(args, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be at least 0")
    if args.capture_days > SimConfig().days:
        p.error(f"--capture-days must be at most {SimConfig().days}")
    if args.capture_days and not args.foreign:
        p.error("--capture-days applies to --foreign only")
    if args.foreign:
        foreign(args)
        return
    if args.mixed_people:
        mixed_people(args)
        return
    events, signups, features, detector, scores, kinds, people = _fitted(
        args, args.per_kind
    )
    suspect = scores >= detector.threshold_
    flags = rule_flags(events, signups, features)["rule_any"]

    def row(kind, suffix=""):
        mine = (kinds == kind).to_numpy()
        return _row(kind + suffix, mine, scores, suspect, people, flags)

    order = ["burst_scraper", "periodic", "low_and_slow", "harvester"]
    order += ["spam_messager", "power_user", "human"]
    print_table(
        [row(k, " (unseen)") for k in UNSEEN] + [row(k) for k in order],
        f"{len(features):,} users, budget {detector.budget:.0%} "
        f"({int(suspect.sum()):,} suspects): share of each kind inside it",
    )
    # for people, the same columns are false positives: in the budget, above
    # 99 % of the simulated people, and how much higher they score (0.5: alike)
    print_table(
        [row(k) for k in UNSEEN_PEOPLE],
        "people of other makes: share inside the budget, share above 99% of the "
        "simulated people (recall_1pct_fp), AUC against them",
    )


if __name__ == "__main__":
    main()
