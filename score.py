"""Score every user of a data directory with a trained cadence model.

Usage: ``python score.py --data DIR [--model URI] --out FILE``

``--model`` takes ``runs:/<run id>/model``, ``models:/<name>@<alias>``,
``models:/<name>/<version>`` or a local model directory; without it, the model of
the newest finished training run of the experiment is used. The output (.csv,
.tsv or .parquet) is written atomically, most suspicious user first.

MLflow models are pickles: loading one runs code. Load only models from your own
tracking store or paths you trust.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from cadence.cli import (
    add_data_args,
    add_tracking_args,
    check_data,
    fraction,
    load_data,
    local_file,
    local_model_dir,
    read_detector,
    read_labels,
    read_reviewed,
    require_users,
    run,
    setup_logging,
)
from cadence.pipeline import (
    OUTPUT_FORMATS,
    apply_reviews,
    output_problem,
    review_summary_lines,
    score_table,
    write_frame,
)

log = logging.getLogger("cadence.score")
ROOT = Path(__file__).resolve().parent
#: PSI above which a population counts as moved.
DRIFT_PSI = 0.25


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cadence-score",
        description="Score every user of a data directory with a trained model.",
    )
    add_data_args(p, default="data/sample", default_help="./data/sample")
    p.add_argument(
        "--model",
        help="runs:/<id>/model, models:/<name>@<alias>, models:/<name>/<version> "
        "or a local model directory (default: newest training run's model)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("scores.csv"),
        help=f"output file, format by extension ({', '.join(OUTPUT_FORMATS)}); "
        "default scores.csv",
    )
    add_tracking_args(p)
    p.add_argument(
        "--budget",
        type=fraction,
        help="mark the top share of these users as suspects "
        "(default: the model's fitted threshold)",
    )
    p.add_argument(
        "--log-to-mlflow",
        action="store_true",
        help="record this scoring run (counts, drift, output) in the experiment",
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE.html",
        help="also write a self-contained HTML report (top suspects with plots)",
    )
    p.add_argument(
        "--report-top", type=int, default=20, help="suspects shown in the report (20)"
    )
    p.add_argument(
        "--reviewed",
        type=Path,
        metavar="FILE",
        help="analyst verdicts (user_id, verdict = human|automated, optional "
        "note): reviewed people are never suspects, reviewed automation always is",
    )
    p.add_argument("--top", type=int, default=10, help="suspects printed (10)")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings only")
    return p


def _start_locate(args: argparse.Namespace, dst: str) -> subprocess.Popen:
    """Start ``cadence.locate`` in a child process: it finds ``--model`` or the
    newest training run's model and copies it into ``dst``."""
    cmd = [sys.executable, "-m", "cadence.locate", "--dst", dst]
    cmd += ["--tracking-uri", args.tracking_uri, "--experiment", args.experiment]
    if args.model:
        cmd += ["--model", args.model]
    # the child finds this checkout's packages however score.py was started
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _finish_locate(child: subprocess.Popen, args: argparse.Namespace):
    """``(uri, detector)`` from the child of :func:`_start_locate`."""
    out, err = child.communicate()
    if err.strip():  # MLflow's warnings, if any, are the user's to read
        sys.stderr.write(err)
    lines = out.strip().splitlines()
    found = json.loads(lines[-1]) if lines else {}
    if "error" in found:
        raise SystemExit(found["error"])
    if child.returncode != 0 or "path" not in found:
        raise SystemExit(f"--model: the model lookup failed (exit {child.returncode})")
    if not args.model:
        log.info(
            "no --model given: using the newest training run's model %s", found["uri"]
        )
    return found["uri"], read_detector(found["path"], found["uri"])


def _check_store(args: argparse.Namespace) -> None:
    """Fail at once, before any reading, when a local sqlite tracking store does
    not exist: there is no model to find (and MLflow would create an empty
    store on the way to saying so)."""
    prefix = "sqlite:///"
    if not args.tracking_uri.startswith(prefix):
        return
    path = Path(args.tracking_uri[len(prefix) :])
    if not path.exists():
        what = f"--model {args.model}" if args.model else "--model not given"
        raise SystemExit(
            f"{what}: no tracking store at {path} (--tracking-uri "
            f"{args.tracking_uri}); train first (python train.py) or pass a "
            "model directory"
        )


def _model_and_data(args: argparse.Namespace, data: Path | str):
    """``(prepared, uri, detector, seconds)``: the logs read and prepared, and
    the model loaded beside them; ``seconds`` is what the model cost beyond
    the reading.

    A tracking-store model is found and copied by a child process (MLflow's
    imports and the store are seconds of Python, which a thread would run
    under this interpreter's lock) and scikit-learn, to unpickle the detector,
    is imported by a thread, both while this thread reads; a local model
    directory is read without MLflow.
    """
    local = local_model_dir(args.model) if args.model else None
    if local is None:
        _check_store(args)
    with tempfile.TemporaryDirectory(prefix="cadence-model-") as copy:
        child = importing = None
        try:
            child = None if local else _start_locate(args, copy)
            # the detector's classes (scikit-learn), imported beside the reading
            importing = threading.Thread(
                target=importlib.import_module, args=("models.ensemble",)
            )
            _start_unstopped(importing)
            prepared = load_data(args, data)
            t0 = time.perf_counter()
            importing.join()
            if child is None:
                uri, detector = args.model, read_detector(local, args.model)
            else:
                uri, detector = _finish_locate(child, args)
        finally:  # an error or SIGTERM: the child must not write on, and
            # the import must end before the interpreter does
            if child is not None and child.poll() is None:
                child.kill()
                child.wait()
            if importing is not None and importing.is_alive():
                importing.join()
        return prepared, uri, detector, time.perf_counter() - t0


def _start_unstopped(thread: threading.Thread) -> None:
    """Start ``thread`` with SIGTERM held until it runs: a SIGTERM inside
    ``start()`` would leave a thread importing that is not yet alive to be
    joined, and it would import on into the interpreter's shutdown ("can't
    register atexit after shutdown"). Held, the signal lands once ``start()``
    returns, and the thread is joined on the way out."""
    hold = hasattr(signal, "pthread_sigmask")
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        thread.start()
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def check_output(
    path: Path, flag: str = "--out", formats: tuple[str, ...] = OUTPUT_FORMATS
) -> None:
    """Fail before any work when an output file cannot be written."""
    problem = output_problem(path, formats)
    if problem:
        raise SystemExit(f"{flag} {path}: {problem}")


def _spark_scores(args, uri: str, features: pd.DataFrame, columns) -> np.ndarray:
    """Scores by ``mlflow.pyfunc.spark_udf`` over the features, in feature order."""
    import mlflow

    from cadence.spark import spark_scores, spark_session

    mlflow.set_tracking_uri(args.tracking_uri)

    spark = spark_session(args.spark_master)
    sdf = spark.createDataFrame(features[columns].reset_index())
    target = uri if ":/" in uri else str(Path(uri).resolve())
    got = spark_scores(spark, sdf, target, list(columns)).toPandas()
    return got.set_index("user_id")["score"].reindex(features.index).to_numpy()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.quiet)
    check_output(args.out)
    if args.report is not None:
        check_output(args.report, "--report", (".html", ".htm"))
    data = check_data(args.data, args.engine)
    seconds: dict[str, float] = {}
    stages = 6 if args.report is not None else 5
    bar = tqdm(total=stages, desc="score", unit="stage", disable=args.quiet or None)

    prepared, uri, detector, seconds["load_model"] = _model_and_data(args, data)
    bar.update(3)
    seconds.update(prepared.seconds)
    features = prepared.features
    if features.empty and prepared.logs is not None:  # say why before stopping
        for line in prepared.logs.report.summary_lines():
            log.info("load: %s", line)
    require_users(prepared, args.data, 1, "to score")
    missing = [c for c in detector.input_columns_ if c not in features.columns]
    if missing:
        raise SystemExit(
            f"--model {uri}: needs feature(s) {missing} that the data cannot provide"
        )

    t0 = time.perf_counter()
    parts = None
    if args.engine == "spark":
        scores = _spark_scores(args, uri, features, detector.input_columns_)
    else:
        # the logged model's detector, scored once: its per-detector scores give
        # the score (what the model's predict returns) and the reasons
        parts = detector.detector_scores(features)
        scores = detector.combined_score(parts)
    table = score_table(
        detector,
        features,
        prepared.flags,
        scores=scores,
        budget=args.budget,
        info=prepared.user_info,
        detector_scores=parts,
    )
    review_lines: list[str] = []
    if args.reviewed is not None:
        table, summary = apply_reviews(
            table, read_reviewed(args.reviewed, features.index)
        )
        review_lines = review_summary_lines(summary)
    drift = detector.drift(features, scores)
    seconds["score"] = time.perf_counter() - t0
    bar.update()

    t0 = time.perf_counter()
    write_frame(table, args.out)
    seconds["write"] = time.perf_counter() - t0
    bar.update()
    if args.report is not None:
        from cadence.report import build_report, report_users

        t0 = time.perf_counter()
        labels_path = local_file(data, "labels.tsv")
        events, signups = prepared.user_logs(report_users(table, args.report_top))
        build_report(
            args.report,
            table,
            features,
            events,
            signups,
            float(table.loc[table["suspect"], "score"].min())
            if table["suspect"].any()
            else float(detector.threshold_),
            labels=read_labels(labels_path) if labels_path is not None else None,
            top_n=args.report_top,
            title=f"cadence — {args.data}",
            notes=review_lines,
        )
        seconds["report"] = time.perf_counter() - t0
        bar.update()
    bar.close()

    counts = prepared.load_counts()
    n_suspects = int(table["suspect"].sum())
    print(f"model: {uri}")
    print(f"scored {len(table):,} users → {args.out}  ({n_suspects:,} suspects)")
    for line in review_lines:
        print(line)
    print(
        f"input: {counts['rows_read']:,} rows read, {counts['rows_duplicate']:,} "
        f"duplicates removed, {counts['rows_bad']:,} bad rows excluded"
    )
    if prepared.logs is not None and counts["rows_bad"]:
        for line in prepared.logs.report.summary_lines():
            if "bad" in line or "--now" in line:
                print(f"  {line}")
    moved = {k: v for k, v in drift.items() if v > DRIFT_PSI}
    if moved:
        worst = sorted(moved.items(), key=lambda kv: -kv[1])[:5]
        log.warning(
            "drift: the scored population moved from the training one (PSI > %.2f): %s",
            DRIFT_PSI,
            ", ".join(f"{k} {v:.2f}" for k, v in worst),
        )
    else:
        print(f"drift: score PSI {drift['score']:.3f}; no column above {DRIFT_PSI}")
    print(f"top {args.top}:")
    for row in table.head(args.top).itertuples():
        print(
            f"  {row.rank:>4}  user {row.user_id:<10} score {row.score:6.3f}  "
            f"{row.reason_1}"
        )
    if args.report is not None:
        print(f"report: {args.report}")
    print("stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))

    if args.log_to_mlflow:
        _log_scoring_run(args, uri, table, drift, prepared, seconds)
    return 0


def _log_scoring_run(args, uri, table, drift, prepared, seconds) -> None:
    import mlflow

    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_experiment(args.experiment)
    with mlflow.start_run(
        run_name=f"score {args.data.rstrip('/').split('/')[-1]}"
    ) as run:
        mlflow.set_tag("cadence_kind", "score")
        mlflow.log_params(
            {
                "model_uri": uri,
                "data": args.data,
                "out": str(args.out.resolve()),
                "budget": args.budget if args.budget is not None else "model",
            }
        )
        mlflow.log_metrics(
            {
                "users": len(table),
                "suspects": int(table["suspect"].sum()),
                **prepared.load_counts(),
                "psi_score": drift["score"],
                "psi_max_feature": max(v for k, v in drift.items() if k != "score"),
                **{f"seconds_{k}": v for k, v in seconds.items()},
            }
        )
        mlflow.log_dict(prepared.load_report(), "load_report.json")
        mlflow.log_dict(drift, "drift_psi.json")
        with tempfile.TemporaryDirectory() as tmp:
            top = Path(tmp) / "top_suspects.csv"
            table.head(100).to_csv(top, index=False)
            mlflow.log_artifact(str(top))
        log.info("scoring run logged: %s", run.info.run_id)


if __name__ == "__main__":
    run(main)
