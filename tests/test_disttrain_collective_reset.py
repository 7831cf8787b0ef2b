"""CollectivePath's compiled reset and step bookkeeping (``plan_flows``, ``load_decisions``,
``congestion_of``, ``place_pieces``' completed patterns) give the numpy reference's values."""

from __future__ import annotations

import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from netgym.envs.disttrain import CollectivePathParams
from netgym.envs.disttrain.collective.env import CollectivePathEnv, CollectivePathVectorEnv
from netgym.envs.disttrain.collective.episode import Model, plan_episode
from netgym.envs.disttrain.collective.kernels import congestion_of, plan_flows
from netgym.envs.disttrain.collective.sim import CollectiveSim
from netgym.envs.disttrain.cost import congestion

CHANGES = [
    {},
    {"failed_links": 3, "failure_factor": 0.0, "collective": "alltoall_pairwise"},
    {"topology": "fat_tree", "collective": "halving_doubling", "failed_links": 2},
    {"collective": "permutation", "persistent": False, "failed_links": 2},
    {"pieces": 3, "reward": "dense"},
]


@pytest.mark.parametrize("changes", CHANGES)
def test_compiled_plan_layout_equals_the_numpy_layout(changes):
    """The plan's switches, connections (``numpy.unique``'s inverse), decision flows
    (``flatnonzero``) and decisions per pattern (``searchsorted``) from ``plan_flows``."""
    params = CollectivePathParams.small(**changes)
    model = Model.build(params)
    rng = np.random.default_rng(3)
    for _ in range(4):
        plan = plan_episode(model, rng)
        fab, pats = plan.fabric, plan.patterns
        src, dst = pats.src, pats.dst
        assert np.array_equal(src, plan.nic_of_rank[pats_rank_src(model, plan)])
        a, b = fab.nic_switch[src], fab.nic_switch[dst]
        assert np.array_equal(plan.flow_a, a) and np.array_equal(plan.flow_b, b)
        if params.persistent:
            _, first, inverse = np.unique(src * fab.n_nics + dst, True, True)
            needs = (a != b) & (first[inverse] == np.arange(len(src)))
        else:
            inverse, needs = np.arange(len(src)), a != b
        assert np.array_equal(plan.flow_conn, inverse)
        assert plan.n_conn == inverse.max() + 1
        dec_flow = np.flatnonzero(needs)
        assert np.array_equal(plan.dec_flow, dec_flow)
        of_flow = np.repeat(np.arange(pats.count), np.diff(pats.flow_start))
        expected_end = np.searchsorted(of_flow[dec_flow], np.arange(pats.count), side="right")
        assert np.array_equal(plan.dec_end, expected_end)
        assert plan.dec_end.dtype == np.int64


def pats_rank_src(model: Model, plan) -> np.ndarray:
    """The ranks that send each flow of the plan (permutation traffic: recovered from the
    plan's NICs)."""
    if model.patterns is not None:
        return model.patterns.src
    rank_of_nic = np.full(plan.fabric.n_nics, -1)
    rank_of_nic[plan.nic_of_rank] = np.arange(len(plan.nic_of_rank))
    return rank_of_nic[plan.patterns.src]


def test_plan_flows_reports_a_placement_inside_one_switch():
    """Every rank on one edge switch: status -2 and no decisions (the caller redraws or
    raises)."""
    params = CollectivePathParams.small()
    model = Model.build(params)
    fab, pats = model.fabric, model.patterns
    same = np.flatnonzero(fab.nic_switch == 0)[: params.n_ranks]
    if len(same) < params.n_ranks:
        same = np.zeros(params.n_ranks, dtype=np.int64)  # every rank on NIC 0: one switch
    tables = (
        fab.nic_switch,
        fab.capacity,
        fab.factors,
        fab.paths,
        fab.n_paths,
        *model.cut_links,
        fab.n_nics,
        fab.n_switches,
    )
    flows = plan_flows(
        same.astype(np.int64),
        pats.src,
        pats.dst,
        pats.unit,
        pats.flow_start.astype(np.int64),
        model.layout[0],
        True,
        tables,
    )
    assert flows[0] == -2 and len(flows[7]) == 0


def test_compiled_congestion_equals_cost_congestion():
    """``congestion_of`` is ``cost.congestion``: idle links 0, a loaded failed link infinite,
    the null (last) link ignored."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        loads = np.where(rng.random(n) < 0.3, 0.0, rng.random(n) * 5)
        capacity = np.where(rng.random(n) < 0.1, 0.0, rng.random(n) * 3 + 0.1)
        assert congestion_of(loads, capacity) == congestion(loads, capacity)
    assert congestion_of(np.array([0.0, 7.0]), np.array([1.0, 0.0])) == 0.0
    assert congestion_of(np.array([2.0, 0.0]), np.array([0.0, 1.0])) == np.inf


@pytest.mark.parametrize("changes", CHANGES)
def test_reset_writes_every_decision_row_of_the_plan(changes):
    """After a reset (the ``load_decisions`` kernel) each env's decision rows are its plan's
    decision flows' switches, connections and piece sizes, with no path chosen yet, and
    ``healthy`` says whether every capacity factor of the env is 1."""
    params = CollectivePathParams.small(**changes)
    sim = CollectiveSim(params, 3)
    rngs = [np.random.default_rng(seed) for seed in range(3)]
    for _ in range(2):
        sim.reset(np.arange(3), rngs, {})
        for m in range(3):
            plan = sim.plans[m]
            q, nq = plan.dec_flow, len(plan.dec_flow)
            assert np.array_equal(sim.dec_a[m, :nq], plan.flow_a[q])
            assert np.array_equal(sim.dec_b[m, :nq], plan.flow_b[q])
            assert np.array_equal(sim.dec_conn[m, :nq], plan.flow_conn[q])
            assert np.array_equal(sim.dec_unit[m, :nq], plan.patterns.unit[q] / params.pieces)
            assert (sim.conn_path[m] == -1).all()
            assert sim.n_decisions[m] == nq * params.pieces
            assert sim.cursor[m] == 0 and sim.steps[m] == 0 and sim.rerouted[m] == 0
            # the observation kernel's shortcut flag follows the env's capacity factors
            assert sim.healthy[m] == (sim.factors[m] == 1.0).all()
            assert sim.healthy[m] == (params.failed_links == 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"failed_links": 2, "reward": "dense"},
        {"collective": "permutation", "pieces": 2},
        {"topology": "rail_optimised"},
    ],
)
def test_vector_env_replays_scalar_episodes_across_autoresets(changes):
    """Sub-env i plays a scalar env seeded seed + i step for step (observations, rewards,
    ends, info) over several episodes each, with the batched reset and step bookkeeping."""
    num_envs, seed = 3, 4
    vec = CollectivePathVectorEnv(num_envs=num_envs, params="small", **changes)
    scalars = [CollectivePathEnv(params="small", **changes) for _ in range(num_envs)]
    obs, info = vec.reset(seed=seed)
    for i, env in enumerate(scalars):
        s_obs, s_info = env.reset(seed=seed + i)
        assert np.array_equal(obs[i], s_obs)
        assert all(info[key][i] == value for key, value in s_info.items())
    rng = np.random.default_rng(1)
    ended = np.zeros(num_envs, dtype=bool)
    episodes = np.zeros(num_envs, dtype=int)
    for _ in range(3000):
        if episodes.min() >= 2:
            break
        actions = rng.integers(0, vec.single_action_space.n, num_envs)
        obs, reward, term, trunc, info = vec.step(actions)
        for i, env in enumerate(scalars):
            if ended[i]:
                s_obs, s_info = env.reset()
                s_reward, s_term = 0.0, False
                episodes[i] += 1
            else:
                s_obs, s_reward, s_term, _, s_info = env.step(int(actions[i]))
            assert np.array_equal(obs[i], s_obs)
            assert reward[i] == s_reward and term[i] == s_term
            for key, value in s_info.items():
                assert info[key][i] == value, key
        ended = term | trunc
    assert episodes.min() >= 2


def test_vector_action_check_fast_path_rejects_out_of_range_int64_paths():
    """An int64 action array takes the one-kernel check (``paths_in_range``): a path index
    out of [0, P) or negative is still the same clear error; valid arrays step exactly like
    the same actions given as a list."""
    vec = CollectivePathVectorEnv(num_envs=4, params="small")
    other = CollectivePathVectorEnv(num_envs=4, params="small")
    vec.reset(seed=2)
    other.reset(seed=2)
    paths = vec.single_action_space.n
    for bad in ([0, 1, paths, 0], [0, -1, 0, 0]):
        with pytest.raises(ValueError, match=r"path indices must be in \[0, "):
            vec.step(np.array(bad, dtype=np.int64))
    rng = np.random.default_rng(0)
    for _ in range(50):
        actions = rng.integers(0, paths, 4)
        fast, slow = vec.step(actions), other.step(actions.tolist())
        assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
