"""Smoke test of ``benchmarks/moe.py --quick``: it runs and prints one JSON object with every
field and positive numbers. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_moe_benchmark_quick_prints_every_rate():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "moe.py"), "--quick", "--seconds", "0.1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    cache = result["cache_env_decisions_per_s"]
    assert set(cache) == {"wrapped", "unwrapped", "mixtral_c64"}
    assert all(_positive(v) for v in cache.values())
    rates = result["replay_accesses_per_s"]
    for name in ("lru", "fifo", "belady", "lru_with_stall"):
        assert _positive(rates[name]), name
    assert rates["belady_hit_ratio"] >= rates["lru_hit_ratio"]
    assert _positive(result["anchor_lru_accesses_per_s"])
    assert set(result["per_cpu_second"]) == {
        "wrapped",
        "unwrapped",
        "replay_lru",
        "replay_fifo",
        "replay_belady",
    }
    assert result["anchor_agrees_with_lru"] is True
    memory = result["replay_memory"]
    for policy in ("lru", "belady"):
        assert _positive(memory[policy]["peak_rss_mb"])
        assert memory[policy]["peak_rss_mb"] >= memory[policy]["baseline_rss_mb"]
    assert memory["lru"]["misses"] >= memory["belady"]["misses"]
    readme = result["readme_hit_ratio"]["netgym"]
    for capacity in ("2", "3", "4", "5"):
        assert readme["belady"][capacity] >= readme["belady-window"][capacity]
        assert readme["belady-window"][capacity] > readme["lru"][capacity]
    for block in ("routing_steps_per_s", "batching_iterations_per_s"):
        value = result[block]
        assert "error" in value or all(v is None or _positive(v) for v in value.values())
    assert set(result["meets_targets"]) == {
        "cache_decisions_per_s",
        "lru_accesses_per_s",
        "replay_memory_under_1gb",
        "routing_steps_per_s",
    }
    assert _positive(result["wall_s"])
