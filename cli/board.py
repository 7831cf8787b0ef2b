"""``netgym leaderboard run | submit | verify | export | docs``: the leaderboard commands.

Examples::

    netgym leaderboard run --quick --out leaderboard-quick
    netgym leaderboard run --protocols abr-synthetic,uav-paper --workers 2 --out lb
    netgym leaderboard run --protocols abr-synthetic --entries runs/my-ppo-run --out lb
    netgym leaderboard run --protocols hsdpa142,fcc100 --data-dir ../shared/data/abr --backend ray
    netgym leaderboard submit --entry runs/netgym_AbrStreaming-v0/ppo/seed-0 --out ppo.zip
    netgym leaderboard run --quick --entries sb3:ppo:model.zip,logs/ppo/netgym-AbrStreaming-v0_1 \
        --trust-code --protocols abr-synthetic --out lb
    netgym leaderboard verify ppo.zip
    netgym leaderboard export lb --rliable scores.npz --protocols uav-paper,repeater-chain
    netgym leaderboard docs --write --results leaderboard-quick

Every printing and the progress bar (tqdm, on stderr when it is a terminal) live here; the
library (``netgym.leaderboard.board``, ``runner``, ``report``, ``submission``) returns values.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from netgym.leaderboard.protocols import Protocol, default_protocols, get_protocol
from netgym.leaderboard.report import fmt

from .common import (
    EPISODES,
    EXIT_INTERRUPTED,
    MAX_WORKERS,
    WORKERS,
    CliError,
    format_table,
    int_option,
    new_file,
    print_json,
    protocol_data,
)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise CliError(f"expected a comma-separated list of names, got {text!r}")
    return names


def _protocols(args: argparse.Namespace) -> list[Protocol]:
    names = _names(args.protocols)
    if names is None:
        chosen = default_protocols(quick=args.quick, data_dir=args.data_dir)
    else:
        chosen = [get_protocol(name) for name in names]
        if args.quick:
            chosen = [p if p.name.endswith("-quick") else p.quick() for p in chosen]
    for protocol in chosen:
        protocol_data(protocol, args.data_dir)
    episodes = getattr(args, "episodes", None)
    return [protocol.with_episodes(episodes) for protocol in chosen]


def _progress_bar(enabled: bool) -> tuple[Any, Any]:
    """(callback, bar): a tqdm bar on stderr (None when disabled or tqdm is missing)."""
    if not enabled:
        return None, None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None, None
    bar = tqdm(total=0, unit="task", file=sys.stderr, disable=None, desc="leaderboard")

    def progress(done: int, total: int, task: Any) -> None:
        bar.total = total
        bar.n = done
        if task is not None:
            bar.set_postfix_str(f"{task.protocol} {task.entry.name} seed {task.seed}", False)
        bar.refresh()

    return progress, bar


def _cmd_run(args: argparse.Namespace) -> int:
    from netgym.leaderboard.board import run_leaderboard
    from netgym.leaderboard.entries import parse_entry
    from netgym.leaderboard.report import results_payload, write_reports

    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        bound = ">= 1" if args.workers < 1 else f"at most {MAX_WORKERS}"
        raise CliError(f"--workers must be {bound}, got {args.workers}")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise CliError(
            f"--out {args.out} is a file; give a folder for the reports and the task cache"
        )
    if args.address is not None and args.backend != "ray":
        raise CliError("--address is for --backend ray")
    protocols = _protocols(args)
    entries = [parse_entry(text, args.trust_code) for text in (_names(args.entries) or [])]
    progress, bar = _progress_bar(not args.no_progress)
    try:
        board = run_leaderboard(
            protocols,
            entries,
            policies=_names(args.policies),
            data_dir=args.data_dir,
            workers=args.workers if args.backend == "ray" else args.workers or 1,
            backend=args.backend,
            out_dir=args.out,
            address=args.address,
            progress=progress,
        )
    except KeyboardInterrupt:
        if args.out is not None:
            print(
                f"netgym leaderboard run: interrupted; finished tasks are cached in {args.out}; "
                "run the same command again to resume",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        raise
    finally:
        if bar is not None:
            bar.close()
    written = write_reports(board, args.out) if args.out is not None else []
    payload = results_payload(board)
    if args.json:
        print_json(payload)
        return 0
    print(run_tables(payload))
    for path in written:
        print(f"wrote {path}")
    return 0


def run_tables(payload: dict[str, Any]) -> str:
    """The per-task and suite tables of a leaderboard run, from its ``results.json`` data."""
    rows = [
        (
            f"{row['protocol']}@{row['version']}",
            row["entry"],
            "-" if row["train_seed"] is None else row["train_seed"],
            row["mean"],
            row["std"],
            f"[{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]",
            f"{fmt(row['normalised'])}",
            row["episodes"],
        )
        for row in payload["rows"]
    ]
    suite = [
        (
            e["entry"],
            f"{fmt(e['iqm'])}",
            f"[{fmt(e['ci_low'])}, {fmt(e['ci_high'])}]",
            len(e["tasks"]),
            e["runs"],
        )
        for e in payload["suite"]
    ]
    headers = ["protocol", "entry", "seed", "mean", "std", "ci95", "normalised", "episodes"]
    return "\n".join(
        [
            format_table(headers, rows),
            "",
            format_table(["entry", "iqm", "ci95", "tasks", "runs"], suite),
            "",
            "score = mean reward per step per episode, averaged over episodes (std over "
            "episodes, 95% bootstrap CI); normalised: the protocol's 0 anchor (random, or a floor "
            "where random is catastrophic) = 0, its reference baseline = 1; iqm: "
            "interquartile mean of the normalised scores of all runs x tasks, 95% stratified "
            "bootstrap CI",
            f"{len(payload['rows'])} rows in {payload['wall_s']:.1f} s",
        ]
    )


def _cmd_docs(args: argparse.Namespace) -> int:
    from netgym.leaderboard.docs import protocol_table, replace_block, update_protocols

    if not args.write:
        print(protocol_table())
        return 0
    path = Path(args.file)
    if not path.is_file():
        raise CliError(
            f"no {path} here: run from the repository root or give the page with --file",
            prog="netgym leaderboard docs",
        )
    old, new = update_protocols(path)
    if args.results is not None:
        results = Path(args.results)
        results = results / "results.json" if results.is_dir() else results
        payload = json.loads(results.read_text(encoding="utf-8"))
        block = "```text\n" + run_tables(payload) + "\n```"
        new = replace_block(new, "quick-leaderboard", block)
    if new == old:
        print(f"{path} is up to date")
        return 0
    path.write_text(new, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _cmd_submit(args: argparse.Namespace) -> int:
    from netgym.leaderboard.submission import submit

    new_file(args.out, "--out", overwrite=True)  # a folder fails before the evaluation
    protocols = _protocols(args) if args.protocols is not None or args.quick else None
    manifest = submit(
        args.entry,
        args.out,
        protocols=protocols,
        data_dir=args.data_dir,
        workers=args.workers or 1,
        trust_code=args.trust_code,
    )
    if args.json:
        print_json(manifest)
        return 0
    print(f"wrote {args.out}: entry {manifest['entry']['name']} ({manifest['policy']})")
    for name, info in manifest["protocols"].items():
        print(f"  {name}@{info['version']}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from netgym.leaderboard.export import load_results, rliable_arrays, write_npz

    if Path(args.rliable).suffix != ".npz":
        raise CliError(f"--rliable {args.rliable}: give a file ending in .npz")
    new_file(args.rliable, "--rliable", overwrite=True)
    try:
        export = rliable_arrays(
            load_results(args.results),
            entries=_names(args.entries),
            protocols=_names(args.protocols),
            common_tasks=args.common_tasks,
        )
    except ValueError as err:
        raise CliError(f"leaderboard export: {err}") from None
    path = write_npz(export, args.rliable)
    for name in export.entries:
        runs, tasks = export.scores[name].shape
        print(f"{name}: {runs} runs x {tasks} tasks")
        for task, left in export.cut.get(name, {}).items():
            print(f"  {task}: {left} runs left out (its other tasks have only {runs})")
    print(f"wrote {path} (rliable's runs x tasks arrays of normalised scores)")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from netgym.leaderboard.submission import SubmissionError, verify

    try:
        result = verify(
            args.file,
            sample=args.sample,
            max_episodes=args.max_episodes,
            trust_code=args.trust_code,
            data_dir=args.data_dir,
            salt=args.salt,
        )
    except SubmissionError as err:
        reason = " ".join(str(err).split())  # one line, whatever the message holds
        print(f"netgym leaderboard verify: REJECTED {args.file}: {reason}", file=sys.stderr)
        return 1
    if args.json:
        print_json(vars(result))
        return 0
    print(f"ACCEPTED {args.file}: entry {result.entry}, {result.rows} rows")
    print(f"  salt {result.salt} (repeat this verification with --salt {result.salt})")
    for name, version in result.protocols.items():
        print(f"  protocol {name}@{version}")
    for block in result.rerun:
        print(
            f"  re-ran {block['entry']} on {block['protocol']} seed {block['seed']} "
            f"({block['episodes']} episodes): max |diff| {block['max_abs_diff']:.2g}"
        )
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def add_command(commands: Any) -> None:
    """Add ``leaderboard`` with ``run``, ``submit``, ``verify``, ``export`` and ``docs`` to
    ``commands`` (the sub-parsers of ``netgym``)."""
    board_parser = commands.add_parser(
        "leaderboard",
        help="evaluate baselines under the evaluation protocols",
        description="Leaderboard commands.",
    )
    board_commands = board_parser.add_subparsers(
        dest="leaderboard_command", metavar="SUBCOMMAND", required=True
    )
    run = board_commands.add_parser(
        "run",
        help="score baselines and entries under the protocols; write reports",
        description="Evaluate every baseline of each protocol's env plus the given entries, "
        "print the per-task and suite tables and, with --out, write results.csv, "
        "results.json, leaderboard.md and report.html (finished tasks are cached there, so an "
        "interrupted run resumes).",
    )
    run.add_argument("--protocols", metavar="P1,P2", help="protocols (default: all without data)")
    run.add_argument(
        "--entries",
        metavar="E1,E2",
        help="[NAME=]SPEC entries: train.py or rl-baselines3-zoo run folders, module:Class "
        "policies, SB3 models sb3:ALGO:PATH.zip (zoo runs and SB3 models need --trust-code)",
    )
    run.add_argument(
        "--trust-code",
        action="store_true",
        help="allow entries that run code when loaded: SB3 .zip models and zoo runs (unpickled)",
    )
    run.add_argument(
        "--policies", metavar="A,B", help="baselines (default: all; anchors always run)"
    )
    run.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="parallel worker processes (default 1); Ray: tasks in flight (default: all CPUs)",
    )
    run.add_argument("--backend", choices=("local", "ray"), default="local")
    run.add_argument("--address", help="address of an existing Ray cluster (--backend ray)")
    run.add_argument("--out", metavar="DIR", help="report folder and task cache")
    run.add_argument(
        "--quick", action="store_true", help="the quick variant of every protocol (seconds)"
    )
    run.add_argument("--data-dir", metavar="DIR", help="data folder of the protocols")
    run.add_argument(
        "--episodes", type=EPISODES, help="fewer episodes per seed (a new protocol version)"
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--json", action="store_true", help="print results.json to stdout")
    run.set_defaults(handler=_cmd_run)

    submit = board_commands.add_parser(
        "submit",
        help="pack an entry's results and policy into a submission file",
        description="Evaluate a train.py run folder (or a module:Class policy) under its "
        "env's protocols and pack results, protocol versions, environment fingerprint, "
        "checksums and the policy (safe formats only) into a zip file.",
    )
    submit.add_argument(
        "--entry",
        required=True,
        help="train.py run folder, module:Class, sb3:ALGO:PATH.zip or rl-baselines3-zoo run folder",
    )
    submit.add_argument(
        "--trust-code",
        action="store_true",
        help="allow loading an SB3 .zip or a zoo run (SB3 unpickles them); they are packed as "
        "weights, which verify reads without unpickling",
    )
    submit.add_argument("--out", required=True, metavar="FILE", help="submission zip to write")
    submit.add_argument("--protocols", metavar="P1,P2", help="protocols (default: all of its env)")
    submit.add_argument("--quick", action="store_true", help="quick protocol variants")
    submit.add_argument("--data-dir", metavar="DIR", help="data folder of the protocols")
    submit.add_argument("--workers", type=WORKERS, metavar="N", help="parallel workers")
    submit.add_argument("--json", action="store_true", help="print the manifest")
    submit.set_defaults(handler=_cmd_submit)

    verify = board_commands.add_parser(
        "verify",
        help="check a submission and re-run a sample of its episodes",
        description="Check the zip, schema, protocol versions, checksums and consistency "
        "without running submitted code (a policy class needs --trust-code), then re-run every "
        "seed block of the entry and a random sample of the baseline blocks. Exit 0: accepted; "
        "1: rejected (one line on stderr says why).",
    )
    verify.add_argument("file", type=Path, help="submission zip")
    verify.add_argument(
        "--sample",
        type=int_option(0, 1_000_000),
        default=3,
        help="baseline seed blocks to re-run besides every block of the entry (default 3)",
    )
    verify.add_argument(
        "--max-episodes",
        type=EPISODES,
        metavar="N",
        help="episodes re-run per block (default: all; fewer leave later episodes unchecked)",
    )
    verify.add_argument(
        "--salt",
        help="mixed into the choice of the baseline sample (default: random, and printed, so "
        "that the submitter cannot predict it; give it to repeat a verification)",
    )
    verify.add_argument(
        "--trust-code", action="store_true", help="allow entries that run code (policy classes)"
    )
    verify.add_argument("--data-dir", metavar="DIR", help="data folder of the protocols")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.set_defaults(handler=_cmd_verify)

    export = board_commands.add_parser(
        "export",
        help="write a run's scores for other tools (rliable's runs x tasks arrays)",
        description="Read the results.json of 'netgym leaderboard run --out DIR' and write, "
        "per entry, its normalised scores as a runs x tasks array (rliable's layout; a run is "
        "a training seed on an evaluation seed block), the raw scores and the task labels "
        "beside, into one .npz (numbers and strings only: np.load reads it without pickle).",
    )
    export.add_argument(
        "results", help="the --out folder of a leaderboard run, or its results.json"
    )
    export.add_argument("--rliable", required=True, metavar="FILE.npz", help="the .npz to write")
    export.add_argument("--entries", metavar="E1,E2", help="entries to export (default: all)")
    export.add_argument("--protocols", metavar="P1,P2", help="protocols to export (default: all)")
    export.add_argument(
        "--common-tasks",
        action="store_true",
        help="give every entry the same columns: the tasks all the exported entries played",
    )
    export.set_defaults(handler=_cmd_export)

    docs = board_commands.add_parser(
        "docs",
        help="print or rewrite the generated tables of docs/leaderboard.md",
        description="Print the protocol table (name, env, current version, seeds x episodes, "
        "data, metric, anchors, description) as Markdown, or with --write rewrite the "
        "generated blocks of the leaderboard page between their marker comments.",
    )
    docs.add_argument("--write", action="store_true", help="rewrite the page's generated blocks")
    docs.add_argument(
        "--file", default="docs/leaderboard.md", help="the page (default docs/leaderboard.md)"
    )
    docs.add_argument(
        "--results",
        metavar="DIR",
        help="also the quick-leaderboard block, from DIR/results.json of "
        "'netgym leaderboard run --quick --out DIR'",
    )
    docs.set_defaults(handler=_cmd_docs)


__all__ = ["add_command"]
