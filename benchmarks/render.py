"""Frame timings of every env: ms per ``render()`` against ms per ``step()``.

For each of the seven envs (default parameters, ``render_mode="rgb_array"``, and ``"ansi"``
where the env has it), one episode is stepped with pre-drawn actions from the action space and
each ``render()`` call after a step is timed (the step is not); the first frames are a warm-up.
The same env without a render mode gives the step time, so ``frame_over_step`` says how many
steps one frame costs. Prints one JSON object; progress on stderr.

    python benchmarks/render.py            # 40 frames per env
    python benchmarks/render.py --quick    # 8 frames per env (smoke test, noisy numbers)
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine
# isort: on

import argparse
import json
import time
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np

ENVS = (
    "netgym/AbrStreaming-v0",
    "netgym/UavOffload-v0",
    "netgym/RepeaterChain-v0",
    "netgym/QuantumNetworkScheduling-v0",
    "netgym/MoeExpertCache-v0",
    "netgym/MoeBatching-v0",
    "netgym/MoeRouting-v0",
    "netgym/WirelessVideoCell-v0",
    "netgym/MoeGliderRouting-v0",
)
WARM_UP = 3
"""frames drawn before the timed ones"""


def _actions(env: gym.Env, count: int) -> list[Any]:
    env.action_space.seed(0)
    return [env.action_space.sample() for _ in range(count)]


def time_renders(env_id: str, mode: str, frames: int) -> dict[str, Any]:
    """ms per ``render()`` after each step (mean, p95, max), with the frame's shape."""
    env = gym.make(env_id, render_mode=mode)
    env.reset(seed=0)
    times_ms = []
    out: Any = None
    for index, action in enumerate(_actions(env, frames + WARM_UP)):
        _, _, terminated, truncated, _ = env.step(action)
        start = time.perf_counter()
        out = env.render()
        if index >= WARM_UP:
            times_ms.append((time.perf_counter() - start) * 1e3)
        if terminated or truncated:
            env.reset()
    env.close()
    result = {
        "mean": float(np.mean(times_ms)),
        "p95": float(np.percentile(times_ms, 95)),
        "max": float(np.max(times_ms)),
        "frames": len(times_ms),
    }
    if mode == "rgb_array":
        result.update(shape=list(out.shape), dtype=str(out.dtype))
    else:
        result.update(characters=len(out))
    return result


def time_steps(env_id: str, steps: int) -> float:
    """ms per ``step()`` of the env without a render mode (resets excluded)."""
    env = gym.make(env_id)
    env.reset(seed=0)
    total = 0.0
    for action in _actions(env, steps):
        start = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        total += time.perf_counter() - start
        if terminated or truncated:
            env.reset()
    env.close()
    return total / steps * 1e3


def run(frames: int) -> dict[str, Any]:
    """Timings of every env (see the module docstring)."""
    started = time.perf_counter()
    envs: dict[str, Any] = {}
    for env_id in ENVS:
        log(f"{env_id}: {frames} frames")
        step_ms = time_steps(env_id, max(frames, 20))
        frame = time_renders(env_id, "rgb_array", frames)
        entry: dict[str, Any] = {
            "step_ms": step_ms,
            "rgb_array_ms": frame,
            "frame_over_step": frame["mean"] / step_ms,
        }
        if "ansi" in gym.make(env_id).metadata["render_modes"]:
            entry["ansi_ms"] = time_renders(env_id, "ansi", frames)
        envs[env_id] = entry
    return {
        "envs": envs,
        "slowest_frame_ms": max(entry["rgb_array_ms"]["mean"] for entry in envs.values()),
        "wall_s": time.perf_counter() - started,
        "machine": machine(gymnasium=gym.__version__),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40, help="timed frames per env")
    parser.add_argument("--quick", action="store_true", help="8 frames per env")
    args = parser.parse_args()
    print(json.dumps(run(8 if args.quick else args.frames), indent=2))


if __name__ == "__main__":
    main()
