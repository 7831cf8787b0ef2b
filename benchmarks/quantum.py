"""Throughput benchmark of the quantum-network envs (``netgym/RepeaterChain-v0`` and, when it is
registered, ``netgym/QuantumNetworkScheduling-v0``).

Usage: ``python benchmarks/quantum.py [--quick] [--seconds S] [--with-sequence]``.
Prints one JSON object to stdout (progress goes to stderr); ``docs/quantum.md`` explains every
field.

Measured, each for ``--seconds`` of wall time after a warm-up, on one pinned core:

- the chain env through ``gym.make`` (with Gymnasium's wrappers) with pre-drawn random node
  actions (invalid ones are no-ops, as in the env), resets counted in the time, for two
  configurations: ``abstract_n5`` (Iñesta et al.'s 5-node chain, p = 0.3, cutoff 2, time
  reward) and ``nv2019_n5`` (NV preset: 2 memories per side, purification, decoherence);
- the native vector env (``gym.make_vec``) at N = 64 and 1024 for both configurations
  (env-steps/s = vector steps x N), and the vector env at N = 1024 driven by the swap-asap
  baseline (policy cost included);
- the scheduling env through ``gym.make`` with uniformly random valid actions (its
  ``action_masks()``), resets included, if the id is registered; and its cost per demand: the
  seconds of one reset (the best of 3) and the steps/s at ``SCHEDULING_DEMANDS`` demands;
- with ``--with-sequence``: the same 3-node chain (2 x 10 km, Starlight memories) in SeQUeNCe,
  run by ``benchmarks/quantum_sequence.py`` in its own Python >= 3.12 virtual environment
  (never a netgym dependency); see that script.
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
from netgym.baselines.quantum.chain import swap_asap_actions

CHAIN_ID = "netgym/RepeaterChain-v0"
SCHEDULING_ID = "netgym/QuantumNetworkScheduling-v0"
CONFIGS: dict[str, dict[str, Any]] = {
    "abstract_n5": {"n_nodes": 5, "p_gen": 0.3, "cutoff": 2},
    "nv2019_n5": {"params": "nv2019", "n_nodes": 5},
}
VECTOR_SIZES = (64, 1024)
SCHEDULING_DEMANDS = (6, 1000, 3000)
"""demand counts of the scheduling env's cost-per-demand measurement"""
TARGETS = {"chain_vector_1024_steps_per_s": 1e5}
"""the issue's target: >= 100,000 chain steps/s vectorised (abstract_n5 at N = 1024)"""
ACTION_SEED = 12345
ACTION_TABLE = 256
SEQUENCE_SCRIPT = Path(__file__).with_name("quantum_sequence.py")


def bench_chain_scalar(config: dict[str, Any], seconds: float) -> float:
    """Steps/s of ``gym.make(CHAIN_ID, **config)`` with pre-drawn random node actions."""
    env = gym.make(CHAIN_ID, **config)
    env.reset(seed=0)
    nvec = env.action_space.nvec
    actions = np.random.default_rng(ACTION_SEED).integers(0, nvec, size=(ACTION_TABLE, len(nvec)))

    def block() -> int:
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        return len(actions)

    return rate(block, seconds)["per_s"]


def bench_chain_vector(
    config: dict[str, Any], n_envs: int, seconds: float, swap_asap: bool = False
) -> float:
    """Env-steps/s of ``gym.make_vec(CHAIN_ID, n_envs)`` (random actions or swap-asap)."""
    vec = gym.make_vec(CHAIN_ID, num_envs=n_envs, **config)
    vec.reset(seed=0)
    nvec = vec.single_action_space.nvec
    actions = np.random.default_rng(ACTION_SEED).integers(0, nvec, size=(8, n_envs, len(nvec)))

    def block() -> int:
        for action in actions:
            vec.step(swap_asap_actions(vec.sim) if swap_asap else action)
        return len(actions) * n_envs

    return rate(block, seconds)["per_s"]


def bench_scheduling(seconds: float) -> dict[str, Any]:
    """Steps/s of the scheduling env with uniformly random valid actions, or why not."""
    if SCHEDULING_ID not in gym.registry:
        return {"error": f"{SCHEDULING_ID} is not registered"}
    try:
        env = gym.make(SCHEDULING_ID)
        env.reset(seed=0)
        rng = np.random.default_rng(ACTION_SEED)
        masks = getattr(env.unwrapped, "action_masks", None)

        def block() -> int:
            for _ in range(64):
                valid = np.flatnonzero(masks()) if masks is not None else None
                action = rng.choice(valid) if valid is not None else env.action_space.sample()
                _, _, terminated, truncated, _ = env.step(action)
                if terminated or truncated:
                    env.reset()
            return 64

        return {"steps_per_s": rate(block, seconds)["per_s"]}
    except Exception as err:  # report, do not abort the chain figures
        return {"error": f"{type(err).__name__}: {err}"}


def bench_scheduling_demands(seconds: float) -> dict[str, Any]:
    """Reset seconds (best of 3) and steps/s of the scheduling env by number of demands."""
    out: dict[str, Any] = {}
    for n_demands in SCHEDULING_DEMANDS:
        env = gym.make(SCHEDULING_ID, n_demands=n_demands)
        resets = []
        for seed in range(3):
            start = time.perf_counter()
            env.reset(seed=seed)
            resets.append(time.perf_counter() - start)
        out[str(n_demands)] = {"reset_s": min(resets), "steps_per_s": _masked_rate(env, seconds)}
    return out


def _masked_rate(env: gym.Env, seconds: float) -> float:
    """Steps/s of ``env`` with uniformly random valid actions, resets included."""
    rng = np.random.default_rng(ACTION_SEED)
    masks = env.unwrapped.action_masks

    def block() -> int:
        for _ in range(16):
            _, _, _, truncated, _ = env.step(rng.choice(np.flatnonzero(masks())))
            if truncated:
                env.reset()
        return 16

    return rate(block, seconds)["per_s"]


def bench_sequence(enabled: bool, seconds: float) -> dict[str, Any]:
    """The SeQUeNCe side-by-side (``quantum_sequence.py``), or why it was not run."""
    if not enabled:
        return {"error": "skipped (pass --with-sequence)"}
    if not SEQUENCE_SCRIPT.is_file():
        return {"error": f"{SEQUENCE_SCRIPT.name} is missing"}
    done = subprocess.run(
        [sys.executable, str(SEQUENCE_SCRIPT), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        return {"error": f"quantum_sequence.py failed: {done.stderr.strip()[-500:]}"}
    return json.loads(done.stdout)


def run(seconds: float, with_sequence: bool) -> dict[str, Any]:
    """All measurements as one JSON-ready dict."""
    wall_start = time.perf_counter()
    scalar, vector = {}, {}
    for name, config in CONFIGS.items():
        log(f"chain {name}: scalar")
        scalar[name] = bench_chain_scalar(config, seconds)
        vector[name] = {}
        for n_envs in VECTOR_SIZES:
            log(f"chain {name}: vector N={n_envs}")
            vector[name][str(n_envs)] = bench_chain_vector(config, n_envs, seconds)
    log("chain abstract_n5: vector N=1024, swap-asap policy")
    policy_rate = bench_chain_vector(CONFIGS["abstract_n5"], 1024, seconds, swap_asap=True)
    log("scheduling env")
    scheduling = bench_scheduling(seconds)
    log("scheduling env by number of demands")
    by_demands = bench_scheduling_demands(seconds)
    sequence = bench_sequence(with_sequence, seconds)
    headline = vector["abstract_n5"]["1024"]
    result = {
        "chain_scalar_env_steps_per_s": scalar,
        "chain_vector_env_steps_per_s": vector,
        "chain_vector_1024_swap_asap_steps_per_s": policy_rate,
        "scheduling_env": scheduling,
        "scheduling_env_by_demands": by_demands,
        "sequence": sequence,
        "configs": {name: {k: v for k, v in c.items()} for name, c in CONFIGS.items()},
        "targets": TARGETS,
        "meets_targets": {
            "chain_vector_1024_steps_per_s": bool(
                headline >= TARGETS["chain_vector_1024_steps_per_s"]
            )
        },
        "seconds_per_measurement": seconds,
        "machine": machine(gymnasium=gym.__version__),
    }
    result["wall_s"] = time.perf_counter() - wall_start
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s per measurement")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 2)")
    parser.add_argument(
        "--with-sequence",
        action="store_true",
        help="also run the SeQUeNCe side-by-side (creates its own venv on first use)",
    )
    args = parser.parse_args(argv)
    if args.seconds is not None and args.seconds <= 0:
        parser.error(f"--seconds must be > 0, got {args.seconds}")
    seconds = args.seconds or (0.2 if args.quick else 2.0)
    print(json.dumps(run(seconds, args.with_sequence and not args.quick), indent=2))


if __name__ == "__main__":
    main()
