"""The interface every learning agent implements, so that one ``train.py`` trains any of them.

An agent is created for one env (``create``), trained (``learn``, resumable: calling it again
continues from ``steps_done``), saved to a folder and loaded back (``save`` / ``load``; a
reloaded agent acts identically), and used as a policy through netgym's protocol
(``reset(env)`` before an episode, ``act(obs, info) -> action``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym

ProgressCallback = Callable[[int, dict[str, float]], bool]
"""``progress(steps_done, metrics) -> keep_going``: called by ``learn`` at least every few
thousand env steps (and at the end) with the total env steps done so far and a few metrics
(e.g. ``{"episode_return": ..., "epsilon": ...}``); returning False stops training early."""


@dataclass(frozen=True)
class TrainingContext:
    """What an agent is trained on and how (everything but the algorithm's hyperparameters)."""

    env_id: str
    """registered env id, e.g. 'netgym/AbrStreaming-v0'"""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """keyword arguments for gym.make / gym.make_vec"""
    seed: int = 0
    """training seed (evaluation seeds are disjoint, see netgym.agents.training)"""
    n_envs: int = 1
    """parallel training envs (a native vector env where the env has one)"""
    device: str = "auto"
    """'auto', 'cpu' or 'cuda' (torch agents only)"""
    lr_schedule: str = "constant"
    """'constant', 'linear' or 'rex' (see netgym.agents.schedules)"""
    total_timesteps: int = 0
    """env steps the whole run will train (across resumed ``learn`` calls), so schedules use
    progress = steps_done / total_timesteps; 0 = unknown, progress within each ``learn`` call"""
    out_dir: Path | None = None
    """run folder, for agents that log there (e.g. TensorBoard); None = no logging"""

    def to_json(self) -> dict[str, Any]:
        """The fields as JSON-ready data (``out_dir`` as a string), for ``agent.json`` files."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["out_dir"] = None if self.out_dir is None else str(self.out_dir)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainingContext:
        """The inverse of ``to_json``; unknown keys (from other versions) are ignored."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        if values.get("out_dir") is not None:
            values["out_dir"] = Path(values["out_dir"])
        return cls(**values)


class Agent(ABC):
    """Base class of netgym's learning agents."""

    name: ClassVar[str]
    """registry name, e.g. 'sarsa', 'ppo'"""
    requires: ClassVar[tuple[str, ...]] = ()
    """top-level modules the agent imports only when it trains (e.g. ``'sb3_contrib'``);
    ``get_agent_class`` refuses the agent when one is not installed"""

    @classmethod
    @abstractmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        """None if the agent can train on these spaces, else a sentence saying why not."""

    @classmethod
    @abstractmethod
    def create(cls, context: TrainingContext, config: dict[str, Any]) -> Agent:
        """A fresh, untrained agent; ``config`` holds the algorithm's hyperparameters."""

    @property
    @abstractmethod
    def steps_done(self) -> int:
        """Env steps trained so far (kept across save/load, so training can resume)."""

    @abstractmethod
    def learn(self, timesteps: int, progress: ProgressCallback | None = None) -> None:
        """Train for ``timesteps`` more env steps."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Save everything needed to act and to resume training into the folder ``path``
        (created if needed; no pickle of netgym objects)."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path, device: str = "auto") -> Agent:
        """Load an agent saved by ``save``."""

    @abstractmethod
    def reset(self, env: Any) -> None:
        """Called before each evaluation episode."""

    @abstractmethod
    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The action for ``obs`` (greedy / deterministic when evaluating)."""

    def set_total_timesteps(self, total_timesteps: int) -> None:
        """Re-plan the run for ``total_timesteps`` env steps in all (e.g. a resumed run given a
        larger ``--timesteps``): schedules then use ``steps_done / total_timesteps``, so from
        the current step on they follow the schedule of a run planned for the new total.

        The default replaces ``self.context`` when it is a ``TrainingContext``; an agent that
        keeps the total elsewhere overrides this (else it keeps its old plan, with a warning).
        """
        if isinstance(total_timesteps, bool) or not isinstance(total_timesteps, int):
            raise ValueError(f"total_timesteps must be an integer, got {total_timesteps!r}")
        if total_timesteps < 0:
            raise ValueError(f"total_timesteps must be >= 0, got {total_timesteps}")
        context = getattr(self, "context", None)
        if not isinstance(context, TrainingContext):
            logging.getLogger(__name__).warning(
                "%s keeps no TrainingContext: its schedules keep their old total timesteps",
                type(self).__name__,
            )
            return
        self.context = replace(context, total_timesteps=total_timesteps)

    def summary(self) -> dict[str, Any]:
        """What training found, as JSON data for ``eval.json``'s ``agent_summary`` (e.g. PSO's
        best parameters and score); empty by default."""
        return {}

    def close(self) -> None:
        """Release what the agent holds (its training envs); a no-op by default."""
        return None
