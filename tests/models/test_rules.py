"""The notebook's rules: hand-made users that must and must not trigger each rule,
and each vectorised rule against a straightforward per-user loop."""

import numpy as np
import pandas as pd
import pytest

from features.grouped import Groups
from models import rules as R


def one(times):
    t = np.asarray(times, dtype=np.float64)
    return t, Groups(np.zeros(t.size, np.int64), 1)


@pytest.mark.parametrize(
    "times, expected",
    [
        ([0, 30, 60, 90, 120], True),  # every 30 s
        ([0, 30, 61, 90, 121], True),  # mean 30.25, mode 30 (30, 31, 29, 31 → 31)
        ([0, 30, 60], False),  # only 2 gaps
        ([0, 30, 60, 90, 400], False),  # mean far from the mode
        ([0, 300, 600, 900, 1200, 1700, 1800], False),  # std over 60 s
        ([0, 0, 0, 0], False),  # modal gap 0 never flags
    ],
)
def test_regular_pattern_cases(times, expected):
    assert R.regular_pattern(*one(times))[0] == expected


@pytest.mark.parametrize("step", [1.0, 0.25])
def test_exact_mode_matches_pandas_mode(step):
    # whole values take the packed-key sort, fractions the lexsort
    rng = np.random.default_rng(2)
    c = np.sort(rng.integers(0, 300, 20_000))
    v = rng.integers(0, 12, c.size) * step
    want = pd.Series(v).groupby(c).agg(lambda x: x.mode().min())
    got = R.exact_mode(v, c, 301)
    np.testing.assert_array_equal(got[want.index], want.to_numpy())
    assert np.isnan(got[np.setdiff1d(np.arange(301), want.index)]).all()


def test_exact_mode_smallest_on_ties():
    v = np.array([3.0, 1.0, 3.0, 1.0, 5.0, 7.0, 7.0])
    c = np.array([0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(R.exact_mode(v, c, 3)[:2], [1.0, 7.0])
    assert np.isnan(R.exact_mode(v, c, 3)[2])


@pytest.mark.parametrize(
    "times, constant, progression",
    [
        ([0, 10, 20, 30], True, True),  # constant (also arithmetic)
        ([0, 10, 30, 60, 100], False, True),  # gaps 10, 20, 30, 40: arithmetic
        ([0, 10, 30, 70, 150], False, True),  # gaps 10, 20, 40, 80: geometric
        ([0, 10, 25, 70], False, False),  # gaps 10, 15, 45
        ([0, 10], True, False),  # one gap: constant, but no progression
    ],
)
def test_gap_patterns_cases(times, constant, progression):
    c, p = R.gap_patterns(*one(times))
    assert (c[0], p[0]) == (constant, progression)


def test_extreme_rate_top_unique():
    i = np.arange(100)
    rates = pd.DataFrame({"search_per_day": i * 1.0, "call_per_day": (99 - i) * 0.5})
    flag = R.extreme_rate(rates, ("search_per_day", "call_per_day"), top_unique=20)
    # 20th largest distinct search rate: 80; call rate: 49.5 − 19·0.5 = 40
    np.testing.assert_array_equal(flag, (i >= 80) | (i <= 19))


def test_jump_threshold():
    values = np.r_[np.arange(1.0, 1001.0), 50_000.0, 50_001.0]
    # top 2% of 1002 distinct values = 20 values: steps of 1, then a jump of 49,000
    assert R.jump_threshold(values) == 50_000.0
    assert R.jump_threshold(np.arange(1.0, 1001.0)) is None
    assert R.jump_threshold(np.arange(5.0)) is None


def test_quantile_rules_flag_the_constructed_user():
    rng = np.random.default_rng(0)
    n = 1000
    master = pd.DataFrame(
        {
            "n_search": rng.integers(5, 50, n).astype(float),
            "tenure_days": rng.integers(1, 30, n).astype(float),
            "search_per_day": rng.uniform(0, 10, n),
            "call_per_day": rng.uniform(0, 10, n),
            "message_per_day": rng.uniform(0, 10, n),
        }
    )
    # a heavy searcher who barely calls or messages
    master.loc[0] = [500, 5, 100, 0.0, 0.0]
    out = R.quantile_rules(master)
    assert out["low_engagement"][0]
    assert not out["search_msg_low_call"][0]  # messages are not high
    # reference: quantiles by hand with numpy's linear interpolation
    q = {c: np.quantile(master[c], [0.25, 0.5, 0.95, 0.97, 0.99]) for c in master}
    s, c, m = (
        master["search_per_day"],
        master["call_per_day"],
        master["message_per_day"],
    )
    want = (
        (master["n_search"] >= q["n_search"][3])
        & (s >= q["search_per_day"][4])
        & (c <= q["call_per_day"][1])
        & (m <= q["message_per_day"][2])
    )
    np.testing.assert_array_equal(out["low_engagement"], want.to_numpy())


def test_batch_quantiles_match_a_loop_over_batches():
    rng = np.random.default_rng(1)
    master = pd.DataFrame(
        rng.lognormal(0, 1, (2500, 5)),
        columns=[
            "n_search",
            "tenure_days",
            "search_per_day",
            "call_per_day",
            "message_per_day",
        ],
    )
    out = R.quantile_rules(master, batch_size=1000)
    want = np.zeros(len(master), bool)
    for start in range(0, len(master), 1000):
        b = master.iloc[start : start + 1000]
        s, c, m = b["search_per_day"], b["call_per_day"], b["message_per_day"]
        want[start : start + 1000] = (
            (s >= s.quantile(0.97)) & (c >= c.quantile(0.95)) & (m <= m.quantile(0.25))
        )
    np.testing.assert_array_equal(out["search_call_low_msg"], want)


def reference_rules(events: pd.DataFrame, resolution_s=1.0):
    """The notebook's per-user loops, written plainly (one user at a time)."""
    rows = {}
    for uid, ev in events.groupby("user_id"):
        row = {}
        for name in R.EVENT_TYPES:
            t = np.sort(ev.loc[ev["event"] == name, "ts_ms"].to_numpy() / 1000.0)
            g = np.diff(t)
            flag = False
            if g.size >= 3:
                binned = np.round(g / resolution_s) * resolution_s
                vals, counts = np.unique(binned, return_counts=True)
                mode = vals[np.argmax(counts)]
                if mode > 0:
                    flag = abs(g.mean() - mode) / mode < 0.1 and g.std(ddof=1) < 60
            row[f"regular_{name}"] = bool(flag)
        t = np.sort(ev.loc[ev["event"] == "search", "ts_ms"].to_numpy() / 1000.0)
        g = np.round(np.diff(t) / resolution_s) * resolution_s
        high = False
        if t.size > 45 and t[-1] > t[0]:
            high = t.size / ((t[-1] - t[0]) / 86400) > 100
        constant = g.size >= 1 and bool(np.all(g == g[0]))
        prog = False
        if g.size >= 2:
            d = np.diff(g)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = g[1:] / g[:-1]
            prog = bool(np.all(d == d[0])) or bool(
                np.all((r == r[0]) | (np.isnan(r) & np.isnan(r[0])))
            )
        row["constant_gap"] = high and constant
        row["progression"] = high and prog
        rows[uid] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def test_vectorised_rules_equal_the_reference_loop(small_sim, small_features):
    # a few hundred users: every bot and a sample of people
    lab = small_sim.labels
    users = np.r_[
        lab.loc[lab["is_bot"] == 1, "user_id"].to_numpy(),
        lab.loc[lab["is_bot"] == 0, "user_id"].sample(200, random_state=0).to_numpy(),
    ]
    ev = small_sim.events[small_sim.events["user_id"].isin(users)]
    F = small_features.loc[np.sort(users)]
    got = R.rule_flags(ev, small_sim.signups, F)
    want = reference_rules(ev).reindex(F.index, fill_value=False)
    for col in want.columns:
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), col)
    assert got["regular_search"].sum() + got["regular_call"].sum() > 0


def test_rule_any_is_the_union(small_sim, small_features):
    flags = R.rule_flags(small_sim.events, small_sim.signups, small_features)
    assert list(flags.columns) == [*R.RULES, "rule_any"]
    np.testing.assert_array_equal(flags["rule_any"], flags[list(R.RULES)].any(axis=1))
    assert flags.dtypes.eq(bool).all()


def test_floor_times_reproduces_the_notebook(small_sim, small_features):
    # flooring to seconds can only merge gaps into the same mode bucket
    a = R.rule_flags(small_sim.events, small_sim.signups, small_features)
    b = R.rule_flags(
        small_sim.events, small_sim.signups, small_features, floor_times=True
    )
    assert a.shape == b.shape
    assert (a["regular_search"] != b["regular_search"]).mean() < 0.01


def test_rules_in_ranges_equal_rules_at_once(small_sim, small_features):
    a = R.rule_flags(small_sim.events, small_sim.signups, small_features)
    b = R.rule_flags(
        small_sim.events, small_sim.signups, small_features, max_events=20_000
    )
    pd.testing.assert_frame_equal(a, b)
