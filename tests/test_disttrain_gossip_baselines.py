"""Baselines of netgym/AsyncGossip-v0: DADAO's default rate, constants, the best constant in
hindsight (the oracle), the causal feedback rule and resistance-weighted edges."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.baselines import make_policy
from netgym.baselines.disttrain import BASELINES
from netgym.baselines.disttrain.gossip import BestConstant, ConstantRate, episode_return
from netgym.envs.disttrain.gossip.env import AsyncGossipEnv
from netgym.envs.disttrain.gossip.params import RHOS, AsyncGossipParams

ID = "netgym/AsyncGossip-v0"
SMALL = AsyncGossipParams.small(horizon=30)


def _return(env, policy, seed: int) -> float:
    obs, info = env.reset(seed=seed)
    policy.reset(env)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        total += reward
        if terminated or truncated:
            return total


@pytest.mark.parametrize("preset", ["small", "edges"])
@pytest.mark.parametrize("name", sorted(BASELINES[ID]))
def test_every_baseline_plays_whole_episodes_in_both_action_modes(name: str, preset: str) -> None:
    params = AsyncGossipParams.preset(preset, horizon=6)
    env = AsyncGossipEnv(params)
    policy = make_policy(ID, name, seed=0)
    assert np.isfinite(_return(env, policy, 0))


def test_the_best_constant_is_the_argmax_of_the_constants_and_beats_each() -> None:
    env = AsyncGossipEnv(SMALL)
    oracle = BestConstant()
    env.reset(seed=1)
    oracle.reset(env)
    assert len(oracle.returns) == len(RHOS)
    assert oracle.index == int(np.argmax(oracle.returns))
    for index in range(len(RHOS)):
        got = _return(AsyncGossipEnv(SMALL), ConstantRate(index, "c"), 1)
        assert got == pytest.approx(oracle.returns[index])
        assert _return(AsyncGossipEnv(SMALL), BestConstant(), 1) >= got - 1e-12


def test_episode_return_leaves_the_env_untouched() -> None:
    env = AsyncGossipEnv(SMALL)
    env.reset(seed=0)
    before = env.sim.episodes[0].run.state.copy()
    episode_return(env, 2)
    assert np.array_equal(env.sim.episodes[0].run.state, before)
    assert int(env.sim.t[0]) == 0


def test_resistance_edges_beats_uniform_edges_on_the_barbell_with_distance_costs() -> None:
    params = AsyncGossipParams.edges_preset(horizon=60)
    uniform = np.mean(
        [_return(AsyncGossipEnv(params), make_policy(ID, "dadao"), s) for s in (0, 1)]
    )
    weighted = np.mean(
        [_return(AsyncGossipEnv(params), make_policy(ID, "resistance-edges"), s) for s in (0, 1)]
    )
    assert weighted > uniform


def test_a_constant_index_outside_the_menu_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside the menu"):
        ConstantRate(5)
