"""The Spark path: the same features and model as the pandas path, on a cluster.

Install with ``pip install 'cadence[spark]'`` (pyspark; Java 17). The logs are read
from any Spark path (local, ``hdfs://``, ``s3a://``), every column as a string.
Users are hashed into buckets, and each bucket runs the *same* vectorised
functions as the pandas path inside ``groupBy(bucket).applyInPandas`` — parsing,
cleaning, :func:`features.build.build_features` — so the features are identical
(tested). A bucket holds many users: one ``applyInPandas`` call per user costs
an order of magnitude more. Scores come from ``mlflow.pyfunc.spark_udf`` on the
model train.py logged.

The rules that need each user's events run beside the features in each bucket;
the rules that compare users run on the driver over the collected features.
Counts of duplicate and bad rows are kept per log and reason; line numbers are
not (Spark does not keep them): run the pandas path on a file to find the lines.
"""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pandas as pd
import pyarrow as pa

from features.build import COLUMNS, build_features
from features.io import (
    EVENT_TYPES,
    LOGS,
    MIN_TS_MS,
    parse_timestamps_ms,
    parse_user_ids,
)
from models.rules import EVENT_RULES, event_rule_flags

log = logging.getLogger("cadence.spark")

#: Buckets of users per Spark group (each one call of the vectorised builder).
DEFAULT_BUCKETS = 64


def spark_session(master: str = "local[2]", app: str = "cadence"):
    """A SparkSession set up for cadence (Arrow on, this interpreter on workers)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def _log_path(root: str, name: str, spark) -> str:
    """The first existing ``root/name.{tsv,tsv.gz,csv,csv.gz,parquet}``."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for suffix in (".tsv", ".tsv.gz", ".csv", ".csv.gz", ".parquet"):
        path = f"{root.rstrip('/')}/{name}{suffix}"
        p = jvm.org.apache.hadoop.fs.Path(path)
        if p.getFileSystem(conf).exists(p):
            return path
    return ""


def read_raw(spark, root: str):
    """All four logs as one string DataFrame: user_id, event, ts, country_code."""
    from pyspark.sql import functions as F

    frames = []
    for name in LOGS:
        path = _log_path(root, name, spark)
        if not path:
            if name == "signup":
                raise ValueError(f"{root}: no signup log")
            log.warning("%s: no %s log; treated as an empty stream", root, name)
            continue
        if path.endswith(".parquet"):
            df = spark.read.parquet(path)
        else:
            sep = "\t" if ".tsv" in path else ","
            df = spark.read.csv(path, sep=sep, header=True, inferSchema=False)
        ts_col = f"{name}_ts"
        missing = [c for c in ("user_id", ts_col) if c not in df.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        country = (
            F.col("country_code").cast("string")
            if name == "signup"
            else F.lit(None).cast("string")
        )
        frames.append(
            df.select(
                F.col("user_id").cast("string").alias("user_id"),
                F.lit(name).alias("event"),
                F.col(ts_col).cast("string").alias("ts"),
                country.alias("country_code"),
            )
        )
    raw = frames[0]
    for f in frames[1:]:
        raw = raw.unionByName(f)
    return raw


def _clean(pdf: pd.DataFrame, now_ms: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse one bucket's raw rows exactly as features.io does.

    Returns the clean rows (user_id, event, ts_ms, country_code) and the counts
    of excluded rows by (event, reason).
    """
    user, user_ok = parse_user_ids(pa.array(pdf["user_id"].fillna("").astype(str)))
    ts = parse_timestamps_ms(pa.array(pdf["ts"].fillna("").astype(str)))
    reason = np.full(len(pdf), "", dtype=object)
    reason[np.isnan(ts)] = "timestamp is not a timestamp"
    reason[~user_ok] = "user_id is not an integer"
    ok = reason == ""
    with np.errstate(invalid="ignore"):
        reason[ok & (ts < MIN_TS_MS)] = "timestamp before 2000-01-01"
        reason[ok & (ts > now_ms)] = "timestamp after now"
    keep = reason == ""
    clean = pd.DataFrame(
        {
            "user_id": user[keep].astype(np.int64),
            "event": pdf["event"].to_numpy()[keep],
            "ts_ms": ts[keep].astype(np.int64),
            "country_code": pdf["country_code"]
            .fillna("")
            .astype(str)
            .str.strip()
            .str.upper()
            .to_numpy()[keep],
        }
    )
    dup = clean.duplicated(["user_id", "event", "ts_ms", "country_code"])
    bad = pd.DataFrame(
        {"event": pdf["event"].to_numpy()[~keep], "reason": reason[~keep]}
    )
    bad = pd.concat(
        [bad, pd.DataFrame({"event": clean["event"][dup], "reason": "duplicate"})]
    )
    return clean.loc[~dup.to_numpy()], bad


def bucket_features(pdf: pd.DataFrame, now_ms: int) -> pd.DataFrame:
    """Features and per-user rule flags (:data:`models.rules.EVENT_RULES`) of the
    users of one bucket (rows arrive in any order)."""
    events, signups = _split_logs(_clean(pdf, now_ms)[0])
    features = build_features(events, signups)
    flags = event_rule_flags(events, features.index.to_numpy(np.int64))
    return features.join(flags).reset_index()


def _split_logs(clean: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean rows → (events, signups) as :func:`features.io.load_logs` gives them."""
    is_signup = clean["event"] == "signup"
    sign = clean.loc[is_signup].sort_values(["user_id", "ts_ms"], kind="stable")
    sign = sign.drop_duplicates("user_id")
    signups = pd.DataFrame(
        {
            "user_id": sign["user_id"].to_numpy(np.int64),
            "country_code": sign["country_code"].to_numpy(dtype=object),
            "signup_ms": sign["ts_ms"].to_numpy(np.int64),
        }
    )
    ev = clean.loc[~is_signup]
    events = pd.DataFrame(
        {
            "user_id": ev["user_id"].to_numpy(np.int64),
            "event": pd.Categorical(ev["event"], categories=list(EVENT_TYPES)),
            "ts_ms": ev["ts_ms"].to_numpy(np.int64),
        }
    )
    # sorted by user, time and event, as load_logs sorts them
    order = np.lexsort(
        (
            events["event"].cat.codes.to_numpy(),
            events["ts_ms"].to_numpy(),
            events["user_id"].to_numpy(),
        )
    )
    return events.iloc[order].reset_index(drop=True), signups


def _bad_counts(pdf: pd.DataFrame, now_ms: int) -> pd.DataFrame:
    _, bad = _clean(pdf, now_ms)
    counts = bad.groupby(["event", "reason"]).size().rename("rows").reset_index()
    return counts.astype({"rows": np.int64})


def features_schema() -> str:
    """user_id, the feature columns and the per-user rule flags."""
    return ", ".join(
        [
            "user_id long",
            *(f"`{c}` double" for c in COLUMNS),
            *(f"`{r}` boolean" for r in EVENT_RULES),
        ]
    )


def _user_key():
    """The user id as canonical digits, so " 7", "+7" and "007" (one parsed
    user) meet in one bucket."""
    from pyspark.sql import functions as F

    key = F.regexp_replace(F.trim(F.col("user_id")), r"^\+", "")
    return F.regexp_replace(key, r"^(-?)0+(?=\d)", "$1")


def _bucketed(raw, buckets: int):
    from pyspark.sql import functions as F

    return raw.withColumn("bucket", F.pmod(F.hash(_user_key()), F.lit(buckets)))


def spark_user_logs(
    spark, root: str, user_ids: list, *, now_ms: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clean events and signups of a few users (for the report), parsed and
    deduplicated on the driver exactly as each bucket does."""
    wanted = [str(int(u)) for u in user_ids]
    pdf = read_raw(spark, root).where(_user_key().isin(wanted)).toPandas()
    return _split_logs(_clean(pdf, now_ms)[0])


def spark_features(spark, root: str, *, now_ms: int, buckets: int = DEFAULT_BUCKETS):
    """The feature table as a Spark DataFrame: user_id, :data:`COLUMNS` and the
    per-user rule flags (:data:`models.rules.EVENT_RULES`); the rules that
    compare users run on the driver (:func:`models.rules.with_population_rules`).
    """
    raw = _bucketed(read_raw(spark, root), buckets)
    return raw.groupBy("bucket").applyInPandas(
        lambda pdf: bucket_features(pdf, now_ms), schema=features_schema()
    )


def spark_bad_rows(spark, root: str, *, now_ms: int, buckets: int = DEFAULT_BUCKETS):
    """Counts of excluded rows per log and reason (duplicates included)."""
    raw = _bucketed(read_raw(spark, root), buckets)
    counts = raw.groupBy("bucket").applyInPandas(
        lambda pdf: _bad_counts(pdf, now_ms),
        schema="event string, reason string, rows long",
    )
    return counts.groupBy("event", "reason").sum("rows").toPandas()


def spark_scores(spark, features_df, model_uri: str, columns: list[str]):
    """user_id and score, from ``mlflow.pyfunc.spark_udf`` on the logged model."""
    import mlflow
    from pyspark.sql import functions as F

    udf = mlflow.pyfunc.spark_udf(
        spark, model_uri, result_type="double", env_manager="local"
    )
    return features_df.select(
        "user_id",
        udf(F.struct(*[F.col(f"`{c}`").alias(c) for c in columns])).alias("score"),
    )
