"""Throughput benchmark of the MoE family: cache env, replay, routing and batching envs.

Usage: ``python benchmarks/moe.py [--quick] [--seconds S] [--memory-accesses N]``.
Prints one JSON object to stdout (progress goes to stderr). Single core (pinned, BLAS on one
thread). Fields:

- ``cache_env_decisions_per_s``: eviction decisions/s of ``netgym/MoeExpertCache-v0`` (readme
  preset, capacity 4) through ``gym.make`` (``wrapped``, with gymnasium's checkers) and unwrapped,
  with pre-drawn random slots (numpy ints), stepped as a training loop does (``if terminated``:
  no ``np.any`` on the bool); resets (trace generation, Belady bound) are inside the timing.
  Also ``mixtral_c64`` (layer keys, capacity 64), unwrapped. The target is the unwrapped rate.
- ``replay_accesses_per_s``: accesses/s of ``replay`` with LRU, FIFO and Belady (MIN, its
  next-use pass included) on ``replay_accesses`` Zipf-distributed keys over 256 experts,
  capacity 64, counts only; ``lru_with_stall`` adds the stall timeline (mixtral costs).
- ``per_cpu_second``: the cache-env and replay rates per second of this process's CPU time
  (``time.process_time``): on a machine shared with other jobs, closer to an idle core's rate.
- ``anchor_lru_accesses_per_s``: the same LRU counted with CPython's C-implemented
  ``functools.lru_cache(maxsize=64)`` (misses only, no positions): the in-run anchor.
- ``replay_memory``: a fresh process replays ``memory_accesses`` keys (int32) with LRU and
  with Belady; ``peak_rss_mb`` is its ``ru_maxrss``, ``baseline_rss_mb`` the same after imports
  and the key array, ``tracemalloc_peak_mb`` numpy's and Python's allocations in the replay.
- ``readme_hit_ratio``: hit ratios of random, LRU, windowed Belady (pre-gated window: the
  running iteration) and full Belady at capacities 2-5 on the readme preset (replay of a
  synthetic decode stream, batch 8, accesses of an iteration in order of first use), beside
  Read-ME's Table 4; not a speed.
- ``routing_steps_per_s``: ``netgym/MoeRouting-v0`` at T = 512, E = 64 (scalar through
  ``gym.make`` and the native vector env at N = 16 env-steps/s), random bias actions, with and
  without the per-step LP bound (``null`` with ``--quick``), each also per CPU second
  (``*_per_cpu_s``); ``{"error": ...}`` when the id is not registered.
- ``batching_iterations_per_s``: ``netgym/MoeBatching-v0`` default settings, random actions;
  ``{"error": ...}`` when the id is not registered.
- ``meets_targets``: 50,000 cache decisions/s (unwrapped), 1,000,000 LRU accesses/s, 5,000
  routing steps/s (scalar), replay of ``memory_accesses`` under 1 GB.
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
from netgym.envs.moe.cache.env import MoeExpertCacheEnv
from netgym.envs.moe.cache.replay import replay
from netgym.envs.moe.cache.stream import AccessStream
from netgym.envs.moe.cost import MoeCostModel

CACHE_ID = "netgym/MoeExpertCache-v0"
ROUTING_ID = "netgym/MoeRouting-v0"
BATCHING_ID = "netgym/MoeBatching-v0"
TARGETS = {
    "cache_decisions_per_s": 5e4,
    "lru_accesses_per_s": 1e6,
    "routing_steps_per_s": 5e3,
    "replay_memory_mb": 1024.0,
}


CPU_RATES: dict[str, float] = {}
"""units per second of this process's CPU time, by label (less sensitive to other processes)"""


def _rate(work: Callable[[], int], seconds: float, label: str = "") -> float:
    """Units/s of ``work`` (returns units done) over ``seconds`` after a warm-up; with a
    ``label``, the rate per CPU second goes to ``CPU_RATES[label]``."""
    result = rate(work, seconds)
    if label:
        CPU_RATES[label] = result["cpu_per_s"]
    return result["per_s"]


def _env_loop(env: Any, actions: np.ndarray, block: int = 256) -> Callable[[], int]:
    """A block of ``block`` steps with pre-drawn actions, resetting at episode ends."""
    state = {"i": 0, "seed": 0}
    env.reset(seed=0)

    def work() -> int:
        for _ in range(block):
            action = actions[state["i"] % len(actions)]
            state["i"] += 1
            _, _, terminated, truncated, _ = env.step(action)
            if np.any(terminated) or np.any(truncated):
                state["seed"] += 1
                env.reset(seed=state["seed"])
        return block

    return work


def _scalar_env_loop(env: Any, actions: np.ndarray, block: int = 256) -> Callable[[], int]:
    """As ``_env_loop`` for a scalar env, the way a training loop steps it.

    ``terminated`` is a plain bool here, so it is tested directly: ``np.any`` on a bool costs
    ~5 us, a third of a cache decision, and is no part of the env. Actions stay numpy ints.
    """
    actions = list(actions)  # numpy scalars, as a policy returns them
    state = {"i": 0, "seed": 0}
    env.reset(seed=0)

    def work() -> int:
        index, size, step = state["i"], len(actions), env.step
        for _ in range(block):
            _, _, terminated, truncated, _ = step(actions[index % size])
            index += 1
            if terminated or truncated:
                state["seed"] += 1
                env.reset(seed=state["seed"])
        state["i"] = index
        return block

    return work


def cache_rates(seconds: float) -> dict[str, float]:
    rng = np.random.default_rng(0)
    out = {}
    wrapped = gym.make(CACHE_ID)
    out["wrapped"] = _rate(
        _scalar_env_loop(wrapped, rng.integers(4, size=4096)), seconds, "wrapped"
    )
    raw = MoeExpertCacheEnv()
    out["unwrapped"] = _rate(
        _scalar_env_loop(raw, rng.integers(4, size=4096)), seconds, "unwrapped"
    )
    mixtral = MoeExpertCacheEnv(model="mixtral", capacity=64, n_requests=8, max_tokens=64)
    out["mixtral_c64"] = _rate(_scalar_env_loop(mixtral, rng.integers(64, size=4096)), seconds)
    return out


def replay_rates(n_accesses: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    keys = ((rng.zipf(1.2, size=n_accesses) - 1) % 256).astype(np.int32)
    stream = AccessStream.from_keys(keys, n_keys=256)
    out: dict[str, Any] = {"replay_accesses": n_accesses}
    for name in ("lru", "fifo", "belady"):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = replay(stream, 64, name)
        out[name] = n_accesses / (time.perf_counter() - start)
        CPU_RATES[f"replay_{name}"] = n_accesses / max(time.process_time() - cpu_start, 1e-9)
        out[f"{name}_hit_ratio"] = result.hit_ratio
    cost = MoeCostModel.preset("mixtral")
    start = time.perf_counter()
    replay(stream, 64, "lru", cost=cost)
    out["lru_with_stall"] = n_accesses / (time.perf_counter() - start)

    misses = 0

    @functools.lru_cache(maxsize=64)
    def load(key: int) -> int:
        nonlocal misses
        misses += 1
        return key

    start = time.perf_counter()
    for begin in range(0, n_accesses, 1 << 16):
        for key in keys[begin : begin + (1 << 16)].tolist():
            load(key)
    out["anchor_lru_cache"] = n_accesses / (time.perf_counter() - start)
    out["anchor_agrees"] = n_accesses - misses == round(out["lru_hit_ratio"] * n_accesses)
    return out


_MEMORY_CHILD = """
import resource, sys, time, tracemalloc
import numpy as np
from netgym.envs.moe.cache.stream import AccessStream
from netgym.envs.moe.cache.replay import replay
n = int(sys.argv[1]); policy = sys.argv[2]
keys = ((np.random.default_rng(0).zipf(1.2, size=n) - 1) % 256).astype(np.int32)
stream = AccessStream.from_keys(keys, n_keys=256)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
start = time.perf_counter()
result = replay(stream, 64, policy)
wall = time.perf_counter() - start
traced = tracemalloc.get_traced_memory()[1] / 2**20
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(peak, base, traced, wall, result.misses)
"""


READ_ME_TABLE4 = {
    "random": {2: 0.3419, 3: 0.5014, 4: 0.6752, 5: 0.8291},
    "lru": {2: 0.3390, 3: 0.5242, 4: 0.6695, 5: 0.8348},
    "belady": {2: 0.4416, 3: 0.6182, 4: 0.7721, 5: 0.8803},
}
"""Read-ME Table 4: hit ratio in batched inference (its 'Belady' is the pre-gated window)"""


def readme_hit_ratios(n_seeds: int) -> dict[str, Any]:
    """Hit ratios on the readme preset (synthetic routing, batch 8, path keys) by capacity."""
    from netgym.baselines.moe.eviction import make_eviction_policy
    from netgym.envs.moe.cache.stream import decode_stream
    from netgym.envs.moe.traces import SyntheticRouting

    generator = SyntheticRouting.for_model("readme")
    policies = ("random", "lru", "belady-window", "belady")
    sums = {name: {c: 0.0 for c in (2, 3, 4, 5)} for name in policies}
    unique = 0.0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        stream = decode_stream(generator.generate(rng.integers(50, 300, 120), rng), 8, "path")
        unique += len(stream) / stream.n_steps / n_seeds
        for name in policies:
            for capacity in (2, 3, 4, 5):
                policy = make_eviction_policy(name)
                ratio = replay(stream, capacity, policy, seed=seed).hit_ratio
                sums[name][capacity] += ratio / n_seeds
    return {
        "setup": f"readme preset, batch 8, 120 requests of 50-299 tokens, {n_seeds} seeds",
        "unique_experts_per_batch": unique,
        "netgym": {name: {str(c): v for c, v in row.items()} for name, row in sums.items()},
        "read_me_table4": {n: {str(c): v for c, v in r.items()} for n, r in READ_ME_TABLE4.items()},
    }


def replay_memory(n_accesses: int) -> dict[str, Any]:
    out: dict[str, Any] = {"memory_accesses": n_accesses}
    for policy in ("lru", "belady"):
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(n_accesses), policy],
            capture_output=True,
            text=True,
            check=True,
        )
        peak, base, traced, wall, misses = done.stdout.split()
        out[policy] = {
            "peak_rss_mb": float(peak),
            "baseline_rss_mb": float(base),
            "tracemalloc_peak_mb": float(traced),
            "wall_s": float(wall),
            "misses": int(misses),
        }
    return out


def routing_rates(seconds: float, quick: bool = False) -> dict[str, Any]:
    if ROUTING_ID not in gym.registry:
        return {"error": f"{ROUTING_ID} is not registered"}
    out: dict[str, Any] = {}
    for label, lp in (("scalar", False), ("scalar_with_lp", True)):
        if lp and quick:
            out[label] = None  # a few steps/s: too slow for a smoke run
            continue
        env = gym.make(ROUTING_ID, n_tokens=512, n_experts=64, lp_bound=lp)
        space = env.action_space
        space.seed(0)
        actions = np.stack([space.sample() for _ in range(256)])
        # a scalar env's bool flags tested directly, as for the cache env (not np.any: ~10 us)
        out[label] = _rate(_scalar_env_loop(env, actions, block=32), seconds, "routing")
        out[f"{label}_per_cpu_s"] = CPU_RATES.pop("routing")
    vector = gym.make_vec(ROUTING_ID, num_envs=16, n_tokens=512, n_experts=64, lp_bound=False)
    vector.action_space.seed(0)
    actions = np.stack([vector.action_space.sample() for _ in range(64)])
    out["vector_16_env_steps"] = 16 * _rate(_env_loop(vector, actions, block=8), seconds, "routing")
    out["vector_16_env_steps_per_cpu_s"] = 16 * CPU_RATES.pop("routing")
    return out


def batching_rates(seconds: float) -> dict[str, Any]:
    if BATCHING_ID not in gym.registry:
        return {"error": f"{BATCHING_ID} is not registered"}
    env = gym.make(BATCHING_ID)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(256)]
    return {"scalar": _rate(_env_loop(env, np.array(actions), block=32), seconds)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (noisy numbers)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per measurement")
    parser.add_argument("--replay-accesses", type=int, default=None)
    parser.add_argument("--memory-accesses", type=int, default=None)
    args = parser.parse_args(argv)
    seconds = args.seconds or (0.3 if args.quick else 2.0)
    n_replay = args.replay_accesses or (100_000 if args.quick else 2_000_000)
    n_memory = args.memory_accesses or (200_000 if args.quick else 10_000_000)
    wall = time.perf_counter()
    log("cache env ...")
    cache = cache_rates(seconds)
    log("replay ...")
    replay_out = replay_rates(n_replay)
    log("readme hit ratios ...")
    readme = readme_hit_ratios(2 if args.quick else 5)
    log("replay memory ...")
    memory = replay_memory(n_memory)
    log("routing / batching ...")
    routing = routing_rates(seconds, args.quick)
    batching = batching_rates(seconds)
    worst_peak = max(memory[p]["peak_rss_mb"] for p in ("lru", "belady"))
    meets = {
        "cache_decisions_per_s": cache["unwrapped"] >= TARGETS["cache_decisions_per_s"],
        "lru_accesses_per_s": replay_out["lru"] >= TARGETS["lru_accesses_per_s"],
        "replay_memory_under_1gb": worst_peak < TARGETS["replay_memory_mb"],
        "routing_steps_per_s": (
            routing["scalar"] >= TARGETS["routing_steps_per_s"] if "scalar" in routing else None
        ),
    }
    result = {
        "cache_env_decisions_per_s": cache,
        "replay_accesses_per_s": {k: v for k, v in replay_out.items() if not k.startswith("anch")},
        "per_cpu_second": dict(CPU_RATES),
        "anchor_lru_accesses_per_s": replay_out["anchor_lru_cache"],
        "anchor_agrees_with_lru": replay_out["anchor_agrees"],
        "replay_memory": memory,
        "readme_hit_ratio": readme,
        "routing_steps_per_s": routing,
        "batching_iterations_per_s": batching,
        "targets": TARGETS,
        "meets_targets": meets,
        "machine": machine(gymnasium=gym.__version__),
        "quick": args.quick,
        "wall_s": time.perf_counter() - wall,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
