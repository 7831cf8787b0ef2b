"""The scheduling baselines (EDF order, the PTS timetable's admission and resources) and the
paper's load-based demand sets built from the protocols' achievable rates."""

from __future__ import annotations

import math

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from netgym.baselines.quantum.scheduling import EarliestDeadlineFirst, PeriodicTaskSchedule
from netgym.envs.quantum.scheduling.demands import Demand, load_demands
from netgym.envs.quantum.scheduling.params import SchedulingParams, nv_link_table
from netgym.envs.quantum.scheduling.purification import achievable_rate_hz, build_protocols
from netgym.envs.quantum.topologies import star

ENV_ID = "netgym/QuantumNetworkScheduling-v0"


def make(**kwargs):
    return gym.make(ENV_ID, **{"horizon_slots": 400, **kwargs}).unwrapped


def test_pts_admits_demands_until_the_repeater_is_full_and_plans_within_deadlines():
    # four demands through the star's centre, each a job every 20 slots needing ~10 slots of
    # the centre's storage (2 of its 3 qubits): only two fit.
    demands = [(0, 1, 0.55, 5.0), (1, 2, 0.55, 5.0), (0, 2, 0.55, 5.0), (2, 0, 0.55, 5.0)]
    env = make(demands=demands, max_depth=0)
    env.reset(seed=0)
    assert (env.periods_slots == 20).all()
    duration = math.ceil(env.protocols[0].expected_slots)
    assert 5 <= duration <= 10
    pts = PeriodicTaskSchedule()
    pts.reset(env)
    assert pts.admitted == [0, 1]
    busy_until = -1
    for start, deadline, demand, action in pts.plan:
        assert demand in pts.admitted and env.decode_action(action)[0] == demand
        assert start >= deadline - 20  # not before its release
        assert start + duration <= deadline
        assert start >= busy_until  # one execution at a time at the centre
        busy_until = start + duration
    jobs_in_horizon = 2 * 400 // 20
    assert len(pts.plan) == jobs_in_horizon


def test_pts_never_serves_demands_it_did_not_admit():
    demands = [(0, 1, 0.55, 5.0), (1, 2, 0.55, 5.0), (0, 2, 0.55, 5.0)]
    env = make(demands=demands, max_depth=0, invalid_action="raise")
    obs, info = env.reset(seed=1)
    pts = PeriodicTaskSchedule()
    pts.reset(env)
    done = False
    while not done:
        action = pts.act(obs, info)
        if action:
            assert env.decode_action(action)[0] in pts.admitted
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    assert len(env.sim.completed[2]) == 0 and env.sim.missed[2] == env.sim.released[2]
    assert len(env.sim.completed[0]) > 0 and len(env.sim.completed[1]) > 0


def test_edf_starts_the_demand_with_the_earliest_deadline():
    # demand 0 has a period of 80 slots, demand 1 of 20: at slot 0 demand 1 is due first
    env = make(demands=[(0, 1, 0.55, 1.25), (1, 2, 0.55, 5.0)], max_depth=0)
    obs, info = env.reset(seed=0)
    edf = EarliestDeadlineFirst()
    edf.reset(env)
    action = edf.act(obs, info)
    demand, _, depth = env.decode_action(action)
    assert demand == 1 and depth == 0
    mask = env.action_masks()
    candidates = [
        a for a in range(1, env.action_space.n) if mask[a] and env.decode_action(a)[0] == 1
    ]
    fastest = min(env.protocols[a - 1].expected_slots for a in candidates)
    assert env.protocols[action - 1].expected_slots == fastest
    env.step(action)
    obs, _, _, _, info = env.step(0)
    # a two-hop execution needs >= 3 slots (one communication qubit at the centre, then the
    # swap), so after 2 slots the centre still holds 2 of its 3 storage qubits: demand 0, also
    # through the centre, is masked and EDF idles
    first = env.encode_action(0, 0, 0)
    assert not env.action_masks()[first : first + env.params.n_paths * env.params.n_depths].any()
    assert edf.act(obs, info) == 0


def test_load_demands_with_the_achievable_rate_of_the_protocols_run_in_the_env():
    params = SchedulingParams()
    topo, table = star(), nv_link_table()
    rate = achievable_rate_hz(topo, params, table, 0.6)
    assert rate(0, 1) == pytest.approx(
        1
        / (build_protocols(topo, [Demand(0, 1, 0.6, 1.0)], params, table)[0].expected_slots * 0.01)
    )
    assert achievable_rate_hz(topo, params, table, 0.9)(0, 1) == 0.0  # unreachable fidelity
    demands = load_demands(np.random.default_rng(0), topo, 5.0, 0.6, 0.01, rate)
    assert sum(d.rate_hz for d in demands) >= 5.0
    env = make(demands=demands)
    env.reset(seed=0)
    assert env.params.n_demands == len(demands)
