"""Each compiled kernel of ``netgym/MoeRouting-v0`` alone against a plain numpy reference of
its documented contract (``envs/moe/routing/kernels.py``): top-k by repeated argmax, a
capacity that keeps each expert's best slots (ties to the lower slot), quickselect, the token
draws of ``Generator.integers``. The env's trajectory tests cover the kernels only through the
env; these pin each one on inputs chosen to hit its edge cases (ties, ``-0.0``, ``k == E``,
over-subscribed experts, zero capacity, dropped slots)."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.envs.moe.routing.draws import draw_tokens
from netgym.envs.moe.routing.kernels import (
    fill_capacity,
    route_slots,
    route_top_k,
    select,
    top_k_rows,
)


def reference_top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeated argmax per row (``np.argmax`` takes the first, i.e. lower, expert on ties)."""
    rows = len(scores)
    chosen = np.empty((rows, k), dtype=np.int64)
    values = np.empty((rows, k), dtype=scores.dtype)
    for r in range(rows):
        left = scores[r].astype(np.float64)
        for q in range(k):
            best = int(np.argmax(left))
            chosen[r, q] = best
            values[r, q] = scores[r, best]
            left[best] = -np.inf
    return chosen, values


def reference_capacity(
    group: np.ndarray, priority: np.ndarray, mass: np.ndarray, capacity: int, n_experts: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each expert keeps its ``capacity`` slots of highest priority, ties to the lower slot."""
    kept = group.copy()
    requested = np.bincount(group[group >= 0], minlength=n_experts)
    loads = np.minimum(requested, max(capacity, 0))
    for x in range(n_experts):
        slots = np.flatnonzero(group == x)
        ranked = slots[np.lexsort((slots, -priority[slots]))]  # priority down, slot up
        kept[ranked[max(capacity, 0) :]] = -1
    captured = np.zeros(n_experts)
    for s in np.flatnonzero(kept >= 0):  # float64 in slot order, as np.bincount
        captured[kept[s]] += mass[s]
    return kept, loads, requested - loads, requested, captured


def run_fill_capacity(group, priority, mass, capacity, n_experts):
    n = len(group)
    out = dict(
        kept=np.empty(n, np.int64),
        loads=np.empty(n_experts, np.int64),
        overflow=np.empty(n_experts, np.int64),
        requested=np.empty(n_experts, np.int64),
        captured=np.empty(n_experts),
    )
    fill_capacity(
        group,
        priority,
        mass,
        capacity,
        out["kept"],
        out["loads"],
        out["overflow"],
        out["requested"],
        out["captured"],
        np.empty(n, np.int64),
        np.empty(n_experts + 1, np.int64),
        np.empty(n, np.float64),
    )
    return out["kept"], out["loads"], out["overflow"], out["requested"], out["captured"]


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_top_k_rows_is_repeated_argmax_with_ties_to_the_lower_expert(k):
    rng = np.random.default_rng(k)
    # few distinct values: many ties; -0.0 beside 0.0 must count as equal
    scores = rng.integers(-2, 3, size=(64, 8)).astype(np.float32)
    scores[0, :] = 0.0
    scores[0, ::2] = -0.0
    chosen, values = top_k_rows(scores, k)
    want_chosen, want_values = reference_top_k(scores, k)
    np.testing.assert_array_equal(chosen, want_chosen)
    np.testing.assert_array_equal(values, want_values)
    assert chosen.dtype == np.int64


def test_top_k_rows_with_k_equal_to_the_experts_keeps_the_expert_order():
    scores = np.random.default_rng(1).standard_normal((5, 6)).astype(np.float32)
    chosen, values = top_k_rows(scores, 6)
    np.testing.assert_array_equal(chosen, np.tile(np.arange(6), (5, 1)))
    np.testing.assert_array_equal(values, scores)


@pytest.mark.parametrize("seed", range(5))
def test_select_returns_the_mth_smallest(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=40).astype(np.float64)  # with duplicates
    for m in (0, 7, 20, 39):
        work = values.copy()
        assert select(work, 40, m) == np.sort(values)[m]
        np.testing.assert_array_equal(np.sort(work), np.sort(values))  # only reordered


@pytest.mark.parametrize("capacity", [0, 1, 3, 100])
def test_fill_capacity_keeps_each_experts_best_slots_ties_to_the_lower_slot(capacity):
    rng = np.random.default_rng(capacity)
    n_experts, n_slots = 4, 48
    group = rng.integers(-1, n_experts, size=n_slots).astype(np.int64)  # -1: no expert
    priority = rng.integers(0, 4, size=n_slots).astype(np.float64)  # ties at the threshold
    priority[::7] = -0.0
    priority[1::7] = 0.0
    mass = rng.random(n_slots)
    got = run_fill_capacity(group, priority, mass, capacity, n_experts)
    want = reference_capacity(group, priority, mass, capacity, n_experts)
    names = ("kept", "loads", "overflow", "requested", "captured")
    for name, a, b in zip(names, got, want, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_route_top_k_is_top_k_of_biased_logits_then_capacity():
    rng = np.random.default_rng(7)
    n, n_tokens, n_experts, k, capacity = 3, 16, 6, 2, 5
    logits = rng.standard_normal((n, n_tokens, n_experts)).astype(np.float32)
    weights = rng.random((n, n_tokens, n_experts)).astype(np.float32) + 0.1
    totals = weights.sum(axis=2)
    rows = np.array([2, 0], dtype=np.int64)
    biases = rng.standard_normal((len(rows), n_experts)).astype(np.float32)
    experts = np.full((n, n_tokens * k), -9, np.int64)
    counts = np.zeros((n, 3, n_experts), np.int64)
    captured = np.zeros((n, n_experts))
    route_top_k(logits, biases, weights, totals, rows, k, capacity, experts, counts, captured)
    for j, r in enumerate(rows):
        scores = logits[r] + biases[j]  # float32 sum, as the env's numpy code
        chosen, values = reference_top_k(scores, k)
        group = chosen.reshape(-1)
        priority = values.reshape(-1).astype(np.float64)
        tokens = np.repeat(np.arange(n_tokens), k)
        mass = (weights[r, tokens, group] / totals[r, tokens]).astype(np.float64)
        kept, loads, overflow, requested, mass_kept = reference_capacity(
            group, priority, mass, capacity, n_experts
        )
        np.testing.assert_array_equal(experts[r], kept)
        np.testing.assert_array_equal(counts[r], np.stack([loads, overflow, requested]))
        np.testing.assert_array_equal(captured[r], mass_kept)
    assert (experts[1] == -9).all(), "a row not in `rows` was written"


def test_route_slots_counts_explicit_and_duplicate_drops_before_capacity():
    chosen = np.array([[[0, 0], [1, -1], [2, 1], [1, 1]]], dtype=np.int64)  # (1, T=4, k=2)
    priority = np.arange(8, dtype=np.float64).reshape(1, 4, 2)[:, ::-1].copy()
    mass = np.full((1, 4, 2), 0.25)
    experts = np.empty((1, 8), np.int64)
    counts = np.empty((1, 3, 3), np.int64)
    captured = np.empty((1, 3))
    explicit = np.empty(1, np.int64)
    duplicate = np.empty(1, np.int64)
    route_slots(chosen, priority, mass, 1, experts, counts, captured, explicit, duplicate)
    assert explicit[0] == 1 and duplicate[0] == 2
    group = np.array([0, -1, 1, -1, 2, 1, 1, -1])
    want = reference_capacity(group, priority.reshape(-1), mass.reshape(-1), 1, 3)
    np.testing.assert_array_equal(experts[0], want[0])
    np.testing.assert_array_equal(counts[0], np.stack(want[1:4]))
    np.testing.assert_array_equal(captured[0], want[4])


@pytest.mark.parametrize(("n_domains", "vocab"), [(4, 1000), (1, 50), (3, 1), (7, 2**20)])
def test_draw_tokens_gives_the_numbers_and_final_state_of_generator_integers(n_domains, vocab):
    n_envs, n_tokens = 6, 32
    rngs = [np.random.default_rng(100 + i) for i in range(n_envs)]
    twins = [np.random.default_rng(100 + i) for i in range(n_envs)]
    domains = np.zeros((n_envs, n_tokens), np.int64)
    token_ids = np.zeros((n_envs, n_tokens), np.int64)
    idx = np.array([5, 1, 3], dtype=np.int64)
    for _ in range(3):  # several calls: the generators' states carry over
        draw_tokens(rngs, idx, n_domains, vocab, domains, token_ids)
        for i in idx:
            np.testing.assert_array_equal(domains[i], twins[i].integers(n_domains, size=n_tokens))
            np.testing.assert_array_equal(token_ids[i], twins[i].integers(vocab, size=n_tokens))
    for i in range(n_envs):  # same state (a stale, unflagged 32-bit buffer aside): same future
        got, want = rngs[i].bit_generator.state, twins[i].bit_generator.state
        assert (got["state"], got["has_uint32"]) == (want["state"], want["has_uint32"])
        np.testing.assert_array_equal(rngs[i].random(5), twins[i].random(5))
    assert not domains[[0, 2, 4]].any(), "rows not in idx were written"
