"""The simulator: the notebook's marginals, determinism, and schedules that fit back."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cadence.simulate import (
    BOT_KINDS,
    COUNTRY_UTC_OFFSET_H,
    WORLDS,
    SimConfig,
    simulate,
    world_config,
    write_logs,
)


def per_user(sim, event):
    ev = sim.events[sim.events["event"] == event]
    people = sim.labels.loc[sim.labels["kind"] == "human", "user_id"]
    return ev.groupby("user_id").size().reindex(people, fill_value=0)


def test_search_marginals(default_sim):
    q = per_user(default_sim, "search").quantile([0.25, 0.5, 0.75, 0.97])
    assert np.all(np.abs(q.to_numpy() - [19, 28, 35, 45]) <= [3, 3, 3, 7])


def test_call_marginals(default_sim):
    calls = per_user(default_sim, "call")
    q = calls.quantile([0.5, 0.75, 0.9])
    np.testing.assert_allclose(q.to_numpy(), [30, 59, 107], rtol=0.15)
    assert (calls > 0).mean() == pytest.approx(0.94, abs=0.02)


def test_message_marginals(default_sim):
    msgs = per_user(default_sim, "message")
    assert (msgs > 0).mean() == pytest.approx(0.325, abs=0.02)
    assert msgs.median() == 0
    assert msgs.quantile(0.9) == pytest.approx(8, abs=2)


def test_countries_and_tenure(default_sim):
    shares = default_sim.signups["country_code"].value_counts(normalize=True)
    want = {"IT": 0.432, "GB": 0.209, "SE": 0.182, "ES": 0.112, "FR": 0.066}
    for c, s in want.items():
        assert shares[c] == pytest.approx(s, abs=0.01)
    last = default_sim.events.groupby("user_id")["ts_ms"].max()
    sign = default_sim.signups.set_index("user_id")["signup_ms"]
    tenure = np.floor((last - sign.loc[last.index]) / 86_400_000) + 1
    assert tenure.median() == pytest.approx(9, abs=2)


def test_every_kind_present_at_defaults(default_sim):
    counts = default_sim.labels["kind"].value_counts()
    for kind in (*BOT_KINDS, "human", "power_user"):
        assert counts.get(kind, 0) > 0
    assert default_sim.labels["is_bot"].mean() == pytest.approx(0.015, abs=0.001)
    people = (default_sim.labels["is_bot"] == 0).sum()
    assert counts["power_user"] / people == pytest.approx(0.02, abs=0.002)


def test_power_users_have_far_more_volume(default_sim):
    n = default_sim.events.groupby("user_id").size()
    kind = default_sim.labels.set_index("user_id")["kind"]
    med = n.groupby(kind.loc[n.index]).median()
    assert med["power_user"] > 4 * med["human"]


def test_periodic_bots_fit_back(default_sim, default_features):
    labels = default_sim.labels.set_index("user_id")
    bots = labels[labels["kind"].isin(["periodic", "low_and_slow"])]
    ev = default_sim.events[default_sim.events["user_id"].isin(bots.index)]
    # each bot runs its schedule on one stream: the one with most of its events
    main = ev.groupby(["user_id", "event"], observed=True).size().unstack().idxmax(1)
    F = default_features
    period = np.array([F.at[u, f"{main[u]}_period_s"] for u in bots.index])
    p_miss = np.array([F.at[u, f"{main[u]}_p_miss"] for u in bots.index])
    rel = np.abs(period / bots["period_s"].to_numpy() - 1)
    assert np.mean(rel < 0.01) >= 0.9
    err = np.abs(p_miss - bots["p_miss"].to_numpy())
    assert np.mean(err < 0.1) >= 0.85


def test_drawn_parameters_within_documented_ranges(default_sim):
    lab = default_sim.labels
    per = lab[lab["kind"] == "periodic"]
    slow = lab[lab["kind"] == "low_and_slow"]
    assert per["period_s"].between(5, 3600).all()
    assert slow["period_s"].between(900, 10800).all()
    both = pd.concat([per, slow])
    assert both["p_miss"].between(0, 0.5).all()
    assert both["jitter"].between(0.01, 0.1).all()
    assert per["period_s"].std() > 100  # drawn per bot, not fixed


def digest(directory):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
    }


def test_same_seed_byte_identical_files(tmp_path):
    cfg = SimConfig(users=800, seed=5)
    write_logs(simulate(cfg), tmp_path / "a")
    write_logs(simulate(cfg), tmp_path / "b")
    write_logs(simulate(SimConfig(users=800, seed=6)), tmp_path / "c")
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    assert set(a) == {
        "signup.tsv",
        "call.tsv",
        "message.tsv",
        "search.tsv",
        "labels.tsv",
    }
    assert a["search.tsv"] != c["search.tsv"]


def test_shuffled_logs_hold_the_same_rows_and_give_the_same_features(
    small_sim, small_dir, tmp_path
):
    from features.build import build_features
    from features.io import load_logs

    write_logs(small_sim, tmp_path, shuffled=True, seed=1)
    for name in ("call", "message", "search"):
        ordered = (small_dir / f"{name}.tsv").read_text().splitlines()
        shuffled = (tmp_path / f"{name}.tsv").read_text().splitlines()
        assert shuffled != ordered
        assert shuffled[0] == ordered[0]
        assert sorted(shuffled[1:]) == sorted(ordered[1:])
    now = int(small_sim.events["ts_ms"].max()) + 1
    a, b = load_logs(small_dir, now_ms=now), load_logs(tmp_path, now_ms=now)
    pd.testing.assert_frame_equal(
        build_features(a.events, a.signups, now_ms=now),
        build_features(b.events, b.signups, now_ms=now),
    )


def test_command_line_help_names_every_world():
    import simulate as cli

    text = cli.build_parser().format_help()
    assert all(name in text for name in WORLDS)
    assert "5% power users" in " ".join(text.split())


def test_each_table_has_its_own_timestamp_form(small_dir):
    first = {
        name: (small_dir / f"{name}.tsv").read_text().split("\n")[1].split("\t")[-1]
        for name in ("signup", "call", "search", "message")
    }
    assert len(first["signup"]) == 10  # date only
    assert first["call"].isdigit() and len(first["call"]) == 13  # epoch ms
    assert first["search"][10] == " " and "." in first["search"]
    assert first["message"].endswith("Z") and "T" in first["message"]


@pytest.mark.parametrize(
    "kwargs, match",
    [({"users": 0}, "users"), ({"bot_share": 1.5}, "bot_share"), ({"days": 0}, "days")],
)
def test_bad_config_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SimConfig(**kwargs)


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_each_world_is_deterministic_and_has_its_kinds(world):
    a = simulate(world_config(world, users=3000, seed=4))
    b = simulate(world_config(world, users=3000, seed=4))
    pd.testing.assert_frame_equal(a.events, b.events)
    config = world_config(world, users=3000, seed=4)
    kinds = set(a.labels["kind"])
    assert set(config.bot_kinds) <= kinds and "human" in kinds
    with_events = set(a.events["user_id"])
    bots = a.labels.loc[a.labels["is_bot"] == 1]
    if config.capture_days or config.sample_share < 1:
        # a one-day or sampled capture: some bots are seen in it
        assert bots["user_id"].isin(with_events).sum() >= 5
    else:  # every bot leaves events but one whose job first runs after the
        # window: a daily job (first run up to two days after it begins, which
        # is up to two days after signing up) that signed up in its last days
        silent = bots.loc[~bots["user_id"].isin(with_events), "user_id"]
        signup = a.signups.set_index("user_id")["signup_ms"]
        assert (signup[silent] >= a.end_ms - 4 * 86_400_000).all()
        assert len(silent) <= 0.01 * len(bots)
    if config.clock_ms > 1:
        assert (a.events["ts_ms"] % config.clock_ms == 0).all()
    if config.capture_days:
        span = a.events["ts_ms"].max() - a.events["ts_ms"].min()
        assert span < config.capture_days * 86_400_000


def test_local_stamps_move_each_account_by_its_countrys_offset():
    # the same draws as the hard world, every time written in the account's
    # country's local time: its offset added to each event and signup
    config = dict(users=2000, seed=3)
    utc = simulate(world_config("hard", **config))
    local = simulate(world_config("local_stamps", **config))
    offset_h = utc.signups.set_index("user_id")["country_code"].map(
        COUNTRY_UTC_OFFSET_H
    )
    assert set(offset_h) == {-3.0, 2.0, 5.5, 9.0}  # the hard world's countries
    moved = offset_h.reindex(utc.events["user_id"]).to_numpy() * 3_600_000
    np.testing.assert_array_equal(
        local.events["ts_ms"].to_numpy(), utc.events["ts_ms"].to_numpy() + moved
    )
    np.testing.assert_array_equal(
        local.signups["signup_ms"].to_numpy(),
        utc.signups["signup_ms"].to_numpy() + offset_h.to_numpy() * 3_600_000,
    )
    pd.testing.assert_frame_equal(local.labels, utc.labels)


def test_labels_count_the_automated_events_the_logs_keep():
    """A bot's labels count the events its automation made, not its owner's by
    hand, as the logs keep them: a one-day capture of the same world (the
    same draws, cut to a day) keeps part of each count. A bot whose owner never
    acts has every event automated, in the whole run and in the capture."""
    config = dict(users=4000, seed=2)
    whole = simulate(world_config("hard", **config))
    day = simulate(world_config("hard_one_day", **config))

    def counts(sim):
        events = sim.events.groupby("user_id").size()
        labels = sim.labels.set_index("user_id")
        return labels.assign(events=events.reindex(labels.index, fill_value=0))

    a, b = counts(whole), counts(day)
    for t in (a, b):
        assert (t.loc[t["is_bot"] == 0, "automated_events"] == 0).all()
        assert (t["automated_events"] <= t["events"]).all()
    bots = a["is_bot"] == 1
    assert (b.loc[bots, "automated_events"] <= a.loc[bots, "automated_events"]).all()
    by_hand = a["events"] - a["automated_events"]
    assert (b["events"] - b["automated_events"] <= by_hand).all()
    # owners act by hand on about half the bots (the other half not at all)
    alone = bots & (by_hand == 0)
    assert 0.35 < alone.sum() / bots.sum() < 0.65
    assert (b.loc[alone, "automated_events"] == b.loc[alone, "events"]).all()
    assert (b.loc[bots & (by_hand > 0), "events"] > 0).any()
    # the capture keeps something of some bots and nothing of most
    kept = b.loc[bots, "automated_events"]
    assert 0 < (kept > 0).sum() < bots.sum() / 2


def test_people_sleep_and_power_users_are_busy_people():
    """Each simulated person has a rest of at least 5 h every day they act."""
    from features.build import build_features

    sim = simulate(world_config("varied_people", users=4000, seed=1))
    f = build_features(sim.events, sim.signups)
    kind = sim.labels.set_index("user_id")["kind"].reindex(f.index)
    people = kind.isin(["human", "power_user"]) & (f["n_events"] > 1)
    assert f.loc[people, "longest_awake_h"].max() < 22


def _wake_times_h(sim, least_days=8, least_per_day=100):
    """Each heavy user's wake times: the first action after the longest pause
    (of 3 h or more) in each noon-to-noon UTC day, as an hour of the UTC day;
    for users with ``least_per_day`` events per active day and that many
    mornings."""
    ev = sim.events.sort_values(["user_id", "ts_ms"])
    ev = ev.assign(
        gap=ev.groupby("user_id")["ts_ms"].diff(),
        night=(ev["ts_ms"] - 43_200_000) // 86_400_000,
        day=ev["ts_ms"] // 86_400_000,
    ).dropna(subset=["gap"])
    woke = ev.loc[ev.groupby(["user_id", "night"])["gap"].idxmax()]
    woke = woke[woke["gap"] > 3 * 3_600_000]
    per_day = ev.groupby("user_id").size() / ev.groupby("user_id")["day"].nunique()
    hours = ((woke["ts_ms"] % 86_400_000) / 3_600_000).groupby(woke["user_id"])
    heavy = (hours.size() >= least_days) & (
        per_day.reindex(hours.size().index) >= least_per_day
    )
    return hours.apply(list)[heavy]


def test_a_busy_person_wakes_at_another_minute_every_day():
    """Heavy users who act in brief visits fill their waking hours from the
    start: with the sleep window fixed, their first action of the day comes
    within minutes of one time every day (as a scheduled job's); with the
    window moving by 0.75 h (sd) a night it spreads as the window does: a
    normal's IQR is 1.349 sd, 61 minutes."""
    config = dict(
        users=300,
        bot_share=0.0,
        power_share=1.0,
        power_max=50.0,
        session_actions=(1.0, 2.0),
        seed=5,
    )
    fixed = _wake_times_h(simulate(SimConfig(**config, sleep_wander_h=0.0)))
    moving = _wake_times_h(simulate(SimConfig(**config)))
    assert len(fixed) >= 30 and len(moving) >= 30

    def iqr_minutes(hours):
        return 60 * np.subtract(*np.percentile(hours, [75, 25]))

    assert fixed.apply(iqr_minutes).median() < 20
    assert 40 < moving.apply(iqr_minutes).median() < 80
    with pytest.raises(ValueError, match="sleep_wander_h"):
        SimConfig(sleep_wander_h=-1.0)


def test_page_loads_add_a_pages_requests_after_each_action_of_people():
    """Page loads keep every action and add ~``page_requests`` requests after
    each, in its stream, within seconds; bots' own traffic gets none (only
    their owners' few actions by hand do)."""
    plain = simulate(SimConfig(users=1500, seed=3))
    paged = simulate(SimConfig(users=1500, seed=3, page_requests=10.0))
    key = ["user_id", "event", "ts_ms"]
    both = plain.events.merge(
        paged.events.drop_duplicates(key), on=key, how="left", indicator=True
    )
    assert (both["_merge"] == "both").all()  # every action is still there

    bot_ids = plain.labels.loc[plain.labels["is_bot"] == 1, "user_id"]
    is_bot = plain.events["user_id"].isin(bot_ids)
    people_plain = plain.events[~is_bot]
    people_paged = paged.events[~paged.events["user_id"].isin(bot_ids)]
    assert 10.0 < len(people_paged) / len(people_plain) < 12.0  # 1 + 10 (geometric)
    bots_paged = paged.events["user_id"].isin(bot_ids).sum()
    assert bots_paged / is_bot.sum() < 1.5

    # each added request follows an action of its user and stream by seconds:
    # a page of k requests 10–300 ms apart lasts k × that (median 1 s)
    added = people_paged.merge(people_plain, on=key, how="left", indicator=True)
    added = added.loc[added["_merge"] == "left_only", key].sort_values("ts_ms")
    actions = people_plain.assign(action_ms=people_plain["ts_ms"]).sort_values("ts_ms")
    near = pd.merge_asof(
        added, actions, on="ts_ms", by=["user_id", "event"], direction="backward"
    )
    lag = near["ts_ms"] - near["action_ms"]
    assert len(added) > 0 and lag.notna().all()
    assert (lag >= 0).all() and (lag < 60_000).all() and lag.median() < 2_000


def test_requests_only_writes_every_event_as_a_request_and_changes_nothing_else():
    """A proxy's log: the same users, times and labels, every event a search."""
    split = simulate(SimConfig(users=1500, seed=4, page_requests=10.0))
    proxy = simulate(
        SimConfig(users=1500, seed=4, page_requests=10.0, requests_only=True)
    )
    assert (split.events["event"] != "search").sum() > 1000
    assert (proxy.events["event"] == "search").all()
    pd.testing.assert_frame_equal(
        proxy.events[["user_id", "ts_ms"]], split.events[["user_id", "ts_ms"]]
    )
    pd.testing.assert_frame_equal(proxy.labels, split.labels)
    pd.testing.assert_frame_equal(proxy.signups, split.signups)


@pytest.mark.parametrize(
    "law, quartiles",
    [
        ("lognormal", lambda: stats.lognorm.ppf([0.25, 0.75], 1.1)),
        ("exponential", lambda: stats.expon.ppf([0.25, 0.75])),
        ("gamma", lambda: stats.gamma.ppf([0.25, 0.75], 2.0)),
    ],
)
def test_each_law_of_peoples_gaps_has_its_median_and_spread(law, quartiles):
    """Gaps inside people's sessions: a median of 45 s under every law, and the
    law's own log-IQR (scipy's quartiles: 1.48, 1.57, 1.03)."""
    sim = simulate(SimConfig(users=3000, seed=5, human_gaps=law))
    people = sim.labels.loc[sim.labels["kind"] == "human", "user_id"]
    ev = sim.events[sim.events["user_id"].isin(people)]
    ev = ev.sort_values(["user_id", "ts_ms"])
    user = ev["user_id"].to_numpy()
    gap_s = np.diff(ev["ts_ms"].to_numpy()) / 1000.0
    gap_s = gap_s[(user[1:] == user[:-1]) & (gap_s < 1200)]  # inside a session
    q25, q50, q75 = np.percentile(gap_s, [25, 50, 75])
    low, high = quartiles()
    assert gap_s.size > 100_000
    assert abs(q50 - 45.0) < 1.0
    assert abs(np.log(q75 / q25) - np.log(high / low)) < 0.05


def test_an_unknown_law_of_peoples_gaps_is_named():
    with pytest.raises(ValueError, match="human_gaps"):
        SimConfig(human_gaps="pareto")


def test_people_act_as_many_times_a_session_as_asked():
    """Sessions (30 min idle apart) of people hold ``session_actions`` actions
    on average: 3–10 by default, 20–60 in the long_sessions world, 1–3 in the
    brief_visits world (where many are one action alone)."""

    def actions_per_session(config):
        sim = simulate(config)
        people = sim.labels.loc[sim.labels["kind"] == "human", "user_id"]
        ev = sim.events[sim.events["user_id"].isin(people)]
        ev = ev.sort_values(["user_id", "ts_ms"])
        user, ts = ev["user_id"].to_numpy(), ev["ts_ms"].to_numpy()
        start = np.r_[True, (user[1:] != user[:-1]) | (np.diff(ts) >= 1_800_000)]
        sessions = pd.Series(start).groupby(user).sum()
        alone = pd.Series(start & np.r_[start[1:], True]).groupby(user).sum()
        actions = pd.Series(user).value_counts().sort_index() / sessions.sort_index()
        return actions, (alone / sessions)[sessions >= 20]

    short, short_alone = actions_per_session(SimConfig(users=3000, seed=6))
    long, _ = actions_per_session(world_config("long_sessions", users=3000, seed=6))
    brief, alone = actions_per_session(world_config("brief_visits", users=3000, seed=6))
    assert 3.0 <= short.median() <= 10.0 and short.quantile(0.9) < 12.0
    assert 20.0 <= long.median() <= 60.0 and long.quantile(0.1) > 15.0
    # sessions drawn with 1–3 actions on average: an empty one leaves no trace
    # and two within 30 minutes merge, so the sessions seen hold a little more
    assert 1.0 <= brief.median() < 3.5 and brief.quantile(0.1) < short.quantile(0.1)
    # a quarter to a half of a busy person's sessions are one action alone,
    # against a few per cent where sessions hold 3–10
    assert 0.2 <= alone.median() <= 0.4 and short_alone.median() < 0.1
    with pytest.raises(ValueError, match="session_actions"):
        SimConfig(session_actions=(10.0, 3.0))


def test_frozen_minutes_keep_each_times_hour_alone():
    """The frozen_minutes world is the default's events with every time
    written at minute 05 of its hour and a second drawn at random: the same
    hours, the same labels, whole seconds in no order."""
    config = dict(users=2000, seed=3)
    true = simulate(world_config("default", **config))
    frozen = simulate(world_config("frozen_minutes", **config))
    hour, minute = 3_600_000, 60_000

    def hours(events):
        keys = ["user_id", "ts_ms", "event"]
        out = events.assign(ts_ms=events["ts_ms"] // hour).sort_values(keys)
        return out.reset_index(drop=True)

    pd.testing.assert_frame_equal(hours(frozen.events), hours(true.events))
    ts = frozen.events["ts_ms"]
    assert (ts // minute % 60 == 5).all() and (ts % 1000 == 0).all()
    # the seconds: every one of the minute's 60, about equally often
    counts = np.bincount(ts // 1000 % 60, minlength=60)
    assert counts.min() > 0.8 * len(ts) / 60 and counts.max() < 1.2 * len(ts) / 60
    pd.testing.assert_frame_equal(frozen.labels, true.labels)
    with pytest.raises(ValueError, match="frozen_minute"):
        SimConfig(frozen_minute=60)


def test_a_sampled_capture_keeps_a_tenth_of_the_events_drawn_alone():
    """The sampled world is the default's events, each kept alone with
    probability 0.1: a subset of them, a tenth within sampling error, every
    kind's share alike, and the labels count the automated events kept."""
    config = dict(users=2000, seed=3)
    full = simulate(world_config("default", **config))
    part = simulate(world_config("sampled", **config))
    keys = ["user_id", "ts_ms", "event"]
    both = part.events.merge(full.events, on=keys, how="left", indicator=True)
    assert (both["_merge"] == "both").all()  # nothing the world did not make
    n = len(full.events)
    assert abs(len(part.events) - 0.1 * n) < 4 * np.sqrt(0.09 * n)
    kind = full.labels.set_index("user_id")["kind"]
    share = (
        part.events["user_id"].map(kind).value_counts()
        / full.events["user_id"].map(kind).value_counts()
    )
    assert share.between(0.08, 0.12).all()
    made = full.labels.set_index("user_id")["automated_events"]
    kept = part.labels.set_index("user_id")["automated_events"]
    assert (kept <= made).all() and 0.08 < kept.sum() / made.sum() < 0.12
    with pytest.raises(ValueError, match="sample_share"):
        SimConfig(sample_share=0.0)
