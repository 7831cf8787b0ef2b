"""Reproductions for the repeater chain (reference/quantum.md 2.3 and 2.4).

Monte Carlo checks run the native vector env (seeded; one episode per sub-env) and compare the
sample mean with the closed form within 4 standard errors of the sample. The exact solver
(``ChainMdp``) reproduces Iñesta et al.'s published swap-asap / optimal / nested numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from netgym.baselines.quantum.chain import (
    nested_actions,
    optimal_actions,
    policy_table,
    swap_asap_actions,
)
from netgym.envs.quantum import ChainMdp, physics
from netgym.envs.quantum.chain.env import RepeaterChainVectorEnv
from netgym.envs.quantum.chain.sim import ChainSim

Policy = Callable[[ChainSim], np.ndarray]


def first_episodes(
    policy: Policy, episodes: int, seed: int, **params: object
) -> tuple[np.ndarray, np.ndarray]:
    """Delivery time (steps) and delivered fidelity of the first episode of every sub-env."""
    vec = RepeaterChainVectorEnv(episodes, reward_mode="time", max_steps=100_000, **params)
    vec.reset(seed=seed)
    times = np.zeros(episodes)
    fidelity = np.zeros(episodes)
    done = np.zeros(episodes, dtype=bool)
    while not done.all():
        _, _, terminated, truncated, info = vec.step(policy(vec.sim))
        assert not truncated.any()
        new = terminated & ~done
        times[new] = info["step"][new]
        fidelity[new] = info["delivered_fidelity"][new]
        done |= terminated
    return times, fidelity


def assert_mean(samples: np.ndarray, expected: float, label: str) -> None:
    stderr = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(samples.mean() - expected) <= 4 * stderr, (
        f"{label}: MC {samples.mean():.4f} +- {stderr:.4f}, closed form {expected:.4f}"
    )


TABLE_2_3 = {  # reference 2.3: E[T] of 2-link swap-asap, cutoff t
    0.3: (11.111, 6.574, 5.635, 5.246, 4.706),
    0.5: (4.000, 3.000, 2.800, 2.727, 2.667),
    0.9: (1.235, 1.214, 1.212, 1.212, 1.212),
}


@pytest.mark.parametrize("p", sorted(TABLE_2_3))
def test_two_link_swap_asap_delivery_time_matches_table(p: float) -> None:
    for cutoff, published in zip((0, 1, 2, 3, None), TABLE_2_3[p], strict=True):
        exact = physics.two_link_swap_asap_mean_time(p, math.inf if cutoff is None else cutoff)
        assert exact == pytest.approx(published, abs=1e-3)
        times, _ = first_episodes(
            swap_asap_actions, 3000, seed=10, n_nodes=3, p_gen=p, cutoff=cutoff
        )
        assert_mean(times, exact, f"p={p} cutoff={cutoff}")


@pytest.mark.parametrize(("p", "cutoff"), [(0.3, 2), (0.5, 1)])
def test_policy_cutoff_equals_env_cutoff(p: float, cutoff: int) -> None:
    times, _ = first_episodes(
        lambda sim: swap_asap_actions(sim, cutoff=cutoff), 3000, seed=3, n_nodes=3, p_gen=p
    )
    assert_mean(times, physics.two_link_swap_asap_mean_time(p, cutoff), "policy cutoff")


def test_probabilistic_swap_divides_two_link_time_by_p_swap() -> None:
    times, _ = first_episodes(
        swap_asap_actions, 3000, seed=4, n_nodes=3, p_gen=0.5, cutoff=2, p_swap=0.6
    )
    assert_mean(times, physics.two_link_swap_asap_mean_time(0.5, 2) / 0.6, "p_swap 0.6")


@pytest.mark.parametrize(("n_links", "p"), [(3, 0.3), (4, 0.5), (6, 0.6)])
def test_n_link_swap_asap_without_cutoff(n_links: int, p: float) -> None:
    times, _ = first_episodes(swap_asap_actions, 3000, seed=5, n_nodes=n_links + 1, p_gen=p)
    assert_mean(times, physics.n_link_swap_asap_mean_time(p, n_links), f"{n_links} links")


def test_two_link_delivered_fidelity_matches_decay_expectation() -> None:
    p, x = 0.1, 0.95
    memory_time_s = -2.0 / math.log(x)  # a stored link's Werner factor per step is x
    _, fidelity = first_episodes(
        swap_asap_actions, 3000, seed=6, n_nodes=3, p_gen=p, memory_time_s=memory_time_s
    )
    werner = (4 * fidelity - 1) / 3
    assert_mean(werner, physics.two_link_decay_expectation(p, x), "E[x^D]")


# ------------------------------------------------------------------ exact MDP (2.4)
@pytest.mark.parametrize(
    ("n_nodes", "p_swap", "p", "cutoff", "published_gap_pct"),
    [
        (4, 1.0, 0.3, 2, 1.76),  # the maxima of the published grids are at p = 0.3, t = 2
        (4, 0.5, 0.3, 2, 1.74),
        (5, 1.0, 0.3, 2, 5.25),
        (5, 0.5, 0.5, 2, 5.3),  # n = 5, p_s = 0.5: published range 5.3-13.2 %; its minimum
        (5, 0.5, 0.9, 4, 13.2),  # and top (flat in t at p = 0.9: 13.16 % at t = 4, 13.17 at 6)
    ],
)
def test_value_iteration_reproduces_swap_asap_gap(
    n_nodes: int, p_swap: float, p: float, cutoff: int, published_gap_pct: float
) -> None:
    mdp = ChainMdp(n_nodes, p, p_swap, cutoff)
    t_swap = mdp.mean_delivery_time(mdp.evaluate(mdp.swap_asap))
    values, _ = mdp.solve()
    t_opt = mdp.mean_delivery_time(values)
    gap = 100 * (t_swap - t_opt) / t_opt
    assert gap == pytest.approx(published_gap_pct, abs=0.1)


def test_n4_gap_vanishes_at_high_p() -> None:
    mdp = ChainMdp(4, 0.9, 1.0, 2)
    t_swap = mdp.mean_delivery_time(mdp.evaluate(mdp.swap_asap))
    t_opt = mdp.mean_delivery_time(mdp.solve()[0])
    assert 0.0 <= 100 * (t_swap - t_opt) / t_opt < 0.1


@pytest.mark.parametrize(
    ("p_swap", "swap_asap", "nested"), [(1.0, 1.389, 2.071), (0.5, 9.347, 8.344)]
)
def test_n5_nested_vs_swap_asap_delivery_times(
    p_swap: float, swap_asap: float, nested: float
) -> None:
    mdp = ChainMdp(5, 0.9, p_swap, 2)
    assert mdp.mean_delivery_time(mdp.evaluate(mdp.swap_asap)) == pytest.approx(swap_asap, abs=1e-3)
    assert mdp.mean_delivery_time(mdp.evaluate(mdp.nested_full_state)) == pytest.approx(
        nested, abs=1e-3
    )


def test_env_monte_carlo_agrees_with_exact_mdp_values() -> None:
    params = {"n_nodes": 5, "p_gen": 0.5, "p_swap": 0.5, "cutoff": 2}
    mdp = ChainMdp(5, 0.5, 0.5, 2)
    values, policy = mdp.solve()
    table = policy_table(mdp, policy)
    times, _ = first_episodes(lambda sim: optimal_actions(sim, table), 1500, seed=8, **params)
    assert_mean(times, mdp.mean_delivery_time(values), "optimal policy")
    times, _ = first_episodes(lambda sim: nested_actions(sim, inesta=True), 1500, seed=9, **params)
    assert_mean(times, mdp.mean_delivery_time(mdp.evaluate(mdp.nested_full_state)), "nested")


def test_optimal_never_worse_than_swap_asap_or_nested() -> None:
    for n_nodes, p, p_swap, cutoff in [(3, 0.5, 1.0, 1), (4, 0.6, 0.7, 3), (5, 0.4, 0.8, 2)]:
        mdp = ChainMdp(n_nodes, p, p_swap, cutoff)
        t_opt = mdp.mean_delivery_time(mdp.solve()[0])
        for policy in (mdp.swap_asap, mdp.nested, mdp.nested_full_state):
            assert t_opt <= mdp.mean_delivery_time(mdp.evaluate(policy)) + 1e-9
    # with 2 links the closed form is the exact swap-asap value
    mdp = ChainMdp(3, 0.3, 1.0, 2)
    assert mdp.mean_delivery_time(mdp.evaluate(mdp.swap_asap)) == pytest.approx(
        physics.two_link_swap_asap_mean_time(0.3, 2)
    )


def test_chain_mdp_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="n_nodes"):
        ChainMdp(7, 0.5, 1.0, 2)
    with pytest.raises(ValueError, match="p_gen"):
        ChainMdp(4, 0.0, 1.0, 2)
    with pytest.raises(ValueError, match="cutoff"):
        ChainMdp(4, 0.5, 1.0, -1)


@pytest.mark.parametrize(("p", "cutoff"), [(0.3, 2), (0.6, 0), (0.2, 5)])
def test_elementary_link_active_fraction_under_cutoff(p: float, cutoff: int) -> None:
    # one link that is never delivered (F 0.9 < f_target 1): active p (t + 1) / (1 + p t)
    vec = RepeaterChainVectorEnv(
        512,
        n_nodes=2,
        p_gen=p,
        cutoff=cutoff,
        f_gen=0.9,
        f_target=1.0,
        reward_mode="rate",
        max_steps=10_000,
    )
    vec.reset(seed=1)
    active = []
    for _ in range(300):
        vec.step(np.zeros((512, 2), dtype=np.int64))
        active.append((vec.sim.right[:, 0, 0] >= 0).mean())
    per_step = np.array(active[20:])  # past the start-up transient
    expected = physics.elementary_link_active_prob(p, cutoff)
    # successive steps are correlated: compare with the spread of 10 block means
    blocks = per_step[: len(per_step) // 10 * 10].reshape(10, -1).mean(axis=1)
    assert abs(blocks.mean() - expected) <= 4 * blocks.std(ddof=1) / math.sqrt(10)
