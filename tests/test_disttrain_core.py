"""The family core of netgym's distributed-training envs: fabrics, collectives, costs, the
fluid model and the oracles (reference/disttrain.md sections 1 and 6)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from netgym.envs.disttrain import cost, fluid, oracle
from netgym.envs.disttrain.collectives import (
    COLLECTIVES,
    build_collective,
    double_binary_tree,
    inorder_tree,
    step_patterns,
)
from netgym.envs.disttrain.placement import draw_failures, place_ranks
from netgym.envs.disttrain.topology import GBPS, fat_tree, leaf_spine, rail_optimised

RNG_SEED = 20240630


def _random_step(fabric, rng, name="ring_allreduce", pieces=1):
    """One step of ``name`` over all NICs with a random placement and random paths."""
    n = fabric.n_nics
    coll = build_collective(name, n, 2.0**20, rng)
    src, dst, size = coll.step(int(rng.integers(coll.n_steps)))
    nic = place_ranks(fabric, n, "random", rng)
    src, dst = np.repeat(nic[src], pieces), np.repeat(nic[dst], pieces)
    size = np.repeat(size / pieces, pieces)
    alive = fabric.path_alive(fabric.nic_switch[src], fabric.nic_switch[dst])
    path = np.array([rng.choice(np.flatnonzero(row)) for row in alive])
    return src, dst, size, path


# ------------------------------------------------------------------ topologies
def test_leaf_spine_sizes_capacities_and_paths():
    fab = leaf_spine(4, 3, 6, nic_gbps=100.0, oversubscription=2.0)
    assert fab.n_nics == 24 and fab.n_switches == 4 and fab.max_paths == 3
    assert fab.n_links == 2 * 24 + 2 * 4 * 3
    uplink = 6 * 100 * GBPS / (3 * 2.0)
    assert np.allclose(fab.capacity[fab.fabric_links()], uplink)
    assert fab.capacity[-1] == math.inf
    assert fab.paths.dtype.kind == "i"
    assert (fab.n_paths[np.arange(4), np.arange(4)] == 1).all()
    assert (fab.paths[2, 2] == fab.null_link).all()
    for a, b in itertools.permutations(range(4), 2):
        first, last = fab.paths[a, b, :, 0], fab.paths[a, b, :, 1]
        assert set(first) == set(fab.up_links[a]) and set(last) == set(fab.down_links[b])


def test_non_blocking_leaf_spine_has_equal_nic_and_uplink_capacity_per_leaf():
    fab = leaf_spine(8, 4, 8)
    up = sum(fab.capacity[links].sum() for links in fab.up_links[:1])
    assert up == pytest.approx(8 * fab.nic_bps)


@pytest.mark.parametrize("k", [2, 4, 8])
def test_fat_tree_path_counts_and_link_hops(k):
    fab = fat_tree(k)
    half = k // 2
    assert fab.n_nics == k**3 // 4 and fab.n_switches == k * half
    assert fab.max_paths == half * half
    pod = np.arange(fab.n_switches) // half
    for a, b in itertools.product(range(fab.n_switches), repeat=2):
        expected = 1 if a == b else (half if pod[a] == pod[b] else half * half)
        assert fab.n_paths[a, b] == expected
        paths = fab.paths[a, b, : fab.n_paths[a, b]]
        real = (paths != fab.null_link).sum(axis=1)
        assert (real == (0 if a == b else 2 if pod[a] == pod[b] else 4)).all()
        assert len({tuple(p) for p in paths}) == len(paths)  # distinct paths


def test_rail_optimised_puts_each_rail_on_its_own_leaves():
    fab = rail_optimised(rails=4, servers=8, hosts_per_leaf=4, spines=4)
    assert fab.n_nics == 32 and fab.n_switches == 8
    server, rail = np.divmod(np.arange(32), 4)
    assert (fab.nic_switch // 2 == rail).all()
    assert (fab.nic_switch % 2 == server // 4).all()


def test_capacity_factors_scale_links_and_kill_paths():
    fab = leaf_spine(4, 4, 4)
    factors = np.ones(fab.n_links)
    factors[fab.up_links[0][1]] = 0.0
    factors[fab.up_links[0][2]] = 0.5
    degraded = fab.with_factors(factors)
    assert not degraded.healthy and fab.healthy
    assert degraded.capacity[fab.up_links[0][2]] == pytest.approx(
        fab.capacity[fab.up_links[0][2]] / 2
    )
    assert degraded.path_alive(0, 3).tolist() == [True, False, True, True]
    assert degraded.path_alive(1, 3).all()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: leaf_spine(0, 4, 4), "leaves must be >= 1"),
        (lambda: leaf_spine(4, 4, 4, nic_gbps=-1.0), "nic_gbps must be > 0.0"),
        (lambda: leaf_spine(4, 4, 4, nic_gbps=0.0), "nic_gbps must be > 0.0"),
        (lambda: leaf_spine(4, 4, 4, oversubscription=0), "oversubscription must be > 0.0"),
        (lambda: leaf_spine(4, 2.5, 4), "spines must be an integer"),
        (lambda: fat_tree(5), "k must be even"),
        (lambda: rail_optimised(4, 6, 4, 4), "multiple of hosts_per_leaf"),
        (lambda: leaf_spine(2, 2, 2).with_factors(np.ones(3)), "one entry per link"),
        (lambda: leaf_spine(2, 2, 2).with_factors(-np.ones(16)), r"must be in \[0, 1\]"),
        (lambda: leaf_spine(2, 2, 2).with_factors(np.full(16, np.nan)), r"must be in \[0, 1\]"),
    ],
)
def test_bad_fabrics_are_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------------ collectives
def test_ring_allreduce_sends_the_bandwidth_optimal_bytes():
    n, s = 8, 8e6
    coll = build_collective("ring_allreduce", n, s)
    assert coll.n_steps == 2 * (n - 1)
    for k in range(coll.n_steps):
        src, dst, size = coll.step(k)
        assert (dst == (src + 1) % n).all() and np.allclose(size, s / n)
    assert coll.bytes_per_rank() == pytest.approx(2 * (n - 1) / n * s)


def test_halving_doubling_pairs_partners_and_matches_the_ring_volume():
    n, s = 16, 1.6e7
    coll = build_collective("halving_doubling", n, s)
    assert coll.n_steps == 2 * 4
    for k in range(coll.n_steps):
        src, dst, _ = coll.step(k)
        assert (dst[dst] == src).all()  # a pairwise exchange
    assert coll.bytes_per_rank() == pytest.approx(2 * (n - 1) / n * s)


def test_alltoall_variants_send_each_pair_once():
    n = 6
    for name in ("alltoall_pairwise", "alltoall_oneshot"):
        coll = build_collective(name, n, 6e6)
        pairs = set(zip(coll.src.tolist(), coll.dst.tolist(), strict=True))
        assert len(pairs) == len(coll.src) == n * (n - 1)
        assert np.allclose(coll.size, 1e6)
    assert build_collective("alltoall_oneshot", n, 6e6).n_steps == 1


def test_double_binary_tree_uses_each_rank_as_an_inner_node_at_most_once():
    for n in (2, 3, 8, 17, 100, 256):
        parent = inorder_tree(n)
        assert (parent < 0).sum() == 1 and np.bincount(parent[parent >= 0]).max() <= 2
        inner = set(parent[parent >= 0].tolist())
        mirror = {(n - 1 - v) if n % 2 == 0 else (v + 1) % n for v in inner}
        assert not inner & mirror, n
    coll = double_binary_tree(16, 1.6e7, chunks=4)
    # every tree edge carries every chunk up and down: 2 trees x 15 edges x 4 chunks x 2
    assert len(coll.src) == 2 * 15 * 4 * 2
    assert coll.size.sum() == pytest.approx(2 * 15 * 2 * 1.6e7 / 2)


def test_permutation_traffic_is_a_derangement():
    coll = build_collective("permutation", 32, 1e6, np.random.default_rng(3))
    assert sorted(coll.dst.tolist()) == list(range(32)) and not (coll.dst == coll.src).any()


def test_step_patterns_merge_repeated_steps():
    assert step_patterns(build_collective("ring_allreduce", 8, 1e6)).count == 1
    hd = step_patterns(build_collective("halving_doubling", 8, 8e6))
    assert hd.count == 3 and hd.of_step.tolist() == [0, 1, 2, 2, 1, 0]
    assert hd.scale.tolist() == [4e6, 2e6, 1e6, 1e6, 2e6, 4e6]
    assert step_patterns(build_collective("ring_allreduce", 8, 1e6), merge=False).count == 14


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: build_collective("ring", 8, 1e6), "unknown collective"),
        (lambda: build_collective("halving_doubling", 12, 1e6), "power-of-two"),
        (lambda: build_collective("ring_allreduce", 1, 1e6), "n_ranks must be >= 2"),
        (lambda: build_collective("ring_allreduce", 8, 0.0), "message_bytes must be > 0"),
        (lambda: place_ranks(leaf_spine(2, 2, 2), 5, "random", np.random.default_rng(0)), "5 NICs"),
        (lambda: place_ranks(leaf_spine(2, 2, 2), 2, "packed"), "unknown placement"),
        (
            lambda: draw_failures(leaf_spine(2, 2, 2), 5, 0.5, "tier1", np.random.default_rng(0)),
            "cannot degrade 5 links",
        ),
    ],
)
def test_bad_collectives_and_placements_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_placements_are_permutations_of_nics():
    fab = leaf_spine(4, 2, 3)
    rng = np.random.default_rng(0)
    for kind in ("random", "compact", "spread"):
        nic = place_ranks(fab, 12, kind, rng)
        assert sorted(nic.tolist()) == list(range(12))
    spread = place_ranks(fab, 4, "spread")
    assert sorted(fab.nic_switch[spread].tolist()) == [0, 1, 2, 3]


# ------------------------------------------------------------------ costs
@pytest.mark.parametrize("fabric", [leaf_spine(4, 4, 4), fat_tree(4), rail_optimised(2, 8, 4, 2)])
def test_link_loads_conserve_bytes(fabric):
    rng = np.random.default_rng(RNG_SEED)
    for name in ("ring_allreduce", "alltoall_oneshot", "permutation"):
        src, dst, size, path = _random_step(fabric, rng, name, pieces=2)
        links = fabric.links_of(src, dst, path)
        loads = cost.link_loads(fabric, links, size[:, None])
        hops = (links != fabric.null_link).sum(axis=1)
        assert loads[:-1].sum() == pytest.approx((size * hops).sum())
        n = fabric.n_nics
        assert loads[:n].sum() == pytest.approx(size.sum())  # every byte leaves a NIC
        assert loads[n : 2 * n].sum() == pytest.approx(size.sum())  # and enters one


def test_congestion_is_never_below_the_cut_bound():
    rng = np.random.default_rng(RNG_SEED)
    fabrics = [leaf_spine(4, 4, 4), leaf_spine(4, 2, 4, oversubscription=2), fat_tree(4)]
    for trial in range(60):
        fab = fabrics[trial % 3]
        if trial % 2:
            fab = fab.with_factors(draw_failures(fab, 2, 0.5, "switch", rng))
        name = ("ring_allreduce", "halving_doubling", "alltoall_oneshot", "permutation")[trial % 4]
        src, dst, size, path = _random_step(fab, rng, name, pieces=1 + trial % 3)
        bound = cost.step_lower_bound(fab, src, dst, size)
        kappa = cost.single_path_congestion(fab, src, dst, size, path)
        assert kappa >= bound * (1 - 1e-12)
        assert cost.spraying_congestion(fab, src, dst, size) >= bound * (1 - 1e-12)


def test_failed_link_under_load_means_infinite_congestion():
    fab = leaf_spine(2, 2, 1)
    factors = np.ones(fab.n_links)
    factors[fab.up_links[0][0]] = 0.0
    dead = fab.with_factors(factors)
    src, dst, size = np.array([0]), np.array([1]), np.array([1.0])
    assert cost.single_path_congestion(dead, src, dst, size, np.array([0])) == math.inf
    assert cost.single_path_congestion(dead, src, dst, size, np.array([1])) < math.inf


def test_alpha_beta_and_classic_bounds():
    n, s, alpha = 8, 8e6, 5e-6
    bps = 50e9
    ring = build_collective("ring_allreduce", n, s)
    assert cost.alpha_beta_time(ring, alpha, bps) == pytest.approx(
        2 * (n - 1) * (alpha + s / n / bps)
    )
    assert cost.alpha_beta_time(ring, 0.0, bps) == pytest.approx(
        cost.ring_allreduce_lower_bound(s, n, bps)
    )
    a2a = build_collective("alltoall_pairwise", n, s)
    assert cost.alpha_beta_time(a2a, 0.0, bps) == pytest.approx(
        cost.alltoall_lower_bound(s, n, bps)
    )
    assert cost.alpha_beta_step(alpha, bps, 1e6) == pytest.approx(alpha + 1e6 / bps)


# ------------------------------------------------------------------ fluid model
def test_max_min_rates_share_bottlenecks_fairly():
    cap = np.array([10.0, 4.0, 100.0, math.inf])
    links = np.array([[0, 3], [0, 1], [0, 1], [2, 3]])
    rates = fluid.max_min_rates(links, cap, np.ones(4, dtype=bool))
    # flows 1 and 2 share link 1 (4 -> 2 each); flow 0 takes the rest of link 0 (6)
    assert rates.tolist() == pytest.approx([6.0, 2.0, 2.0, 100.0])


def test_fluid_completion_is_the_analytic_congestion_on_one_in_one_out_steps():
    """Reference T4: exact within 1e-6 on ring, halving-doubling and permutation steps."""
    rng = np.random.default_rng(RNG_SEED)
    for trial in range(12):
        fab = (leaf_spine(8, 8, 8), fat_tree(4), leaf_spine(8, 4, 8, oversubscription=2))[trial % 3]
        name = ("ring_allreduce", "halving_doubling", "permutation")[trial % 3]
        src, dst, size, path = _random_step(fab, rng, name, pieces=1 + 3 * (trial % 2))
        links = fab.links_of(src, dst, path)
        kappa = cost.congestion(cost.link_loads(fab, links, size[:, None]), fab.capacity)
        cct = fluid.fluid_completion_time(links, size, fab.capacity)
        assert cct == pytest.approx(kappa, rel=1e-6)


def test_fluid_completion_is_never_below_the_analytic_congestion():
    rng = np.random.default_rng(1)
    fab = leaf_spine(4, 2, 3)
    for _ in range(4):
        src, dst, size, path = _random_step(fab, rng, "alltoall_oneshot")
        size = size * rng.uniform(0.2, 2.0, len(size))
        links = fab.links_of(src, dst, path)
        kappa = cost.congestion(cost.link_loads(fab, links, size[:, None]), fab.capacity)
        assert fluid.fluid_completion_time(links, size, fab.capacity) >= kappa * (1 - 1e-9)


def test_fluid_refuses_a_flow_over_a_failed_link():
    cap = np.array([0.0, 1.0, math.inf])
    with pytest.raises(ValueError, match="never finishes"):
        fluid.completion_times(np.array([[0, 1]]), np.array([1.0]), cap)


# ------------------------------------------------------------------ oracles
def test_edge_colouring_is_proper_with_max_degree_colours():
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(50):
        left = rng.integers(0, 6, 40)
        right = rng.integers(0, 5, 40)
        colour = oracle.edge_colouring(left, right)
        delta = max(np.bincount(left).max(), np.bincount(right).max())
        assert colour.max() < delta
        for ends in (left, right):
            assert len(set(zip(ends.tolist(), colour.tolist(), strict=True))) == len(colour)


def _brute_force(fab, src, dst, size):
    """The best single-path congestion over every path assignment (tiny instances)."""
    pairs = fab.n_paths[fab.nic_switch[src], fab.nic_switch[dst]]
    choices = [range(count) for count in pairs]
    return min(
        cost.single_path_congestion(fab, src, dst, size, np.array(p))
        for p in itertools.product(*choices)
    )


def test_lp_is_a_lower_bound_of_every_path_assignment_and_colouring_is_optimal():
    rng = np.random.default_rng(RNG_SEED)
    fab = leaf_spine(3, 3, 2)
    for trial in range(8):
        degraded = fab.with_factors(draw_failures(fab, 1, 0.5, "tier1", rng)) if trial % 2 else fab
        src, dst, size, _ = _random_step(degraded, rng, "permutation")
        best = _brute_force(degraded, src, dst, size)
        lp, share = oracle.min_congestion_lp(degraded, src, dst, size)
        assert np.allclose(share.sum(axis=1), 1.0)
        assert cost.step_lower_bound(degraded, src, dst, size) <= lp * (1 + 1e-9)
        assert lp <= best * (1 + 1e-9)
        assert lp <= cost.spraying_congestion(degraded, src, dst, size) * (1 + 1e-9)
        if not trial % 2:
            path = oracle.colouring_paths(fab, src, dst)[:, 0]
            assert cost.single_path_congestion(fab, src, dst, size, path) == pytest.approx(best)


def test_round_shares_keeps_the_piece_count_and_follows_the_split():
    share = np.array([[0.5, 0.25, 0.25, 0.0], [0.1, 0.0, 0.0, 0.9], [1.0, 0.0, 0.0, 0.0]])
    paths = oracle.round_shares(share, 4)
    assert paths.shape == (3, 4)
    assert sorted(paths[0].tolist()) == [0, 0, 1, 2]
    assert sorted(paths[1].tolist()) == [3, 3, 3, 3]
    assert paths[2].tolist() == [0, 0, 0, 0]


def test_every_collective_name_builds():
    rng = np.random.default_rng(0)
    for name in COLLECTIVES:
        coll = build_collective(name, 16, 1e6, rng)
        assert coll.n_steps >= 1 and (coll.size > 0).all() and (coll.src != coll.dst).all()
