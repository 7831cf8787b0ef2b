"""stable-baselines3 agents: PPO, A2C, DQN, SAC, TD3 and sb3-contrib's MaskablePPO.

Each algorithm is one ``SB3Agent`` subclass (``PPOAgent`` ..., by name in ``SB3_AGENTS``) that
trains on ``make_sb3_vec_env`` (``sb3_vec_env.py``) wrapped in a ``VecMonitor`` and, with
``normalize`` in the config, a ``VecNormalize``. The config keys (``sb3_config.py``), the
saved-agent folder, how schedules span a resumed run (``sb3_progress.py``) and SB3's own logs
in the run folder (``sb3_logger.py``) are described in ``docs/training.md`` ("SB3 agents").
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import concatenate, create_empty_array
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv, VecMonitor, VecNormalize

from ..envs.core.make import is_parallel_env_id
from .base import Agent, ProgressCallback, TrainingContext
from .sb3_config import (
    initial_learning_rate,
    json_ready,
    observation_unsupported_reason,
    policy_kwargs,
    split_config,
)
from .sb3_logger import run_logger
from .sb3_progress import LearningRateSchedule, ProgressReporter, RunProgress
from .sb3_vec_env import make_sb3_vec_env
from .schedules import ZOO_SCHEDULED_KEYS, sb3_schedule

logger = logging.getLogger(__name__)

REPORT_EVERY = 1000
"""env steps between two calls of the progress callback"""

FORMAT_VERSION = 1
"""version of the saved-agent folder layout (agent.json's ``format``)"""


def _space_names(classes: tuple[type[gym.Space], ...]) -> str:
    return "/".join(cls.__name__ for cls in classes)


def _context_to_json(context: TrainingContext) -> dict[str, Any]:
    return json_ready(context.to_json(), "the training context (env_kwargs)")


class SB3Agent(Agent):
    """A stable-baselines3 algorithm as a netgym ``Agent`` (deterministic actions).

    Subclasses set ``name``, ``algorithm`` (``"module:Class"``) and ``action_spaces``.
    ``act`` takes what the env gives: one observation for a Gymnasium env, and for a
    PettingZoo env a dict of observations per agent (answered with a dict of actions).
    """

    algorithm: ClassVar[str]
    """the SB3 class, as ``"module:Class"``"""
    action_spaces: ClassVar[tuple[type[gym.Space], ...]]
    """action spaces the algorithm supports"""

    def __init__(
        self,
        model: BaseAlgorithm,
        context: TrainingContext,
        config: dict[str, Any],
        schedule: LearningRateSchedule,
        normalizer: VecNormalize | None,
    ) -> None:
        self.model = model
        self.context = context
        self.config = config
        self.schedule = schedule
        self.normalizer = normalizer
        self.multi_agent = is_parallel_env_id(context.env_id)
        self._env: Any = None

    # ------------------------------------------------------------------ class helpers
    @classmethod
    def algorithm_class(cls) -> type[BaseAlgorithm]:
        """The SB3 / sb3-contrib algorithm class."""
        import importlib

        module_name, _, class_name = cls.algorithm.partition(":")
        return getattr(importlib.import_module(module_name), class_name)

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        """None if the algorithm can train on these spaces, else why not."""
        if not isinstance(action_space, cls.action_spaces):
            return (
                f"{cls.name} needs a {_space_names(cls.action_spaces)} action space, "
                f"got {action_space}"
            )
        if isinstance(action_space, spaces.Box) and not (
            np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))
        ):
            return f"{cls.name} needs a bounded Box action space, got {action_space}"
        return observation_unsupported_reason(observation_space)

    @classmethod
    def _split_config(cls, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(algorithm kwargs, netgym keys) after checking every key against the constructor."""
        return split_config(cls.name, cls.algorithm_class(), config)

    @classmethod
    def _learning_rate(cls, kwargs: dict[str, Any]) -> float:
        """The initial learning rate, popped from ``kwargs`` (the constructor's default)."""
        return initial_learning_rate(cls.name, cls.algorithm_class(), kwargs)

    @classmethod
    def _check_env(cls, venv: VecEnv, context: TrainingContext) -> None:
        reason = cls.unsupported_reason(venv.observation_space, venv.action_space)
        if reason is None:
            return
        fitting = [
            name
            for name, agent in SB3_AGENTS.items()
            if agent.unsupported_reason(venv.observation_space, venv.action_space) is None
        ]
        raise ValueError(
            f"agent {cls.name!r} cannot train on {context.env_id}: {reason}. "
            f"SB3 agents that fit: {', '.join(fitting) or 'none'}"
        )

    @classmethod
    def _make_env(
        cls, context: TrainingContext, normalize: Any, seed: int
    ) -> tuple[VecEnv, VecNormalize | None]:
        venv = VecMonitor(
            make_sb3_vec_env(context.env_id, context.n_envs, seed, context.env_kwargs)
        )
        if not normalize:
            return venv, None
        options = normalize if isinstance(normalize, dict) else {}
        try:
            normalizer = VecNormalize(venv, **options)
        except TypeError as err:
            venv.close()
            raise ValueError(f"normalize options {options} are not VecNormalize's: {err}") from None
        return normalizer, normalizer

    # ------------------------------------------------------------------ Agent API
    @classmethod
    def create(cls, context: TrainingContext, config: dict[str, Any]) -> SB3Agent:
        """A fresh model on ``make_sb3_vec_env(context...)`` with the given hyperparameters.

        Raises:
            ValueError: an unknown or context-managed config key, a bad value, or an env whose
                spaces the algorithm does not support (the message names the agents that fit).
        """
        if cls is SB3Agent:
            raise TypeError("create an algorithm's agent (e.g. PPOAgent), not SB3Agent")
        config = json_ready(dict(config), f"{cls.name} config")
        kwargs, ours = cls._split_config(config)
        for key in ZOO_SCHEDULED_KEYS:  # rl-zoo's clip_range: lin_0.2
            if key in kwargs:
                kwargs[key] = sb3_schedule(kwargs[key], f"{cls.name} {key}")
        if "n_envs" in ours and ours["n_envs"] != context.n_envs:
            logger.warning(
                "%s config n_envs=%s ignored: the training context has n_envs=%s",
                cls.name,
                ours["n_envs"],
                context.n_envs,
            )
        schedule = LearningRateSchedule(
            context.lr_schedule, cls._learning_rate(kwargs), context.total_timesteps
        )
        if "policy_kwargs" in kwargs:
            kwargs["policy_kwargs"] = policy_kwargs(kwargs["policy_kwargs"])
        json_ready(context.env_kwargs, "env_kwargs")
        venv, normalizer = cls._make_env(context, ours.get("normalize"), context.seed)
        try:
            cls._check_env(venv, context)
            cls._check_masking(venv, context)
            policy = ours.get("policy") or (
                "MultiInputPolicy"
                if isinstance(venv.observation_space, spaces.Dict)
                else "MlpPolicy"
            )
            model = cls.algorithm_class()(
                policy,
                venv,
                learning_rate=schedule,
                seed=context.seed,
                device=context.device,
                verbose=0,
                **kwargs,
            )
        except (AssertionError, TypeError) as err:
            venv.close()
            raise ValueError(f"{cls.name} rejected the config {config}: {err}") from None
        except Exception:
            venv.close()
            raise
        schedule.model = model
        return cls(model, context, config, schedule, normalizer)

    @classmethod
    def _check_masking(cls, venv: VecEnv, context: TrainingContext) -> None:
        """Hook for MaskablePPO (needs envs with ``action_masks()``)."""

    @property
    def steps_done(self) -> int:
        """Env steps trained so far (SB3's ``num_timesteps``)."""
        return int(self.model.num_timesteps)

    def learn(self, timesteps: int, progress: ProgressCallback | None = None) -> None:
        """Train ``timesteps`` more env steps (SB3 may overshoot to finish a rollout).

        ``progress(steps_done, metrics)`` is called every ``REPORT_EVERY`` env steps and at the
        end; returning False stops early. ``metrics``: ``episode_return`` and
        ``episode_length`` (means over the last 100 finished episodes, once there are any),
        ``learning_rate`` (the optimizer's) and, for DQN, ``epsilon``.
        """
        if isinstance(timesteps, bool) or not isinstance(timesteps, (int, np.integer)):
            raise ValueError(f"timesteps must be an integer, got {timesteps!r}")
        if timesteps < 1:
            raise ValueError(f"timesteps must be >= 1, got {timesteps}")
        model = self.model
        if self.context.out_dir is not None and not getattr(model, "_custom_logger", False):
            # SB3's CSV (and TensorBoard) in the run folder: set at the first learn, so that
            # loading a saved agent to evaluate it never writes to its folder
            model.set_logger(run_logger(Path(self.context.out_dir), self.name, self.steps_done))
        total = self.context.total_timesteps
        if total > 0:
            # SB3's progress_remaining (which drives DQN's epsilon, clip_range and any other
            # callable schedule) would run from 1 to 0 within this call; make it span the run.
            model._update_current_progress_remaining = RunProgress(model, total)  # type: ignore[method-assign]
        try:
            model.learn(
                int(timesteps),
                callback=ProgressReporter(progress, REPORT_EVERY),
                reset_num_timesteps=False,
                tb_log_name=self.name,
                progress_bar=False,
            )
        finally:
            # An instance attribute only while learning: never saved with the model.
            model.__dict__.pop("_update_current_progress_remaining", None)

    def set_total_timesteps(self, total_timesteps: int) -> None:
        """Re-plan the run for ``total_timesteps`` (the context and the learning-rate schedule)."""
        super().set_total_timesteps(total_timesteps)
        self.schedule.total_timesteps = total_timesteps

    def close(self) -> None:
        """Close the training env."""
        env = self.model.get_env()
        if env is not None:
            env.close()

    def save(self, path: Path) -> None:
        """Write ``model.zip``, ``agent.json`` and (if used) ``vecnormalize.pkl`` to ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        # The schedule is rebuilt from agent.json on load, so nothing of netgym is pickled.
        self.model.save(path / "model.zip", exclude=["learning_rate", "lr_schedule"])
        if self.normalizer is not None:
            self.normalizer.save(str(path / "vecnormalize.pkl"))
        meta = {
            "format": FORMAT_VERSION,
            "agent": self.name,
            "algorithm": self.algorithm,
            "config": self.config,
            "context": _context_to_json(self.context),
            "steps_done": self.steps_done,
            "learning_rate": self.schedule.initial,
        }
        (path / "agent.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> SB3Agent:
        """Load an agent saved by ``save``; its training env is rebuilt from the context.

        The rebuilt env is seeded ``seed + steps_done``, so that resumed training does not
        replay the episodes the run started with. ``SB3Agent.load`` loads any algorithm.

        Raises:
            FileNotFoundError: ``path`` has no ``agent.json`` or ``model.zip``.
            ValueError: the folder holds another agent than ``cls``.
        """
        path = Path(path)
        for name in ("agent.json", "model.zip"):
            if not (path / name).is_file():
                raise FileNotFoundError(f"{path} is not a saved SB3 agent: {name} is missing")
        meta = json.loads((path / "agent.json").read_text())
        agent_class = SB3_AGENTS.get(meta.get("agent"))
        if agent_class is None:
            raise ValueError(f"{path} holds an unknown agent {meta.get('agent')!r}")
        if cls is not SB3Agent and agent_class is not cls:
            raise ValueError(f"{path} holds a {agent_class.name!r} agent, not {cls.name!r}")
        context = TrainingContext.from_json(meta["context"])
        config = meta["config"]
        steps_done = int(meta.get("steps_done", 0))
        kwargs, _ = agent_class._split_config(config)
        schedule = LearningRateSchedule(
            context.lr_schedule, agent_class._learning_rate(kwargs), context.total_timesteps
        )
        venv = VecMonitor(
            make_sb3_vec_env(context.env_id, context.n_envs, None, context.env_kwargs)
        )
        normalizer = None
        if (path / "vecnormalize.pkl").is_file():
            normalizer = VecNormalize.load(str(path / "vecnormalize.pkl"), venv)
            venv = normalizer
        model = agent_class.algorithm_class().load(
            path / "model.zip", env=venv, device=device, learning_rate=schedule
        )
        # SB3's load re-seeds the env with the original seed; seed it for the resumed run.
        venv.seed(context.seed + steps_done)
        schedule.model = model
        return agent_class(model, context, config, schedule, normalizer)

    def reset(self, env: Any) -> None:
        """Remember the env (MaskablePPO reads its ``action_masks()``); policies are
        feed-forward, so there is no state to clear."""
        self._env = env

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The deterministic action for ``obs`` (a dict per agent for PettingZoo envs)."""
        if self.multi_agent:
            return self._act_agents(obs, info)
        action, _ = self.model.predict(
            self._normalize(obs), deterministic=True, **self._predict_kwargs(info)
        )
        return self._env_action(action)

    # ------------------------------------------------------------------ acting helpers
    def _normalize(self, obs: Any) -> Any:
        return obs if self.normalizer is None else self.normalizer.normalize_obs(obs)

    def _predict_kwargs(self, info: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _env_action(self, action: Any) -> Any:
        if isinstance(self.model.action_space, spaces.Discrete):
            return int(action)
        return action

    def _act_agents(self, obs: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
        agents = list(obs)
        space = self.model.observation_space
        batch = concatenate(
            space, [obs[agent] for agent in agents], create_empty_array(space, len(agents))
        )
        actions, _ = self.model.predict(self._normalize(batch), deterministic=True)
        return {agent: self._env_action(actions[i]) for i, agent in enumerate(agents)}


class PPOAgent(SB3Agent):
    """Proximal Policy Optimisation (stable-baselines3 ``PPO``)."""

    name = "ppo"
    algorithm = "stable_baselines3:PPO"
    action_spaces = (spaces.Discrete, spaces.MultiDiscrete, spaces.Box, spaces.MultiBinary)


class A2CAgent(SB3Agent):
    """Advantage Actor-Critic (stable-baselines3 ``A2C``)."""

    name = "a2c"
    algorithm = "stable_baselines3:A2C"
    action_spaces = (spaces.Discrete, spaces.MultiDiscrete, spaces.Box, spaces.MultiBinary)


class DQNAgent(SB3Agent):
    """Deep Q-Network (stable-baselines3 ``DQN``); Discrete actions only."""

    name = "dqn"
    algorithm = "stable_baselines3:DQN"
    action_spaces = (spaces.Discrete,)


class SACAgent(SB3Agent):
    """Soft Actor-Critic (stable-baselines3 ``SAC``); bounded Box actions only."""

    name = "sac"
    algorithm = "stable_baselines3:SAC"
    action_spaces = (spaces.Box,)


class TD3Agent(SB3Agent):
    """Twin Delayed DDPG (stable-baselines3 ``TD3``); bounded Box actions only."""

    name = "td3"
    algorithm = "stable_baselines3:TD3"
    action_spaces = (spaces.Box,)


class MaskablePPOAgent(SB3Agent):
    """PPO with invalid-action masking (sb3-contrib ``MaskablePPO``).

    Training reads the masks through the VecEnv's ``env_method("action_masks")``, so the env
    (or its native vector env) must expose ``action_masks()``. When acting, the mask is
    ``info["action_mask"]`` if the env puts one there (the mask for the observation just
    returned), else the ``action_masks()`` of the env given to ``reset(env)``; with neither,
    the policy acts unmasked.
    """

    name = "maskable-ppo"
    algorithm = "sb3_contrib:MaskablePPO"
    requires = ("sb3_contrib",)
    action_spaces = (spaces.Discrete, spaces.MultiDiscrete)

    @classmethod
    def _check_masking(cls, venv: VecEnv, context: TrainingContext) -> None:
        from sb3_contrib.common.maskable.utils import is_masking_supported

        supported = False
        try:
            supported = is_masking_supported(venv)
        except NotImplementedError:
            supported = False
        if not supported:
            raise ValueError(
                f"agent {cls.name!r} needs an env with an action_masks() method; "
                f"{context.env_id} has none (use 'ppo' instead)"
            )

    def _predict_kwargs(self, info: dict[str, Any]) -> dict[str, Any]:
        mask = info.get("action_mask") if isinstance(info, dict) else None
        if mask is None and self._env is not None:
            get_attr = getattr(self._env, "get_wrapper_attr", None)
            try:
                method = get_attr("action_masks") if get_attr else self._env.action_masks
            except AttributeError:
                method = None
            mask = None if method is None else method()
        return {} if mask is None else {"action_masks": np.asarray(mask)}


SB3_AGENTS: dict[str, type[SB3Agent]] = {
    agent.name: agent
    for agent in (PPOAgent, A2CAgent, DQNAgent, SACAgent, TD3Agent, MaskablePPOAgent)
}
"""agent name -> class, for every SB3 agent"""

ALGORITHMS: tuple[str, ...] = tuple(SB3_AGENTS)
"""names of the SB3 agents"""

__all__ = [
    "ALGORITHMS",
    "SB3_AGENTS",
    "A2CAgent",
    "DQNAgent",
    "LearningRateSchedule",
    "MaskablePPOAgent",
    "PPOAgent",
    "SACAgent",
    "SB3Agent",
    "TD3Agent",
]
