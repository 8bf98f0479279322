"""The Spark path: the same features and model as the pandas path, on a cluster.

Install with ``pip install 'cadence[spark]'`` (pyspark; Java 17). The logs are read
from any Spark path (local, ``hdfs://``, ``s3a://``), every column as a string.
Users are hashed into buckets, and each bucket runs the *same* vectorised
functions as the pandas path inside ``groupBy(bucket).applyInPandas`` — parsing,
cleaning, :func:`features.build.build_features` — so the features are identical
(tested). A bucket holds many users: one ``applyInPandas`` call per user costs
an order of magnitude more. Scores come from ``mlflow.pyfunc.spark_udf`` on the
model train.py logged.

The rules that need each user's events run beside the features in each bucket,
and each bucket also counts the rows it excluded, so the logs are read and parsed
once; the rules that compare users run on the driver over the collected features.
Counts of duplicate and bad rows are kept per log and reason; line numbers are
not (Spark does not keep them): run the pandas path on a file to find the lines.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

from features.build import COLUMNS, build_features
from features.io import (
    CLOCK_STATS,
    EVENT_TYPES,
    HEAD_TIMES,
    LOGS,
    MIN_TS_MS,
    NOT_JSON,
    NUMERIC_DATE,
    PLURALS,
    REPEATED_HEADER,
    REQUIRED_COLUMNS,
    DateEvidence,
    LoadError,
    LogClock,
    clock_stats,
    column_index,
    date_evidence,
    date_only,
    date_orders,
    frozen_of,
    has_column,
    is_header_line,
    is_json_lines,
    is_log_part,
    known_to_ms,
    log_clock,
    log_file_names,
    parse_timestamps_ms,
    parse_user_ids,
    positional_columns,
    positional_names,
    read_to,
    repeated_header,
    shard_patterns,
    shard_regex,
    sniff_delimiter,
)
from models.rules import EVENT_RULES, event_rule_flags

log = logging.getLogger("cadence.spark")

#: The column where Spark keeps a JSON Lines line it cannot read as an object.
_CORRUPT = "_corrupt_record"

#: Buckets of users per Spark group (each one call of the vectorised builder).
DEFAULT_BUCKETS = 64


def spark_session(master: str = "local[2]", app: str = "cadence"):
    """A SparkSession set up for cadence (Arrow on, this interpreter on workers)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # pyspark 4 warns on every conversion that pandas 3 is not fully supported;
    # the conversions cadence makes are tested equal to the pandas path
    warnings.filterwarnings(
        "ignore",
        message="PySpark does not yet fully support pandas",
        category=FutureWarning,
    )
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def _log_path(root: str, name: str, spark) -> tuple[str, str]:
    """The file of log ``name`` under ``root`` as :func:`features.io.find_log`
    names it (``call.tsv``, ``calls.csv.gz``, a folder of parts, a pattern of
    shards; more than one is an error) and its first part (:func:`_first_part`,
    which tells its form); ("", "") when there is none."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    top = jvm.org.apache.hadoop.fs.Path(root)
    fs = top.getFileSystem(conf)
    files = (
        [str(f.getPath().getName()) for f in fs.listStatus(top) if f.isFile()]
        if fs.exists(top) and fs.getFileStatus(top).isDirectory()
        else []
    )
    hits = []
    names = (*log_file_names(name), name, PLURALS[name], *shard_patterns(files, name))
    for file in names:
        path = f"{root.rstrip('/')}/{file}"
        if part := _first_part(spark, path):
            hits.append((path, part))
    if len(hits) > 1:
        found = [path for path, _ in hits]
        raise LoadError(f"{root}: more than one file for the {name} log: {found}")
    return hits[0] if hits else ("", "")


def _first_part(spark, path: str) -> str:
    """``path`` itself when it is a file; the first part file below it (as
    :func:`features.io.log_parts` takes them) when it is a folder; else ""."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    p = jvm.org.apache.hadoop.fs.Path(path)
    fs = p.getFileSystem(conf)
    if "*" in path:  # numbered shards beside the other logs: call-*.csv.gz
        shard = shard_regex(path.rsplit("/", 1)[-1])
        hits = [str(f.getPath().toString()) for f in fs.globStatus(p) or []]
        hits = [f for f in hits if re.fullmatch(shard, f.rsplit("/", 1)[-1])]
        return min(hits) if hits else ""
    if not fs.exists(p):
        return ""
    if fs.getFileStatus(p).isFile():
        return path
    base = str(fs.makeQualified(p).toString()).rstrip("/")
    found = []
    files = fs.listFiles(p, True)
    while files.hasNext():
        f = str(files.next().getPath().toString())
        if is_log_part(f[len(base) :].lstrip("/")):  # day=…/part-00000.csv
            found.append(f)
    return min(found) if found else ""


def read_raw(spark, root: str):
    """All four logs as one string DataFrame: user_id, event, ts, country_code,
    time_zone (the signup log's optional column) and corrupt (a JSON Lines
    line that is no JSON object)."""
    from pyspark.sql import functions as F

    if root.lower().endswith(".zip"):
        raise LoadError(
            f"{root}: Spark does not read .zip archives; unzip it, or read it "
            "with --engine pandas"
        )
    frames = []
    for name in LOGS:
        path, kind = _log_path(root, name, spark)
        if not path:
            if name == "signup":
                raise ValueError(f"{root}: no signup log")
            log.warning("%s: no %s log; treated as an empty stream", root, name)
            continue
        corrupt = F.lit(False)
        # a folder of parts is read whole, in the form of its parts
        folder = {"recursiveFileLookup": True} if kind != path else {}
        if kind.endswith(".parquet"):
            df = spark.read.parquet(path, **folder)
        elif is_json_lines(kind):
            # every value as the text it was written as; a line that is no
            # JSON object keeps its text in _CORRUPT and nothing else
            df = spark.read.json(
                path,
                primitivesAsString=True,
                mode="PERMISSIVE",
                columnNameOfCorruptRecord=_CORRUPT,
                **folder,
            )
            if _CORRUPT in df.columns:
                corrupt = F.col(_CORRUPT).isNotNull()
            if not df.columns:  # an empty file: an empty log, as features.io
                continue
        else:
            first = spark.read.text(path, **folder).limit(1).collect()
            line, options = (first[0][0] if first else ""), {}
            if "\x00" in line:
                # UTF-16 (read as UTF-8, its ASCII has NULs between): Spark
                # splits such a file into lines only when it reads it whole
                options = {"encoding": "UTF-16", "multiLine": True}
                line = line.replace("\x00", "").lstrip("\ufffd")
            sep = sniff_delimiter(kind, line.lstrip("\ufeff"))
            fields = line.lstrip("\ufeff").split(sep)
            header = is_header_line(fields)
            df = spark.read.csv(
                path, sep=sep, header=header, inferSchema=False, **options, **folder
            )
            if not header:  # the documented order, as features.io reads it
                required = REQUIRED_COLUMNS[name]
                order = positional_columns(name)
                named = positional_names(kind, len(fields), order, len(required))
                df = df.select(df.columns[: len(named)]).toDF(*named)
        # the columns as features.io finds them: in any case, a clear error
        # naming the file where one is missing
        found = [
            df.columns[i]
            for i in column_index(path, df.columns, REQUIRED_COLUMNS[name])
        ]
        user_col, ts_col = found[0], found[-1]
        country = (
            F.col(found[1]).cast("string")
            if name == "signup"
            else F.lit(None).cast("string")
        )
        zone = F.lit(None).cast("string")  # a user's own zone, as load_logs reads it
        if name == "signup" and has_column(df.columns, "time_zone"):
            own = df.columns[column_index(path, df.columns, ("time_zone",))[0]]
            zone = F.col(own).cast("string")
        frames.append(
            df.select(
                F.col(user_col).cast("string").alias("user_id"),
                F.lit(name).alias("event"),
                F.col(ts_col).cast("string").alias("ts"),
                country.alias("country_code"),
                zone.alias("time_zone"),
                corrupt.alias("corrupt"),
            )
        )
    raw = frames[0]
    for f in frames[1:]:
        raw = raw.unionByName(f)
    return raw


def _clean(
    pdf: pd.DataFrame,
    now_ms: int,
    string_ids: bool = False,
    orders: dict[str, str | None] | None = None,
    clocks: dict[str, LogClock] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse one bucket's raw rows exactly as features.io does, each log's
    numeric dates (03/04/2019) in its order of ``orders``
    (:func:`spark_date_orders`); a row repeating a user's time is a
    duplicate in the signup log and in the logs whose clock counts ms
    (``clocks``, :func:`spark_log_clocks`; all when None), an event in the
    others; a date without a time of day is a bad row in the logs not
    written in dates.

    Returns the clean rows (user_id, event, ts_ms, country_code and, with
    ``string_ids``, ``user_name``: the id as written, ``user_id`` then being
    its number in the bucket's sorted names) and the counts of excluded rows
    by (event, reason).
    """
    if string_ids:
        text = pdf["user_id"].fillna("").astype(str).str.strip().to_numpy(object)
        user_ok = text != ""
        user = np.zeros(len(pdf), dtype=np.int64)
        user[user_ok] = pd.factorize(text[user_ok], sort=True)[0]
        id_problem = "user_id is empty"
    else:
        user, user_ok = parse_user_ids(pa.array(pdf["user_id"].fillna("").astype(str)))
        id_problem = "user_id is not an integer"
    stamps = pa.array(pdf["ts"].fillna("").astype(str))
    ts = parse_timestamps_ms(stamps)
    event = pdf["event"].to_numpy(object)
    for name, order in (orders or {}).items():
        rows = np.flatnonzero(np.isnan(ts) & (event == name))
        if order is not None and rows.size:
            ts[rows] = parse_timestamps_ms(stamps.take(pa.array(rows)), order)
    for name, clock in (clocks or {}).items():  # a frozen field: to the hour
        if clock.known_to_ms > 1:
            rows = np.flatnonzero(np.isfinite(ts) & (event == name))
            ts[rows] = read_to(ts[rows].astype(np.int64), clock.known_to_ms)
    reason = np.full(len(pdf), "", dtype=object)
    reason[np.isnan(ts)] = "timestamp is not a timestamp"
    reason[~user_ok] = id_problem
    again = np.isnan(ts)  # a header's time is no time
    if again.any():
        rows = pdf.loc[again]
        again[again] = repeated_header(
            pa.array(rows["user_id"].fillna("").astype(str)),
            pa.array(rows["ts"].fillna("").astype(str)),
            (rows["event"].astype(str) + "_ts").to_numpy(object),
        )
    reason[again] = REPEATED_HEADER
    reason[pdf["corrupt"].fillna(False).to_numpy(bool)] = NOT_JSON
    ok = reason == ""
    with np.errstate(invalid="ignore"):
        reason[ok & (ts < MIN_TS_MS)] = "timestamp before 2000-01-01"
        reason[ok & (ts > now_ms)] = "timestamp after now"
    timed = [name for name, clock in (clocks or {}).items() if not clock.dates]
    if timed:  # a date alone in a log of times of day (features.io.date_only)
        idx = np.flatnonzero((reason == "") & np.isin(event, timed))
        day = date_only(ts[idx], stamps.take(pa.array(idx)))
        reason[idx[day]] = "timestamp is a date without a time of day"
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
            "time_zone": pdf["time_zone"]
            .fillna("")
            .astype(str)
            .str.strip()
            .to_numpy()[keep],
        }
    )
    if string_ids:
        clean["user_name"] = text[keep]
    dup = clean.duplicated(["user_id", "event", "ts_ms", "country_code", "time_zone"])
    coarse = [name for name, clock in (clocks or {}).items() if not clock.ms]
    if coarse:  # on a clock of whole seconds or coarser, two events share a time
        dup &= ~clean["event"].isin(coarse)
    bad = pd.DataFrame(
        {"event": pdf["event"].to_numpy()[~keep], "reason": reason[~keep]}
    )
    bad = pd.concat(
        [bad, pd.DataFrame({"event": clean["event"][dup], "reason": "duplicate"})]
    )
    return clean.loc[~dup.to_numpy()], bad


def bucket_table(
    pdf: pd.DataFrame,
    now_ms: int,
    string_ids: bool = False,
    orders: dict[str, str | None] | None = None,
    clocks: dict[str, LogClock] | None = None,
) -> pd.DataFrame:
    """One bucket's rows (any order) → its users' features and per-user rule flags
    (:data:`models.rules.EVENT_RULES`), plus one row per (log, reason) counting
    the rows it excluded (``row`` = "excluded"; see :func:`table_schema`)."""
    clean, bad = _clean(pdf, now_ms, string_ids, orders, clocks)
    events, signups = _split_logs(clean)
    features = build_features(events, signups)
    flags = event_rule_flags(events, features.index.to_numpy(np.int64))
    users = features.join(flags).reset_index()
    users["row"] = "user"
    if string_ids:  # the bucket's numbers back to the ids as written
        names = clean.drop_duplicates("user_id").set_index("user_id")["user_name"]
        users["user_name"] = names.reindex(users["user_id"]).to_numpy(object)
    else:
        users["user_name"] = ""
    excluded = bad.groupby(["event", "reason"]).size().rename("excluded_rows")
    excluded = excluded.reset_index().rename(
        columns={"event": "excluded_log", "reason": "excluded_reason"}
    )
    excluded["row"] = "excluded"
    # no nulls anywhere: a user id through a nullable column could come back as
    # a float and lose digits
    table = pd.concat([users, excluded], ignore_index=True)
    fill = {"user_id": 0, "excluded_log": "", "excluded_reason": "", "excluded_rows": 0}
    fill["user_name"] = ""
    fill |= {r: False for r in EVENT_RULES}
    table = table.fillna(fill)
    types = {"user_id": np.int64, "excluded_rows": np.int64}
    types |= {r: bool for r in EVENT_RULES}
    # pyspark converts numpy object strings, not pandas 3's Arrow-backed ones
    types |= {
        c: object for c in ("row", "user_name", "excluded_log", "excluded_reason")
    }
    return table.astype(types)[_TABLE_COLUMNS]


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
            "time_zone": sign["time_zone"].to_numpy(dtype=object),
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


_TABLE_COLUMNS = [
    "row",
    "user_id",
    "user_name",
    *COLUMNS,
    *EVENT_RULES,
    "excluded_log",
    "excluded_reason",
    "excluded_rows",
]


def table_schema() -> str:
    """Schema of :func:`bucket_table`: rows of users and rows of excluded counts."""
    return ", ".join(
        [
            "row string",
            "user_id long",
            "user_name string",
            *(f"`{c}` double" for c in COLUMNS),
            *(f"`{r}` boolean" for r in EVENT_RULES),
            "excluded_log string",
            "excluded_reason string",
            "excluded_rows long",
        ]
    )


def _user_key(string_ids: bool = False):
    """The user id as canonical digits, so " 7", "+7", "007" and "7.0" (one
    parsed user) meet in one bucket; string ids as written, trimmed."""
    from pyspark.sql import functions as F

    if string_ids:
        return F.trim(F.col("user_id"))
    key = F.regexp_replace(F.trim(F.col("user_id")), r"^\+", "")
    key = F.regexp_replace(key, r"^(-?[0-9]+)\.0*$", "$1")
    return F.regexp_replace(key, r"^(-?)0+(?=\d)", "$1")


def _bucketed(raw, buckets: int, string_ids: bool = False):
    from pyspark.sql import functions as F

    key = _user_key(string_ids)
    return raw.withColumn("bucket", F.pmod(F.hash(key), F.lit(buckets)))


def has_string_ids(raw) -> bool:
    """Whether the signup log of ``raw`` (:func:`read_raw`) holds an id that is
    not a whole number: then every log's ids are strings, as
    :func:`features.io.load_logs` decides."""
    from pyspark.sql import functions as F

    ids = raw.where(F.col("event") == "signup")
    text = F.trim(F.col("user_id"))
    header = (F.lower(text) == "user_id") & (
        F.lower(F.trim(F.col("ts"))) == "signup_ts"
    )  # a repeated header line is no id (see features.io.repeated_header)
    whole = text.rlike(r"^[+-]?[0-9]{1,19}(\.0*)?$")
    odd = ids.where((text != "") & ~whole & ~header)
    return odd.limit(1).count() > 0


def spark_heads(raw) -> pd.DataFrame:
    """The first :data:`features.io.HEAD_TIMES` times (not null) of each log
    of ``raw`` (:func:`read_raw`), as written: ``event`` and ``ts``."""
    from pyspark.sql import functions as F

    heads = [
        raw.where((F.col("event") == name) & F.col("ts").isNotNull())
        .select("event", "ts")
        .limit(HEAD_TIMES)
        for name in LOGS
    ]
    head = heads[0]
    for more in heads[1:]:
        head = head.union(more)
    return head.toPandas()


def spark_log_clocks(
    heads: pd.DataFrame, orders: dict[str, str | None] | None = None
) -> dict[str, LogClock]:
    """Each event log's :class:`features.io.LogClock` (does it count ms, is it
    written in dates) from its first times (:func:`spark_heads`), read as the
    buckets read them."""
    clocks = {}
    for name in EVENT_TYPES:
        text = pa.array(heads.loc[heads["event"] == name, "ts"].astype(str))
        clocks[name] = log_clock(
            parse_timestamps_ms(text, (orders or {}).get(name)), text
        )
    return clocks


def spark_frozen_clocks(
    raw,
    clocks: dict[str, LogClock],
    *,
    now_ms: int,
    heads: pd.DataFrame,
    string_ids: bool = False,
    orders: dict[str, str | None] | None = None,
) -> dict[str, LogClock]:
    """``clocks`` with each event log's frozen field told as
    :func:`features.io.frozen_clock` tells it from every time the log keeps
    (``known_to_ms``, and then no ms). The logs whose first times (``heads``,
    :func:`spark_heads`) share a field are read once more, their rows cleaned
    as the buckets clean them, for :func:`features.io.clock_stats` per
    partition, merged on the driver; the others have no frozen field and
    cost nothing."""
    from pyspark.sql import functions as F

    candidates = []
    for name in EVENT_TYPES:
        text = pa.array(heads.loc[heads["event"] == name, "ts"].astype(str))
        ts = parse_timestamps_ms(text, (orders or {}).get(name))
        ts = ts[np.isfinite(ts)].astype(np.int64)
        if ts.size and frozen_of(clock_stats(ts), sample=True)[0]:
            candidates.append(name)
    if not candidates:
        return clocks

    def stats(pdfs):
        for pdf in pdfs:
            clean = _clean(pdf, now_ms, string_ids, orders, clocks)[0]
            rows = [
                {"event": name, **clock_stats(clean.loc[mine, "ts_ms"].to_numpy())}
                for name, mine in clean.groupby("event").groups.items()
            ]
            yield pd.DataFrame(rows, columns=["event", *CLOCK_STATS])

    schema = "event string, " + ", ".join(f"{c} long" for c in CLOCK_STATS)
    parts = (
        raw.where(F.col("event").isin(candidates))
        .mapInPandas(stats, schema=schema)
        .toPandas()
    )
    parts = parts[parts["n"] > 0]
    out = dict(clocks)
    for name, part in parts.groupby("event"):
        merged = {"n": int(part["n"].sum())}
        for c in CLOCK_STATS[1:]:
            merged[c] = int(part[c].min() if c.endswith("_lo") else part[c].max())
        known = known_to_ms(frozen_of(merged)[0])
        if known > 1:
            out[name] = out[name]._replace(ms=False, known_to_ms=known)
    return out


def spark_date_orders(
    raw, forced: str | None = None, heads: pd.DataFrame | None = None
) -> dict[str, str | None]:
    """Each log's order of day and month in numeric dates (03/04/2019) of
    ``raw`` (:func:`read_raw`), told from its values as
    :func:`features.io.date_orders` tells it, or ``forced``.

    The values of every log are scanned only when the first thousand times of
    one of them (``heads``, :func:`spark_heads`) hold a numeric date, as
    :class:`features.io.DateOrders` does, so the logs of most exports are
    read once, not twice.
    """
    from pyspark.sql import functions as F

    if forced is not None:
        return date_orders({name: DateEvidence() for name in LOGS}, forced)
    heads = spark_heads(raw) if heads is None else heads
    if not date_evidence(pa.array(heads["ts"].astype(str))).dates:
        return {}
    dated = F.col("ts").rlike(NUMERIC_DATE)

    def above_12(group: int):
        number = F.regexp_extract(F.col("ts"), NUMERIC_DATE, group).cast("int")
        return F.max((number > 12).cast("int"))

    rows = (
        raw.where(dated)
        .groupBy("event")
        .agg(F.count("*").alias("n"), above_12(1).alias("d"), above_12(2).alias("m"))
        .collect()
    )
    evidence = {name: DateEvidence() for name in LOGS}
    for row in rows:
        evidence[row["event"]] = DateEvidence(row["n"], bool(row["d"]), bool(row["m"]))
    return date_orders(evidence)


def spark_user_logs(
    raw,
    user_ids: list,
    *,
    now_ms: int,
    string_ids: bool = False,
    orders: dict[str, str | None] | None = None,
    clocks: dict[str, LogClock] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clean events and signups of a few users of ``raw`` (for the report),
    parsed and deduplicated on the driver exactly as each bucket does (ids as
    :func:`has_string_ids` says, numeric dates in ``orders``,
    :func:`spark_date_orders`; repeated times as ``clocks`` says,
    :func:`spark_log_clocks`)."""
    wanted = [str(u) if string_ids else str(int(u)) for u in user_ids]
    raw = raw.where(_user_key(string_ids).isin(wanted))
    clean = _clean(raw.toPandas(), now_ms, string_ids, orders, clocks)[0]
    events, signups = _split_logs(clean)
    if string_ids:  # the ids as written, as the score table has them
        names = clean.drop_duplicates("user_id").set_index("user_id")["user_name"]
        events["user_id"] = names.reindex(events["user_id"]).to_numpy(object)
        signups["user_id"] = names.reindex(signups["user_id"]).to_numpy(object)
    return events, signups


def spark_table(
    raw,
    *,
    now_ms: int,
    buckets: int = DEFAULT_BUCKETS,
    string_ids: bool = False,
    orders: dict[str, str | None] | None = None,
    clocks: dict[str, LogClock] | None = None,
):
    """Every bucket's :func:`bucket_table` of ``raw`` (:func:`read_raw`), as
    one Spark DataFrame: the logs are read and parsed once for the features,
    the per-user rules and the counts of excluded rows. The rules that compare
    users run on the driver (:func:`models.rules.with_population_rules`); see
    :func:`collect_table`. Ids are read as :func:`has_string_ids` says, numeric
    dates in ``orders`` (:func:`spark_date_orders`), repeated times as
    ``clocks`` says (:func:`spark_log_clocks`).
    """
    raw = _bucketed(raw, buckets, string_ids)
    return raw.groupBy("bucket").applyInPandas(
        lambda pdf: bucket_table(pdf, now_ms, string_ids, orders, clocks),
        schema=table_schema(),
    )


def collect_table(sdf) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A :func:`spark_table` on the driver: (features and per-user flags indexed
    by user_id, sorted; excluded rows counted per log and reason)."""
    table = sdf.toPandas()
    is_user = (table["row"] == "user").to_numpy()
    users = table.loc[is_user, ["user_id", "user_name", *COLUMNS, *EVENT_RULES]]
    if (users["user_name"] != "").any():  # string ids: the names are the ids
        users = users.drop(columns="user_id").rename(columns={"user_name": "user_id"})
        # the same index type as the pandas path's (pd.Index of the names)
        users["user_id"] = pd.Index(users["user_id"].to_numpy(object))
    else:
        users = users.drop(columns="user_name").astype({"user_id": np.int64})
    users = users.set_index("user_id").sort_index()
    excluded = (
        table.loc[~is_user]
        .groupby(["excluded_log", "excluded_reason"])["excluded_rows"]
        .sum()
        .reset_index()
        .rename(
            columns={
                "excluded_log": "event",
                "excluded_reason": "reason",
                "excluded_rows": "rows",
            }
        )
    )
    return users, excluded.astype({"rows": np.int64})


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
