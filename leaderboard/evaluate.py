"""Moved to netgym.evaluation; this re-export keeps the old import path for one release."""

from netgym.evaluation import EvaluationResult, evaluate

__all__ = ["EvaluationResult", "evaluate"]
