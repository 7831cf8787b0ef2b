"""``netgym collect``: roll policies out on an env and save the experience pool.

    netgym collect --env netgym/AbrStreaming-v0 --policy mpc,bba --episodes 100 --out pool.npz
    netgym collect --env netgym/AbrStreaming-v0 --policy bba --episodes 20 --epsilon 0.1 \\
        --env-kwargs '{"traces": "../shared/data/abr/fcc-train", "trace_order": "random"}' \\
        --out pool-eps.npz

Policies are baseline names (``netgym list``) or saved agents as ``AGENT:FOLDER`` (e.g.
``ppo:runs/.../model``). ``--out`` names a file (``.npz`` appended when missing); an existing
file is replaced only with ``--overwrite``, and a folder is refused, both before any rollout.
Prints the pool statistics (JSON with ``--json``). Errors
(ValueError, FileNotFoundError) reach ``netgym``'s main, which prints them as one line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from netgym.agents.llm.pool import collect

from .common import EPISODES, SEED, CliError, float_option, new_file, parse_json_object


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
    parser.add_argument("--episodes", type=EPISODES, required=True, help="episodes per policy")
    parser.add_argument(
        "--out",
        required=True,
        metavar="POOL.npz",
        help="pool file to write (.npz is appended when missing)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the pool file if it exists"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="seed of the first episode")
    parser.add_argument("--env-kwargs", metavar="JSON", help="JSON object passed to gym.make")
    parser.add_argument(
        "--epsilon",
        type=float_option(0.0, 1.0),
        default=0.0,
        help="probability of a random action (default 0)",
    )
    parser.add_argument("--json", action="store_true", help="statistics as JSON")


def _policy(spec: str) -> Any:
    """A baseline name as is; ``AGENT:FOLDER`` loads a saved agent."""
    agent, sep, folder = spec.partition(":")
    if not sep:
        return spec
    from netgym.agents import get_agent_class

    return get_agent_class(agent).load(Path(folder), device="cpu")


def pool_path(out: str, overwrite: bool) -> Path:
    """The file ``--out`` names (``.npz`` appended when missing, as the pool is saved).

    Raises:
        CliError: ``--out`` is a folder, or the file exists and ``overwrite`` is False.
    """
    if Path(out).is_dir():
        raise CliError(f"--out {out} is a folder; give the path of the pool file to write")
    path = Path(out)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    return new_file(path, "--out", overwrite)


def run_command(args: argparse.Namespace) -> int:
    """Collect, save and print the statistics; returns 0 (errors raise ValueError)."""
    from netgym.baselines import make_policy

    env_kwargs = parse_json_object(args.env_kwargs)
    names = [name.strip() for name in args.policy.split(",") if name.strip()]
    policies = [_policy(name) for name in names]
    for policy in policies:
        if isinstance(policy, str):
            make_policy(args.env, policy)  # an unknown name fails now
    out = pool_path(args.out, args.overwrite)  # before the rollouts, not after
    pool = collect(
        args.env,
        policies,
        args.episodes,
        seed=args.seed,
        env_kwargs=env_kwargs,
        epsilon=args.epsilon,
    )
    path = pool.save(out)
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


__all__ = ["add_arguments", "add_command", "pool_path", "run_command"]
