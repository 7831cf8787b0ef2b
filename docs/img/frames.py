"""Draw the frames shown in the docs: one PNG per env, here in ``docs/img``.

    python docs/img/frames.py

Each env plays one of its baselines from a fixed seed to a step where the frame has something
to show (a stall, links of several ages, a demand being served, ...), then ``render()`` is
written as a PNG with the standard library only (zlib), so the script needs nothing beyond
netgym itself.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import numpy as np
from netgym.baselines import make_policy

HERE = Path(__file__).resolve().parent


def write_png(path: Path, frame: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 array as an 8-bit RGB PNG."""
    height, width, _ = frame.shape
    rows = b"".join(b"\x00" + frame[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def frame_of(
    env_id: str,
    policy: str,
    seed: int,
    steps: int,
    until: Callable[[Any], bool] | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """The frame after ``steps`` steps of ``policy`` (or at the first step where ``until(env)``
    holds, after at least a tenth of them)."""
    env = gym.make(env_id, render_mode="rgb_array", **kwargs)
    agent = make_policy(env_id, policy, seed=seed)
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    for step in range(steps):
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        if terminated or truncated:
            break
        if until is not None and step >= steps // 10 and until(env.unwrapped):
            break
    return env.render()


def _serving_with_a_pair(env: Any) -> bool:
    return any(ex.has_pair.any() and not ex.ready for ex in env.sim.executions)


FRAMES = {
    "abr.png": lambda: frame_of("netgym/AbrStreaming-v0", "bba", 5, 46),
    "uav.png": lambda: frame_of("netgym/UavOffload-v0", "pso-step", 0, 30),
    "repeater_chain.png": lambda: frame_of(
        "netgym/RepeaterChain-v0",
        "swap-asap",
        4,
        9,
        params="nv2019",
        n_nodes=5,
        mem_per_side=2,
        cutoff=12,
    ),
    "quantum_scheduling.png": lambda: frame_of(
        "netgym/QuantumNetworkScheduling-v0",
        "edf",
        0,
        600,
        until=_serving_with_a_pair,
        topology="H",
        n_demands=8,
    ),
    "moe_cache.png": lambda: frame_of(
        "netgym/MoeExpertCache-v0", "belady-window", 0, 40, lookahead_iterations=2
    ),
    "moe_batching.png": lambda: frame_of("netgym/MoeBatching-v0", "readme", 0, 150),
    "moe_routing.png": lambda: frame_of("netgym/MoeRouting-v0", "aux-free", 0, 24),
    "videocell.png": lambda: frame_of("netgym/WirelessVideoCell-v0", "greedy", 0, 300, bounds=True),
}


def main() -> None:
    for name, make in FRAMES.items():
        write_png(HERE / name, make())


if __name__ == "__main__":
    main()
