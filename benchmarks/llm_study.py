#!/usr/bin/env python
"""The pre-training study of the LLM-adapted agent (issue #20): one row per command, JSON out.

``run`` trains one named variant of ``agents/config/llm_variants.yaml`` (C0, C1, scratch, bc,
V1-*, V2, V3, V4-*, V5a, V5b) for one seed on the fixed pool (robustMPC + BBA on fcc-train with
Pensieve's training settings, seed 0, as ``llm_abr.py``), with model selection on NetLLM's
``fcc-valid`` traces when the data folder has them (else on fcc-train validation seeds; never on
the test traces), scores it under ``fcc100`` and writes ``<out>/<variant>[-pF]-s<seed>.json``:
the per-trace scores, the validation history (loss and return against optimiser updates), the
train.py command, the parameter counts, wall and CPU time. ``table`` reads those files and gives
each variant's mean over seeds with a 95 % bootstrap CI over the 100 traces (per trace, the mean
over seeds), the paired bootstrap CI of the difference of every pair asked for (``--pairs``,
resampling the same traces for both), and the baselines BBA, robustMPC max_jump=1 and robustMPC::

    python benchmarks/llm_study.py run --variant C0 --seed 0 --timesteps 2000 --out runs/study
    python benchmarks/llm_study.py run --variant bc --seed 0 --pool-fraction 0.1 --out runs/study
    python benchmarks/llm_study.py table runs/study --pairs C0:C1 C0:scratch V4-pre:V4-random
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from llm_abr import ENV_ID, train_env_kwargs  # noqa: E402

VARIANTS_FILE = REPO / "agents" / "config" / "llm_variants.yaml"
PROTOCOL = "fcc100"
BASELINES = ("bba", "mpc-jump1", "mpc")
POOL_EPISODES = 100
"""pool episodes per policy (robustMPC, BBA), seed 0: the same pool for every variant"""


def variants() -> dict[str, dict[str, Any]]:
    """The named variants: hyperparameter overrides (plus ``agent``, default llm)."""
    return yaml.safe_load(VARIANTS_FILE.read_text(encoding="utf-8"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train and score one variant and seed")
    run.add_argument("--variant", required=True, choices=sorted(variants()))
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--timesteps", type=int, help="training windows (default: the config's)")
    run.add_argument("--pool-fraction", type=float, default=1.0, help="low-data: 0.05 .. 1")
    run.add_argument("--eval-every", type=int, help="windows between validations")
    run.add_argument("--data-dir", type=Path, help="abr data folder (default: <data root>/abr)")
    run.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    run.add_argument("--torch-threads", type=int, default=1)
    run.add_argument("--protocol-episodes", type=int, help="first N traces only (default 100)")
    run.add_argument("--out", type=Path, default=REPO / "runs" / "benchmarks" / "llm_study")
    table = sub.add_parser("table", help="means, CIs and paired differences of the runs")
    table.add_argument("folder", type=Path)
    table.add_argument("--pairs", nargs="*", default=[], help="A:B (A minus B, paired)")
    table.add_argument("--data-dir", type=Path)
    table.add_argument("--markdown", action="store_true", help="Markdown tables, not JSON")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        from netgym.data import data_root

        args.data_dir = data_root() / "abr"
    return args


def row_name(variant: str, fraction: float) -> str:
    """The row label: the variant, with ``-p<fraction>`` below the full pool."""
    return variant if fraction >= 1.0 else f"{variant}-p{fraction:g}"


def pool_path(args: argparse.Namespace) -> Path:
    """The study's pool in ``args.out`` (collected once, then reused)."""
    from netgym.agents.llm.pool import collect

    path = args.out / "pool-mpc-bba.npz"
    if not path.is_file():
        kwargs = train_env_kwargs(args.data_dir)
        collect(ENV_ID, ["mpc", "bba"], POOL_EPISODES, seed=0, env_kwargs=kwargs).save(path)
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train and score one variant for one seed; the JSON row."""
    import torch

    torch.set_num_threads(args.torch_threads)
    from netgym.agents import get_agent_class
    from netgym.agents.training import prepare_run
    from netgym.cli.train import build_parser, settings_from_args
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.protocols import get_protocol

    started, cpu0 = time.perf_counter(), time.process_time()
    args.out.mkdir(parents=True, exist_ok=True)
    overrides = dict(variants()[args.variant])
    agent_name = overrides.pop("agent", "llm")
    if args.pool_fraction < 1.0:
        overrides["pool_fraction"] = args.pool_fraction
    if args.eval_every is not None:
        overrides["eval_every"] = args.eval_every
    label = row_name(args.variant, args.pool_fraction)
    folder = args.out / f"{label}-s{args.seed}"
    argv = [
        "--env",
        ENV_ID,
        "--agent",
        agent_name,
        "--pool",
        str(pool_path(args)),
        "--seed",
        str(args.seed),
        "--env-kwargs",
        json.dumps(train_env_kwargs(args.data_dir)),
        "--device",
        args.device,
        "--eval-episodes",
        "0",
        "--out",
        str(folder),
        "--overwrite",
        "--no-progress",
    ]
    if overrides:
        argv += ["--hyperparams", *(f"{k}={_yaml_value(v)}" for k, v in overrides.items())]
    if args.timesteps is not None:
        argv += ["--timesteps", str(args.timesteps)]
    tic = time.perf_counter()
    prepare_run(settings_from_args(build_parser().parse_args(argv))).train()
    train_wall = time.perf_counter() - tic
    meta = json.loads((folder / "model" / "agent.json").read_text())
    agent = get_agent_class(agent_name).load(folder / "model", device=args.device)
    agent.name = label
    tic = time.perf_counter()
    row = run_protocol(PROTOCOL, [agent], args.data_dir, args.protocol_episodes)[0]
    per_update = int(meta["config"]["batch_size"]) * int(meta["config"]["grad_accum_steps"])
    result = {
        "benchmark": "llm_study",
        "variant": args.variant,
        "row": label,
        "seed": args.seed,
        "pool_fraction": args.pool_fraction,
        "protocol": get_protocol(PROTOCOL).label,
        "score": row.score,
        "per_trace_scores": row.per_episode_scores,
        "windows": meta["steps_done"],
        "updates": meta["updates"],
        "parameters": meta["parameters"],
        "best_validation_score": meta["best_score"],
        "validation": [{**h, "updates": h["steps"] / per_update} for h in meta.get("history", [])],
        "validation_traces": agent.summary().get("validation_traces", "training env"),
        "pool_steps": meta["stats"]["pool_steps"],
        "hyperparams": overrides,
        "train_command": "python train.py "
        + " ".join(a if not a.startswith("{") else f"'{a}'" for a in argv),
        "train_wall_s": train_wall,
        "eval_wall_s": time.perf_counter() - tic,
        "total_wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu0 + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime,
        "torch_threads": torch.get_num_threads(),
        "device": args.device,
        "machine": platform.platform(),
    }
    (args.out / f"{label}-s{args.seed}.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def _yaml_value(value: Any) -> str:
    return (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def paired_difference(a: np.ndarray, b: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Mean of ``a - b`` over paired traces with its 95 % bootstrap CI (traces resampled)."""
    from netgym.leaderboard.stats import bootstrap_ci

    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    low, high = bootstrap_ci(diff, seed=seed)
    return {"mean": float(diff.mean()), "ci95": [low, high], "traces": int(diff.size)}


def table(args: argparse.Namespace) -> dict[str, Any]:
    """Every row of ``args.folder``: mean over seeds, CI, pairs, baselines."""
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.stats import bootstrap_ci

    rows: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(args.folder.glob("*-s*.json")):
        record = json.loads(path.read_text())
        if record.get("benchmark") == "llm_study":
            rows.setdefault(record["row"], []).append(record)
    cache = args.folder / "baselines.json"
    if cache.is_file():
        baselines = json.loads(cache.read_text())
    else:
        scored = run_protocol(PROTOCOL, list(BASELINES), args.data_dir)
        baselines = {r.policy: r.per_episode_scores for r in scored}
        cache.write_text(json.dumps(baselines) + "\n")
    per_trace = {
        name: np.mean([r["per_trace_scores"] for r in runs], 0) for name, runs in rows.items()
    }
    per_trace.update({name: np.asarray(s) for name, s in baselines.items()})
    out_rows = {}
    for name, scores in per_trace.items():
        runs = rows.get(name, [])
        out_rows[name] = {
            "score": float(scores.mean()),
            "ci95": list(bootstrap_ci(scores)),
            "seeds": [r["seed"] for r in runs],
            "seed_scores": [r["score"] for r in runs],
            "windows": sorted({r["windows"] for r in runs}),
            "train_wall_s": [round(r["train_wall_s"]) for r in runs],
            "validation_traces": sorted({r["validation_traces"] for r in runs}),
        }
    pairs = {}
    for pair in args.pairs:
        first, second = pair.split(":")
        if first in per_trace and second in per_trace:
            pairs[f"{first} - {second}"] = paired_difference(per_trace[first], per_trace[second])
    return {"benchmark": "llm_study", "protocol": PROTOCOL, "rows": out_rows, "pairs": pairs}


def markdown(result: dict[str, Any]) -> str:
    """The ``table`` result as two Markdown tables (rows by score; paired differences)."""
    lines = [
        "| row | FCC-test-100 score [95 % CI over traces] | seeds: scores | windows |",
        "|---|---|---|---|",
    ]
    ranked = sorted(result["rows"].items(), key=lambda item: -item[1]["score"])
    for name, row in ranked:
        low, high = row["ci95"]
        seeds = ", ".join(
            f"{s}: {v:.3f}" for s, v in zip(row["seeds"], row["seed_scores"], strict=True)
        )
        windows = ", ".join(str(w) for w in row["windows"]) or "-"
        lines.append(
            f"| {name} | {row['score']:.3f} [{low:.3f}, {high:.3f}] | {seeds or '-'} | {windows} |"
        )
    if result["pairs"]:
        lines += ["", "| paired difference | mean [95 % CI] |", "|---|---|"]
        for name, pair in result["pairs"].items():
            low, high = pair["ci95"]
            lines.append(f"| {name} | {pair['mean']:+.3f} [{low:+.3f}, {high:+.3f}] |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    needed = ["fcc-train", "fcc-test", "video1"]
    missing = [name for name in needed if not (args.data_dir / name).is_dir()]
    if missing:
        print(f"llm_study.py: error: {args.data_dir} lacks {missing}", file=sys.stderr)
        return 2
    result = run(args) if args.command == "run" else table(args)
    print(markdown(result) if getattr(args, "markdown", False) else json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
