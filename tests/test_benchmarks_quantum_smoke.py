"""Smoke test of ``benchmarks/quantum.py --quick``: it runs and prints one JSON object with every
field and positive rates. No timing is asserted, and ``--quick`` never runs SeQUeNCe."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_quantum_benchmark_quick_prints_every_rate():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "quantum.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object

    assert set(result["chain_scalar_env_steps_per_s"]) == {"abstract_n5", "nv2019_n5"}
    assert all(_positive(v) for v in result["chain_scalar_env_steps_per_s"].values())
    for sizes in result["chain_vector_env_steps_per_s"].values():
        assert set(sizes) == {"64", "1024"} and all(_positive(v) for v in sizes.values())
    assert _positive(result["chain_vector_1024_swap_asap_steps_per_s"])
    scheduling = result["scheduling_env"]
    assert (
        _positive(scheduling["steps_per_s"])
        if "steps_per_s" in scheduling
        else ("not registered" in scheduling["error"])
    )
    by_demands = result["scheduling_env_by_demands"]
    assert set(by_demands) == {"6", "1000", "3000"}
    for figures in by_demands.values():
        assert _positive(figures["reset_s"]) and _positive(figures["steps_per_s"])
    assert "skipped" in result["sequence"]["error"]
    assert isinstance(result["meets_targets"]["chain_vector_1024_steps_per_s"], bool)
    for key in ("python", "numpy", "cpu_count", "platform"):
        assert result["machine"][key]
    assert _positive(result["wall_s"])
