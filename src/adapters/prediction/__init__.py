"""Predictor adapters: prediction runs where the models live (a warm local process, the Space, Dask),
never in the API process, which installs no model library."""

from adapters.prediction.by_reference import Send, predict_by_reference
from adapters.prediction.local import WarmProcessPredictor

__all__ = ["Send", "WarmProcessPredictor", "predict_by_reference"]
