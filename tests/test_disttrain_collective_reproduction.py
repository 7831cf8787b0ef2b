"""The numbers of reference/disttrain.md section 1 that CollectivePath must reproduce (E1
"Must reproduce", T1-T4), with fixed seeds. T4 (fluid = analytic) is also checked on random
fabrics in ``test_disttrain_core.py``."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.baselines.disttrain.collective import ecmp_paths, greedy_paths, plan_congestion
from netgym.envs.disttrain import cost
from netgym.envs.disttrain.collectives import build_collective
from netgym.envs.disttrain.oracle import colouring_paths
from netgym.envs.disttrain.placement import place_ranks
from netgym.envs.disttrain.topology import leaf_spine

SEED = 20240630


def _ring_step(fabric, rng):
    """One ring step over every NIC with a uniformly random placement (16 x 16 x 16: N = 256)."""
    n = fabric.n_nics
    src, dst, size = build_collective("ring_allreduce", n, 2.0**28).step(0)
    nic = place_ranks(fabric, n, "random", rng)
    return nic[src], nic[dst], size


def test_single_path_oracle_matches_spraying_on_1000_healthy_non_blocking_instances():
    """T1, the paper's equivalence claim: on a healthy non-blocking leaf-spine, edge-colouring
    (single path; S / H equal pieces when there are more spines than hosts) reaches oblivious
    spraying's congestion, on random ring, halving-doubling and permutation steps."""
    rng = np.random.default_rng(SEED)
    fabrics = [
        (leaf_spine(4, 4, 4), 1),
        (leaf_spine(8, 8, 8), 1),
        (leaf_spine(16, 16, 16), 1),
        (leaf_spine(6, 12, 6), 2),  # non-blocking with C_up = B / 2: two pieces per flow
    ]
    kinds = ("ring_allreduce", "halving_doubling", "permutation")
    ratios = []
    for trial in range(1020):
        fabric, pieces = fabrics[trial % len(fabrics)]
        n = fabric.n_nics
        kind = kinds[(trial // len(fabrics)) % 3]
        if kind == "halving_doubling" and n & (n - 1):
            kind = "permutation"
        coll = build_collective(kind, n, 2.0**24, rng)
        src, dst, size = coll.step(int(rng.integers(coll.n_steps)))
        nic = place_ranks(fabric, n, "random", rng)
        src, dst = nic[src], nic[dst]
        paths = colouring_paths(fabric, src, dst, pieces)
        single = plan_congestion(fabric, src, dst, size, paths)
        ratios.append(single / cost.spraying_congestion(fabric, src, dst, size))
    ratios = np.array(ratios)
    assert len(ratios) >= 1000
    assert np.allclose(ratios, 1.0, rtol=1e-9, atol=0.0)


def test_ecmp_ring_penalty_on_16x16x16_random_placement():
    """T2: ECMP with 1 QP is 4.6 +- 0.3 times the ideal, with 16 QPs 1.78 +- 0.1 (mean over
    random placements and hashes)."""
    rng = np.random.default_rng(SEED)
    fabric = leaf_spine(16, 16, 16)
    penalty = {1: [], 16: []}
    for _ in range(100):
        src, dst, size = _ring_step(fabric, rng)
        ideal = cost.step_lower_bound(fabric, src, dst, size)
        assert ideal == pytest.approx(size[0] / fabric.nic_bps)  # the NIC bound
        for qps in penalty:
            paths = ecmp_paths(fabric, src, dst, qps, rng)
            penalty[qps].append(plan_congestion(fabric, src, dst, size, paths) / ideal)
    assert np.mean(penalty[1]) == pytest.approx(4.6, abs=0.3)
    assert np.mean(penalty[16]) == pytest.approx(1.78, abs=0.1)
    assert min(penalty[1]) >= 3.0 and min(penalty[16]) >= 1.0


def test_degraded_uplink_ordering_capacity_aware_splits_beat_spraying_and_ecmp():
    """T3: with one leaf uplink at half capacity, capacity-aware greedy with k = 8 (~1.10) <
    k = 4 (~1.25) < oblivious spraying (~1.9) < ECMP (~4.9), each relative to the healthy
    ideal (mean over random placements; the direction of Ethereal v2's claim, not its
    magnitude)."""
    rng = np.random.default_rng(SEED)
    healthy = leaf_spine(16, 16, 16)
    uplinks = np.flatnonzero(healthy.link_kind == 2)
    scores: dict[str, list[float]] = {"k8": [], "k4": [], "spray": [], "ecmp": []}
    for _ in range(8):
        src, dst, size = _ring_step(healthy, rng)
        ideal = size[0] / healthy.nic_bps
        factors = np.ones(healthy.n_links)
        factors[rng.choice(uplinks)] = 0.5
        fabric = healthy.with_factors(factors)
        for k in (8, 4):
            paths = greedy_paths(fabric, src, dst, size, k, capacity_aware=True)
            scores[f"k{k}"].append(plan_congestion(fabric, src, dst, size, paths) / ideal)
        scores["spray"].append(cost.spraying_congestion(fabric, src, dst, size) / ideal)
        ecmp = ecmp_paths(fabric, src, dst, 1, rng)
        scores["ecmp"].append(plan_congestion(fabric, src, dst, size, ecmp) / ideal)
    mean = {name: float(np.mean(values)) for name, values in scores.items()}
    assert mean["k8"] < mean["k4"] < mean["spray"] < mean["ecmp"]
    assert mean["k8"] == pytest.approx(1.10, abs=0.05)
    assert mean["k4"] == pytest.approx(1.25, abs=0.05)
    assert mean["spray"] == pytest.approx(1.9, abs=0.1)
    assert mean["ecmp"] > 4.0


def test_sequential_greedy_least_loaded_needs_splitting_on_a_healthy_fabric():
    """The reference table's greedy rows: least-loaded k = 1 gives 2.00 and k = 2 gives 1.50
    times the ideal on 16 x 16 x 16 ring steps."""
    rng = np.random.default_rng(SEED)
    fabric = leaf_spine(16, 16, 16)
    for _ in range(3):
        src, dst, size = _ring_step(fabric, rng)
        ideal = size[0] / fabric.nic_bps
        for k, expected in ((1, 2.0), (2, 1.5)):
            paths = greedy_paths(fabric, src, dst, size, k, capacity_aware=False)
            assert plan_congestion(fabric, src, dst, size, paths) / ideal == pytest.approx(expected)


def test_one_shot_alltoall_is_easy_for_ecmp():
    """Many small flows: ECMP within about 1.1x of spraying on a one-shot all-to-all (the
    law of large numbers; reference: 1.11 on 16 x 16 x 16), far below its ring penalty."""
    rng = np.random.default_rng(SEED)
    fabric = leaf_spine(8, 8, 8)
    src, dst, size = build_collective("alltoall_oneshot", 64, 2.0**24).step(0)
    nic = place_ranks(fabric, 64, "random", rng)
    src, dst = nic[src], nic[dst]
    ecmp = plan_congestion(fabric, src, dst, size, ecmp_paths(fabric, src, dst, 1, rng))
    spray = cost.spraying_congestion(fabric, src, dst, size)
    assert 1.0 <= ecmp / spray < 1.35


def test_the_env_reproduces_the_ecmp_penalties_through_its_baselines():
    """T2 through the public API: gym.make with alpha = 0, the ``ecmp`` baseline (1 QP) and
    ``ecmp-qp`` with 16 pieces; the return is -(T / T_lb - 1)."""
    from netgym.evaluation import evaluate

    env_id = "netgym/CollectivePath-v0"
    one = evaluate("ecmp", env_id, episodes=20, seed=7, env_kwargs={"alpha_us": 0.0})
    assert np.mean([1 - r for r in one.returns]) == pytest.approx(4.6, abs=0.3)
    sixteen = evaluate(
        "ecmp-qp", env_id, episodes=8, seed=7, env_kwargs={"alpha_us": 0.0, "pieces": 16}
    )
    assert np.mean([1 - r for r in sixteen.returns]) == pytest.approx(1.78, abs=0.1)
