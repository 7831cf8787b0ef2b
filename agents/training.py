"""Training any registered agent on any netgym env: the code behind ``train.py``.

``prepare_run(settings)`` resolves the configuration (``run_config.py``), checks that the agent
fits the env, claims the run folder (``run_folder.py``) and creates the agent, or loads the
latest checkpoint of a run to resume; ``TrainingRun.train`` calls ``Agent.learn`` in
checkpoint-sized chunks, logs progress and saves checkpoints and the final model (Ctrl-C saves a
checkpoint and raises ``TrainingInterrupted``); ``TrainingRun.evaluate`` scores the agent and the
env's baselines on held-out seeds and writes ``eval.json``. The run folder and the seeds are
described in ``docs/training.md``. This module never prints; the command line
(``netgym.cli.train``, run by ``train.py``) does.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from netgym.provenance import git_commit, netgym_version

from . import compatible_agents, env_spaces, get_agent_class
from .base import Agent, ProgressCallback, TrainingContext
from .config_loader import resolve_config
from .progress_log import ProgressLog, tensorboard_writer
from .run_config import (
    DEFAULT_CHECKPOINTS,
    DEFAULT_EVAL_EPISODES,
    DEFAULT_TIMESTEPS,
    EVAL_SEED_OFFSET,
    MAX_N_ENVS,
    MAX_TIMESTEPS,
    RESUMABLE,
    RunConfig,
    TrainingSettings,
)
from .run_config import DEVICES as DEVICES  # re-exported: the training command line reads it
from .run_config import plain as _plain
from .run_folder import RUN_FILES as RUN_FILES  # re-exported (was defined here)
from .run_folder import (
    RUNS_ROOT,
    check_folder,
    checkpoints,
    clear_folder,
    load_latest,
    run_folder,
)

log = logging.getLogger(__name__)


class TrainingInterrupted(Exception):
    """Training stopped on Ctrl-C after saving a checkpoint."""

    def __init__(self, checkpoint: Path, steps_done: int, out_dir: Path) -> None:
        super().__init__(f"interrupted at step {steps_done}; checkpoint saved to {checkpoint}")
        self.checkpoint = checkpoint
        """the checkpoint folder written on the interruption"""
        self.steps_done = steps_done
        """env steps trained when it stopped"""
        self.out_dir = out_dir
        """the run folder, to pass to ``resume``"""


def resolve_run_config(settings: TrainingSettings) -> RunConfig:
    """Resolve a fresh run's configuration from the settings and the config files.

    Raises:
        ValueError: missing env or agent, unknown agent, bad config or out-of-range setting.
        FileNotFoundError: the ``config_file`` does not exist.
    """
    if settings.env is None or settings.agent is None:
        raise ValueError("give --env ID and --agent NAME (or --resume DIR)")
    get_agent_class(settings.agent)  # unknown agents fail before any file is read
    resolved = resolve_config(
        settings.agent, settings.env, settings.config_file, settings.hyperparams
    )
    trainer = resolved.trainer
    for key in ("n_timesteps", "n_envs"):  # YAML reads 1e6 as a float
        if isinstance(trainer.get(key), float) and trainer[key].is_integer():
            trainer[key] = int(trainer[key])
    seed = 0 if settings.seed is None else settings.seed
    timesteps = _first(settings.timesteps, trainer.get("n_timesteps"), DEFAULT_TIMESTEPS)
    checkpoint_every = settings.checkpoint_every
    if checkpoint_every is None and isinstance(timesteps, int):
        checkpoint_every = max(1, math.ceil(timesteps / DEFAULT_CHECKPOINTS))
    config = RunConfig(
        env=settings.env,
        agent=settings.agent,
        timesteps=timesteps,
        seed=seed,
        n_envs=_first(settings.n_envs, trainer.get("n_envs"), 1),
        env_kwargs={**trainer.get("env_kwargs", {}), **(settings.env_kwargs or {})},
        lr_schedule=_first(settings.lr_schedule, trainer.get("lr_schedule"), "constant"),
        device=_first(settings.device, "auto"),
        checkpoint_every=_first(checkpoint_every, 1),  # 1 only with a bad timesteps (below)
        eval_episodes=_first(settings.eval_episodes, DEFAULT_EVAL_EPISODES),
        eval_seed=_first(settings.eval_seed, EVAL_SEED_OFFSET + seed),
        eval_baselines=settings.eval_baselines,
        hyperparams=resolved.hyperparams,
        config_sources=resolved.sources,
        netgym_version=netgym_version(),
        git_commit=git_commit(),
    )
    config.validate()
    return config


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)


# ---------------------------------------------------------------------------------- the run
def prepare_run(settings: TrainingSettings, runs_root: Path = RUNS_ROOT) -> TrainingRun:
    """Check everything, claim the run folder and create (or, to resume, load) the agent.

    Every input is checked before the folder is touched, so a typo leaves no files behind.

    Raises:
        ValueError: unknown env or agent, an agent that does not fit the env's spaces (the
            message names the agents that do), bad hyperparameters or settings, or a
            non-empty run folder without ``overwrite``.
        FileNotFoundError: a missing config file or resume folder.
        netgym.agents.AgentUnavailableError: the agent's module cannot be imported.
    """
    if settings.resume is not None:
        return _prepare_resume(settings)
    config = resolve_run_config(settings)
    config.check_device()
    agent_class = get_agent_class(config.agent)
    check_compatible(agent_class, config.agent, config.env, config.env_kwargs)
    baseline_names(config)  # a misspelt baseline fails now, not after training
    out_dir = settings.out or run_folder(config.env, config.agent, config.seed, runs_root)
    check_folder(out_dir, settings.overwrite)
    try:
        agent = agent_class.create(_context(config, out_dir), dict(config.hyperparams))
    except TypeError as err:  # an unknown or misspelt hyperparameter
        raise ValueError(f"bad hyperparameters for agent {config.agent!r}: {err}") from None
    clear_folder(out_dir)
    (out_dir / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
    return TrainingRun(config, agent, out_dir)


def check_compatible(
    agent_class: type[Agent], agent: str, env_id: str, env_kwargs: dict[str, Any]
) -> None:
    """Raise ``ValueError`` (naming the agents that fit) if ``agent`` cannot train on the env."""
    observation_space, action_space = env_spaces(env_id, env_kwargs)
    reason = agent_class.unsupported_reason(observation_space, action_space)
    if reason is not None:
        fitting = compatible_agents(env_id, env_kwargs)
        raise ValueError(
            f"agent {agent!r} cannot train on {env_id}: {reason}; agents that fit this env: "
            f"{', '.join(fitting) or 'none'}"
        )


def _context(config: RunConfig, out_dir: Path) -> TrainingContext:
    return TrainingContext(
        env_id=config.env,
        env_kwargs=dict(config.env_kwargs),
        seed=config.seed,
        n_envs=config.n_envs,
        device=config.device,
        lr_schedule=config.lr_schedule,
        total_timesteps=config.timesteps,
        out_dir=out_dir,
    )


def _prepare_resume(settings: TrainingSettings) -> TrainingRun:
    folder = Path(settings.resume)
    if not folder.is_dir():
        raise FileNotFoundError(f"--resume folder {folder} does not exist")
    fixed = {
        "--env": settings.env,
        "--agent": settings.agent,
        "--seed": settings.seed,
        "--n-envs": settings.n_envs,
        "--env-kwargs": settings.env_kwargs,
        "--config": settings.config_file,
        "--hyperparams": settings.hyperparams or None,
        "--lr-schedule": settings.lr_schedule,
        "--out": settings.out,
        "--overwrite": settings.overwrite or None,
    }
    given = [flag for flag, value in fixed.items() if value is not None]
    if given:
        raise ValueError(
            f"--resume continues a run with the configuration in {folder / 'config.yaml'}; "
            f"{', '.join(given)} cannot be given with it (start a new run to change them)"
        )
    config = RunConfig.from_folder(folder)
    for name in RESUMABLE:
        if getattr(settings, name) is not None:
            setattr(config, name, getattr(settings, name))
    config.validate()
    config.check_device()
    baseline_names(config)
    agent_class = get_agent_class(config.agent)
    agent = load_latest(folder, agent_class, config.device)
    context = getattr(agent, "context", None)
    if isinstance(context, TrainingContext) and context.out_dir != folder:
        agent.context = replace(context, out_dir=folder)  # logs go where the run is now
    # The loaded agent plans for the total it was saved with; a larger --timesteps re-plans
    # its schedules over the new total (from the current step on, they follow the schedule of
    # a run planned for the new total).
    agent.set_total_timesteps(config.timesteps)
    (folder / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
    return TrainingRun(config, agent, folder)


@dataclass
class TrainingResult:
    """What one ``TrainingRun.train`` call did."""

    steps_done: int
    """env steps trained in all, across resumes"""
    start_steps: int
    """env steps already trained when this call started (0 unless resumed)"""
    wall_s: float
    """wall time of this call"""
    total_wall_s: float
    """wall time of the whole run, across resumes (the last ``wall_s`` of progress.csv)"""

    @property
    def steps_per_s(self) -> float:
        """Env steps per second of this call."""
        return (self.steps_done - self.start_steps) / max(self.wall_s, 1e-9)


class TrainingRun:
    """One agent being trained in one run folder (built by ``prepare_run``)."""

    def __init__(self, config: RunConfig, agent: Agent, out_dir: Path) -> None:
        self.config = config
        """the resolved configuration (as in config.yaml)"""
        self.agent = agent
        """the agent being trained"""
        self.out_dir = out_dir
        """the run folder"""
        self.result: TrainingResult | None = None
        """set by ``train``"""
        self._stop_requested = False

    @property
    def steps_done(self) -> int:
        """Env steps trained so far."""
        return self.agent.steps_done

    def save_checkpoint(self) -> Path:
        """Save the agent to ``checkpoints/step-<steps_done>/`` (replacing one of that name)."""
        path = self.out_dir / "checkpoints" / f"step-{self.agent.steps_done}"
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.agent.save(path)
        log.info("checkpoint saved to %s", path)
        return path

    def train(self, progress: ProgressCallback | None = None) -> TrainingResult:
        """Train up to ``config.timesteps`` env steps, then save ``model/``.

        ``progress(steps_done, metrics)`` is called whenever the agent reports progress and after
        each chunk (with no metrics); its return value is ignored. The first Ctrl-C asks the agent
        to stop at its next progress report (its callback returns False); a second one, or an
        agent that raises ``KeyboardInterrupt``, stops it at once. Either way a checkpoint is
        saved and ``TrainingInterrupted`` raised.

        Raises:
            TrainingInterrupted: on Ctrl-C, after the checkpoint is saved.
            RuntimeError: the agent's ``learn`` trained no step.
        """
        total = self.config.timesteps
        every = self.config.checkpoint_every or total
        progress_log = ProgressLog(self.out_dir / "progress.csv")
        start_steps = self.agent.steps_done
        progress_log.drop_after(start_steps)
        wall_before = progress_log.last_wall_s
        writer = tensorboard_writer(self.out_dir / "tb" / "progress")
        started = time.perf_counter()
        self._stop_requested = False

        def report(steps: int, metrics: dict[str, float]) -> bool:
            progress_log.append(steps, wall_before + time.perf_counter() - started, metrics)
            if writer is not None:
                for key, value in metrics.items():
                    writer.add_scalar(f"train/{key}", value, steps)
            if progress is not None:
                progress(steps, metrics)
            return not self._stop_requested

        try:
            with _stop_on_sigint(self._request_stop):
                while self.agent.steps_done < total and not self._stop_requested:
                    before = self.agent.steps_done
                    target = min((before // every + 1) * every, total)
                    self.agent.learn(target - before, report)
                    if self.agent.steps_done <= before:
                        raise RuntimeError(
                            f"agent {self.config.agent!r} trained no step in learn"
                            f"({target - before}) (steps_done stayed at {before})"
                        )
                    if progress is not None:
                        progress(self.agent.steps_done, {})
                    if self.agent.steps_done < total and not self._stop_requested:
                        self.save_checkpoint()
        except KeyboardInterrupt:
            self._stop_requested = True
        finally:
            if writer is not None:
                writer.close()
        wall_s = time.perf_counter() - started
        if self._stop_requested:
            raise TrainingInterrupted(self.save_checkpoint(), self.agent.steps_done, self.out_dir)
        model = self.out_dir / "model"
        if model.exists():
            shutil.rmtree(model)
        self.agent.save(model)
        self.result = TrainingResult(
            steps_done=self.agent.steps_done,
            start_steps=start_steps,
            wall_s=wall_s,
            total_wall_s=wall_before + wall_s,
        )
        return self.result

    def _request_stop(self) -> None:
        self._stop_requested = True

    def evaluate(self, video_dir: Path | None = None) -> dict[str, Any]:
        """Score the agent and the env's baselines on the evaluation seeds; write ``eval.json``.

        The env is reset with ``eval_seed`` before the first episode and unseeded afterwards
        (``netgym.evaluation.evaluate``), so every policy plays the same episodes in an env whose
        next episode does not depend on the actions; QuantumNetworkScheduling's does, and there
        only the first episode is shared (its leaderboard protocol plays one episode per
        evaluation seed, and validation resets each episode with its own seed: ``evaluate``'s
        ``reseed``).
        With ``video_dir``, the agent's episodes are recorded there as mp4 files (needs
        ``netgym[video]``); the baselines' are not.
        On a PettingZoo env the returns are team returns (the agents' rewards summed) and each
        result also holds ``agent_returns``; the baseline beside the agent is ``random``.

        Returns:
            The content of ``eval.json``: ``agent`` and ``baselines`` (name -> the
            ``EvaluationResult.to_dict()``: mean, std, returns, mean_reward, ...), the seeds and,
            after ``train``, a ``training`` block (steps, wall time, steps/s).
        """
        from netgym.evaluation import evaluate

        config = self.config
        payload: dict[str, Any] = {
            "env": config.env,
            "env_kwargs": _plain(config.env_kwargs),
            "episodes": config.eval_episodes,
            "seed": config.eval_seed,
            "agent": None,
            "baselines": {},
        }
        agent_summary = self.agent.summary()
        if agent_summary:
            payload["agent_summary"] = agent_summary
        if self.result is not None:
            payload["training"] = {
                "steps_done": self.result.steps_done,
                "wall_s": self.result.total_wall_s,
                "steps_per_s": self.result.steps_per_s,
            }
        if config.eval_episodes == 0:
            payload["skipped"] = "eval_episodes is 0"
        else:
            result = evaluate(
                self.agent,
                config.env,
                config.eval_episodes,
                config.eval_seed,
                config.env_kwargs,
                video_dir=video_dir,
            )
            result.policy = config.agent
            payload["agent"] = {"steps_done": self.agent.steps_done, **result.to_dict()}
            for name in baseline_names(config):
                baseline = evaluate(
                    name, config.env, config.eval_episodes, config.eval_seed, config.env_kwargs
                )
                baseline.policy = name
                payload["baselines"][name] = baseline.to_dict()
        text = json.dumps(_plain(payload), indent=2)
        (self.out_dir / "eval.json").write_text(text + "\n", encoding="utf-8")
        return payload


def baseline_names(config: RunConfig) -> list[str]:
    """The baselines evaluated beside the agent: ``eval_baselines``, or all of the env's that
    can act on it with ``env_kwargs`` (a baseline with a ``supports(env)`` method answering
    False, e.g. a MoE routing rule that needs ``action_mode='assign'``, is left out).

    Raises:
        ValueError: an ``eval_baselines`` name unknown for the env (the message lists the known).
    """
    import gymnasium as gym
    from netgym.baselines import BASELINES, make_policy
    from netgym.envs.make import is_parallel_env_id
    from netgym.evaluation import PARALLEL_POLICIES

    if is_parallel_env_id(config.env):
        names = list(PARALLEL_POLICIES if config.eval_baselines is None else config.eval_baselines)
        unknown = [name for name in names if name not in PARALLEL_POLICIES]
        if unknown:
            raise ValueError(
                f"unknown baselines {unknown} for the PettingZoo env {config.env}; known: "
                f"{list(PARALLEL_POLICIES)} (the family's baselines act on its Gymnasium env)"
            )
        return names
    if config.eval_baselines is not None:
        for name in config.eval_baselines:
            make_policy(config.env, name)
        return list(config.eval_baselines)
    names = list(BASELINES.get(config.env.split(":", 1)[-1], {}))
    policies = {name: make_policy(config.env, name) for name in names}
    if not any(hasattr(policy, "supports") for policy in policies.values()):
        return names
    env = gym.make(config.env, **config.env_kwargs)
    try:
        return [
            name
            for name, policy in policies.items()
            if not hasattr(policy, "supports") or policy.supports(env)
        ]
    finally:
        env.close()


# ---------------------------------------------------------------------------------- helpers
@contextmanager
def _stop_on_sigint(request_stop: Any) -> Iterator[None]:
    """Turn the first SIGINT into ``request_stop()``; the next one raises KeyboardInterrupt.

    Only in the main thread of a process whose SIGINT handler is Python's default.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        request_stop()

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


__all__ = [
    "DEFAULT_EVAL_EPISODES",
    "DEFAULT_TIMESTEPS",
    "EVAL_SEED_OFFSET",
    "MAX_N_ENVS",
    "MAX_TIMESTEPS",
    "RunConfig",
    "TrainingInterrupted",
    "TrainingResult",
    "TrainingRun",
    "TrainingSettings",
    "baseline_names",
    "check_compatible",
    "checkpoints",
    "prepare_run",
    "resolve_run_config",
    "run_folder",
]
