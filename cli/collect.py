"""``netgym collect``: roll policies out on an env and save the experience pool.

    netgym collect --env netgym/AbrStreaming-v0 --policy mpc,bba --episodes 100 --out pool.npz
    netgym collect --env netgym/AbrStreaming-v0 --policy bba --episodes 20 --epsilon 0.1 \\
        --env-kwargs '{"traces": "../shared/data/abr/fcc-train", "trace_order": "random"}' \\
        --out pool-eps.npz
    MINARI_DATASETS_PATH=data/minari netgym collect --env netgym/AbrStreaming-v0 \
        --policy mpc,bba --episodes 100 --format minari --out netgym/abr-mpc-bba-v0

Policies are baseline names (``netgym list``) or saved agents as ``AGENT:FOLDER`` (e.g.
``ppo:runs/.../model``). ``--out`` names a file (``.npz`` appended when missing); an existing
file is replaced only with ``--overwrite``, and a folder is refused, both before any rollout.
With ``--format minari`` (the ``minari`` extra) ``--out`` is a Minari data set id
(``[NAMESPACE/]NAME-vN``), written in Minari's local folder (``$MINARI_DATASETS_PATH``, default
``~/.minari/datasets``); an existing data set is never replaced.
Prints the pool statistics (JSON with ``--json``). Errors
(ValueError, FileNotFoundError) reach ``netgym``'s main, which prints them as one line.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from netgym.agents.llm.pool import collect

from .common import EPISODES, SEED, CliError, float_option, new_file, parse_json_object

DATASET_ID = re.compile(r"(?:[\w.-]+/)?[\w.]+(?:-[\w.]+)*-v\d+")
"""a Minari data set id with its version, as ``--out`` takes it with ``--format minari``"""


def add_command(commands: Any) -> None:
    """Add ``collect`` to ``commands`` (the sub-parsers of ``netgym``)."""
    parser = commands.add_parser(
        "collect",
        help="collect an experience pool (for the llm and bc agents)",
        description="Roll policies out on an env and save their episodes as an .npz pool or "
        "a Minari data set.",
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
        metavar="POOL.npz|DATASET_ID",
        help="pool file to write (.npz is appended when missing); with --format minari, the "
        "Minari data set id, e.g. netgym/abr-bba-v0",
    )
    parser.add_argument(
        "--format",
        choices=("npz", "minari"),
        default="npz",
        help="npz: a netgym pool file (default); minari: a Minari data set (pip install "
        '"netgym[minari]")',
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


def minari_id(dataset_id: str, overwrite: bool) -> str:
    """``--out`` as a Minari data set id that is free in Minari's local folder.

    Raises:
        CliError: the minari extra is missing, the id is malformed, the data set exists, or
            ``--overwrite`` was given (a data set is never replaced).
    """
    from netgym.agents.llm.pool_minari import MinariExtraMissingError, require_minari

    try:
        minari = require_minari()
    except MinariExtraMissingError as err:
        raise CliError(f"--format minari: {err}") from None
    if not DATASET_ID.fullmatch(dataset_id):
        raise CliError(
            f"--out {dataset_id!r} is not a Minari data set id: give [NAMESPACE/]NAME-vN, e.g. "
            "netgym/abr-bba-v0"
        )
    folder = minari.storage.get_dataset_path(dataset_id)
    if overwrite:
        raise CliError("--overwrite does not replace Minari data sets; choose a new id")
    if folder.exists():
        raise CliError(
            f"--out: the Minari data set {dataset_id} exists in {folder}; choose another id "
            f"or delete it (minari delete {dataset_id})"
        )
    return dataset_id


def minari_folder(dataset: Any) -> str:
    """The folder of a written Minari data set (for the message)."""
    return str(Path(dataset.storage.data_path).parent)


def run_command(args: argparse.Namespace) -> int:
    """Collect, save and print the statistics; returns 0 (errors raise ValueError)."""
    from netgym.baselines import make_policy

    env_kwargs = parse_json_object(args.env_kwargs)
    names = [name.strip() for name in args.policy.split(",") if name.strip()]
    policies = [_policy(name) for name in names]
    for policy in policies:
        if isinstance(policy, str):
            make_policy(args.env, policy)  # an unknown name fails now
    if args.format == "minari":  # the extra and a free id, before the rollouts
        out = minari_id(args.out, args.overwrite)
    else:
        out = pool_path(args.out, args.overwrite)  # before the rollouts, not after
    pool = collect(
        args.env,
        policies,
        args.episodes,
        seed=args.seed,
        env_kwargs=env_kwargs,
        epsilon=args.epsilon,
    )
    if args.format == "minari":
        dataset = pool.to_minari(str(out))
        path = f"{out} (Minari data set in {minari_folder(dataset)})"
    else:
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


__all__ = ["add_arguments", "add_command", "minari_id", "pool_path", "run_command"]
