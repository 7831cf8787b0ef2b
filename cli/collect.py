"""``netgym collect``: roll policies out on an env and save the experience pool.

    netgym collect --env netgym/AbrStreaming-v0 --policy mpc,bba --episodes 100 --out pool.npz
    netgym collect --env netgym/AbrStreaming-v0 --policy bba --episodes 20 --epsilon 0.1 \\
        --env-kwargs '{"traces": "../shared/data/abr/fcc-train", "trace_order": "random"}' \\
        --out pool-eps.npz

Policies are baseline names (``netgym list``) or saved agents as ``AGENT:FOLDER`` (e.g.
``ppo:runs/.../model``). Prints the pool statistics (JSON with ``--json``). Errors
(ValueError, FileNotFoundError) reach ``netgym``'s main, which prints them as one line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from netgym.agents.llm.pool import collect

from .common import parse_json_object


def add_command(commands: Any) -> None:
    """Add ``collect`` to ``commands`` (the sub-parsers of ``netgym``)."""
    parser = commands.add_parser(
        "collect",
        help="collect an experience pool (for the llm and bc agents)",
        description="Roll policies out on an env and save their episodes as an .npz pool.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run_command)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``netgym collect``."""
    parser.add_argument("--env", required=True, help="env id, e.g. netgym/AbrStreaming-v0")
    parser.add_argument(
        "--policy",
        required=True,
        metavar="NAME[,NAME...]",
        help="comma-separated baseline names, or AGENT:FOLDER for a saved agent",
    )
    parser.add_argument("--episodes", type=int, required=True, help="episodes per policy")
    parser.add_argument("--out", required=True, metavar="POOL.npz", help="pool file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    parser.add_argument("--env-kwargs", metavar="JSON", help="JSON object passed to gym.make")
    parser.add_argument(
        "--epsilon", type=float, default=0.0, help="probability of a random action (default 0)"
    )
    parser.add_argument("--json", action="store_true", help="statistics as JSON")


def _policy(spec: str) -> Any:
    """A baseline name as is; ``AGENT:FOLDER`` loads a saved agent."""
    agent, sep, folder = spec.partition(":")
    if not sep:
        return spec
    from netgym.agents import get_agent_class

    return get_agent_class(agent).load(Path(folder), device="cpu")


def run_command(args: argparse.Namespace) -> int:
    """Collect, save and print the statistics; returns 0 (errors raise ValueError)."""
    env_kwargs = parse_json_object(args.env_kwargs)
    names = [name.strip() for name in args.policy.split(",") if name.strip()]
    pool = collect(
        args.env,
        [_policy(name) for name in names],
        args.episodes,
        seed=args.seed,
        env_kwargs=env_kwargs,
        epsilon=args.epsilon,
    )
    path = pool.save(args.out)
    stats = {**pool.stats(), "path": str(path)}
    if args.json:
        print(json.dumps(stats, indent=1))
        return 0
    print(f"pool {path}: {stats['episodes']} episodes, {stats['steps']} steps of {args.env}")
    for name, item in stats["policies"].items():
        print(
            f"  {name:<20} {item['episodes']:>5} episodes  mean return {item['mean_return']:.4g}"
            f"  mean reward {item['mean_reward']:.4g}"
        )
    return 0


__all__ = ["add_arguments", "add_command", "run_command"]
