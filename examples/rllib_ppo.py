"""PPO with RLlib on a netgym env: a Gymnasium id or a PettingZoo multi-agent env.

    pip install "netgym[rllib]"
    python examples/rllib_ppo.py --env netgym/AbrStreaming-v0 --iterations 20
    python examples/rllib_ppo.py --env uav_offload_v0 --iterations 20  # PettingZoo: shared policy
    python examples/rllib_ppo.py --env netgym/AbrStreaming-v0 --env-runners 4 --address auto

The env comes from ``netgym.agents.rllib_envs.rllib_ppo_config``: registered with RLlib under
its id, netgym's native vector env on each EnvRunner (``--num-envs`` sub-envs in one numpy
call), RLlib's ``ParallelPettingZooEnv`` for PettingZoo envs with one policy shared by every
agent, and a ``FlattenObservations`` connector where the observation is not a flat ``Box``.
Without ``--address`` the script starts a local Ray instance (``--num-cpus`` CPUs) and stops it
at the end; with ``--address auto`` (or ``ray://host:port``) it joins a running cluster, where
``--env-runners K`` samples on K actors spread over its machines. One line per training
iteration: env steps so far, the mean return of the episodes finished in it, and the wall time.
``--checkpoint DIR`` saves the algorithm at the end (``Algorithm.from_checkpoint(DIR)``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

from netgym.agents.rllib_envs import require_rllib, rllib_ppo_config


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="netgym/AbrStreaming-v0", help="Gymnasium id or PZ name")
    p.add_argument("--env-kwargs", type=json.loads, default={}, help="the env's kwargs (JSON)")
    p.add_argument("--iterations", type=int, default=20, help="training iterations")
    p.add_argument("--num-envs", type=int, default=8, help="sub-envs per EnvRunner")
    p.add_argument("--env-runners", type=int, default=0, help="remote EnvRunners (0: local)")
    p.add_argument("--train-batch", type=int, default=2048, help="env steps per iteration")
    p.add_argument("--minibatch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--address", help="a running Ray cluster (auto, ray://host:port)")
    p.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray instance")
    p.add_argument("--checkpoint", type=Path, help="save the trained algorithm there")
    args = p.parse_args(argv)
    for name in ("iterations", "num_envs", "train_batch", "minibatch", "epochs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def train(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Train ``args.iterations`` PPO iterations; one summary dict (and printed line) each."""
    require_rllib()
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        if args.address:
            ray.init(address=args.address)
        else:
            ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    config = rllib_ppo_config(
        args.env,
        env_kwargs=args.env_kwargs,
        num_envs=args.num_envs,
        num_env_runners=args.env_runners,
        seed=args.seed,
        train_batch_size=args.train_batch,
        minibatch_size=min(args.minibatch, args.train_batch),
        num_epochs=args.epochs,
    ).training(lr=args.lr)
    algo = config.build_algo()
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        for iteration in range(1, args.iterations + 1):
            runners = algo.train()["env_runners"]
            row = {
                "iteration": iteration,
                "env_steps": int(runners.get("num_env_steps_sampled_lifetime", 0)),
                "episode_return_mean": float(runners.get("episode_return_mean", math.nan)),
                "wall_s": time.perf_counter() - start,
            }
            rows.append(row)
            print(
                f"iteration {iteration}/{args.iterations}: {row['env_steps']} env steps, "
                f"mean return {row['episode_return_mean']:.3f}, {row['wall_s']:.1f} s",
                flush=True,
            )
        if args.checkpoint is not None:
            algo.save_to_path(str(args.checkpoint.resolve()))
            print(f"checkpoint: {args.checkpoint}", flush=True)
    finally:
        algo.stop()
        if started_here:
            ray.shutdown()
    return rows


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and train."""
    train(parse_args(argv))


if __name__ == "__main__":
    main()
