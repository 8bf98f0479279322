"""The MLflow ``pyfunc`` face of a fitted :class:`~models.ensemble.CadenceDetector`.

``mlflow.pyfunc.load_model(uri).predict(features)`` returns one anomaly score per
row (higher = more likely automated). A bare IsolationForest logged through the
sklearn flavour would only ``predict`` ±1 through pyfunc; this wrapper returns the
continuous score, and serves ``mlflow.pyfunc.spark_udf`` unchanged.

The model is logged *from code* (MLflow's models-from-code): the model directory
holds ``model_code.py`` (this project's :mod:`models.model_code`, which builds a
:class:`CadenceModel`) and the fitted detector as a joblib file, an artifact
that :meth:`CadenceModel.load_context` reads. Loading a model therefore runs
that small file and unpickles the detector with joblib — both execute code:
load only models you trust.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from models.ensemble import DETECTOR_ARTIFACT, CadenceDetector

#: The file logged as the model's code (see :mod:`models.model_code`).
MODEL_CODE = Path(__file__).with_name("model_code.py")


class CadenceModel(PythonModel):
    """Wrap a fitted detector for MLflow.

    Parameters
    ----------
    detector : CadenceDetector, optional
        A fitted detector; None when MLflow builds the model from code, in which
        case :meth:`load_context` reads it from the model's artifacts.
    """

    def __init__(self, detector: CadenceDetector | None = None):
        self.detector = detector

    def load_context(self, context) -> None:
        """Read the fitted detector from the model's ``detector`` artifact."""
        import joblib

        path = context.artifacts.get(DETECTOR_ARTIFACT) if context else None
        if path is not None:
            self.detector = joblib.load(path)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.Series:
        """Anomaly scores of ``model_input`` (a feature table), higher = worse."""
        frame = model_input
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame, columns=self.detector.input_columns_)
        return pd.Series(
            np.asarray(self.detector.score_samples(frame), dtype=np.float64),
            index=frame.index,
            name="score",
        )
