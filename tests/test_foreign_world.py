"""The benchmark's world made without the simulator: deterministic, every kind
in its share, a capture that keeps its window only, people who sleep from the
first night."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_unseen import (  # noqa: E402
    FOREIGN_BOT_SHARE,
    FOREIGN_PEOPLE,
    UNSEEN,
    _in_sleep,
    _nights,
    foreign_world,
    heavy_tail_person,
)

from cadence.simulate import DAY_MS, HOUR_MS, SimConfig  # noqa: E402

USERS = 600


@pytest.fixture(scope="module")
def month():
    return foreign_world(USERS, seed=5)


def test_the_same_seed_makes_the_same_world(month):
    again = foreign_world(USERS, seed=5)
    for mine, theirs in zip(month, again, strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(mine), pd.DataFrame(theirs))
    other = foreign_world(USERS, seed=6)[1]
    assert not month[1]["ts_ms"].equals(other["ts_ms"])


def test_every_kind_is_there_in_its_share(month):
    signups, events, kinds = month
    # 600 accounts: 2 % automation is 12, one of each of the twelve kinds
    per_bot = round(USERS * FOREIGN_BOT_SHARE / len(UNSEEN))
    assert per_bot == 1
    counts = kinds.value_counts()
    assert all(counts[k] == per_bot for k in UNSEEN)
    people = USERS - per_bot * len(UNSEEN)
    assert {k: counts[k] for k in FOREIGN_PEOPLE} == {
        k: round(w * people) for k, w in FOREIGN_PEOPLE.items()
    }
    assert len(signups) == len(kinds) == counts.sum()
    assert signups["user_id"].is_unique
    assert set(events["user_id"]) <= set(signups["user_id"])


def test_a_capture_keeps_its_days_and_the_accounts_seen_in_them(month):
    signups, events, kinds = foreign_world(USERS, seed=5, capture_days=1)
    config = SimConfig()
    start = pd.Timestamp(config.start, tz="UTC").value // 1_000_000
    lo = start + (config.days // 2) * DAY_MS
    ts = events["ts_ms"].to_numpy()
    assert ts.min() >= lo and ts.max() < lo + DAY_MS
    # the same accounts' events, cut to the day: nothing else lost or added
    whole = month[1]
    inside = whole[(whole["ts_ms"] >= lo) & (whole["ts_ms"] < lo + DAY_MS)]
    np.testing.assert_array_equal(inside["ts_ms"].to_numpy(), ts)
    np.testing.assert_array_equal(
        np.sort(signups["user_id"].to_numpy()), np.unique(inside["user_id"])
    )
    assert kinds.index.equals(pd.Index(signups["user_id"]))
    assert len(signups) < USERS


def test_a_person_met_after_midnight_has_slept():
    rng = np.random.default_rng(0)
    midnight = pd.Timestamp("2019-03-10", tz="UTC").value // 1_000_000
    begin = midnight + 2 * HOUR_MS  # 02:00, UTC zone
    bed, wake = _nights(rng, begin, 3, 0.0, 23.0, 8.0, wander_h=0.0)
    # the night before begin's day first: 23:00 the day before to 07:00
    assert bed[0] == midnight - HOUR_MS and wake[0] == midnight + 7 * HOUR_MS
    assert bed[1] == midnight + 23 * HOUR_MS and len(bed) == 4
    assert _in_sleep(np.array([begin]), bed, wake)[0]


def test_heavy_tailed_people_met_after_midnight_never_stay_up_a_day():
    # nights of 8 h from 22:00–00:30 (± 1 h): a waking day of 20 h at most
    # in nearly every draw; met at 00:00–05:00 without the night before, the
    # first day ran from then to the next bedtime, 17–24 h
    rng = np.random.default_rng(1)
    midnight = pd.Timestamp("2019-03-10", tz="UTC").value // 1_000_000
    longest = []
    for _ in range(200):
        begin = midnight + int(rng.integers(0, 5 * HOUR_MS))
        ts, _ = heavy_tail_person(rng, begin, midnight + 40 * DAY_MS, 0.0)
        ts = np.sort(ts)
        cut = np.flatnonzero(np.diff(ts) > 3 * HOUR_MS) + 1
        stretches = np.split(ts, cut)
        longest.append(max(s[-1] - s[0] for s in stretches) / HOUR_MS)
    assert max(longest) < 21.0
