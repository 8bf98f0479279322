"""The code MLflow runs to build a cadence model (models from code).

``train.py`` logs this file as the model's ``python_model``; loading the model
executes it, then :meth:`models.pyfunc.CadenceModel.load_context` reads the
fitted detector from the model's artifacts.
"""

from mlflow.models import set_model

from models.pyfunc import CadenceModel

set_model(CadenceModel())
