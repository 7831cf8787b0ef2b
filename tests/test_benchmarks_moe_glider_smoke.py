"""Smoke test of ``benchmarks/moe_glider.py --quick``: it runs and prints one JSON object with
every field and positive rates. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_glider_benchmark_quick_prints_every_rate_and_the_margins():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "moe_glider.py"), "--quick", "--seconds", "0.1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    rates = result["steps_per_s"]
    for name in ("unwrapped", "wrapped", "flan", "assign"):
        for key in (name, f"{name}_per_cpu_s"):
            assert math.isfinite(rates[key]) and rates[key] > 0, key
    assert result["queries_per_s"] == rates["unwrapped"] * 16
    assert set(result["margins"]) == {"t0", "flan"}
    assert result["margins"]["t0"]["glider_gain_in"] > 0
    assert isinstance(result["meets_target"], bool)
