"""The detector, its reasons, the analysis's rules and the MLflow model."""

#: Name of the logged model's artifact that holds the fitted detector (a joblib
#: file): :mod:`models.pyfunc` loads it through MLflow, :func:`cadence.cli.
#: read_detector` straight from a model directory.
DETECTOR_ARTIFACT = "detector"
