"""Smoke test of ``benchmarks/abr.py --quick``: it runs, prints one JSON object with every
field, and its Pensieve-style anchor reproduces the env. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "abr.py"

RATE_KEYS = ("scalar_env_steps_per_s", "anchor_steps_per_s", "anchor_mpc_decisions_per_s")
MEMORY_KEYS = ("peak_rss_mb_vector_4096", "baseline_rss_mb")


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_abr_benchmark_quick_prints_complete_json_and_anchor_matches_env():
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object

    for key in (*RATE_KEYS, *MEMORY_KEYS, "wall_s"):
        assert _positive(result[key]), (key, result[key])
    assert set(result["vector_env_steps_per_s"]) == {"1", "64", "1024", "4096"}
    assert all(_positive(v) for v in result["vector_env_steps_per_s"].values())
    assert set(result["mpc_decisions_per_s"]) == {"full", "max_jump_1"}
    assert all(_positive(v) for v in result["mpc_decisions_per_s"].values())
    assert isinstance(result["mpc_timing"], str) and result["mpc_timing"]
    assert set(result["speedup"]) == {
        "vector_4096_vs_anchor",
        "scalar_vs_anchor",
        "mpc_full_vs_anchor",
    }
    assert all(_positive(v) for v in result["speedup"].values())
    assert result["peak_rss_mb_vector_4096"] >= result["baseline_rss_mb"]

    assert set(result["targets"]) == {"vector_4096", "scalar", "mpc_full", "rss_mb"}
    assert set(result["meets_targets"]) == set(result["targets"])
    assert all(isinstance(v, bool) for v in result["meets_targets"].values())
    for key in ("python", "numpy", "cpu_count", "platform"):
        assert result["machine"][key]

    assert result["anchor_matches_env"] is True
    assert result["anchor_max_abs_reward_diff"] <= 1e-9
    assert result["anchor_check"]["anchor_sleeps"] > 0  # the drain path was compared
    assert result["anchor_check"]["anchor_trace_wraps"] > 0  # and the wrap-around
    assert result["anchor_mpc_matches_env"] is True
