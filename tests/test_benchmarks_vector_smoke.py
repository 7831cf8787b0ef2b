"""Smoke tests of ``benchmarks/vector.py``: it times the scalar and the vector env of every env
with a vector entry point, prints one JSON object with every field and the markdown table, and
with ``--before`` times a second netgym tree through its shim. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import netgym.envs  # noqa: F401  (registers the ids)
from netgym.envs.families import env_specs

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "vector.py"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def _run(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--num-envs", "8", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # stdout is exactly one JSON object


def test_vector_benchmark_times_every_env_with_a_vector_entry_point():
    result = _run("--no-extra")
    ids = [spec_id for spec_id, spec in env_specs().items() if spec.vector_entry_point]
    labels = [f"{spec_id.split('/', 1)[1]} (defaults)" for spec_id in ids]
    assert list(result["envs"]) == labels
    for label in labels:
        entry = result["envs"][label]["after"]
        for side in ("scalar", "vector"):
            assert _positive(entry[side]["per_s"]) and _positive(entry[side]["cpu_per_s"])
            assert Path(entry[side]["netgym"]) == ROOT  # this tree's netgym was timed
        assert _positive(entry["ratio"]) and _positive(entry["ratio_cpu"])
        assert isinstance(entry["meets_10x"], bool)
        assert f"| {label} |" in result["table_markdown"]
        assert f"| {label} |" in result["table_markdown_cpu"]
    assert result["num_envs"] == 8 and result["compiled_kernels"] == {}
    for key in ("python", "numpy", "cpu_count", "platform"):
        assert result["machine"][key]
    assert _positive(result["wall_s"])


def test_vector_benchmark_times_a_second_tree_beside_this_one():
    result = _run("--envs", "AbrStreaming", "--before", str(ROOT))
    entry = result["envs"]["AbrStreaming-v0 (defaults)"]
    assert set(entry) == {"before", "after"}
    for tree in ("before", "after"):
        assert _positive(entry[tree]["ratio"])
        assert Path(entry[tree]["scalar"]["netgym"]) == ROOT
    assert "(before / after)" in result["table_markdown"]
    assert result["before_tree"] == str(ROOT)


def test_vector_benchmark_defaults_mode_times_every_registered_env_against_the_floor():
    result = _run("--defaults", "--no-extra", "--envs", "AbrStreaming", "MoeExpertCache")
    rows = result["defaults"]
    assert list(rows) == ["AbrStreaming-v0 (defaults)", "MoeExpertCache-v0 (defaults)"]
    for entry in rows.values():
        assert _positive(entry["per_s"]) and _positive(entry["cpu_per_s"])
        assert entry["meets_floor"] == (entry["cpu_per_s"] >= 5_000)
    # the env without a vector entry point is timed scalar only and left out of the vector table
    assert result["envs"]["MoeExpertCache-v0 (defaults)"]["after"]["vector"] is None
    assert "MoeExpertCache" not in result["table_markdown"]
    assert "| MoeExpertCache-v0 |" in result["defaults_markdown"]
    assert "| AbrStreaming-v0 (defaults) |" in result["table_markdown"]


def test_vector_benchmark_without_defaults_mode_has_no_defaults_table():
    result = _run("--no-extra", "--envs", "AbrStreaming")
    assert result["defaults"] is None and result["defaults_markdown"] is None
