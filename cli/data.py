"""``netgym data list | fetch | verify | path``: the public data sets the protocols use.

Examples::

    netgym data list
    netgym data fetch abr/fcc-test abr/hsdpa-test abr/video1
    netgym data fetch --all --mirror https://lab.example.org/netgym-data --workers 8
    netgym data verify
    netgym data path abr/fcc-test

The data root is ``--root``, else ``$NETGYM_DATA``, else ``~/.cache/netgym/data``
(``netgym.data``). ``fetch`` exits with 1 when a file cannot be fetched, ``verify`` with 1
naming each file that is missing or not the published one, ``path`` with 1 when the data set
is not complete; user errors (an unknown name) exit with 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from netgym.data import (
    FetchError,
    FetchProgress,
    dataset_folder,
    fetch,
    fetch_command,
    fetched,
    get_dataset,
    load_manifest,
    root_origin,
    verify,
)
from netgym.data import data_root as resolve_root

from .common import CliError, format_table, print_json

EXIT_FAILED = 1
"""a fetch failed, a file is bad, a data set is incomplete"""


def _size(n_bytes: int) -> str:
    """``n_bytes`` in kB or MB (powers of 1000), one decimal."""
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} kB"
    return f"{n_bytes / 1_000_000:.1f} MB"


def _names(args: argparse.Namespace) -> list[str]:
    """The full names of ``args.names`` (CliError for an unknown one)."""
    try:
        return list(dict.fromkeys(get_dataset(name).name for name in args.names))
    except ValueError as err:
        raise CliError(str(err), prog=f"netgym data {args.data_command}") from None


# ---------------------------------------------------------------------------------- list
def _cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for dataset in load_manifest().values():
        present, total = fetched(dataset, args.root)
        rows.append(
            {
                "name": dataset.name,
                "files": total,
                "bytes": dataset.size,
                "licence": dataset.licence,
                "source": dataset.source,
                "fetched": present == total,
                "files_present": present,
                "description": dataset.description,
                "folder": str(dataset_folder(dataset.name, args.root)),
            }
        )
    if args.json:
        print_json({"root": str(resolve_root(args.root)), "datasets": rows})
        return 0
    print(f"data root: {resolve_root(args.root)} (from {root_origin(args.root)})")
    print(
        format_table(
            ["data set", "files", "size", "licence", "fetched", "source"],
            [
                (
                    row["name"],
                    row["files"],
                    _size(row["bytes"]),
                    row["licence"],
                    _fetched(row["files_present"], row["files"]),
                    row["source"],
                )
                for row in rows
            ],
        )
    )
    return 0


def _fetched(present: int, total: int) -> str:
    if present == total:
        return "yes"
    return "no" if present == 0 else f"partly ({present}/{total})"


# ---------------------------------------------------------------------------------- fetch
def _progress_bar(enabled: bool) -> tuple[Any, Any]:
    """(callback, bar): a tqdm bar over bytes on stderr, with the files in its postfix."""
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(
        total=0, unit="B", unit_scale=True, file=sys.stderr, disable=None, desc="netgym data"
    )

    def progress(state: FetchProgress) -> None:
        bar.total = state.bytes_total
        bar.n = state.bytes_done
        bar.set_postfix_str(f"files {state.files_done}/{state.files_total}", refresh=False)
        bar.refresh()

    return progress, bar


def _cmd_fetch(args: argparse.Namespace) -> int:
    prog = "netgym data fetch"
    if args.all == bool(args.names):
        raise CliError("give data set names or --all (see 'netgym data list')", prog=prog)
    if args.workers < 1:
        raise CliError(f"--workers must be >= 1, got {args.workers}", prog=prog)
    if args.retries < 0:
        raise CliError(f"--retries must be >= 0, got {args.retries}", prog=prog)
    names = list(load_manifest()) if args.all else _names(args)
    progress, bar = _progress_bar(not args.no_progress)
    try:
        report = fetch(
            names,
            root=args.root,
            mirror=args.mirror,
            workers=args.workers,
            retries=args.retries,
            timeout_s=args.timeout,
            progress=progress,
        )
    except FetchError as err:
        failure: FetchError | None = err
    except ValueError as err:  # a bad --mirror
        raise CliError(str(err), prog=prog) from None
    except OSError as err:  # e.g. a data root that cannot be written
        failure = FetchError(f"cannot write the data sets under {resolve_root(args.root)}: {err}")
    else:
        failure = None
    finally:
        if bar is not None:
            bar.close()
    if failure is not None:
        print(f"{prog}: error: {failure}", file=sys.stderr)
        return EXIT_FAILED
    for name in report.datasets:
        dataset = get_dataset(name)
        print(f"{name}: {len(dataset.files)} files, {_size(dataset.size)} in {report.root / name}")
    print(
        f"fetched {len(report.downloaded)} files ({_size(report.bytes_downloaded)}); "
        f"{len(report.skipped)} were already there and valid"
    )
    return 0


# ---------------------------------------------------------------------------------- verify
def _cmd_verify(args: argparse.Namespace) -> int:
    names = _names(args) if args.names else None
    results = verify(names, args.root)
    if args.json:
        print_json(
            {
                "root": str(resolve_root(args.root)),
                "datasets": {
                    name: [{"file": p.file, "path": str(p.path), "reason": p.reason} for p in bad]
                    for name, bad in results.items()
                },
            }
        )
        return EXIT_FAILED if not results or any(results.values()) else 0
    if not results:
        print(
            f"netgym data verify: no data set under {resolve_root(args.root)} "
            f"(from {root_origin(args.root)}); run `netgym data fetch NAME`",
            file=sys.stderr,
        )
        return EXIT_FAILED
    failed = []
    for name, problems in results.items():
        if not problems:
            print(f"{name}: ok ({len(get_dataset(name).files)} files)")
            continue
        failed.append(name)
        print(f"{name}: {len(problems)} bad files")
        for problem in problems:
            print(f"  {problem}")
    if failed:
        print(
            f"netgym data verify: {len(failed)} data sets differ from the manifest; "
            f"`{fetch_command(failed, args.root)}` repairs them",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


# ---------------------------------------------------------------------------------- path
def _cmd_path(args: argparse.Namespace) -> int:
    (name,) = _names(argparse.Namespace(names=[args.name], data_command="path"))
    print(dataset_folder(name, args.root))
    present, total = fetched(name, args.root)
    if present != total:
        print(
            f"netgym data path: {name} is not fetched ({present} of {total} files); "
            f"run `{fetch_command([name], args.root)}`",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


# ---------------------------------------------------------------------------------- parser
def add_command(commands: Any) -> None:
    """Add ``netgym data`` and its subcommands to the ``netgym`` parser's ``commands``."""
    data = commands.add_parser(
        "data",
        help="list, fetch and verify the public data sets",
        description="The public data sets the protocols use: list them, fetch them (verified "
        "against their sha256) into the data root, verify them, print their folder. The data "
        "root is --root, else $NETGYM_DATA, else ~/.cache/netgym/data.",
    )
    sub = data.add_subparsers(dest="data_command", metavar="COMMAND", required=True)

    def root_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--root", metavar="DIR", help="data root (default: $NETGYM_DATA or the user cache)"
        )

    listing = sub.add_parser("list", help="every data set: files, size, licence, source, fetched?")
    root_option(listing)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_cmd_list)

    get = sub.add_parser(
        "fetch",
        help="download data sets, verified",
        description="Download data sets into the data root; each file is checked against its "
        "sha256 and only then put in place, files already valid are skipped (a second run "
        "resumes). Nothing else in netgym downloads.",
    )
    get.add_argument("names", nargs="*", metavar="NAME", help="data sets (e.g. abr/fcc-test)")
    get.add_argument("--all", action="store_true", help="every data set of 'netgym data list'")
    root_option(get)
    get.add_argument(
        "--mirror",
        metavar="URL",
        help="fetch URL/<name>/<file> instead of upstream (default: $NETGYM_DATA_MIRROR); "
        "a folder laid out as the data root works too",
    )
    get.add_argument("--workers", type=int, default=4, help="parallel downloads (default 4)")
    get.add_argument(
        "--retries", type=int, default=3, help="tries after a transient failure (default 3)"
    )
    get.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="network timeout (default 30 s)"
    )
    get.add_argument("--no-progress", action="store_true", help="no progress bar")
    get.set_defaults(handler=_cmd_fetch)

    check = sub.add_parser(
        "verify",
        help="check every file against its sha256",
        description="Check every file of the data sets (default: those under the data root) "
        "against the manifest; exit 1 naming each missing or changed file.",
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="data sets (default: all found)")
    root_option(check)
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(handler=_cmd_verify)

    where = sub.add_parser("path", help="print a data set's folder (for scripts)")
    where.add_argument("name", metavar="NAME")
    root_option(where)
    where.set_defaults(handler=_cmd_path)
