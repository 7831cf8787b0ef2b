"""Cache replay (netgym.envs.moe.replay) and access streams (cache_stream): hand-checked miss
counts, Belady's MIN as the lower bound, stack monotonicity, the stall timeline by hand, memory
that does not grow per access, and clear errors."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from netgym.envs.moe.cache.replay import (
    next_use_positions,
    replay,
    stall_timeline,
    victim_last_steps,
)
from netgym.envs.moe.cache.stream import AccessStream, batch_schedule, decode_stream
from netgym.envs.moe.cost import MoeCostModel
from netgym.envs.moe.hardware import MoeHardware, MoeModel
from netgym.envs.moe.traces import RoutingTrace, SyntheticRouting

ANOMALY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]  # the classic FIFO-anomaly reference string


def _round_cost() -> MoeCostModel:
    """A model with round numbers: load 1 ms, one-token expert 0.1 ms, free attention."""
    model = MoeModel(expert_params=1e6, attention_params=0, kv_bytes_per_token=0, n_experts=8)
    hardware = MoeHardware(
        hbm_gbps=20.0, tflops=1e6, pcie_gbps=2.0, launch_us=0.0, load_overhead_us=0.0
    )
    return MoeCostModel(model, hardware)


def test_hand_checked_miss_counts_of_lru_fifo_and_min():
    keys = [0, 1, 2, 0, 3, 0, 1]
    assert replay(keys, 2, "lru").misses == 6
    assert replay(keys, 2, "fifo").misses == 6
    assert replay(keys, 2, "belady").misses == 5
    # textbook values on the anomaly string: FIFO 9 then 10, LRU 10 then 8, OPT 7 then 6
    assert [replay(ANOMALY, c, "fifo").misses for c in (3, 4)] == [9, 10]
    assert [replay(ANOMALY, c, "lru").misses for c in (3, 4)] == [10, 8]
    assert [replay(ANOMALY, c, "belady").misses for c in (3, 4)] == [7, 6]
    assert replay(keys, 2, "belady").miss_positions.tolist() == [0, 1, 2, 4, 6]


def test_next_use_positions_by_hand():
    assert next_use_positions(np.array([5, 1, 5, 5, 1])).tolist() == [2, 4, 3, 5, 5]


@pytest.mark.parametrize("seed", range(4))
def test_belady_never_misses_more_and_hit_rates_grow_with_capacity(seed):
    rng = np.random.default_rng(seed)
    keys = rng.zipf(1.3, size=3000) % 40
    previous = {"lru": -1, "belady": -1}
    for capacity in (1, 2, 3, 5, 8, 13, 21):
        counts = {name: replay(keys, capacity, name) for name in ("lru", "fifo", "belady")}
        assert counts["belady"].misses <= counts["lru"].misses
        assert counts["belady"].misses <= counts["fifo"].misses
        for name in ("lru", "belady"):  # stack algorithms (FIFO is exempt: Belady's anomaly)
            assert counts[name].hits >= previous[name]
            previous[name] = counts[name].hits
        for result in counts.values():
            assert result.hits + result.misses == result.accesses == keys.size
            assert result.misses >= result.cold_misses


def test_capacity_at_least_distinct_keys_leaves_only_cold_misses():
    keys = np.random.default_rng(3).integers(0, 12, size=500)
    for name in ("lru", "fifo", "belady"):
        result = replay(keys, 12, name)
        assert result.misses == result.cold_misses == 12


class _GenericLru:
    """LRU written against the per-access protocol, to cross-check the fast kernel."""

    name = "generic-lru"

    def reset(self, stream, capacity, rng):
        self.last = {}

    def on_access(self, position, key, hit):
        self.last[key] = position

    def evict(self, position, key, resident):
        return min(resident, key=self.last.__getitem__)


def test_generic_policy_protocol_matches_the_lru_kernel():
    keys = np.random.default_rng(7).integers(0, 30, size=4000)
    fast = replay(keys, 9, "lru")
    generic = replay(keys, 9, _GenericLru())
    assert np.array_equal(fast.miss_positions, generic.miss_positions)


def test_stall_timeline_by_hand_with_and_without_prefetch():
    cost = _round_cost()
    assert cost.load_ms == pytest.approx(1.0) and cost.expert_ms(1) == pytest.approx(0.1)
    stream = AccessStream.from_keys([0, 1, 0], n_keys=8)
    # each step misses: wait 1 ms for its copy, then 0.1 ms of compute -> 3 ms stall
    demand = replay(stream, 1, "lru", cost=cost)
    assert demand.stall_ms == pytest.approx(3.0) and demand.compute_ms == pytest.approx(0.3)
    # prefetch: with one slot every copy evicts the expert computed in the previous step, so
    # it cannot start before that step ends (= its own step's start): 1 + 1 + 1 ms, no gain
    early = replay(stream, 1, "lru", cost=cost, prefetch=True)
    assert early.stall_ms == pytest.approx(3.0)
    assert early.total_ms == pytest.approx(3.3)
    # two slots: the fill of step 1 and the evictions of keys last used two steps back start
    # when the previous step starts: 1 + 0.9 + 0.9 + 0.9 ms (4 ms without prefetch)
    spread = AccessStream.from_keys([0, 1, 2, 0], n_keys=8)
    assert replay(spread, 2, "lru", cost=cost).stall_ms == pytest.approx(4.0)
    assert replay(spread, 2, "lru", cost=cost, prefetch=True).stall_ms == pytest.approx(3.7)
    # hits cost no stall
    warm = replay(AccessStream.from_keys([0, 0, 0], n_keys=8), 1, "lru", cost=cost)
    assert warm.stall_ms == pytest.approx(1.0)


class _Mru:
    """Most-recently-used eviction through the per-access protocol."""

    name = "mru"

    def reset(self, stream, capacity, rng):
        self.last = {}

    def on_access(self, position, key, hit):
        self.last[key] = position

    def evict(self, position, key, resident):
        return max(resident, key=self.last.__getitem__)


def test_prefetched_copy_waits_for_the_expert_it_evicts_used_in_the_previous_step():
    cost = _round_cost()
    stream = AccessStream.from_keys([0, 1, 2, 1], n_keys=8)
    result = replay(stream, 2, _Mru(), cost=cost, prefetch=True)
    assert result.miss_positions.tolist() == [0, 1, 2, 3]
    # step 0: 1 ms; step 1 (a fill, copy from t=0): ready 2.0, starts 1.1 -> 0.9 ms;
    # step 2 evicts key 1, computed in step 1 until t=2.1: ready 3.1 -> 1.0 ms;
    # step 3 evicts key 2, computed in step 2 until t=3.2: ready 4.2 -> 1.0 ms
    assert result.stall_ms == pytest.approx(3.9)
    steps = victim_last_steps(stream, result.miss_positions, np.array([-1, -1, 1, 2]))
    assert steps.tolist() == [-1, -1, 1, 2]
    # the same misses with victims last used two steps back overlap the previous step
    early = stall_timeline(stream, result.miss_positions, cost, True, np.array([-1, -1, 0, 1]))
    assert early[0] == pytest.approx(3.7)
    with pytest.raises(ValueError, match="victim_steps"):
        stall_timeline(stream, result.miss_positions, cost, True)


def test_stall_never_below_zero_and_belady_stalls_least_on_a_decode_stream():
    generator = SyntheticRouting.for_model("mixtral", n_layers=4)
    rng = np.random.default_rng(0)
    stream = decode_stream(generator.generate(rng.integers(20, 60, size=24), rng), 8)
    cost = MoeCostModel.preset("mixtral")
    stalls = {name: replay(stream, 12, name, cost=cost).stall_ms for name in ("lru", "belady")}
    assert 0 < stalls["belady"] <= stalls["lru"]


@pytest.mark.parametrize("prefetch", [False, True])
def test_total_time_lies_between_the_copy_bound_and_compute_plus_all_copies(prefetch):
    # reference 6: max(sum compute, M* t_load) <= total <= sum compute + misses t_load
    generator = SyntheticRouting.for_model("qwen15moe", n_layers=3)
    rng = np.random.default_rng(2)
    stream = decode_stream(generator.generate(rng.integers(10, 40, size=16), rng), 8)
    cost = MoeCostModel.preset("qwen15moe")
    bound = replay(stream, 60, "belady").misses
    for name in ("lru", "fifo", "belady"):
        result = replay(stream, 60, name, cost=cost, prefetch=prefetch)
        assert max(result.compute_ms, bound * cost.load_ms) <= result.total_ms + 1e-9
        assert result.total_ms <= result.compute_ms + result.misses * cost.load_ms + 1e-9


def test_batch_schedule_and_decode_stream_conserve_tokens():
    assert batch_schedule(np.array([3, 1, 2]), 2).tolist() == [0, 0, 1]
    generator = SyntheticRouting(n_experts=6, n_layers=3, top_k=2, repeat_rate=0.3)
    rng = np.random.default_rng(1)
    trace = generator.generate(rng.integers(5, 30, size=10), rng)
    stream = decode_stream(trace, 4)
    assert stream.tokens.sum() == trace.n_tokens * 3 * 2
    assert stream.n_keys == 18 and stream.n_steps % 3 == 0
    assert np.all(stream.step_tokens <= 4)
    # attention reads one KV entry per generated token so far (+ the prompt) of each request
    # (3 steps per iteration: 4 first tokens read 1 entry each, then 2 each)
    assert stream.step_context[:4].tolist() == [4, 4, 4, 8]
    with_prompt = decode_stream(trace, 4, prompt_tokens=100)
    assert np.array_equal(with_prompt.step_context, stream.step_context + 100 * stream.step_tokens)
    # within a step every key appears once
    assert np.unique(stream.step.astype(np.int64) * 18 + stream.keys).size == len(stream)
    readme = SyntheticRouting.for_model("readme")
    trace = readme.generate(rng.integers(5, 30, size=10), rng)
    path = decode_stream(trace, 4, unit="path")
    assert path.n_keys == 7 and path.layers_per_access == 32
    assert path.tokens.sum() == trace.n_tokens
    with pytest.raises(ValueError, match="unit='path' needs"):
        decode_stream(generator.generate([5], rng), 2, unit="path")


def test_decode_stream_orders_each_step_by_first_use_not_by_expert_id():
    # request 7 appears first, so it is admitted first although its id is larger; batch 2 runs
    # token 0 (request 7) and token 2 (request 3) in iteration 0, token 1 alone in iteration 1
    experts = np.array(
        [[[4, 1], [2, 5]], [[0, 3], [5, 1]], [[1, 2], [0, 2]]], dtype=np.int16
    )  # (token, layer, top-k slot)
    trace = RoutingTrace(experts, np.array([7, 7, 3]), n_experts=6)
    stream = decode_stream(trace, 2)
    # keys are layer x 6 + expert; a step lists token 0's experts in top-k order, then token
    # 2's not yet used: layer 0 of iteration 0 is 4, 1 (token 0), then 2 (token 2's 1 is a repeat)
    assert stream.step.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3]
    assert stream.keys.tolist() == [4, 1, 2, 8, 11, 6, 0, 3, 11, 7]  # id order: [1, 2, 4], ...
    assert stream.tokens.tolist() == [1, 2, 1, 2, 1, 1, 1, 1, 1, 1]
    one_layer = RoutingTrace(experts[:, :1, :], np.array([7, 7, 3]), n_experts=6)
    path = decode_stream(one_layer, 2, unit="path")
    assert path.keys.tolist() == [4, 1, 2, 0, 3] and path.tokens.tolist() == [1, 2, 1, 1, 1]
    # the sparse path (np.unique, for streams far sparser than the key space) agrees
    sparse = RoutingTrace(experts * 20, np.array([7, 7, 3]), n_experts=101)
    assert (decode_stream(sparse, 2).keys % 101 // 20).tolist() == [4, 1, 2, 2, 5, 0, 0, 3, 5, 1]


def test_replay_memory_stays_bounded_per_access():
    # ids >= 1000 are not CPython's cached small ints: a Python list of all 400k accesses
    # would take ~14 MB, the miss positions (~25%) take 0.8 MB
    keys = np.random.default_rng(0).integers(1000, 1064, size=400_000).astype(np.int32)
    stream = AccessStream.from_keys(keys)
    tracemalloc.start()
    replay(stream, 48, "lru")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8e6, peak


def test_bad_replay_input_raises_clear_errors():
    with pytest.raises(ValueError, match="replay.capacity must be >= 1"):
        replay([0, 1], 0)
    with pytest.raises(ValueError, match="unknown replay policy 'mru'"):
        replay([0, 1], 1, "mru")
    with pytest.raises(ValueError, match="keys must be >= 0"):
        replay([0, -1], 1)
    with pytest.raises(ValueError, match="out of range"):
        AccessStream.from_keys([0, 9], n_keys=4)
    empty = np.zeros(0, dtype=np.int32)
    with pytest.raises(ValueError, match="replay: the stream has no access"):
        replay(AccessStream(empty, empty, empty, empty, empty, 4), 2, "lru")

    class Bad(_GenericLru):
        def evict(self, position, key, resident):
            return 999

    with pytest.raises(ValueError, match="evicted 999, which is not resident"):
        replay([0, 1, 2], 2, Bad())
