"""The detector: direction, normalisation, reasons, determinism, sklearn's checks."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import check_estimator

from features.schedule import SINGLE_EVENT_CHANCE, share_lower_bound
from models.ensemble import (
    ABSOLUTE_FAMILIES,
    AWAKE_SHARE_GRADE,
    BELOW_LIMIT_GRADES,
    BELOW_LIMIT_LEARNED,
    FAMILIES,
    FAST_SPREAD_READING,
    GRADED_FAMILIES,
    HUMAN_LIMITS,
    LEARNED_MIN_USERS,
    MIN_FOREST_SPREAD,
    PACE_SPREAD_GRADE,
    POPULATION_GATED,
    REGULARITY_GRADES,
    SIGNIFICANCE_GATES,
    SPREAD_UNCERTAINTY,
    STRENGTH_GRADES,
    STRENGTH_PACE_GRADE,
    STRENGTH_SPREAD_UNCERTAINTY,
    UNRESOLVED_PACE_GRADE,
    UNRESOLVED_SHARE_GRADE,
    VISITS_CHANCE,
    VISITS_FULL_WAY,
    CadenceDetector,
    family_spec,
)


@pytest.fixture(scope="module")
def fitted(small_features):
    return CadenceDetector(random_state=0).fit(small_features)


def test_scores_shape_and_direction(fitted, small_sim, small_features):
    s = fitted.score_samples(small_features)
    assert s.shape == (len(small_features),) and np.isfinite(s).all()
    kind = small_sim.labels.set_index("user_id")["kind"].loc[small_features.index]
    bot = small_sim.labels.set_index("user_id")["is_bot"].loc[small_features.index]
    # higher = more anomalous: bots outrank people overall
    assert roc_auc_score(bot, s) > 0.95
    # an obvious periodic bot outranks (nearly) every person
    periodic = s[(kind == "periodic").to_numpy()]
    human = s[(kind == "human").to_numpy()]
    assert np.median(periodic) > np.quantile(human, 0.99)


def test_normalised_detector_scores(fitted, small_features):
    # each detector's training scores: median 0, 99th percentile 1
    det = fitted.detector_scores(small_features)
    assert set(det.columns) == {f"iforest:{f}" for f in FAMILIES} | {"lof"}
    # families beyond every person's limit are scaled by the least spread,
    # graded families by how far past the limit or how regular, gated ones
    # only beyond chance (tested below): a grade or a gate keeps the sign, so
    # their median moves only by the middle pair's
    absolute = [f"iforest:{f}" for f in ABSOLUTE_FAMILIES]
    graded = [
        f"iforest:{f}"
        for f in {**GRADED_FAMILIES, **REGULARITY_GRADES, **SIGNIFICANCE_GATES}
    ]
    np.testing.assert_allclose(det.drop(columns=graded).median(), 0, atol=1e-9)
    np.testing.assert_allclose(det[graded].median(), 0, atol=1e-3)
    quantiles = det.drop(columns=absolute + graded).quantile(0.99)
    np.testing.assert_allclose(quantiles, 1, atol=1e-6)
    for name in absolute:
        assert fitted.normalisers_[name][1] == MIN_FOREST_SPREAD


def test_combination_is_the_weighted_max_plus_tie_break(fitted, small_features):
    det = fitted.detector_scores(small_features)
    w = pd.Series(fitted.weights_)[det.columns]
    W = det * w
    want = W.max(axis=1) + fitted.tie_break * W.clip(lower=0).sum(axis=1)
    np.testing.assert_allclose(fitted.score_samples(small_features), want.to_numpy())
    # scored once, combined: the same scores bit for bit, and the same reasons
    np.testing.assert_array_equal(
        fitted.combined_score(det), fitted.score_samples(small_features)
    )
    pd.testing.assert_frame_equal(
        fitted.explain(small_features, detector_scores=det),
        fitted.explain(small_features),
    )
    with pytest.raises(ValueError, match="lof"):
        fitted.combined_score(det.drop(columns="lof"))


def test_predict_marks_the_budget(fitted, small_features):
    pred = fitted.predict(small_features)
    assert set(np.unique(pred)) <= {-1, 1}
    assert (pred == -1).mean() == pytest.approx(fitted.budget, abs=0.005)
    d = fitted.decision_function(small_features)
    np.testing.assert_array_equal(pred == -1, d <= 0)


def test_same_seed_same_scores_and_pickle_round_trip(small_features):
    a = CadenceDetector(random_state=5).fit(small_features)
    b = CadenceDetector(random_state=5).fit(small_features)
    c = CadenceDetector(random_state=6).fit(small_features)
    sa = a.score_samples(small_features)
    np.testing.assert_array_equal(sa, b.score_samples(small_features))
    assert not np.array_equal(sa, c.score_samples(small_features))
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(sa, again.score_samples(small_features))


def constructed():
    rng = np.random.default_rng(0)
    n = 2000
    X = pd.DataFrame(
        {
            "regularity": rng.normal(0, 1, n),
            "spread": rng.normal(5, 1, n),
            "noise": rng.normal(0, 1, n),
        }
    )
    X.loc[0] = [0.0, -10.0, 0.0]  # extreme on the automation side of "spread"
    X.loc[1] = [0.0, 20.0, 0.0]  # extreme on the benign side
    X.loc[2] = [8.0, 5.0, 0.0]  # extreme regularity
    fams = {"rhythm": {"regularity": +1, "spread": -1}, "other": {"noise": 0}}
    return X, fams


def test_explain_names_the_right_feature():
    X, fams = constructed()
    model = CadenceDetector(families=fams, detectors=("iforest",)).fit(X)
    why = model.explain(X.head(3), k=2)
    typical = f"{X['spread'].median():.3g}"
    assert why.loc[0, "reason_1"] == f"spread -10 (a typical user: {typical})"
    assert why.loc[0, "reason_1_feature"] == "spread"
    assert why.loc[2, "reason_1_feature"] == "regularity"
    assert why.loc[2, "reason_1"].startswith("regularity 8 ")
    # the benign extreme is given no reason on that column
    assert why.loc[1, "reason_1_feature"] != "spread"
    s = model.score_samples(X)
    # directional: the benign extreme does not score as the automation extreme
    assert s[0] > np.quantile(s, 0.99) and s[2] > np.quantile(s, 0.99)
    assert s[1] < s[0]


def test_two_sided_scores_both_extremes():
    X, fams = constructed()

    def pct_of_benign_extreme(directional):
        model = CadenceDetector(
            families=fams, detectors=("iforest",), directional=directional
        ).fit(X)
        s = model.score_samples(X)
        return (s < s[1]).mean()

    assert pct_of_benign_extreme(False) > 0.95
    assert pct_of_benign_extreme(True) < 0.9


def test_missing_feature_is_named(fitted, small_features):
    with pytest.raises(ValueError, match="all_rhythm"):
        fitted.score_samples(small_features.drop(columns=["all_rhythm"]))


def test_a_table_without_rows_is_refused_by_name(fitted, small_features):
    # as for an array: every method that scores names the CadenceDetector and the
    # row count, not a forest deep inside it
    empty = small_features.iloc[:0]
    for method in (fitted.score_samples, fitted.predict, fitted.explain):
        with pytest.raises(ValueError, match=r"0 sample\(s\).*CadenceDetector"):
            method(empty)
    with pytest.raises(ValueError, match=r"1 sample\(s\).*minimum of 2"):
        CadenceDetector().fit(small_features.iloc[:1])
    assert len(fitted.score_samples(small_features.iloc[:1])) == 1


def test_nan_means_no_evidence(fitted, small_features):
    row = small_features.iloc[[0]].copy()
    row[fitted.input_columns_] = np.nan
    assert fitted.score_samples(row)[0] <= fitted.train_scores_summary_["median"] + 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"combine": "median"}, "combine"),
        ({"detectors": ("svm",)}, "detectors"),
        ({"budget": 0}, "budget"),
    ],
)
def test_bad_parameters_are_named(small_features, kwargs, match):
    with pytest.raises(ValueError, match=match):
        CadenceDetector(**kwargs).fit(small_features)


def test_feature_sets():
    assert set(family_spec("volume")) == {"volume"}
    assert set(family_spec("gaps")) == {"rhythm", "coupling"}
    with pytest.raises(ValueError, match="feature_set"):
        family_spec("everything")


def test_sklearn_estimator_checks():
    # sklearn's outlier convention is "higher score_samples = more normal" with
    # decision_function = score_samples − offset_; cadence states the opposite
    # direction once (higher = more anomalous), so that one check cannot hold.
    check_estimator(
        CadenceDetector(n_estimators=20, lof_max_samples=500),
        expected_failed_checks={
            "check_outliers_train": "score direction is higher = more anomalous"
        },
    )


def test_identical_users_are_not_suspects_and_have_no_reasons():
    X = pd.DataFrame({"a": np.zeros(50), "b": np.ones(50)})
    model = CadenceDetector(families={"f": {"a": 1, "b": -1}}).fit(X)
    assert (model.predict(X) == 1).all()
    assert (model.explain(X) == "").all().all()
    # LOF needs two distinct rows; with the forest it is skipped, alone it fails
    with pytest.raises(ValueError, match="distinct"):
        CadenceDetector(families={"f": {"a": 1}}, detectors=("lof",)).fit(X)


def _rest_world(n_never: int, n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """People awake 1–18 h at a stretch, ``n_never`` users awake 40–80 h, and a
    second family (a regular rhythm) so that the model has more than one."""
    rng = np.random.default_rng(seed)
    awake = rng.uniform(1, 18, n)
    run = rng.uniform(1, 16, n)
    awake[:n_never] = rng.uniform(40, 80, n_never)
    run[:n_never] = rng.uniform(40, 80, n_never)
    return pd.DataFrame(
        {
            "longest_awake_h": awake,
            "active_run_h": run,
            "all_rhythm": rng.uniform(0, 0.2, n),
        }
    )


def test_never_resting_scores_the_same_whatever_its_share():
    # a job, a person, and a person who stayed up late and rose early (20.5 h
    # awake: under HUMAN_LIMITS' 21 h, as much a person as the 10 h one)
    probe = pd.DataFrame(
        {
            "longest_awake_h": [60.0, 10.0, 20.5],
            "active_run_h": [60.0, 8.0, 20.5],
            "all_rhythm": 0.1,
        }
    )
    scores = []
    for n_never in (20, 200):  # 0.5% and 5% of users never rest
        model = CadenceDetector(random_state=0).fit(_rest_world(n_never))
        # beyond every person's limit: the least spread, not the training top 1%
        assert model.normalisers_["iforest:rest"][1] == MIN_FOREST_SPREAD
        rest = model.detector_scores(probe)["iforest:rest"].to_numpy()
        assert rest[1] == pytest.approx(0.0, abs=1e-9)  # a person: no evidence
        assert rest[2] == pytest.approx(0.0, abs=1e-9)
        scores.append(rest[0])
    # the top 1% of 5% never-resting users are such users: scaled by that
    # quantile, the probe would sit near 1, level with a chance coincidence
    assert min(scores) > 2.0
    assert scores[1] == pytest.approx(scores[0], rel=0.25)


def test_never_resting_counts_by_how_much_of_a_life_it_fills():
    # users who never rest do so with all their events; a person's one night
    # without sleep in weeks holds a few: the rest family's evidence is scaled
    # by that share, so that an all-nighter is not a job that never rests
    world = _rest_world(20)
    world["awake_share"] = np.where(world["longest_awake_h"] > 21, 1.0, 0.0)
    model = CadenceDetector(random_state=0).fit(world)
    column, none, full = AWAKE_SHARE_GRADE
    assert column == "awake_share"
    probe = pd.DataFrame(
        {  # a job; an all-nighter in three weeks; a shared account whose two
            # people's nights overlap by less than 3 h on some nights; a bot of
            # a one-day capture; a user whose span holds no such stretch
            "longest_awake_h": [60.0, 36.0, 36.0, 23.0, 20.0],
            "active_run_h": [60.0, 36.0, 36.0, 23.0, 20.0],
            "all_rhythm": 0.1,
            "awake_share": [1.0, 0.07, 0.3, 1.0, np.nan],
        }
    )
    rest = model.detector_scores(probe)["iforest:rest"].to_numpy()
    raw = forest_score(model, probe, "rest")
    assert none < 0.3 < full  # the shared account is graded part of the way
    assert rest[0] == pytest.approx(raw[0])
    assert rest[1] == pytest.approx(min(raw[1], 0.0))  # 7 % keeps nothing
    assert rest[2] == pytest.approx(raw[2] * (0.3 - none) / (full - none))
    assert rest[3] == pytest.approx(raw[3])
    assert raw[1] > 1.0 and raw[3] > 0.5  # both past 21 h for the forest
    # without the column (a model of older features) nothing is scaled
    old = CadenceDetector(random_state=0).fit(world.drop(columns=["awake_share"]))
    kept = old.detector_scores(probe.drop(columns=["awake_share"]))["iforest:rest"]
    assert kept.to_numpy() == pytest.approx(forest_score(old, probe, "rest"))


def forest_score(model, frame, family):
    """A family forest's normalised score before any grade or gate, worked
    from the fitted forest and normaliser."""
    forest, idx = model.detectors_[f"iforest:{family}"]
    med, spread = model.normalisers_[f"iforest:{family}"]
    D = model._directional(model._prepare(frame))
    return (-forest.score_samples(D[:, idx]) - med) / spread


def clock_shares(day: np.ndarray, rng) -> pd.DataFrame:
    """Users with the given share of sessions at one second of the day, the
    hour's share and a rhythm under people's limits."""
    n = len(day)
    return pd.DataFrame(
        {
            "clock_day_share": day,
            "clock_hour_share": rng.uniform(0, 0.04, n),
            "all_rhythm": rng.uniform(0, 0.2, n),
        }
    )


def test_schedule_evidence_grows_with_the_share_past_the_limit():
    # sessions at one second of the day: people 0–4%, a few at 6% and 10%
    # (past the 5% chance level), jobs at 70%; the forest isolates all of
    # those about alike, the grade tells them apart
    rng = np.random.default_rng(2)
    day = rng.uniform(0, 0.04, 3000)
    day[:10], day[10:20], day[20:30] = 0.06, 0.10, 0.70
    frame = clock_shares(day, rng)
    model = CadenceDetector(random_state=0).fit(frame)
    full = GRADED_FAMILIES["schedule"]
    limit = HUMAN_LIMITS["clock_day_share"]
    # by hand: ln(0.06 / 0.05) / ln 4 = 0.132, ln(0.10 / 0.05) / ln 4 = 0.5;
    # 0.70 is past four times the limit: 1
    assert full == 4.0
    expected = np.clip(np.log(np.maximum(day, limit) / limit) / np.log(full), 0, 1)
    assert expected[0] == pytest.approx(0.1315, abs=1e-4)
    assert expected[10] == pytest.approx(0.5) and expected[20] == 1.0
    ungraded = forest_score(model, frame, "schedule")
    got = model.detector_scores(frame)["iforest:schedule"].to_numpy()
    want = np.where(ungraded > 0, ungraded * expected, ungraded)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # the people past the limit by chance score under the jobs
    assert got[:10].max() < got[20:30].min()
    assert np.all(got[30:] <= 0)  # under the limit: no evidence


def test_a_pace_counts_only_below_what_people_show():
    # 3,000 people whose events per 10 minutes bunch 2.3–20 times a memoryless
    # process's; then four groups of ten: memoryless (1), half-way on the log
    # scale (√2), just under the limit (1.9) and a steady job (0.3)
    rng = np.random.default_rng(4)
    pace = np.exp(rng.uniform(np.log(2.3), np.log(20.0), 3000))
    pace[:10], pace[10:20], pace[20:30], pace[30:40] = 1.0, np.sqrt(2), 1.9, 0.3
    frame = pd.DataFrame({"pace_fano_ub": pace})
    model = CadenceDetector(
        random_state=0, families={"pace": FAMILIES["pace"]}, detectors=("iforest",)
    ).fit(frame)
    column, fixed, ratio = BELOW_LIMIT_GRADES["pace"]
    assert column == "pace_fano_ub" and (fixed, ratio) == (2.0, 2.0)
    # these people bunch 6.8× at the median: 0.45 × 6.8 is over the ceiling,
    # so the limit is the ceiling, 2.3, still under every person
    limit = model.below_limits_["pace"]
    assert limit == 2.3 and 0.45 * np.median(pace) > 2.3
    # by hand: ln(2.3 / x) / ln 2, clipped: 1, 0.70, 0.28, 1 (0 for people)
    expected = np.clip(np.log(limit / pace) / np.log(ratio), 0.0, 1.0)
    assert expected[10] == pytest.approx(0.70, abs=0.005)
    assert expected[20] == pytest.approx(0.276, abs=0.001)
    ungraded = forest_score(model, frame, "pace")
    got = model.detector_scores(frame)["iforest:pace"].to_numpy()
    want = np.where(ungraded > 0, ungraded * expected, ungraded)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # the people's low tail, however isolated, carries no evidence
    assert np.all(got[40:] <= 0) and ungraded[40:].max() > 0
    assert got[20:30].max() < got[10:20].min() < got[:10].min()
    # no person reaches the limit, so the forest is scaled as the rest family's
    assert model.normalisers_["iforest:pace"][1] == MIN_FOREST_SPREAD


def test_a_pace_counts_less_where_the_gaps_surely_spread_wide():
    # people as above, their gaps spread as sessions do (log-IQR 3–4.5 from
    # 200 gaps); six groups of ten whose pace is a memoryless process's (1):
    # gaps spread as its own (1.57), wider (3.0), half-way-ish (2.45 from 100
    # gaps), wide but from 9 gaps only, no spread (NaN), and a spread past the
    # clock's resolution (a zero gap beside minutes, 7.0)
    rng = np.random.default_rng(8)
    n = 3000
    pace = np.exp(rng.uniform(np.log(2.3), np.log(20.0), n))
    spread, gaps = rng.uniform(3.0, 4.5, n), np.full(n, 200.0)
    pace[:60] = 1.0
    spread[:60] = np.repeat([1.57, 3.0, 2.45, 3.0, np.nan, 7.0], 10)
    gaps[20:30], gaps[30:40] = 100.0, 9.0
    frame = pd.DataFrame(
        {"pace_fano_ub": pace, "all_gap_log_iqr": spread, "all_n_gaps": gaps}
    )
    model = CadenceDetector(
        random_state=0, families={"pace": FAMILIES["pace"]}, detectors=("iforest",)
    ).fit(frame)
    assert PACE_SPREAD_GRADE == ("all_gap_log_iqr", "all_n_gaps", 2.6, 2.0)
    assert SPREAD_UNCERTAINTY == pytest.approx(2.0701, abs=1e-4)
    # by hand, the spread at its lower bound s − 2.0701 / √n, graded from 2.6
    # (none) to 2.0 (full): 1.57 − 0.146 → 1; 3.0 − 0.146 = 2.854 → 0;
    # 2.45 − 0.207 = 2.243 → 0.595; 3.0 − 0.690 = 2.310 → 0.483; NaN and
    # unresolved → 1
    grade = np.repeat([1.0, 0.0, 0.595, 0.483, 1.0, 1.0], 10)
    ungraded = forest_score(model, frame, "pace")
    got = model.detector_scores(frame)["iforest:pace"].to_numpy()
    assert ungraded[:60].min() > 0  # all six groups far under the pace limit
    np.testing.assert_allclose(got[:60], ungraded[:60] * grade, rtol=2e-3)
    # without the spread columns the model is the pace alone: every group in
    # full, and the people (past the pace limit: no evidence) as they were
    alone = CadenceDetector(
        random_state=0, families={"pace": FAMILIES["pace"]}, detectors=("iforest",)
    ).fit(frame[["pace_fano_ub"]])
    without = alone.detector_scores(frame[["pace_fano_ub"]])["iforest:pace"]
    np.testing.assert_allclose(without.to_numpy()[:60], ungraded[:60], rtol=1e-12)
    np.testing.assert_array_equal(got[60:], without.to_numpy()[60:])
    assert np.all(got[60:] <= 0)


def pace_model(pace: np.ndarray) -> CadenceDetector:
    frame = pd.DataFrame({"pace_fano_ub": pace})
    return CadenceDetector(
        random_state=0, families={"pace": FAMILIES["pace"]}, detectors=("iforest",)
    ).fit(frame)


def test_the_pace_limit_follows_people_whose_visits_are_brief():
    # people who drop by put their events alone in ten-minute windows: their
    # pace bunches only 1.3–8 times a memoryless process's (median √(1.3·8))
    rng = np.random.default_rng(8)
    pace = np.exp(rng.uniform(np.log(1.3), np.log(8.0), 3000))
    pace[:10], pace[10:20], pace[20:30] = 0.3, 1.0, 1.6
    share, floor, ceiling = BELOW_LIMIT_LEARNED["pace"]
    assert (share, floor, ceiling) == (0.45, 1.0, 2.3)
    model = pace_model(pace)
    # by hand: 0.45 × the median, between the floor and the ceiling of 2.3
    limit = 0.45 * np.median(pace)
    assert 1.4 < limit < 1.5 and limit == pytest.approx(0.45 * np.sqrt(1.3 * 8), 0.05)
    assert model.below_limits_ == {"pace": pytest.approx(limit)}
    assert model.learned_levels_ == {"learned_pace_limit": pytest.approx(limit)}
    frame = pd.DataFrame({"pace_fano_ub": pace})
    ungraded = forest_score(model, frame, "pace")
    got = model.detector_scores(frame)["iforest:pace"].to_numpy()
    grade = np.clip(np.log(limit / pace) / np.log(2.0), 0.0, 1.0)
    np.testing.assert_allclose(
        got, np.where(ungraded > 0, ungraded * grade, ungraded), atol=1e-12
    )
    # memoryless traffic keeps some evidence; people at 1.6, over the learned
    # limit, none, where the fixed limit of 2 gave them a third of a job's
    assert got[10:20].min() > 0 and np.all(got[20:30] <= 0)
    assert np.all(got[pace >= limit] <= 0) and ungraded[20:30].min() > 0
    assert np.log(2.0 / 1.6) / np.log(2.0) == pytest.approx(0.32, abs=0.01)
    # where people bunch more (median ≥ 2.3 / 0.45 = 5.1) the ceiling stands;
    # with fewer users than a level needs, the fixed limit of 2 (however low
    # or high their median)
    assert pace_model(pace * 3.0).below_limits_ == {"pace": 2.3}
    few = pace_model(pace[: LEARNED_MIN_USERS - 1])
    assert few.below_limits_ == {"pace": 2.0}
    assert pace_model(pace[: LEARNED_MIN_USERS - 1] * 3.0).below_limits_ == {
        "pace": 2.0
    }
    # a population of steady jobs cannot push the limit under the floor
    assert pace_model(np.full(500, 0.5)).below_limits_ == {"pace": floor}


def busy_people(rng, n=3000):
    """The burst family's columns and its grade's for ``n`` people: active in a
    few minutes of their busiest hour, gaps as spread as people's."""
    return {
        "max_minutes_hour": rng.integers(1, 12, n).astype(float),
        "all_gap_log_iqr": rng.normal(1.8, 0.3, n),
        "all_n_gaps": rng.integers(5, 200, n).astype(float),
        "all_mode_share": rng.uniform(0.05, 0.3, n),
        # three in four gaps under two minutes or so: seldom under 5 s
        "all_gap_q75_s": rng.lognormal(np.log(120.0), 1.0, n),
    }


def test_speed_counts_in_full_only_with_regular_gaps():
    # 3,000 people active in a few minutes of their busiest hour, gaps as
    # spread as people's; then five groups of ten busy in 50 minutes: a
    # scraper's regular gaps, a power user's irregular ones, half-way, a
    # whole-minute clock whose zero gaps put the quartiles 11 logs apart (a
    # third each with 35%, 45% and 60% of gaps in one tick), and gaps as
    # regular as the scraper's but only six of them
    rng = np.random.default_rng(3)
    columns = busy_people(rng)
    minutes, spread, gaps, share, q75 = columns.values()
    minutes[:50], gaps[:40], gaps[40:50] = 50.0, 900.0, 6.0
    q75[:50] = 120.0  # at a person's speed: the bound is the upper one
    spread[:10], spread[10:20], spread[20:30] = 0.7, 2.1, 1.6
    spread[30:40], spread[40:50] = 11.0, 0.7
    share[30:34], share[34:37], share[37:40] = 0.35, 0.45, 0.60
    frame = pd.DataFrame(columns)
    model = CadenceDetector(
        random_state=0, families={"burst": FAMILIES["burst"]}, detectors=("iforest",)
    ).fit(frame)
    assert model.input_columns_ == [
        "max_minutes_hour",
        "all_gap_log_iqr",
        "all_gap_q75_s",
        "all_n_gaps",
        "all_mode_share",
    ]
    column, support, speed_only, full, kept = REGULARITY_GRADES["burst"]
    assert (column, support) == ("all_gap_log_iqr", "all_n_gaps")
    # by hand (1.8, 1.2, 0.15; the bound adds 1.645 · 1.573 · 0.8 / √n = 2.07 / √n):
    # 900 gaps at 0.7 → 0.769 → 1; at 2.1 → 0.15; at 1.6 → 1.669 → 0.336;
    # six gaps at 0.7 → 1.545 → 0.15 + 0.85 · 0.255 / 0.6 = 0.511
    assert (speed_only, full, kept) == (1.8, 1.2, 0.15)
    assert SPREAD_UNCERTAINTY == pytest.approx(2.0701, abs=1e-4)
    # the 2 % of people three in four of whose gaps come under 15 s have it
    # read towards its lower bound: all the way at 5 s (log scale between)
    assert FAST_SPREAD_READING == ("all_gap_q75_s", 5.0)
    assert 0 < np.mean(q75 <= 15.0) < 0.05  # the gate lets the column in
    past = np.clip(np.log(15.0 / q75) / np.log(3.0), 0, 1)
    assert past[:50].max() == 0 and past.max() == 1
    bound = spread + (1 - 2 * past) * SPREAD_UNCERTAINTY / np.sqrt(gaps)
    expected = np.clip((speed_only - bound) / (speed_only - full), 0, 1)
    expected = kept + (1 - kept) * expected
    # unresolved: by the share in one tick, 0.35 → 0.15, 0.45 → 0.575, 0.6 → 1
    assert UNRESOLVED_SHARE_GRADE == ("all_mode_share", 0.35, 0.55)
    expected[30:40] = np.repeat([0.15, 0.575, 1.0], [4, 3, 3])
    assert expected[0] == 1.0 and expected[10] == pytest.approx(0.15)
    assert expected[20] == pytest.approx(
        0.15 + 0.85 * (0.2 - 2.0701 / 30) / 0.6, abs=1e-5
    )
    assert expected[20] == pytest.approx(0.336, abs=1e-3)
    assert expected[40] == pytest.approx(0.511, abs=1e-3)
    ungraded = forest_score(model, frame, "burst")
    got = model.detector_scores(frame)["iforest:burst"].to_numpy()
    want = np.where(ungraded > 0, ungraded * expected, ungraded)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # regular speed outranks irregular speed and few gaps in step; on the
    # unresolved clock a majority in one tick is left whole
    assert got[:10].min() > got[10:20].max()
    assert got[:10].min() > got[40:50].max()
    np.testing.assert_array_equal(got[37:40], ungraded[37:40])
    # without the share the unresolved clock is left whole
    no_share = CadenceDetector(
        random_state=0, families={"burst": FAMILIES["burst"]}, detectors=("iforest",)
    ).fit(frame.drop(columns="all_mode_share"))
    plain = no_share.detector_scores(frame)["iforest:burst"].to_numpy()
    np.testing.assert_array_equal(plain[30:40], ungraded[30:40])


def test_volume_counts_in_full_only_with_regular_gaps():
    # 3,000 people; then twenty with a hundred times a person's volume: ten
    # with a script's regular gaps, ten with a power user's irregular ones
    rng = np.random.default_rng(4)
    columns = busy_people(rng)
    n = len(columns["all_gap_log_iqr"])
    volume = {
        "max_events_hour": rng.uniform(5, 40, n),
        "max_events_day": rng.uniform(10, 120, n),
        "events_per_active_day": rng.uniform(5, 60, n),
    }
    for column in volume.values():
        column[:20] *= 100
    spread, gaps = columns["all_gap_log_iqr"], columns["all_n_gaps"]
    spread[:10], spread[10:20], gaps[:20] = 0.7, 2.1, 900.0
    frame = pd.DataFrame({**columns, **volume})
    families = {"intensity": FAMILIES["intensity"], "burst": FAMILIES["burst"]}
    model = CadenceDetector(
        random_state=0, families=families, detectors=("iforest",)
    ).fit(frame)
    assert REGULARITY_GRADES["intensity"] == REGULARITY_GRADES["burst"]
    # by hand as the burst grade: 900 gaps at 0.7 → bound 0.769 → kept whole;
    # at 2.1 → past 1.8 → speed alone, 0.15
    ungraded = forest_score(model, frame, "intensity")
    got = model.detector_scores(frame)["iforest:intensity"].to_numpy()
    assert ungraded[:20].min() > 1  # both groups far out on volume alone
    np.testing.assert_allclose(got[:10], ungraded[:10], rtol=1e-12)
    np.testing.assert_allclose(got[10:20], 0.15 * ungraded[10:20], rtol=1e-12)
    # a person's negative evidence keeps its sign and size
    people = ungraded[20:] <= 0
    np.testing.assert_array_equal(got[20:][people], ungraded[20:][people])


def test_fast_gaps_count_only_where_people_seldom_have_them():
    # 2,000 people of an app (three in four gaps under ~2 min) and twenty runs
    # of a job: a dozen requests 1–5 s apart in one minute, a little less
    # spread than people's gaps (log-IQR 1.0 against 1.8 ± 0.3)
    rng = np.random.default_rng(6)
    columns = busy_people(rng, n=2020)
    q75 = columns["all_gap_q75_s"]
    q75[:20], columns["all_gap_log_iqr"][:20] = 3.0, 1.0
    columns["all_n_gaps"][:20], columns["max_minutes_hour"][:20] = 12.0, 1.0
    app = pd.DataFrame(columns)
    assert POPULATION_GATED == {"all_gap_q75_s": (15.0, 0.05)}
    burst = {"burst": FAMILIES["burst"]}
    model = CadenceDetector(random_state=0, families=burst, detectors=("iforest",))
    model.fit(app)
    share = np.mean(q75 <= 15.0)  # the runs and 2 % of the people (log-normal)
    assert 20 / 2020 <= share < 0.05
    assert model.learned_levels_["population_share_all_gap_q75_s"] == share
    assert "all_gap_q75_s" in model.families_["burst"]
    # read as how far under the limit: ln(15 / 3) for the runs, 0 at or past it
    read = model._prepare(app)[:, model.columns_.index("all_gap_q75_s")]
    np.testing.assert_allclose(read[:20], np.log(5.0), rtol=1e-12)
    np.testing.assert_array_equal(read[q75 >= 15.0], 0.0)
    under = (q75 < 15.0) & (np.arange(q75.size) >= 20)
    np.testing.assert_allclose(read[under], np.log(15.0 / q75[under]), rtol=1e-12)
    slow = {"burst": {c: d for c, d in FAMILIES["burst"].items() if "q75" not in c}}
    blind = CadenceDetector(random_state=0, families=slow, detectors=("iforest",))
    blind.fit(app)
    with_fast = model.detector_scores(app)["iforest:burst"].to_numpy()
    without = blind.detector_scores(app)["iforest:burst"].to_numpy()
    # without it the runs sit among the people's top 1 %; with it over them all
    assert without[:20].max() < np.quantile(without[20:], 0.99)
    assert with_fast[:20].min() > np.quantile(with_fast[20:], 0.99)

    # a browser's log: 40 % of the people's page loads come seconds apart; the
    # column is left out and the model is the one fitted without it
    browser = app.copy()
    browser.loc[20:828, "all_gap_q75_s"] = rng.uniform(1, 4, 809)
    model.fit(browser)
    assert model.learned_levels_["population_share_all_gap_q75_s"] >= 0.4
    assert "all_gap_q75_s" not in model.columns_
    np.testing.assert_array_equal(
        model.detector_scores(browser)["iforest:burst"].to_numpy(), without
    )
    # at exactly 5 % it is left out too; with fewer users than a level needs
    # it is left out whatever their share
    edge = app.copy()
    edge["all_gap_q75_s"] = np.where(np.arange(2020) < 101, 3.0, 120.0)
    assert np.mean(edge["all_gap_q75_s"] <= 15.0) == 0.05
    assert "all_gap_q75_s" not in model.fit(edge).columns_
    few = app.iloc[: LEARNED_MIN_USERS - 1]
    assert "all_gap_q75_s" not in model.fit(few).columns_


def test_gaps_past_peoples_speed_are_read_at_the_spreads_lower_bound():
    # 3,000 people of an app (2 % with three in four gaps under 15 s); then ten
    # runs of a daily job (8 gaps 1–5 s apart: q75 3 s, spread 1.4), the same
    # gaps at a person's pace (q75 120 s), the busiest power users (8,000 gaps
    # spread 1.6, q75 5 s) and the runs' gaps half-way (q75 15 / √3 s)
    rng = np.random.default_rng(7)
    columns = busy_people(rng)
    minutes, spread, gaps, _, q75 = columns.values()
    minutes[:40], spread[:40], gaps[:40] = 1.0, 1.4, 8.0
    q75[:10], q75[10:20], q75[30:40] = 3.0, 120.0, 15.0 / np.sqrt(3.0)
    minutes[20:30], spread[20:30], gaps[20:30], q75[20:30] = 50.0, 1.6, 8000.0, 5.0
    frame = pd.DataFrame(columns)
    burst = {"burst": FAMILIES["burst"]}
    model = CadenceDetector(random_state=0, families=burst, detectors=("iforest",))
    model.fit(frame)
    assert "all_gap_q75_s" in model.columns_  # under 5 % are that fast
    # by hand (SPREAD_UNCERTAINTY 2.0701; full under 1.2, speed alone 0.15
    # past 1.8): the runs at 1.4 − 2.0701 / √8 = 0.668 → 1; at a person's pace
    # at 1.4 + 0.732 = 2.132 → 0.15; half-way at the estimate 1.4 → 0.15 +
    # 0.85 · 0.4 / 0.6 = 0.7167; the power users at 1.6 − 2.0701 / √8000 =
    # 1.5769 → 0.15 + 0.85 · 0.2231 / 0.6 = 0.4661 (0.4005 at the upper bound)
    grade = np.repeat([1.0, 0.15, 0.4661, 0.7167], 10)
    ungraded = forest_score(model, frame, "burst")
    got = model.detector_scores(frame)["iforest:burst"].to_numpy()
    assert ungraded[:40].min() > 0
    np.testing.assert_allclose(got[:40] / ungraded[:40], grade, atol=1e-4)
    assert got[:10].min() > got[10:20].max()
    # where many users are that fast (a browser's page loads) the column is
    # left out and every spread is read at its upper bound: the runs keep 0.15
    browser = frame.copy()
    browser.loc[40:400, "all_gap_q75_s"] = rng.uniform(1, 4, 361)
    model.fit(browser)
    assert "all_gap_q75_s" not in model.columns_
    ungraded = forest_score(model, browser, "burst")
    got = model.detector_scores(browser)["iforest:burst"].to_numpy()
    runs = ungraded[:10] > 0
    assert runs.any()
    np.testing.assert_allclose(got[:10][runs], 0.15 * ungraded[:10][runs], rtol=1e-12)


def test_unresolved_speed_needs_a_steady_pace():
    # people as before; forty users busy for 50 minutes on a whole-minute clock
    # (spread unresolved) with 70% of gaps in one tick — full by the share —
    # and a pace per minute as steady as a script's (0.3), half-way (0.8), as
    # piled up as a busy person's (1.3), or without the pace's support (NaN)
    rng = np.random.default_rng(5)
    columns = busy_people(rng)
    minutes, spread, gaps, share, _ = columns.values()
    pace = rng.uniform(0.6, 1.6, len(minutes))
    busy = slice(0, 40)
    minutes[busy], spread[busy], gaps[busy], share[busy] = 50.0, 11.0, 900.0, 0.7
    pace[busy] = np.repeat([0.3, 0.8, 1.3, np.nan], 10)
    frame = pd.DataFrame({**columns, "minute_count_dispersion": pace})
    model = CadenceDetector(
        random_state=0, families={"burst": FAMILIES["burst"]}, detectors=("iforest",)
    ).fit(frame)
    assert "minute_count_dispersion" in model.input_columns_
    assert UNRESOLVED_PACE_GRADE == ("minute_count_dispersion", 1.1, 0.5)
    # by hand: 0.3 → 1; 0.8 → 0.15 + 0.85 · (1.1 − 0.8) / 0.6 = 0.575; 1.3 →
    # 0.15 (speed alone); no pace → the share's reading, 0.7 ≥ 0.55 → 1
    expected = np.repeat([1.0, 0.575, 0.15, 1.0], 10)
    ungraded = forest_score(model, frame, "burst")[busy]
    got = model.detector_scores(frame)["iforest:burst"].to_numpy()[busy]
    assert np.all(ungraded > 0)
    np.testing.assert_allclose(got, ungraded * expected, rtol=1e-12)
    # a resolved spread is graded by the spread alone, whatever the pace
    resolved = frame.assign(minute_count_dispersion=1.5)
    again = model.detector_scores(resolved)["iforest:burst"].to_numpy()[40:]
    first = model.detector_scores(frame)["iforest:burst"].to_numpy()[40:]
    np.testing.assert_array_equal(again, first)


def test_schedule_evidence_counts_only_beyond_chance():
    # people under the 5% limit; ten at 10% of sessions whose coincidences
    # chance explains (p = 0.016), ten at 10% beyond chance, ten jobs at 70%
    rng = np.random.default_rng(4)
    day = rng.uniform(0, 0.04, 3000)
    day[:20], day[20:30] = 0.10, 0.70
    logp = rng.uniform(0, 1.5, 3000)
    logp[:10], logp[10:20], logp[20:30] = 1.8, 4.0, 12.0
    shares = clock_shares(day, rng)
    gated = shares.assign(clock_day_logp=logp, clock_hour_logp=0.0)
    columns, least = SIGNIFICANCE_GATES["schedule"]
    assert columns == ("clock_day_logp", "clock_hour_logp") and least == 3.0
    with_gate = CadenceDetector(random_state=0).fit(gated)
    without = CadenceDetector(random_state=0).fit(shares)
    got = with_gate.detector_scores(gated)["iforest:schedule"].to_numpy()
    ungated = without.detector_scores(shares)["iforest:schedule"].to_numpy()
    # the gate does not touch the forest: the same score where p < 0.001,
    # none of the positive part where chance explains the coincidences
    beyond = logp >= least
    np.testing.assert_array_equal(got[beyond], ungated[beyond])
    np.testing.assert_array_equal(got[~beyond], np.minimum(ungated[~beyond], 0))
    assert ungated[:10].min() > 0 and got[:10].max() == 0
    assert got[10:30].min() > 0
    # a model that gates needs the columns to score
    with pytest.raises(ValueError, match="clock_day_logp"):
        with_gate.score_samples(shares)


def test_single_event_visits_count_only_beyond_chance():
    # people with a few single-event sessions; ten pollers whose every one of
    # 12 sessions is a single event (p = 0.25¹² under the chance level), and ten
    # users with the same share bound from fewer sessions that chance explains
    rng = np.random.default_rng(6)
    n = 3000
    share = rng.uniform(0, 0.2, n)
    logp = rng.uniform(0, 1.0, n)
    share[:20] = 0.6
    logp[:10], logp[10:20] = 12 * -np.log10(0.25), 2.0
    frame = pd.DataFrame({"single_event_share_lcb": share, "single_event_logp": logp})
    columns, least = SIGNIFICANCE_GATES["visits"]
    assert columns == ("single_event_logp",) and least == 3.0
    model = CadenceDetector(random_state=0).fit(frame)
    assert list(model.families_) == ["visits"]
    assert model.input_columns_ == ["single_event_share_lcb", "single_event_logp"]
    ungated = forest_score(model, frame, "visits")
    got = model.detector_scores(frame)["iforest:visits"].to_numpy()
    beyond = logp >= least
    np.testing.assert_array_equal(got[beyond], ungated[beyond])
    np.testing.assert_array_equal(got[~beyond], np.minimum(ungated[~beyond], 0))
    # the forest alone cannot tell them apart; the gate does
    assert ungated[10:20].min() > 0.5 and got[10:20].max() == 0
    assert got[:10].min() > 0.5
    # and so do the reasons: the same share names a reason only beyond chance
    frame["n_sessions"] = 12.0
    frame["single_event_sessions"] = np.round(frame["single_event_share_lcb"] * 12)
    why = model.explain(frame.head(20), k=1)["reason_1_feature"].to_numpy()
    assert (why[:10] == "single_event_share_lcb").all()
    assert (why[10:20] == "").all()


def visits_frame(single: np.ndarray, sessions: np.ndarray) -> pd.DataFrame:
    """The visits family's columns and its gate's for these counts (the
    column's −log10 p at its fixed chance level, as the features build it)."""
    logp = -binom.logsf(single - 1, sessions, SINGLE_EVENT_CHANCE) / np.log(10)
    return pd.DataFrame(
        {
            "single_event_share_lcb": share_lower_bound(single, sessions),
            "single_event_logp": np.where(sessions >= 4, logp, np.nan),
            "single_event_sessions": single.astype(float),
            "n_sessions": sessions.astype(float),
        }
    )


def test_the_visits_chance_is_learned_from_people_who_drop_by():
    # 1,000 people with 40 sessions each, 0–24 of them one event alone (40
    # people each): their 90th percentile share is 22/40 = 0.55 (sorted, the
    # 900th and 901st shares are both the 23rd count, 22); then ten pollers
    # whose 12 sessions are all single, and ten people with 30 of 40
    single = np.r_[np.repeat(np.arange(25), 40), np.full(10, 12), np.full(10, 30)]
    sessions = np.r_[np.full(1000, 40), np.full(10, 12), np.full(10, 40)]
    frame = visits_frame(single, sessions)
    assert VISITS_CHANCE == ("single_event_sessions", "n_sessions", 0.9, 20)
    model = CadenceDetector(random_state=0).fit(frame)
    assert list(model.families_) == ["visits"]
    assert model.single_event_chance_ == pytest.approx(0.55)
    assert model.learned_levels_ == {"learned_visits_chance": pytest.approx(0.55)}
    assert {"single_event_sessions", "n_sessions"} <= set(model.input_columns_)
    # the gate now tests each count against 0.55 (scipy's binomial tail)
    least = SIGNIFICANCE_GATES["visits"][1]
    beyond = -binom.logsf(single - 1, sessions, 0.55) / np.log(10) >= least
    assert beyond[1000:1010].all() and not beyond[1010:].any()  # 12/12: p = 0.55¹²
    ungated = forest_score(model, frame, "visits")
    got = model.detector_scores(frame)["iforest:visits"].to_numpy()
    # 12 of 12 single: the Wilson bound is 12 / (12 + z²); it goes that far
    # from 0.55 toward 1, of the half way that counts in full
    z2 = 1.959963984540054**2
    kept = (12 / (12 + z2) - 0.55) / (VISITS_FULL_WAY * (1 - 0.55))
    assert VISITS_FULL_WAY == 0.5 and 0.9 < kept < 1
    np.testing.assert_allclose(got[1000:1010], ungated[1000:1010] * kept)
    np.testing.assert_array_equal(got[~beyond], np.minimum(ungated[~beyond], 0))
    # against the fixed 0.25 the people with 30 of 40 (and 16 of 40 upward)
    # passed the gate: their share is 0.58–0.75, isolated, now no evidence
    assert frame["single_event_logp"].to_numpy()[1010:].min() >= least
    assert ungated[1010:].min() > 0 and got[1010:].max() <= 0
    assert got[1000:1010].min() > 0


def test_visits_count_by_how_far_the_share_goes_toward_every_visit_alone():
    # people of the default sample (a few per cent of 20–60 sessions single);
    # ten pollers with all 100 sessions single; ten people whose actions invite
    # more, so that 40 of their 100 sessions are one action alone: past the
    # chance level of 0.25 beyond doubt (p < 1e-3), but far from a poller's 1
    rng = np.random.default_rng(11)
    sessions = np.r_[rng.integers(20, 60, 3000), np.full(20, 100)]
    single = np.r_[
        rng.binomial(sessions[:3000], 0.04), np.full(10, 100), np.full(10, 40)
    ]
    frame = visits_frame(single, sessions)
    model = CadenceDetector(random_state=0).fit(frame)
    assert model.single_event_chance_ == SINGLE_EVENT_CHANCE == 0.25
    least = SIGNIFICANCE_GATES["visits"][1]
    assert frame["single_event_logp"].to_numpy()[3000:].min() >= least
    ungated = forest_score(model, frame, "visits")
    got = model.detector_scores(frame)["iforest:visits"].to_numpy()
    assert ungated[3000:].min() > 0.5  # the forest isolates both alike
    # 40 of 100: Wilson bound (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    z = 1.959963984540054
    p, n = 0.4, 100
    bound = p + z * z / (2 * n) - z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    bound /= 1 + z * z / n
    assert bound == pytest.approx(0.3094, abs=1e-4)
    kept = (bound - 0.25) / (0.5 * 0.75)  # 0.158 of the way that counts in full
    np.testing.assert_allclose(got[3010:], ungated[3010:] * kept)
    # the pollers' bound, 100 / (100 + z²) = 0.963, is past the half way: all
    np.testing.assert_array_equal(got[3000:3010], ungated[3000:3010])


def test_the_visits_chance_never_falls_under_the_columns_level():
    # people of the default sample (a few per cent single), and a population
    # with too few users of 20 sessions to learn from: the fixed 0.25 stands
    rng = np.random.default_rng(9)
    sessions = rng.integers(20, 60, 2000)
    single = rng.binomial(sessions, 0.04)
    model = CadenceDetector(random_state=0).fit(visits_frame(single, sessions))
    assert model.single_event_chance_ == SINGLE_EVENT_CHANCE
    few = LEARNED_MIN_USERS - 1
    sessions = np.r_[np.full(few, 40), np.full(2000, 10)]
    single = np.r_[np.full(few, 30), np.full(2000, 2)]
    model = CadenceDetector(random_state=0).fit(visits_frame(single, sessions))
    assert model.single_event_chance_ == SINGLE_EVENT_CHANCE
    # then the gate is the column's, as before the level was learned
    got = model.detector_scores(visits_frame(single, sessions))["iforest:visits"]
    assert (got.to_numpy()[:few] > 0).all()


def _rhythm_forest(frame: pd.DataFrame) -> CadenceDetector:
    """The rhythm family's forest alone, on the rhythm columns of ``frame``."""
    return CadenceDetector(
        random_state=0,
        families={
            "rhythm": {c: d for c, d in FAMILIES["rhythm"].items() if c in frame}
        },
        detectors=("iforest",),
    ).fit(frame)


def rhythm_people(rng, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rhythm strength (2% with a faint one, else none), gap spread and modal
    share for ``n`` people."""
    rhythm = np.where(rng.random(n) < 0.02, rng.uniform(0, 0.05, n), np.nan)
    return rhythm, rng.normal(1.9, 0.3, n), rng.uniform(0.05, 0.3, n)


def test_a_weak_rhythm_alone_keeps_a_share_of_its_evidence():
    # 3,000 users mostly without a rhythm; then ten each: a script (R² 0.9), a
    # power user whose session gaps fold to a weak but significant rhythm
    # (R² 0.12, gaps spread, few at one length), regular gaps without a
    # rhythm, and a weak rhythm with 45% of gaps at one length
    rng = np.random.default_rng(8)
    n = 3000
    rhythm, spread, share = rhythm_people(rng, n)
    rhythm[:10], rhythm[10:20], rhythm[20:30], rhythm[30:40] = 0.9, 0.12, np.nan, 0.1
    spread[:10], spread[10:20], spread[20:30], spread[30:40] = 0.4, 2.3, 0.5, 2.5
    share[:10], share[10:20], share[20:30], share[30:40] = 0.9, 0.1, 0.5, 0.45
    frame = pd.DataFrame(
        {"all_rhythm": rhythm, "all_gap_log_iqr": spread, "all_mode_share": share}
    )
    model = _rhythm_forest(frame)
    assert STRENGTH_GRADES == {"rhythm": 0.5}
    # by hand: the best of R² / 0.5, (2.0 − spread) / 0.8 and (share − 0.35) / 0.2
    # script: 1; power user: max(0.24, 0, 0) = 0.24; regular gaps: max(0, 1,
    # 0.75) = 1; weak rhythm, 45% at one length: max(0.2, 0, 0.5) = 0.5
    expected = np.repeat([1.0, 0.24, 1.0, 0.5], 10)
    ungraded = forest_score(model, frame, "rhythm")[:40]
    got = model.detector_scores(frame)["iforest:rhythm"].to_numpy()[:40]
    assert np.all(ungraded > 0)
    np.testing.assert_allclose(got, ungraded * expected, rtol=1e-12)
    # the forest takes the weak rhythm for evidence (most users have none);
    # the grade leaves a quarter of it
    assert ungraded[10:20].min() > 0.5 and got[10:20].max() < 0.25
    # with the gap counts, the spread and the share are read at their bounds:
    # the script from 9 gaps, spread 0.4 + 3 × 2.0701 / 3 = 2.47 (none) but
    # 90% at one length with Wilson bound 0.636 (full); the regular gaps from
    # 100, spread 0.5 + 3 × 2.0701 / 10 = 1.12 (full)
    n_gaps = np.full(n, 50.0)
    n_gaps[:10], n_gaps[20:30], n_gaps[30:40] = 9.0, 100.0, 400.0
    counted = frame.assign(all_n_gaps=n_gaps)
    model = _rhythm_forest(counted)
    assert model.aux_columns_ == ["all_n_gaps"]
    assert STRENGTH_SPREAD_UNCERTAINTY == pytest.approx(6.2103, abs=1e-4)
    spread_bound = spread[:40] + STRENGTH_SPREAD_UNCERTAINTY / np.sqrt(n_gaps[:40])
    share_bound = share_lower_bound(share[:40] * n_gaps[:40], n_gaps[:40], z=1.645)
    expected = np.maximum.reduce(
        [
            np.clip(np.nan_to_num(rhythm[:40]) / 0.5, 0, 1),
            np.clip((2.0 - spread_bound) / 0.8, 0, 1),
            np.clip((share_bound - 0.35) / 0.2, 0, 1),
        ]
    )
    # by hand: the weak rhythm with 45% of 400 gaps at one length, Wilson
    # bound 0.4096 → (0.4096 − 0.35) / 0.2 = 0.298, not the face value's 0.5
    assert expected[:10] == pytest.approx(1.0) and expected[20] == 1.0
    assert expected[30] == pytest.approx(0.2978, abs=1e-3)
    ungraded = forest_score(model, counted, "rhythm")[:40]
    got = model.detector_scores(counted)["iforest:rhythm"].to_numpy()[:40]
    np.testing.assert_allclose(got, ungraded * expected, rtol=1e-12)


def test_a_few_gaps_in_step_by_chance_are_no_rhythm():
    # 3,000 users mostly without a rhythm, 5–200 gaps each; then ten people
    # seen in one visit of six actions whose 5 gaps fell in step (spread 0.1,
    # 3 of 5 at one length, no rhythm fitted) and ten jobs with the same
    # readings from 400 gaps
    rng = np.random.default_rng(12)
    n = 3000
    rhythm, spread, share = rhythm_people(rng, n)
    gaps = rng.integers(5, 200, n).astype(float)
    rhythm[:20], spread[:20], share[:20] = np.nan, 0.1, 0.6
    gaps[:10], gaps[10:20] = 5.0, 400.0
    frame = pd.DataFrame(
        {
            "all_rhythm": rhythm,
            "all_gap_log_iqr": spread,
            "all_mode_share": share,
            "all_n_gaps": gaps,
        }
    )
    model = _rhythm_forest(frame)
    ungraded = forest_score(model, frame, "rhythm")[:20]
    got = model.detector_scores(frame)["iforest:rhythm"].to_numpy()[:20]
    # the forest isolates both alike; by hand, the visit's spread reads
    # 0.1 + 6.2103 / √5 = 2.88 (past 1.8: none) and 3 of 5 at one length a
    # Wilson bound of 0.27 (under 0.35: none), so it keeps nothing; the job's
    # 0.1 + 6.2103 / 20 = 0.41 (full)
    assert share_lower_bound(3.0, 5.0, z=1.645) == pytest.approx(0.2725, abs=1e-3)
    assert np.all(ungraded > 0.5)
    np.testing.assert_allclose(got[:10], 0.0, atol=1e-12)
    np.testing.assert_allclose(got[10:], ungraded[10:], rtol=1e-12)
    # read at the burst family's 95 % bound, the visit would have counted in
    # full: 0.1 + 2.0701 / √5 = 1.03, under 1.2
    assert 0.1 + SPREAD_UNCERTAINTY / np.sqrt(5) < REGULARITY_GRADES["burst"][3]


def test_an_unresolved_share_in_one_tick_needs_a_steady_pace():
    # 3,000 users mostly without a rhythm; then ten each on a whole-minute
    # clock (spread unresolved, 900 gaps): 80% of gaps in one tick with a busy
    # person's piled-up pace (1.8), a spam messager's steady one (0.4), no
    # pace support (NaN), half-way (1.65); and 97% in one tick with a pace of
    # 3.0 (a scraper whose owner also acts by hand)
    rng = np.random.default_rng(9)
    n = 3000
    rhythm, spread, share = rhythm_people(rng, n)
    pace = rng.uniform(0.8, 1.6, n)
    gaps = rng.integers(5, 200, n).astype(float)
    rhythm[:50], spread[:50], gaps[:50], share[:50] = np.nan, 11.0, 900.0, 0.8
    share[40:50] = 0.97
    pace[:50] = np.repeat([1.8, 0.4, np.nan, 1.65, 3.0], 10)
    frame = pd.DataFrame(
        {
            "all_rhythm": rhythm,
            "all_gap_log_iqr": spread,
            "all_mode_share": share,
            "all_n_gaps": gaps,
            "minute_count_dispersion": pace,
        }
    )
    model = _rhythm_forest(frame)
    assert model.aux_columns_ == ["all_n_gaps", "minute_count_dispersion"]
    assert STRENGTH_PACE_GRADE == ("minute_count_dispersion", 2.0, 1.3, 0.9)
    # by hand: 80% of 900 has a Wilson bound of 0.777 (full share reading,
    # (0.777 − 0.35) / 0.2 > 1), 97% of 900 one of 0.960 (past 0.9: no pace
    # asked); the pace reads (2.0 − pace) / 0.7: 1.8 → 0.286, 0.4 → 1,
    # 1.65 → 0.5; no rhythm and an unresolved spread add nothing
    bounds = share_lower_bound(
        np.array([720.0, 873.0]), np.array([900.0, 900.0]), z=1.645
    )
    assert bounds[0] == pytest.approx(0.777, abs=1e-3) and bounds[1] > 0.9
    expected = np.repeat([0.2 / 0.7, 1.0, 1.0, 0.5, 1.0], 10)
    ungraded = forest_score(model, frame, "rhythm")[:50]
    got = model.detector_scores(frame)["iforest:rhythm"].to_numpy()[:50]
    assert np.all(ungraded > 0)
    np.testing.assert_allclose(got, ungraded * expected, rtol=1e-12)
    # the busy person keeps under a third of the steady script's evidence
    assert got[:10].max() < got[10:20].min()


def test_a_stream_the_data_never_has_fits_without_warnings():
    # a web server's log has no messages: that stream's rhythm is NaN for every
    # user; the fit sets it aside quietly and the other column is as without it
    rng = np.random.default_rng(12)
    rhythm = rng.uniform(0, 0.3, 500)
    frame = pd.DataFrame({"all_rhythm": rhythm, "message_rhythm": np.nan})
    families = {"rhythm": {"all_rhythm": +1, "message_rhythm": +1}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = CadenceDetector(random_state=0, families=families).fit(frame)
        scores = model.score_samples(frame)
    assert model.typical_[0] == pytest.approx(np.median(rhythm))
    assert np.isnan(model.typical_[1]) and np.isnan(model.reference_[:, 1]).all()
    assert model.center_[1] == 0.0 and model.scale_[1] == 1.0
    alone = CadenceDetector(random_state=0, families={"rhythm": {"all_rhythm": +1}})
    alone.fit(frame[["all_rhythm"]])
    assert alone.typical_[0] == model.typical_[0]
    assert np.isfinite(scores).all()
