"""Property tests of the quantum envs at the edges of every parameter's accepted range: any
configuration the params accept gives finite rewards and observations inside the declared
spaces (or is refused at construction with a ``ValueError``, never later)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgym.envs.quantum.chain.env import RepeaterChainEnv
from netgym.envs.quantum.chain.params import MAX_LINK_KM, MAX_SECONDS, MAX_WEIGHT
from netgym.envs.quantum.scheduling.demands import Demand
from netgym.envs.quantum.scheduling.env import QuantumNetworkSchedulingEnv
from netgym.envs.quantum.scheduling.params import (
    MAX_PENALTY,
    MIN_DRAWN_FIDELITY,
    SLOT_RANGE_S,
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TINY = 5e-324
"""the smallest positive float"""


def edges(low: float, high: float, *inside: float) -> st.SearchStrategy[float]:
    """The two ends of a range, values just inside them, and some given points."""
    points = [low, high, *inside]
    if low < high:
        points += [math.nextafter(low, math.inf), math.nextafter(high, -math.inf)]
    return st.sampled_from(points)


def finite_info(info: dict) -> bool:
    return all(
        np.all(np.isfinite(value))
        for value in info.values()
        if isinstance(value, (float, np.floating, np.ndarray))
        and np.asarray(value).dtype.kind == "f"
    )


def roll(env, actions, steps: int) -> None:
    """``steps`` steps over at most two episodes, checking every output."""
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs), obs
    assert finite_info(info)
    episodes = 1
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(actions(env))
        assert env.observation_space.contains(obs), obs
        assert math.isfinite(reward) and finite_info(info)
        if terminated or truncated:
            if episodes == 2:
                return
            obs, info = env.reset()
            assert env.observation_space.contains(obs)
            episodes += 1


# ----------------------------------------------------------------------------- chain
@st.composite
def chain_params(draw) -> dict:
    scheme = draw(st.sampled_from(["abstract", "single_click", "double_click", "nv_table"]))
    n_nodes = draw(st.sampled_from([2, 3, 9]))
    params = dict(
        n_nodes=n_nodes,
        mem_per_side=draw(st.sampled_from([1, 2])),
        scheme=scheme,
        p_gen=draw(edges(TINY, 1.0, 0.5)),
        f_gen=draw(edges(0.25, 1.0)),
        link_km=draw(st.sampled_from([5.0, 50.0]))
        if scheme == "nv_table"
        else draw(edges(0.0, MAX_LINK_KM, 10.0)),
        atten_db_per_km=draw(edges(0.0, 1.0, 0.2)),
        eta_det=draw(edges(1e-3, 1.0)),
        alpha=draw(edges(TINY, 0.5, 0.1)),
        nv_row=draw(st.sampled_from([0, 9])),
        modes=draw(st.sampled_from([1, 10**6])),
        t_prep_s=draw(edges(0.0, MAX_SECONDS)),
        slot_s=draw(edges(TINY, MAX_SECONDS, 0.01)),
        memory_time_s=draw(st.sampled_from([TINY, 1e-3, 1.0, 1e300, math.inf])),
        t2_s=draw(st.sampled_from([TINY, 1.0, math.inf])),
        gate_fid=draw(edges(TINY, 1.0)),
        meas_fid=draw(edges(0.5, 1.0)),
        p_swap=draw(edges(TINY, 1.0)),
        cutoff=draw(st.sampled_from([None, 0, 1, 2**62])),
        f_target=draw(edges(0.25, 1.0)),
        reward_mode=draw(st.sampled_from(["time", "rate", "fidelity"])),
        beta=draw(edges(0.0, MAX_WEIGHT)),
        step_cost=draw(edges(0.0, MAX_WEIGHT)),
        invalid_action_penalty=draw(edges(0.0, MAX_WEIGHT)),
        max_steps=draw(st.sampled_from([1, 7, 2**62])),
    )
    return params


@SETTINGS
@given(chain_params(), st.integers(0, 2**31 - 1))
def test_chain_env_stays_finite_and_inside_its_spaces_at_parameter_edges(params, seed):
    try:
        env = RepeaterChainEnv(**params)
    except ValueError:
        # refused up front (a link whose success probability underflows): allowed
        return
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    roll(
        env,
        lambda e: (
            e.action_space.sample() if rng.random() < 0.5 else 1 + 0 * e.action_space.sample()
        ),
        25,
    )


# ----------------------------------------------------------------------------- scheduling
@st.composite
def scheduling_params(draw) -> dict:
    topology = draw(st.sampled_from(["star", "H", "line6", "symm8", "grid"]))
    lo = draw(edges(MIN_DRAWN_FIDELITY, 1.0, 0.6))
    params = dict(
        topology=topology,
        n_demands=draw(st.sampled_from([1, 3])),
        demand_mode=draw(st.sampled_from(["random", "taskset"])),
        demand_fidelity=draw(st.one_of(st.none(), edges(math.nextafter(0.25, 1.0), 1.0))),
        demand_fidelity_range=(lo, draw(edges(lo, 1.0))),
        release_mode=draw(st.sampled_from(["periodic", "poisson"])),
        n_paths=draw(st.sampled_from([1, 16])),
        max_depth=draw(st.sampled_from([0, 8])),
        slot_s=draw(edges(*SLOT_RANGE_S, 0.01)),
        horizon_slots=draw(st.sampled_from([1, 2, 40, 10**6])),
        memory_time_s=draw(st.sampled_from([TINY, 1.0, 1e300])),
        swap_gate_fid=draw(edges(TINY, 1.0)),
        swap_meas_fid=draw(edges(0.5, 1.0)),
        cutoff_slots=draw(st.sampled_from([1, 30, 2**62])),
        miss_penalty=draw(edges(0.0, MAX_PENALTY)),
        invalid_action_penalty=draw(edges(0.0, MAX_PENALTY)),
    )
    if draw(st.booleans()):
        rate = draw(st.sampled_from([TINY, 1e-9, 1.0, 1e300]))
        params["demands"] = [Demand(0, 2 if topology in ("H", "grid") else 1, 0.6, rate)]
    return params


@SETTINGS
@given(scheduling_params(), st.integers(0, 2**31 - 1))
def test_scheduling_env_stays_finite_and_inside_its_spaces_at_parameter_edges(params, seed):
    try:
        env = QuantumNetworkSchedulingEnv(**params)
    except ValueError as err:
        # refused up front: a fixed demand's period beyond the int64 clock, or a memory estimate
        # over the budget (a fixed demand's Poisson arrivals at 1e300 per second)
        assert "period of" in str(err) or "memory budget" in str(err), err
        return
    rng = np.random.default_rng(seed)

    def act(e) -> int:
        mask = e.action_masks()
        return (
            int(rng.choice(np.flatnonzero(mask)))
            if rng.random() < 0.8
            else int(rng.integers(mask.size))
        )

    roll(env, act, 25)


@pytest.mark.parametrize(
    "node",
    [0.7, "0", True, -1, float("nan")],
    ids=["fraction", "string", "bool", "negative", "nan"],
)
def test_a_demand_node_that_is_not_an_index_is_refused(node):
    with pytest.raises(ValueError, match="must be a node index"):
        QuantumNetworkSchedulingEnv(demands=[(node, 1, 0.6, 1.0)])


@pytest.mark.parametrize("bounds", [(0.2505, 0.3), (0.25, 0.3), ("a", 0.3), (0.6,)])
def test_a_fidelity_range_that_could_draw_an_invalid_f_min_is_refused(bounds):
    with pytest.raises(ValueError, match=r"demand_fidelity_range must be \(lo, hi\) with 0.251"):
        QuantumNetworkSchedulingEnv(demand_fidelity_range=bounds)


def test_a_demand_node_given_as_a_whole_float_is_that_node():
    env = QuantumNetworkSchedulingEnv(demands=[(0.0, 2.0, 0.6, 1.0)])
    env.reset(seed=0)
    assert (env.demands[0].source, env.demands[0].destination) == (0, 2)
