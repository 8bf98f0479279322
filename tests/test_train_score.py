"""End to end: train.py into a temporary sqlite store, read back with MlflowClient,
then score.py with the logged model reproduces the training scores exactly."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import score
import train


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{d / 'mlflow.db'}"


@pytest.fixture(scope="module")
def trained(store, small_dir, tmp_path_factory):
    import mlflow

    rc = train.main(
        [
            "--data",
            str(small_dir),
            "--tracking-uri",
            store,
            "--experiment",
            "e2e",
            "--register",
            "cadence",
            "--seed",
            "1",
            "-q",
        ]
    )
    assert rc == 0
    mlflow.set_tracking_uri(store)
    runs = mlflow.search_runs(experiment_names=["e2e"])
    assert len(runs) == 1
    return runs.iloc[0]


def test_run_has_params_metrics_artifacts(store, trained):
    from mlflow import MlflowClient

    client = MlflowClient(store)
    run = client.get_run(trained.run_id)
    p, m = run.data.params, run.data.metrics
    assert p["feature_set"] == "all" and p["seed"] == "1" and p["random_state"] == "1"
    assert p["users"] == "3000" and int(p["events"]) > 100_000
    assert p["git_commit"] and p["cadence_version"]
    assert p["date_order"] == "told from the values"  # no --date-order given
    for key in (
        "label_average_precision",
        "label_recall_at_budget",
        "recall_periodic",
        "power_user_in_budget",
        "rule_any_average_precision",
        "rule_regular_search_roc_auc",
        "seconds_features",
        "seconds_fit",
        "rows_read",
    ):
        assert key in m, key
    assert m["label_average_precision"] > 0.7
    # the levels learned from the population: the simulator's people leave a
    # few per cent of their sessions single and bunch their pace 3–8× (median
    # over 5.1), so the visits chance's floor and the pace's ceiling stand
    assert m["learned_visits_chance"] == 0.25 and m["learned_pace_limit"] == 2.3
    arts = {a.path for a in client.list_artifacts(trained.run_id)}
    assert {
        "score_histogram.png",
        "top_suspects.csv",
        "feature_summary.csv",
        "rule_counts.csv",
        "load_report.json",
    } <= arts
    assert run.data.tags["cadence_model"] == "true"


def test_registered_alias_points_at_the_run(store, trained):
    from mlflow import MlflowClient

    client = MlflowClient(store)
    version = client.get_model_version_by_alias("cadence", "champion")
    assert version.run_id == trained.run_id


def test_histogram_is_a_png(store, trained, tmp_path):
    import mlflow
    from PIL import Image

    mlflow.set_tracking_uri(store)
    path = mlflow.artifacts.download_artifacts(
        run_id=trained.run_id, artifact_path="score_histogram.png", dst_path=tmp_path
    )
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 300


def top_suspects(store, run_id, tmp_path):
    import mlflow

    mlflow.set_tracking_uri(store)
    path = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="top_suspects.csv", dst_path=tmp_path
    )
    return pd.read_csv(path)


@pytest.mark.parametrize("uri_form", ["alias", "version", "run", "default", "path"])
def test_score_reproduces_training(store, trained, small_dir, tmp_path, uri_form):
    import mlflow

    mlflow.set_tracking_uri(store)
    out = tmp_path / "scores.parquet"
    args = [
        "--data",
        str(small_dir),
        "--out",
        str(out),
        "--tracking-uri",
        store,
        "--experiment",
        "e2e",
        "-q",
    ]
    if uri_form == "alias":
        args += ["--model", "models:/cadence@champion"]
    elif uri_form == "version":
        args += ["--model", "models:/cadence/1"]
    elif uri_form == "run":
        args += ["--model", f"runs:/{trained.run_id}/model"]
    elif uri_form == "path":
        local = mlflow.artifacts.download_artifacts(
            f"runs:/{trained.run_id}/model", dst_path=str(tmp_path / "m")
        )
        args += ["--model", local]
    assert score.main(args) == 0
    scored = pd.read_parquet(out)
    ref = top_suspects(store, trained.run_id, tmp_path)
    assert len(scored) == 3000
    head = scored.head(len(ref))
    np.testing.assert_array_equal(head["user_id"], ref["user_id"])
    np.testing.assert_array_equal(head["score"], ref["score"])
    np.testing.assert_array_equal(head["reason_1"], ref["reason_1"])


def test_pyfunc_predict_returns_the_scores(store, trained, small_dir):
    import mlflow

    from cadence.pipeline import prepare

    mlflow.set_tracking_uri(store)
    model = mlflow.pyfunc.load_model(f"runs:/{trained.run_id}/model")
    features = prepare(small_dir).features
    detector = model.unwrap_python_model().detector
    got = np.asarray(model.predict(features[detector.input_columns_]))
    np.testing.assert_array_equal(got, detector.score_samples(features))


def test_score_log_to_mlflow_and_budget(store, trained, small_dir, tmp_path):
    from mlflow import MlflowClient

    out = tmp_path / "s.csv"
    rc = score.main(
        [
            "--data",
            str(small_dir),
            "--out",
            str(out),
            "--tracking-uri",
            store,
            "--experiment",
            "e2e",
            "--budget",
            "0.05",
            "--log-to-mlflow",
            "-q",
        ]
    )
    assert rc == 0
    table = pd.read_csv(out)
    assert table["suspect"].sum() == 150
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("e2e")
    runs = client.search_runs([exp.experiment_id], "tags.cadence_kind = 'score'")
    assert runs and runs[0].data.metrics["suspects"] == 150
    assert runs[0].data.metrics["psi_score"] < 0.01  # same data as training


@pytest.mark.parametrize(
    "args, match",
    [
        (["--model", "runs:/0123456789abcdef/model"], "--model"),
        (["--model", "/no/such/model"], "--model /no/such/model"),
        (["--out", "/no/such/dir/s.csv"], "--out"),
        (["--out", "scores.xlsx"], "unknown extension"),
    ],
)
def test_score_errors_name_the_argument(store, trained, small_dir, args, match):
    base = [
        "--data",
        str(small_dir),
        "--tracking-uri",
        store,
        "--experiment",
        "e2e",
        "-q",
    ]
    if "--out" not in args:
        base += ["--out", "unused.csv"]
    with pytest.raises(SystemExit, match=match):
        score.main(base + args)


def test_score_names_what_a_model_directory_lacks(store, trained, small_dir, tmp_path):
    base = ["--data", str(small_dir), "--out", str(tmp_path / "s.csv"), "-q"]
    base += ["--tracking-uri", store]
    bare = tmp_path / "bare"
    bare.mkdir()
    with pytest.raises(SystemExit, match=f"--model {bare}: .*no MLmodel file"):
        score.main([*base, "--model", str(bare)])
    other = tmp_path / "other"
    other.mkdir()
    (other / "MLmodel").write_text("flavors:\n  python_function:\n    artifacts: {}\n")
    with pytest.raises(SystemExit, match="not a cadence model"):
        score.main([*base, "--model", str(other)])
    with pytest.raises(SystemExit, match="'nosuch' does not exist.*train first"):
        score.main([*base, "--experiment", "nosuch"])


def test_score_without_a_store_says_train_first_and_creates_nothing(
    small_dir, tmp_path
):
    db = tmp_path / "none.db"
    args = ["--data", str(small_dir), "--out", str(tmp_path / "s.csv"), "-q"]
    with pytest.raises(SystemExit, match=f"no tracking store at {db}.*train first"):
        score.main([*args, "--tracking-uri", f"sqlite:///{db}"])
    assert not db.exists() and not (tmp_path / "s.csv").exists()


def test_score_empty_data_dir(store, trained, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit, match="--data"):
        score.main(
            [
                "--data",
                str(empty),
                "--out",
                str(tmp_path / "s.csv"),
                "--tracking-uri",
                store,
                "--experiment",
                "e2e",
                "-q",
            ]
        )


def test_logs_ahead_of_the_clock_stop_with_the_rows_kept(
    store, trained, small_dir, tmp_path
):
    # every row after --now: both scripts stop naming --data and say how many
    # rows were kept (the load report's advice is tested in test_io)
    early = ["--data", str(small_dir), "--now", "2001-01-01", "-q"]
    rows = sum(
        len(f.read_text().splitlines()) - 1
        for f in small_dir.iterdir()
        if f.name != "labels.tsv"
    )
    kept = f"needs at least .* \\(0 of {rows:,} rows kept: see the load report\\)"
    with pytest.raises(SystemExit, match=f"--data {small_dir}: {kept}"):
        train.main([*early, "--tracking-uri", store])
    with pytest.raises(SystemExit, match=f"--data {small_dir}: {kept}"):
        score.main(
            [*early, "--out", str(tmp_path / "s.csv"), "--tracking-uri", store]
            + ["--experiment", "e2e"]
        )
    assert not (tmp_path / "s.csv").exists()


def test_train_errors_name_the_argument(tmp_path):
    with pytest.raises(SystemExit, match="--data"):
        train.main(["--data", str(tmp_path / "none"), "-q"])
    with pytest.raises(SystemExit):
        train.main(["--budget", "2"])


def test_compare_child_runs(small_dir, tmp_path, capsys, train_into):
    import mlflow

    store = train_into(
        small_dir, "--experiment", "cmp", "--compare", "--n-estimators", "50", db="c.db"
    )
    mlflow.set_tracking_uri(store)
    runs = mlflow.search_runs(experiment_names=["cmp"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()]
    children = runs[runs["tags.mlflow.parentRunId"].notna()]
    assert len(parent) == 1 and len(children) == 9
    grid = set(
        zip(
            children["params.feature_set"], children["params.detector_set"], strict=True
        )
    )
    assert len(grid) == 9
    text = capsys.readouterr().out
    assert "label_average_precision" in text and "*" in text


def _train_then_score(data, tmp_path, train_into, **read) -> pd.DataFrame:
    """Train on ``data`` into a fresh store, score it, read the scores file."""
    store = train_into(data)
    out = tmp_path / "scores.csv"
    args = ["--data", str(data), "--tracking-uri", store, "--out", str(out), "-q"]
    assert score.main(args) == 0
    return pd.read_csv(out, **read)


def test_string_ids_round_trip_through_train_and_score(tmp_path, train_into):
    """UUID ids: read as strings, scored, written back exactly as given; the
    labels file's string ids line up; duplicates stay an export's artefact."""
    import uuid

    from cadence.simulate import SimConfig, simulate, write_logs
    from features.io import load_logs

    sim = simulate(SimConfig(users=1500, bot_share=0.05, seed=5))
    ids = {u: str(uuid.UUID(int=int(u) * 7919 + 11)) for u in sim.signups["user_id"]}
    for frame in (sim.signups, sim.events, sim.labels):
        frame["user_id"] = frame["user_id"].map(ids)
    data = tmp_path / "uuid"
    write_logs(sim, data, dirty=True, seed=5)
    logs = load_logs(data, now_ms=1_700_000_000_000)
    assert logs.user_names is not None
    assert set(logs.user_names) == set(ids.values())
    search = logs.report.files["search"]
    assert search.duplicates > 0  # exact duplicate rows of an export
    assert search.rows_read == search.rows_kept + search.duplicates + search.bad_rows

    got = _train_then_score(data, tmp_path, train_into, dtype={"user_id": str})
    assert sorted(got["user_id"]) == sorted(ids.values())
    # the scores line up with the labels by string id: bots rank far above people
    from sklearn.metrics import average_precision_score

    truth = sim.labels.set_index("user_id")["is_bot"].reindex(got["user_id"])
    assert average_precision_score(truth, got["score"]) > 0.5  # chance: 0.05


def test_integer_ids_stay_int64(small_dir):
    from features.io import load_logs

    logs = load_logs(small_dir, now_ms=1_700_000_000_000)
    assert logs.user_names is None
    assert logs.events["user_id"].dtype == np.int64
    assert logs.signups["user_id"].dtype == np.int64


def test_access_log_through_train_and_score(tmp_path, train_into):
    """An access log file as --data: clients named as written, the user agent
    beside the score, and nothing dropped as a duplicate."""
    from cadence.simulate import SimConfig, simulate

    sim = simulate(SimConfig(users=400, bot_share=0.05, seed=2))
    ev = sim.events
    stamp = pd.to_datetime(ev["ts_ms"], unit="ms").dt.strftime("%d/%b/%Y:%H:%M:%S")
    client = (
        "10.1."
        + (ev["user_id"] % 256).astype(str)
        + "."
        + (ev["user_id"] // 256 % 256).astype(str)
    )
    lines = (
        client
        + " - - ["
        + stamp
        + ' +0000] "GET /x HTTP/1.1" 200 10 "-" "agent-'
        + ev["user_id"].astype(str)
        + '"'
    )
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    from features.accesslog import load_access_log

    report = load_access_log(path, now_ms=1_700_000_000_000).report
    assert report.duplicates == 0 and report.rows_kept == len(ev)  # whole seconds
    got = _train_then_score(path, tmp_path, train_into)
    # the same requests in a proxy's log (Squid's native format, shuffled,
    # gzipped) score the same: the same clients at the same instants
    whole = ev["ts_ms"] // 1000
    squid = (
        whole.astype(str)
        + ".000    12 "
        + client
        + " TCP_MISS/200 10 GET http://x/ - DIRECT/192.0.2.1 text/html"
    ).sample(frac=1.0, random_state=0)
    proxy = tmp_path / "proxy"
    proxy.mkdir()
    (proxy / "squid.gz").write_bytes(gzip.compress(("\n".join(squid) + "\n").encode()))
    again = _train_then_score(proxy / "squid.gz", proxy, train_into)
    assert "user_agent" not in again.columns  # the format has none
    pd.testing.assert_frame_equal(
        again.set_index("user_id")[["score", "rank", "suspect"]].sort_index(),
        got.set_index("user_id")[["score", "rank", "suspect"]].sort_index(),
    )
    assert set(got["user_id"]) == set(client)
    assert list(got.columns[:6]) == [
        "user_id",
        "score",
        "rank",
        "percentile",
        "suspect",
        "user_agent",
    ]
    mine = got.set_index("user_id")["user_agent"]
    first = ev.assign(client=client).drop_duplicates("client").set_index("client")
    assert (
        mine.sort_index() == ("agent-" + first["user_id"].astype(str)).sort_index()
    ).all()


def test_reviewed_verdicts_round_trip(store, trained, small_dir, tmp_path, capsys):
    """A reviewed human is never suspect, reviewed automation always is; bad
    verdict rows are counted with their lines; unknown users are reported."""
    first = pd.read_csv(
        _score(store, small_dir, tmp_path / "plain.csv"), usecols=[0, 1, 4]
    )
    top, low = first["user_id"].iloc[0], first["user_id"].iloc[-1]
    verdicts = tmp_path / "verdicts.tsv"
    verdicts.write_text(
        "user_id\tverdict\tnote\n"
        f"{top}\tautomated\tfirst look\n"
        f"{top}\tHuman\tcalled them: a dealer\n"  # the later verdict counts
        f"{low}\tautomated\t\n"
        "99999999999\thuman\tnot in these data\n"
        "abc\thuman\tbad id\n"
        f"{low}\tmaybe\tbad verdict\n"
    )
    out = tmp_path / "reviewed.csv"
    capsys.readouterr()
    _score(store, small_dir, out, "--reviewed", str(verdicts))
    said = capsys.readouterr().out
    got = pd.read_csv(out).set_index("user_id")
    assert got.loc[top, "reviewed"] == "human" and not got.loc[top, "suspect"]
    assert got.loc[low, "reviewed"] == "automated" and got.loc[low, "suspect"]
    assert got["suspect"].sum() == first["suspect"].sum()  # one off, one on
    assert "1 x user_id is not an integer (first lines: 6)" in said
    assert "1 x verdict is not human or automated (first lines: 7)" in said
    assert "1 earlier verdicts replaced" in said
    assert "1 reviewed users are not in these data (99999999999)" in said


def _score(store, data, out, *extra) -> object:
    args = ["--data", str(data), "--tracking-uri", store, "--out", str(out)]
    args += ["--experiment", "e2e", "-q", *extra]
    assert score.main(args) == 0
    return out


def test_train_reviewed_metrics_by_hand(small_dir, tmp_path, train_into):
    """Precision and recall against reviewed users equal the counts by hand."""
    from mlflow import MlflowClient

    labels = pd.read_csv(small_dir / "labels.tsv", sep="\t")
    bots = labels.loc[labels["is_bot"] == 1, "user_id"].head(6).tolist()
    people = labels.loc[labels["is_bot"] == 0, "user_id"].head(4).tolist()
    verdicts = tmp_path / "v.csv"
    rows = [f"{u},automated" for u in bots] + [f"{u},human" for u in people]
    verdicts.write_text("user_id,verdict\n" + "\n".join(rows) + "\n")
    store = train_into(small_dir, "--reviewed", str(verdicts), "--report-top", "0")
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("cadence")
    run = client.search_runs([exp.experiment_id])[0]
    m = run.data.metrics
    top = pd.read_csv(
        client.download_artifacts(run.info.run_id, "top_suspects.csv", str(tmp_path))
    )
    assert m["reviewed_users"] == 10
    # the suspects of the run, by hand, from its own scores against the threshold
    out = tmp_path / "s.csv"
    _score(store, small_dir, out, "--experiment", "cadence")
    table = pd.read_csv(out).set_index("user_id")
    sus = table["suspect"]
    tp = sum(bool(sus[u]) for u in bots)
    fp = sum(bool(sus[u]) for u in people)
    assert m["reviewed_recall"] == pytest.approx(tp / 6)
    if tp + fp:
        assert m["reviewed_precision"] == pytest.approx(tp / (tp + fp))
    assert len(top) > 0


def test_model_is_logged_from_code_without_pickling_the_class(
    small_dir, tmp_path, train_into, caplog
):
    """The model directory holds the code file and the detector as joblib; no
    CloudPickle warning; the loaded model scores as the detector does."""
    import logging

    import joblib
    import mlflow

    from features.build import build_features
    from features.io import load_logs

    with caplog.at_level(logging.WARNING):
        store = train_into(small_dir, "--report-top", "0")
    assert "CloudPickle" not in caplog.text
    mlflow.set_tracking_uri(store)
    run = mlflow.search_runs(experiment_names=["cadence"]).iloc[0]
    local = Path(
        mlflow.artifacts.download_artifacts(
            f"runs:/{run.run_id}/model", dst_path=tmp_path
        )
    )
    assert (local / "model_code.py").is_file()
    [fitted] = list(local.rglob("detector.joblib"))
    detector = joblib.load(fitted)
    logs = load_logs(small_dir, now_ms=1_700_000_000_000)
    features = build_features(logs.events, logs.signups)
    model = mlflow.pyfunc.load_model(str(local))
    np.testing.assert_array_equal(
        model.predict(features[detector.input_columns_]).to_numpy(),
        detector.score_samples(features),
    )


@pytest.mark.parametrize("script", [train, score])
def test_date_order_reaches_the_reader(script, numeric_dates_dirs):
    from cadence.cli import load_data

    numeric = numeric_dates_dirs[1]
    for extra, order in (([], "dmy"), (["--date-order", "mdy"], "mdy")):
        args = script.build_parser().parse_args(["--data", str(numeric), "-q", *extra])
        prepared = load_data(args, numeric)
        assert {f.date_order for f in prepared.logs.report.files.values()} == {order}
    with pytest.raises(SystemExit):
        script.build_parser().parse_args(["--date-order", "ymd"])
