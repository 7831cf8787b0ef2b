"""Smoke test of ``benchmarks/disttrain.py --quick``: it runs and prints one JSON object with
every field and positive rates. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_disttrain_benchmark_quick_prints_every_rate():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "disttrain.py"), "--quick", "--seconds", "0.05"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert _positive(result["analytic_step_evals_per_s"])
    assert _positive(result["fluid_step_evals_per_s"])
    assert set(result["oracle_ms"]) == {"colouring", "lp", "greedy_k8"}
    assert set(result["collective_env_steps_per_s"]) == {
        "wrapped",
        "unwrapped",
        "vector_16",
        "vector_64",
    }
    assert set(result["gradcoding_rounds_per_s"]) == {
        "wrapped",
        "unwrapped",
        "vector_16",
        "vector_64",
    }
    assert set(result["moe_layer_evals_per_s"]) == {"forward", "backward"}
    assert set(result["moe_env_steps_per_s"]) == {"wrapped", "unwrapped", "vector_16"}
    assert set(result["moe_baseline_ms"]) == {"fsmoe", "oracle"}
    assert set(result["gossip_events_per_s"]) == {"quadratic", "logistic", "through_env"}
    assert set(result["gossip_env_steps_per_s"]) == {"wrapped", "unwrapped"}
    groups = ("oracle_ms", "collective_env_steps_per_s", "gradcoding_rounds_per_s")
    groups += ("moe_layer_evals_per_s", "moe_env_steps_per_s", "moe_baseline_ms")
    groups += ("gossip_events_per_s", "gossip_env_steps_per_s")
    for group in groups:
        assert all(_positive(v) for v in result[group].values()), group
    assert _positive(result["arm_sweep_s"])
    assert "PyPI" in result["astra_sim"]
    assert set(result["meets_targets"]) == set(result["targets"])
