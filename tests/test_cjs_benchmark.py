"""Smoke test of ``benchmarks/cjs.py --quick``: it runs and prints one JSON object with every
field and positive numbers. No timing is asserted, and ``--quick`` installs nothing (the
spark-sched-sim anchor is skipped)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from cjs_common import tpch_folder  # noqa: F401  (a fixture)

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cjs.py"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_cjs_benchmark_quick_prints_every_measurement(tpch_folder):  # noqa: F811
    data = tpch_folder.parents[1]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    for key in ("fair_tpch", "fifo_tpch", "fair_synthetic", "fair_450_jobs_100_executors"):
        run = result[key]
        for field in (
            "seconds_per_episode",
            "decisions_per_s",
            "decisions_per_cpu_s",
            "decisions_per_episode",
        ):
            assert _positive(run[field]), (key, field)
        assert all(_positive(jct) for jct in run["mean_jct_s"])
    assert result["fair_tpch"]["mean_jct_s"][0] < result["fifo_tpch"]["mean_jct_s"][0]
    memory = result["memory"]
    assert _positive(memory["peak_rss_mb"]) and memory["peak_rss_mb"] >= memory["baseline_rss_mb"]
    assert "skipped" in result["upstream"]["error"]  # --quick never builds the anchor's venv
    assert result["match_upstream"] is None and result["speedup_vs_upstream"] is None
    assert set(result["meets_targets"]) == {
        "decisions_per_s",
        "seconds_per_episode",
        "speedup_vs_upstream",
    }
    assert result["meets_targets"]["speedup_vs_upstream"] is None  # no anchor in a quick run
