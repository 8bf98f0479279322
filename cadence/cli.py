"""Argument helpers shared by train.py and score.py (errors name the argument)."""

from __future__ import annotations

import argparse
import atexit
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # imported where a model is read: scikit-learn is slow to import
    from models.ensemble import CadenceDetector

# The CLIs run offline: no usage telemetry (MLflow 3 sends it by default) and no
# per-file progress bars from artifact downloads. Set before MLflow is imported
# (train.py and score.py import it lazily, after this module); users may override.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


class Terminated(SystemExit):
    """SIGTERM, raised in the main thread (exit code 143)."""


def _terminated(signum: int, frame) -> None:
    raise Terminated(128 + signum)


def _caused_by_sigterm(exc: BaseException | None) -> bool:
    """Whether ``exc`` is :class:`Terminated` or was raised while one was
    handled (an MLflow store interrupted mid-write fails to end its run)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, Terminated):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _fail_open_runs() -> None:
    """End as failed any MLflow run a stop left open (one whose end the
    interrupted store refused); a store that refuses again is left as is."""
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return
    while mlflow.active_run() is not None:
        try:
            mlflow.end_run("FAILED")
        except Exception:  # noqa: BLE001 - stopping: nothing more to do
            return


def run(main: Callable[[], int]) -> None:
    """Run a command's ``main`` and exit with its code.

    SIGTERM (``kill``, a scheduler's timeout, a container stopping) ends the
    command as an error does: the output file keeps its previous content, the
    temporary files and folders are removed, the model lookup's child process
    is stopped and an MLflow run open at that moment is ended as failed. With
    Python's default handling none of that cleanup would run.

    The objects of the run are frozen out of the garbage collector first: the
    interpreter's last sweep over every object that MLflow, scikit-learn and
    the data made cost 0.6 s of a few-second score run, for memory the system
    takes back at exit anyway. Exit handlers and file flushes still run.
    """
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = main()
    except BaseException as exc:
        if not _caused_by_sigterm(exc):
            raise
        _fail_open_runs()
        print(
            "stopped by SIGTERM: output files keep their previous content",
            file=sys.stderr,
        )
        raise Terminated(128 + signal.SIGTERM) from None
    gc.freeze()
    sys.exit(code)


def fraction(text: str) -> float:
    """argparse type: a number in (0, 1)."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def parse_now(text: str | None) -> int | None:
    """``--now`` as ms since the epoch (UTC), or None for the clock."""
    if text is None:
        return None
    try:
        return int(pd.Timestamp(text, tz="UTC").value // 1_000_000)
    except ValueError as exc:
        raise SystemExit(f"--now {text!r}: not a date/time: {exc}") from exc


def read_labels(path: Path, flag: str = "--labels") -> pd.DataFrame:
    """A labels file (user_id, is_bot, kind) indexed by user_id."""
    try:
        labels = pd.read_csv(path, sep=None, engine="python")
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{flag} {path}: cannot be read: {exc}") from exc
    missing = {"user_id", "is_bot", "kind"} - set(labels.columns)
    if missing:
        raise SystemExit(
            f"{flag} {path}: missing column(s) {', '.join(sorted(missing))}"
        )
    ids = pd.to_numeric(labels["user_id"], errors="coerce")
    if ids.notna().all() and (ids == ids.round()).all():
        labels["user_id"] = labels["user_id"].astype(np.int64)
    else:  # string ids (client addresses, UUIDs), kept as written
        labels["user_id"] = labels["user_id"].astype(str)
    labels["is_bot"] = labels["is_bot"].astype(str).str.lower().isin(["1", "true"])
    return labels.set_index("user_id")


def read_reviewed(path: Path, index: pd.Index) -> pd.DataFrame:
    """``--reviewed FILE`` read for users indexed like ``index`` (integer or
    string ids); bad rows are printed with their line numbers."""
    from features.io import LoadError, load_reviewed

    try:
        reviewed, report = load_reviewed(
            path, integer_ids=pd.api.types.is_integer_dtype(index)
        )
    except LoadError as exc:
        raise SystemExit(f"--reviewed {path}: {exc}") from exc
    print(
        f"reviewed: {report.rows_read:,} rows read, {len(reviewed):,} users, "
        f"{report.duplicates:,} earlier verdicts replaced, {report.bad_rows:,} bad"
    )
    for reason in report.bad_reasons:
        print(f"  {report.reason_line(reason)}")
    return reviewed


def setup_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )


DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DEFAULT_EXPERIMENT = "cadence"


def add_tracking_args(group) -> None:
    """``--tracking-uri`` and ``--experiment``, as both scripts take them."""
    group.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI),
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or "
        f"{DEFAULT_TRACKING_URI})",
    )
    group.add_argument(
        "--experiment", default=DEFAULT_EXPERIMENT, help="experiment name"
    )


def add_data_args(group, *, default: str | None, default_help: str) -> None:
    """``--data``, ``--engine``, ``--spark-master``, ``--now``, ``--date-order``
    and ``--strict``."""
    group.add_argument(
        "--data",
        default=default,
        help="data directory with signup, call, message, search logs, or an "
        "access log (a web server's, combined or common format, or a Squid "
        "proxy's native log; plain or .gz); with "
        f"--engine spark any Spark path (hdfs://, s3a://) (default: {default_help})",
    )
    group.add_argument(
        "--engine",
        choices=("pandas", "spark"),
        default="pandas",
        help="features with pandas (default) or Spark (needs cadence[spark])",
    )
    group.add_argument(
        "--spark-master", default="local[2]", help="Spark master (local[2])"
    )
    group.add_argument(
        "--now",
        help="the present for the load's sanity window (ISO date/time, UTC; "
        "default: the clock); later timestamps are bad rows",
    )
    group.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),  # features.io.DATE_ORDERS, not imported here
        help="how a day and a month both in numbers (03/04/2019) are read: dmy "
        "(the day first) or mdy (the month first); default: told from each "
        "log's values (a number above 12), else from the other logs'",
    )
    group.add_argument(
        "--strict", action="store_true", help="fail on the first malformed row"
    )


def check_data(data: str, engine: str) -> Path | str:
    """``--data`` as a local directory or file (Path) or a Spark URI (str)."""
    if "://" in data:
        if engine != "spark":
            raise SystemExit(f"--data {data}: remote paths need --engine spark")
        return data
    if not Path(data).exists():
        raise SystemExit(f"--data {data}: no such file or directory")
    if engine == "spark" and not Path(data).is_dir():
        raise SystemExit(
            f"--data {data}: the Spark path reads a directory of the four logs"
        )
    return Path(data)


def local_file(data: Path | str, name: str) -> Path | None:
    """``data/name`` when ``data`` is a local directory holding that file; for
    a ``.zip`` archive of the logs, that file from where the archive keeps the
    logs (:func:`features.io.archive_folder`), unpacked into a temporary folder
    removed at exit."""
    if not isinstance(data, Path):
        return None
    if data.is_file() and zipfile.is_zipfile(data):
        from features.io import archive_folder

        with zipfile.ZipFile(data) as archive:
            names = archive.namelist()
            member = archive_folder(names) + name
            if member not in names:
                return None
            tmp = tempfile.mkdtemp(prefix="cadence-zip-")
            atexit.register(shutil.rmtree, tmp, ignore_errors=True)
            return Path(archive.extract(member, tmp))
    if (data / name).is_file():
        return data / name
    return None


def load_data(args: argparse.Namespace, data: Path | str):
    """Logs → features and rule flags, by ``--engine``; errors name ``--data``."""
    from cadence.pipeline import prepare, prepare_spark
    from features.io import LoadError

    try:
        if args.engine == "spark":
            return prepare_spark(
                str(data),
                now_ms=parse_now(args.now),
                master=args.spark_master,
                date_order=args.date_order,
            )
        return prepare(
            data,
            now_ms=parse_now(args.now),
            strict=args.strict,
            progress=not args.quiet,
            date_order=args.date_order,
        )
    except (LoadError, ValueError) as exc:
        raise SystemExit(f"--data {data}: {exc}") from exc


def require_users(prepared, data: Path | str, need: int, doing: str) -> None:
    """Stop, naming ``--data``, when the load left fewer than ``need`` users
    for ``doing`` ("to train"), with how many rows it kept (the load report
    says why the rest went)."""
    if len(prepared.features) >= need:
        return
    note = ""
    if prepared.logs is not None:
        report = prepared.logs.report
        note = (
            f" ({report.rows_kept:,} of {report.rows_read:,} rows kept: "
            "see the load report)"
        )
    users = "user" if need == 1 else "users"
    raise SystemExit(f"--data {data}: needs at least {need} {users} {doing}{note}")


def local_model_dir(uri: str) -> str | None:
    """A local model directory's absolute path, or None for a URI
    (``runs:/``, ``models:/``, ``scheme://``); a directory that does not exist
    is an error naming ``--model``."""
    if ":/" in uri:
        return None
    if not Path(uri).exists():
        raise SystemExit(f"--model {uri}: no such model directory")
    return str(Path(uri).resolve())


def read_detector(directory: str | Path, uri: str) -> CadenceDetector:
    """The fitted detector of a cadence model directory, read without MLflow.

    The directory's ``MLmodel`` names the detector's joblib file among the
    python_function flavour's artifacts; that file is what the model's
    ``load_context`` would read. Unpickling runs code: trusted models only.
    Errors name ``--model`` (``uri``).
    """
    import joblib
    import yaml

    from models.ensemble import DETECTOR_ARTIFACT, CadenceDetector

    spec_path = Path(directory) / "MLmodel"
    if not spec_path.is_file():
        raise SystemExit(f"--model {uri}: not an MLflow model (no MLmodel file)")
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SystemExit(f"--model {uri}: unreadable MLmodel file: {exc}") from exc
    pyfunc = (spec.get("flavors") or {}).get("python_function") or {}
    artifact = (pyfunc.get("artifacts") or {}).get(DETECTOR_ARTIFACT) or {}
    if "path" not in artifact:
        raise SystemExit(
            f"--model {uri}: not a cadence model (no {DETECTOR_ARTIFACT!r} artifact)"
        )
    try:
        detector = joblib.load(Path(directory) / artifact["path"])
    except (OSError, EOFError, ValueError) as exc:
        raise SystemExit(f"--model {uri}: cannot read the detector: {exc}") from exc
    if not isinstance(detector, CadenceDetector):
        raise SystemExit(f"--model {uri}: not a cadence model (no CadenceDetector)")
    return detector


def load_detector(uri: str):
    """Load a logged cadence model; errors name ``--model``."""
    import mlflow
    from mlflow.exceptions import MlflowException

    target = local_model_dir(uri) or uri
    try:
        model = mlflow.pyfunc.load_model(target)
    except (MlflowException, OSError) as exc:
        raise SystemExit(f"--model {uri}: cannot load a model: {exc}") from exc
    from models.pyfunc import CadenceModel

    inner = (
        model.unwrap_python_model() if hasattr(model, "unwrap_python_model") else None
    )
    if not isinstance(inner, CadenceModel):
        raise SystemExit(f"--model {uri}: not a cadence model (no CadenceModel inside)")
    return model, inner.detector
