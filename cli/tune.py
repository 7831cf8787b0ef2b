"""``train.py --tune N_TRIALS`` (and ``netgym train --tune``): the printing side of tuning.

``netgym.agents.tuning`` runs the study; this prints one line per finished trial on stderr, and
the best block, its file and the command that trains with it on stdout.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from typing import Any

from .common import EXIT_USAGE

TRAINING_ONLY = {
    "resume": "--resume",
    "capture_video": "--capture-video",
    "eval_episodes": "--eval-episodes",
    "eval_seed": "--eval-seed",
    "eval_baselines": "--eval-baselines",
    "checkpoint_every": "--checkpoint-every",
}
"""options of a training run that a tuning call has no use for"""


def run_tune(args: argparse.Namespace, settings_from_args: Callable[..., Any], prog: str) -> int:
    """Tune with the parsed ``args``; returns the exit status (0 or 2)."""
    values = {flag: getattr(args, name, None) for name, flag in TRAINING_ONLY.items()}
    given = [flag for flag, value in values.items() if value is not None and value is not False]
    if given:
        print(
            f"{prog}: error: --tune trains no final model, so {', '.join(given)} cannot be "
            "given with it; train with the tuned block afterwards (see the printed command)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        from netgym.agents.tuning import TuneOptions, require_optuna, tune

        optuna = require_optuna()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        options = TuneOptions(
            n_trials=args.tune,
            jobs=args.tune_jobs,
            evaluations=args.tune_evals,
            episodes=args.tune_episodes,
            sampler=args.tune_sampler,
            pruner=args.tune_pruner,
            backend=args.tune_backend,
            address=args.tune_address,
            storage=args.tune_storage,
        )
        result = tune(settings_from_args(args), options, on_trial=_print_trial)
    except (ValueError, FileNotFoundError, ImportError, RuntimeError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    counts = ", ".join(f"{count} {state.lower()}" for state, count in result.counts.items())
    where = args.tune_storage or result.study_path
    print(f"study: {where} ({result.added} trial(s) added; in all: {counts})")
    print(f"validation: {result.validation}")
    print(f"best trial {result.best_number}: validation score {result.best_value:.6g}")
    print(f"best hyperparameters ({result.best_path}):\n")
    print(result.best_yaml)
    print(
        f"train with them: python train.py --env {shlex.quote(args.env)} --agent "
        f"{shlex.quote(args.agent)} --config {shlex.quote(str(result.best_path))}"
    )
    print("more trials: run the same command again (it continues the study)")
    return 0


def _print_trial(trial: Any) -> None:
    value = "" if trial.value is None else f" value {trial.value:.6g}"
    params = ", ".join(f"{key}={_short(item)}" for key, item in trial.params.items())
    print(f"trial {trial.number}: {trial.state.name.lower()}{value} ({params})", file=sys.stderr)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


__all__ = ["TRAINING_ONLY", "run_tune"]
