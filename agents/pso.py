"""Particle swarm optimisation (PSO) of a policy's parameters, scored by mean episodic return.

The optimiser
-------------
``ParticleSwarm`` keeps ``n`` particles in a box ``[low, high]^d``. Each has a position ``x``,
a velocity ``v`` and the best position it has seen (``p``, its personal best); ``g`` is the best
position any particle has seen (global-best topology: every particle is attracted to the one
best point of the whole swarm, Kennedy & Eberhart 1995; fast on unimodal landscapes, and it may
settle early on multimodal ones, where a ring topology would explore more). After the scores of
the current positions are told, every particle moves::

    v <- w v + c1 r1 (p - x) + c2 r2 (g - x)        r1, r2 ~ U(0, 1) per particle and dimension
    v <- clip(v, -v_max, v_max)                     v_max = v_max_frac * (high - low)
    x <- x + v, then clipped to [low, high]

The defaults ``w = 0.729, c1 = c2 = 1.494`` are the constriction coefficients of Clerc & Kennedy,
"The particle swarm - explosion, stability, and convergence in a multidimensional complex
space", IEEE Trans. Evolutionary Computation 6(1):58-73, 2002: with ``phi = phi1 + phi2 = 4.1``
the constriction factor ``chi = 2 / |2 - phi - sqrt(phi^2 - 4 phi)| = 0.7298`` multiplies the
whole update, which is the inertia form above with ``w = chi`` and ``c = chi * 2.05``; with chi
rounded to 0.729, ``c = 1.494`` (the setting Eberhart & Shi 2000 recommend, together with
velocity clamping).

Boundary handling: a particle that would leave the box is put on the wall it crossed and the
velocity component that carried it out is set to zero ("absorbing walls", Robinson &
Rahmat-Samii 2004), so every evaluated position is inside the box and no particle keeps pushing
against a wall.

The swarm maximises (returns are rewards); ``minimize`` negates. It is numpy-vectorised over
particles, draws all randomness from its own seeded ``numpy.random.Generator``, and is usable on
any objective through ``ask()`` / ``tell(scores)`` or ``maximize(objective, iterations)``.

The agent and its evaluation protocol
-------------------------------------
``PsoAgent`` searches the parameters of a parameterised policy (``netgym.agents.pso_policies``:
a linear policy, or a domain policy such as ``abr-buffer``, BBA's reservoir and cushion). One
``learn`` iteration scores every particle: particle ``i`` plays ``E = episodes_per_eval`` episodes
in sub-envs ``i*E .. i*E + E - 1`` of ONE native vector env of ``n_particles * E`` sub-envs
(``netgym.envs.core.make_vector_env``), all stepped together, and its score is the mean return
of its ``E`` episodes. Each sub-env plays exactly one episode per iteration; sub-envs that finish
early are stepped on (autoreset) with their rewards masked until all have finished.

Common random numbers: within an iteration, episode ``e`` of every particle is played with the
same seed ``s_e``, so particles are compared on the same traces and noise and their score
differences are due to their parameters, not to luck. The seeds of iteration ``k`` are
``numpy.random.SeedSequence([seed, k]).generate_state(E)`` (``seed`` = ``TrainingContext.seed``),
fresh every iteration so that the swarm does not overfit a fixed set of episodes. This needs a
vector env whose ``reset(seed=[...])`` accepts one seed per sub-env and draws each sub-env's
episode from its seed only (netgym's native vector envs do; ABR's ``trace_order='sequential'``
does not, since there sub-env ``i`` plays trace ``i``). The first iteration checks it by scoring
the first particle a second time (``E`` more episodes, not counted in ``steps_done``) and raises
``ValueError`` if the two scores differ. With ``common_random_numbers: false`` the vector env is
reset with one integer seed instead (sub-env ``i`` seeded ``s + i``).

Noisy scores: a return averaged over ``E`` episodes is a noisy estimate, and the classical PSO
keeps each personal best's first score forever, so a point that met easy episodes once leads the
swarm for good (the winner's curse; on ABR it leads the swarm to points that score well in
training and worse on fresh episodes). With ``reevaluate_bests: true`` (the default) every
iteration after the first also re-scores the personal bests on the same episodes as the current
positions (in the same vector env, which then has ``2 * n_particles * E`` sub-envs); the stored
best scores are replaced by these fresh ones before the comparison and the global best is
re-chosen among them (``ParticleSwarm.tell(scores, best_scores)``). Each iteration thus compares
all candidates on common episodes, at twice the env steps.

``best_score`` is the score of ``best_params`` on the episodes of the iteration it was scored in
(``best_iteration``); ``evaluate_params(best_params, iteration_seeds(best_iteration))``
reproduces it exactly. Being the best of several noisy estimates it is optimistic; other seeds
(e.g. netgym's evaluation seeds) give an unbiased estimate.

``steps_done`` counts the transitions of the scored episodes (``n_particles * E`` episodes per
iteration, twice that when the bests are re-scored; the steps of sub-envs that finished early and
wait for the others are not counted); ``learn(timesteps)`` runs whole iterations until at least
``timesteps`` more have been done, so it may overshoot by up to one iteration.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ..envs.core.make import is_parallel_env_id, make_env, make_vector_env
from .base import Agent, ProgressCallback, TrainingContext
from .pso_policies import ParameterisedPolicy, make_policy, policy_names, policy_unsupported_reason

logger = logging.getLogger(__name__)

W_CONSTRICTION = 0.729
"""inertia weight equal to Clerc & Kennedy's constriction factor chi (phi = 4.1)"""
C_CONSTRICTION = 1.494
"""acceleration coefficients 0.729 * 2.05 (Eberhart & Shi 2000)"""

_CONFIG_FILE = Path(__file__).parent / "config" / "pso.yaml"
_FORMAT_VERSION = 1


# --------------------------------------------------------------------------------- optimiser
def _as_bounds(dim: int, bounds: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` arrays of shape ``(dim,)`` from scalars or per-dimension sequences."""
    try:
        low, high = bounds
        low = np.broadcast_to(np.asarray(low, dtype=np.float64), (dim,)).copy()
        high = np.broadcast_to(np.asarray(high, dtype=np.float64), (dim,)).copy()
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be (low, high), each a number or {dim} numbers, got {bounds!r}"
        ) from None
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise ValueError(f"bounds must be finite, got low={low.tolist()}, high={high.tolist()}")
    if np.any(low >= high):
        bad = int(np.argmax(low >= high))
        raise ValueError(f"bounds need low < high, got low={low[bad]} >= high={high[bad]} at {bad}")
    return low, high


class ParticleSwarm:
    """Global-best PSO maximising a score over the box ``[low, high]`` (see the module doc).

    Args:
        dim: number of dimensions.
        bounds: ``(low, high)``, each a number or ``dim`` numbers, with ``low < high``.
        n_particles: swarm size (>= 2).
        w: inertia weight (>= 0).
        c1: cognitive (personal-best) coefficient (>= 0).
        c2: social (global-best) coefficient (>= 0).
        v_max_frac: velocity clamp as a fraction of ``high - low``, in (0, 1].
        seed: seed or generator of all the swarm's randomness (None: OS entropy).
        initial_positions: ``(k, dim)`` positions, ``k <= n_particles``, for the first ``k``
            particles (e.g. a known good setting); the rest start uniformly in the box.

    Raises:
        ValueError: an argument out of range, naming it.
    """

    def __init__(
        self,
        dim: int,
        bounds: Any,
        n_particles: int = 30,
        w: float = W_CONSTRICTION,
        c1: float = C_CONSTRICTION,
        c2: float = C_CONSTRICTION,
        v_max_frac: float = 0.5,
        seed: int | np.random.Generator | None = None,
        initial_positions: np.ndarray | None = None,
    ) -> None:
        _check_int("dim", dim, 1)
        _check_int("n_particles", n_particles, 2)
        for name, value in (("w", w), ("c1", c1), ("c2", c2)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not (isinstance(v_max_frac, (int, float)) and 0 < v_max_frac <= 1):
            raise ValueError(f"v_max_frac must be in (0, 1], got {v_max_frac!r}")
        self.dim = int(dim)
        self.n_particles = int(n_particles)
        self.w, self.c1, self.c2 = float(w), float(c1), float(c2)
        self.v_max_frac = float(v_max_frac)
        self.low, self.high = _as_bounds(self.dim, bounds)
        self.v_max = self.v_max_frac * (self.high - self.low)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        shape = (self.n_particles, self.dim)
        self.positions = self.rng.uniform(self.low, self.high, shape)
        self.velocities = self.rng.uniform(-self.v_max, self.v_max, shape)
        if initial_positions is not None:
            given = np.asarray(initial_positions, dtype=np.float64)
            if given.ndim != 2 or given.shape[1] != self.dim or len(given) > self.n_particles:
                raise ValueError(
                    f"initial_positions must be (k <= {self.n_particles}, {self.dim}), "
                    f"got shape {given.shape}"
                )
            if np.any(given < self.low) or np.any(given > self.high):
                raise ValueError(f"initial_positions must lie inside the bounds, got {given}")
            self.positions[: len(given)] = given
        self.best_positions = self.positions.copy()
        """personal bests, (n_particles, dim)"""
        self.best_scores = np.full(self.n_particles, -np.inf)
        """personal best scores (-inf until scored)"""
        self.global_best_position = np.full(self.dim, np.nan)
        """best position found (NaN until the first ``tell``)"""
        self.global_best_score = -np.inf
        self.global_best_iteration = -1
        """iteration (0-based ``tell`` count) whose scores contained the global best"""
        self.last_scores = np.full(self.n_particles, np.nan)
        """scores of the last ``tell``"""
        self.iteration = 0
        """number of ``tell`` calls so far"""

    def ask(self) -> np.ndarray:
        """The positions to score next, ``(n_particles, dim)`` (a copy)."""
        return self.positions.copy()

    def tell(self, scores: np.ndarray, best_scores: np.ndarray | None = None) -> None:
        """Record the scores of the positions from ``ask`` (higher is better), move the swarm.

        Args:
            scores: ``(n_particles,)`` scores of ``ask()``'s positions.
            best_scores: optional fresh ``(n_particles,)`` scores of the personal bests, measured
                on the same noisy episodes as ``scores``. They replace the stored ones before the
                comparison, and the global best is re-chosen among them, so that on a noisy
                objective a once-lucky point cannot lead the swarm forever.

        Raises:
            ValueError: a score array is not ``(n_particles,)`` or not finite.
        """
        scores = self._check_scores("scores", scores)
        rescored = best_scores is not None
        if rescored:
            self.best_scores = self._check_scores("best_scores", best_scores)
        improved = scores > self.best_scores
        self.best_positions[improved] = self.positions[improved]
        self.best_scores[improved] = scores[improved]
        leader = int(np.argmax(self.best_scores))  # ties: the lowest index, deterministically
        if rescored or self.best_scores[leader] > self.global_best_score:
            self.global_best_position = self.best_positions[leader].copy()
            self.global_best_score = float(self.best_scores[leader])
            self.global_best_iteration = self.iteration
        self.last_scores = scores.copy()
        r1, r2 = self.rng.random((2, self.n_particles, self.dim))
        velocities = (
            self.w * self.velocities
            + self.c1 * r1 * (self.best_positions - self.positions)
            + self.c2 * r2 * (self.global_best_position - self.positions)
        )
        velocities = np.clip(velocities, -self.v_max, self.v_max)
        positions = self.positions + velocities
        outside = (positions < self.low) | (positions > self.high)
        self.positions = np.clip(positions, self.low, self.high)
        self.velocities = np.where(outside, 0.0, velocities)  # absorbing walls
        self.iteration += 1

    def _check_scores(self, name: str, scores: Any) -> np.ndarray:
        scores = np.array(scores, dtype=np.float64)
        if scores.shape != (self.n_particles,):
            raise ValueError(f"{name} must have shape ({self.n_particles},), got {scores.shape}")
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"{name} must be finite, got {scores}")
        return scores

    def maximize(
        self,
        objective: Callable[[np.ndarray], Any],
        iterations: int,
        vectorized: bool = True,
    ) -> tuple[np.ndarray, float]:
        """Run ``iterations`` ask/tell rounds on ``objective``; returns (best position, score).

        Args:
            objective: ``objective(positions (n, dim)) -> scores (n,)`` if ``vectorized``, else
                ``objective(position (dim,)) -> score``, called once per particle.
            iterations: rounds to run (>= 1).
            vectorized: how ``objective`` is called.
        """
        _check_int("iterations", iterations, 1)
        for _ in range(iterations):
            positions = self.ask()
            if vectorized:
                scores = objective(positions)
            else:
                scores = [objective(position) for position in positions]
            self.tell(np.asarray(scores, dtype=np.float64))
        return self.global_best_position.copy(), self.global_best_score

    def minimize(
        self,
        objective: Callable[[np.ndarray], Any],
        iterations: int,
        vectorized: bool = True,
    ) -> tuple[np.ndarray, float]:
        """``maximize`` of ``-objective``; returns (best position, minimum value found)."""
        if vectorized:
            position, score = self.maximize(lambda x: -np.asarray(objective(x)), iterations)
        else:
            position, score = self.maximize(lambda x: -objective(x), iterations, False)
        return position, -score

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The swarm's state as ``(arrays, json_able)``, enough to resume it exactly."""
        arrays = {
            "positions": self.positions,
            "velocities": self.velocities,
            "best_positions": self.best_positions,
            "best_scores": self.best_scores,
            "global_best_position": self.global_best_position,
            "global_best_score": np.asarray(self.global_best_score),
            "last_scores": self.last_scores,
            "low": self.low,
            "high": self.high,
        }
        meta = {
            "iteration": self.iteration,
            "global_best_iteration": self.global_best_iteration,
            "rng_state": self.rng.bit_generator.state,
        }
        return {k: np.array(v, copy=True) for k, v in arrays.items()}, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore a state from ``get_state`` (shapes must match this swarm's)."""
        for name in ("positions", "velocities", "best_positions"):
            if arrays[name].shape != (self.n_particles, self.dim):
                raise ValueError(
                    f"saved {name} has shape {arrays[name].shape}, "
                    f"expected {(self.n_particles, self.dim)}"
                )
        self.positions = np.array(arrays["positions"], dtype=np.float64)
        self.velocities = np.array(arrays["velocities"], dtype=np.float64)
        self.best_positions = np.array(arrays["best_positions"], dtype=np.float64)
        self.best_scores = np.array(arrays["best_scores"], dtype=np.float64)
        self.global_best_position = np.array(arrays["global_best_position"], dtype=np.float64)
        self.global_best_score = float(arrays["global_best_score"])
        self.last_scores = np.array(arrays["last_scores"], dtype=np.float64)
        self.low = np.array(arrays["low"], dtype=np.float64)
        self.high = np.array(arrays["high"], dtype=np.float64)
        self.v_max = self.v_max_frac * (self.high - self.low)
        self.iteration = int(meta["iteration"])
        self.global_best_iteration = int(meta["global_best_iteration"])
        self.rng.bit_generator.state = meta["rng_state"]


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
    low, high = _as_bounds(n_params, (low, high))
    policy.check_bounds(low, high)
    return low, high


# --------------------------------------------------------------------------------- agent
class PsoAgent(Agent):
    """PSO over a parameterised policy, scored through one native vector env (module doc).

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
    def load(cls, path: Path, device: str = "auto") -> PsoAgent:
        """Load an agent saved by ``save``; it acts, and resumes training, identically."""
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
        agent = cls.create(TrainingContext.from_json(record["context"]), record["config"])
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
        """The episode seeds shared by all particles in ``iteration`` (module doc)."""
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
