"""Tabular SARSA and Q-learning on Gymnasium vector envs and PettingZoo parallel envs.

Algorithms
    Both agents keep a table ``Q[state, action]`` and act epsilon-greedily while training.
    After a transition ``(s, a, r, s')`` the cell ``Q[s, a]`` moves toward a target by the
    learning rate ``alpha``: ``Q[s, a] += alpha * (target - Q[s, a])``, where the target is

    * SARSA (on-policy; Sutton & Barto 2018, sec. 6.4): ``r + gamma * Q[s', a']`` with ``a'``
      the action the epsilon-greedy policy really takes next in ``s'``;
    * Q-learning (off-policy; sec. 6.5): ``r + gamma * max_b Q[s', b]``.

    A transition that terminates its episode bootstraps with 0; one cut off by truncation (a time
    limit) bootstraps with the value of ``s'`` as usual, since ``s'`` itself is not terminal.
    Acting (``act``) is greedy, ties broken by the lowest action index, so it is deterministic.

Schedules
    Epsilon decays over env steps (``steps_done``, summed over sub-envs) from ``epsilon_start``
    to ``epsilon_end`` in ``epsilon_decay_steps`` steps, linearly or geometrically
    (``epsilon_decay: exponential``), and then stays at ``epsilon_end``. The learning rate
    follows ``context.lr_schedule`` (``netgym.agents.schedules``: constant, linear or REX) with
    progress ``steps_done / context.total_timesteps``, or the progress within each ``learn`` call
    when the total is 0.

Vectorised updates
    On a Gymnasium vector env with N sub-envs one call steps all of them and updates the table
    with numpy operations over the batch. All TD errors of a step are computed against the table
    before the step; transitions that hit the same ``(s, a)`` cell in one step are averaged (the
    cell moves by ``alpha`` times their mean TD error), so N sub-envs never move a cell by more
    than ``alpha`` of the way, however many of them visit it. The vector env must use
    Gymnasium's NEXT_STEP autoreset (the default of ``gym.make_vec`` and of netgym's native
    vector envs): the step after an episode ends only returns the reset observation, so it is
    not a transition and nothing is learned from it.

PettingZoo parallel envs (``pz:module:callable`` ids)
    Independent learners, the "distributed SARSA" of the multi-UAV offloading paper: each agent
    id has its own table and learns from its own observation and reward; the other agents are
    part of its environment. ``shared_table: true`` gives every agent one common table instead
    (all agents must then have the same spaces); the agents of one step are then one batch, as
    above. ``act`` takes and returns dicts keyed by agent id. Episode returns are averaged over
    the agents.

Discretiser
    ``Discrete`` observations index the table directly. ``Box`` observations go through
    ``Discretiser``: the observation is flattened, the ``features`` entries (flat indices,
    default all) are kept, each is cut into ``bins`` equal-width bins over ``[low, high]`` with
    clipping (below ``low`` -> first bin, at or above ``high`` -> last bin), and the per-feature
    bins combine into one state index in mixed radix. ``low``/``high`` default to the space's
    bounds and must be given for unbounded features. The table is dense, ``(n_states,
    n_actions)`` float64, and at most ``MAX_TABLE_ENTRIES`` cells; beyond that ``create`` asks
    for fewer bins or features.

Saved agent
    A folder with ``table.npz`` (the tables and each Box discretiser's features, bounds and bins;
    loaded with ``allow_pickle=False``) and ``agent.json`` (algorithm, hyperparameters, training
    context, ``steps_done``, epsilon, the exploration RNG state, recent episode returns). A loaded
    agent acts identically and resumes training with the same table, steps, epsilon and RNG; its
    env is rebuilt on the first ``learn`` and starts fresh episodes (seeded from the training seed
    and ``steps_done``), since the episode in progress at save time is not part of the save.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from ..envs.core.make import is_parallel_env_id, make_env, make_vector_env
from .base import Agent, ProgressCallback, TrainingContext
from .schedules import make_schedule

MAX_TABLE_ENTRIES = 10_000_000
"""Largest dense table (states x actions cells, 80 MB of float64) ``create`` accepts."""
REPORT_EVERY = 1000
"""``learn`` calls ``progress`` at least once per this many env steps."""
RETURN_WINDOW = 100
"""The ``episode_return`` metric is the mean of this many most recent finished episodes."""
SAVE_FORMAT = 1
EPSILON_DECAYS = ("linear", "exponential")


@dataclass(frozen=True)
class TabularConfig:
    """Hyperparameters of SARSA and Q-learning (the YAML files in ``agents/config`` hold the same
    defaults)."""

    learning_rate: float = 0.1
    """alpha, the TD step size in (0, 1]; its value at progress 0 of ``context.lr_schedule``"""
    gamma: float = 0.9
    """discount factor in [0, 1]"""
    epsilon_start: float = 1.0
    """exploration probability at step 0, in [0, 1]"""
    epsilon_end: float = 0.01
    """exploration probability after ``epsilon_decay_steps`` env steps, <= epsilon_start"""
    epsilon_decay_steps: int = 10_000
    """env steps (all sub-envs together) over which epsilon decays"""
    epsilon_decay: str = "linear"
    """'linear' or 'exponential' (geometric from start to end; needs epsilon_end > 0)"""
    bins: int | tuple[int, ...] = 10
    """Box observations: bins per feature, one int for all or one per feature"""
    low: float | tuple[float | None, ...] | None = None
    """Box observations: lower clipping bound, one for all features or one per feature
    (None = the observation space's bound)"""
    high: float | tuple[float | None, ...] | None = None
    """Box observations: upper clipping bound, as ``low``"""
    features: tuple[int, ...] | None = None
    """Box observations: flat indices of the observation entries to discretise (None = all)"""
    shared_table: bool = False
    """PettingZoo envs: one table for all agents instead of one per agent"""
    initial_q: float = 0.0
    """initial value of every table cell (optimistic values encourage exploration)"""

    def __post_init__(self) -> None:
        _number("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True)
        _number("gamma", self.gamma, 0.0, 1.0)
        _number("epsilon_start", self.epsilon_start, 0.0, 1.0)
        _number("epsilon_end", self.epsilon_end, 0.0, self.epsilon_start)
        _integer("epsilon_decay_steps", self.epsilon_decay_steps, 1)
        if self.epsilon_decay not in EPSILON_DECAYS:
            raise ValueError(
                f"epsilon_decay must be one of {list(EPSILON_DECAYS)}, got {self.epsilon_decay!r}"
            )
        if self.epsilon_decay == "exponential" and self.epsilon_end <= 0:
            raise ValueError(
                f"epsilon_end must be > 0 with epsilon_decay 'exponential', got {self.epsilon_end}"
            )
        for index, count in enumerate(_as_tuple(self.bins)):
            _integer("bins" if _is_scalar(self.bins) else f"bins[{index}]", count, 1)
        for key in ("low", "high"):
            for index, bound in enumerate(_as_tuple(getattr(self, key))):
                if bound is not None:
                    _number(key if _is_scalar(getattr(self, key)) else f"{key}[{index}]", bound)
        if self.features is not None:
            if _is_scalar(self.features):
                raise ValueError(f"features must be a list of flat indices, got {self.features!r}")
            if len(self.features) == 0:
                raise ValueError("features must list at least one flat index, got []")
            for index, feature in enumerate(self.features):
                _integer(f"features[{index}]", feature, 0)
            if len(set(self.features)) != len(self.features):
                raise ValueError(f"features must not repeat an index, got {list(self.features)}")
        if not isinstance(self.shared_table, bool):
            raise ValueError(f"shared_table must be true or false, got {self.shared_table!r}")
        _number("initial_q", self.initial_q)

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> TabularConfig:
        """Validated config from a plain dict (YAML / JSON); lists become tuples.

        Raises:
            ValueError: an unknown key or a value out of range (the message names both).
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown tabular hyperparameter(s) {unknown}; known: {sorted(known)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (tuples become lists) that ``from_dict`` reads back."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (tuple, list))


def _as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _number(
    key: str,
    value: Any,
    lowest: float = -math.inf,
    highest: float = math.inf,
    low_open: bool = False,
) -> None:
    """Raise a ValueError naming ``key`` unless ``value`` is a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{key} must be finite, got {value}")
    below = value <= lowest if low_open else value < lowest
    if below or value > highest:
        left = "(" if low_open else "["
        raise ValueError(f"{key} must be in {left}{lowest}, {highest}], got {value}")


def _integer(key: str, value: Any, lowest: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    if value < lowest:
        raise ValueError(f"{key} must be >= {lowest}, got {value}")


class Discretiser:
    """Maps observations to integer states ``0 .. n_states - 1``, the first axis of a Q-table.

    A ``Discrete(n, start)`` observation ``x`` is state ``x - start``. A ``Box`` observation is
    flattened (C order) and its entries ``features`` are kept; kept entry ``d`` falls in one of
    ``bins[d]`` equal-width bins over ``[low[d], high[d]]``: bin ``k`` is ``[edge_k,
    edge_{k+1})`` with ``edges = np.linspace(low, high, bins + 1)``, values below ``low`` go to
    bin 0 and values at or above the last interior edge (including everything >= ``high``) to
    the last bin. The per-feature bins ``k_d`` combine in mixed radix, the last feature varying
    fastest: ``state = np.ravel_multi_index(k, bins)``.

    Build one with ``Discretiser.discrete`` or ``Discretiser.box``.
    """

    def __init__(
        self,
        kind: str,
        n_states: int,
        start: int = 0,
        obs_shape: tuple[int, ...] = (),
        features: np.ndarray | None = None,
        low: np.ndarray | None = None,
        high: np.ndarray | None = None,
        bins: np.ndarray | None = None,
    ) -> None:
        self.kind = kind
        self.n_states = n_states
        self.start = start
        self.obs_shape = obs_shape
        self.features = features
        self.low = low
        self.high = high
        self.bins = bins
        if kind == "box":
            # interior edges padded with +inf to a rectangle, so one comparison bins every
            # feature at once: the bin index is the number of interior edges <= x
            width = int(bins.max()) - 1
            self._inner_edges = np.full((len(bins), max(width, 1)), np.inf)
            for d, count in enumerate(bins):
                self._inner_edges[d, : count - 1] = np.linspace(low[d], high[d], count + 1)[1:-1]
            self._strides = np.ones(len(bins), dtype=np.int64)
            self._strides[:-1] = np.cumprod(bins[::-1])[::-1][1:]

    @classmethod
    def discrete(cls, n: int, start: int = 0) -> Discretiser:
        """The identity on ``Discrete(n, start)`` (shifted to start at 0)."""
        return cls("discrete", int(n), start=int(start))

    @classmethod
    def box(
        cls,
        obs_shape: tuple[int, ...],
        features: Sequence[int],
        low: Sequence[float],
        high: Sequence[float],
        bins: Sequence[int],
    ) -> Discretiser:
        """Uniform bins over ``[low[d], high[d]]`` for each kept flat index ``features[d]``.

        Raises:
            ValueError: a feature outside the observation, a length mismatch, ``bins < 1`` or
                ``high <= low``.
        """
        size = math.prod(obs_shape)
        features_arr = np.asarray(features, dtype=np.int64)
        low_arr = np.asarray(low, dtype=np.float64)
        high_arr = np.asarray(high, dtype=np.float64)
        bins_arr = np.asarray(bins, dtype=np.int64)
        count = len(features_arr)
        if count == 0:
            raise ValueError("a Box discretiser needs at least one feature")
        if features_arr.min() < 0 or features_arr.max() >= size:
            raise ValueError(
                f"features must be flat indices in [0, {size - 1}] of the {obs_shape} "
                f"observation, got {features_arr.tolist()}"
            )
        for name, array in (("low", low_arr), ("high", high_arr), ("bins", bins_arr)):
            if array.shape != (count,):
                raise ValueError(f"{name} must have one entry per feature ({count}), got {array}")
        if bins_arr.min() < 1:
            raise ValueError(f"bins must be >= 1, got {bins_arr.tolist()}")
        if not (np.isfinite(low_arr).all() and np.isfinite(high_arr).all()):
            raise ValueError(
                f"low and high must be finite, got low={low_arr.tolist()}, high={high_arr.tolist()}"
            )
        bad = np.flatnonzero(high_arr <= low_arr)
        if bad.size:
            d = int(bad[0])
            raise ValueError(
                f"high must be > low for every feature; feature {int(features_arr[d])} has "
                f"low={low_arr[d]} and high={high_arr[d]}"
            )
        n_states = math.prod(int(b) for b in bins_arr)
        if n_states > MAX_TABLE_ENTRIES:
            raise ValueError(
                f"bins {bins_arr.tolist()} make {n_states} states, above the table limit of "
                f"{MAX_TABLE_ENTRIES} cells; use fewer bins or fewer features"
            )
        return cls(
            "box",
            n_states,
            obs_shape=tuple(int(s) for s in obs_shape),
            features=features_arr,
            low=low_arr,
            high=high_arr,
            bins=bins_arr,
        )

    @classmethod
    def for_space(cls, space: gym.Space, config: TabularConfig) -> Discretiser:
        """The discretiser of ``space`` with the Box options of ``config`` (ignored for
        Discrete spaces).

        Raises:
            ValueError: a per-feature option of the wrong length, or an unbounded feature
                without ``low``/``high``.
        """
        if isinstance(space, spaces.Discrete):
            return cls.discrete(space.n, space.start)
        if not isinstance(space, spaces.Box):
            raise ValueError(f"tabular agents discretise Discrete or Box observations, got {space}")
        features = (
            list(config.features) if config.features is not None else list(range(space.low.size))
        )
        count = len(features)
        size = space.low.size
        if max(features) >= size:
            raise ValueError(
                f"features must be flat indices in [0, {size - 1}] of the {space.shape} "
                f"observation, got {features}"
            )

        def per_feature(key: str) -> list[Any]:
            value = getattr(config, key)
            if _is_scalar(value):
                return [value] * count
            if len(value) != count:
                raise ValueError(
                    f"{key} has {len(value)} entries but {count} features are discretised: "
                    f"{list(value)}"
                )
            return list(value)

        bounds = {}
        for key, space_bound in (("low", space.low), ("high", space.high)):
            values = per_feature(key)
            flat_bound = np.asarray(space_bound, dtype=np.float64).reshape(-1)
            for d, value in enumerate(values):
                if value is None:
                    values[d] = float(flat_bound[features[d]])
                    if not math.isfinite(values[d]):
                        raise ValueError(
                            f"observation entry {features[d]} is unbounded ({key} "
                            f"{values[d]}); give '{key}' in the config (one bound for all "
                            f"features or one per feature)"
                        )
            bounds[key] = values
        return cls.box(space.shape, features, bounds["low"], bounds["high"], per_feature("bins"))

    def indices(self, batch: Any) -> np.ndarray:
        """States of a batch of observations (leading axis = batch), as int64.

        Raises:
            ValueError: a Discrete observation outside the space, or a NaN entry.
        """
        array = np.asarray(batch)
        if self.kind == "discrete":
            states = array.astype(np.int64).reshape(-1) - self.start
            if states.size and (states.min() < 0 or states.max() >= self.n_states):
                raise ValueError(
                    f"observation outside Discrete({self.n_states}, start={self.start}): "
                    f"{array.reshape(-1).tolist()}"
                )
            return states
        if array.shape[1:] != self.obs_shape:
            raise ValueError(
                f"expected observations of shape {self.obs_shape}, got a batch of {array.shape[1:]}"
            )
        values = array.reshape(array.shape[0], -1)[:, self.features].astype(np.float64)
        if np.isnan(values).any():
            raise ValueError("observation has NaN entries in the discretised features")
        bin_index = (values[:, :, None] >= self._inner_edges[None]).sum(axis=2)
        return bin_index @ self._strides

    def index(self, obs: Any) -> int:
        """State of one observation."""
        return int(self.indices(np.asarray(obs)[None])[0])

    def edges(self) -> list[np.ndarray]:
        """Bin edges of each Box feature (``bins[d] + 1`` values from low to high)."""
        if self.kind != "box":
            raise ValueError("a Discrete observation has no bins")
        return [
            np.linspace(lo, hi, b + 1)
            for lo, hi, b in zip(self.low, self.high, self.bins, strict=True)
        ]


def _td_update(
    table: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    targets: np.ndarray,
    learning_rate: float,
) -> None:
    """``Q[s, a] += lr * mean TD error`` per distinct cell, TD errors from the table as it was."""
    flat = table.reshape(-1)  # a view: the table is C-contiguous
    cells = states * table.shape[1] + actions
    errors = targets - flat[cells]
    if len(cells) == 1:
        flat[cells] += learning_rate * errors
        return
    # averaging, not summing, repeated cells: summing would take k * lr steps for a cell k
    # sub-envs visit together, overshooting the target once k * lr > 1
    unique_cells, inverse = np.unique(cells, return_inverse=True)
    flat[unique_cells] += (
        learning_rate * np.bincount(inverse, weights=errors) / np.bincount(inverse)
    )


class TabularAgent(Agent):
    """Tabular SARSA / Q-learning (see the module docstring); use ``SarsaAgent`` or
    ``QLearningAgent``."""

    name: ClassVar[str] = "tabular"
    algorithm: ClassVar[str] = ""
    """'sarsa' or 'qlearning'"""

    def __init__(
        self,
        context: TrainingContext,
        config: TabularConfig,
        discretisers: list[Discretiser],
        action_counts: list[int],
        action_starts: list[int],
        agent_ids: list[str] | None = None,
        agent_tables: list[int] | None = None,
    ) -> None:
        """Prefer ``create`` / ``load``. One table per discretiser; ``agent_tables[i]`` is the
        table of PettingZoo agent ``agent_ids[i]`` (None for Gymnasium envs: one table)."""
        self.context = context
        self.config = config
        self.discretisers = discretisers
        self.action_counts = np.asarray(action_counts, dtype=np.int64)
        self.action_starts = np.asarray(action_starts, dtype=np.int64)
        self.agent_ids = agent_ids
        self._table_of = (
            dict(zip(agent_ids, agent_tables, strict=True)) if agent_ids is not None else None
        )
        self.tables = [
            np.full((d.n_states, int(n)), config.initial_q, dtype=np.float64)
            for d, n in zip(discretisers, self.action_counts, strict=True)
        ]
        self._steps_done = 0
        self._rng = np.random.default_rng(context.seed)
        self._returns: deque[float] = deque(maxlen=RETURN_WINDOW)
        self._env: Any = None
        self._live: dict[str, Any] | None = None  # the episodes in progress (not saved)
        self._seed_next_reset = True

    # ----------------------------------------------------------------- creation
    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        """None for a ``Discrete`` action space with a ``Discrete`` or ``Box`` observation
        space (for PettingZoo envs: each agent's spaces), else why not."""
        if not isinstance(action_space, spaces.Discrete):
            return f"tabular agents need a Discrete action space, got {action_space}"
        if not isinstance(observation_space, (spaces.Discrete, spaces.Box)):
            return (
                "tabular agents need a Discrete observation space or a Box one (through the "
                f"discretiser), got {observation_space}"
            )
        return None

    @classmethod
    def create(cls, context: TrainingContext, config: dict[str, Any]) -> TabularAgent:
        """A fresh agent with all-``initial_q`` tables on ``context.env_id``.

        Raises:
            ValueError: a bad hyperparameter, unsupported spaces, a table over
                ``MAX_TABLE_ENTRIES`` cells, or ``n_envs > 1`` on a PettingZoo env.
        """
        if not cls.algorithm:
            raise ValueError("create a SarsaAgent or a QLearningAgent, not a TabularAgent")
        tabular_config = TabularConfig.from_dict(config)
        make_schedule(context.lr_schedule, tabular_config.learning_rate)  # validates the name
        if is_parallel_env_id(context.env_id):
            if context.n_envs != 1:
                raise ValueError(
                    f"n_envs must be 1 for a PettingZoo env (its agents are the batch), "
                    f"got {context.n_envs}"
                )
            env = make_env(context.env_id, **context.env_kwargs)
            agent_ids = list(env.possible_agents)
            pairs = [(env.observation_space(a), env.action_space(a)) for a in agent_ids]
        else:
            env = make_vector_env(context.env_id, context.n_envs, **context.env_kwargs)
            agent_ids = None
            pairs = [(env.single_observation_space, env.single_action_space)]
        try:
            agent = cls._build(context, tabular_config, agent_ids, pairs)
        except ValueError:
            env.close()
            raise
        agent._attach(env)
        return agent

    @classmethod
    def _build(
        cls,
        context: TrainingContext,
        config: TabularConfig,
        agent_ids: list[str] | None,
        pairs: list[tuple[gym.Space, gym.Space]],
    ) -> TabularAgent:
        for index, (observation_space, action_space) in enumerate(pairs):
            reason = cls.unsupported_reason(observation_space, action_space)
            if reason is not None:
                owner = "" if agent_ids is None else f" (agent {agent_ids[index]!r})"
                raise ValueError(f"{reason}{owner}")
        if agent_ids is not None and config.shared_table:
            first = pairs[0]
            for agent_id, pair in zip(agent_ids, pairs, strict=True):
                if pair != first:
                    raise ValueError(
                        f"shared_table needs every agent to have the same spaces; agent "
                        f"{agent_id!r} has {pair}, agent {agent_ids[0]!r} has {first}"
                    )
            pairs = pairs[:1]
            agent_tables = [0] * len(agent_ids)
        else:
            agent_tables = None if agent_ids is None else list(range(len(agent_ids)))
        discretisers = [Discretiser.for_space(obs, config) for obs, _ in pairs]
        for discretiser, (_, action_space) in zip(discretisers, pairs, strict=True):
            cells = discretiser.n_states * int(action_space.n)
            if cells > MAX_TABLE_ENTRIES:
                raise ValueError(
                    f"the Q-table would have {discretiser.n_states} states x "
                    f"{int(action_space.n)} actions = {cells} cells, above the limit of "
                    f"{MAX_TABLE_ENTRIES}; use fewer bins or fewer features"
                )
        return cls(
            context,
            config,
            discretisers,
            [int(a.n) for _, a in pairs],
            [int(a.start) for _, a in pairs],
            agent_ids,
            agent_tables,
        )

    def _attach(self, env: Any) -> None:
        if not is_parallel_env_id(self.context.env_id):
            mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
            if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.NEXT_STEP.value):
                env.close()
                raise ValueError(
                    f"tabular agents need a vector env with NEXT_STEP autoreset, "
                    f"{self.context.env_id} has {mode}"
                )
        self._env = env
        self._live = None
        self._seed_next_reset = True

    def close(self) -> None:
        """Close the training env (it is rebuilt if ``learn`` is called again)."""
        if self._env is not None:
            self._env.close()
            self._env = None
            self._live = None

    # ----------------------------------------------------------------- state
    @property
    def steps_done(self) -> int:
        return self._steps_done

    @property
    def epsilon(self) -> float:
        """Exploration probability at the current ``steps_done``."""
        config = self.config
        fraction = min(self._steps_done / config.epsilon_decay_steps, 1.0)
        if config.epsilon_decay == "linear":
            return config.epsilon_start + (config.epsilon_end - config.epsilon_start) * fraction
        return config.epsilon_start * (config.epsilon_end / config.epsilon_start) ** fraction

    def table_for(self, agent_id: str | None = None) -> np.ndarray:
        """The Q-table (states x actions) of a PettingZoo agent, or the only table."""
        if self.agent_ids is None:
            return self.tables[0]
        return self.tables[self._table_index(agent_id)]

    def _table_index(self, agent_id: Any) -> int:
        try:
            return self._table_of[agent_id]
        except KeyError:
            raise ValueError(f"unknown agent {agent_id!r}; agents: {self.agent_ids}") from None

    # ----------------------------------------------------------------- acting
    def reset(self, env: Any) -> None:
        """Nothing to do: the greedy policy keeps no state between steps."""

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """Greedy action (lowest index on ties) for one observation, or for PettingZoo a dict
        ``{agent_id: action}`` for a dict of observations."""
        if self.agent_ids is None:
            return self._greedy_one(0, obs)
        return {agent: self._greedy_one(self._table_index(agent), o) for agent, o in obs.items()}

    def _greedy_one(self, table: int, obs: Any) -> int:
        state = self.discretisers[table].index(obs)
        return int(self.action_starts[table] + np.argmax(self.tables[table][state]))

    def _choose(self, table_ids: np.ndarray, states: np.ndarray, epsilon: float) -> np.ndarray:
        """Epsilon-greedy action indices (from 0) of a batch; draws the same random numbers
        whatever epsilon is, so the RNG stream depends only on the number of choices."""
        explore = self._rng.random(len(states)) < epsilon
        random_actions = self._rng.integers(self.action_counts[table_ids])
        greedy = np.empty(len(states), dtype=np.int64)
        for table in _groups(table_ids):
            rows = table_ids == table
            greedy[rows] = np.argmax(self.tables[table][states[rows]], axis=1)
        return np.where(explore, random_actions, greedy)

    # ----------------------------------------------------------------- learning
    def learn(self, timesteps: int, progress: ProgressCallback | None = None) -> None:
        """Train for ``timesteps`` more env steps (rounded up to whole vector steps).

        ``progress(steps_done, metrics)`` is called at least every ``REPORT_EVERY`` env steps
        and at the end, with ``epsilon``, ``learning_rate``, ``steps_per_second`` (this call)
        and, once an episode has finished, ``episode_return`` (mean of the last
        ``RETURN_WINDOW`` episodes); returning False stops training.

        Raises:
            ValueError: ``timesteps`` is not a positive integer.
        """
        _integer("timesteps", timesteps, 1)
        if self._env is None:
            self._rebuild_env()
        schedule = make_schedule(self.context.lr_schedule, self.config.learning_rate)
        total = self.context.total_timesteps
        start = self._steps_done
        parallel = self.agent_ids is not None
        per_step = 1 if parallel else self.context.n_envs
        last_report = start
        started = time.perf_counter()

        def learning_rate() -> float:
            if total > 0:
                return schedule(self._steps_done / total)
            return schedule((self._steps_done - start) / timesteps)

        while self._steps_done - start < timesteps:
            rate = learning_rate()
            if parallel:
                self._step_parallel(rate, self.epsilon)
            else:
                self._step_vector(rate, self.epsilon)
            self._steps_done += per_step
            finished = self._steps_done - start >= timesteps
            # report now if the next step would leave more than REPORT_EVERY steps unreported
            due = self._steps_done + per_step > last_report + REPORT_EVERY
            if progress is not None and due and not finished:
                last_report = self._steps_done
                metrics = self._metrics(learning_rate(), start, started)
                if not progress(self._steps_done, metrics):
                    return
        if progress is not None:
            progress(self._steps_done, self._metrics(learning_rate(), start, started))

    def _metrics(self, learning_rate: float, start: int, started: float) -> dict[str, float]:
        elapsed = max(time.perf_counter() - started, 1e-9)
        metrics = {
            "epsilon": self.epsilon,
            "learning_rate": learning_rate,
            "steps_per_second": (self._steps_done - start) / elapsed,
        }
        if self._returns:
            metrics["episode_return"] = float(np.mean(self._returns))
        return metrics

    def _reset_seed(self) -> int | None:
        """The seed of the env's first reset: ``context.seed`` for a fresh agent; after a
        reload, one derived from it and ``steps_done``, so that a resumed run does not replay the
        episodes it started with. Later resets continue the env's own RNG (None)."""
        if not self._seed_next_reset:
            return None
        self._seed_next_reset = False
        if self._steps_done == 0:
            return self.context.seed
        sequence = np.random.SeedSequence([self.context.seed, self._steps_done])
        return int(sequence.generate_state(1)[0] >> 1)

    def _rebuild_env(self) -> None:
        context = self.context
        if is_parallel_env_id(context.env_id):
            self._attach(make_env(context.env_id, **context.env_kwargs))
        else:
            self._attach(make_vector_env(context.env_id, context.n_envs, **context.env_kwargs))

    def _transition(
        self,
        table_ids: np.ndarray,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
        learn_mask: np.ndarray,
        learning_rate: float,
        epsilon: float,
    ) -> np.ndarray:
        """Update the tables from a batch of transitions (rows where ``learn_mask``) and
        return the epsilon-greedy next actions for ``next_states``."""
        sarsa = self.algorithm == "sarsa"
        # SARSA's target needs the action it will really take next, drawn before the update
        next_actions = self._choose(table_ids, next_states, epsilon) if sarsa else None
        for table in _groups(table_ids):
            rows = np.flatnonzero((table_ids == table) & learn_mask)
            if rows.size == 0:
                continue
            q = self.tables[table]
            if sarsa:
                next_values = q[next_states[rows], next_actions[rows]]
            else:
                next_values = q[next_states[rows]].max(axis=1)
            targets = rewards[rows] + self.config.gamma * np.where(
                terminated[rows], 0.0, next_values
            )
            _td_update(q, states[rows], actions[rows], targets, learning_rate)
        if not sarsa:
            # Q-learning acts on the updated table, as in the textbook loop
            next_actions = self._choose(table_ids, next_states, epsilon)
        return next_actions

    def _step_vector(self, learning_rate: float, epsilon: float) -> None:
        """One step of the Gymnasium vector env (N transitions)."""
        env, discretiser = self._env, self.discretisers[0]
        n_envs = self.context.n_envs
        table_ids = np.zeros(n_envs, dtype=np.int64)
        live = self._live
        if live is None:
            obs, _ = env.reset(seed=self._reset_seed())
            states = discretiser.indices(obs)
            live = self._live = {
                "states": states,
                "actions": self._choose(table_ids, states, epsilon),
                "after_done": np.zeros(n_envs, dtype=bool),
                "returns": np.zeros(n_envs),
            }
        obs, rewards, terminated, truncated, _ = env.step(live["actions"] + self.action_starts[0])
        rewards = np.asarray(rewards, dtype=np.float64)
        next_states = discretiser.indices(obs)
        # NEXT_STEP autoreset: a sub-env whose episode ended last step only reset now
        learn_mask = ~live["after_done"]
        live["actions"] = self._transition(
            table_ids,
            live["states"],
            live["actions"],
            rewards,
            next_states,
            np.asarray(terminated, dtype=bool),
            learn_mask,
            learning_rate,
            epsilon,
        )
        live["states"] = next_states
        live["returns"] += np.where(learn_mask, rewards, 0.0)
        done = (np.asarray(terminated) | np.asarray(truncated)) & learn_mask
        self._returns.extend(live["returns"][done].tolist())
        live["returns"][done] = 0.0
        live["after_done"] = done

    def _step_parallel(self, learning_rate: float, epsilon: float) -> None:
        """One step of the PettingZoo parallel env (one transition per live agent)."""
        env = self._env
        live = self._live
        if live is None:
            obs, _ = env.reset(seed=self._reset_seed())
            agents = list(env.agents)
            states = self._agent_states(agents, obs)
            live = self._live = {
                "agents": agents,
                "states": states,
                "actions": self._choose(self._agent_tables(agents), states, epsilon),
                "returns": dict.fromkeys(agents, 0.0),
            }
        agents = live["agents"]
        table_ids = self._agent_tables(agents)
        step_actions = {
            agent: int(self.action_starts[t] + a)
            for agent, t, a in zip(agents, table_ids, live["actions"], strict=True)
        }
        obs, rewards, terminations, truncations, _ = env.step(step_actions)
        reward_arr = np.array([float(rewards[a]) for a in agents])
        terminated = np.array([bool(terminations[a]) for a in agents])
        next_states = self._agent_states(agents, obs)
        next_actions = self._transition(
            table_ids,
            live["states"],
            live["actions"],
            reward_arr,
            next_states,
            terminated,
            np.ones(len(agents), dtype=bool),
            learning_rate,
            epsilon,
        )
        for agent, reward in zip(agents, reward_arr, strict=True):
            live["returns"][agent] = live["returns"].get(agent, 0.0) + reward
        if not env.agents:
            self._returns.append(float(np.mean(list(live["returns"].values()))))
            self._live = None
            return
        # keep the agents still alive, in the env's order; an agent that appears mid-episode
        # starts from its first observation
        position = {agent: i for i, agent in enumerate(agents)}
        kept = [position.get(agent, -1) for agent in env.agents]
        new_agents = [a for a, k in zip(env.agents, kept, strict=True) if k < 0]
        states = np.array([next_states[k] for k in kept if k >= 0], dtype=np.int64)
        actions = np.array([next_actions[k] for k in kept if k >= 0], dtype=np.int64)
        if new_agents:
            new_states = self._agent_states(new_agents, obs)
            new_actions = self._choose(self._agent_tables(new_agents), new_states, epsilon)
            order = [a for a, k in zip(env.agents, kept, strict=True) if k >= 0] + new_agents
            states = np.concatenate([states, new_states])
            actions = np.concatenate([actions, new_actions])
            live["agents"] = order
        else:
            live["agents"] = list(env.agents)
        live["states"], live["actions"] = states, actions

    def _agent_tables(self, agents: list[str]) -> np.ndarray:
        return np.array([self._table_index(a) for a in agents], dtype=np.int64)

    def _agent_states(self, agents: list[str], obs: dict[str, Any]) -> np.ndarray:
        return np.array(
            [self.discretisers[self._table_of[a]].index(obs[a]) for a in agents], dtype=np.int64
        )

    # ----------------------------------------------------------------- persistence
    def save(self, path: Path) -> None:
        """Write ``table.npz`` and ``agent.json`` into the folder ``path`` (see the module
        docstring).

        Raises:
            ValueError: ``context.env_kwargs`` is not JSON-serialisable.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        discretisers = []
        for index, (table, disc) in enumerate(zip(self.tables, self.discretisers, strict=True)):
            arrays[f"q_{index}"] = table
            entry: dict[str, Any] = {"kind": disc.kind, "n_states": disc.n_states}
            if disc.kind == "discrete":
                entry["start"] = disc.start
            else:
                entry["obs_shape"] = list(disc.obs_shape)
                for key in ("features", "low", "high", "bins"):
                    arrays[f"{key}_{index}"] = getattr(disc, key)
            discretisers.append(entry)
        context = self.context.to_json()
        meta = {
            "format": SAVE_FORMAT,
            "algorithm": self.algorithm,
            "config": self.config.to_dict(),
            "context": context,
            "steps_done": self._steps_done,
            "epsilon": self.epsilon,
            "rng_state": self._rng.bit_generator.state,
            "recent_returns": list(self._returns),
            "agent_ids": self.agent_ids,
            "agent_tables": None
            if self.agent_ids is None
            else [self._table_of[a] for a in self.agent_ids],
            "discretisers": discretisers,
            "action_counts": self.action_counts.tolist(),
            "action_starts": self.action_starts.tolist(),
        }
        try:
            text = json.dumps(meta, indent=2)
        except TypeError as err:
            raise ValueError(
                f"cannot save: the env_kwargs and hyperparameters must be JSON-serialisable ({err})"
            ) from None
        np.savez(path / "table.npz", **arrays)
        (path / "agent.json").write_text(text)

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> TabularAgent:
        """Load an agent saved by ``save`` (``device`` is kept in the context, unused).

        Raises:
            FileNotFoundError: ``agent.json`` or ``table.npz`` is missing.
            ValueError: the save is of another algorithm or format.
        """
        path = Path(path)
        for name in ("agent.json", "table.npz"):
            if not (path / name).is_file():
                raise FileNotFoundError(f"no saved tabular agent at {path}: {name} is missing")
        meta = json.loads((path / "agent.json").read_text())
        if meta.get("format") != SAVE_FORMAT:
            raise ValueError(f"{path}: unknown save format {meta.get('format')!r}")
        algorithm = meta["algorithm"]
        classes = {klass.algorithm: klass for klass in (SarsaAgent, QLearningAgent)}
        if algorithm not in classes:
            raise ValueError(f"{path}: unknown algorithm {algorithm!r}")
        klass = classes[algorithm]
        if cls not in (TabularAgent, klass):
            raise ValueError(f"{path} holds a {algorithm} agent, not {cls.algorithm}")
        context = replace(TrainingContext.from_json(meta["context"]), device=device)
        with np.load(path / "table.npz", allow_pickle=False) as data:
            discretisers = []
            for index, entry in enumerate(meta["discretisers"]):
                if entry["kind"] == "discrete":
                    discretisers.append(Discretiser.discrete(entry["n_states"], entry["start"]))
                else:
                    discretisers.append(
                        Discretiser.box(
                            tuple(entry["obs_shape"]),
                            *(data[f"{key}_{index}"] for key in ("features", "low", "high")),
                            data[f"bins_{index}"],
                        )
                    )
            tables = [data[f"q_{index}"].copy() for index in range(len(discretisers))]
        agent = klass(
            context,
            TabularConfig.from_dict(meta["config"]),
            discretisers,
            meta["action_counts"],
            meta["action_starts"],
            meta["agent_ids"],
            meta["agent_tables"],
        )
        agent.tables = tables
        agent._steps_done = int(meta["steps_done"])
        agent._rng.bit_generator.state = meta["rng_state"]
        agent._returns.extend(meta["recent_returns"])
        return agent


def _groups(table_ids: np.ndarray) -> Sequence[int]:
    """The distinct tables of a batch (one for Gymnasium envs, so skip ``np.unique``)."""
    if len(table_ids) == 0:
        return ()
    first = int(table_ids[0])
    if (table_ids == first).all():
        return (first,)
    return [int(t) for t in np.unique(table_ids)]


class SarsaAgent(TabularAgent):
    """Tabular SARSA: on-policy TD control, target ``r + gamma * Q[s', a']``."""

    name: ClassVar[str] = "sarsa"
    algorithm: ClassVar[str] = "sarsa"


class QLearningAgent(TabularAgent):
    """Tabular Q-learning: off-policy TD control, target ``r + gamma * max_b Q[s', b]``."""

    name: ClassVar[str] = "qlearning"
    algorithm: ClassVar[str] = "qlearning"


__all__ = [
    "MAX_TABLE_ENTRIES",
    "Discretiser",
    "QLearningAgent",
    "SarsaAgent",
    "TabularAgent",
    "TabularConfig",
]
