"""Throughput of ``netgym/MoeGliderRouting-v0`` (Glider expert routing).

Usage: ``python benchmarks/moe_glider.py [--quick] [--seconds S]``. Prints one JSON object to
stdout (progress goes to stderr). Single core (pinned, BLAS on one thread). Fields:

- ``steps_per_s``: env steps/s (one step = a batch of 16 queries) with pre-drawn random actions,
  unwrapped and through ``gym.make`` (``wrapped``, with gymnasium's checkers), for the T0 pool
  in glider mode (the defaults), the FLAN pool and assign mode; each also per CPU second
  (``*_per_cpu_s``: on a machine shared with other jobs, closer to an idle core's rate). Resets
  are inside the timing.
- ``queries_per_s``: the default unwrapped rate times the batch size.
- ``margins``: the calibration margins (``calibration.margins``, points), not a speed.
- ``meets_target``: 5,000 steps/s (unwrapped defaults, per CPU second).
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import json
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
from netgym.envs.moe.glider.calibration import margins
from netgym.envs.moe.glider.params import GliderParams

ENV_ID = "netgym/MoeGliderRouting-v0"
TARGET_STEPS_PER_S = 5000


def steps_rate(seconds: float, wrapped: bool, **changes: Any) -> dict[str, float]:
    """Steps/s of the env with ``changes``, random actions drawn beforehand."""
    env = gym.make(ENV_ID, **changes)
    core = env if wrapped else env.unwrapped
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(64)]
    core.reset(seed=0)

    def block() -> int:
        for action in actions:
            _, _, terminated, truncated, _ = core.step(action)
            if terminated or truncated:
                core.reset()
        return len(actions)

    return rate(block, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement")
    args = parser.parse_args()
    seconds = args.seconds
    cases = {
        "unwrapped": ({}, False),
        "wrapped": ({}, True),
        "flan": ({"pool": "flan"}, False),
        "assign": ({"action_mode": "assign"}, False),
    }
    result: dict[str, Any] = {"steps_per_s": {}}
    for name, (changes, wrapped) in cases.items():
        log(f"glider env: {name}")
        measured = steps_rate(seconds, wrapped, **changes)
        result["steps_per_s"][name] = measured["per_s"]
        result["steps_per_s"][f"{name}_per_cpu_s"] = measured["cpu_per_s"]
    batch = GliderParams().batch_size
    result["queries_per_s"] = result["steps_per_s"]["unwrapped"] * batch
    log("calibration margins")
    n_queries = 500 if args.quick else 4000
    result["margins"] = {
        pool: {k: round(v, 3) for k, v in margins(GliderParams(pool=pool), n_queries).items()}
        for pool in ("t0", "flan")
    }
    result["meets_target"] = bool(
        result["steps_per_s"]["unwrapped_per_cpu_s"] >= TARGET_STEPS_PER_S
    )
    result["machine"] = machine(gymnasium=gym.__version__)
    assert np.isfinite(result["queries_per_s"])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
