"""Reading GML topology files safely: checks before ``networkx`` parses anything.

``networkx.read_gml`` holds the whole parsed file in memory (about 20 times its size, measured
with ``networkx`` 3 on node and edge lists), parses nested lists recursively (a deeply nested
file ends in a ``RecursionError``) and says little about where a value is wrong. So
``read_gml_graph`` first checks that the path is a regular file, then scans it line by line
(memory of one line): it refuses a file whose parse would exceed the memory budget
(``GML_PARSE_BYTES_PER_BYTE`` times its size, ``envs/core/budget.py``) and lists nested deeper
than ``MAX_GML_DEPTH`` levels (with the line number), before the parser starts.

Parallel links and both directions of a directed pair are kept as separate links (a
``networkx.MultiGraph``); ``topologies.from_networkx`` keeps the shortest of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from ..core.budget import check_memory
from ..core.paths import check_regular_file

MAX_GML_DEPTH = 16
"""deepest nesting of GML lists accepted (a topology needs 3: graph, node, graphics)"""
GML_PARSE_BYTES_PER_BYTE = 32
"""memory of ``networkx.read_gml`` per byte of file, an upper estimate (about 18 measured)"""

_TOKENS = re.compile(rb'"[^"]*"?|#.*|\[|\]|\b(?:node|edge)\b')
"""what the scan needs: strings (possibly unterminated: they go on on the next lines, as
``networkx`` reads them), comments, list brackets and the node and edge keys"""


@dataclass(frozen=True)
class GmlScan:
    """What a quick pass over a GML file found (counts are upper estimates)."""

    size_bytes: int
    """file size"""
    n_nodes: int
    """``node`` keys outside strings"""
    n_edges: int
    """``edge`` keys outside strings"""
    max_depth: int
    """deepest list nesting"""


def scan_gml(path: Path) -> GmlScan:
    """One pass over ``path`` in constant memory: node and edge counts and the nesting depth.

    Raises:
        ValueError: lists nested deeper than ``MAX_GML_DEPTH`` (the message names the line).
    """
    depth = max_depth = nodes = edges = 0
    in_string = False
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            start = 0
            if in_string:  # a string that began on an earlier line
                close = line.find(b'"')
                if close < 0:
                    continue
                in_string, start = False, close + 1
            for match in _TOKENS.finditer(line, start):
                token = match.group()
                if token[:1] == b'"':
                    if len(token) == 1 or token[-1:] != b'"':
                        in_string = True
                    continue
                if token[:1] == b"#":
                    break
                if token == b"[":
                    depth += 1
                    if depth > MAX_GML_DEPTH:
                        raise ValueError(
                            f"{path} line {number}: GML lists are nested deeper than "
                            f"{MAX_GML_DEPTH} levels; a topology needs 3 (graph, node, graphics)"
                        )
                    max_depth = max(max_depth, depth)
                elif token == b"]":
                    depth = max(depth - 1, 0)
                elif token == b"node":
                    nodes += 1
                else:
                    edges += 1
    return GmlScan(path.stat().st_size, nodes, edges, max_depth)


def read_gml_graph(path: str | Path) -> tuple[nx.MultiGraph, GmlScan]:
    """Parse a GML topology file into an undirected multigraph (every link kept).

    Returns:
        The graph (nodes labelled by their GML ``label``) and the scan of the file.

    Raises:
        FileNotFoundError: nothing exists at ``path``.
        ValueError: not a regular file, nested too deeply, too large for the memory budget,
            or not valid GML; the message starts with the file name.
    """
    path = check_regular_file(path, "GML topology file")
    size = path.stat().st_size
    check_memory(
        "GML topology loader",
        GML_PARSE_BYTES_PER_BYTE * size,
        f"{path}: {size} bytes, parsed by networkx at about {GML_PARSE_BYTES_PER_BYTE} bytes "
        "per byte",
    )
    scan = scan_gml(path)
    try:
        graph = nx.read_gml(path, label="label")
    except (nx.NetworkXError, ValueError, UnicodeDecodeError, RecursionError) as err:
        raise ValueError(f"{path}: not a valid GML topology ({err})") from None
    merged = nx.MultiGraph(name=graph.graph.get("name", ""))
    merged.add_nodes_from(graph.nodes(data=True))
    for u, v, data in graph.edges(data=True):
        merged.add_edge(u, v, **data)  # a new key each time: parallel links and directions stay
    return merged, scan


__all__ = [
    "GML_PARSE_BYTES_PER_BYTE",
    "MAX_GML_DEPTH",
    "GmlScan",
    "check_regular_file",
    "read_gml_graph",
    "scan_gml",
]
