#!/usr/bin/env python
"""Reference agents: train a row's agent with 5 seeds, record learning curves and the time to
heuristic, score the final models under the leaderboard protocols.

A row (``benchmarks/reference_rows.py``) is one agent on one env. For each seed the agent is
created with ``train.py``'s resolved configuration (``agents/config/<agent>.yaml``: the env's
block, tuned where the file has a tuned block) and trained in chunks of ``eval_every`` env steps
until the row's step budget, or until the next chunk would pass its CPU budget. After each chunk
the agent plays the validation episodes (validation seeds from 500,000, or ABR's held-out
training traces: ``netgym.agents.tuning_data``; never a protocol's evaluation seeds or test
traces; a row with ``validation_reseed`` resets episode i with seed 500,000 + i, so that every
checkpoint and heuristic meets the same episodes whatever its actions). The CPU clock is the
process's CPU time (``time.process_time``, torch on one thread) spent in ``learn`` alone;
validation is not counted. The **time to heuristic** of a seed is the training CPU time at the
first validation whose score exceeds the best of the row's heuristics on the same validation
episodes. The final models are then scored under each protocol of the
row beside the heuristics and the oracle or bound, and the IQM over seeds gets a stratified
bootstrap interval (``netgym.leaderboard.stats``).

Writes ``<out>/<row>.json`` and the learning curves ``<out>/<row>-steps.svg`` and
``<out>/<row>-cpu.svg`` (default ``docs/benchmark/``), keeps the models in
``runs/reference/<row>/seed-<S>/`` (``train.py`` run folders: leaderboard entries), and prints
the JSON. ``--table`` rewrites the generated table of ``docs/benchmark.md`` from the JSON files::

    python benchmarks/reference_agents.py abr-ppo                 # one row, 5 seeds
    python benchmarks/reference_agents.py --list                  # the rows and their budgets
    python benchmarks/reference_agents.py --table                 # docs/benchmark.md from JSON
    python benchmarks/reference_agents.py repeater-chain-maskable-ppo --seeds 2 \\
        --timesteps 2048 --protocol-episodes 2 --out /tmp/ref      # a quick check
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_report import row_summary, write_plots, write_table  # noqa: E402
from reference_rows import ROWS, Row  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DOCS_OUT = REPO / "docs" / "benchmark"
RUNS = REPO / "runs" / "reference"
PART = "reference-seed.json"
"""a seed's record and protocol scores in its run folder (``--only-seed``; read by ``--reuse``)"""
log = logging.getLogger("reference_agents")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("row", nargs="?", help=f"the row to run: {', '.join(ROWS)}")
    parser.add_argument("--list", action="store_true", help="print the rows and their budgets")
    parser.add_argument("--table", action="store_true", help="rewrite docs/benchmark.md's table")
    parser.add_argument("--seeds", type=int, default=5, help="training seeds 0 .. N-1 (5)")
    parser.add_argument("--timesteps", type=int, help="step budget per seed (the row's)")
    parser.add_argument("--cpu-seconds", type=float, help="CPU budget per seed (the row's)")
    parser.add_argument("--eval-every", type=int, help="env steps between validations")
    parser.add_argument("--validation-episodes", type=int, help="(the row's)")
    parser.add_argument(
        "--select",
        choices=("last", "best"),
        help="final model: the last, or the best validation score's (the row's)",
    )
    parser.add_argument(
        "--protocol-episodes", type=int, help="score on N episodes per protocol seed only"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds trained at once, one process each (1)"
    )
    parser.add_argument(
        "--only-seed",
        type=int,
        help="train and score this one seed, keep its record in its run folder (for seeds run "
        "as separate commands; then --reuse assembles the row)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="use the seeds' records of --only-seed runs"
    )
    parser.add_argument("--out", type=Path, default=DOCS_OUT, help="JSON and plots folder")
    parser.add_argument("--runs", type=Path, default=RUNS, help="run folders of the models")
    parser.add_argument("--data-dir", type=Path, help="data root (default: netgym's)")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmark.md")
    args = parser.parse_args(argv)
    if not (args.list or args.table) and args.row not in ROWS:
        parser.error(f"give a row ({', '.join(ROWS)}), --list or --table; got {args.row!r}")
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    return args


def canonical_command(row: Row, args: argparse.Namespace) -> str:
    """The one command that reproduces the row (sequential seeds; ``--jobs``, ``--only-seed``
    and ``--reuse`` change where the seeds run, not what they compute)."""
    words = ["python", "benchmarks/reference_agents.py", row.name]
    base = ROWS.get(row.name)
    for name in ("timesteps", "cpu_seconds", "eval_every", "validation_episodes", "select"):
        value = getattr(row, name)
        if base is None or getattr(base, name) != value:
            words += [f"--{name.replace('_', '-')}", f"{value:g}" if isinstance(value, float)
                      else str(value)]  # fmt: skip
    if args.seeds != 5:
        words += ["--seeds", str(args.seeds)]
    if args.protocol_episodes is not None:
        words += ["--protocol-episodes", str(args.protocol_episodes)]
    return shlex.join(words)


def budgeted_row(row: Row, args: argparse.Namespace) -> Row:
    """The row with the budget options of the command line applied."""
    changes: dict[str, Any] = {}
    for name in ("timesteps", "cpu_seconds", "eval_every", "validation_episodes", "select"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    return replace(row, **changes)


def resolve(row: Row, seed: int, data_dir: Path | None) -> Any:
    """``train.py``'s resolved ``RunConfig`` of the row at ``seed``."""
    from netgym.agents.run_config import TrainingSettings
    from netgym.agents.training import resolve_run_config

    settings = TrainingSettings(
        env=row.env_id,
        agent=row.agent,
        timesteps=row.timesteps,
        seed=seed,
        env_kwargs=row.train_env_kwargs(data_dir),
        hyperparams=dict(row.hyperparams),
        device="cpu",
        eval_episodes=0,
    )
    return resolve_run_config(settings)


def validation_setup(row: Row, data_dir: Path | None) -> tuple[dict, dict, int, str]:
    """(training kwargs, validation kwargs, validation seed, note), the same for every seed.

    Raises:
        ValueError: the row reseeds the validation episodes of an env whose validation plays
            traces in order (ABR).
    """
    from netgym.agents.tuning_data import (
        VALIDATION_SEED_OFFSET,
        reseeds_validation,
        validation_env_kwargs,
    )

    if row.validation_reseed and not reseeds_validation(row.env_id):
        raise ValueError(
            f"row {row.name}: validation_reseed=True, but {row.env_id}'s validation plays its "
            f"held-out traces in order, and a seeded reset restarts them at the first; give "
            f"validation_reseed=False"
        )
    config = resolve(row, 0, data_dir)
    train, valid, note = validation_env_kwargs(row.env_id, config.env_kwargs)
    return train, valid, VALIDATION_SEED_OFFSET, note


def validation_resets(row: Row, seed: int) -> str:
    """How the row's validation episodes are reset, in words (the JSON's record)."""
    if row.validation_reseed:
        return f"each episode i with seed {seed:,} + i"
    return f"seed {seed:,} before the first episode, unseeded after"


def validation_score(policy: Any, row: Row, metric: str, valid: dict, seed: int) -> float:
    """The protocol's metric of ``policy`` on the row's validation episodes."""
    from netgym.evaluation import evaluate
    from netgym.leaderboard.inprocess import episode_scores

    result = evaluate(
        policy, row.env_id, row.validation_episodes, seed, valid, reseed=row.validation_reseed
    )
    return float(sum(episode_scores(result, metric)) / len(result.returns))


def train_seed(
    row: Row, seed: int, data_dir: Path | None, split: tuple, metric: str, run_dir: Path
) -> tuple[Any, dict[str, Any]]:
    """Train one seed; returns (the agent, its record: curve, budget use, config)."""
    from netgym.agents import get_agent_class
    from netgym.agents.base import TrainingContext

    train_kwargs, valid_kwargs, valid_seed, _ = split
    config = resolve(row, seed, data_dir)
    context = TrainingContext(
        env_id=row.env_id,
        env_kwargs=dict(train_kwargs),
        seed=seed,
        n_envs=config.n_envs,
        device="cpu",
        lr_schedule=config.lr_schedule,
        total_timesteps=config.timesteps,
        out_dir=None,
    )
    agent = get_agent_class(row.agent).create(context, dict(config.hyperparams))
    curve = [{"steps": 0, "cpu_s": 0.0, "wall_s": 0.0}]
    curve[0]["score"] = validation_score(agent, row, metric, valid_kwargs, valid_seed)
    cpu = wall = 0.0
    stop = "steps"
    run_dir.mkdir(parents=True, exist_ok=True)
    best = {"score": -math.inf, "steps": 0}  # the best trained checkpoint's validation
    while agent.steps_done < config.timesteps:
        target = min(config.timesteps, agent.steps_done + row.eval_every)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        agent.learn(target - agent.steps_done)
        chunk = time.process_time() - cpu0
        cpu += chunk
        wall += time.perf_counter() - wall0
        score = validation_score(agent, row, metric, valid_kwargs, valid_seed)
        curve.append({"steps": agent.steps_done, "cpu_s": cpu, "wall_s": wall, "score": score})
        log.info("%s seed %d: %d steps, %.1f CPU s, validation %.4f", row.name, seed,
                 agent.steps_done, cpu, score)  # fmt: skip
        if row.select == "best" and score > best["score"]:
            best = dict(curve[-1])
            agent.save(run_dir / "model")  # the best validation so far (not counted as training)
        if row.cpu_seconds is not None and cpu + chunk > row.cpu_seconds:
            stop = "cpu"
            break
    config = replace(config, env_kwargs=dict(train_kwargs), timesteps=config.timesteps)
    if row.select == "best":
        agent.save(run_dir / "last")
        agent.close()
        agent = get_agent_class(row.agent).load(run_dir / "model", device="cpu")
    else:
        best = dict(curve[-1])
        agent.save(run_dir / "model")
    (run_dir / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
    record = {
        "seed": seed,
        "steps_done": agent.steps_done,
        "train_cpu_s": cpu,
        "train_wall_s": wall,
        "stopped_by": stop,
        "selected": best,
        "curve": curve,
        "run_folder": str(run_dir),
        "n_envs": config.n_envs,
        "hyperparams": config.hyperparams,
        "config_sources": config.config_sources,
        "lr_schedule": config.lr_schedule,
        "git_commit": config.git_commit,
    }
    return agent, record


def seed_job(job: tuple) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Train one seed and score its final model under the row's protocols (in a worker
    process with ``--jobs``: its CPU clock is its own)."""
    import torch
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.protocols import load_family_protocols

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    torch.set_num_threads(1)
    load_family_protocols()
    row, seed, data, split, metric, runs, protocol_episodes = job
    agent, record = train_seed(row, seed, data, split, metric, runs / row.name / f"seed-{seed}")
    results = {}
    for name in row.protocols:
        # the agent keeps how it observes (the protocol's entry kwargs of its training env)
        result = run_protocol(name, [agent], data, protocol_episodes, entry_kwargs=split[0])[0]
        record.setdefault("protocol_scores", {})[name] = result.score
        results[name] = result.to_dict(per_episode=True)
    agent.close()
    return record, results


def run_row(row: Row, args: argparse.Namespace) -> dict[str, Any]:
    """Train, validate and score every seed of ``row``; the row's JSON record."""
    import torch
    from netgym.data import data_root
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.protocols import get_protocol, load_family_protocols

    torch.set_num_threads(1)
    load_family_protocols()
    started = time.perf_counter()
    data_dir = data_root(args.data_dir)
    data = data_dir if row.needs_data or any(get_protocol(p).needs_data for p in row.protocols) \
        else None  # fmt: skip
    metric = get_protocol(row.protocols[0]).metric
    split = validation_setup(row, data)
    if args.only_seed is not None:
        seed = args.only_seed
        done = seed_job((row, seed, data, split, metric, args.runs, args.protocol_episodes))
        part = args.runs / row.name / f"seed-{seed}" / PART
        part.write_text(json.dumps(done, indent=1), encoding="utf-8")
        return {"row": row.name, "seed_part": str(part)}
    baselines = [*row.heuristics, *row.references]
    valid_baselines = {
        name: validation_score(name, row, metric, split[1], split[2]) for name in baselines
    }
    scored: dict[str, list[dict[str, Any]]] = {p: [] for p in row.protocols}
    jobs = [(row, seed, data, split, metric, args.runs, args.protocol_episodes)
            for seed in range(args.seeds)]  # fmt: skip
    parts = [args.runs / row.name / f"seed-{seed}" / PART for seed in range(args.seeds)]
    if args.reuse and all(part.is_file() for part in parts):
        done = [json.loads(part.read_text(encoding="utf-8")) for part in parts]
    elif args.jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(args.jobs, len(jobs)), mp_context=context) as pool:
            done = list(pool.map(seed_job, jobs))
    else:
        done = [seed_job(job) for job in jobs]
    seeds = []
    for record, results in done:
        seeds.append(record)
        for name in row.protocols:
            scored[name].append(results[name])
    protocols = {}
    for name in row.protocols:
        policies = baselines + ([row.bound] if row.bound else [])
        rows = run_protocol(name, policies, data, args.protocol_episodes)
        protocol = get_protocol(name).with_episodes(args.protocol_episodes)
        protocols[name] = {
            "label": protocol.label,
            "metric": protocol.metric,
            "episodes": rows[0].episodes,
            "baselines": {r.policy: r.score for r in rows},
            "agent_per_seed": [r["score"] for r in scored[name]],
        }
    result: dict[str, Any] = {
        "row": row.name,
        "env_id": row.env_id,
        "agent": row.agent,
        "goal": row.goal,
        "heuristics": list(row.heuristics),
        "references": list(row.references),
        "bound": row.bound,
        "select": row.select,
        "budget": {
            "timesteps": row.timesteps,
            "cpu_seconds": row.cpu_seconds,
            "eval_every": row.eval_every,
            "seeds": args.seeds,
        },
        "validation": {
            "episodes": row.validation_episodes,
            "seed": split[2],
            "plays": split[3],
            "resets": validation_resets(row, split[2]),
            "metric": metric,
            "baselines": valid_baselines,
        },
        "pinned_hyperparams": row.hyperparams,
        "seeds": seeds,
        "protocols": protocols,
        "command": canonical_command(row, args),
        "run_as": shlex.join(["python", "benchmarks/reference_agents.py", *sys.argv[1:]]),
        "wall_s": time.perf_counter() - started,
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
    }
    result["summary"] = row_summary(result)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.list:
        for row in ROWS.values():
            cpu = "-" if row.cpu_seconds is None else f"{row.cpu_seconds:g}"
            print(f"{row.name}: {row.agent} on {row.env_id}, {', '.join(row.protocols)}; "
                  f"{row.timesteps:,} steps / {cpu} CPU s per seed; goal: {row.goal}")  # fmt: skip
        return 0
    if args.table:
        write_table(args.out, args.docs)
        print(f"wrote the table of {args.docs} from {args.out}/*.json")
        return 0
    row = budgeted_row(ROWS[args.row], args)
    result = run_row(row, args)
    if "seed_part" in result:
        print(json.dumps(result))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{row.name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    write_plots(result, args.out)
    print(json.dumps(result["summary"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
