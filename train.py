"""Train a cadence detector and track the run in MLflow.

Usage: ``python train.py [--data DIR] [--tracking-uri URI] [--register NAME] ...``

With no ``--data``, a sample marketplace is simulated into ``./data/sample`` (the
simulator's defaults) and the run is tracked to ``sqlite:///mlflow.db``,
experiment ``cadence``. ``--compare`` fits a grid of feature sets × detectors as
child runs of one parent and prints the comparison table.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cadence.cli import (
    add_data_args,
    add_tracking_args,
    check_data,
    fraction,
    load_data,
    local_file,
    positive_int,
    read_labels,
    read_reviewed,
    require_users,
    run,
    setup_logging,
)
from cadence.pipeline import Prepared, review_metrics, score_table
from cadence.simulate import SimConfig, simulate, write_logs
from models.ensemble import FEATURE_SETS, CadenceDetector, family_spec
from models.evaluate import label_metrics, rule_metrics

log = logging.getLogger("cadence.train")

DEFAULT_DATA = Path("data/sample")
DETECTOR_CHOICES = {
    "iforest": ("iforest",),
    "lof": ("lof",),
    "ensemble": ("iforest", "lof"),
}
#: The ``--compare`` grid: feature sets × detectors.
COMPARE_FEATURES: tuple[str, ...] = ("volume", "volume+gaps", "all")
COMPARE_DETECTORS: tuple[str, ...] = ("iforest", "lof", "ensemble")


def _max_samples(text: str) -> int | str:
    if text == "auto":
        return text
    return positive_int(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cadence-train",
        description="Train a cadence detector on a data directory; track it in MLflow.",
    )
    io = p.add_argument_group("data and tracking")
    add_data_args(io, default=None, default_help="simulate a sample into ./data/sample")
    io.add_argument(
        "--reviewed",
        type=Path,
        metavar="FILE",
        help="analyst verdicts (user_id, verdict = human|automated): precision and "
        "recall against them are logged, for evaluation only, never for fitting",
    )
    io.add_argument(
        "--labels",
        type=Path,
        help="labels file (user_id, is_bot, kind) for evaluation only "
        "(default: DATA/labels.tsv when present)",
    )
    add_tracking_args(io)
    io.add_argument("--run-name", help="MLflow run name")
    m = p.add_argument_group("model")
    m.add_argument("--seed", type=int, default=0, help="random seed (0)")
    m.add_argument(
        "--train-sample",
        type=positive_int,
        metavar="N",
        help="fit on a random sample of N users (seeded); every user is still "
        "scored and evaluated (default: fit on all)",
    )
    m.add_argument(
        "--features",
        choices=sorted(FEATURE_SETS),
        default="all",
        help="feature set the detectors see (all)",
    )
    m.add_argument(
        "--detectors",
        choices=sorted(DETECTOR_CHOICES),
        default="ensemble",
        help="iforest, lof, or both (ensemble, default)",
    )
    m.add_argument(
        "--n-estimators",
        type=positive_int,
        default=CadenceDetector().n_estimators,
        help="trees per forest (100)",
    )
    m.add_argument(
        "--max-samples",
        type=_max_samples,
        default="auto",
        help="rows per tree: 'auto' (256) or a count",
    )
    m.add_argument(
        "--lof-neighbors", type=positive_int, default=35, help="LOF neighbours (35)"
    )
    m.add_argument(
        "--lof-weight", type=float, default=0.25, help="LOF weight in the combination"
    )
    m.add_argument(
        "--combine",
        choices=("max", "mean"),
        default="max",
        help="combine normalised detector scores by weighted max or mean (max)",
    )
    m.add_argument(
        "--two-sided",
        action="store_true",
        help="let detectors use both sides of every feature (default: directional)",
    )
    m.add_argument(
        "--budget",
        type=fraction,
        default=0.02,
        help="share of users marked as suspects (0.02)",
    )
    r = p.add_argument_group("registry and comparison")
    r.add_argument("--register", metavar="NAME", help="register the model under NAME")
    r.add_argument("--alias", default="champion", help="alias set on the new version")
    r.add_argument(
        "--force-alias",
        action="store_true",
        help="move the alias even when the new model differs wildly from the "
        "current one",
    )
    r.add_argument(
        "--compare",
        action="store_true",
        help="fit feature sets × detectors as child runs and print a comparison",
    )
    p.add_argument("--top", type=int, default=10, help="suspects printed (10)")
    p.add_argument(
        "--report-top",
        type=int,
        default=20,
        help="suspects in the logged HTML report (20; 0 = no report)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="warnings only")
    return p


def detector_from_args(
    args: argparse.Namespace, features: str | None = None, detectors: str | None = None
) -> CadenceDetector:
    """The estimator the arguments describe."""
    return CadenceDetector(
        families=family_spec(features or args.features),
        detectors=DETECTOR_CHOICES[detectors or args.detectors],
        n_estimators=args.n_estimators,
        max_samples=args.max_samples,
        lof_neighbors=args.lof_neighbors,
        weights={"lof": args.lof_weight},
        combine=args.combine,
        directional=not args.two_sided,
        budget=args.budget,
        random_state=args.seed,
    )


def ensure_sample(data: Path, seed: int = SimConfig.seed) -> None:
    """Simulate the default sample into ``data`` unless it holds a signup log."""
    if any(data.glob("signup.*")):
        return
    log.info("no data given: simulating a sample marketplace into %s", data)
    data.mkdir(parents=True, exist_ok=True)
    sim = simulate(SimConfig(seed=seed))
    write_logs(sim, data)


def evaluate(
    scores: np.ndarray,
    prepared: Prepared,
    labels: pd.DataFrame | None,
    budget: float,
) -> dict[str, float]:
    """Metrics against every rule flag and, when given, the labels."""
    metrics = rule_metrics(scores, prepared.flags.loc[prepared.features.index], budget)
    if labels is not None:
        aligned = labels.reindex(prepared.features.index)
        known = aligned["kind"].notna().to_numpy()
        if (~known).any():
            log.warning(
                "%d users have no label; evaluated without them", (~known).sum()
            )
        metrics.update(label_metrics(scores[known], aligned[known], budget))
    return metrics


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cadence")
    except PackageNotFoundError:
        return "unknown"


def run_params(
    args: argparse.Namespace,
    detector: CadenceDetector,
    prepared: Prepared,
    data: Path,
    features: str,
    detectors: str,
) -> dict[str, str]:
    params = {
        k: v
        for k, v in detector.get_params().items()
        if k not in ("families", "weights")
    }
    params.update(
        {
            "feature_set": features,
            "detector_set": detectors,
            "lof_weight": args.lof_weight,
            "model_columns": len(detector.input_columns_),
            "data": str(data.resolve()) if isinstance(data, Path) else str(data),
            "users": len(prepared.features),
            "events": int(prepared.features["n_events"].sum()),
            "engine": args.engine,
            "date_order": args.date_order or "told from the values",
            "seed": args.seed,
            "train_sample": args.train_sample or len(prepared.features),
            "cadence_version": package_version(),
            "git_commit": git_commit(),
        }
    )
    return {k: str(v) for k, v in params.items()}


def fit_and_log(
    args: argparse.Namespace,
    prepared: Prepared,
    labels: pd.DataFrame | None,
    data: Path,
    *,
    features: str,
    detectors: str,
    log_model: bool,
    run_name: str | None,
    nested: bool = False,
    reviewed: pd.DataFrame | None = None,
):
    """Fit one detector, log params, metrics and artifacts in a new MLflow run.

    ``reviewed`` (analysts' verdicts) only evaluates: precision and recall of
    the suspects against it are logged as ``reviewed_*`` metrics.
    """
    import mlflow

    t0 = time.perf_counter()
    fit_on = prepared.features
    if args.train_sample and args.train_sample < len(fit_on):
        fit_on = fit_on.sample(n=args.train_sample, random_state=args.seed)
        fit_on = fit_on.sort_index()
    detector = detector_from_args(args, features, detectors).fit(fit_on)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = detector.score_samples(prepared.features)
    score_s = time.perf_counter() - t0
    metrics = evaluate(scores, prepared, labels, args.budget)
    with mlflow.start_run(run_name=run_name, nested=nested) as run:
        mlflow.set_tag("cadence_kind", "train")
        mlflow.log_params(
            run_params(args, detector, prepared, data, features, detectors)
        )
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
        timings = {**prepared.seconds, "fit": fit_s, "score": score_s}
        mlflow.log_metrics({f"seconds_{k}": v for k, v in timings.items()})
        mlflow.log_dict(prepared.load_report(), "load_report.json")
        mlflow.log_metrics(
            {
                **prepared.load_counts(),
                "suspects": int((scores >= detector.threshold_).sum()),
                **getattr(detector, "learned_levels_", {}),
            }
        )
        table = score_table(
            detector,
            prepared.features,
            prepared.flags,
            scores=scores,
            info=prepared.user_info,
        )
        notes = []
        if reviewed is not None:
            checked = review_metrics(table, reviewed)
            metrics.update(checked)
            mlflow.log_metrics({k: v for k, v in checked.items() if np.isfinite(v)})
            notes.append(
                f"Against {checked['reviewed_users']:,.0f} users the analysts "
                f"reviewed: precision {checked['reviewed_precision']:.3f}, recall "
                f"{checked['reviewed_recall']:.3f} (evaluation only)."
            )
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            from cadence.plots import score_histogram

            bots = None
            if labels is not None:
                bots = (
                    labels["is_bot"]
                    .reindex(prepared.features.index, fill_value=False)
                    .to_numpy(bool)
                )
            score_histogram(
                scores, detector.threshold_, tmp / "score_histogram.png", bots=bots
            )
            table.head(100).to_csv(tmp / "top_suspects.csv", index=False)
            summary = prepared.features.describe().T
            summary["missing_share"] = prepared.features.isna().mean()
            summary.to_csv(tmp / "feature_summary.csv", index_label="feature")
            if log_model and args.report_top > 0:
                from cadence.report import build_report, report_users

                events, signups = prepared.user_logs(
                    report_users(table, args.report_top)
                )
                build_report(
                    tmp / "report.html",
                    table,
                    prepared.features,
                    events,
                    signups,
                    detector.threshold_,
                    labels=labels,
                    top_n=args.report_top,
                    title=f"cadence training run — {data}",
                    notes=notes,
                )
            counts = prepared.flags.sum().astype(int).rename("users")
            counts.to_csv(tmp / "rule_counts.csv", index_label="rule")
            mlflow.log_artifacts(str(tmp))
        if log_model:
            _log_model(detector, prepared.features, scores, args)
    return run.info.run_id, detector, scores, metrics, table


def _log_model(detector, features: pd.DataFrame, scores, args) -> None:
    import joblib
    import mlflow
    from mlflow.models import infer_signature

    from models.ensemble import DETECTOR_ARTIFACT
    from models.pyfunc import MODEL_CODE

    X = features[detector.input_columns_]
    example = X.loc[X.notna().all(axis=1)].head(5)
    if example.empty:
        example = X.head(5).fillna(0.0)
    signature = infer_signature(X.head(100), pd.Series(scores[:100], name="score"))
    with tempfile.TemporaryDirectory() as tmp:
        fitted = Path(tmp) / "detector.joblib"
        joblib.dump(detector, fitted)
        # models from code: the model is this file plus the fitted detector
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(MODEL_CODE),
            artifacts={DETECTOR_ARTIFACT: str(fitted)},
            signature=signature,
            input_example=example,
            registered_model_name=args.register,
        )
    mlflow.set_tag("cadence_model", "true")
    log.info("model logged: %s", info.model_uri)
    if args.register:
        guard_alias(args, info.registered_model_version, detector, features, scores)


def guard_alias(
    args: argparse.Namespace,
    version: str | int,
    detector: CadenceDetector,
    features: pd.DataFrame,
    scores: np.ndarray,
) -> bool:
    """Point ``--alias`` at the new version unless the model under the alias
    differs wildly on the data just trained on (``models/champion.py``); the
    comparison is logged to the run. Returns whether the alias moved."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from models.champion import champion_comparison, close_enough

    client = MlflowClient()
    name, alias = args.register, args.alias
    try:
        current = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        current = None
    move, why = True, []
    if current is not None:
        from cadence.cli import load_detector

        _, champion = load_detector(f"models:/{name}@{alias}")
        missing = [c for c in champion.input_columns_ if c not in features.columns]
        if missing:
            move, why = False, [f"the champion needs columns {missing}"]
        else:
            comparison = champion_comparison(champion, detector, features, scores)
            mlflow.log_metrics({f"vs_champion_{k}": v for k, v in comparison.items()})
            mlflow.log_dict(
                {"champion_version": current.version, **comparison},
                "champion_comparison.json",
            )
            move, why = close_enough(comparison)
    if move or args.force_alias:
        client.set_registered_model_alias(name, alias, version)
        forced = " (forced)" if why else ""
        print(f"registered {name} version {version} as @{alias}{forced}")
    else:
        print(
            f"registered {name} version {version}; @{alias} stays on version "
            f"{current.version}: " + "; ".join(why) + " (--force-alias moves it)"
        )
    mlflow.set_tag("champion_moved", str(bool(move or args.force_alias)).lower())
    return bool(move or args.force_alias)


def compare(
    args: argparse.Namespace,
    prepared: Prepared,
    labels: pd.DataFrame | None,
    data: Path,
) -> pd.DataFrame:
    """Fit the comparison grid as child runs; return the search_runs table."""
    import mlflow

    with mlflow.start_run(run_name=args.run_name or "compare") as parent:
        mlflow.log_params(
            {
                "data": str(data.resolve()) if isinstance(data, Path) else str(data),
                "seed": args.seed,
                "grid": "features × detectors",
            }
        )
        for fs in COMPARE_FEATURES:
            for det in COMPARE_DETECTORS:
                name = f"{fs} · {det}"
                log.info("compare: fitting %s", name)
                fit_and_log(
                    args,
                    prepared,
                    labels,
                    data,
                    features=fs,
                    detectors=det,
                    log_model=False,
                    run_name=name,
                    nested=True,
                )
    runs = mlflow.search_runs(
        experiment_names=[args.experiment],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    return comparison_table(runs, labels is not None), parent.info.run_id


def comparison_table(runs: pd.DataFrame, labelled: bool) -> pd.DataFrame:
    """The columns that matter from ``mlflow.search_runs``, best run marked."""
    cols = {"params.feature_set": "features", "params.detector_set": "detectors"}
    metric_cols = ["rule_any_average_precision", "rule_any_recall_at_budget"]
    if labelled:
        metric_cols = [
            "label_average_precision",
            "label_recall_at_budget",
            *sorted(
                c[len("metrics.") :]
                for c in runs.columns
                if c.startswith("metrics.recall_")
            ),
            "power_user_in_budget",
            *metric_cols,
        ]
    table = runs[list(cols)].rename(columns=cols)
    for c in metric_cols:
        table[c.replace("rule_any", "rules")] = runs.get(f"metrics.{c}")
    key = "label_average_precision" if labelled else "rules_average_precision"
    table = table.sort_values(key, ascending=False).reset_index(drop=True)
    table.insert(0, "best", np.where(table.index == 0, "*", ""))
    return table


def print_summary(run_id, detector, metrics, table, k: int) -> None:
    print(f"run {run_id}")
    keys = [
        "label_average_precision",
        "label_roc_auc",
        "label_recall_at_budget",
        "power_user_in_budget",
        "rule_any_average_precision",
        "rule_any_recall_at_budget",
    ]
    keys += sorted(m for m in metrics if m.startswith("recall_"))
    for key in keys:
        if key in metrics:
            print(f"  {key:36s} {metrics[key]:.3f}")
    print(
        f"suspects at the budget: {int(table['suspect'].sum())} of {len(table)} users"
    )
    print(f"top {k} suspects:")
    for row in table.head(k).itertuples():
        print(
            f"  {row.rank:>3}  user {row.user_id:<10} score {row.score:7.3f}  "
            f"{row.reason_1}"
        )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.quiet)
    import mlflow

    if args.data is None:
        data = DEFAULT_DATA
        ensure_sample(data)
    else:
        data = check_data(args.data, args.engine)
    if args.labels is not None and not args.labels.is_file():
        raise SystemExit(f"--labels {args.labels}: no such file")
    labels_path = args.labels or local_file(data, "labels.tsv")
    labels = read_labels(labels_path) if labels_path is not None else None
    prepared = load_data(args, data)
    if prepared.logs is not None:
        for line in prepared.logs.report.summary_lines():
            log.info("load: %s", line)
    require_users(prepared, data, 2, "to train")
    reviewed = (
        read_reviewed(args.reviewed, prepared.features.index)
        if args.reviewed is not None
        else None
    )

    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_experiment(args.experiment)
    if args.compare:
        table, parent_id = compare(args, prepared, labels, data)
        print(f"comparison (parent run {parent_id}):")
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return 0
    run_id, detector, scores, metrics, table = fit_and_log(
        args,
        prepared,
        labels,
        data,
        features=args.features,
        detectors=args.detectors,
        log_model=True,
        run_name=args.run_name or f"train {args.features} · {args.detectors}",
        reviewed=reviewed,
    )
    print_summary(run_id, detector, metrics, table, args.top)
    if reviewed is not None:
        print(
            f"reviewed users: {metrics['reviewed_users']:,.0f}, precision "
            f"{metrics['reviewed_precision']:.3f}, recall "
            f"{metrics['reviewed_recall']:.3f} (evaluation only)"
        )
    print(
        f"tracking: {args.tracking_uri}  (mlflow ui --backend-store-uri "
        f"{args.tracking_uri})"
    )
    return 0


if __name__ == "__main__":
    run(main)
