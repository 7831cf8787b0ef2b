"""Chain baselines (``netgym.baselines.quantum.chain``): protocol, registry, decisions on
hand-built states, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.baselines import BASELINES, make_policy
from netgym.baselines.quantum.chain import (
    NestedDoubling,
    OptimalChainPolicy,
    PurifySwap,
    SwapAsap,
    nested_actions,
    purify_swap_actions,
    swap_asap_actions,
)
from netgym.envs.quantum.chain.env import RepeaterChainEnv
from netgym.envs.quantum.chain.mdp import first_level_mask, nested_pairs
from netgym.leaderboard import evaluate

CHAIN = "netgym/RepeaterChain-v0"


def _chain(links: list[tuple[int, int, int]], n_nodes: int = 5, **kwargs) -> RepeaterChainEnv:
    """An env whose chain 0 holds exactly ``links`` (i, j, age) in lane 0."""
    env = RepeaterChainEnv(n_nodes=n_nodes, **kwargs)
    env.reset(seed=0)
    sim = env.sim
    sim.right[:] = -1
    sim.left[:] = -1
    for i, j, age in links:
        sim.right[0, i, 0], sim.left[0, j, 0], sim.age[0, i, 0] = j, i, age
        sim.bds[0, i, 0] = [1.0, 0.0, 0.0, 0.0]
    return env


def test_registry_lists_every_chain_baseline_and_they_play_episodes() -> None:
    names = set(BASELINES[CHAIN])
    assert names == {
        "random",
        "swap-asap",
        "swap-asap-cutoff",
        "nested",
        "nested-inesta",
        "purify-swap",
        "optimal",
    }
    kwargs = {"n_nodes": 4, "p_gen": 0.5, "cutoff": 3, "max_steps": 100}
    for name in sorted(names):
        result = evaluate(make_policy(CHAIN, name, 0), CHAIN, 5, 0, kwargs)
        assert all(-100 <= r <= -1 for r in result.returns), name


def test_nested_pairs_and_first_level() -> None:
    assert nested_pairs(5) == {2: (0, 4), 1: (0, 2), 3: (2, 4)}
    assert nested_pairs(9)[4] == (0, 8) and nested_pairs(9)[6] == (4, 8)
    assert first_level_mask(5) == 0b101  # repeaters 1 and 3


def test_swap_asap_and_nested_decisions_on_a_hand_built_state() -> None:
    # links (0,1) (1,2) (2,3) and (3,4): a full state
    env = _chain([(0, 1, 0), (1, 2, 0), (2, 3, 1), (3, 4, 0)])
    assert swap_asap_actions(env.sim).tolist() == [[0, 1, 1, 1, 0]]
    assert nested_actions(env.sim).tolist() == [[0, 1, 0, 1, 0]]
    assert nested_actions(env.sim, inesta=True).tolist() == [[0, 1, 0, 1, 0]]
    # (0,2) and (2,4): the nested second level; Iñesta's variant is swap-asap here
    env = _chain([(0, 2, 1), (2, 4, 0)])
    assert nested_actions(env.sim).tolist() == [[0, 0, 1, 0, 0]]
    env = _chain([(0, 1, 0), (1, 2, 0), (3, 4, 0)])
    assert nested_actions(env.sim, inesta=True).tolist() == [[0, 1, 0, 0, 0]]


def test_swap_asap_cutoff_discards_only_old_links_nobody_swaps() -> None:
    env = _chain([(0, 1, 2), (1, 2, 0), (3, 4, 2)])
    # (0,1) is old but node 1 swaps it; (3,4) is old and unused: node 3 discards right
    assert swap_asap_actions(env.sim, cutoff=2).tolist() == [[0, 1, 0, 5, 0]]
    env = _chain([(0, 1, 2)])
    assert swap_asap_actions(env.sim, cutoff=2).tolist() == [[1, 0, 0, 0, 0]]


def test_purify_swap_purifies_low_parallel_pairs_then_swaps() -> None:
    env = RepeaterChainEnv(n_nodes=3, mem_per_side=2, p_gen=1.0, f_gen=0.85)
    env.reset(seed=0)  # both lanes of both links exist, F 0.85
    assert purify_swap_actions(env.sim, target_fidelity=0.9).tolist() == [[0, 2, 0]]
    assert purify_swap_actions(env.sim, target_fidelity=0.8).tolist() == [[0, 1, 0]]
    policy = PurifySwap(0.9)
    policy.reset(env)
    assert policy.act(None, {}).tolist() == [0, 2, 0]
    with pytest.raises(ValueError, match="target_fidelity"):
        PurifySwap(1.5)


def test_end_node_discards_an_end_to_end_link_below_target() -> None:
    env = _chain([(0, 4, 0)], f_target=0.9)
    env.sim.bds[0, 0, 0] = [0.8, 0.2 / 3, 0.2 / 3, 0.2 / 3]
    for actions in (
        swap_asap_actions(env.sim),
        nested_actions(env.sim),
        purify_swap_actions(env.sim),
    ):
        assert actions[0, 0] == 1


def test_policies_follow_the_protocol_and_tabular_actions() -> None:
    env = RepeaterChainEnv(n_nodes=4, p_gen=0.5, cutoff=2, obs_mode="tabular")
    obs, info = env.reset(seed=0)
    for policy in (SwapAsap(), NestedDoubling(inesta=True), OptimalChainPolicy()):
        policy.reset(env)
        action = policy.act(obs, info)
        assert isinstance(action, int) and env.action_space.contains(action)


def test_baseline_errors() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        SwapAsap().act(None, {})
    with pytest.raises(ValueError, match="cutoff"):
        SwapAsap(cutoff=-1)
    with pytest.raises(ValueError, match="abstract"):
        OptimalChainPolicy().reset(RepeaterChainEnv(params="nv2019"))
    with pytest.raises(ValueError, match="a cutoff"):
        OptimalChainPolicy().reset(RepeaterChainEnv(n_nodes=4))
    with pytest.raises(ValueError, match="RepeaterChain"):
        SwapAsap().reset(object())
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy(CHAIN, "greedy")
    assert np.array_equal(
        swap_asap_actions(_chain([], n_nodes=3).sim), np.zeros((1, 3), dtype=np.int64)
    )
