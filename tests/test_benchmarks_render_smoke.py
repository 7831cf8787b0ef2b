"""Smoke test of ``benchmarks/render.py --quick``: it runs and prints one JSON object with a
frame timing of every env (the declared frame shapes, uint8). No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from test_render_envs import ANSI, CASES

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "render.py"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_render_benchmark_quick_times_a_frame_of_every_env():
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    assert set(result["envs"]) == set(CASES)
    for env_id, entry in result["envs"].items():
        frame = entry["rgb_array_ms"]
        assert all(_positive(frame[key]) for key in ("mean", "p95", "max")), env_id
        assert frame["dtype"] == "uint8" and frame["frames"] == 8
        assert len(frame["shape"]) == 3 and frame["shape"][2] == 3
        assert _positive(entry["step_ms"]) and _positive(entry["frame_over_step"])
        assert ("ansi_ms" in entry) == (env_id in ANSI)
    assert _positive(result["slowest_frame_ms"]) and _positive(result["wall_s"])
    assert result["machine"]["python"]
