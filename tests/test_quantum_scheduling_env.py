"""API, determinism, masks, invariants and metrics of netgym/QuantumNetworkScheduling-v0."""

from __future__ import annotations

import math

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import networkx as nx
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.baselines import BASELINES, make_policy
from netgym.baselines.quantum.scheduling import METRICS, baseline_table
from netgym.envs.quantum import physics
from netgym.envs.quantum.nv2019 import NV2019_FIDELITIES, NV2019_RATES_HZ
from netgym.envs.quantum.scheduling.env import QuantumNetworkSchedulingEnv
from netgym.envs.quantum.scheduling.metrics import JobRecord, qos_metrics
from netgym.envs.quantum.scheduling.params import SchedulingParams

ENV_ID = "netgym/QuantumNetworkScheduling-v0"
SHORT = {"horizon_slots": 400}


def make(**kwargs) -> QuantumNetworkSchedulingEnv:
    return gym.make(ENV_ID, **{**SHORT, **kwargs}).unwrapped


def random_rollout(env, seed: int, steps: int | None = None):
    """(obs, reward, info) of each step of a masked random policy seeded ``seed``."""
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    out = [(obs, 0.0, info)]
    done, count = False, 0
    while not done and (steps is None or count < steps):
        action = rng.choice(np.flatnonzero(env.action_masks()))
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, reward, info))
        done, count = terminated or truncated, count + 1
    return out


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"topology": "H", "release_mode": "poisson"}, {"topology": "line6", "n_paths": 1}],
)
def test_env_passes_gymnasium_check(kwargs):
    check_env(make(**kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"topology": "H", "release_mode": "poisson"}, {"topology": "line6", "n_paths": 1}],
)
def test_env_passes_sb3_check(kwargs):
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(make(**kwargs))


def test_spaces_follow_the_demands_paths_and_depths():
    env = make(n_demands=3, n_paths=2, max_depth=1)
    assert env.action_space.n == 1 + 3 * 2 * 2
    assert env.observation_space.shape == (9 * 3 + 2 * 4 + 3 * 3 + 1,)
    for action in range(1, env.action_space.n):
        assert env.encode_action(*env.decode_action(action)) == action
    with pytest.raises(ValueError, match="to decode"):
        env.decode_action(0)


def test_same_seed_same_trajectory_and_different_seeds_differ():
    a = random_rollout(make(), 5)
    b = random_rollout(make(), 5)
    assert len(a) == len(b)
    for (obs_a, r_a, info_a), (obs_b, r_b, info_b) in zip(a, b, strict=True):
        np.testing.assert_array_equal(obs_a, obs_b)
        assert r_a == r_b and info_a == info_b
    c = random_rollout(make(), 6)
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c, strict=False))


def test_sync_vector_env_equals_scalar_envs():
    vec = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", **SHORT)
    scalars = [make(), make()]
    obs, _ = vec.reset(seed=3)
    for i, env in enumerate(scalars):
        np.testing.assert_array_equal(obs[i], env.reset(seed=3 + i)[0])
    rng = np.random.default_rng(0)
    for _ in range(150):
        actions = np.array([rng.choice(np.flatnonzero(env.action_masks())) for env in scalars])
        obs, rewards, _, _, _ = vec.step(actions)
        for i, env in enumerate(scalars):
            o, r, *_ = env.step(int(actions[i]))
            np.testing.assert_array_equal(obs[i], o)
            assert rewards[i] == r
    vec.close()


def test_masked_action_raises_in_raise_mode_and_idles_in_noop_mode():
    env = make(invalid_action="raise")
    env.reset(seed=1)
    mask = env.action_masks()
    assert mask[0] and not mask.all()
    bad = int(np.flatnonzero(~mask)[0])
    with pytest.raises(ValueError, match="masked out"):
        env.step(bad)
    noop, idle = make(invalid_action_penalty=0.5), make()
    noop.reset(seed=1)
    idle.reset(seed=1)
    obs_n, r_n, *_, info_n = noop.step(bad)
    obs_i, r_i, *_, info_i = idle.step(0)
    assert info_n["invalid_action"] and not info_i["invalid_action"]
    np.testing.assert_array_equal(obs_n, obs_i)
    assert r_n == pytest.approx(r_i - 0.5)
    for action in (-1, env.action_space.n, 1.5, "a"):
        with pytest.raises(ValueError, match="action must be"):
            noop.step(action)


@pytest.mark.parametrize("name", ["random", "edf", "pts"])
def test_baselines_only_take_valid_actions(name):
    env = make(invalid_action="raise")
    policy = make_policy(ENV_ID, name, seed=0)
    obs, info = env.reset(seed=2)
    policy.reset(env)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        done = terminated or truncated
    assert set(BASELINES[ENV_ID]) == {"idle", "random", "edf", "pts"}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"topology": "H"}, {"topology": "line6", "max_depth": 2, "n_demands": 8}],
)
def test_invariants_hold_on_every_step(kwargs):
    env = make(horizon_slots=1500, **kwargs)
    sim, topo = env.sim, env.topology
    rng = np.random.default_rng(0)
    env.reset(seed=4)
    before: dict[tuple[int, int], tuple[float, int]] = {}
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(rng.choice(np.flatnonzero(env.action_masks())))
        done = terminated or truncated
        assert (sim.storage_used <= topo.storage_qubits).all()
        assert (sim.comm_used <= topo.comm_qubits).all()
        now: dict[tuple[int, int], tuple[float, int]] = {}
        for ex in sim.executions:
            for hop in np.flatnonzero(ex.has_pair):
                fid, pumps = float(ex.fidelity[hop]), int(ex.pumps[hop])
                assert 0.25 <= fid <= 1.0
                key = (ex.start_slot, int(hop))  # one start per slot: unique
                if key in before and before[key][1] == pumps:  # no purification in between
                    assert fid <= before[key][0] + 1e-12
                now[key] = (fid, pumps)
        before = now
        assert all(0.25 <= f <= 1.0 for f in sim.delivered_fidelities)
        assert (sim.edge_deliveries <= sim.generations).all()
        assert (sim.generations <= sim.attempts).all()
        pending = np.array([len(q) for q in sim.pending])
        completed = np.array([len(jobs) for jobs in sim.completed])
        np.testing.assert_array_equal(completed + sim.missed + pending, sim.released)
        assert info["completed_jobs"] <= info["delivered_pairs"]
    # delivered hashing yield per second never above the min-cut bound between the same users
    elapsed_s = sim.t * env.params.slot_s
    users: dict[frozenset, list[int]] = {}
    for d, demand in enumerate(sim.demands):
        users.setdefault(frozenset((demand.source, demand.destination)), []).append(d)
    for group in users.values():
        rate = sim.delivered_yield[group].sum() / elapsed_s
        assert rate <= sim.capacity_bound_ebit_s[group[0]]
    assert sim.deliveries.sum() > 0


def test_single_hop_delivers_the_table_fidelity_after_geometric_waits():
    # line6 nodes 0-1: one 5 km hop; F_min 0.55 -> the fastest row reaching it (F 0.574)
    env = make(
        topology="line6",
        demands=[(0, 1, 0.55, 1.25)],
        max_depth=0,
        n_paths=1,
        horizon_slots=20_000,
    )
    policy = make_policy(ENV_ID, "edf")
    obs, info = env.reset(seed=0)
    policy.reset(env)
    row = env.protocols[0].setting
    assert row == 7 and env.protocols[0].link_fidelity[0] == pytest.approx(0.5743, abs=1e-4)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        done = terminated or truncated
    sim = env.sim
    assert set(np.round(sim.delivered_fidelities, 12)) == {NV2019_FIDELITIES[row]}
    waits = np.array([job.end_slot - job.start_slot for job in sim.completed[0]])
    q = -math.expm1(-NV2019_RATES_HZ[5][row] * 0.01)
    sd = math.sqrt(1 - q) / q / math.sqrt(len(waits))
    assert len(waits) == 250 and sim.missed[0] == 0
    assert abs(waits.mean() - 1 / q) < 4 * sd  # geometric generation, mean 1/q slots


def test_two_hop_delivery_is_at_most_the_swap_of_fresh_links():
    env = make(topology="star", demands=[(0, 1, 0.55, 1.25)], max_depth=0, horizon_slots=3000)
    policy = make_policy(ENV_ID, "edf")
    obs, info = env.reset(seed=0)
    policy.reset(env)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        done = terminated or truncated
    fresh = env.protocols[0].link_fidelity[0]
    ceiling = physics.swap_werner(fresh, fresh)
    fids = np.array(env.sim.delivered_fidelities)
    assert len(fids) > 20 and (fids <= ceiling + 1e-12).all() and (fids < ceiling).any()


def test_metrics_match_the_paper_definitions_on_a_hand_built_schedule():
    # demand 0: period 10, jobs released 0, 10, 20, started 0, 12, 20, ended 5, 18, 26
    jobs0 = [JobRecord(0, 0, 5), JobRecord(10, 12, 18), JobRecord(20, 20, 26)]
    # demand 1: period 20, one job completed, one missed
    jobs1 = [JobRecord(0, 5, 7)]
    metrics = qos_metrics([10, 20], [jobs0, jobs1], [0, 1], elapsed_slots=30, slot_s=0.01)
    assert metrics["throughput_ebit_s"] == pytest.approx(4 / 0.30)
    assert metrics["wcrt_s"] == pytest.approx(0.08)  # job 2 of demand 0: 18 - 10 slots
    # start gaps 12 and 8 minus the period: +2 and -2 slots -> variance of (+0.02, -0.02) s
    assert metrics["jitter_s2"] == pytest.approx(np.var([0.02, -0.02]))
    assert metrics["satisfied_fraction"] == 0.5
    empty = qos_metrics([10], [[]], [0], elapsed_slots=0, slot_s=0.01)
    assert empty == {
        "throughput_ebit_s": 0.0,
        "wcrt_s": 0.0,
        "jitter_s2": 0.0,
        "satisfied_fraction": 0.0,
    }


def test_info_metrics_are_the_qos_metrics_of_the_recorded_jobs():
    env = make(horizon_slots=1000)
    *_, (_, _, info) = random_rollout(env, 1)
    sim = env.sim
    expected = qos_metrics(sim.periods.tolist(), sim.completed, sim.missed.tolist(), 1000, 0.01)
    for key, value in expected.items():
        assert info[key] == value
    ends = [job.end_slot - job.release_slot for jobs in sim.completed for job in jobs]
    assert info["wcrt_s"] == pytest.approx(max(ends) * 0.01)
    for d, jobs in enumerate(sim.completed):  # every completed job met its deadline
        assert all(job.end_slot - job.release_slot <= sim.periods[d] for job in jobs)


def test_edf_and_pts_beat_random_on_satisfied_fraction():
    def mean_satisfied(name: str) -> float:
        values = []
        for seed in range(8):
            env = make(horizon_slots=1000)
            policy = make_policy(ENV_ID, name, seed=seed)
            obs, info = env.reset(seed=seed)
            policy.reset(env)
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
                done = terminated or truncated
            values.append(info["satisfied_fraction"])
        return float(np.mean(values))

    random, edf, pts = (mean_satisfied(name) for name in ("random", "edf", "pts"))
    assert edf > random and pts > random


def test_baseline_table_reports_every_policy_and_metric():
    table = baseline_table(episodes=2, env_kwargs={"horizon_slots": 300})
    assert set(table) == set(BASELINES[ENV_ID])
    for row in table.values():
        assert set(row) == set(METRICS)
        assert all(np.isfinite(value).all() for value in row.values())
    assert table["idle"]["satisfied_fraction"] == [0.0, 0.0]
    assert table["idle"]["return"][0] < 0
    with pytest.raises(ValueError, match="episodes"):
        baseline_table(episodes=0)


def test_fixed_demands_and_demand_seed_fix_the_demands():
    env = make(demand_seed=7)
    env.reset(seed=0)
    first = env.demands
    env.reset(seed=1)
    assert env.demands == first
    env = make()
    env.reset(seed=0)
    a = env.demands
    env.reset(seed=1)
    assert env.demands != a


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"topology": "ring"}, "topology must be one of"),
        ({"n_demands": 0}, "n_demands must be >= 1"),
        ({"slot_s": -0.01}, "slot_s must be > 0"),
        ({"memory_time_s": 0.0}, "memory_time_s must be > 0"),
        ({"demand_fidelity": 0.2}, "demand_fidelity must be > 0.25"),
        ({"demand_fidelity_range": (0.7, 0.6)}, "demand_fidelity_range"),
        ({"release_mode": "bursty"}, "release_mode must be one of"),
        ({"invalid_action": "ignore"}, "invalid_action must be one of"),
        ({"demands": [(0, 1, 0.2, 1.0)]}, "fidelity_min must be in"),
        ({"demands": [(0, 3, 0.6, 1.0)]}, "not an end node"),
        ({"cutoff_slots": 0}, "cutoff_slots must be >= 1"),
        ({"bogus": 1}, "unknown QuantumNetworkScheduling parameters"),
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_demand_between_unconnected_nodes_and_too_long_links_raise():
    graph = nx.Graph()
    graph.add_edge(0, 1, length_km=5.0)
    graph.add_edge(2, 3, length_km=5.0)
    with pytest.raises(ValueError, match="not connected"):
        make(topology=graph, demands=[(0, 2, 0.6, 1.0)])
    far = nx.Graph()
    far.add_edge(0, 1, length_km=80.0)
    with pytest.raises(ValueError, match="longer than the link table"):
        make(topology=far)


def test_step_before_reset_and_after_the_end_raise():
    env = make(horizon_slots=3)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    for _ in range(3):
        *_, truncated, _ = env.step(0)
    assert truncated
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_presets_and_params_objects():
    noisy = SchedulingParams.preset("nv_noisy")
    assert noisy.swap_gate_fid == pytest.approx(1 - 1 / 60)
    env = make(params=noisy.replace(horizon_slots=50))
    env.reset(seed=0)
    assert env.params.swap_meas_fid == pytest.approx(0.9725)
    with pytest.raises(ValueError, match="unknown SchedulingParams preset"):
        SchedulingParams.preset("ideal")


def test_integer_valued_float_params_are_accepted_as_ints():
    # n_paths=2.0 used to pass validation and then raise a TypeError from gymnasium's Discrete
    env = make(n_demands=2.0, n_paths=2.0, max_depth=1.0, horizon_slots=20.0, cutoff_slots=30.0)
    env.reset(seed=0)
    assert env.action_space.n == 1 + 2 * 2 * 2
    assert type(env.params.horizon_slots) is int
    env.step(0)
