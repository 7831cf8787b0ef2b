#!/usr/bin/env python
"""SB3 PPO training throughput on ABR: netgym's native vector env against SB3's scalar-env path.

Times ``stable_baselines3.PPO.learn`` end to end (env steps per wall second and per CPU second
of this process) on ``netgym/AbrStreaming-v0`` for each N in ``--num-envs``, three ways, in the
same run and with the same hyperparameters:

* ``native``: what ``train.py`` trains on, ``make_sb3_vec_env`` (netgym's numpy vector env,
  all N sub-envs in one call, through ``SB3VecEnvAdapter``) in a ``VecMonitor``;
* ``dummy``: SB3's ``DummyVecEnv`` over N ``gym.make`` envs (what ``make_vec_env`` gives), in a
  ``VecMonitor``;
* ``sync``: Gymnasium's ``SyncVectorEnv`` of N ``gym.make`` envs (SAME_STEP autoreset) through
  the same adapter, in a ``VecMonitor``.

The PPO hyperparameters are the shipped ABR block of ``agents/config/ppo.yaml`` (batch 256,
10 epochs, ``net_arch [128, 128]``, ...) except ``n_steps = --rollout // N``, so every run
collects the same number of env steps per rollout and does the same gradient work per env step;
the figures differ only by the cost of stepping the envs and of the policy's forward passes (one
batch of N per vector step). Each run also reports where its CPU time went: ``collect_cpu_s``
(SB3's ``collect_rollouts``: env steps, the policy's forward passes, buffer writes;
``collect_cpu_per_s`` is its rate, where the env's speed shows), ``train_cpu_s`` (the PPO
update), ``venv_step_cpu_s`` (inside the VecEnv's ``step_wait``, ``VecMonitor`` included) and,
for the adapter, ``vector_env_step_cpu_s`` (inside the vector env's own ``step``), whose
difference is the adapter's conversion (``adapter_cpu_s``).

Prints one JSON object on stdout (progress on stderr)::

    python benchmarks/sb3_throughput.py                      # N = 8, 64, 256; 1-3 min
    python benchmarks/sb3_throughput.py --quick              # a tiny budget (smoke test)
    python benchmarks/sb3_throughput.py --num-envs 64 --rollouts 4 --backends native dummy

The process is pinned to one CPU and torch to one thread (``_harness``), so ``cpu_per_s``
(env steps per second of this process's CPU time) is the figure to compare on a shared machine.
"""

from __future__ import annotations

# isort: off
# First, before numpy and torch: one thread, one pinned core (see _harness.py).
from _harness import log, machine
# isort: on

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from typing import Any

ENV_ID = "netgym/AbrStreaming-v0"
BACKENDS = ("native", "dummy", "sync")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-envs", type=int, nargs="+", default=[8, 64, 256])
    parser.add_argument(
        "--rollout", type=int, default=2048, help="env steps per rollout (n_steps x N)"
    )
    parser.add_argument("--rollouts", type=int, default=8, help="rollouts per timed run")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help="rollout 256, 1 rollout, no warm-up (smoke test)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rollout, args.rollouts = 256, 1
    for n in args.num_envs:
        if n < 1 or args.rollout % n:
            parser.error(f"--num-envs {n}: must be positive and divide --rollout {args.rollout}")
    return args


class _Clock:
    """CPU seconds of this process spent inside wrapped callables, by name (CPU time, not wall
    time, so that other processes on a shared machine do not inflate the split)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        self.seconds.setdefault(name, 0.0)

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] += time.process_time() - start

        return timed


def _make_venv(backend: str, n: int, seed: int, clock: _Clock) -> Any:
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode, SyncVectorEnv
    from netgym.agents.sb3_vec_env import SB3VecEnvAdapter, make_sb3_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    if backend == "native":
        inner = make_sb3_vec_env(ENV_ID, n, seed)
    elif backend == "dummy":
        inner = DummyVecEnv([functools.partial(gym.make, ENV_ID) for _ in range(n)])
        inner.seed(seed)
    else:
        sync = SyncVectorEnv(
            [functools.partial(gym.make, ENV_ID) for _ in range(n)],
            autoreset_mode=AutoresetMode.SAME_STEP,
        )
        inner = SB3VecEnvAdapter(sync)
        inner.seed(seed)
    if isinstance(inner, SB3VecEnvAdapter):
        vector_env = inner.vector_env
        vector_env.step = clock.wrap("vector_env_step_s", vector_env.step)
    inner.step_wait = clock.wrap("inner_step_wait_s", inner.step_wait)
    venv = VecMonitor(inner)
    venv.step_wait = clock.wrap("venv_step_s", venv.step_wait)
    return venv


def _ppo_kwargs(n: int, rollout: int) -> dict[str, Any]:
    from netgym.agents.config_loader import resolve_config

    config = dict(resolve_config("ppo", ENV_ID).hyperparams)
    for key in ("normalize", "policy"):
        config.pop(key, None)
    config["n_steps"] = rollout // n
    config["batch_size"] = min(int(config.get("batch_size", 64)), rollout)
    return config


def run_one(backend: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """One timed ``PPO.learn`` of ``args.rollouts`` rollouts on ``backend`` with N = ``n``."""
    import torch
    from netgym.agents.sb3_config import policy_kwargs
    from stable_baselines3 import PPO

    torch.manual_seed(args.seed)
    clock = _Clock()
    venv = _make_venv(backend, n, args.seed, clock)
    kwargs = _ppo_kwargs(n, args.rollout)
    if "policy_kwargs" in kwargs:
        kwargs["policy_kwargs"] = policy_kwargs(kwargs["policy_kwargs"])
    model = PPO("MlpPolicy", venv, seed=args.seed, device="cpu", verbose=0, **kwargs)
    model.collect_rollouts = clock.wrap("collect_s", model.collect_rollouts)
    model.train = clock.wrap("train_s", model.train)
    if not args.quick:  # warm-up: one rollout and update (torch and numpy first calls)
        model.learn(args.rollout)
        clock.seconds = {name: 0.0 for name in clock.seconds}
    steps = args.rollout * args.rollouts
    start, cpu_start = time.perf_counter(), time.process_time()
    model.learn(steps, reset_num_timesteps=False)
    wall = time.perf_counter() - start
    cpu = max(time.process_time() - cpu_start, 1e-9)
    venv.close()
    seconds = dict(clock.seconds)
    result: dict[str, Any] = {
        "per_s": steps / wall,
        "cpu_per_s": steps / cpu,
        "env_steps": steps,
        "n_steps": args.rollout // n,
        "wall_s": wall,
        "cpu_s": cpu,
        "collect_cpu_per_s": steps / max(seconds["collect_s"], 1e-9),
        "collect_cpu_s": seconds["collect_s"],
        "train_cpu_s": seconds["train_s"],
        "venv_step_cpu_s": seconds["venv_step_s"],
    }
    if "vector_env_step_s" in seconds:
        result["vector_env_step_cpu_s"] = seconds["vector_env_step_s"]
        result["adapter_cpu_s"] = seconds["inner_step_wait_s"] - seconds["vector_env_step_s"]
        result["adapter_share"] = result["adapter_cpu_s"] / cpu
    result["venv_step_share"] = seconds["venv_step_s"] / cpu
    log(
        f"{backend:>6} N={n:<4} {result['per_s']:9.0f} steps/s "
        f"({result['cpu_per_s']:9.0f} per CPU s), env {result['venv_step_share']:.0%} of CPU"
    )
    return result


def table(results: dict[str, dict[str, dict[str, Any]]], backends: list[str], key: str) -> str:
    """A markdown table of ``key`` (``per_s`` or ``cpu_per_s``): one row per N."""
    head = "| N | " + " | ".join(backends) + " | native / dummy |"
    lines = [head, "|" + "---|" * (len(backends) + 2)]
    for n, row in results.items():
        cells = [f"{row[b][key]:,.0f}" for b in backends]
        ratio = (
            f"{row['native'][key] / row['dummy'][key]:.1f}x"
            if "native" in row and "dummy" in row
            else "-"
        )
        lines.append(f"| {n} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run every (N, backend) pair and print the JSON result."""
    args = parse_args(argv)
    start = time.perf_counter()
    import gymnasium as gym
    import netgym.envs  # noqa: F401  (registers the ids)
    import stable_baselines3
    import torch

    torch.set_num_threads(1)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for n in args.num_envs:
        results[str(n)] = {backend: run_one(backend, n, args) for backend in args.backends}
    output = {
        "env_id": ENV_ID,
        "num_envs": args.num_envs,
        "rollout": args.rollout,
        "rollouts": args.rollouts,
        "backends": args.backends,
        "results": results,
        "table_markdown": table(results, args.backends, "per_s"),
        "table_markdown_cpu": table(results, args.backends, "cpu_per_s"),
        "machine": machine(
            gymnasium=gym.__version__,
            stable_baselines3=stable_baselines3.__version__,
            torch=torch.__version__,
        ),
        "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "wall_s": time.perf_counter() - start,
    }
    print(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
