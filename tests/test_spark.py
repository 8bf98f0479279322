"""The Spark path on a real local[2] SparkSession: same features, same scores."""

import importlib.util
import shutil

import numpy as np
import pandas as pd
import pytest

if importlib.util.find_spec("pyspark") is None:
    pytest.skip(
        "pyspark is not installed (pip install -e '.[spark]')", allow_module_level=True
    )
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (17) on the PATH", allow_module_level=True)

import score  # noqa: E402
from models.pipeline import prepare  # noqa: E402

NOW = 2_000_000_000_000


@pytest.fixture(scope="module")
def spark():
    from models.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def dirty_dir(small_sim, tmp_path_factory):
    from features.simulate import write_logs

    out = tmp_path_factory.mktemp("dirty")
    write_logs(small_sim, out, dirty=True, seed=2)
    return out


def test_spark_features_equal_pandas_features(spark, dirty_dir):
    from models.spark import spark_bad_rows, spark_features

    got = (
        spark_features(spark, str(dirty_dir), now_ms=NOW, buckets=16)
        .toPandas()
        .set_index("user_id")
        .sort_index()
    )
    want = prepare(dirty_dir, now_ms=NOW)
    pd.testing.assert_frame_equal(
        got, want.features, check_dtype=False, rtol=1e-9, atol=1e-12
    )
    bad = spark_bad_rows(spark, str(dirty_dir), now_ms=NOW, buckets=16)
    dup = bad.loc[bad["reason"] == "duplicate", "sum(rows)"].sum()
    assert dup == want.logs.report.duplicates
    assert bad["sum(rows)"].sum() - dup == want.logs.report.bad_rows


def test_spark_scores_equal_pandas_scores(spark, small_dir, tmp_path, train_into):
    store = train_into(
        small_dir, "--n-estimators", "50", "--report-top", "0", db="s.db"
    )
    outs = {}
    for engine in ("pandas", "spark"):
        out = tmp_path / f"{engine}.parquet"
        assert (
            score.main(
                [
                    "--data",
                    str(small_dir),
                    "--tracking-uri",
                    store,
                    "--out",
                    str(out),
                    "--engine",
                    engine,
                    "-q",
                ]
            )
            == 0
        )
        outs[engine] = pd.read_parquet(out)
    a, b = outs["pandas"], outs["spark"]
    np.testing.assert_array_equal(a["user_id"], b["user_id"])
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(a["reason_1"], b["reason_1"])


def test_train_with_the_spark_engine(small_dir, tmp_path, train_into):
    import mlflow

    store = train_into(
        small_dir, "--engine", "spark", "--n-estimators", "50", db="t.db"
    )
    mlflow.set_tracking_uri(store)
    run = mlflow.search_runs(experiment_names=["cadence"]).iloc[0]
    assert run["params.engine"] == "spark"
    assert run["metrics.label_average_precision"] > 0.5
