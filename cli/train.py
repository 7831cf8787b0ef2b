"""``netgym train`` and ``python train.py``: the command line of training (one code path).

Both parse the same arguments (``add_arguments``) and run ``run_command``, which drives
``netgym.agents.training`` and does all the printing: one tqdm progress bar on stderr (the same
for every agent: steps, steps/s and the agent's last metrics), the final summary table on stdout,
and every error as one line on stderr with exit status 2. Ctrl-C saves a checkpoint and exits
with status 130 after saying how to resume.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netgym.agents import AGENTS
from netgym.agents.config_loader import parse_overrides
from netgym.agents.schedules import SCHEDULES
from netgym.agents.training import (
    DEFAULT_EVAL_EPISODES,
    DEFAULT_TIMESTEPS,
    DEVICES,
    EVAL_SEED_OFFSET,
    MAX_N_ENVS,
    MAX_TIMESTEPS,
    TrainingInterrupted,
    TrainingRun,
    TrainingSettings,
    prepare_run,
)

from .common import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    MAX_EPISODES,
    SEED,
    CliError,
    Parser,
    format_table,
    int_option,
    parse_json_object,
)

EXAMPLES = """\
examples:
  python train.py --env netgym/AbrStreaming-v0 --agent ppo --timesteps 200000
  python train.py --env netgym/AbrStreaming-v0 --agent dqn --hyperparams learning_rate=5e-4
  python train.py --env netgym/AbrStreaming-v0 --algo ppo -n 100000 \
      --hyperparams learning_rate:lin_3e-4 clip_range:lin_0.2 n_steps:256
  python train.py --resume runs/netgym_AbrStreaming-v0/ppo/seed-0
  python train.py --env netgym/AbrStreaming-v0 --agent ppo --capture-video
  python train.py --env netgym/AbrStreaming-v0 --agent ppo -n 50000 --tune 50 --tune-jobs 2
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the training options to ``parser`` (shared by ``train.py`` and ``netgym train``)."""
    parser.add_argument("--env", metavar="ID", help="env id, e.g. netgym/AbrStreaming-v0")
    parser.add_argument(
        "--agent",
        "--algo",
        dest="agent",
        metavar="NAME",
        help=f"one of: {', '.join(AGENTS)} (--algo: rl-baselines3-zoo's name of this option)",
    )
    parser.add_argument(
        "--timesteps",
        "-n",
        type=int_option(0, MAX_TIMESTEPS),
        metavar="N",
        help=f"total training env steps (default: the config's n_timesteps, else "
        f"{DEFAULT_TIMESTEPS}); -n as in rl-baselines3-zoo",
    )
    parser.add_argument("--seed", type=SEED, metavar="S", help="training seed (default 0)")
    parser.add_argument(
        "--n-envs",
        type=int_option(1, MAX_N_ENVS),
        metavar="K",
        help="parallel envs (default: the config's, else 1)",
    )
    parser.add_argument("--env-kwargs", metavar="JSON", help="JSON object of env keyword args")
    parser.add_argument(
        "--config",
        metavar="FILE.yaml",
        help="hyperparameters over the packaged config (.yaml or .yml; rl-baselines3-zoo's "
        "per-env files work)",
    )
    parser.add_argument(
        "--hyperparams",
        nargs="+",
        action="extend",
        metavar="KEY=VALUE",
        help="hyperparameters over every config file; values are YAML (e.g. net_arch=[64,64]); "
        "rl-baselines3-zoo's KEY:VALUE and lin_<x> / constant_<x> schedules work too",
    )
    parser.add_argument(
        "--lr-schedule", choices=SCHEDULES, help="learning-rate schedule (default constant)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="run folder (default runs/<env>/<agent>/seed-<S>)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the run in a non-empty run folder"
    )
    parser.add_argument(
        "--eval-episodes",
        type=int_option(0, MAX_EPISODES),
        metavar="N",
        help=f"evaluation episodes after training, 0 for none (default {DEFAULT_EVAL_EPISODES})",
    )
    parser.add_argument(
        "--eval-seed",
        type=SEED,
        metavar="S",
        help=f"seed of the first evaluation episode (default {EVAL_SEED_OFFSET} + seed)",
    )
    parser.add_argument(
        "--eval-baselines",
        metavar="A,B",
        help="baselines evaluated beside the agent: comma-separated names or 'none' "
        "(default: all of the env)",
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        help="torch device (default auto: CUDA when available, else the CPU; cuda without "
        "CUDA is an error)",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int_option(0, MAX_TIMESTEPS),
        metavar="N",
        help="env steps between checkpoints, 0 for none (default: a tenth of the run)",
    )
    parser.add_argument(
        "--resume", metavar="DIR", help="continue the run in DIR from its latest checkpoint"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (e.g. in log files)"
    )
    parser.add_argument(
        "--capture-video",
        action="store_true",
        help="record the trained agent's evaluation episodes as mp4 files in <run folder>/videos "
        '(the env\'s rgb_array frames; needs pip install "netgym[video]")',
    )
    parser.add_argument(
        "--pool",
        metavar="POOL.npz",
        help="experience pool of the offline agents llm and bc (made by netgym collect): a "
        "pool file, minari:DATASET_ID or a Minari data set folder; the same as --hyperparams "
        "pool=POOL.npz",
    )
    parser.add_argument(
        "--backbone",
        metavar="PATH",
        help="transformer of the llm agent: minilm (default), scratch, or a save_pretrained "
        "folder; the same as --hyperparams backbone=PATH",
    )
    add_tune_arguments(parser)


def add_tune_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--tune`` options (hyperparameter tuning with Optuna, ``netgym.agents.tuning``)."""
    from netgym.agents.tuning_spaces import PRUNERS, SAMPLERS

    group = parser.add_argument_group(
        'tuning (needs pip install "netgym[tune]"; see docs/training.md, Tuning)'
    )
    group.add_argument(
        "--tune",
        type=int_option(1, 10**6),
        metavar="N_TRIALS",
        help="tune the hyperparameters instead of training: add N_TRIALS trials (each trains "
        "--timesteps steps) to the study in <run folder>/tune/study.db and write the best as "
        "<run folder>/tune/best.yaml",
    )
    group.add_argument(
        "--tune-jobs",
        type=int_option(1, 64),
        default=1,
        metavar="K",
        help="trials at once, in K local processes (or K Ray tasks with --tune-backend ray) "
        "sharing the study (default 1)",
    )
    group.add_argument(
        "--tune-evals",
        type=int_option(1, 1000),
        default=4,
        metavar="E",
        help="validation evaluations per trial, the pruner's steps (default 4)",
    )
    group.add_argument(
        "--tune-episodes",
        type=int_option(1, MAX_EPISODES),
        default=5,
        metavar="M",
        help="validation episodes per evaluation (default 5)",
    )
    group.add_argument(
        "--tune-backend",
        choices=("local", "ray"),
        default="local",
        help="run the K trials at once in local processes (default) or as Ray tasks (needs pip "
        'install "netgym[ray]")',
    )
    group.add_argument(
        "--tune-address",
        metavar="ADDRESS",
        help="--tune-backend ray: a running Ray cluster (auto, ray://host:port); default: a "
        "local Ray instance for the call",
    )
    group.add_argument(
        "--tune-storage",
        metavar="URL",
        help="an Optuna storage URL (e.g. postgresql://user:pw@host/db) holding the study "
        "instead of <run folder>/tune/study.db, for workers on several machines",
    )
    group.add_argument("--tune-sampler", choices=SAMPLERS, default="auto", help="default auto: TPE")
    group.add_argument(
        "--tune-pruner",
        choices=PRUNERS,
        default="auto",
        help="default auto: median for SB3 agents, successive halving for tabular agents",
    )


def build_parser(prog: str = "train.py") -> argparse.ArgumentParser:
    """The parser of ``train.py`` (a usage error is one line, as every other error)."""
    parser = Parser(
        prog=prog,
        description="Train a netgym agent on an env, save it and evaluate it against the "
        "env's baselines.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def settings_from_args(args: argparse.Namespace) -> TrainingSettings:
    """``TrainingSettings`` from parsed arguments (``ValueError`` for bad JSON)."""
    env_kwargs = None if args.env_kwargs is None else parse_json_object(args.env_kwargs)
    baselines = None
    if args.eval_baselines is not None:
        names = [name.strip() for name in args.eval_baselines.split(",") if name.strip()]
        baselines = [] if names == ["none"] else names
    return TrainingSettings(
        env=args.env,
        agent=args.agent,
        timesteps=args.timesteps,
        seed=args.seed,
        n_envs=args.n_envs,
        env_kwargs=env_kwargs,
        config_file=None if args.config is None else Path(args.config),
        hyperparams=_offline_overrides(args, parse_overrides(args.hyperparams)),
        lr_schedule=args.lr_schedule,
        out=None if args.out is None else Path(args.out),
        overwrite=args.overwrite,
        eval_episodes=args.eval_episodes,
        eval_seed=args.eval_seed,
        eval_baselines=baselines,
        device=args.device,
        checkpoint_every=args.checkpoint_every,
        resume=None if args.resume is None else Path(args.resume),
    )


def _offline_overrides(args: argparse.Namespace, hyperparams: dict[str, Any]) -> dict[str, Any]:
    """``--pool`` and ``--backbone`` as hyperparameters (a pool file or Minari data set folder
    as an absolute path; ``minari:DATASET_ID`` as given)."""
    pool = getattr(args, "pool", None)
    if pool is not None:
        local = pool.startswith("minari:")
        hyperparams["pool"] = pool if local else str(Path(pool).expanduser().resolve())
    backbone = getattr(args, "backbone", None)
    if backbone is not None:
        if backbone not in ("minilm", "scratch"):  # a folder: absolute, as the pool
            backbone = str(Path(backbone).expanduser().resolve())
        hyperparams["backbone"] = backbone
    return hyperparams


def run_command(args: argparse.Namespace, prog: str = "train.py") -> int:
    """Train, evaluate and print the summary; returns the exit status (0, 2 or 130)."""
    if getattr(args, "tune", None) is not None:
        from .tune import run_tune

        return run_tune(args, settings_from_args, prog)
    capture = getattr(args, "capture_video", False)
    try:
        if capture:  # before training: a missing encoder must not cost a whole run
            from netgym.video import check_video_support

            check_video_support()
        run = prepare_run(settings_from_args(args))
    except (ValueError, FileNotFoundError, ImportError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _train_with_bar(run, disable=args.no_progress)
    except TrainingInterrupted as stop:
        print(
            f"{prog}: interrupted at step {stop.steps_done} of {run.config.timesteps}; "
            f"checkpoint saved to {stop.checkpoint}\nresume with: python train.py --resume "
            f"{stop.out_dir}  (or: netgym train --resume {stop.out_dir})",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    try:
        evaluation = run.evaluate(video_dir=run.out_dir / "videos" if capture else None)
    except (ValueError, FileNotFoundError) as err:
        print(f"{prog}: error: evaluation failed: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(summary(run, evaluation))
    return 0


def _train_with_bar(run: TrainingRun, disable: bool) -> None:
    from tqdm import tqdm

    with tqdm(
        total=run.config.timesteps,
        initial=run.steps_done,
        desc=f"{run.config.agent} on {run.config.env}",
        unit="step",
        unit_scale=True,
        dynamic_ncols=True,
        mininterval=0.5,
        file=sys.stderr,
        disable=disable,
    ) as bar:

        def show(steps: int, metrics: dict[str, float]) -> bool:
            if steps > bar.total:  # agents may overshoot to finish a rollout; tqdm would
                bar.total = steps  # then drop the total and the bar
            bar.update(steps - bar.n)
            if metrics:
                bar.set_postfix({key: f"{value:.4g}" for key, value in metrics.items()})
            return True

        run.train(show)


def _format_summary(value: Any) -> str:
    """``agent_summary`` on one line: ``key=value`` pairs, floats with 4 significant digits."""
    if isinstance(value, dict):
        inner = ", ".join(f"{key}={_format_summary(item)}" for key, item in value.items())
        return "{" + inner + "}" if inner else "{}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_summary(item) for item in value) + "]"
    return str(value)


def summary(run: TrainingRun, evaluation: dict[str, Any]) -> str:
    """The final summary: what was trained, where it is, and the agent against the baselines."""
    config = run.config
    lines = [f"run folder: {run.out_dir}"]
    if run.result is not None:
        result = run.result
        lines.append(
            f"trained {config.agent} on {config.env}: {result.steps_done:,} env steps "
            f"({result.steps_done - result.start_steps:,} in this call, {result.wall_s:.1f} s, "
            f"{result.steps_per_s:,.0f} steps/s); model in {run.out_dir / 'model'}"
        )
    agent_summary = evaluation.get("agent_summary")
    if agent_summary:
        pairs = ", ".join(f"{key}={_format_summary(item)}" for key, item in agent_summary.items())
        lines.append(f"{config.agent} summary: {pairs}")
    if evaluation.get("agent") is None:
        lines.append(f"no evaluation: {evaluation.get('skipped', 'not run')}")
        lines.append(_plot_line(run))
        return "\n".join(lines)
    rows = [(config.agent + " (trained)", evaluation["agent"])]
    rows += list(evaluation["baselines"].items())
    rows.sort(key=lambda item: item[1]["mean"], reverse=True)
    lines.append(
        f"evaluation: {evaluation['episodes']} episodes from seed {evaluation['seed']} "
        f"(the same for every policy; training used seed {config.seed})"
    )
    lines.append(
        format_table(
            ["policy", "mean_return", "std", "mean_reward"],
            [(name, item["mean"], item["std"], item["mean_reward"]) for name, item in rows],
        )
    )
    lines.append(f"per-episode returns in {run.out_dir / 'eval.json'}")
    videos = run.out_dir / "videos"
    if videos.is_dir():
        lines.append(f"videos of the agent's evaluation episodes in {videos}")
    lines.append(_plot_line(run))
    return "\n".join(lines)


def _plot_line(run: TrainingRun) -> str:
    """The command that draws this run's learning curve (with its sibling seeds, if any)."""
    return f"learning curve: netgym plot {shlex.quote(str(run.out_dir))} --out curves.html"


def add_command(commands: Any) -> None:
    """Add ``train`` to ``commands`` (the sub-parsers of ``netgym``): the options of
    ``train.py``, run by the same code."""
    parser = commands.add_parser(
        "train",
        help="train an agent (the same as train.py)",
        description="Train a netgym agent on an env, save it and evaluate it against the env's "
        "baselines (the same arguments and code as train.py).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(handler=lambda args: run_command(args, prog="netgym train"))


def main(argv: Sequence[str] | None = None) -> int:
    """``train.py``: parse ``argv`` (default ``sys.argv[1:]``) and run; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0)
        return int(exit_.code or 0)
    except CliError as err:  # a usage error: one line
        print(f"{err.prog}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return run_command(args)


__all__ = [
    "EXAMPLES",
    "add_arguments",
    "add_command",
    "build_parser",
    "main",
    "run_command",
    "settings_from_args",
    "summary",
]
