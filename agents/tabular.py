"""Tabular SARSA and Q-learning on Gymnasium vector envs and PettingZoo parallel envs.

Both agents keep a table ``Q[state, action]``, act epsilon-greedily while training and greedily
(lowest index on ties) in ``act``. On a vector env one step updates the table from all sub-envs
at once (``qtables.py``); on a PettingZoo env each agent learns its own table (or one shared
table). ``Box`` observations go through ``discretiser.py``. The update rules, the schedules and
the saved-agent format (``tabular_io.py``) are described in ``docs/training.md`` ("Tabular
agents").
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from ..envs.core.make import is_parallel_env_id, make_env, make_vector_env
from .base import Agent, ProgressCallback, TrainingContext
from .discretiser import MAX_TABLE_ENTRIES, Discretiser
from .qtables import QTables
from .schedules import make_schedule
from .tabular_config import TabularConfig, check_integer
from .tabular_io import SAVE_FORMAT, read_saved, write_saved

REPORT_EVERY = 1000
"""``learn`` calls ``progress`` at least once per this many env steps."""
RETURN_WINDOW = 100
"""The ``episode_return`` metric is the mean of this many most recent finished episodes."""


class TabularAgent(Agent):
    """Tabular SARSA / Q-learning (see docs/training.md); use ``SarsaAgent`` or
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
        self.q = QTables(
            self.algorithm,
            config.gamma,
            [d.n_states for d in discretisers],
            self.action_counts,
            config.initial_q,
            context.seed,
        )
        """the tables, their epsilon-greedy choice and TD update, and the exploration RNG"""
        self._steps_done = 0
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
            discretiser.check_table_size(int(action_space.n))
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
    def tables(self) -> list[np.ndarray]:
        """The Q-tables (states x actions), one per discretiser."""
        return self.q.tables

    @property
    def epsilon(self) -> float:
        """Exploration probability at the current ``steps_done``."""
        return self.config.epsilon_at(self._steps_done)

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
        return int(self.action_starts[table] + self.q.greedy(table, state))

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
        check_integer("timesteps", timesteps, 1)
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
                "actions": self.q.choose(table_ids, states, epsilon),
                "after_done": np.zeros(n_envs, dtype=bool),
                "returns": np.zeros(n_envs),
            }
        obs, rewards, terminated, truncated, _ = env.step(live["actions"] + self.action_starts[0])
        rewards = np.asarray(rewards, dtype=np.float64)
        next_states = discretiser.indices(obs)
        # NEXT_STEP autoreset: a sub-env whose episode ended last step only reset now
        learn_mask = ~live["after_done"]
        live["actions"] = self.q.learn(
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
                "actions": self.q.choose(self._agent_tables(agents), states, epsilon),
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
        next_actions = self.q.learn(
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
            new_actions = self.q.choose(self._agent_tables(new_agents), new_states, epsilon)
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
        """Write ``agent.json`` and ``table.npz`` into the folder ``path`` (``tabular_io``).

        Raises:
            ValueError: ``context.env_kwargs`` is not JSON-serialisable.
        """
        arrays: dict[str, np.ndarray] = {}
        for index, (table, disc) in enumerate(zip(self.tables, self.discretisers, strict=True)):
            arrays[f"q_{index}"] = table
            arrays.update({f"{key}_{index}": value for key, value in disc.arrays().items()})
        meta = {
            "format": SAVE_FORMAT,
            "algorithm": self.algorithm,
            "config": self.config.to_dict(),
            "context": self.context.to_json(),
            "steps_done": self._steps_done,
            "epsilon": self.epsilon,
            "rng_state": self.q.rng.bit_generator.state,
            "recent_returns": list(self._returns),
            "agent_ids": self.agent_ids,
            "agent_tables": None
            if self.agent_ids is None
            else [self._table_of[a] for a in self.agent_ids],
            "discretisers": [disc.describe() for disc in self.discretisers],
            "action_counts": self.action_counts.tolist(),
            "action_starts": self.action_starts.tolist(),
        }
        write_saved(Path(path), meta, arrays)

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> TabularAgent:
        """Load an agent saved by ``save`` (``device`` is kept in the context, unused).

        Raises:
            FileNotFoundError: ``agent.json`` or ``table.npz`` is missing.
            ValueError: the save is of another algorithm or format.
        """
        meta, arrays = read_saved(Path(path))
        algorithm = meta["algorithm"]
        classes = {klass.algorithm: klass for klass in (SarsaAgent, QLearningAgent)}
        if algorithm not in classes:
            raise ValueError(f"{path}: unknown algorithm {algorithm!r}")
        klass = classes[algorithm]
        if cls not in (TabularAgent, klass):
            raise ValueError(f"{path} holds a {algorithm} agent, not {cls.algorithm}")
        context = replace(TrainingContext.from_json(meta["context"]), device=device)
        discretisers = [
            Discretiser.from_saved(entry, arrays, suffix=f"_{index}")
            for index, entry in enumerate(meta["discretisers"])
        ]
        agent = klass(
            context,
            TabularConfig.from_dict(meta["config"]),
            discretisers,
            meta["action_counts"],
            meta["action_starts"],
            meta["agent_ids"],
            meta["agent_tables"],
        )
        agent.q.tables = [arrays[f"q_{index}"].copy() for index in range(len(discretisers))]
        agent._steps_done = int(meta["steps_done"])
        agent.q.rng.bit_generator.state = meta["rng_state"]
        agent._returns.extend(meta["recent_returns"])
        return agent


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
