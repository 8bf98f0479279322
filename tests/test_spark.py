"""The Spark path on a real local[2] SparkSession: same features, same scores."""

import bz2
import importlib.util
import json
import re
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

if importlib.util.find_spec("pyspark") is None:
    pytest.skip(
        "pyspark is not installed (pip install -e '.[spark]')", allow_module_level=True
    )
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (17) on the PATH", allow_module_level=True)

import score  # noqa: E402
from cadence.pipeline import prepare  # noqa: E402
from features.io import NOT_JSON, REPEATED_HEADER  # noqa: E402

NOW = 2_000_000_000_000


@pytest.fixture(scope="module")
def spark():
    from cadence.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def dirty_dir(small_sim, tmp_path_factory):
    from cadence.simulate import write_logs

    out = tmp_path_factory.mktemp("dirty")
    write_logs(small_sim, out, dirty=True, seed=2)
    for name in ("signup", "call"):  # as files joined end to end: the header again
        lines = (out / f"{name}.tsv").read_text().splitlines(keepends=True)
        lines.insert(len(lines) // 2, lines[0].upper())
        (out / f"{name}.tsv").write_text("".join(lines))
    # a third of the users with a zone of their own, which overrides the country
    lines = (out / "signup.tsv").read_text().splitlines()
    own = ["Asia/Tokyo" if k % 3 == 0 else "" for k in range(len(lines))]
    lines = [
        f"{line}\t{'time_zone' if line.lower().startswith('user_id') else zone}"
        for line, zone in zip(lines, own, strict=True)
    ]
    (out / "signup.tsv").write_text("\n".join(lines) + "\n")
    # ids written as floats, as pandas writes a column with a missing value
    for name in ("signup", "message"):
        text = (out / f"{name}.tsv").read_text()
        (out / f"{name}.tsv").write_text(re.sub(r"(?m)^(\d+)\t", r"\1.0\t", text))
    # the message log as JSON Lines, ids as strings, times as numbers where
    # they are, with three lines cut short
    head, *lines = (out / "message.tsv").read_text().splitlines()
    objects = []
    for line in lines:
        user, ts = line.split("\t")
        objects.append(
            json.dumps({"user_id": user, "message_ts": int(ts) if ts.isdigit() else ts})
        )
    for k in (5, len(objects) // 2, len(objects) - 1):
        objects.insert(k, '{"user_id": "7", "message_ts": ')
    (out / "message.jsonl").write_text("\n".join(objects) + "\n")
    (out / "message.tsv").unlink()
    return out


def test_spark_features_and_flags_equal_pandas(spark, dirty_dir):
    from cadence.pipeline import prepare_spark
    from models.rules import RULES

    got = prepare_spark(str(dirty_dir), now_ms=NOW, buckets=16)
    want = prepare(dirty_dir, now_ms=NOW)
    pd.testing.assert_frame_equal(
        got.features, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )
    # per-user rules ran in the buckets, the population rules on the driver
    pd.testing.assert_frame_equal(got.flags, want.flags)
    assert want.flags[list(RULES)].any().sum() >= 5  # the comparison has teeth
    # the repeated headers are counted as such, and the ids stay whole numbers
    assert want.logs.user_names is None
    assert (want.logs.signups["time_zone"] == "Asia/Tokyo").sum() > 100
    files = want.logs.report.files
    assert sum(f.bad_reasons.get(REPEATED_HEADER, 0) for f in files.values()) == 2
    bad = got.bad_rows
    assert bad.loc[bad["reason"] == REPEATED_HEADER, "rows"].sum() == 2
    # the JSON Lines lines cut short are counted as such on both paths
    assert files["message"].bad_reasons[NOT_JSON] == 3
    assert bad.loc[bad["reason"] == NOT_JSON, "rows"].sum() == 3
    dup = bad.loc[bad["reason"] == "duplicate", "rows"].sum()
    assert dup == want.logs.report.duplicates
    assert bad["rows"].sum() - dup == want.logs.report.bad_rows


def test_spark_reads_numeric_dates_as_pandas_does(spark, numeric_dates_dirs):
    """Each log's day/month order told from the values (one log by the
    others'), or given: the same features and the same bad rows."""
    from cadence.pipeline import prepare_spark

    epoch, numeric = numeric_dates_dirs
    want = prepare(epoch, now_ms=NOW)
    got = prepare_spark(str(numeric), now_ms=NOW, buckets=8)
    pd.testing.assert_frame_equal(
        got.features, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )
    assert not set(got.bad_rows["reason"]) - {"duplicate"}  # no row is bad
    # the search log's clock is whole seconds: the times a user repeats there
    # are events on both paths (the same features), not duplicates
    numeric_report = prepare(numeric, now_ms=NOW).logs.report.files
    assert numeric_report["search"].repeated_times > 0
    assert numeric_report["search"].duplicates == 0
    # told the wrong order: the dates with a day above 12 are bad rows, as many
    # as the pandas path finds
    wrong = prepare_spark(str(numeric), now_ms=NOW, buckets=8, date_order="mdy")
    files = prepare(numeric, now_ms=NOW, date_order="mdy").logs.report.files
    bad = wrong.bad_rows.set_index(["event", "reason"])["rows"]
    for name in ("call", "search", "message", "signup"):
        count = files[name].bad_reasons.get(f"{name}_ts is not a timestamp", 0)
        assert bad.get((name, "timestamp is not a timestamp"), 0) == count
    assert files["call"].bad_rows > 1000


def test_logs_without_a_header_line_read_as_with_one(spark, small_dir, tmp_path):
    """As Spark and Redshift write a table unless asked otherwise: no header
    line, the columns in their documented order; the call log as a folder of
    such parts, comma-separated; the message log in Redshift's shards. Both
    paths give the features of the same logs with their headers."""
    import gzip

    from cadence.pipeline import prepare_spark

    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("signup", "search"):
        lines = (small_dir / f"{name}.tsv").read_text().splitlines(keepends=True)
        (bare / f"{name}.tsv").write_text("".join(lines[1:]))
    # the message log as Redshift unloads it: '|', gzip, numbered, no ending
    lines = (small_dir / "message.tsv").read_text().splitlines(keepends=True)
    for k, chunk in enumerate((lines[1:100], lines[100:])):
        with gzip.open(bare / f"message_000{k}_part_00.gz", "wt") as fh:
            fh.write("".join(chunk).replace("\t", "|"))
    rows = (small_dir / "call.tsv").read_text().replace("\t", ",").splitlines(True)
    (bare / "call").mkdir()
    half = len(rows) // 2
    for k, chunk in enumerate((rows[1:half], rows[half:])):
        (bare / "call" / f"part-0000{k}-c000.csv").write_text("".join(chunk))
    want = prepare(small_dir, now_ms=NOW).features
    for got in (prepare(bare, now_ms=NOW), prepare_spark(str(bare), now_ms=NOW)):
        pd.testing.assert_frame_equal(
            got.features, want, check_dtype=False, rtol=1e-9, atol=1e-12
        )


def test_spark_scores_equal_pandas_scores(spark, small_dir, tmp_path, train_into):
    store = train_into(
        small_dir, "--n-estimators", "50", "--report-top", "0", db="s.db"
    )
    outs, reports = {}, {}
    for engine in ("pandas", "spark"):
        out = tmp_path / f"{engine}.parquet"
        report = tmp_path / f"{engine}.html"
        args = ["--data", str(small_dir), "--tracking-uri", store, "--out", str(out)]
        args += ["--engine", engine, "--report", str(report), "--report-top", "5"]
        assert score.main([*args, "-q"]) == 0
        outs[engine] = pd.read_parquet(out)
        reports[engine] = report.read_text()
    a, b = outs["pandas"], outs["spark"]
    np.testing.assert_array_equal(a["user_id"], b["user_id"])
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(a["reason_1"], b["reason_1"])
    from models.rules import RULES

    flags = [*RULES, "rule_any"]
    pd.testing.assert_frame_equal(a[flags], b[flags])
    # the Spark report fetched the drawn users' rows again: the same page
    assert reports["spark"].count('class="card') == 5 + 3
    assert reports["spark"] == reports["pandas"]


def test_train_with_the_spark_engine(small_dir, tmp_path, train_into):
    import mlflow

    store = train_into(
        small_dir, "--engine", "spark", "--n-estimators", "50", db="t.db"
    )
    mlflow.set_tracking_uri(store)
    run = mlflow.search_runs(experiment_names=["cadence"]).iloc[0]
    assert run["params.engine"] == "spark"
    assert run["metrics.label_average_precision"] > 0.5
    assert np.isfinite(run["metrics.rule_any_average_precision"])


def test_spark_string_ids_equal_pandas(spark, tmp_path):
    """UUID ids: the Spark path reads them as strings, as the pandas path does,
    and gives the same features per id and the report's logs by id."""
    import uuid

    from cadence.pipeline import prepare_spark
    from cadence.simulate import SimConfig, simulate, write_logs

    sim = simulate(SimConfig(users=800, bot_share=0.05, seed=9))
    ids = {u: str(uuid.UUID(int=int(u) * 7919 + 3)) for u in sim.signups["user_id"]}
    for frame in (sim.signups, sim.events, sim.labels):
        frame["user_id"] = frame["user_id"].map(ids)
    data = tmp_path / "uuid"
    write_logs(sim, data, dirty=True, seed=9)
    # a header as some exports write it: both paths find the columns in any case
    call = data / "call.tsv"
    header, rows = call.read_text().split("\n", 1)
    with bz2.open(data / "call.tsv.bz2", "wt") as fh:  # and bzip2
        fh.write(f"{header.upper()}\n{rows}")
    call.unlink()
    # the message log as a folder of parts named in the plural, as Spark writes
    head, *rows = (data / "message.tsv").read_text().splitlines(keepends=True)
    (data / "messages" / "day=1").mkdir(parents=True)
    half = len(rows) // 2
    for k, chunk in enumerate((rows[:half], rows[half:])):
        (data / "messages" / "day=1" / f"part-{k}.tsv").write_text(
            head + "".join(chunk)
        )
    (data / "messages" / "_SUCCESS").write_text("")
    (data / "message.tsv").unlink()
    # and a spreadsheet's ';' in a .csv, zstd, in two numbered shards
    search = data / "search.tsv"
    head, *rows = search.read_text().splitlines(keepends=True)
    for k, chunk in enumerate((rows[: len(rows) // 3], rows[len(rows) // 3 :])):
        shard = str(data / f"search-00000000000{k}.csv.zst")
        with pa.output_stream(shard, compression="zstd") as fh:
            fh.write((head + "".join(chunk)).replace("\t", ";").encode())
    search.unlink()
    signup = data / "signup.tsv"  # and what Windows tools save as "Unicode"
    (data / "signups.txt").write_text(signup.read_text(), encoding="utf-16")
    signup.unlink()
    got = prepare_spark(str(data), now_ms=NOW, buckets=8)
    want = prepare(data, now_ms=NOW)
    assert want.logs.user_names is not None
    counts = want.logs.events["event"].value_counts()
    assert counts["call"] > 1000 and counts["message"] > 100
    assert counts["search"] > 1000
    pd.testing.assert_frame_equal(
        got.features, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )
    some = list(want.features.index[:3])
    ev_got, _ = got.user_logs(some)
    ev_want, _ = want.user_logs(some)
    key = ["user_id", "ts_ms", "event"]
    pd.testing.assert_frame_equal(
        ev_got.sort_values(key)[key].reset_index(drop=True).astype({"event": str}),
        ev_want.sort_values(key)[key].reset_index(drop=True).astype({"event": str}),
        check_dtype=False,
    )


def test_dates_among_times_are_bad_rows_on_both_paths(spark, small_dir, tmp_path):
    """One search in seven written as its date alone: a bad row on both
    paths, counted alike, and the same features from what is left."""
    from cadence.pipeline import prepare_spark

    data = tmp_path / "dated"
    shutil.copytree(small_dir, data)
    search = pd.read_csv(data / "search.tsv", sep="\t", dtype=str)
    some = np.arange(len(search)) % 7 == 3
    search.loc[some, "search_ts"] = search.loc[some, "search_ts"].str[:10]
    search.to_csv(data / "search.tsv", sep="\t", index=False)
    want = prepare(data, now_ms=NOW)
    got = prepare_spark(str(data), now_ms=NOW, buckets=8)
    reason = "search_ts is a date without a time of day"
    count = want.logs.report.files["search"].bad_reasons[reason]
    assert count == some.sum()  # every one of them, and nothing else
    bad = got.bad_rows.set_index(["event", "reason"])["rows"]
    assert bad[("search", "timestamp is a date without a time of day")] == count
    pd.testing.assert_frame_equal(
        got.features, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )


def test_spark_reads_anonymised_minutes_to_the_hour_as_pandas_does(spark, tmp_path):
    """Logs whose every time is at minute 05 of its hour (the shared access
    log's form): both paths read each time at the start of its hour, keep
    the events a user repeats in one hour, and give the same features."""
    from cadence.pipeline import prepare_spark
    from cadence.simulate import simulate, world_config, write_logs

    sim = simulate(world_config("frozen_minutes", users=1500, seed=6))
    write_logs(sim, tmp_path)
    want = prepare(tmp_path, now_ms=NOW)
    assert all(
        want.logs.report.files[name].frozen[:2] == ["minute", 5]
        for name in ("call", "message", "search")
    )
    assert (want.logs.events["ts_ms"] % 3_600_000 == 0).all()
    assert len(want.logs.events) == len(sim.events)
    got = prepare_spark(str(tmp_path), now_ms=NOW, buckets=8)
    pd.testing.assert_frame_equal(
        got.features, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )
    assert not (got.bad_rows["rows"] > 0).any()


def test_a_log_frozen_only_in_its_first_times_is_read_as_written(spark, tmp_path):
    """The call log's first 1,000 times moved to minute 05 of their hours,
    the rest as they happened: the log has no frozen field, and both paths
    read every time as written (the first times alone would say otherwise)."""
    from cadence.pipeline import prepare_spark
    from cadence.simulate import simulate, world_config, write_logs

    write_logs(simulate(world_config("default", users=1500, seed=6)), tmp_path)
    call = pd.read_csv(tmp_path / "call.tsv", sep="\t", dtype=str)
    ts = call["call_ts"].astype(np.int64).to_numpy().copy()
    head = ts[:1000]
    ts[:1000] = head // 3_600_000 * 3_600_000 + 5 * 60_000 + head % 60_000
    call["call_ts"] = ts.astype(str)
    call.to_csv(tmp_path / "call.tsv", sep="\t", index=False)
    want = prepare(tmp_path, now_ms=NOW)
    assert want.logs.report.files["call"].frozen is None
    calls = want.logs.events.loc[want.logs.events["event"] == "call", "ts_ms"]
    # as written (a time the move made a user's twin is a duplicate row)
    assert np.isin(calls, ts).all()
    assert len(calls) + want.logs.report.files["call"].duplicates == len(ts)
    got = prepare_spark(str(tmp_path), now_ms=NOW, buckets=8)
    pd.testing.assert_frame_equal(
        got.features, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )
