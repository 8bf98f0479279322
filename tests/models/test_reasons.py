"""Reasons in plain words, with numbers checked by hand, for hand-made users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.gaps import MIN_GAP_S
from models.reasons import duration, reason_texts

H = 3_600_000
DAY = 86_400_000
T0 = 1_551_484_800_000  # 2019-03-02 00:00 UTC


def features_of(events: dict[int, tuple[str, np.ndarray]]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"user_id": uid, "event": kind, "ts_ms": np.sort(ts)})
        for uid, (kind, ts) in events.items()
    ]
    ev = pd.concat(parts, ignore_index=True).astype({"ts_ms": np.int64})
    sign = pd.DataFrame(
        {"user_id": sorted(events), "country_code": "GB", "signup_ms": T0 - DAY}
    )
    return build_features(ev, sign)


def test_durations_by_hand():
    got = duration(np.array([0.84, 61, 252, 11_160, 216_000, np.nan]))
    assert list(got) == ["0.8 s", "61 s", "4.2 min", "3.1 h", "2.5 d", "?"]


def test_each_behaviour_in_words():
    rng = np.random.default_rng(0)
    # a script: one search every 60 s (± 0.6 s) for 400 beats, every 4th skipped;
    # half a minute past the hour, so each clock hour holds 60 beats, 45 kept
    beats = np.arange(400)
    beats = beats[beats % 4 != 3]
    script = T0 + 30_000 + beats * 60_000 + rng.normal(0, 600, beats.size).astype(int)
    # a client that never rests: every 10 min for 41 h
    sleepless = T0 + np.arange(0, 41 * 60 + 1, 10) * 60_000
    # a harvester: 100 searches 5 min apart, a call 5 s after each
    searches = T0 + np.arange(100) * 300_000
    calls = searches + 5_000
    # a scheduler: 10 runs at 03:12:05 on 10 days (3 searches each, 2 s apart)
    runs = T0 + np.arange(10) * DAY + (3 * 3600 + 12 * 60 + 5) * 1000
    job = (runs[:, None] + np.arange(3) * 2000).ravel()
    f = features_of(
        {
            1: ("search", script),
            2: ("search", sleepless),
            3: ("search", searches),
            5: ("search", job),
        }
    )
    both = pd.concat(
        [
            pd.DataFrame({"user_id": 3, "event": "search", "ts_ms": searches}),
            pd.DataFrame({"user_id": 3, "event": "call", "ts_ms": calls}),
        ]
    )
    sign = pd.DataFrame({"user_id": [3], "country_code": "GB", "signup_ms": T0})
    harvester = build_features(both, sign)

    text = reason_texts("search_rhythm", f.loc[[1]], np.nan)[0]
    period = f.loc[1, "search_period_s"]
    assert period == pytest.approx(60, abs=0.1)
    assert text.startswith("one search every 60 s (± 0.")
    assert "25% of beats skipped (300 searches)" in text

    assert reason_texts("longest_awake_h", f.loc[[2]], np.nan)[0] == (
        "active for 41 h without a 3-hour rest"
    )
    assert reason_texts("active_run_h", f.loc[[2]], np.nan)[0] == (
        "active in 42 consecutive hours"
    )
    assert reason_texts("lag_mode_share_lcb", harvester.loc[[3]], np.nan)[0] == (
        "calls 5.0 s after a search: 100% of its 100 calls at the same lag "
        "(±10%); 100% of its 100 searches lead to a call"
    )
    slow = harvester.loc[[3]].assign(lag_median_s=1200.0)  # a 20-minute lag
    assert reason_texts("lag_mode_share_lcb", slow, np.nan)[0] == (
        "calls 20.0 min after a search: 100% of its 100 calls at the same lag "
        "(±30 s); 100% of its 100 searches lead to a call"
    )
    assert reason_texts("clock_day_share", f.loc[[5]], np.nan)[0] == (
        "10 of its 10 sessions start at the same time of day (± 30 s)"
    )
    assert reason_texts("max_events_hour", f.loc[[1]], 4.0)[0] == (
        "45 events in one hour (a typical user: 4)"
    )


def test_first_reason_names_the_kinds_behaviour(small_sim, small_features):
    from cadence.simulate import KIND_BEHAVIOUR
    from models.ensemble import CadenceDetector

    # 5% of these users are bots: a budget that can hold them
    model = CadenceDetector(random_state=0, budget=0.05).fit(small_features)
    kinds = small_sim.labels.set_index("user_id")["kind"].reindex(small_features.index)
    caught = (model.predict(small_features) == -1) & kinds.isin(KIND_BEHAVIOUR)
    first = model.explain(small_features[caught], k=1)["reason_1_feature"]
    ok = [f in KIND_BEHAVIOUR[k] for k, f in zip(kinds[caught], first, strict=True)]
    assert len(ok) > 50 and np.mean(ok) >= 0.9


def test_fast_gaps_in_words():
    rows = pd.DataFrame({"all_gap_q75_s": [4.0, 30.0], "n_events": [12, 400]})
    assert list(reason_texts("all_gap_q75_s", rows, 95.0)) == [
        "three in four of its gaps under 4.0 s (12 events) (a typical user: 95 s)",
        "three in four of its gaps under 30 s (400 events) (a typical user: 95 s)",
    ]


def test_modal_gap_in_words_and_same_tick():
    rows = pd.DataFrame(
        {
            "all_mode_share": [0.95, 0.4, 0.87],
            "all_mode_s": [0.0, 59.0, MIN_GAP_S],  # zero gaps, floored at 1 ms
            "n_events": [800, 120, 1396],
        }
    )
    assert list(reason_texts("all_mode_share", rows, 0.1)) == [
        "95% of its events in the same second or minute as the one before (800 events)",
        "40% of its gaps are the same 59 s (±10%; 120 events)",
        "87% of its events in the same second or minute as the one before "
        "(1,396 events)",
    ]
    # a column without a template, or a row without what a template needs
    plain = reason_texts("max_events_hour", pd.DataFrame({"x": [1]}), 4.0)[0]
    assert plain == "most events in one hour n/a (a typical user: 4)"
