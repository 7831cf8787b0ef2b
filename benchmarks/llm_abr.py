#!/usr/bin/env python
"""NetLLM-style agents on ABR: pool from robustMPC + BBA, train llm (MiniLM), llm (scratch), bc.

1. ``netgym collect``'s code (``netgym.agents.llm.pool.collect``) rolls robustMPC and BBA out
   on NetLLM's training traces ``fcc-train/`` with Pensieve's training settings (delay noise
   U(0.9, 1.1), random trace and start, ``video1/``, first chunk at level 0);
2. ``train.py`` trains, with the shipped configs ``agents/config/llm.yaml`` / ``bc.yaml``,
   the LLM-adapted agent on the pre-trained MiniLM backbone (frozen, LoRA), the same agent
   with the scratch GPT backbone, and behaviour cloning (same encoder and head, no backbone);
   model selection plays validation episodes on NetLLM's ``fcc-valid/`` traces when the data
   folder (or the data root) has them, as NetLLM does, else on fcc-train seeds; never on the
   test traces;
3. the three agents are scored under the ``fcc100`` protocol beside BBA, robustMPC
   max_jump=1 (NetLLM's MPC) and full robustMPC, in the same run.

Goal: the adapted agent beats BBA (0.764) and robustMPC max_jump=1 (0.848). Prints one JSON
object on stdout (progress on stderr)::

    python benchmarks/llm_abr.py                                   # the shipped n_timesteps
    python benchmarks/llm_abr.py --timesteps 6000 --episodes 100   # a reduced CPU run
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ENV_ID = "netgym/AbrStreaming-v0"
PUBLISHED = {"bba": 0.764, "mpc-jump1": 0.848, "mpc": 0.954}
"""FCC-test-100 scores of the baselines (netgym reproduces all three, abr.md section 3)"""
RUNS = (("llm-minilm", "llm", "minilm"), ("llm-scratch", "llm", "scratch"), ("bc", "bc", None))
"""(label, agent, backbone) of the trained agents"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder with fcc-train/, fcc-test/, video1/ and, if present, fcc-valid/ (default: "
        "abr/ under the data root, $NETGYM_DATA or ~/.cache/netgym/data; see 'netgym data')",
    )
    parser.add_argument(
        "--episodes", type=int, default=200, help="pool episodes per policy (robustMPC, BBA)"
    )
    parser.add_argument(
        "--timesteps",
        type=int,
        help="training windows of every agent (default: the configs' n_timesteps)",
    )
    parser.add_argument(
        "--agents",
        default=",".join(label for label, _, _ in RUNS),
        help="comma-separated subset of " + ", ".join(r[0] for r in RUNS),
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--torch-threads", type=int, help="torch.set_num_threads")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "benchmarks" / "llm_abr")
    parser.add_argument(
        "--protocol-episodes",
        type=int,
        help="score on the first N FCC-test traces only (default all 100)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse --out: its pool, and continue each agent's run from its latest checkpoint "
        "up to --timesteps (train.py --resume)",
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


def train_env_kwargs(data_dir: Path) -> dict[str, Any]:
    """Pensieve's training settings on fcc-train (as benchmarks/train_abr.py)."""
    return {
        "traces": str(data_dir / "fcc-train"),
        "video": str(data_dir / "video1"),
        "noise": [0.9, 1.1],
        "trace_order": "random",
        "start": "random",
        "default_quality": 0,
    }


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    message = missing_data(args, ["fcc-train", "fcc-test", "video1"])
    if message:
        print(f"llm_abr.py: error: {message}", file=sys.stderr)
        return 2
    import torch

    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    from netgym.agents import get_agent_class
    from netgym.agents.llm.pool import ExperiencePool, collect
    from netgym.agents.training import prepare_run
    from netgym.cli.train import build_parser, settings_from_args
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.protocols import get_protocol

    labels = [label.strip() for label in args.agents.split(",") if label.strip()]
    runs = [run for run in RUNS if run[0] in labels]
    kwargs = train_env_kwargs(args.data_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    pool_path = args.out / "pool-mpc-bba.npz"
    tic = time.perf_counter()
    if args.resume and pool_path.is_file():
        pool = ExperiencePool.load(pool_path)
    else:
        pool = collect(ENV_ID, ["mpc", "bba"], args.episodes, seed=args.seed, env_kwargs=kwargs)
        pool.save(pool_path)
    collect_wall_s = time.perf_counter() - tic
    commands, training, agents = {}, {}, []
    for label, agent_name, backbone in runs:
        out = args.out / label
        argv_train = [
            "--env",
            ENV_ID,
            "--agent",
            agent_name,
            "--pool",
            str(pool_path),
            "--seed",
            str(args.seed),
            "--env-kwargs",
            json.dumps(kwargs),
            "--device",
            args.device,
            "--eval-episodes",
            "0",
            "--out",
            str(out),
            "--overwrite",
            "--no-progress",
        ]
        if backbone is not None:
            argv_train += ["--backbone", backbone]
        if args.timesteps is not None:
            argv_train += ["--timesteps", str(args.timesteps)]
        commands[label] = "python train.py " + " ".join(
            json.dumps(a) if a.startswith("{") else a for a in argv_train
        )
        resumed = args.resume and (out / "config.yaml").is_file()
        if resumed:
            argv_train = ["--resume", str(out), "--device", args.device, "--no-progress"]
            if args.timesteps is not None:
                argv_train += ["--timesteps", str(args.timesteps)]
        tic = time.perf_counter()
        # train.py's own code path without its final summary table (stdout holds the JSON)
        run = prepare_run(settings_from_args(build_parser().parse_args(argv_train)))
        run.train()
        meta = json.loads((out / "model" / "agent.json").read_text())
        training[label] = {
            "wall_s": time.perf_counter() - tic,
            "total_train_wall_s": run.result.total_wall_s,
            "resumed": resumed,
            "windows": meta["steps_done"],
            "updates": meta["updates"],
            "parameters": meta["parameters"],
            "best_validation_return": meta["best_score"],
        }
        agent = get_agent_class(agent_name).load(out / "model", device=args.device)
        agent.name = label
        agents.append(agent)
    tic = time.perf_counter()
    rows = run_protocol(
        "fcc100", [*agents, "bba", "mpc-jump1", "mpc"], args.data_dir, args.protocol_episodes
    )
    eval_wall_s = time.perf_counter() - tic
    scores = {row.policy: row.score for row in rows}
    result = {
        "benchmark": "llm_abr",
        "protocol": get_protocol("fcc100").label,
        "protocol_episodes": rows[0].episodes,
        "scores": scores,
        "score_std": {row.policy: row.score_std for row in rows},
        "baselines_published": PUBLISHED,
        "beats_bba": {label: scores[label] > scores["bba"] for label, _, _ in runs},
        "beats_mpc_jump1": {label: scores[label] > scores["mpc-jump1"] for label, _, _ in runs},
        "pool": {**pool.stats(), "path": str(pool_path), "wall_s": collect_wall_s},
        "training": training,
        "train_commands": commands,
        "eval_wall_s": eval_wall_s,
        "total_wall_s": time.perf_counter() - started,
        "torch_threads": torch.get_num_threads(),
        "machine": platform.platform(),
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
