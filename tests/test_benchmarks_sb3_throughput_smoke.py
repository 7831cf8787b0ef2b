"""Smoke test of ``benchmarks/sb3_throughput.py --quick``: PPO learns on the native vector env
through the adapter, on SB3's DummyVecEnv and on Gymnasium's SyncVectorEnv, and the script
prints one JSON object with every field and positive figures. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "stable_baselines3", reason='needs the train extra: pip install "netgym[train]"'
)

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "sb3_throughput.py"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_sb3_throughput_quick_times_every_backend_and_splits_the_time():
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--num-envs", "8"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    assert result["env_id"] == "netgym/AbrStreaming-v0"
    assert list(result["results"]) == ["8"]
    for n, row in result["results"].items():
        assert list(row) == ["native", "dummy", "sync"]
        for backend, entry in row.items():
            for key in ("per_s", "cpu_per_s", "collect_cpu_per_s", "wall_s", "cpu_s"):
                assert _positive(entry[key]), (n, backend, key)
            assert entry["env_steps"] == result["rollout"] * result["rollouts"]
            assert entry["n_steps"] * int(n) == result["rollout"]
            assert _positive(entry["train_cpu_s"])
            assert 0 < entry["venv_step_cpu_s"] < entry["collect_cpu_s"] <= entry["cpu_s"]
            # the adapter's conversion is timed where there is an adapter (not in DummyVecEnv)
            assert ("adapter_cpu_s" in entry) == (backend != "dummy")
        assert row["native"]["vector_env_step_cpu_s"] < row["native"]["venv_step_cpu_s"]
        assert f"| {n} |" in result["table_markdown"]
        assert f"| {n} |" in result["table_markdown_cpu"]
    assert result["torch_threads"] == 1
    for key in ("python", "numpy", "gymnasium", "stable_baselines3", "torch", "platform"):
        assert result["machine"][key]
