"""Throughput benchmark of the multi-UAV offloading envs, with mobile-env as the in-run anchor.

Usage: ``python benchmarks/uav.py [--quick] [--seconds S] [--no-mobile-env | --with-mobile-env]``.
Prints one JSON object to stdout (progress goes to stderr); ``benchmarks/README.md`` explains
every field.

Measured, each for ``--seconds`` of wall time after a warm-up, on one pinned core:

- the central env ``netgym/UavOffload-v0`` through ``gym.make`` (and unwrapped) and the
  PettingZoo parallel env ``netgym.envs.uav.parallel_env``, at K = 3, N = 100 (the paper
  preset) and K = 10, N = 1000, with pre-drawn random actions, resets counted in the time;
- both again at mobile-env's ``medium`` size (7 cells/UAVs, 15 users);
- the native vector env (``gym.make_vec``) at B = 16, 64, 256 sub-envs, K = 3, N = 100;
- ``render()`` of the 400 x 400 ``rgb_array`` frame: mean and 95th percentile ms per frame;
- mobile-env's ``mobile-medium-central-v0`` (stefanbschneider/mobile-env, reference/uav.md 4.1)
  stepped with pre-drawn random actions in a subprocess of its own virtual environment
  (``~/.cache/netgym-bench/mobile-env-venv``, created with ``python -m venv`` and
  ``pip install mobile-env`` on first use; mobile-env is not a dependency of netgym). If that
  fails the JSON says why in ``mobile_env.error`` and the rest of the run goes on.
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
from netgym.envs.uav import UavParams, parallel_env

ENV_ID = "netgym/UavOffload-v0"
SIZES = {"K3_N100": (3, 100), "K10_N1000": (10, 1000), "K7_N15": (7, 15)}
"""(UAVs, users) of each size; K7_N15 is mobile-env's medium scenario (7 BSs, 15 UEs)"""
VECTOR_SIZES = (16, 64, 256)
RENDER_FRAMES = {"quick": 20, "full": 200}
TARGETS = {"central_K3_N100": 2e4}
"""central-env steps/s at K = 3, N = 100 (the issue's target); the other target is to beat
mobile-env's step rate at a comparable size (``meets_targets.faster_than_mobile_env``)"""
ACTION_SEED = 12345
STEP_BLOCK = 64
ACTION_TABLE = 1024
MOBILE_ENV_ID = "mobile-medium-central-v0"
MOBILE_ENV_VENV = Path.home() / ".cache" / "netgym-bench" / "mobile-env-venv"
MOBILE_ENV_BLOCK = 8
"""mobile-env steps per timed block (it runs about 200 steps/s)"""
PIP_TIMEOUT_S = 600

# Runs inside mobile-env's venv and prints one JSON line with its steps/s and sizes.
# argv: seconds, env id, action seed, pre-drawn actions, steps per timed block.
MOBILE_ENV_CHILD = """
import json, sys, time
from importlib.metadata import version
import gymnasium, numpy as np, mobile_env
seconds, env_id = float(sys.argv[1]), sys.argv[2]
seed, table, block_steps = (int(arg) for arg in sys.argv[3:6])
env = gymnasium.make(env_id)
env.reset(seed=0)
nvec = env.action_space.nvec
actions = np.random.default_rng(seed).integers(0, nvec, size=(table, len(nvec))).tolist()
def block(start):
    for i in range(block_steps):
        done = env.step(actions[(start + i) % table])
        if done[2] or done[3]:
            env.reset()
    return block_steps
warm_end = time.perf_counter() + max(0.05, seconds / 10)
while time.perf_counter() < warm_end:
    block(0)
steps, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    steps += block(steps)
elapsed = time.perf_counter() - start
core = env.unwrapped
print(json.dumps({"steps_per_s": steps / elapsed, "steps": steps,
    "n_stations": len(core.stations), "n_users": len(core.users),
    "version": version("mobile-env"),
    "gymnasium": gymnasium.__version__, "numpy": np.__version__}))
"""


# --------------------------------------------------------------------------- timing helpers


def _actions(params: UavParams, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(ACTION_SEED)
    return rng.integers(0, params.n_actions, size=shape, dtype=np.int64)


def _params(size: str) -> UavParams:
    n_uavs, n_users = SIZES[size]
    return UavParams.paper(n_uavs=n_uavs, n_users=n_users)


# --------------------------------------------------------------------------- measurements
def bench_central(size: str, seconds: float, unwrapped: bool = False) -> dict[str, float]:
    """Steps/s of the central env (``gym.make`` with its wrappers, or the bare env)."""
    params = _params(size)
    env = gym.make(ENV_ID, params=params)
    if unwrapped:
        env = env.unwrapped
    env.reset(seed=0)
    actions = list(_actions(params, (ACTION_TABLE, params.n_uavs)))
    position = [0]

    def block() -> int:
        index = position[0]
        for _ in range(STEP_BLOCK):
            if env.step(actions[index % ACTION_TABLE])[3]:
                env.reset()
            index += 1
        position[0] = index
        return STEP_BLOCK

    return rate(block, seconds)


def bench_parallel(size: str, seconds: float) -> dict[str, float]:
    """Steps/s (joint steps of all K agents) of the PettingZoo parallel env."""
    params = _params(size)
    env = parallel_env(params=params)
    env.reset(seed=0)
    table = _actions(params, (ACTION_TABLE, params.n_uavs))
    actions = [dict(zip(env.possible_agents, row.tolist(), strict=True)) for row in table]
    position = [0]

    def block() -> int:
        index = position[0]
        for _ in range(STEP_BLOCK):
            env.step(actions[index % ACTION_TABLE])
            if not env.agents:
                env.reset()
            index += 1
        position[0] = index
        return STEP_BLOCK

    return rate(block, seconds)


def bench_vector(n_envs: int, seconds: float) -> dict[str, float]:
    """Env-steps/s (vector steps x B) of the native vector env at K = 3, N = 100."""
    params = _params("K3_N100")
    envs = gym.make_vec(ENV_ID, num_envs=n_envs, params=params)
    envs.reset(seed=0)
    table = _actions(params, (64, n_envs, params.n_uavs))
    position = [0]

    def block() -> int:
        envs.step(table[position[0] % 64])
        position[0] += 1
        return n_envs

    result = rate(block, seconds)
    envs.close()
    return result


def bench_render(frames: int) -> dict[str, Any]:
    """ms per ``render()`` call (400 x 400 rgb_array), one env step between frames (untimed)."""
    params = _params("K3_N100")
    env = gym.make(ENV_ID, params=params, render_mode="rgb_array")
    env.reset(seed=0)
    actions = _actions(params, (frames + 5, params.n_uavs))
    times_ms = []
    frame = env.render()
    for index in range(frames + 5):  # the first 5 frames are a warm-up
        if env.step(actions[index])[3]:
            env.reset()
        start = time.perf_counter()
        frame = env.render()
        if index >= 5:
            times_ms.append((time.perf_counter() - start) * 1e3)
    return {
        "mean": float(np.mean(times_ms)),
        "p95": float(np.percentile(times_ms, 95)),
        "frames": frames,
        "shape": list(frame.shape),
        "dtype": str(frame.dtype),
    }


# --------------------------------------------------------------------------- mobile-env
def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_mobile_env(venv: Path) -> dict[str, Any]:
    """Create ``venv`` with mobile-env installed unless it already imports there.

    Returns ``{"python": path, "install_s": seconds or 0 when reused, "reused": bool}``.

    Raises:
        RuntimeError: the venv or the pip install failed (the message has pip's last lines).
    """
    python = _venv_python(venv)
    check = [str(python), "-c", "import mobile_env"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return {"python": str(python), "install_s": 0.0, "reused": True}
    started = time.perf_counter()
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + ["mobile-env"],
    )
    for command in steps:
        log(" ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"{' '.join(command[:4])} failed: {' | '.join(tail)}")
    if subprocess.run(check, capture_output=True).returncode != 0:
        raise RuntimeError(f"mobile_env does not import in {venv} after pip install")
    return {"python": str(python), "install_s": time.perf_counter() - started, "reused": False}


def bench_mobile_env(seconds: float, venv: Path) -> dict[str, Any]:
    """Steps/s of mobile-env's ``mobile-medium-central-v0`` in its own venv, or an error."""
    try:
        setup = ensure_mobile_env(venv)
        done = subprocess.run(
            [setup["python"], "-c", MOBILE_ENV_CHILD, str(seconds), MOBILE_ENV_ID]
            + [str(n) for n in (ACTION_SEED, ACTION_TABLE, MOBILE_ENV_BLOCK)],
            capture_output=True,
            text=True,
            timeout=max(120.0, 10 * seconds),
            env={**os.environ, "SDL_VIDEODRIVER": "dummy", "MPLBACKEND": "Agg"},
        )
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-3:]
            raise RuntimeError(f"the mobile-env run failed: {' | '.join(tail)}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, RuntimeError, subprocess.SubprocessError, ValueError) as err:
        return {"error": f"{type(err).__name__}: {err}"}
    return {
        "env_id": MOBILE_ENV_ID,
        **result,
        "install_s": setup["install_s"],
        "venv_reused": setup["reused"],
        "venv": str(venv),
    }


# --------------------------------------------------------------------------- main


def run(seconds: float, render_frames: int, mobile_env: bool, venv: Path) -> dict[str, Any]:
    wall_start = time.perf_counter()
    central, central_bare, parallel = {}, {}, {}
    for size in SIZES:
        log(f"central env {size}")
        central[size] = bench_central(size, seconds)
        central_bare[size] = bench_central(size, seconds, unwrapped=True)
        log(f"parallel env {size}")
        parallel[size] = bench_parallel(size, seconds)
    vector = {}
    for n_envs in VECTOR_SIZES:
        log(f"vector env B={n_envs}")
        vector[str(n_envs)] = bench_vector(n_envs, seconds)
    log(f"render x{render_frames}")
    render = bench_render(render_frames)
    if mobile_env:
        log(f"mobile-env {MOBILE_ENV_ID} (venv {venv})")
        mobile = bench_mobile_env(seconds, venv)
    else:
        mobile = {"error": "skipped (--quick or --no-mobile-env)"}

    rates = {size: r["per_s"] for size, r in central.items()}
    mobile_rate = mobile.get("steps_per_s")
    meets = {"central_K3_N100": rates["K3_N100"] >= TARGETS["central_K3_N100"]}
    comparison = None
    if mobile_rate:
        comparison = {
            "central_K7_N15_vs_mobile_env": rates["K7_N15"] / mobile_rate,
            "central_K3_N100_vs_mobile_env": rates["K3_N100"] / mobile_rate,
            "parallel_K7_N15_vs_mobile_env": parallel["K7_N15"]["per_s"] / mobile_rate,
        }
        meets["faster_than_mobile_env"] = rates["K7_N15"] > mobile_rate
    result = {
        "central_env_steps_per_s": rates,
        "central_env_unwrapped_steps_per_s": {s: r["per_s"] for s, r in central_bare.items()},
        "parallel_env_steps_per_s": {s: r["per_s"] for s, r in parallel.items()},
        "vector_env_steps_per_s": {n: r["per_s"] for n, r in vector.items()},
        "render_ms_per_frame": render,
        "mobile_env": mobile,
        "speedup_vs_mobile_env": comparison,
        "sizes": {size: {"n_uavs": k, "n_users": n} for size, (k, n) in SIZES.items()},
        "targets": TARGETS,
        "meets_targets": meets,
        "samples": {
            "central_steps": {s: r["units"] for s, r in central.items()},
            "parallel_steps": {s: r["units"] for s, r in parallel.items()},
            "vector_env_steps": {n: r["units"] for n, r in vector.items()},
        },
        "seconds_per_measurement": seconds,
        "machine": machine(gymnasium=gym.__version__),
    }
    result["wall_s"] = time.perf_counter() - wall_start
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s per measurement, no mobile-env")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 2)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-mobile-env", action="store_true", help="skip the mobile-env anchor")
    group.add_argument(
        "--with-mobile-env", action="store_true", help="run the mobile-env anchor even with --quick"
    )
    parser.add_argument(
        "--mobile-env-venv", type=Path, default=MOBILE_ENV_VENV, help="venv for mobile-env"
    )
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (0.2 if args.quick else 2.0)
    if seconds <= 0:
        parser.error(f"--seconds must be > 0, got {seconds}")
    mobile_env = args.with_mobile_env or not (args.quick or args.no_mobile_env)
    frames = RENDER_FRAMES["quick" if args.quick else "full"]
    print(json.dumps(run(seconds, frames, mobile_env, args.mobile_env_venv), indent=2))


if __name__ == "__main__":
    main()
