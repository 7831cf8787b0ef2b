"""Smoke tests of ``benchmarks/vector.py``: it times the scalar and the vector env of every env
with a vector entry point, prints one JSON object with every field and the markdown table, and
with ``--before`` times a second netgym tree through its shim; ``compiled_kernels`` lists every
compiled kernel a timed env calls, with its compile time. No timing bound is asserted."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import netgym.envs  # noqa: F401  (registers the ids)
from netgym.envs.families import env_specs

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "vector.py"


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def _run(*args: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--num-envs", "8", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
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
    assert result["num_envs"] == 8
    _check_compiled_kernels(result)
    for key in ("python", "numpy", "cpu_count", "platform"):
        assert result["machine"][key]
    assert _positive(result["wall_s"])


def _check_compiled_kernels(result: dict) -> None:
    """Every kernel listed was called by a timed env and has a positive compile time; every
    env's first-call entry names only listed kernels, compiled cold and loaded warm."""
    kernels = result["compiled_kernels"]
    for name, entry in kernels.items():
        assert entry["signatures"] and entry["used_by"], name
        assert _positive(entry["compile_s"]), name
        assert set(entry["used_by"]) <= set(result["envs"]), name
    for label, entry in result["envs"].items():
        first = entry["after"]["first_call"]
        assert _positive(first["cold_first_s"])
        assert set(first["kernels"]) <= set(kernels)
        for name, kernel in first["kernels"].items():
            assert label in kernels[name]["used_by"]
            # compiled on the empty cache, loaded (never compiled again) on the warm one
            assert kernel["cache_misses"] >= 1 and kernel["warm_cache_misses"] == 0, name
        if first["kernels"]:  # the kernels the env calls itself were loaded from the cache
            assert any(kernel["warm_cache_hits"] >= 1 for kernel in first["kernels"].values())
        assert _positive(first["cold_first_cpu_s"])
        if first["kernels"]:
            assert _positive(first["warm_first_s"]) and _positive(first["warm_first_cpu_s"])
        else:
            assert first["warm_first_s"] is None and first["compile_s"] == 0.0
            assert first["warm_first_cpu_s"] is None and first["compile_cpu_s"] == 0.0


PROBE = textwrap.dedent(
    """
    import gymnasium as gym
    import numpy as np
    from gymnasium.vector import VectorEnv
    from gymnasium.vector.utils import batch_space
    from netgym.envs.core.compiled import kernel

    @kernel
    def count_up(state):
        for i in range(state.shape[0]):
            state[i] += 1.0
        return state

    OBS = gym.spaces.Box(0.0, np.inf, (1,), np.float64)
    ACT = gym.spaces.Discrete(2)

    class Probe(gym.Env):
        observation_space, action_space = OBS, ACT

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.state = np.zeros(1)
            return self.state.copy(), {}

        def step(self, action):
            count_up(self.state)
            return self.state.copy(), 1.0, bool(self.state[0] >= 10), False, {}

    class ProbeVector(VectorEnv):
        def __init__(self, num_envs):
            self.num_envs = num_envs
            self.single_observation_space, self.single_action_space = OBS, ACT
            self.observation_space = batch_space(OBS, num_envs)
            self.action_space = batch_space(ACT, num_envs)
            self.state = np.zeros(num_envs)

        def reset(self, *, seed=None, options=None):
            self.state[:] = 0.0
            return self.state[:, None].copy(), {}

        def step(self, actions):
            count_up(self.state)
            done = self.state >= 10
            self.state[done] = 0.0
            zeros = np.zeros(self.num_envs, dtype=bool)
            return self.state[:, None].copy(), np.ones(self.num_envs), done, zeros, {}

    gym.register("ProbeKernel-v0", entry_point=Probe, vector_entry_point=ProbeVector)
    """
)


def test_vector_benchmark_reports_the_compile_time_of_a_kernel_an_env_calls(tmp_path):
    (tmp_path / "probe_kernel_env.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = _run("--ids", "probe_kernel_env:ProbeKernel-v0", env=env)
    label = "ProbeKernel-v0 (defaults)"
    assert list(result["envs"]) == [label]
    assert _positive(result["envs"][label]["after"]["ratio"])
    kernels = result["compiled_kernels"]
    assert list(kernels) == ["probe_kernel_env.count_up"]
    entry = kernels["probe_kernel_env.count_up"]
    assert entry["used_by"] == [label] and len(entry["signatures"]) == 1
    first = result["envs"][label]["after"]["first_call"]
    assert first["kernels"]["probe_kernel_env.count_up"]["cache_misses"] == 1
    assert first["kernels"]["probe_kernel_env.count_up"]["warm_cache_hits"] == 1
    assert _positive(first["warm_first_s"])
    _check_compiled_kernels(result)


def test_vector_benchmark_without_compile_times_has_no_kernel_table():
    result = _run("--no-extra", "--no-compile", "--envs", "AbrStreaming")
    assert result["compiled_kernels"] is None
    assert "first_call" not in result["envs"]["AbrStreaming-v0 (defaults)"]["after"]


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
