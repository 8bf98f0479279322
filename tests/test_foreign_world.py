"""The benchmark's world made without the simulator: deterministic, every kind
in its share, a capture that keeps its window only."""

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
    foreign_world,
)

from cadence.simulate import DAY_MS, SimConfig  # noqa: E402

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
