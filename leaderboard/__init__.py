"""Evaluation, protocols and the ``netgym`` command line."""

from .evaluate import EvaluationResult, evaluate

__all__ = ["EvaluationResult", "evaluate"]
