"""Tabular SARSA / Q-learning: optimum on small deterministic envs, discretiser, PettingZoo
independent and shared learners, ABR smoke training, schedules, save/load, bad arguments."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import yaml
from gymnasium import spaces
from netgym.agents.base import TrainingContext
from netgym.agents.qtables import td_update
from netgym.agents.tabular import (
    Discretiser,
    QLearningAgent,
    SarsaAgent,
    TabularAgent,
    TabularConfig,
)
from netgym.leaderboard import evaluate
from pettingzoo import ParallelEnv

CONFIG_DIR = Path(__file__).resolve().parents[1] / "agents" / "config"
AGENTS = [SarsaAgent, QLearningAgent]
CORRIDOR_LENGTH = 6  # cells 0..5, start 0, goal 5: the optimal return is -5
GOAL = CORRIDOR_LENGTH - 1
FAST = {"learning_rate": 0.5, "epsilon_decay_steps": 1500}
TRAINER_KEYS = ("n_envs", "n_timesteps", "lr_schedule", "env_kwargs")


class CorridorEnv(gym.Env):
    """A deterministic corridor: actions left / stay / right, reward -1 per step until the goal
    cell (terminal). ``box=True`` observes ``position / GOAL`` as a Box(0, 1, (1,))."""

    def __init__(self, box: bool = False) -> None:
        self.box = box
        self.action_space = spaces.Discrete(3)
        self.observation_space = (
            spaces.Box(0.0, 1.0, (1,), np.float32) if box else spaces.Discrete(CORRIDOR_LENGTH)
        )
        self.position = 0

    def _obs(self) -> Any:
        return np.array([self.position / GOAL], np.float32) if self.box else self.position

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        self.position = 0
        return self._obs(), {}

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict]:
        self.position = int(np.clip(self.position + int(action) - 1, 0, GOAL))
        return self._obs(), -1.0, self.position == GOAL, False, {}


class RewardLoopEnv(gym.Env):
    """One state, one action, reward 1 forever: only a time limit (truncation) ends it, so the
    true value is 1 / (1 - gamma)."""

    observation_space = spaces.Discrete(1)
    action_space = spaces.Discrete(1)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[int, dict]:
        super().reset(seed=seed)
        return 0, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict]:
        return 0, 1.0, False, False, {}


class LineEnv(ParallelEnv):
    """Two agents on a line of 7 cells that must each walk to the goal cell 3 (agent_0 from 0,
    agent_1 from 6); reward -1 per step until an agent reaches it, which ends that agent."""

    metadata = {"name": "line_v0"}
    goal = 3

    def __init__(self, max_steps: int = 20) -> None:
        self.possible_agents = ["agent_0", "agent_1"]
        self.max_steps = max_steps
        self._observation_space = spaces.Discrete(7)
        self._action_space = spaces.Discrete(3)  # left, stay, right

    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_space

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.agents = list(self.possible_agents)
        self.positions = {"agent_0": 0, "agent_1": 6}
        self.steps = 0
        return dict(self.positions), {a: {} for a in self.agents}

    def step(self, actions: dict) -> tuple[dict, dict, dict, dict, dict]:
        self.steps += 1
        for agent, action in actions.items():
            self.positions[agent] = int(np.clip(self.positions[agent] + action - 1, 0, 6))
        obs = {a: self.positions[a] for a in actions}
        rewards = dict.fromkeys(actions, -1.0)
        terminations = {a: self.positions[a] == self.goal for a in actions}
        truncations = {a: self.steps >= self.max_steps for a in actions}
        self.agents = [a for a in self.agents if not (terminations[a] or truncations[a])]
        return obs, rewards, terminations, truncations, {a: {} for a in actions}


def make_line_env(**kwargs: Any) -> LineEnv:
    """The factory behind the env id ``pz:test_agents_tabular:make_line_env``."""
    return LineEnv(**kwargs)


@contextlib.contextmanager
def registered(env_id: str, entry_point: Any, **kwargs: Any) -> Iterator[str]:
    """Register ``env_id`` for the duration of a test only."""
    gym.register(env_id, entry_point=entry_point, **kwargs)
    try:
        yield env_id
    finally:
        del gym.registry[env_id]


@pytest.fixture
def corridor() -> Iterator[str]:
    with registered("TabularTestCorridor-v0", CorridorEnv, max_episode_steps=40) as env_id:
        yield env_id


@pytest.fixture
def line_env_id(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return "pz:test_agents_tabular:make_line_env"


def greedy_return(agent: TabularAgent, env_id: str, **env_kwargs: Any) -> float:
    result = evaluate(agent, env_id, episodes=1, seed=0, env_kwargs=env_kwargs)
    return float(result.to_dict()["returns"][0])


def yaml_config(algorithm: str, env_id: str | None = None) -> dict[str, Any]:
    """The packaged hyperparameters for ``env_id``: the ``default`` block updated by the env's
    block, without the training-run keys (as ``netgym.agents.config_loader`` resolves them)."""
    sections = yaml.safe_load((CONFIG_DIR / f"{algorithm}.yaml").read_text())
    merged = {**sections["default"], **(sections.get(env_id) or {})}
    return {k: v for k, v in merged.items() if k not in TRAINER_KEYS}


# ------------------------------------------------------------------ reaching the optimum
@pytest.mark.parametrize("agent_class", AGENTS, ids=lambda c: c.name)
@pytest.mark.parametrize("n_envs", [1, 4])
@pytest.mark.parametrize("box", [False, True], ids=["discrete", "box"])
def test_reaches_the_corridor_optimum(corridor, agent_class, n_envs, box):
    context = TrainingContext(env_id=corridor, env_kwargs={"box": box}, seed=3, n_envs=n_envs)
    agent = agent_class.create(context, {**FAST, "bins": CORRIDOR_LENGTH})
    agent.learn(3000)
    assert greedy_return(agent, corridor, box=box) == -GOAL
    assert [
        agent.act(cell if not box else np.array([cell / GOAL]), {}) for cell in range(GOAL)
    ] == [2] * GOAL
    if agent_class is QLearningAgent:
        # deterministic env: Q of the optimal action converges to -(1 - gamma^k) / (1 - gamma)
        gamma = agent.config.gamma
        optimum = [-(1 - gamma ** (GOAL - cell)) / (1 - gamma) for cell in range(GOAL)]
        np.testing.assert_allclose(agent.table_for()[:GOAL, 2], optimum, atol=1e-2)


def test_no_update_across_the_autoreset_step(corridor):
    # the step after the goal only resets the sub-env; learning from it would write the goal row
    agent = QLearningAgent.create(TrainingContext(env_id=corridor, n_envs=4), FAST)
    agent.learn(2000)
    assert np.all(agent.table_for()[GOAL] == 0.0)


def test_truncation_bootstraps_termination_does_not():
    with registered("TabularTestLoop-v0", RewardLoopEnv, max_episode_steps=5) as env_id:
        config = {"learning_rate": 0.5, "gamma": 0.5}
        agent = QLearningAgent.create(TrainingContext(env_id=env_id, n_envs=2), config)
        agent.learn(400)
    # a value of 1 / (1 - gamma) = 2 is only reachable when truncated steps bootstrap
    assert agent.table_for()[0, 0] == pytest.approx(2.0, abs=1e-6)


def test_repeated_cells_in_one_step_average_their_td_errors():
    table = np.zeros((2, 2))
    states, actions = np.array([1, 1, 0]), np.array([0, 0, 1])
    td_update(table, states, actions, np.array([1.0, 3.0, 4.0]), learning_rate=0.5)
    np.testing.assert_allclose(table, [[0.0, 2.0], [1.0, 0.0]])


# ------------------------------------------------------------------ PettingZoo
@pytest.mark.parametrize("agent_class", AGENTS, ids=lambda c: c.name)
@pytest.mark.parametrize("shared", [False, True], ids=["independent", "shared"])
def test_parallel_learners_reach_the_goal(line_env_id, agent_class, shared):
    context = TrainingContext(env_id=line_env_id, seed=1)
    agent = agent_class.create(context, {**FAST, "shared_table": shared})
    agent.learn(3000)
    assert len(agent.tables) == (1 if shared else 2)
    env = make_line_env()
    obs, info = env.reset(seed=0)
    steps = 0
    while env.agents:
        actions = agent.act(obs, info)
        assert set(actions) == set(env.agents)
        obs, _, _, _, info = env.step(actions)
        steps += 1
    assert steps == LineEnv.goal  # both agents walk straight to the goal
    assert agent.act({"agent_0": 0, "agent_1": 6}, {}) == {"agent_0": 2, "agent_1": 0}


def test_parallel_agent_saves_and_reloads(line_env_id, tmp_path):
    agent = SarsaAgent.create(TrainingContext(env_id=line_env_id), FAST)
    agent.learn(500)
    agent.save(tmp_path / "agent")
    loaded = SarsaAgent.load(tmp_path / "agent")
    for agent_id in agent.agent_ids:
        np.testing.assert_array_equal(loaded.table_for(agent_id), agent.table_for(agent_id))
    for cell in range(7):
        obs = {"agent_0": cell, "agent_1": 6 - cell}
        assert loaded.act(obs, {}) == agent.act(obs, {})
    with pytest.raises(ValueError, match="unknown agent 'agent_9'"):
        loaded.act({"agent_9": 0}, {})


# ------------------------------------------------------------------ save / load
@pytest.mark.parametrize("agent_class", AGENTS, ids=lambda c: c.name)
def test_save_load_round_trip_acts_and_resumes_identically(corridor, agent_class, tmp_path):
    context = TrainingContext(env_id=corridor, env_kwargs={"box": True}, seed=5, n_envs=2)
    agent = agent_class.create(context, {**FAST, "bins": 4})
    agent.learn(300)
    agent.save(tmp_path / "run")
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"agent.json", "table.npz"}
    with np.load(tmp_path / "run" / "table.npz", allow_pickle=False) as data:
        np.testing.assert_array_equal(data["bins_0"], [4])
    meta = json.loads((tmp_path / "run" / "agent.json").read_text())
    assert meta["algorithm"] == agent_class.name and meta["steps_done"] == 300

    loaded = TabularAgent.load(tmp_path / "run")
    assert type(loaded) is agent_class
    assert loaded.steps_done == agent.steps_done and loaded.epsilon == agent.epsilon
    np.testing.assert_array_equal(loaded.table_for(), agent.table_for())
    for x in np.linspace(-0.2, 1.2, 29, dtype=np.float32):
        assert loaded.act(np.array([x]), {}) == agent.act(np.array([x]), {})

    # resuming is deterministic: two reloads trained alike end with identical tables
    again = agent_class.load(tmp_path / "run")
    loaded.learn(200)
    again.learn(200)
    assert loaded.steps_done == 500
    np.testing.assert_array_equal(loaded.table_for(), again.table_for())


def test_load_checks_the_algorithm_and_the_files(corridor, tmp_path):
    agent = SarsaAgent.create(TrainingContext(env_id=corridor), {})
    agent.save(tmp_path / "sarsa")
    with pytest.raises(ValueError, match="holds a sarsa agent, not qlearning"):
        QLearningAgent.load(tmp_path / "sarsa")
    (tmp_path / "sarsa" / "table.npz").unlink()
    with pytest.raises(FileNotFoundError, match="table.npz is missing"):
        SarsaAgent.load(tmp_path / "sarsa")


# ------------------------------------------------------------------ discretiser
def test_discretiser_bins_edges_and_clips():
    discretiser = Discretiser.box((1,), [0], [0.0], [1.0], [4])
    values = [-0.5, 0.0, 0.2499, 0.25, 0.5, 0.7499, 0.75, 0.99, 1.0, 7.0, np.inf]
    states = discretiser.indices(np.array(values)[:, None])
    np.testing.assert_array_equal(states, [0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 3])
    np.testing.assert_allclose(discretiser.edges()[0], [0.0, 0.25, 0.5, 0.75, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        discretiser.index(np.array([np.nan]))


def test_discretiser_mixed_radix_over_chosen_features():
    rng = np.random.default_rng(0)
    discretiser = Discretiser.box((2, 3), [5, 0, 2], [0.0, -1.0, 0.0], [1.0, 1.0, 10.0], [3, 2, 5])
    assert discretiser.n_states == 30
    batch = rng.uniform(-2.0, 12.0, size=(200, 2, 3))
    flat = batch.reshape(200, -1)[:, [5, 0, 2]]
    bins = [
        np.clip(np.floor((flat[:, d] - lo) / (hi - lo) * b), 0, b - 1).astype(int)
        for d, (lo, hi, b) in enumerate([(0.0, 1.0, 3), (-1.0, 1.0, 2), (0.0, 10.0, 5)])
    ]
    expected = np.ravel_multi_index(bins, (3, 2, 5))
    np.testing.assert_array_equal(discretiser.indices(batch), expected)
    assert discretiser.index(batch[7]) == expected[7]


def test_discretiser_defaults_to_space_bounds_and_requires_finite_ones():
    space = spaces.Box(np.array([0.0, -np.inf]), np.array([2.0, np.inf]), dtype=np.float64)
    bounded = Discretiser.for_space(space, TabularConfig(features=(0,), bins=2))
    np.testing.assert_allclose(bounded.edges()[0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="observation entry 1 is unbounded"):
        Discretiser.for_space(space, TabularConfig(bins=2))
    given = Discretiser.for_space(space, TabularConfig(bins=2, low=(None, -1.0), high=(None, 1.0)))
    assert given.index(np.array([1.5, -0.5])) == 2
    shifted = Discretiser.for_space(spaces.Discrete(3, start=-1), TabularConfig())
    np.testing.assert_array_equal(shifted.indices(np.array([-1, 0, 1])), [0, 1, 2])
    with pytest.raises(ValueError, match="outside Discrete"):
        shifted.index(2)


# ------------------------------------------------------------------ ABR, schedules, progress
@pytest.mark.parametrize("algorithm", ["sarsa", "qlearning"])
def test_trains_on_abr_with_the_yaml_defaults(algorithm):
    env_id = "netgym/AbrStreaming-v0"
    env_kwargs = {"synthetic_traces": {"n_traces": 4}}
    context = TrainingContext(env_id=env_id, env_kwargs=env_kwargs, n_envs=4, seed=0)
    agent_class = SarsaAgent if algorithm == "sarsa" else QLearningAgent
    agent = agent_class.create(context, yaml_config(algorithm, env_id))
    agent.learn(3000)
    assert agent.steps_done == 3000
    assert np.isfinite(agent.table_for()).all() and agent.table_for().any()
    env = gym.make(env_id, **env_kwargs)
    obs, info = env.reset(seed=1)
    for _ in range(20):
        action = agent.act(obs, info)
        assert isinstance(action, int) and env.action_space.contains(action)
        obs, _, terminated, _, info = env.step(action)
        assert not terminated


@pytest.mark.parametrize("schedule", ["constant", "linear", "rex"])
@pytest.mark.parametrize("total", [0, 2000])
def test_lr_schedule_drives_the_learning_rate(corridor, schedule, total):
    context = TrainingContext(
        env_id=corridor, lr_schedule=schedule, total_timesteps=total, n_envs=2
    )
    agent = SarsaAgent.create(context, {"learning_rate": 0.2})
    reports: list[tuple[int, dict[str, float]]] = []
    agent.learn(2000, lambda steps, metrics: reports.append((steps, metrics)) or True)
    rates = [metrics["learning_rate"] for _, metrics in reports]
    assert rates[0] <= 0.2
    if schedule == "constant":
        assert rates == [0.2] * len(rates)
    else:
        assert rates[-1] < rates[0] and rates == sorted(rates, reverse=True)


def test_progress_reports_every_thousand_steps_and_can_stop(corridor):
    agent = QLearningAgent.create(TrainingContext(env_id=corridor, n_envs=3), {})
    reports: list[tuple[int, dict[str, float]]] = []
    agent.learn(5000, lambda steps, metrics: reports.append((steps, metrics)) or True)
    steps = [0] + [s for s, _ in reports]
    assert max(np.diff(steps)) <= 1000 and steps[-1] == agent.steps_done == 5001
    assert {"epsilon", "learning_rate", "episode_return"} <= set(reports[-1][1])
    assert reports[-1][1]["epsilon"] < reports[0][1]["epsilon"]

    stopping = QLearningAgent.create(TrainingContext(env_id=corridor), {})
    stopping.learn(10_000, lambda steps, metrics: False)
    assert stopping.steps_done == 1000


# ------------------------------------------------------------------ configuration and errors
@pytest.mark.parametrize("algorithm", ["sarsa", "qlearning"])
def test_yaml_defaults_match_the_config_class(algorithm):
    sections = yaml.safe_load((CONFIG_DIR / f"{algorithm}.yaml").read_text())
    assert TabularConfig.from_dict(sections["default"]) == TabularConfig()
    for env_id in sections:
        TabularConfig.from_dict(yaml_config(algorithm, env_id))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"alpha": 0.1}, r"unknown tabular hyperparameter\(s\) \['alpha'\]"),
        ({"learning_rate": -0.1}, r"learning_rate must be in \(0.0, 1.0\], got -0.1"),
        ({"learning_rate": "1e-3"}, "learning_rate must be a number, got '1e-3'"),
        ({"gamma": 1.5}, r"gamma must be in \[0.0, 1.0\], got 1.5"),
        ({"epsilon_end": 0.5, "epsilon_start": 0.2}, "epsilon_end must be in .*got 0.5"),
        ({"epsilon_decay": "cosine"}, "epsilon_decay must be one of"),
        ({"epsilon_decay": "exponential", "epsilon_end": 0.0}, "epsilon_end must be > 0"),
        ({"epsilon_decay_steps": 0}, "epsilon_decay_steps must be >= 1, got 0"),
        ({"bins": 0}, "bins must be >= 1, got 0"),
        ({"bins": [3, 0]}, r"bins\[1\] must be >= 1, got 0"),
        ({"bins": 2.5}, "bins must be an integer, got 2.5"),
        ({"features": [1, 1]}, "features must not repeat"),
        ({"features": [-1]}, r"features\[0\] must be >= 0, got -1"),
        ({"low": [0.0, "x"]}, r"low\[1\] must be a number"),
        ({"shared_table": "yes"}, "shared_table must be true or false"),
    ],
)
def test_bad_hyperparameters_name_the_key_and_value(config, message):
    with pytest.raises(ValueError, match=message):
        TabularConfig.from_dict(config)


def test_bad_environments_and_arguments(corridor, line_env_id):
    abr = TrainingContext(env_id="netgym/AbrStreaming-v0", env_kwargs={"synthetic_traces": {}})
    with pytest.raises(ValueError, match="use fewer bins or fewer features"):
        SarsaAgent.create(abr, {"bins": 4})  # 4^48 states
    with pytest.raises(ValueError, match=r"bins has 2 entries but 3 features"):
        SarsaAgent.create(abr, {"features": [7, 15, 23], "bins": [4, 4]})
    with pytest.raises(ValueError, match=r"flat indices in \[0, 47\]"):
        SarsaAgent.create(abr, {"features": [48]})
    with pytest.raises(ValueError, match="unknown lr schedule"):
        SarsaAgent.create(TrainingContext(env_id=corridor, lr_schedule="cosine"), {})
    with pytest.raises(ValueError, match="n_envs must be 1 for a PettingZoo env"):
        SarsaAgent.create(TrainingContext(env_id=line_env_id, n_envs=2), {})
    agent = SarsaAgent.create(TrainingContext(env_id=corridor), {})
    with pytest.raises(ValueError, match="timesteps must be >= 1, got 0"):
        agent.learn(0)
    with pytest.raises(ValueError, match="outside Discrete"):
        agent.act(CORRIDOR_LENGTH, {})


def test_unsupported_spaces_are_explained():
    box = spaces.Box(0.0, 1.0, (2,))
    assert SarsaAgent.unsupported_reason(spaces.Discrete(3), spaces.Discrete(2)) is None
    assert QLearningAgent.unsupported_reason(box, spaces.Discrete(2)) is None
    assert "Discrete action space" in SarsaAgent.unsupported_reason(box, box)
    reason = SarsaAgent.unsupported_reason(spaces.Dict({"a": box}), spaces.Discrete(2))
    assert "Discrete observation space or a Box" in reason
