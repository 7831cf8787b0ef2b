"""What ``verify`` checks in a submission's JSON before it runs anything.

* ``check_manifest``: the schema, every field's type, the policy kind (the one trusted place
  that decides what a re-run loads: the rows' own ``kind`` never does), the entry's agent, and
  that the files listed are exactly the members with their sha256.
* ``check_protocols``: every protocol is this netgym's, at the same version, on the same env.
* ``check_rows``: each row's types and internal consistency (episodes, mean, std, the
  normalised scores from the protocol's own anchors: its zero anchor, the random policy or a
  floor, and its reference), and coverage: per protocol, the entry and every baseline a
  leaderboard run requires (``Anchors.required``: the zero anchor, the reference, and the
  random policy beside a floor) each have exactly one row, covering exactly the protocol's
  evaluation seeds in order; every other row is one of the protocol's baselines.

Every failure raises ``SubmissionError`` with one line naming the file, the row and the field.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import numpy as np

from . import stats
from .protocols import Protocol, get_protocol
from .submission_files import (
    SubmissionError,
    check_member_name,
    check_suffix,
    get_field,
    list_of,
    parse_json,
    require,
)

SCHEMA = "netgym-submission"
FORMAT = 1
TABULAR_AGENTS = ("sarsa", "qlearning")
SB3_AGENTS = ("ppo", "a2c", "dqn", "sac", "td3", "maskable-ppo")
POLICY_KINDS: dict[str, tuple[str | None, ...]] = {
    "tabular": TABULAR_AGENTS,
    "pso": ("pso",),
    "sb3": SB3_AGENTS,
    "class": (None,),
}
"""policy kind -> the agents it may name (a class names none)"""
ENTRY_KINDS: dict[str, tuple[str, ...]] = {"class": ("class",), "sb3": ("run", "sb3", "zoo")}
"""policy kind -> the entry kinds it may come from (default: a train.py run): SB3 weights come
from a run folder, an SB3 .zip or a zoo run, converted to weights by ``submit``"""
DATA_KINDS = ("tabular", "pso", "sb3")
"""kinds whose policy is data (read from safe formats); any other kind runs code"""
MAX_PROTOCOLS = 64
MAX_ROWS = 4096
MAX_SCORES = 100_000
"""the most protocols, rows and per-episode scores per row a submission may hold"""
MAX_NAME = 200
"""the longest entry, agent, target or protocol name"""
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _name(obj: dict[str, Any], key: str, where: str, optional: bool = False) -> str | None:
    value = get_field(obj, key, "str?" if optional else "str", where)
    require(
        value is None or 0 < len(value) <= MAX_NAME,
        f"{where}.{key} must have 1 to {MAX_NAME} characters",
    )
    return value


# ---------------------------------------------------------------------------------- manifest
def check_manifest(members: dict[str, bytes]) -> dict[str, Any]:
    """The manifest, checked (module doc); ``SubmissionError`` names what is wrong."""
    require("manifest.json" in members, "manifest.json is missing")
    manifest = parse_json(members["manifest.json"], "manifest.json")
    require(isinstance(manifest, dict), "manifest.json is not an object")
    schema = get_field(manifest, "schema", "str", "manifest")
    require(schema == SCHEMA, f"schema is {schema!r}, not {SCHEMA!r}")
    fmt = get_field(manifest, "format", "int", "manifest")
    require(fmt == FORMAT, f"format {fmt!r} is not {FORMAT}")
    kind = get_field(manifest, "policy", "str", "manifest")
    require(
        kind != "baseline",
        "policy kind 'baseline': a baseline is an anchor of every protocol, not a submission",
    )
    require(kind in POLICY_KINDS, f"unknown policy kind {kind!r}; known: {sorted(POLICY_KINDS)}")
    entry = get_field(manifest, "entry", "dict", "manifest")
    _name(entry, "name", "manifest.entry")
    _name(entry, "target", "manifest.entry")
    _name(entry, "env_id", "manifest.entry", optional=True)
    get_field(entry, "train_seed", "int?", "manifest.entry")
    get_field(entry, "n_timesteps", "int?", "manifest.entry")
    get_field(entry, "fingerprint", "str", "manifest.entry")
    entry_kind = get_field(entry, "kind", "str", "manifest.entry")
    expected = ENTRY_KINDS.get(kind, ("run",))
    require(
        entry_kind in expected,
        f"manifest.entry.kind is {entry_kind!r}, but a {kind} policy is entered as "
        f"{' or '.join(repr(k) for k in expected)}",
    )
    agent = entry.get("agent")
    require(
        agent in POLICY_KINDS[kind],
        f"manifest.entry.agent {agent!r} is not one of {list(POLICY_KINDS[kind])} "
        f"(policy kind {kind})",
    )
    env_kwargs = entry.get("env_kwargs", {})
    require(isinstance(env_kwargs, dict), "manifest.entry.env_kwargs must be an object")
    for key, value in env_kwargs.items():
        require(
            value is None or isinstance(value, (str, int, float, bool)),
            f"manifest.entry.env_kwargs.{key} must be a plain value, got {value!r}",
        )
    protocols = get_field(manifest, "protocols", "dict", "manifest")
    require(
        0 < len(protocols) <= MAX_PROTOCOLS, f"manifest.protocols must name 1 to {MAX_PROTOCOLS}"
    )
    for name, declared in protocols.items():
        where = f"manifest.protocols.{name}"
        for key in ("version", "env_id", "behaviour_sha256"):
            get_field(declared, key, "str", where)
    environment = get_field(manifest, "environment", "dict", "manifest")
    get_field(environment, "netgym_version", "str?", "manifest.environment")
    packages = environment.get("packages") or {}
    require(isinstance(packages, dict), "manifest.environment.packages must be an object")
    for name, version in packages.items():
        require(
            version is None or isinstance(version, str),
            f"manifest.environment.packages.{name} must be a string or null",
        )
    _check_files(manifest, members)
    return manifest


def _check_files(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
    files = get_field(manifest, "files", "dict", "manifest")
    listed = set(files)
    present = set(members) - {"manifest.json"}
    require(not present - listed, f"files not in the manifest: {sorted(present - listed)}")
    require(not listed - present, f"files in the manifest but missing: {sorted(listed - present)}")
    for name in sorted(listed):
        reason = check_member_name(name) or check_suffix(name)
        require(reason is None, f"{name}: {reason}")
        digest = files[name]
        require(
            isinstance(digest, str) and _SHA256.fullmatch(digest) is not None,
            f"manifest.files.{name} must be a sha256 in hex, got {digest!r}",
        )
        actual = sha256(members[name])
        require(actual == digest, f"checksum mismatch for {name}: manifest {digest}, file {actual}")


# ---------------------------------------------------------------------------------- protocols
def check_protocols(manifest: dict[str, Any]) -> dict[str, Protocol]:
    """name -> this netgym's protocol, each at the manifest's version and env."""
    protocols = {}
    entry_env = manifest["entry"].get("env_id")
    for name, declared in manifest["protocols"].items():
        try:
            protocol = get_protocol(name)
        except ValueError:
            raise SubmissionError(f"protocol {name!r} is not defined by this netgym") from None
        require(
            protocol.version == declared["version"],
            f"protocol {name} version {declared['version']} differs from this netgym's "
            f"{protocol.version}: the submission was evaluated under another protocol",
        )
        require(
            declared["env_id"] == protocol.env_id,
            f"manifest.protocols.{name}.env_id is {declared['env_id']!r}, the protocol's "
            f"{protocol.env_id!r}",
        )
        require(
            entry_env is None or entry_env == protocol.env_id.split(":", 1)[-1],
            f"the entry plays {entry_env}, protocol {name} evaluates {protocol.env_id}",
        )
        protocols[name] = protocol
    return protocols


# ---------------------------------------------------------------------------------- rows
ROW_FIELDS = {
    "entry": "str",
    "kind": "str",
    "protocol": "str",
    "version": "str",
    "env_id": "str",
    "train_seed": "int?",
    "eval_seeds": "list",
    "episodes": "int",
    "mean": "number",
    "std": "number",
    "scores": "list",
    "normalised": "number",
}
"""the fields every row must have, with their kind"""
OPTIONAL_ROW_FIELDS = {
    "ci_low": "number",
    "ci_high": "number",
    "normalised_ci_low": "number",
    "normalised_ci_high": "number",
    "wall_s": "number",
    "eval_timesteps": "int",
    "n_timesteps": "int?",
    "block_normalised": "list",
}


def _row(row: Any, index: int) -> dict[str, Any]:
    where = f"results.json row {index}"
    require(isinstance(row, dict), f"{where} is not an object")
    for key, kind in ROW_FIELDS.items():
        get_field(row, key, kind, where)
    for key, kind in OPTIONAL_ROW_FIELDS.items():
        if key in row:
            get_field(row, key, kind, where)
    list_of(row["eval_seeds"], "int", f"{where}.eval_seeds")
    require(len(row["scores"]) <= MAX_SCORES, f"{where} has more than {MAX_SCORES} scores")
    list_of(row["scores"], "number", f"{where}.scores")
    list_of(row.get("block_normalised", []), "number", f"{where}.block_normalised")
    return row


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _allowed_baselines(protocol: Protocol) -> set[str]:
    from netgym.baselines import BASELINES

    family = BASELINES.get(protocol.env_id.split(":", 1)[-1], {})
    return {name for name in family if protocol.baselines is None or name in protocol.baselines}


def _check_row(row: dict[str, Any], index: int, protocol: Protocol) -> None:
    where = f"results.json row {index} ({row['entry']} on {row['protocol']})"
    require(
        row["version"] == protocol.version,
        f"{where}: version {row['version']} differs from the manifest's {protocol.version}",
    )
    require(
        row["env_id"] == protocol.env_id, f"{where}: env_id {row['env_id']!r} is not the protocol's"
    )
    seeds = list(protocol.eval_seeds)
    require(
        row["eval_seeds"] == seeds,
        f"{where}: eval_seeds {row['eval_seeds']} must be the protocol's seed blocks {seeds}, "
        "each once, in order",
    )
    expected = protocol.episodes * len(seeds)
    require(
        row["episodes"] == expected,
        f"{where}: {row['episodes']} episodes, the protocol has {protocol.episodes} x {len(seeds)}",
    )
    scores = np.asarray(row["scores"], dtype=float)
    require(scores.size == expected, f"{where}: {scores.size} scores for {expected} episodes")
    require(
        _close(row["mean"], float(scores.mean())),
        f"{where}: mean {row['mean']} is not the mean of its scores ({scores.mean()})",
    )
    require(
        _close(row["std"], float(scores.std())),
        f"{where}: std {row['std']} is not the std of its scores ({scores.std()})",
    )
    for low, high in (("ci_low", "ci_high"), ("normalised_ci_low", "normalised_ci_high")):
        if low in row and high in row:
            require(row[low] <= row[high], f"{where}: {low} {row[low]} is above {high} {row[high]}")


def check_rows(
    manifest: dict[str, Any], results: Any, protocols: dict[str, Protocol]
) -> list[dict[str, Any]]:
    """The rows of ``results.json``, checked (module doc)."""
    require(isinstance(results, dict), "results.json is not an object")
    rows = get_field(results, "rows", "list", "results.json")
    require(0 < len(rows) <= MAX_ROWS, f"results.json must hold 1 to {MAX_ROWS} rows")
    rows = [_row(row, i) for i, row in enumerate(rows)]
    entry = manifest["entry"]
    name, entry_kind = entry["name"], entry["kind"]
    seen: set[tuple[str, str]] = set()
    means: dict[tuple[str, str], float] = {}
    for i, row in enumerate(rows):
        where = f"results.json row {i} ({row['entry']} on {row['protocol']})"
        protocol = protocols.get(row["protocol"])
        require(
            protocol is not None, f"{where}: protocol {row['protocol']!r} is not in the manifest"
        )
        pair = (row["protocol"], row["entry"])
        require(pair not in seen, f"{where}: a second row of {row['entry']} on {row['protocol']}")
        seen.add(pair)
        if row["entry"] == name:
            require(
                row["kind"] == entry_kind,
                f"{where}: kind {row['kind']!r}, but the manifest enters {name!r} as "
                f"{entry_kind!r}",
            )
            require(
                row["train_seed"] == entry.get("train_seed"),
                f"{where}: train_seed {row['train_seed']} is not the manifest's",
            )
        else:
            require(
                row["kind"] == "baseline",
                f"{where}: kind {row['kind']!r}; every row but the entry's must be a baseline",
            )
            require(
                row["entry"] in _allowed_baselines(protocol),
                f"{where}: {row['entry']!r} is not a baseline of protocol {protocol.name}",
            )
            require(row["train_seed"] is None, f"{where}: a baseline has no train_seed")
        _check_row(row, i, protocol)
        if row["entry"] != name:
            means[pair] = float(np.mean(row["scores"]))
    anchors = get_field(results, "anchors", "dict", "results.json")
    for protocol in protocols.values():
        require(
            (protocol.name, name) in seen,
            f"no row of the entry {name!r} on protocol {protocol.name}",
        )
        declared = anchors.get(protocol.name)
        truth = {"random": protocol.anchors.random, "reference": protocol.anchors.reference}
        require(
            declared == truth,
            f"results.json anchors of {protocol.name} are {declared}, the protocol's {truth}",
        )
        for anchor in protocol.anchors.required():
            role = "anchor" if anchor in truth.values() else "random policy drawn beside the floor"
            require(
                (protocol.name, anchor) in means,
                f"the {role} {anchor!r} of {protocol.name} has no row in the submission; "
                "a leaderboard run evaluates it (make the submission again with this netgym)",
            )
    for i, row in enumerate(rows):
        _check_normalised(row, i, protocols[row["protocol"]], means)
    return rows


def _check_normalised(
    row: dict[str, Any], index: int, protocol: Protocol, means: dict[tuple[str, str], float]
) -> None:
    where = f"results.json row {index} ({row['entry']} on {row['protocol']})"
    random = means[(protocol.name, protocol.anchors.random)]
    reference = means[(protocol.name, protocol.anchors.reference)]
    try:
        expected = stats.normalise(row["mean"], random, reference)
        blocks = [
            stats.normalise(float(np.mean(block)), random, reference)
            for block in np.split(np.asarray(row["scores"], dtype=float), len(row["eval_seeds"]))
        ]
    except ValueError as err:
        raise SubmissionError(f"{where}: {err}") from None
    require(
        _close(row["normalised"], expected),
        f"{where}: normalised score {row['normalised']} should be {expected}",
    )
    if "block_normalised" in row:
        claimed = row["block_normalised"]
        require(
            len(claimed) == len(blocks) and all(map(_close, claimed, blocks)),
            f"{where}: block_normalised {claimed} should be {blocks}",
        )


__all__ = [
    "DATA_KINDS",
    "FORMAT",
    "POLICY_KINDS",
    "SB3_AGENTS",
    "SCHEMA",
    "TABULAR_AGENTS",
    "check_manifest",
    "check_protocols",
    "check_rows",
    "sha256",
]
