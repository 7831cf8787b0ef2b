"""Smoke tests of ``benchmarks/uav.py --quick`` and ``benchmarks/uav_paper.py --quick``: each
runs, prints one JSON object with every field and positive numbers. No timing is asserted, and
``--quick`` installs nothing (mobile-env is skipped)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def _run(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # stdout is exactly one JSON object


def test_uav_benchmark_quick_prints_every_rate_and_skips_mobile_env():
    result = _run("uav.py")

    sizes = {"K3_N100", "K10_N1000", "K7_N15"}
    for key in ("central_env_steps_per_s", "central_env_unwrapped_steps_per_s"):
        assert set(result[key]) == sizes
        assert all(_positive(v) for v in result[key].values()), result[key]
    assert set(result["parallel_env_steps_per_s"]) == sizes
    assert all(_positive(v) for v in result["parallel_env_steps_per_s"].values())
    assert set(result["vector_env_steps_per_s"]) == {"16", "64", "256"}
    assert all(_positive(v) for v in result["vector_env_steps_per_s"].values())

    render = result["render_ms_per_frame"]
    assert _positive(render["mean"]) and _positive(render["p95"])
    assert render["shape"] == [400, 400, 3] and render["dtype"] == "uint8"

    assert "skipped" in result["mobile_env"]["error"]  # --quick never installs mobile-env
    assert result["speedup_vs_mobile_env"] is None
    assert set(result["meets_targets"]) == {"central_K3_N100"}
    assert isinstance(result["meets_targets"]["central_K3_N100"], bool)
    assert result["sizes"]["K10_N1000"] == {"n_uavs": 10, "n_users": 1000}
    for key in ("python", "numpy", "cpu_count", "platform"):
        assert result["machine"][key]
    assert _positive(result["wall_s"])


def test_uav_paper_quick_reports_every_method_with_ci_below_the_bounds():
    result = _run("uav_paper.py")

    assert result["preset"] == "small"
    assert result["seeds"] == [0, 1]
    assert set(result["methods"]) == {"sarsa", "qlearning", "pso-static", "kmeans", "random"}
    capacity = result["capacity_bound"]
    assert capacity == min(
        result["params"]["n_users"], result["params"]["n_uavs"] * result["params"]["capacity"]
    )
    for name, block in result["methods"].items():
        assoc = block["assoc"]
        assert len(assoc["per_seed"]) == 2
        assert 0 <= assoc["mean"] <= capacity + 1e-9, (name, assoc)
        assert assoc["ci95"] is not None and assoc["ci95"] >= 0
        assert 0 <= block["fraction_of_capacity_bound"]["mean"] <= 1 + 1e-9
    for name in ("sarsa", "qlearning"):
        assert _positive(result["methods"][name]["train_wall_s"])
    assert result["bounds"]["capacity"]["mean"] == capacity
    for key in ("sarsa_minus_qlearning", "sarsa_minus_pso", "sarsa_minus_kmeans"):
        assert isinstance(result[key]["significant"], bool)
    assert sorted(result["ranking"]) == sorted(result["methods"])
    assert result["table_markdown"].startswith("| method |")
    assert _positive(result["wall_s"])
