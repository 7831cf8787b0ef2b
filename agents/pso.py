"""Particle swarm optimisation (PSO) of a policy's parameters, scored by mean episodic return.

``PsoAgent`` searches the parameters of a parameterised policy (``netgym.agents.pso_policies``)
with the swarm of ``netgym.baselines.swarm``. One ``learn`` iteration scores every particle on
``episodes_per_eval`` episodes in one native vector env, with common random numbers (every
particle meets the same episode seeds) and, by default, the personal bests re-scored on the same
episodes. The evaluation protocol, its seeds and what ``best_score`` and ``steps_done`` mean are
described in ``docs/training.md`` ("PSO").
"""

from __future__ import annotations

import json
import logging
import numbers
import operator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ..baselines.swarm import C_CONSTRICTION, W_CONSTRICTION, ParticleSwarm, as_bounds
from ..envs.core.make import is_parallel_env_id, make_env, make_vector_env
from .base import Agent, ProgressCallback, TrainingContext
from .pso_policies import ParameterisedPolicy, make_policy, policy_names, policy_unsupported_reason

logger = logging.getLogger(__name__)

_CONFIG_FILE = Path(__file__).parent / "config" / "pso.yaml"
_FORMAT_VERSION = 1


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


# --------------------------------------------------------------------------------- config
CONFIG_KEYS = (
    "policy",
    "policy_kwargs",
    "n_particles",
    "w",
    "c1",
    "c2",
    "v_max_frac",
    "episodes_per_eval",
    "bounds",
    "include_default_params",
    "common_random_numbers",
    "reevaluate_bests",
    "max_episode_steps",
)


def default_config(env_id: str | None = None) -> dict[str, Any]:
    """The ``default`` block of ``agents/config/pso.yaml`` overlaid with ``env_id``'s block."""
    from .config_loader import DEFAULT_BLOCK, load_yaml, packaged_config_text, resolve_config

    if env_id is None:
        text = packaged_config_text("pso")
        if text is None:
            raise FileNotFoundError(f"PSO's packaged config {_CONFIG_FILE} is missing")
        return dict(load_yaml(text, "packaged config pso.yaml")[DEFAULT_BLOCK])
    # The same layering (and YAML reading) as train.py's, without user files or overrides.
    return resolve_config("pso", env_id).hyperparams


def resolve_config(env_id: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults for ``env_id`` overlaid with ``config``, validated.

    Raises:
        ValueError: an unknown key or a bad value, naming it.
    """
    config = dict(config or {})
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise ValueError(f"unknown PSO config keys {unknown}; known: {list(CONFIG_KEYS)}")
    resolved = {**default_config(env_id), **config}
    if resolved["policy"] not in policy_names():
        raise ValueError(f"unknown PSO policy {resolved['policy']!r}; registered: {policy_names()}")
    if not isinstance(resolved["policy_kwargs"], dict):
        raise ValueError(f"policy_kwargs must be a mapping, got {resolved['policy_kwargs']!r}")
    _check_int("n_particles", resolved["n_particles"], 2)
    _check_int("episodes_per_eval", resolved["episodes_per_eval"], 1)
    for key in ("w", "c1", "c2"):
        value = resolved[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{key} must be a number >= 0, got {value!r}")
    value = resolved["v_max_frac"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(f"v_max_frac must be in (0, 1], got {value!r}")
    for key in ("include_default_params", "common_random_numbers", "reevaluate_bests"):
        if not isinstance(resolved[key], bool):
            raise ValueError(f"{key} must be true or false, got {resolved[key]!r}")
    if resolved["max_episode_steps"] is not None:
        _check_int("max_episode_steps", resolved["max_episode_steps"], 1)
    return resolved


def _search_box(bounds: Any, policy: ParameterisedPolicy) -> tuple[np.ndarray, np.ndarray]:
    """The config's ``bounds`` (null, ``[low, high]`` or ``[[low, high], ...]``) as arrays."""
    n_params = policy.n_params
    if bounds is None:
        low, high = policy.default_bounds()
    else:
        array = np.asarray(bounds, dtype=object)
        if array.shape == (2,):
            pair = bounds
        elif array.shape == (n_params, 2):
            pair = (array[:, 0].astype(np.float64), array[:, 1].astype(np.float64))
        else:
            raise ValueError(
                f"bounds must be null, [low, high] or {n_params} [low, high] pairs, got {bounds!r}"
            )
        for value in np.ravel(array):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"bounds must hold numbers, got {value!r} in {bounds!r}")
        low, high = pair
    low, high = as_bounds(n_params, (low, high))
    policy.check_bounds(low, high)
    return low, high


# --------------------------------------------------------------------------------- agent
class PsoAgent(Agent):
    """PSO over a parameterised policy, scored through one native vector env (docs/training.md).

    After ``learn``: ``best_params`` / ``best_score`` / ``best_iteration`` report the best
    parameters found, ``named_best_params`` names them, and ``act`` plays them deterministically.
    ``TrainingContext.n_envs``, ``device`` and ``lr_schedule`` do not apply (the vector env has
    ``n_particles * episodes_per_eval`` sub-envs, twice that while personal bests are re-scored).
    PettingZoo (multi-agent) envs are not supported yet.
    """

    name = "pso"

    def __init__(
        self,
        context: TrainingContext,
        config: dict[str, Any],
        policy: ParameterisedPolicy,
        swarm: ParticleSwarm,
    ) -> None:
        self.context = context
        self.config = config
        self.policy = policy
        self.swarm = swarm
        self._steps_done = 0
        self._vector_envs: dict[int, gym.vector.VectorEnv] = {}

    # ------------------------------------------------------------------ Agent interface
    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space, policy: str = "linear"
    ) -> str | None:
        """None if ``policy`` (default the linear one) can act in these spaces, else why not.

        PettingZoo envs are not supported yet: ``create`` rejects ``pz:`` env ids.
        """
        return policy_unsupported_reason(policy, observation_space, action_space)

    @classmethod
    def create(cls, context: TrainingContext, config: dict[str, Any]) -> PsoAgent:
        """A fresh swarm for ``context.env_id``; ``config`` overrides ``pso.yaml``'s defaults.

        Raises:
            ValueError: a bad config key or value, a PettingZoo env, or unsupported spaces.
        """
        if is_parallel_env_id(context.env_id):
            raise ValueError(
                f"PsoAgent does not support PettingZoo (multi-agent) envs yet, got "
                f"{context.env_id!r}; use a Gymnasium env id"
            )
        _check_int("seed", context.seed, 0)
        config = resolve_config(context.env_id, config)
        env = make_env(context.env_id, **context.env_kwargs)
        try:
            observation_space, action_space = env.observation_space, env.action_space
        finally:
            env.close()
        policy = make_policy(
            config["policy"], observation_space, action_space, **config["policy_kwargs"]
        )
        low, high = _search_box(config["bounds"], policy)
        initial = None
        default = policy.default_params() if config["include_default_params"] else None
        if default is not None:
            # A config box that excludes the known-good point still gets its nearest point.
            initial = np.clip(np.asarray(default, dtype=np.float64), low, high)[None]
        swarm = ParticleSwarm(
            policy.n_params,
            (low, high),
            n_particles=config["n_particles"],
            w=config["w"],
            c1=config["c1"],
            c2=config["c2"],
            v_max_frac=config["v_max_frac"],
            seed=context.seed,
            initial_positions=initial,
        )
        return cls(context, config, policy, swarm)

    @property
    def steps_done(self) -> int:
        return self._steps_done

    def learn(self, timesteps: int, progress: ProgressCallback | None = None) -> None:
        """Run whole PSO iterations until ``timesteps`` more env steps are done.

        After each iteration ``progress(steps_done, {"best_score", "mean_score",
        "iteration_best_score"})`` is called (mean and best over this iteration's particles);
        returning False (not merely a falsy value) stops training.
        """
        _check_int("timesteps", timesteps, 1)
        target = self._steps_done + timesteps
        while self._steps_done < target:
            iteration = self.swarm.iteration
            positions = self.swarm.ask()
            # Before the first iteration the personal bests are the positions themselves.
            rescore = self.config["reevaluate_bests"] and iteration > 0
            if rescore:
                positions = np.concatenate([positions, self.swarm.best_positions])
            n_particles = self.swarm.n_particles
            check = self.config["common_random_numbers"] and iteration == 0
            if check:
                # Score the first particle twice: with working common random numbers its two
                # scores are equal (one cheap check that the sub-envs follow their seeds).
                positions = np.concatenate([positions, positions[:1]])
            scores, row_steps = self._score_rows(positions, self.iteration_seeds(iteration))
            if check:
                self._check_common_random_numbers(scores[0], scores[-1])
                self.close()  # the vector env of this size is not used again
                scores, row_steps = scores[:-1], row_steps[:-1]
            self._steps_done += int(row_steps.sum())
            scores, best_scores = scores[:n_particles], scores[n_particles:]
            self.swarm.tell(scores, best_scores if rescore else None)
            metrics = {
                "best_score": self.swarm.global_best_score,
                "mean_score": float(scores.mean()),
                "iteration_best_score": float(scores.max()),
            }
            logger.debug("pso iteration %d: %s", iteration, metrics)
            if progress is not None and progress(self._steps_done, metrics) is False:
                break

    def save(self, path: Path) -> None:
        """Write ``pso.npz`` (swarm arrays) and ``agent.json`` (config, context, counters, RNG
        state) into the folder ``path``; no pickle."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays, meta = self.swarm.get_state()
        context = self.context.to_json()
        record = {
            "agent": self.name,
            "format_version": _FORMAT_VERSION,
            "config": self.config,
            "context": context,
            "steps_done": self._steps_done,
            "param_names": self.policy.names(),
            **meta,
        }
        try:
            text = json.dumps(record, indent=2, sort_keys=True)
        except TypeError as err:
            raise ValueError(
                f"cannot save: the config and env_kwargs must be JSON data ({err})"
            ) from None
        np.savez(path / "pso.npz", **arrays)
        (path / "agent.json").write_text(text)

    @classmethod
    def load(
        cls, path: Path, device: str = "auto", context: TrainingContext | None = None
    ) -> PsoAgent:
        """Load an agent saved by ``save``; it acts, and resumes training, identically.

        ``context`` replaces the saved training context (a verifier that never lets a file
        choose the env it builds).
        """
        path = Path(path)
        for name in ("agent.json", "pso.npz"):
            if not (path / name).is_file():
                raise FileNotFoundError(f"no saved PSO agent in {path}: {name} is missing")
        record = json.loads((path / "agent.json").read_text())
        if record.get("agent") != cls.name or record.get("format_version") != _FORMAT_VERSION:
            raise ValueError(
                f"{path / 'agent.json'} is not a PSO agent of format {_FORMAT_VERSION}: "
                f"agent={record.get('agent')!r}, format_version={record.get('format_version')!r}"
            )
        context = context or TrainingContext.from_json(record["context"])
        agent = cls.create(context, record["config"])
        with np.load(path / "pso.npz", allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        agent.swarm.set_state(arrays, record)
        agent._steps_done = int(record["steps_done"])
        return agent

    def reset(self, env: Any) -> None:
        """Nothing to reset: the policies are memoryless."""

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The best parameters' action for ``obs`` (deterministic).

        Raises:
            RuntimeError: no iteration has been run yet.
        """
        best = self.best_params
        if best is None:
            raise RuntimeError("PsoAgent has no best parameters yet: call learn() first")
        return self.policy.act(best, obs, info)

    # ------------------------------------------------------------------ results
    @property
    def best_params(self) -> np.ndarray | None:
        """The best parameter vector found (None before the first iteration)."""
        if self.swarm.global_best_iteration < 0:
            return None
        return self.swarm.global_best_position.copy()

    @property
    def best_score(self) -> float | None:
        """Mean return of ``best_params`` on the episodes of ``best_iteration``."""
        return None if self.swarm.global_best_iteration < 0 else self.swarm.global_best_score

    @property
    def best_iteration(self) -> int | None:
        """The iteration whose episodes scored ``best_score`` (None before the first)."""
        return None if self.swarm.global_best_iteration < 0 else self.swarm.global_best_iteration

    @property
    def named_best_params(self) -> dict[str, float] | None:
        """``best_params`` keyed by the policy's parameter names."""
        best = self.best_params
        return None if best is None else dict(zip(self.policy.names(), best.tolist(), strict=True))

    @property
    def iteration(self) -> int:
        """PSO iterations run so far."""
        return self.swarm.iteration

    def iteration_seeds(self, iteration: int) -> list[int]:
        """The episode seeds shared by all particles in ``iteration``: ``episodes_per_eval``
        numbers from ``numpy.random.SeedSequence([context.seed, iteration])``."""
        _check_int("iteration", iteration, 0)
        sequence = np.random.SeedSequence([self.context.seed, iteration])
        return [int(s) for s in sequence.generate_state(self.config["episodes_per_eval"])]

    def evaluate_params(self, params: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        """Mean return of each parameter row over the episodes of ``seeds``, exactly as
        training scores them (not counted in ``steps_done``).

        Args:
            params: ``(K, n_params)`` or ``(n_params,)``.
            seeds: one seed per episode (e.g. ``iteration_seeds(k)``).

        Returns:
            ``(K,)`` scores.
        """
        params = np.atleast_2d(np.asarray(params, dtype=np.float64))
        if params.ndim != 2 or params.shape[1] != self.policy.n_params:
            raise ValueError(
                f"params must be (K, {self.policy.n_params}), got shape {params.shape}"
            )
        seeds = [operator.index(s) for s in seeds]
        if not seeds:
            raise ValueError("seeds must name at least one episode")
        return self._score(params, seeds)[0]

    def summary(self) -> dict[str, Any]:
        """``best_params`` (by parameter name), ``best_score``, ``best_iteration`` and
        ``iteration`` (empty before the first iteration)."""
        if self.best_params is None:
            return {}
        return {
            "best_params": self.named_best_params,
            "best_score": float(self.best_score),
            "best_iteration": int(self.best_iteration),
            "iteration": int(self.iteration),
        }

    def close(self) -> None:
        """Close the vector envs the agent opened (they are reopened when needed)."""
        for env in self._vector_envs.values():
            env.close()
        self._vector_envs.clear()

    # ------------------------------------------------------------------ evaluation
    def _vector_env(self, num_envs: int) -> gym.vector.VectorEnv:
        if num_envs not in self._vector_envs:
            self._vector_envs[num_envs] = make_vector_env(
                self.context.env_id, num_envs, **self.context.env_kwargs
            )
        return self._vector_envs[num_envs]

    def _check_common_random_numbers(self, score: float, repeat: float) -> None:
        if np.isclose(score, repeat, rtol=1e-9, atol=1e-9):
            return
        raise ValueError(
            f"PSO's common random numbers do not hold on {self.context.env_id} with "
            f"env_kwargs {self.context.env_kwargs}: the same parameters scored "
            f"{float(score)!r} and {float(repeat)!r} on the same episode seeds, so its sub-envs "
            "do not draw their episodes from their seeds only (e.g. ABR's "
            "trace_order='sequential'); set common_random_numbers: false in the PSO config "
            "(--hyperparams common_random_numbers=false) or use env kwargs that honour the "
            "seeds"
        )

    def _score(self, params: np.ndarray, seeds: list[int]) -> tuple[np.ndarray, int]:
        """Play ``len(seeds)`` episodes per parameter row in one vector env.

        Returns:
            (mean return per row, env steps of the scored episodes).
        """
        scores, row_steps = self._score_rows(params, seeds)
        return scores, int(row_steps.sum())

    def _score_rows(self, params: np.ndarray, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Like ``_score``, with the env steps per row."""
        n_rows, n_episodes = len(params), len(seeds)
        num_envs = n_rows * n_episodes
        env = self._vector_env(num_envs)
        # Sub-env i*E + e plays episode e of row i: rows repeat, seeds tile (common random
        # numbers: every row meets the same episodes).
        row_params = np.repeat(params, n_episodes, axis=0)
        if self.config["common_random_numbers"]:
            try:
                obs, _ = env.reset(seed=list(seeds) * n_rows)
            except (gym.error.Error, TypeError, ValueError, AssertionError) as err:
                raise ValueError(
                    f"the vector env of {self.context.env_id} ({type(env).__name__}) does not "
                    f"accept one seed per sub-env ({err}), which PSO's common random numbers "
                    "need; set common_random_numbers: false in the PSO config"
                ) from None
        else:
            obs, _ = env.reset(seed=seeds[0])
        returns = np.zeros(num_envs)
        lengths = np.zeros(num_envs, dtype=np.int64)
        active = np.ones(num_envs, dtype=bool)
        limit = self.config["max_episode_steps"]
        while active.any():
            actions = self.policy.act_batch(row_params, obs)
            obs, rewards, terminated, truncated, _ = env.step(actions)
            rewards = np.asarray(rewards, dtype=np.float64)
            if not np.all(np.isfinite(rewards[active])):
                raise RuntimeError(f"{self.context.env_id} returned a non-finite reward")
            returns += np.where(active, rewards, 0.0)
            lengths += active
            done = np.asarray(terminated) | np.asarray(truncated)
            if limit is not None:
                done |= lengths >= limit
            active &= ~done
        return (
            returns.reshape(n_rows, n_episodes).mean(axis=1),
            lengths.reshape(n_rows, n_episodes).sum(axis=1),
        )


__all__ = [
    "C_CONSTRICTION",
    "CONFIG_KEYS",
    "PsoAgent",
    "ParticleSwarm",
    "W_CONSTRICTION",
    "default_config",
    "resolve_config",
]
