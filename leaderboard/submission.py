"""Leaderboard submissions: pack an entry's results and policy (``submit``), check (``verify``).

A submission is one zip file::

    manifest.json     schema, format, the entry, the policy kind, the protocol versions, the
                      environment fingerprint, and the sha256 of every other file
    results.json      the entry's rows and the anchor rows (per-episode scores included)
    policy/...        the trained policy in safe formats only: agent.json plus table.npz
                      (tabular agents), pso.npz (PSO) or policy.safetensors (SB3 policy weights)

``verify`` trusts nothing in the file. In order, it checks the zip's directory (member names,
sizes, before anything is inflated; ``submission_files``), the manifest (schema, types,
checksums; ``submission_checks``), refuses a policy kind that is code (a ``module:Class``)
unless the caller passes ``trust_code=True``, checks the rows (types, consistency, exactly the
protocol's seed blocks, the protocol's own anchors) and the protocol versions, loads the
entry's policy on every protocol it claims (``submission_policy``: data only, bounded sizes),
and finally re-runs every seed block of the entry and a sample of the baseline blocks drawn
with a salt the submitter cannot know (random unless given), comparing the per-episode scores.
The kind of policy a re-run loads comes from the checked manifest alone, never from a row. It
never unpickles: JSON, ``.npz`` with ``allow_pickle=False``, ``safetensors`` and
``torch.load(weights_only=True)`` are the only formats it reads.
"""

from __future__ import annotations

import json
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from netgym.evaluation import evaluate

from .board import environment_fingerprint, run_leaderboard
from .entries import (
    Entry,
    build_class_policy,
    class_entry,
    fitting_protocols,
    load_sb3_policy,
    parse_entry,
    run_entry,
)
from .inprocess import episode_scores
from .protocols import Protocol
from .submission_checks import (
    DATA_KINDS,
    FORMAT,
    SCHEMA,
    check_manifest,
    check_protocols,
    check_rows,
    sha256,
)
from .submission_files import SubmissionError, parse_json, read_members, require
from .submission_policy import check_policy_files, load_policy, policy_files, tensor_file

TOLERANCE = 1e-6
"""absolute and relative tolerance of a re-run per-episode score"""


# ---------------------------------------------------------------------------------- submit
def submit(
    entry_dir: str | Path,
    out_file: str | Path,
    protocols: list[Protocol] | None = None,
    data_dir: str | Path | None = None,
    workers: int = 1,
    cache_dir: str | Path | None = None,
    trust_code: bool = False,
) -> dict[str, Any]:
    """Evaluate a run folder under its env's protocols and pack it into ``out_file``.

    ``entry_dir`` is a ``train.py`` run folder, a ``module:Class``, or (only with
    ``trust_code``, since SB3 loads them by unpickling) an SB3 model ``sb3:ALGO:PATH.zip`` or an
    rl-baselines3-zoo run folder: those are packed as SB3 policy weights, which ``verify``
    loads without unpickling (``sb3_zip.safe_config``).

    The protocols are those given (or every protocol of the entry's env) that the entry can
    play: a trained run plays only protocols whose env has the spaces it trained on
    (``entries.fit_reason``). The anchors (random and reference baselines) are evaluated and
    packed beside the entry, so that the normalised scores can be checked. Returns the
    manifest.

    Raises:
        FileNotFoundError: not a run folder.
        ValueError: ``out_file`` is a folder, no protocol fits the entry, its policy has no
            safe format, or an SB3 file or zoo run without ``trust_code``.
    """
    from netgym.agents.training import RunConfig

    out = Path(out_file)
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give the path of the zip file to write")
    run = Path(entry_dir)
    if _is_sb3(str(entry_dir)):
        entry = parse_entry(str(entry_dir), trust_code=trust_code)
        kind, files, agent = sb3_policy_files(entry)
        target = Path(entry.target.partition(":")[2] if entry.kind == "sb3" else entry.target).name
    elif not run.is_dir() and ":" in str(entry_dir):
        entry = class_entry(str(entry_dir))
        kind, files, agent, target = "class", {}, None, entry.target
    else:
        entry = run_entry(run)
        agent = RunConfig.from_folder(run).agent
        kind, files = policy_files(run, agent)
        target = run.name
    if not protocols and entry.env_id is None:
        raise ValueError(
            f"{entry_dir} does not name its env (a class without an env_id attribute, or an SB3 "
            ".zip): give the protocols to run it on (--protocols)"
        )
    if not protocols:
        from .protocols import default_protocols

        protocols = [p for p in default_protocols(data_dir=data_dir) if entry.plays(p.env_id)]
        if not protocols:
            raise ValueError(f"no protocol evaluates {entry.env_id}, the env of {entry_dir}")
    chosen = fitting_protocols(entry, list(protocols), data_dir)
    anchors = sorted({name for p in chosen for name in p.anchors.required()})
    board = run_leaderboard(
        chosen,
        [entry],
        policies=anchors,
        data_dir=data_dir,
        workers=workers,
        out_dir=cache_dir,
        suite_reps=1,
    )
    results = {
        "rows": [row.to_dict() for row in board.rows],
        "anchors": {
            p.name: dict(random=p.anchors.random, reference=p.anchors.reference) for p in chosen
        },
    }
    members = {f"policy/{name}": data for name, data in files.items()}
    members["results.json"] = json.dumps(results, indent=1).encode("utf-8")
    manifest = {
        "schema": SCHEMA,
        "format": FORMAT,
        "entry": {**entry.to_dict(), "target": target, "agent": agent},
        "policy": kind,
        "protocols": {
            p.name: {
                "version": p.version,
                "env_id": p.env_id,
                "behaviour_sha256": p.behaviour,
            }
            for p in chosen
        },
        "environment": environment_fingerprint(),
        "files": {name: sha256(data) for name, data in sorted(members.items())},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return manifest


def _is_sb3(spec: str) -> bool:
    """Whether ``spec`` names an SB3 .zip or an rl-baselines3-zoo run (not a train.py run)."""
    from netgym.agents.sb3_zip import is_zoo_run

    if spec.startswith(("sb3:", "zoo:")):
        return True
    return Path(spec).is_dir() and not (Path(spec) / "config.yaml").is_file() and is_zoo_run(spec)


def sb3_policy_files(entry: Entry) -> tuple[str, dict[str, bytes], str]:
    """('sb3', policy files, netgym agent) of an sb3 or zoo entry: its weights and config.

    Raises:
        ValueError: the model has no safe form (``sb3_zip.safe_config``).
    """
    from netgym.agents.sb3_zip import safe_config

    try:
        agent, config, weights = safe_config(load_sb3_policy(entry))
    except ValueError as err:
        raise ValueError(f"{entry.target}: {err}") from None
    meta = {"agent": agent, "config": config, "source": entry.kind}
    files = {"agent.json": json.dumps(meta, indent=1).encode("utf-8"), **tensor_file(weights)}
    return "sb3", files, agent


# ---------------------------------------------------------------------------------- verify
@dataclass
class Verification:
    """What ``verify`` found for a submission that passed."""

    entry: str
    protocols: dict[str, str]
    rows: int
    rerun: list[dict[str, Any]]
    """the re-run blocks: protocol, entry, seed, episodes, max_abs_diff"""
    salt: str = ""
    """the salt that drew the sample of baseline blocks (give it again to repeat the check)"""
    notes: list[str] = field(default_factory=list)
    """differences that do not reject (e.g. another netgym version)"""


def _notes(manifest: dict[str, Any]) -> list[str]:
    notes = []
    here = environment_fingerprint()
    theirs = manifest["environment"]
    if theirs.get("netgym_version") != here["netgym_version"]:
        notes.append(
            f"netgym {theirs.get('netgym_version')} made it; this is {here['netgym_version']}"
        )
    for name, version in (theirs.get("packages") or {}).items():
        if here["packages"].get(name) != version:
            notes.append(f"{name} {version} made it; this has {here['packages'].get(name)}")
    return notes


def sample_blocks(
    rows: list[dict[str, Any]], entry: str, sample: int, digest: str, salt: str
) -> list[tuple[int, int]]:
    """The (row, seed) blocks to re-run: every block of ``entry``, then ``sample`` blocks of
    the baseline rows drawn with a seed from the manifest's hash ``digest`` and ``salt``."""
    own = [
        (i, seed)
        for i, row in enumerate(rows)
        if row["entry"] == entry
        for seed in row["eval_seeds"]
    ]
    others = [
        (i, seed)
        for i, row in enumerate(rows)
        if row["entry"] != entry
        for seed in row["eval_seeds"]
    ]
    rng = np.random.default_rng(int(sha256(f"{digest}|{salt}".encode())[:16], 16))
    order = rng.permutation(len(others))[: max(0, sample)]
    return own + [others[i] for i in sorted(order)]


def verify(
    path: str | Path,
    sample: int = 3,
    max_episodes: int | None = None,
    trust_code: bool = False,
    data_dir: str | Path | None = None,
    salt: str | None = None,
) -> Verification:
    """Check a submission and re-run every seed block of its entry and ``sample`` blocks of its
    baselines (``max_episodes`` episodes of each; None: all).

    The baseline sample is drawn with the manifest's hash and ``salt``: a random salt by
    default (returned in ``Verification.salt``), so a submitter cannot shape the manifest until
    the sample misses a tampered block; give the same salt to repeat a verification.

    Raises:
        SubmissionError: the reason the submission is rejected (one line).
        FileNotFoundError: ``path`` does not exist, or a protocol's data folder is missing.
        ValueError: ``sample`` < 0 or ``max_episodes`` < 1.
    """
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample}")
    if max_episodes is not None and max_episodes < 1:
        raise ValueError(f"max_episodes must be >= 1, got {max_episodes}")
    salt = secrets.token_hex(8) if salt is None else str(salt)
    members = read_members(Path(path))
    manifest = check_manifest(members)
    kind = manifest["policy"]
    if kind not in DATA_KINDS and not trust_code:
        raise SubmissionError(
            f"the entry is code (a policy {kind}: {manifest['entry']['target']}); pass "
            "--trust-code to run it"
        )
    check_policy_files(manifest, members)
    require("results.json" in members, "results.json is missing")
    results = parse_json(members["results.json"], "results.json")
    protocols = check_protocols(manifest)
    rows = check_rows(manifest, results, protocols)
    entry = manifest["entry"]
    own_kwargs = {
        name: protocol.entry_env_kwargs(data_dir, entry.get("env_kwargs"))
        for name, protocol in protocols.items()
    }
    policies: dict[str, Any] = {}
    try:
        if kind in DATA_KINDS:  # every protocol's policy must load, sampled or not
            for name, protocol in protocols.items():
                policies[name] = load_policy(manifest, members, protocol, own_kwargs[name])
        rerun = [
            _rerun(
                rows[index], seed, protocols, manifest, policies, own_kwargs, max_episodes, data_dir
            )
            for index, seed in sample_blocks(
                rows, entry["name"], sample, sha256(members["manifest.json"]), salt
            )
        ]
    finally:
        for policy in policies.values():
            close = getattr(policy, "close", None)
            if callable(close):
                close()
    return Verification(
        entry=entry["name"],
        protocols={name: p.version for name, p in protocols.items()},
        rows=len(rows),
        rerun=rerun,
        salt=salt,
        notes=_notes(manifest),
    )


def _rerun(
    row: dict[str, Any],
    seed: int,
    protocols: dict[str, Protocol],
    manifest: dict[str, Any],
    policies: dict[str, Any],
    own_kwargs: dict[str, dict[str, Any]],
    max_episodes: int | None,
    data_dir: str | Path | None,
) -> dict[str, Any]:
    """Re-run one seed block and compare its per-episode scores with the row's."""
    protocol = protocols[row["protocol"]]
    episodes = protocol.episodes if max_episodes is None else min(protocol.episodes, max_episodes)
    where = f"re-run of {row['entry']} on {protocol.name} seed {seed}"
    own = row["entry"] == manifest["entry"]["name"]
    env_kwargs = own_kwargs[protocol.name] if own else protocol.env_kwargs(data_dir)
    try:
        if not own:
            policy = Entry.baseline(protocol.env_id, row["entry"]).build_policy(
                protocol.env_id, seed
            )
        elif manifest["policy"] in DATA_KINDS:
            policy = policies[protocol.name]
        else:  # code, run only with trust_code (checked before)
            policy = build_class_policy(manifest["entry"]["target"], seed)
        result = evaluate(policy, protocol.env_id, episodes, seed, env_kwargs)
        measured = np.asarray(episode_scores(result, protocol.metric), dtype=float)
    except Exception as err:
        reason = " ".join(str(err).split())[:500]
        raise SubmissionError(f"{where} failed: {type(err).__name__}: {reason}") from None
    block = row["eval_seeds"].index(seed)
    claimed = np.asarray(row["scores"][block * protocol.episodes :][:episodes], dtype=float)
    diff = float(np.max(np.abs(claimed - measured)))
    require(
        bool(np.allclose(measured, claimed, rtol=TOLERANCE, atol=TOLERANCE)),
        f"{where} gives scores {measured.tolist()}, the submission claims {claimed.tolist()} "
        f"(max diff {diff:.3g})",
    )
    return {
        "protocol": protocol.name,
        "entry": row["entry"],
        "seed": seed,
        "episodes": episodes,
        "max_abs_diff": diff,
    }


__all__ = [
    "FORMAT",
    "SCHEMA",
    "TOLERANCE",
    "SubmissionError",
    "Verification",
    "sample_blocks",
    "submit",
    "verify",
]
