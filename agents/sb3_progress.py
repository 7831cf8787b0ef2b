"""How an SB3 agent's training follows netgym's run: the learning-rate schedule, the run-wide
``progress_remaining`` and the progress callback (see ``docs/training.md``, "SB3 agents")."""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from .base import ProgressCallback
from .schedules import make_schedule


class LearningRateSchedule:
    """The learning rate SB3 uses, as a function of netgym's training progress.

    SB3 calls a schedule with its ``progress_remaining``, which runs from 1 to 0 within one
    ``learn`` call. netgym's progress spans the whole run (``TrainingContext.total_timesteps``,
    across resumed ``learn`` calls), so the schedule reads ``model.num_timesteps`` instead;
    with ``total_timesteps == 0`` (unknown) it falls back to SB3's own progress.

    Args:
        name: ``constant``, ``linear`` or ``rex`` (``netgym.agents.schedules``).
        initial: the learning rate at progress 0.
        total_timesteps: env steps of the whole run; 0 = unknown.
    """

    def __init__(self, name: str, initial: float, total_timesteps: int) -> None:
        self.name = name
        self.initial = initial
        self.total_timesteps = total_timesteps
        self._schedule = make_schedule(name, initial)
        self.model: BaseAlgorithm | None = None
        """the model whose ``num_timesteps`` measures progress (set once it exists)"""

    def progress(self, progress_remaining: float) -> float:
        """Training progress in [0, 1] given SB3's ``progress_remaining``."""
        if self.total_timesteps > 0 and self.model is not None:
            return self.model.num_timesteps / self.total_timesteps
        return 1.0 - progress_remaining

    def __call__(self, progress_remaining: float) -> float:
        return float(self._schedule(self.progress(progress_remaining)))

    def __getstate__(self) -> dict[str, Any]:
        # Never drag the model into a pickle (SB3 pickles schedules it is asked to save).
        return {**self.__dict__, "model": None}


class RunProgress:
    """Replaces a model's ``_update_current_progress_remaining`` during ``learn`` so that
    SB3's ``progress_remaining`` is ``1 - num_timesteps / total_timesteps`` of the whole run
    (clipped to [0, 1]) rather than of the current ``learn`` call."""

    def __init__(self, model: BaseAlgorithm, total_timesteps: int) -> None:
        self.model = model
        self.total_timesteps = total_timesteps

    def __call__(self, num_timesteps: int, total_timesteps: int) -> None:
        remaining = 1.0 - float(num_timesteps) / float(self.total_timesteps)
        self.model._current_progress_remaining = min(1.0, max(0.0, remaining))


def optimizer_learning_rate(model: BaseAlgorithm) -> float | None:
    """The learning rate in the model's (actor's) optimizer: the one SB3 actually used."""
    for owner in (getattr(model, "actor", None), getattr(model, "policy", None)):
        optimizer = getattr(owner, "optimizer", None)
        if optimizer is not None:
            return float(optimizer.param_groups[0]["lr"])
    return None


class ProgressReporter(BaseCallback):
    """Calls netgym's ``progress(steps_done, metrics)`` every ``every`` env steps and at the
    end; stops training when it returns False."""

    def __init__(self, progress: ProgressCallback | None, every: int) -> None:
        super().__init__()
        self.report = progress
        self.every = every
        self._last_report = 0
        self._stopped = False

    def metrics(self) -> dict[str, float]:
        """Mean return and length of the last finished episodes (VecMonitor), the learning
        rate in the optimizer and, for DQN, epsilon."""
        out: dict[str, float] = {}
        episodes = self.model.ep_info_buffer
        if episodes:
            out["episode_return"] = float(np.mean([episode["r"] for episode in episodes]))
            out["episode_length"] = float(np.mean([episode["l"] for episode in episodes]))
        learning_rate = optimizer_learning_rate(self.model)
        if learning_rate is not None:
            out["learning_rate"] = learning_rate
        if hasattr(self.model, "exploration_rate"):  # DQN's epsilon
            out["epsilon"] = float(self.model.exploration_rate)
        return out

    def _on_training_start(self) -> None:
        self._last_report = self.model.num_timesteps

    def _on_step(self) -> bool:
        if self.report is None or self.model.num_timesteps - self._last_report < self.every:
            return True
        self._last_report = self.model.num_timesteps
        keep_going = bool(self.report(self.model.num_timesteps, self.metrics()))
        self._stopped = not keep_going
        return keep_going

    def _on_training_end(self) -> None:
        if self.report is None or self._stopped:
            return
        if self.model.num_timesteps != self._last_report or self.model.num_timesteps == 0:
            self.report(self.model.num_timesteps, self.metrics())


__all__ = ["LearningRateSchedule", "ProgressReporter", "RunProgress", "optimizer_learning_rate"]
