"""Find a logged cadence model and copy it to a local directory.

``python -m cadence.locate --dst DIR --tracking-uri U --experiment E
[--model URI]`` resolves ``--model`` (``runs:/…``, ``models:/…``) or, without
it, the model of the newest finished training run of the experiment, copies
that model's directory into ``DIR`` and prints one JSON line: ``{"uri": …,
"path": …}``, or on failure ``{"error": …}`` and exits 2.

score.py runs this in a child process while it reads the logs: MLflow's
imports and the tracking store cost seconds of Python, which would otherwise
stand in line with the reading (a thread shares the interpreter's lock). The
model directory it leaves is then read with :func:`cadence.cli.read_detector`,
without MLflow. It imports nothing but MLflow.
"""

from __future__ import annotations

import argparse
import json
import sys

#: Tag set on training runs that log a model (the default model search).
MODEL_TAG = "cadence_model"


def newest_model_uri(experiment: str) -> str:
    """The model of the newest finished training run of ``experiment``."""
    import mlflow

    if mlflow.get_experiment_by_name(experiment) is None:
        raise SystemExit(
            f"--model not given and experiment {experiment!r} does not exist in "
            f"{mlflow.get_tracking_uri()}; train first (python train.py) or pass "
            "--model"
        )
    runs = mlflow.search_runs(
        experiment_names=[experiment],
        filter_string=f"tags.{MODEL_TAG} = 'true' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if runs.empty:
        raise SystemExit(
            f"--model not given and experiment {experiment!r} has no finished "
            "training run with a model; train first or pass --model"
        )
    return f"runs:/{runs.run_id.iloc[0]}/model"


def locate(model: str | None, experiment: str, dst: str) -> dict[str, str]:
    """``{"uri", "path"}``: the model's URI and its copy under ``dst``."""
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = model or newest_model_uri(experiment)
    try:
        path = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=dst)
    except (MlflowException, OSError) as exc:
        raise SystemExit(f"--model {uri}: cannot load a model: {exc}") from exc
    return {"uri": uri, "path": path}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cadence.locate")
    p.add_argument("--dst", required=True, help="directory to copy the model into")
    p.add_argument("--model", help="model URI (default: newest training run's)")
    p.add_argument("--tracking-uri", required=True)
    p.add_argument("--experiment", required=True)
    args = p.parse_args(argv)
    import mlflow

    mlflow.set_tracking_uri(args.tracking_uri)
    try:
        found = locate(args.model, args.experiment, args.dst)
    except SystemExit as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
