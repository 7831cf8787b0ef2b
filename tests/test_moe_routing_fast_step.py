"""netgym/MoeRouting-v0: the scalar env's single-env step (``RoutingSim.step_one``) equals the
batched ``RoutingSim.step`` bit for bit on random trajectories, and the formula functions both
call give the same bits on Python numbers and on arrays."""

from __future__ import annotations

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import numpy as np
import pytest
from netgym.envs.moe.routing.params import RoutingParams
from netgym.envs.moe.routing.sim import (
    imbalance,
    linear_objective,
    load_imbalance,
    progress_share,
    routing_reward,
    squash,
)

ENV_ID = "netgym/MoeRouting-v0"
SIM_ARRAYS = """steps loads overflow requested captured experts reward gate_mass drops
explicit_drops duplicate_drops imbalance layer_ms linear""".split()


def random_biases(rng: np.random.Generator, n_experts: int, bias_max: float) -> np.ndarray:
    """Biases from mild to saturating (clipped), some rounded to make equal biased logits."""
    kind = rng.integers(4)
    if kind == 0:
        return rng.normal(0.0, 0.1, n_experts).astype(np.float32)
    if kind == 1:  # far outside the box: clipped, forces heavy overflow
        return rng.normal(0.0, 10 * bias_max, n_experts)
    if kind == 2:
        return np.zeros(n_experts, dtype=np.float32)
    return np.round(rng.uniform(-bias_max, bias_max, n_experts))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"params": "small"},
        {"params": "small", "top_k": 1, "capacity_factor": 2.0},
        {"params": "small", "top_k": 6},  # k > 4: argpartition top-k
        {"params": "small", "capacity_factor": None},
        {"params": "small", "gates": "trace", "model": "mixtral"},
        {"n_tokens": 512, "n_experts": 64},  # the benchmark's size
    ],
)
def test_single_env_fast_step_equals_the_batched_step(kwargs):
    seed, horizon = 3, 40  # crosses the episode end: a reset in the middle
    fast = gym.make(ENV_ID, lp_bound=False, max_steps=16, **kwargs).unwrapped
    batched = gym.make(ENV_ID, lp_bound=False, max_steps=16, **kwargs).unwrapped
    assert fast._fast
    batched._fast = False  # the batched sim step, as the vector env takes it
    rng = np.random.default_rng(seed)
    obs_a, _ = fast.reset(seed=seed)
    obs_b, _ = batched.reset(seed=seed)
    n_overflowing = 0
    for _ in range(horizon):
        action = random_biases(rng, fast.params.n_experts, fast.params.bias_max)
        out_a, out_b = fast.step(action), batched.step(action)
        np.testing.assert_array_equal(out_a[0], out_b[0])
        assert out_a[0].dtype == out_b[0].dtype
        assert out_a[1:4] == out_b[1:4]
        info_a, info_b = out_a[4], out_b[4]
        assert list(info_a) == list(info_b)
        for key in info_a:
            assert type(info_a[key]) is type(info_b[key]), key
            np.testing.assert_array_equal(info_a[key], info_b[key], err_msg=key)
        for name in SIM_ARRAYS:
            a, b = getattr(fast.sim, name), getattr(batched.sim, name)
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a, b, err_msg=name)
        np.testing.assert_array_equal(fast.router_logits, batched.router_logits)
        n_overflowing += int(info_a["overflow_drops"] > 0)
        if out_a[3]:
            obs_a, _ = fast.reset()
            obs_b, _ = batched.reset()
            np.testing.assert_array_equal(obs_a, obs_b)
    if fast.params.capacity_factor is not None:
        assert n_overflowing > 0  # the capacity path was exercised


def test_step_one_refuses_other_modes():
    env = gym.make(ENV_ID, params="small", action_mode="assign", lp_bound=False).unwrapped
    with pytest.raises(ValueError, match="bias mode"):
        env.sim.step_one(np.zeros(env.params.n_experts), [np.random.default_rng(0)])


def test_formula_functions_give_the_same_bits_on_python_numbers_and_arrays():
    """The formulas ``step`` and ``step_one`` share (``routing/sim.py``), bit for bit."""
    params = RoutingParams.small(drop_penalty=0.3, imbalance_penalty=0.07, latency_penalty=0.2)
    rng = np.random.default_rng(0)
    loads = rng.integers(0, 20, size=(64, params.n_experts))
    loads[3] = 0  # nothing processed: no ratio
    mass = rng.random(64) * params.n_tokens
    drops = rng.integers(0, params.n_tokens * params.top_k, size=64)
    layer_ms = rng.random(64) + 0.5
    steps = rng.integers(0, 2 * params.max_steps, size=64)
    spread = imbalance(loads)
    linear = linear_objective(mass, drops, params)
    reward = routing_reward(linear, spread, layer_ms, params, 0.7)
    share = progress_share(steps, params.max_steps)
    squashed = squash(layer_ms, 0.7)
    for i in range(64):
        one_spread = load_imbalance(float(loads[i].max()), int(loads[i].sum()), params.n_experts)
        one_linear = linear_objective(float(mass[i]), int(drops[i]), params)
        one_reward = routing_reward(one_linear, one_spread, float(layer_ms[i]), params, 0.7)
        pairs = [
            (one_spread, spread[i]),
            (one_linear, linear[i]),
            (one_reward, reward[i]),
            (progress_share(int(steps[i]), params.max_steps), share[i]),
            (squash(float(layer_ms[i]), 0.7), squashed[i]),
        ]
        for one, batched in pairs:
            assert isinstance(one, float)
            assert one.hex() == float(batched).hex()
    assert spread[3] == 0.0 and share.max() == 1.0
