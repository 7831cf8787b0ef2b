"""Generated tables of ``docs/leaderboard.md``: text between marker comments that a script writes.

A generated block sits between ``<!-- BEGIN generated: NAME -->`` and
``<!-- END generated: NAME -->``; ``replace_block`` rewrites it. The ``protocols`` block is the
table of every registered protocol and its quick variant with their current versions
(``protocol_table``); ``netgym leaderboard docs --write`` regenerates it (and, given a
``results.json`` of ``netgym leaderboard run --quick``, the ``quick-leaderboard`` block), and a
test fails when a documented version is no longer current.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .protocols import PROTOCOLS, Protocol

LABEL = re.compile(r"\b([a-z0-9][a-z0-9-]*)@([0-9a-f]{12})\b")
"""a protocol label ``name@version`` in text"""
REGENERATE = "netgym leaderboard docs --write"
"""the command that rewrites the generated blocks of the docs"""


def begin_marker(name: str) -> str:
    """The comment that opens the generated block ``name``."""
    return f"<!-- BEGIN generated: {name} (by `{REGENERATE}`; do not edit) -->"


def end_marker(name: str) -> str:
    """The comment that closes the generated block ``name``."""
    return f"<!-- END generated: {name} -->"


def documented_protocols() -> list[Protocol]:
    """Every registered protocol, each followed by its quick variant when it has one."""
    out = []
    for protocol in PROTOCOLS.values():
        out.append(protocol)
        if protocol.quick_episodes is not None:
            out.append(protocol.quick())
    return out


def _anchors(protocol: Protocol) -> str:
    a = protocol.anchors
    best = a.oracle or (f"bound {a.bound:.3g}" if a.bound is not None else "-")
    return f"{a.random} / {a.reference} / {best}"


def protocol_table(protocols: Iterable[Protocol] | None = None) -> str:
    """The Markdown table of ``protocols`` (default: ``documented_protocols()``): name, env,
    version, seeds x episodes, data, metric, anchors (0 / 1 / best) and description."""
    rows = [
        "| protocol | env | version | seeds x episodes | data | metric | anchors: 0 / 1 / best "
        "| description |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in documented_protocols() if protocols is None else protocols:
        base = p.name.removesuffix("-quick")
        quick = p.name != base and base in PROTOCOLS
        description = f"quick variant of `{base}`" if quick else p.description
        data = ", ".join(f"`{name}`" for name in p.datasets) or (
            ", ".join(f"`{name}/`" for name in p.data_folders) or "embedded"
        )
        metric = "return" if p.metric == "mean" else "mean reward per step"
        cells = [
            f"`{p.name}`",
            p.env_id.removeprefix("netgym/"),
            f"`{p.version}`",
            f"{len(p.eval_seeds)} x {p.episodes}",
            data,
            metric,
            _anchors(p),
            description.replace("|", "\\|"),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def replace_block(text: str, name: str, content: str) -> str:
    """``text`` with the generated block ``name`` holding ``content``.

    Raises:
        ValueError: the block's markers are missing (the message names them).
    """
    begin, end = begin_marker(name), end_marker(name)
    start = text.find(begin)
    stop = text.find(end, start + 1)
    if start < 0 or stop < 0:
        raise ValueError(f"the docs have no generated block {name!r}: expected {begin} ... {end}")
    return text[: start + len(begin)] + "\n" + content.strip("\n") + "\n" + text[stop:]


def stale_labels(text: str) -> list[str]:
    """The ``name@version`` labels in ``text`` whose version is not the current one (unknown
    protocol names included)."""
    current = {p.name: p.version for p in documented_protocols()}
    stale = []
    for match in LABEL.finditer(text):
        name, version = match.groups()
        if name in current and current[name] != version:
            stale.append(match.group(0))
        elif name not in current and name.removesuffix("-quick") in PROTOCOLS:
            stale.append(match.group(0))
    return sorted(set(stale))


def update_protocols(path: str | Path) -> tuple[str, str]:
    """(old text, new text) of the docs page ``path`` with its ``protocols`` block regenerated."""
    old = Path(path).read_text(encoding="utf-8")
    return old, replace_block(old, "protocols", protocol_table())


__all__ = [
    "LABEL",
    "REGENERATE",
    "begin_marker",
    "documented_protocols",
    "end_marker",
    "protocol_table",
    "replace_block",
    "stale_labels",
    "update_protocols",
]
