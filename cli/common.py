"""What every ``netgym`` subcommand shares: the user-error type, tables, JSON and option parsing."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, NoReturn

from netgym.leaderboard.protocols import Protocol

EXIT_USAGE = 2
"""exit status of every user error, as argparse uses"""
EXIT_INTERRUPTED = 130
"""exit status after Ctrl-C (128 + SIGINT)"""


class CliError(Exception):
    """A user error: its message is printed as one line and the command exits with status 2."""

    def __init__(self, message: str, prog: str = "netgym") -> None:
        super().__init__(message)
        self.prog = prog
        """the (sub)command named in front of the message"""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors become ``CliError`` (one line, no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')", prog=self.prog)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Plain-text table with aligned columns: text left-aligned, numbers right-aligned.

    Args:
        headers: the column names.
        rows: the cells, one sequence per row; floats are shown with four decimals.

    Returns:
        The table as lines joined by newlines: the headers, a rule, then the rows.
    """
    cells = [[_cell(value) for value in row] for row in rows]
    numeric = [
        bool(cells) and all(_is_number(row[col]) for row in cells) for col in range(len(headers))
    ]
    widths = [
        max([len(header)] + [len(row[col]) for row in cells]) for col, header in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(list(headers)), rule] + [line(row) for row in cells])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def print_json(payload: Any) -> None:
    """Print ``payload`` as indented JSON (values JSON does not know as their ``str``)."""
    print(json.dumps(payload, indent=2, default=str))


def parse_json_object(text: str | None, option: str = "--env-kwargs") -> dict[str, Any]:
    """The JSON object given to ``option`` (``{}`` when the option is absent).

    Raises:
        ValueError: ``text`` is not JSON, or not a JSON object (the message names ``option``).
    """
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{option} is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option} must be a JSON object, got {type(value).__name__}: {text}")
    return value


def protocol_data(protocol: Protocol, data_dir: str | None) -> None:
    """Check the data folder of ``protocol``, pointing at --data-dir when it is missing.

    Raises:
        CliError: the protocol needs data that ``data_dir`` does not hold.
    """
    try:
        protocol.require_data(data_dir)
    except FileNotFoundError as exc:
        hint = "or give the data folder with --data-dir DIR" if data_dir is None else "--data-dir"
        raise CliError(f"{exc} ({hint})") from None


__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CliError",
    "Parser",
    "format_table",
    "parse_json_object",
    "print_json",
    "protocol_data",
]
