"""The training entry point behind ``train.py``: train an agent on any registered env, save it
with its resolved configuration, and evaluate it with ``netgym.leaderboard.evaluate``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .sb3 import ALGORITHMS, SB3Agent

DEFAULT_EVAL_SEED = 10_000  # evaluation seeds are disjoint from the training seeds used here


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train.py", description="Train an agent on a netgym environment."
    )
    parser.add_argument("--env", required=True, help="env id, e.g. netgym/AbrStreaming-v0")
    parser.add_argument("--agent", required=True, choices=ALGORITHMS, help="algorithm")
    parser.add_argument("--timesteps", type=int, default=100_000, help="training env steps")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--n-envs", type=int, default=1, help="parallel training envs")
    parser.add_argument("--env-kwargs", default="{}", help="JSON object passed to gym.make")
    parser.add_argument("--hyperparams", default="{}", help="JSON object for the algorithm")
    parser.add_argument(
        "--out", default=None, help="output folder (default runs/<env>-<agent>-<seed>)"
    )
    parser.add_argument("--eval-episodes", type=int, default=10, help="episodes after training")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    return parser


def _json_object(text: str, flag: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{flag} is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{flag} must be a JSON object, got {text!r}")
    return value


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train, save and evaluate; returns the summary written to ``summary.json``."""
    from netgym.leaderboard import evaluate

    env_kwargs = _json_object(args.env_kwargs, "--env-kwargs")
    hyperparams = _json_object(args.hyperparams, "--hyperparams")
    out = Path(args.out or f"runs/{args.env.replace('/', '_')}-{args.agent}-{args.seed}")
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise ValueError(f"output folder {out} is not empty; pass --overwrite to replace it")
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "env": args.env,
        "agent": args.agent,
        "timesteps": args.timesteps,
        "seed": args.seed,
        "n_envs": args.n_envs,
        "env_kwargs": env_kwargs,
        "hyperparams": hyperparams,
        "device": args.device,
        "eval_episodes": args.eval_episodes,
        "eval_seed": DEFAULT_EVAL_SEED,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    started = time.perf_counter()
    agent = SB3Agent.create(
        args.agent,
        args.env,
        n_envs=args.n_envs,
        seed=args.seed,
        env_kwargs=env_kwargs,
        hyperparams=hyperparams,
        device=args.device,
    )
    agent.learn(args.timesteps)
    train_s = time.perf_counter() - started
    model_path = agent.save(out / "model")
    result = evaluate(
        agent, args.env, episodes=args.eval_episodes, seed=DEFAULT_EVAL_SEED, env_kwargs=env_kwargs
    )
    summary = {
        **config,
        "model": str(model_path),
        "train_s": train_s,
        "steps_per_s": args.timesteps / train_s,
        "evaluation": result.to_dict(),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        summary = train(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    evaluation = summary["evaluation"]
    print(
        f"trained {args.agent} on {args.env} for {args.timesteps} steps in "
        f"{summary['train_s']:.1f} s ({summary['steps_per_s']:.0f} steps/s)"
    )
    print(
        f"evaluation over {len(evaluation['returns'])} episodes: mean return "
        f"{evaluation['mean']:.3f} +- {evaluation['std']:.3f}, mean reward per step "
        f"{evaluation['mean_reward']:.4f}"
    )
    print(f"saved to {summary['model']}")
    return 0
