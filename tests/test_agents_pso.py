"""PSO: the optimiser on known objectives, the agent on the ABR env, save/load, bad arguments."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium import spaces
from netgym.agents import pso_policies
from netgym.agents.base import TrainingContext
from netgym.agents.pso import (
    C_CONSTRICTION,
    W_CONSTRICTION,
    ParticleSwarm,
    PsoAgent,
    default_config,
    resolve_config,
)
from netgym.agents.pso_policies import (
    AbrBufferPolicy,
    LinearPolicy,
    ParameterisedPolicy,
    make_policy,
    register_policy,
)
from netgym.baselines.abr.heuristics import BBA
from netgym.leaderboard import evaluate

ABR = "netgym/AbrStreaming-v0"
SMALL_ABR = {"synthetic_traces": {"n_traces": 8}, "n_chunks": 24}
SMALL_PSO = {"n_particles": 8, "episodes_per_eval": 2}
HELD_OUT_SEEDS = list(range(10_000, 10_064))


def _agent(config: dict | None = None, seed: int = 0, env_kwargs: dict | None = None) -> PsoAgent:
    context = TrainingContext(ABR, env_kwargs=env_kwargs or SMALL_ABR, seed=seed)
    return PsoAgent.create(context, {**SMALL_PSO, **(config or {})})


def _iterations(agent: PsoAgent, count: int) -> list[tuple[int, dict[str, float]]]:
    """Run exactly ``count`` iterations through the progress callback; returns its calls."""
    calls: list[tuple[int, dict[str, float]]] = []

    def progress(steps: int, metrics: dict[str, float]) -> bool:
        calls.append((steps, metrics))
        return len(calls) < count

    agent.learn(10**9, progress)
    return calls


def _sphere(x: np.ndarray) -> np.ndarray:
    return np.sum(x**2, axis=1)


def _rosenbrock(x: np.ndarray) -> np.ndarray:
    return (1.0 - x[:, 0]) ** 2 + 100.0 * (x[:, 1] - x[:, 0] ** 2) ** 2


# ------------------------------------------------------------------------------- optimiser
def test_the_swarm_lives_in_baselines_and_keeps_its_agents_import_path():
    from netgym.baselines import swarm

    assert ParticleSwarm is swarm.ParticleSwarm
    assert (W_CONSTRICTION, C_CONSTRICTION) == (swarm.W_CONSTRICTION, swarm.C_CONSTRICTION)


def test_the_uav_pso_baselines_import_no_agent_code():
    """Dependencies point one way: agents use baselines, never the reverse."""
    code = """
import sys
from netgym.baselines import make_policy
for name in ("pso-static", "pso-step"):
    make_policy("netgym/UavOffload-v0", name)
print(sorted(name for name in sys.modules if name.startswith("netgym.agents")))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_constriction_constants_are_the_defaults():
    phi = 4.1  # Clerc & Kennedy (2002): phi1 = phi2 = 2.05
    chi = 2.0 / abs(2.0 - phi - math.sqrt(phi**2 - 4.0 * phi))
    assert W_CONSTRICTION == pytest.approx(chi, abs=1e-3)
    assert C_CONSTRICTION == pytest.approx(W_CONSTRICTION * 2.05, abs=1e-3)  # 1.49445
    swarm = ParticleSwarm(3, (-1.0, 1.0), seed=0)
    assert (swarm.n_particles, swarm.w, swarm.c1, swarm.c2) == (30, 0.729, 1.494, 1.494)
    config = default_config()
    assert (config["n_particles"], config["w"], config["c1"], config["c2"]) == (
        30,
        0.729,
        1.494,
        1.494,
    )


def test_finds_the_sphere_minimum_in_5d():
    swarm = ParticleSwarm(5, (-5.0, 5.0), seed=0)
    position, value = swarm.minimize(_sphere, 150)
    assert value < 1e-8
    np.testing.assert_allclose(position, 0.0, atol=1e-4)


def test_finds_a_shifted_sphere_minimum():
    centre = np.array([1.5, -2.25])
    swarm = ParticleSwarm(2, (-5.0, 5.0), n_particles=20, seed=1)
    position, value = swarm.minimize(lambda x: _sphere(x - centre), 100)
    np.testing.assert_allclose(position, centre, atol=1e-4)
    assert value < 1e-8


def test_finds_the_rosenbrock_minimum_in_2d():
    swarm = ParticleSwarm(2, (-2.0, 2.0), seed=0)
    position, value = swarm.minimize(_rosenbrock, 200)
    np.testing.assert_allclose(position, [1.0, 1.0], atol=1e-3)
    assert value < 1e-6


def test_scalar_objectives_work_unvectorised():
    swarm = ParticleSwarm(2, (-3.0, 3.0), n_particles=10, seed=0)
    position, score = swarm.maximize(lambda x: -float(np.sum((x - 1.0) ** 2)), 80, False)
    np.testing.assert_allclose(position, [1.0, 1.0], atol=1e-3)
    assert score <= 0.0


def test_same_seed_same_search_and_other_seed_another():
    runs = [ParticleSwarm(2, (-2.0, 2.0), seed=s).minimize(_rosenbrock, 20) for s in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_velocities_are_clamped_and_positions_stay_in_bounds():
    low, high = np.array([-1.0, 0.0, 10.0]), np.array([1.0, 4.0, 20.0])
    swarm = ParticleSwarm(3, (low, high), n_particles=12, v_max_frac=0.1, seed=0)
    v_max = 0.1 * (high - low)
    # The maximum of sum(x) is the corner `high`, so particles keep hitting the walls.
    wall_hits = 0
    for _ in range(40):
        positions = swarm.ask()
        assert np.all((positions >= low) & (positions <= high))
        swarm.tell(positions.sum(axis=1))
        assert np.all(np.abs(swarm.velocities) <= v_max + 1e-12)
        on_wall = (swarm.positions == low) | (swarm.positions == high)
        moving_out = (swarm.positions == high) & (swarm.velocities > 0)
        assert not moving_out.any()  # absorbing walls zero the velocity that crossed them
        wall_hits += int(on_wall.sum())
    assert wall_hits > 0
    np.testing.assert_array_equal(swarm.global_best_position, high)


def test_reevaluated_bests_replace_stale_scores():
    swarm = ParticleSwarm(1, (0.0, 1.0), n_particles=3, seed=0)
    swarm.tell(np.array([5.0, 1.0, 0.0]))
    assert swarm.global_best_score == 5.0
    first_leader = swarm.global_best_position.copy()
    # Fresh scores of the personal bests: particle 0 was lucky, particle 1 is the real best.
    swarm.tell(np.array([-1.0, -1.0, -1.0]), best_scores=np.array([0.5, 2.0, 0.0]))
    assert swarm.global_best_score == 2.0
    assert swarm.global_best_iteration == 1
    assert not np.array_equal(swarm.global_best_position, first_leader)


def test_swarm_state_round_trip_continues_identically():
    reference = ParticleSwarm(2, (-2.0, 2.0), n_particles=6, seed=3)
    reference.minimize(_rosenbrock, 5)
    arrays, meta = reference.get_state()
    copy = ParticleSwarm(2, (-2.0, 2.0), n_particles=6, seed=99)
    copy.set_state(arrays, json.loads(json.dumps(meta)))
    np.testing.assert_array_equal(
        reference.minimize(_rosenbrock, 5)[0], copy.minimize(_rosenbrock, 5)[0]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_particles": 1}, "n_particles"),
        ({"w": -0.1}, "w must"),
        ({"c1": -1.0}, "c1 must"),
        ({"c2": float("nan")}, "c2 must"),
        ({"v_max_frac": 0.0}, "v_max_frac"),
        ({"v_max_frac": 1.5}, "v_max_frac"),
        ({"bounds": (1.0, 1.0)}, "low < high"),
        ({"bounds": (0.0, [1.0, 2.0, 3.0])}, "bounds must be"),
        ({"bounds": (0.0, np.inf)}, "finite"),
        ({"initial_positions": np.array([[5.0, 0.0]])}, "inside the bounds"),
        ({"dim": 0}, "dim"),
    ],
)
def test_swarm_rejects_bad_arguments(kwargs, message):
    arguments = {"dim": 2, "bounds": (-1.0, 1.0), "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        ParticleSwarm(**arguments)


def test_swarm_rejects_bad_scores():
    swarm = ParticleSwarm(2, (-1.0, 1.0), n_particles=4, seed=0)
    with pytest.raises(ValueError, match="shape"):
        swarm.tell(np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        swarm.tell(np.array([0.0, np.nan, 1.0, 2.0]))


# ------------------------------------------------------------------------------- policies
def test_abr_buffer_policy_is_bba_on_the_observation():
    env = gym.make(ABR, **SMALL_ABR)
    policy = make_policy("abr-buffer", env.observation_space, env.action_space)
    for reservoir_s, cushion_s in [(5.0, 10.0), (2.5, 20.0), (12.0, 3.0)]:
        baseline = BBA(reservoir_s, cushion_s)
        params = np.array([reservoir_s, cushion_s])
        obs, info = env.reset(seed=4)
        baseline.reset(env)
        for _ in range(env.unwrapped.n_chunks - 1):
            action = policy.act(params, obs, info)
            assert action == baseline.act(obs, info)
            obs, _, terminated, _, info = env.step(action)
        assert terminated


def test_linear_policy_discrete_and_box_actions():
    observation = spaces.Box(
        np.array([0.0, -np.inf], dtype=np.float32),
        np.array([10.0, np.inf], dtype=np.float32),
        dtype=np.float32,
    )
    discrete = LinearPolicy(observation, spaces.Discrete(3, start=1))
    assert discrete.n_params == 3 * (2 + 1)
    params = np.zeros((2, 9))
    params[0, 6:] = [0.0, 1.0, 0.0]  # bias picks the 2nd action
    params[1, 0] = 1.0  # weight on the normalised first input: x=10 -> +1
    actions = discrete.act_batch(params, np.array([[10.0, 3.0], [10.0, 3.0]], dtype=np.float32))
    np.testing.assert_array_equal(actions, [2, 1])
    box = spaces.Box(-2.0, 2.0, shape=(2,), dtype=np.float32)
    continuous = LinearPolicy(observation, box)
    rng = np.random.default_rng(0)
    out = continuous.act_batch(rng.normal(0, 5, (16, 6)), rng.normal(0, 5, (16, 2)))
    assert out.shape == (16, 2) and out.dtype == np.float32
    assert np.all((out >= -2.0) & (out <= 2.0))
    assert LinearPolicy.unsupported_reason(observation, spaces.MultiBinary(2)) is not None
    assert LinearPolicy.unsupported_reason(spaces.Discrete(2), spaces.Discrete(2)) is not None


def test_register_policy_hook_trains_a_domain_policy(monkeypatch):
    monkeypatch.setattr(pso_policies, "_REGISTRY", dict(pso_policies._REGISTRY))

    class FixedLevel(ParameterisedPolicy):
        """Always the level nearest to its single parameter."""

        param_names = ("level",)

        def default_bounds(self):
            return np.array([0.0]), np.array([float(self.action_space.n - 1)])

        def act_batch(self, params, obs):
            return np.rint(params[:, 0]).astype(np.int64)

    register_policy("fixed-level", FixedLevel)
    with pytest.raises(ValueError, match="already registered"):
        register_policy("fixed-level", FixedLevel)
    agent = _agent({"policy": "fixed-level", "bounds": None})
    _iterations(agent, 3)
    assert set(agent.named_best_params) == {"level"}
    assert agent.act(np.zeros((6, 8), dtype=np.float32), {}) in range(6)


# ------------------------------------------------------------------------------- agent
def test_abr_buffer_improves_on_bba_and_reports_a_reproducible_best():
    agent = _agent()
    assert agent.policy.n_params == 2
    calls = _iterations(agent, 8)
    assert len(calls) == 8 == agent.iteration
    steps = [s for s, _ in calls]
    # 8 x 2 episodes of 23 steps, then also the 8 personal bests re-scored each iteration.
    assert steps[0] == 8 * 2 * 23 and np.all(np.diff(steps) == 2 * 8 * 2 * 23)
    assert agent.steps_done == steps[-1]
    # The best score is exactly the best parameters' mean return on their iteration's episodes.
    replay = agent.evaluate_params(agent.best_params, agent.iteration_seeds(agent.best_iteration))
    assert replay[0] == pytest.approx(agent.best_score, abs=1e-9)
    assert calls[-1][1]["best_score"] == agent.best_score
    # On fresh episodes the best found beats BBA(5, 10), the particle the swarm started from.
    held_out = agent.evaluate_params(np.array([agent.best_params, [5.0, 10.0]]), HELD_OUT_SEEDS)
    assert held_out[0] > held_out[1] + 5.0
    low, high = agent.swarm.low, agent.swarm.high
    assert np.all((agent.best_params >= low) & (agent.best_params <= high))


def test_best_after_more_iterations_plays_better_on_fresh_episodes():
    early, late = _agent(), _agent()
    _iterations(early, 1)
    _iterations(late, 8)
    scores = early.evaluate_params(np.array([early.best_params, late.best_params]), HELD_OUT_SEEDS)
    assert scores[1] > scores[0] + 5.0


def test_progress_false_stops_after_one_iteration_and_metrics_are_reported():
    agent = _agent()
    calls = []
    agent.learn(10**9, lambda steps, metrics: calls.append((steps, metrics)) or False)
    assert len(calls) == 1 and agent.iteration == 1
    metrics = calls[0][1]
    assert set(metrics) >= {"best_score", "mean_score"}
    assert metrics["best_score"] >= metrics["mean_score"]


def test_learn_runs_whole_iterations_until_the_budget_is_used():
    agent = _agent()
    agent.learn(1)
    assert agent.iteration == 1 and agent.steps_done == 8 * 2 * 23
    agent.learn(agent.steps_done * 2 + 1)  # a re-scored iteration is 2x the first: two needed
    assert agent.iteration == 3


def test_max_episode_steps_cuts_episodes():
    agent = _agent({"max_episode_steps": 5, "reevaluate_bests": False})
    agent.learn(1)
    assert agent.steps_done == 8 * 2 * 5


def test_linear_policy_trains_on_abr():
    agent = _agent({"policy": "linear", "bounds": [-0.5, 0.5]})
    assert agent.policy.n_params == 6 * (6 * 8 + 1)
    _iterations(agent, 3)
    assert np.all(np.abs(agent.best_params) <= 0.5)
    env = gym.make(ABR, **SMALL_ABR)
    obs, info = env.reset(seed=0)
    assert env.action_space.contains(agent.act(obs, info))


def test_linear_policy_solves_cartpole_with_variable_length_episodes():
    context = TrainingContext("CartPole-v1", seed=0)
    config = {"n_particles": 10, "episodes_per_eval": 5, "common_random_numbers": False}
    agent = PsoAgent.create(context, config)
    _iterations(agent, 10)
    assert agent.best_score == 500.0  # the time limit: every scored episode balanced to the end
    assert evaluate(agent, "CartPole-v1", episodes=10, seed=123).mean > 450.0


def test_common_random_numbers_need_per_sub_env_seeds():
    agent = PsoAgent.create(TrainingContext("CartPole-v1", seed=0), {"n_particles": 2})
    with pytest.raises(ValueError, match="common_random_numbers"):
        agent.learn(1)


def test_common_random_numbers_are_checked_on_the_first_iteration():
    # ABR's sequential trace order ignores the seeds: sub-env i plays trace i.
    sequential = {**SMALL_ABR, "trace_order": "sequential"}
    agent = _agent({"n_particles": 3}, env_kwargs=sequential)
    message = "common random numbers do not hold.*common_random_numbers: false"
    with pytest.raises(ValueError, match=message):
        agent.learn(1)
    off = _agent({"n_particles": 3, "common_random_numbers": False}, env_kwargs=sequential)
    off.learn(1)
    assert off.iteration == 1


def test_the_first_iteration_check_costs_no_counted_steps():
    agent = _agent({"n_particles": 2, "episodes_per_eval": 1, "reevaluate_bests": False})
    _iterations(agent, 1)
    env = gym.make(ABR, **SMALL_ABR)
    env.reset(seed=0)
    length, done = 0, False
    while not done:
        _, _, terminated, truncated, _ = env.step(0)
        length, done = length + 1, terminated or truncated
    # 2 particles x 1 episode (every ABR episode has the same length); the check's repeated
    # episode is not counted
    assert agent.steps_done == 2 * length
    assert agent._vector_envs == {}  # the check's vector env (3 sub-envs) was closed


def test_summary_names_the_best_parameters():
    agent = _agent({"n_particles": 2})
    assert agent.summary() == {}
    _iterations(agent, 2)
    summary = agent.summary()
    assert summary == {
        "best_params": agent.named_best_params,
        "best_score": agent.best_score,
        "best_iteration": agent.best_iteration,
        "iteration": 2,
    }
    assert set(summary["best_params"]) == {"reservoir_s", "cushion_s"}
    json.dumps(summary)


def test_default_config_uses_the_config_loader(monkeypatch):
    from netgym.agents import config_loader

    text = "default:\n  n_particles: 3\n  w: 5e-1\n" + ABR + ":\n  n_particles: 4\n"
    monkeypatch.setattr(config_loader, "packaged_config_text", {"pso": text}.get)
    assert default_config() == {"n_particles": 3, "w": 0.5}
    assert default_config(ABR) == {"n_particles": 4, "w": 0.5}
    assert default_config("netgym.envs:" + ABR) == {"n_particles": 4, "w": 0.5}


def test_create_with_an_empty_config_uses_the_packaged_defaults():
    agent = PsoAgent.create(TrainingContext(ABR, env_kwargs=SMALL_ABR), {})
    assert agent.config == resolve_config(ABR, {})
    assert agent.config["n_particles"] == default_config(ABR)["n_particles"]


def test_particles_share_the_episodes_of_an_iteration():
    agent = _agent({"n_particles": 4})
    same = np.array([[5.0, 10.0]] * 4)
    scores = agent.evaluate_params(same, agent.iteration_seeds(0))
    assert np.all(scores == scores[0])
    assert agent.iteration_seeds(0) != agent.iteration_seeds(1)
    assert agent.iteration_seeds(0) == _agent().iteration_seeds(0)


def test_save_load_acts_identically_and_resumes_identically(tmp_path):
    uninterrupted = _agent(seed=5)
    _iterations(uninterrupted, 3)
    agent = _agent(seed=5)
    _iterations(agent, 2)
    agent.save(tmp_path / "pso")
    assert {p.name for p in (tmp_path / "pso").iterdir()} == {"agent.json", "pso.npz"}
    loaded = PsoAgent.load(tmp_path / "pso")
    assert loaded.steps_done == agent.steps_done and loaded.iteration == 2
    np.testing.assert_array_equal(loaded.best_params, agent.best_params)
    assert loaded.best_score == agent.best_score
    first = evaluate(agent, ABR, episodes=2, seed=77, env_kwargs=SMALL_ABR)
    second = evaluate(loaded, ABR, episodes=2, seed=77, env_kwargs=SMALL_ABR)
    assert first.returns == second.returns
    _iterations(loaded, 1)
    assert loaded.steps_done == uninterrupted.steps_done
    np.testing.assert_array_equal(loaded.swarm.positions, uninterrupted.swarm.positions)
    np.testing.assert_array_equal(loaded.swarm.velocities, uninterrupted.swarm.velocities)
    np.testing.assert_array_equal(loaded.best_params, uninterrupted.best_params)
    assert loaded.best_score == uninterrupted.best_score


def test_saved_files_are_plain_data(tmp_path):
    agent = _agent()
    agent.learn(1)
    agent.save(tmp_path)
    record = json.loads((tmp_path / "agent.json").read_text())
    assert record["config"]["policy"] == "abr-buffer"
    assert record["param_names"] == ["reservoir_s", "cushion_s"]
    assert record["context"]["env_kwargs"] == SMALL_ABR
    with np.load(tmp_path / "pso.npz", allow_pickle=False) as data:
        assert data["positions"].shape == (8, 2)
        assert float(data["global_best_score"]) == agent.best_score


def test_abr_config_block_overrides_the_defaults():
    config = default_config(ABR)
    assert config["policy"] == "abr-buffer" and config["bounds"] is None
    assert default_config("CartPole-v1")["policy"] == "linear"
    assert isinstance(AbrBufferPolicy.unsupported_reason(*_spaces("CartPole-v1")), str)


def _spaces(env_id: str) -> tuple[gym.Space, gym.Space]:
    env = gym.make(env_id)
    return env.observation_space, env.action_space


# ------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"policy": "nope"}, "unknown PSO policy 'nope'"),
        ({"n_particles": 1}, "n_particles"),
        ({"n_particles": True}, "n_particles"),
        ({"c1": -0.5}, "c1"),
        ({"w": -1}, "w must"),
        ({"v_max_frac": 2.0}, "v_max_frac"),
        ({"bounds": [3.0, 3.0]}, "low < high"),
        ({"bounds": [[0.0, 1.0], [5.0, 2.0]]}, "low < high"),
        ({"bounds": [1, 2, 3]}, "bounds must be"),
        ({"bounds": [-1.0, 5.0]}, "reservoir_s >= 0"),
        ({"episodes_per_eval": 0}, "episodes_per_eval"),
        ({"learning_rate": 0.1}, "unknown PSO config keys \\['learning_rate'\\]"),
        ({"policy_kwargs": {"normalize_obs": "yes"}, "policy": "linear"}, "normalize_obs"),
        ({"policy_kwargs": {"depth": 2}}, "bad policy_kwargs"),
        ({"max_episode_steps": 0}, "max_episode_steps"),
        ({"reevaluate_bests": 1}, "reevaluate_bests"),
    ],
)
def test_agent_rejects_bad_config(config, message):
    with pytest.raises(ValueError, match=message):
        _agent(config)


def test_agent_rejects_unsupported_envs_and_misuse(tmp_path):
    with pytest.raises(ValueError, match="PettingZoo"):
        PsoAgent.create(TrainingContext("pz:netgym.envs.uav:parallel_env"), {})
    with pytest.raises(ValueError, match="abr-buffer policy needs"):
        PsoAgent.create(TrainingContext("CartPole-v1"), {"policy": "abr-buffer"})
    assert PsoAgent.unsupported_reason(*_spaces("CartPole-v1")) is None
    assert "abr-buffer" in PsoAgent.unsupported_reason(*_spaces("CartPole-v1"), "abr-buffer")
    agent = _agent()
    with pytest.raises(RuntimeError, match="learn"):
        agent.act(np.zeros((6, 8), dtype=np.float32), {})
    with pytest.raises(ValueError, match="timesteps"):
        agent.learn(0)
    with pytest.raises(ValueError, match="params must be"):
        agent.evaluate_params(np.zeros((1, 3)), [0])
    with pytest.raises(FileNotFoundError, match="no saved PSO agent"):
        PsoAgent.load(tmp_path / "missing")


def test_linear_policy_picks_one_level_per_multidiscrete_component():
    obs_space = spaces.Box(0.0, 1.0, (3,), dtype=np.float32)
    action_space = spaces.MultiDiscrete([4, 2, 3])
    policy = LinearPolicy(obs_space, action_space, normalize_obs=False)
    assert policy.n_outputs == 9
    params = np.zeros((2, 9 * 4))
    params[0, -9:] = [0, 0, 5, 0, 0, 1, 0, 0, 7]  # biases: levels 2, 1, 2
    params[1, -9:] = [1, 0, 0, 0, 3, 0, 0, 2, 0]  # levels 0, 0, 1
    actions = policy.act_batch(params, np.zeros((2, 3), dtype=np.float32))
    assert actions.tolist() == [[2, 1, 2], [0, 0, 1]]
    assert all(action_space.contains(a) for a in actions)


def test_pso_trains_a_linear_policy_on_the_uav_central_env():
    context = TrainingContext(
        "netgym/UavOffload-v0", env_kwargs={"params": "small", "obs_mode": "vector"}, seed=0
    )
    agent = PsoAgent.create(context, {"n_particles": 4, "episodes_per_eval": 1})
    agent.learn(400)
    env = gym.make("netgym/UavOffload-v0", params="small", obs_mode="vector")
    obs, info = env.reset(seed=3)
    assert env.action_space.contains(np.asarray(agent.act(obs, info)))
