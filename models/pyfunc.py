"""The MLflow ``pyfunc`` face of a fitted :class:`~models.ensemble.CadenceDetector`.

``mlflow.pyfunc.load_model(uri).predict(features)`` returns one anomaly score per
row (higher = more likely automated). A bare IsolationForest logged through the
sklearn flavour would only ``predict`` ±1 through pyfunc; this wrapper returns the
continuous score, and serves ``mlflow.pyfunc.spark_udf`` unchanged.

The wrapped detector travels inside the model (cloudpickle), with its feature
list, transforms, normalisers and threshold, so scoring reproduces training.
Loading a model unpickles it: load only models you trust.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from models.ensemble import CadenceDetector


class CadenceModel(PythonModel):
    """Wrap a fitted detector for MLflow.

    Parameters
    ----------
    detector : CadenceDetector
        A fitted detector.
    """

    def __init__(self, detector: CadenceDetector):
        self.detector = detector

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.Series:
        """Anomaly scores of ``model_input`` (a feature table), higher = worse."""
        frame = model_input
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame, columns=self.detector.columns_)
        return pd.Series(
            np.asarray(self.detector.score_samples(frame), dtype=np.float64),
            index=frame.index,
            name="score",
        )
