"""The steps train.py and score.py share: logs → features → rule flags → scores file.

No argument parsing and no MLflow here; the CLIs stay thin.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cadence.atomic import atomic_output
from features.build import COLUMNS, build_features_in_parts
from features.grouped import RANGE_EVENTS
from features.io import Logs, load_data
from models.rules import EVENT_RULES, RULES, rule_flags, with_population_rules

if TYPE_CHECKING:  # scikit-learn is imported by whoever loads or fits a model
    from models.ensemble import CadenceDetector

log = logging.getLogger("cadence")

#: Output formats by file extension.
OUTPUT_FORMATS: tuple[str, ...] = (".csv", ".tsv", ".parquet")


@dataclass
class Prepared:
    """Everything derived from one data directory before a model sees it."""

    logs: Logs | None
    features: pd.DataFrame
    flags: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    #: Spark path only: excluded rows per log and reason (no line numbers there)
    bad_rows: pd.DataFrame | None = None
    #: Spark path only: fetches the clean logs of a few users (for the report)
    fetch_user_logs: Callable[[list], tuple[pd.DataFrame, pd.DataFrame]] | None = None

    def user_logs(self, user_ids: list) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The clean events and signups of ``user_ids``, whichever engine loaded
        the data (the Spark path reads just those users' rows again)."""
        if self.logs is not None:
            ev, sg = self.logs.events, self.logs.signups
            names = self.logs.user_names
            if names is None:
                return (
                    ev[ev["user_id"].isin(user_ids)],
                    sg[sg["user_id"].isin(user_ids)],
                )
            codes = np.searchsorted(names, np.asarray(user_ids, dtype=object))
            ev = ev[ev["user_id"].isin(codes)].assign(
                user_id=lambda f: names[f["user_id"].to_numpy()]
            )
            sg = sg[sg["user_id"].isin(codes)].assign(
                user_id=lambda f: names[f["user_id"].to_numpy()]
            )
            return ev, sg
        if self.fetch_user_logs is None:
            raise ValueError("these features came without their logs")
        return self.fetch_user_logs(user_ids)

    @property
    def user_info(self) -> pd.DataFrame | None:
        """Per-user columns shown beside the scores (an access log client's most
        frequent user agent), indexed like ``features``; None when there are none."""
        if self.logs is None or self.logs.user_info is None:
            return None
        info = self.logs.user_info
        if self.logs.user_names is not None:
            info = info.set_axis(pd.Index(self.logs.user_names, name="user_id"))
        return info.reindex(self.features.index)

    def load_counts(self) -> dict[str, int]:
        """Rows read, duplicates and bad rows, whichever engine loaded them."""
        if self.logs is not None:
            r = self.logs.report
            return {
                "rows_read": r.rows_read,
                "rows_duplicate": r.duplicates,
                "rows_bad": r.bad_rows,
            }
        bad = self.bad_rows if self.bad_rows is not None else pd.DataFrame()
        dup = (
            int(bad.loc[bad["reason"] == "duplicate", "rows"].sum()) if len(bad) else 0
        )
        other = int(bad["rows"].sum()) - dup if len(bad) else 0
        kept = int(self.features["n_events"].sum()) + len(self.features)
        return {
            "rows_read": kept + dup + other,
            "rows_duplicate": dup,
            "rows_bad": other,
        }

    def load_report(self) -> dict:
        """The load report as a JSON-ready dict."""
        if self.logs is not None:
            return self.logs.report.to_dict()
        bad = self.bad_rows if self.bad_rows is not None else pd.DataFrame()
        return {
            **self.load_counts(),
            "engine": "spark",
            "excluded": bad.to_dict(orient="records"),
        }


def prepare(
    data_dir: str | Path,
    *,
    now_ms: int | None = None,
    strict: bool = False,
    max_events: int = RANGE_EVENTS,
    progress: bool = False,
    date_order: str | None = None,
) -> Prepared:
    """Load a data directory, build the feature table and the rule flags.

    Parameters
    ----------
    data_dir
        Folder with the four logs.
    now_ms
        The present (ms since the epoch, UTC); timestamps after it are bad rows.
        Default: the wall clock. Features do not depend on it.
    strict
        Raise on the first bad row instead of counting it.
    max_events
        Features and rules are built on ranges of users holding about this many
        events each, so memory stays bounded (results do not depend on it).
    progress
        Show a progress bar over those ranges.
    date_order
        How numeric dates (03/04/2019) are read: "dmy", "mdy", or None to
        tell each log's order from its values.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else int(now_ms)
    seconds = {}
    t0 = time.perf_counter()
    logs = load_data(data_dir, now_ms=now_ms, strict=strict, date_order=date_order)
    seconds["load"] = time.perf_counter() - t0
    log.info(
        "loaded %s: %d events of %d users (%.1f s)",
        data_dir,
        len(logs.events),
        logs.events["user_id"].nunique(),
        seconds["load"],
    )
    t0 = time.perf_counter()
    features = build_features_in_parts(
        logs.events, logs.signups, max_events=max_events, progress=progress
    )
    seconds["features"] = time.perf_counter() - t0
    log.info(
        "features: %d users × %d columns (%.1f s)",
        *features.shape,
        seconds["features"],
    )
    t0 = time.perf_counter()
    flags = rule_flags(logs.events, logs.signups, features, max_events=max_events)
    seconds["rules"] = time.perf_counter() - t0
    log.info(
        "rules: %d users flagged by any rule (%.1f s)",
        int(flags["rule_any"].sum()),
        seconds["rules"],
    )
    if logs.user_names is not None:  # string ids: back to the names as written
        features.index = pd.Index(logs.user_names[features.index], name="user_id")
        flags.index = pd.Index(logs.user_names[flags.index], name="user_id")
    return Prepared(logs=logs, features=features, flags=flags, seconds=seconds)


def prepare_spark(
    root: str,
    *,
    now_ms: int | None = None,
    master: str = "local[2]",
    buckets: int = 64,
    date_order: str | None = None,
) -> Prepared:
    """Features and rule flags by the Spark path (``cadence/spark.py``), collected
    to pandas; counts of excluded rows are kept (no line numbers). Numeric
    dates are read as :func:`prepare` reads them.
    """
    from cadence.spark import (
        collect_table,
        has_string_ids,
        read_raw,
        spark_date_orders,
        spark_frozen_clocks,
        spark_heads,
        spark_log_clocks,
        spark_session,
        spark_table,
        spark_user_logs,
    )

    now_ms = int(time.time() * 1000) if now_ms is None else int(now_ms)
    seconds = {}
    t0 = time.perf_counter()
    spark = spark_session(master)
    seconds["spark_start"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = read_raw(spark, root)  # the logs found and their forms told once
    string_ids = has_string_ids(raw)
    heads = spark_heads(raw)  # each log's first times: its form and clock
    orders = spark_date_orders(raw, date_order, heads)
    clocks = spark_log_clocks(heads, orders)
    clocks = spark_frozen_clocks(
        raw,
        clocks,
        now_ms=now_ms,
        heads=heads,
        string_ids=string_ids,
        orders=orders,
    )
    table, bad = collect_table(
        spark_table(
            raw,
            now_ms=now_ms,
            buckets=buckets,
            string_ids=string_ids,
            orders=orders,
            clocks=clocks,
        )
    )
    features = table[COLUMNS]
    seconds["features"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    flags = with_population_rules(table[list(EVENT_RULES)], features)
    seconds["rules"] = time.perf_counter() - t0
    log.info(
        "spark: %d users × %d features (%.1f s)", *features.shape, seconds["features"]
    )
    return Prepared(
        logs=None,
        features=features,
        flags=flags,
        seconds=seconds,
        bad_rows=bad,
        fetch_user_logs=lambda ids: spark_user_logs(
            raw,
            ids,
            now_ms=now_ms,
            string_ids=string_ids,
            orders=orders,
            clocks=clocks,
        ),
    )


def score_table(
    detector: CadenceDetector,
    features: pd.DataFrame,
    flags: pd.DataFrame | None = None,
    *,
    scores: np.ndarray | None = None,
    budget: float | None = None,
    reasons: int = 3,
    info: pd.DataFrame | None = None,
    detector_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per user, most suspicious first.

    Columns: ``user_id``, ``score`` (higher = more likely automated), ``rank``
    (1 = highest), ``percentile`` (share of the scored users with a score at or
    below this one, in %), ``suspect`` (inside the budget: the detector's fitted
    threshold, or the top ``budget`` share of these users when given),
    ``reason_1`` … and every rule flag. ``info`` (indexed like ``features``)
    adds its columns after ``suspect``, such as a client's user agent.
    ``detector_scores`` (``detector.detector_scores(features)``) spares
    scoring twice: the score is combined from them when ``scores`` is None,
    and the reasons use them.
    """
    if scores is None:
        scores = (
            detector.score_samples(features)
            if detector_scores is None
            else detector.combined_score(detector_scores)
        )
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.size
    # ties: by user id (strings by their sorted position)
    tie = pd.factorize(features.index, sort=True)[0]
    order = np.lexsort((tie, -scores))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    sorted_scores = np.sort(scores)
    percentile = (
        100.0 * np.searchsorted(sorted_scores, scores, side="right") / max(n, 1)
    )
    if budget is None:
        suspect = scores >= detector.threshold_
    else:
        if not 0 < budget < 1:
            raise ValueError(f"budget must be in (0, 1), got {budget!r}")
        suspect = rank <= max(1, int(round(budget * n)))
    table = pd.DataFrame(
        {
            "user_id": features.index.to_numpy(),
            "score": scores,
            "rank": rank,
            "percentile": percentile,
            "suspect": suspect,
        }
    )
    if info is not None:
        for col in info.columns:
            table[col] = info[col].reindex(features.index).to_numpy()
    if reasons:
        why = detector.explain(features, k=reasons, detector_scores=detector_scores)
        for col in why.columns:
            table[col] = why[col].to_numpy()
    if flags is not None:
        aligned = flags.reindex(features.index, fill_value=False)
        for col in [*RULES, "rule_any"]:
            if col in aligned.columns:
                table[col] = aligned[col].to_numpy(bool)
    return table.iloc[order].reset_index(drop=True)


def output_problem(path: Path, formats: tuple[str, ...] = OUTPUT_FORMATS) -> str | None:
    """Why ``path`` cannot take an output file (a scores file, by default), or
    None when it can: its extension is not one of ``formats``, or its directory
    is missing or read-only, or it is a directory."""
    if path.suffix.lower() not in formats:
        return f"unknown extension {path.suffix!r}; use one of {', '.join(formats)}"
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        return f"directory {directory} does not exist"
    if not os.access(directory, os.W_OK):
        return f"directory {directory} is not writable"
    if path.is_dir():
        return "is a directory"
    return None


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as .csv, .tsv or .parquet (by extension), atomically.

    The data go to a temporary file in the same directory, which is renamed over
    ``path`` only when complete: an interrupted run leaves the previous file or
    none, never a partial one.
    """
    path = Path(path)
    problem = output_problem(path)
    if problem:
        raise ValueError(f"output {path}: {problem}")
    suffix = path.suffix.lower()
    with atomic_output(path) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, sep="," if suffix == ".csv" else "\t", index=False)
    return path


def _verdicts(table: pd.DataFrame, reviewed: pd.DataFrame) -> np.ndarray:
    """Each scored user's verdict ("human", "automated", or "" if unreviewed)."""
    verdict = reviewed["verdict"].reindex(table["user_id"]).to_numpy(dtype=object)
    return np.where(pd.isna(verdict), "", verdict)


def apply_reviews(
    table: pd.DataFrame, reviewed: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """Put the analyst's verdicts into a score table.

    Adds a ``reviewed`` column (``human``, ``automated`` or empty): a user
    reviewed as human is never a suspect, reviewed automation always is,
    whatever the score. Returns the table and a summary: how many of each
    verdict matched a scored user, and the reviewed ids not in these data.
    """
    verdict = _verdicts(table, reviewed)
    table = table.copy()
    table["reviewed"] = verdict
    was = table["suspect"].to_numpy(bool)
    table["suspect"] = (was & (verdict != "human")) | (verdict == "automated")
    unknown = reviewed.index.difference(pd.Index(table["user_id"]))
    summary = {
        "reviewed_human": int((verdict == "human").sum()),
        "reviewed_automated": int((verdict == "automated").sum()),
        "human_cleared": int((was & (verdict == "human")).sum()),
        "automated_added": int((~was & (verdict == "automated")).sum()),
        "unknown": [u.item() if isinstance(u, np.generic) else u for u in unknown],
    }
    return table, summary


def review_metrics(table: pd.DataFrame, reviewed: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of the model's suspects against the reviewed users
    (evaluation only): precision = reviewed automation among reviewed suspects,
    recall = reviewed automation that is suspect, of all reviewed automation."""
    verdict = _verdicts(table, reviewed)
    suspect = table["suspect"].to_numpy(bool)
    auto = verdict == "automated"
    human = verdict == "human"
    flagged = suspect & (auto | human)
    return {
        "reviewed_users": float((auto | human).sum()),
        "reviewed_precision": float((suspect & auto).sum() / flagged.sum())
        if flagged.any()
        else float("nan"),
        "reviewed_recall": float((suspect & auto).sum() / auto.sum())
        if auto.any()
        else float("nan"),
    }


def review_summary_lines(summary: dict) -> list[str]:
    """The verdicts' effect in words, for the terminal and the report."""
    lines = [
        f"reviewed: {summary['reviewed_human']:,} users reviewed as human "
        f"({summary['human_cleared']:,} taken off the suspects), "
        f"{summary['reviewed_automated']:,} as automated "
        f"({summary['automated_added']:,} added to the suspects)"
    ]
    unknown = summary["unknown"]
    if unknown:
        shown = ", ".join(str(u) for u in unknown[:5])
        more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
        lines.append(
            f"reviewed: {len(unknown):,} reviewed users are not in these data "
            f"({shown}{more})"
        )
    return lines
