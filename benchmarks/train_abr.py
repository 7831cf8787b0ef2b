#!/usr/bin/env python
"""Train PPO on ABR with the shipped configuration and score it under the FCC-test-100 protocol.

The training is ``train.py`` itself (``netgym.cli.train.main``, same arguments, same run
folder), on the NetLLM training traces ``fcc-train/`` (or, with ``--traces synthetic``, the
embedded synthetic traces) with Pensieve's training settings: delay noise U(0.9, 1.1), a random
trace and start per episode, ``video1/``, the first chunk at level 0 (as the test protocol). The
hyperparameters are those of ``agents/config/ppo.yaml`` for ``netgym/AbrStreaming-v0``. The
trained model is then scored under ``fcc100`` (100 FCC test traces from NetLLM's start pointers,
no noise), with BBA and robustMPC max_jump=1 (NetLLM's MPC) scored in the same run.

Goal: beat BBA (0.764) and reach robustMPC max_jump=1 (0.848) within 500k steps on 2 CPU cores.

Prints one JSON object on stdout; train.py's progress bar and summary go to stderr::

    python benchmarks/train_abr.py                        # 500k steps, fcc-train traces
    python benchmarks/train_abr.py --traces synthetic     # embedded synthetic traces
    python benchmarks/train_abr.py --timesteps 20000      # a quick check that it all runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ENV_ID = "netgym/AbrStreaming-v0"
PUBLISHED = {"bba": 0.764, "mpc-jump1": 0.848}
"""FCC-test-100 scores of the goal's baselines (NetLLM protocol; netgym reproduces both)"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timesteps", type=int, default=500_000, help="training env steps")
    parser.add_argument(
        "--traces",
        choices=("fcc-train", "synthetic"),
        default="fcc-train",
        help="training traces: NetLLM's fcc-train/ or the embedded synthetic generator",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder with fcc-train/, fcc-test/ and video1/ (default: abr/ under the data "
        "root, $NETGYM_DATA or ~/.cache/netgym/data; see 'netgym data')",
    )
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--torch-threads", type=int, help="torch.set_num_threads (default: torch's own)"
    )
    parser.add_argument(
        "--out", type=Path, help="run folder (default runs/benchmarks/train_abr-<traces>-seed<S>)"
    )
    parser.add_argument(
        "--protocol-episodes",
        type=int,
        help="score on the first N FCC-test traces only (default all 100; for quick checks)",
    )
    args = parser.parse_args(argv)
    if args.data_dir is None:
        from netgym.data import data_root

        args.data_dir = data_root() / "abr"
    return args


def missing_data(args: argparse.Namespace, needed: list[str]) -> str | None:
    """What is missing of the data sets ``needed`` in ``args.data_dir``, with the command that
    fetches them (None: all there)."""
    from netgym.data import fetch_command

    missing = [name for name in needed if not (args.data_dir / name).is_dir()]
    if not missing:
        return None
    command = fetch_command(f"abr/{name}" for name in missing)
    return f"{args.data_dir} lacks {missing}: run `{command}` (or give --data-dir DIR)"


def train_argv(args: argparse.Namespace, out: Path) -> list[str]:
    """The train.py arguments of the benchmark's training run."""
    env_kwargs: dict[str, Any] = {
        "traces": "synthetic" if args.traces == "synthetic" else str(args.data_dir / "fcc-train"),
        "video": str(args.data_dir / "video1"),
        "noise": [0.9, 1.1],
        "trace_order": "random",
        "start": "random",
        "default_quality": 0,
    }
    return [
        "--env",
        ENV_ID,
        "--agent",
        "ppo",
        "--timesteps",
        str(args.timesteps),
        "--seed",
        str(args.seed),
        "--env-kwargs",
        json.dumps(env_kwargs),
        "--device",
        args.device,
        "--eval-baselines",
        "bba,mpc-jump1",
        "--out",
        str(out),
        "--overwrite",
    ]


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    needed = ["fcc-test", "video1"] + (["fcc-train"] if args.traces == "fcc-train" else [])
    message = missing_data(args, needed)
    if message:
        print(f"train_abr.py: error: {message}", file=sys.stderr)
        return 2

    import torch

    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    from netgym.agents import get_agent_class
    from netgym.cli.train import main as train_main
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.protocols import get_protocol

    out = args.out or REPO / "runs" / "benchmarks" / f"train_abr-{args.traces}-seed{args.seed}"
    argv_train = train_argv(args, out)
    with contextlib.redirect_stdout(sys.stderr):  # stdout holds only the JSON
        code = train_main(argv_train)
    if code != 0:
        return code
    training = json.loads((out / "eval.json").read_text())["training"]
    config = _yaml(out / "config.yaml")

    agent = get_agent_class("ppo").load(out / "model", device=args.device)
    scored = time.perf_counter()
    rows = run_protocol(
        "fcc100", [agent, "bba", "mpc-jump1"], args.data_dir, args.protocol_episodes
    )
    eval_wall_s = time.perf_counter() - scored
    scores = {row.policy: row.score for row in rows}
    score = scores.pop(agent.name)
    result = {
        "benchmark": "train_abr",
        "traces": args.traces,
        "protocol": get_protocol("fcc100").label,
        "protocol_episodes": rows[0].episodes,
        "score": score,
        "score_std": next(row.score_std for row in rows if row.policy == agent.name),
        "baselines_same_run": scores,
        "baselines_published": PUBLISHED,
        "beats_bba": score > scores["bba"],
        "reaches_mpc_jump1": score >= scores["mpc-jump1"],
        "timesteps": args.timesteps,
        "steps_done": training["steps_done"],
        "train_wall_s": training["wall_s"],
        "train_steps_per_s": training["steps_per_s"],
        "eval_wall_s": eval_wall_s,
        "wall_s": time.perf_counter() - started,
        "command": shlex.join(["python", "train.py", *argv_train]),
        "benchmark_command": shlex.join(["python", "benchmarks/train_abr.py", *(argv or [])]),
        "run_folder": str(out),
        "n_envs": config["n_envs"],
        "hyperparams": config["hyperparams"],
        "git_commit": config["git_commit"],
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
            "device": args.device,
            "platform": platform.platform(),
        },
    }
    print(json.dumps(result, indent=2))
    return 0


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
