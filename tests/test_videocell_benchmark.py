"""Smoke test of ``benchmarks/videocell.py --quick``: it runs and prints one JSON object with
every measurement, all positive. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "videocell.py"


def _positive_rate(value: dict) -> bool:
    return all(math.isfinite(value[k]) and value[k] > 0 for k in ("per_s", "cpu_per_s"))


def test_videocell_benchmark_quick_prints_every_measurement():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    assert set(result["scalar_env_steps_per_s"]) == {"bounds", "no_bounds"}
    assert all(_positive_rate(v) for v in result["scalar_env_steps_per_s"].values())
    fluid = result["fluid_vector_env_steps_per_s"]["64"]
    assert _positive_rate(fluid["bounds"]) and _positive_rate(fluid["no_bounds"])
    assert _positive_rate(result["exact_env_ttis_per_s"])
    assert _positive_rate(result["channel_only_ttis_per_s"])
    assert result["targets"]["exact_env_ttis_per_s"] == 2e5
