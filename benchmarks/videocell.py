"""Speed benchmark of ``netgym/WirelessVideoCell-v0``.

Usage: ``python benchmarks/videocell.py [--quick] [--seconds S]``. Prints one JSON object to
stdout (progress goes to stderr); ``docs/videocell.md`` ("Speed") explains every field.

Measured on one pinned core (``_harness.py``), with pre-drawn random PRB shares (no policy
cost) and auto-resets inside the timed loop, default parameters (8 users, 10 subbands, 100 ms
epochs of 100 TTIs, BBA clients) unless said:

- the scalar env (``gym.make``): steps/s, with the per-step bounds (``bounds=True``) and
  without (the default);
- the vector env, fluid mode (the default): env-steps/s at N = 64 and 1024, bounds on / off
  (the issue's goal: 100k env-steps/s);
- the vector env, exact per-TTI fading: env-TTIs/s at N = 64, bounds off (the issue's goal:
  0.2 M env-TTIs/s per core);
- the reference note's own figure for comparison (0.22 M env-TTIs/s for fading + CQI lookup
  alone, B = 64, N = 10, 10 subbands): ``channel_only_ttis_per_s`` times netgym's exact-mode
  channel (phasor table, CQI lookup, rates) without the download engine and clients.

``cpu_per_s`` beside each figure divides by this process's CPU time instead of wall time,
which is steadier on a shared machine.
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import json

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np

ENV_ID = "netgym/WirelessVideoCell-v0"
TARGETS = {"exact_env_ttis_per_s": 2e5, "fluid_vector_env_steps_per_s": 1e5, "scalar": 5e3}
"""the issue's goals"""


def scalar(seconds: float, **kwargs) -> dict[str, float]:
    env = gym.make(ENV_ID, **kwargs)
    n = env.unwrapped.n_users
    actions = np.random.default_rng(0).uniform(0, 1, (997, n)).astype(np.float32)
    env.reset(seed=0)
    state = {"i": 0}

    def block() -> int:
        for _ in range(50):
            i = state["i"] = (state["i"] + 1) % len(actions)
            _, _, term, trunc, _ = env.step(actions[i])
            if term or trunc:
                env.reset()
        return 50

    return rate(block, seconds)


def vector(seconds: float, num_envs: int, ttis: bool = False, **kwargs) -> dict[str, float]:
    env = gym.make_vec(ENV_ID, num_envs=num_envs, **kwargs)
    n = env.unwrapped.params.n_users
    per_step = num_envs * (env.unwrapped.params.epoch_ttis if ttis else 1)
    actions = np.random.default_rng(0).uniform(0, 1, (97, num_envs, n)).astype(np.float32)
    env.reset(seed=0)
    state = {"i": 0}

    def block() -> int:
        i = state["i"] = (state["i"] + 1) % len(actions)
        env.step(actions[i])
        return per_step

    return rate(block, seconds)


def channel_only(seconds: float) -> dict[str, float]:
    """The exact mode's channel kernel alone (B = 64, N = 10, 10 subbands, 100 TTIs)."""
    env = gym.make_vec(ENV_ID, num_envs=64, n_users=10, mode="exact", bounds=False)
    env.reset(seed=0)
    sim = env.unwrapped.sim

    def block() -> int:
        sim._epoch_rates(slice(None))  # noqa: SLF001 (the kernel itself, for the comparison)
        return 64 * 100

    return rate(block, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.3 s per measurement (smoke)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement")
    args = parser.parse_args()
    seconds = 0.3 if args.quick else args.seconds
    out: dict = {"env": ENV_ID, "targets": TARGETS, "seconds_per_measurement": seconds}
    log("scalar env ...")
    out["scalar_env_steps_per_s"] = {
        "bounds": scalar(seconds, bounds=True),
        "no_bounds": scalar(seconds, bounds=False),
    }
    out["fluid_vector_env_steps_per_s"] = {}
    for n in (64,) if args.quick else (64, 1024):
        log(f"vector env, fluid, N = {n} ...")
        out["fluid_vector_env_steps_per_s"][str(n)] = {
            "bounds": vector(seconds, n, bounds=True),
            "no_bounds": vector(seconds, n, bounds=False),
        }
    log("vector env, exact, N = 64 ...")
    out["exact_env_ttis_per_s"] = vector(seconds, 64, ttis=True, mode="exact", bounds=False)
    log("exact-mode channel alone ...")
    out["channel_only_ttis_per_s"] = channel_only(seconds)
    out["machine"] = machine(gymnasium=gym.__version__)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
