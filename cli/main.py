"""``netgym``: the entry point of the command line (``netgym.cli.main:main``, ``python -m netgym``).

Commands: ``list``, ``evaluate`` (here), ``leaderboard run | submit | verify | docs``
(``netgym.cli.board``), ``train`` (``netgym.cli.train``, the same code as ``train.py``),
``collect`` (``netgym.cli.collect``) and ``data list | fetch | verify | path``
(``netgym.cli.data``). Every command prints a plain-text table, or JSON with
``--json``. A user error (unknown env, policy or protocol, bad ``--env-kwargs``, missing data
folder) prints one line to stderr and exits with status 2. All printing of netgym happens in
this package; the library only returns values.

Examples::

    netgym --version
    netgym list
    netgym evaluate --env netgym/AbrStreaming-v0 --policy bba --episodes 5
    netgym data fetch abr/fcc-test abr/video1
    netgym evaluate --protocol fcc100 --policy mpc-jump1 --json
    netgym evaluate --env netgym/RepeaterChain-v0 --policy swap-asap --episodes 2 --video videos
    netgym leaderboard run --quick --out leaderboard-quick
    netgym leaderboard run --protocols abr-synthetic --policies bba,mpc
    netgym train --env netgym/AbrStreaming-v0 --agent ppo --timesteps 200000
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from netgym import __version__
from netgym.evaluation import EvaluationResult, evaluate
from netgym.leaderboard.inprocess import evaluate_seeds
from netgym.leaderboard.protocols import PROTOCOLS, get_protocol

from . import board, collect, data, train
from .common import (
    EPISODES,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    SEED,
    CliError,
    Parser,
    format_table,
    parse_json_object,
    print_json,
    protocol_data,
)


# ---------------------------------------------------------------------------------- list
def _cmd_list(args: argparse.Namespace) -> int:
    from netgym.baselines import BASELINES
    from netgym.envs import ENV_IDS

    if args.json:
        print_json(
            {
                "envs": dict(ENV_IDS),
                "baselines": {
                    env_id: {name: description for name, (_, description) in family.items()}
                    for env_id, family in BASELINES.items()
                },
                "protocols": [protocol.to_dict() for protocol in PROTOCOLS.values()],
            }
        )
        return 0
    print("Environments")
    print(format_table(["env", "description"], sorted(ENV_IDS.items())))
    print()
    print("Baselines")
    print(
        format_table(
            ["env", "policy", "description"],
            [
                (env_id, name, description)
                for env_id, family in BASELINES.items()
                for name, (_, description) in family.items()
            ],
        )
    )
    print()
    print("Protocols")
    print(
        format_table(
            ["protocol", "version", "env", "seeds x episodes", "data", "description"],
            [
                (
                    protocol.name,
                    protocol.version,
                    protocol.env_id,
                    f"{len(protocol.eval_seeds)} x {protocol.episodes}",
                    ", ".join(protocol.datasets)
                    or ", ".join(f"{name}/" for name in protocol.data_folders)
                    or "embedded",
                    protocol.description,
                )
                for protocol in PROTOCOLS.values()
            ],
        )
    )
    return 0


# ---------------------------------------------------------------------------------- evaluate
def _check_env(env_id: str, env_kwargs: dict[str, Any]) -> None:
    """Fail with a CliError when ``env_id`` is unknown or its kwargs are rejected."""
    import gymnasium as gym
    from netgym.envs import ENV_IDS

    if env_id.split(":", 1)[-1] not in ENV_IDS:
        raise CliError(f"unknown env {env_id!r}; known: {sorted(ENV_IDS)}")
    try:
        gym.make(env_id, **env_kwargs).close()
    except (TypeError, ValueError, FileNotFoundError, gym.error.Error) as exc:
        # Gymnasium re-raises a TypeError of the env's constructor with a long suffix.
        reason = str(exc).split(" was raised from the environment creator")[0]
        raise CliError(f"cannot make {env_id} with --env-kwargs {env_kwargs}: {reason}") from None


def _video_dir(args: argparse.Namespace) -> str | None:
    """``--video DIR``, checked before anything runs (moviepy present, DIR not a file)."""
    if args.video is None:
        return None
    from netgym.video import check_video_support

    try:
        check_video_support()
    except ImportError as exc:
        raise CliError(f"--video: {exc}") from None
    if os.path.exists(args.video) and not os.path.isdir(args.video):
        raise CliError(f"--video {args.video}: exists and is not a folder")
    return args.video


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from netgym.baselines import make_policy

    video_dir = _video_dir(args)
    protocol = None
    if args.protocol is not None:
        if args.env is not None or args.env_kwargs is not None:
            raise CliError("--protocol replaces --env and --env-kwargs; give one or the other")
        protocol = get_protocol(args.protocol)
        protocol_data(protocol, args.data_dir)
        env_id = protocol.env_id
        env_kwargs = protocol.env_kwargs(args.data_dir)
        episodes = protocol.check_episodes(args.episodes)
        seed = protocol.eval_seeds[0] if args.seed is None else args.seed
    else:
        if args.env is None:
            raise CliError("give --env ID (see 'netgym list') or --protocol NAME")
        env_id = args.env
        env_kwargs = parse_json_object(args.env_kwargs)
        episodes = 10 if args.episodes is None else args.episodes
        seed = 0 if args.seed is None else args.seed
        if episodes < 1:
            raise CliError(f"--episodes must be >= 1, got {episodes}")
        _check_env(env_id, env_kwargs)
    policy = make_policy(env_id, args.policy, seed=seed)
    if protocol is not None and args.seed is None:
        # every evaluation seed of the protocol, in order (as the leaderboard plays it)
        result = evaluate_seeds(
            policy, protocol.with_episodes(episodes), env_kwargs, video_dir=video_dir
        )
    else:
        result = evaluate(policy, env_id, episodes, seed, env_kwargs, video_dir=video_dir)
    result.policy = args.policy
    if args.json:
        payload = result.to_dict()
        if protocol is not None:
            payload["protocol"] = protocol.to_dict()
        print_json(payload)
    else:
        _print_evaluation(result, protocol.label if protocol is not None else None)
        if video_dir is not None:
            print(f"\nvideos: one mp4 per episode in {os.path.abspath(video_dir)}")
    return 0


def _print_evaluation(result: EvaluationResult, protocol_label: str | None) -> None:
    print(f"env:      {result.env_id}")
    if protocol_label is not None:
        print(f"protocol: {protocol_label}")
    print(f"policy:   {result.policy}")
    print(f"episodes: {len(result.returns)} (seed {result.seed})")
    print(f"return:   mean {result.mean:.4f}  std {result.std:.4f}")
    print(f"mean reward per step: {result.mean_reward:.4f} (ABR: the QoE score)")
    print(f"wall time: {result.wall_s:.2f} s")
    print()
    extra_keys = sorted({key for info in result.episode_info for key in info})
    rows = []
    for episode, (total, steps, mean) in enumerate(
        zip(result.returns, result.lengths, result.mean_rewards, strict=True)
    ):
        info = result.episode_info[episode] if episode < len(result.episode_info) else {}
        rows.append([episode, total, steps, mean] + [info.get(key, "") for key in extra_keys])
    print(format_table(["episode", "return", "steps", "mean_reward"] + extra_keys, rows))


# ---------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``netgym``; each command sets ``handler``."""
    parser = Parser(
        prog="netgym",
        description="netgym: RL environments for networked systems (envs, baselines, leaderboard)",
    )
    parser.add_argument("--version", action="version", version=f"netgym {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    list_parser = commands.add_parser(
        "list",
        help="registered envs, baselines and protocols",
        description="List envs, baselines per env and evaluation protocols.",
    )
    list_parser.add_argument("--json", action="store_true", help="machine-readable output")
    list_parser.set_defaults(handler=_cmd_list)

    eval_parser = commands.add_parser(
        "evaluate",
        help="evaluate one baseline on one env or protocol",
        description="Evaluate a baseline on --env (with --env-kwargs) or under --protocol.",
    )
    eval_parser.add_argument("--env", help="env id, e.g. netgym/AbrStreaming-v0")
    eval_parser.add_argument("--policy", required=True, help="baseline name (see 'netgym list')")
    eval_parser.add_argument(
        "--episodes", type=EPISODES, help="episodes (default: 10, or the protocol's)"
    )
    eval_parser.add_argument("--seed", type=SEED, help="seed (default: 0, or the protocol's)")
    eval_parser.add_argument(
        "--env-kwargs",
        metavar="JSON",
        help='JSON object passed to gym.make, e.g. \'{"qoe": "log"}\'',
    )
    eval_parser.add_argument(
        "--protocol", help="a protocol (see 'netgym list') instead of --env/--env-kwargs"
    )
    eval_parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder of the protocol (default: its data sets under $NETGYM_DATA or the "
        "user cache, see 'netgym data')",
    )
    eval_parser.add_argument(
        "--video",
        metavar="DIR",
        help="record every episode as an mp4 in DIR (the env's rgb_array frames through "
        'gymnasium\'s RecordVideo; needs pip install "netgym[video]")',
    )
    eval_parser.add_argument("--json", action="store_true", help="machine-readable output")
    eval_parser.set_defaults(handler=_cmd_evaluate)

    board.add_command(commands)
    train.add_command(commands)
    collect.add_command(commands)
    data.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``netgym`` command line.

    Args:
        argv: the arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 on a user error (reported as one line on stderr).
    """
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except CliError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, FileNotFoundError) as exc:
        # The library's contract for bad input: a message the user can act on.
        print(f"netgym: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (e.g. `netgym list | head`) closed the pipe: stop quietly, as Python's
        # signal documentation recommends, so that the interpreter's final flush stays silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("netgym: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
