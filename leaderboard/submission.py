"""Leaderboard submissions: pack an entry's results and policy (``submit``), check (``verify``).

A submission is one zip file::

    manifest.json     schema, format, the entry, the policy kind, the protocol versions, the
                      environment fingerprint, and the sha256 of every other file
    results.json      the entry's rows and the anchor rows (per-episode scores included)
    policy/...        the trained policy in safe formats only: agent.json plus table.npz
                      (tabular agents), pso.npz (PSO) or policy.safetensors (SB3 policy weights)

``verify`` checks, in order: the zip's member names, the manifest's schema, the checksums, the
rows' internal consistency (mean, std, episodes, normalised score from the anchors), that every
protocol version is the one this netgym defines, and finally re-runs a deterministic sample of
evaluation seed blocks and compares the per-episode scores. It never unpickles: JSON, ``.npz``
with ``allow_pickle=False``, ``safetensors`` and ``torch.load(weights_only=True)`` (when
safetensors is not installed) are the only formats it reads. An entry that is
code (a ``module:Class`` policy) is refused unless the caller passes ``trust_code=True``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from netgym.evaluation import evaluate

from . import stats
from .board import environment_fingerprint, run_leaderboard
from .entries import Entry, build_class_policy, class_entry, model_folder, run_entry
from .inprocess import episode_scores
from .protocols import Protocol, get_protocol

SCHEMA = "netgym-submission"
FORMAT = 1
TABULAR_AGENTS = ("sarsa", "qlearning")
SB3_AGENTS = ("ppo", "a2c", "dqn", "sac", "td3", "maskable-ppo")
SAFE_SUFFIXES = (".json", ".npz", ".safetensors", ".pt")
"""the only files a submission may hold (.pt: read with torch.load(weights_only=True))"""
TOLERANCE = 1e-6
"""absolute and relative tolerance of a re-run per-episode score"""
ROW_KEYS = ("entry", "kind", "protocol", "version", "eval_seeds", "episodes", "mean", "std")


class SubmissionError(ValueError):
    """A submission that is malformed, tampered with or inconsistent (the message says why)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------- submit
def _policy_files(run: Path, agent: str) -> tuple[str, dict[str, bytes]]:
    """(policy kind, file name -> bytes) of a run folder's model, in safe formats only."""
    model = model_folder(run)
    if agent in TABULAR_AGENTS:
        names = ("agent.json", "table.npz")
        return "tabular", {name: (model / name).read_bytes() for name in names}
    if agent == "pso":
        return "pso", {name: (model / name).read_bytes() for name in ("agent.json", "pso.npz")}
    if agent in SB3_AGENTS:
        from netgym.agents import get_agent_class

        meta = json.loads((model / "agent.json").read_text(encoding="utf-8"))
        if (model / "vecnormalize.pkl").exists() or meta.get("config", {}).get("normalize"):
            raise ValueError(
                f"{run}: VecNormalize statistics are a pickle; agents trained with normalize "
                "cannot be submitted"
            )
        agent_obj = get_agent_class(agent).load(model, device="cpu")
        try:
            weights = agent_obj.model.policy.state_dict()
            state = {key: value.detach().cpu().contiguous() for key, value in weights.items()}
        finally:
            agent_obj.close()
        return "sb3", {"agent.json": (model / "agent.json").read_bytes(), **_tensor_file(state)}
    raise ValueError(f"{run}: agent {agent!r} has no safe submission format")


def _tensor_file(state: dict[str, Any]) -> dict[str, bytes]:
    """The policy weights as ``policy.safetensors`` (or, without safetensors, ``policy.pt``
    written for ``torch.load(weights_only=True)``)."""
    try:
        from safetensors.torch import save
    except ImportError:
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        return {"policy.pt": buffer.getvalue()}
    return {"policy.safetensors": save(state)}


def _load_tensors(files: dict[str, bytes]) -> dict[str, Any]:
    """The policy weights, read without executing anything (no general unpickling)."""
    if "policy.safetensors" in files:
        try:
            from safetensors.torch import load
        except ImportError:
            raise SubmissionError("policy.safetensors needs: pip install safetensors") from None
        return load(files["policy.safetensors"])
    if "policy.pt" in files:
        import torch

        try:
            return torch.load(io.BytesIO(files["policy.pt"]), weights_only=True)
        except Exception as err:  # torch raises UnpicklingError for anything but tensors
            raise SubmissionError(f"policy.pt is not a plain tensor file: {err}") from None
    raise SubmissionError("an SB3 submission needs policy/policy.safetensors or policy/policy.pt")


def submit(
    entry_dir: str | Path,
    out_file: str | Path,
    protocols: list[Protocol] | None = None,
    data_dir: str | Path | None = None,
    workers: int = 1,
    cache_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate a run folder under its env's protocols and pack it into ``out_file``.

    The anchors (random and reference baselines) are evaluated and packed beside the entry, so
    that the normalised scores can be checked. Returns the manifest.

    Raises:
        FileNotFoundError: not a run folder.
        ValueError: no protocol plays the entry's env, or its policy has no safe format.
    """
    from netgym.agents.training import RunConfig

    run = Path(entry_dir)
    if not run.is_dir() and ":" in str(entry_dir):
        entry = class_entry(str(entry_dir))
        kind, files, agent, target = "class", {}, None, entry.target
    else:
        entry = run_entry(run)
        agent = RunConfig.from_folder(run).agent
        kind, files = _policy_files(run, agent)
        target = run.name
    chosen = [p for p in (protocols or []) if entry.plays(p.env_id)] if protocols else None
    if chosen is None and entry.env_id is None:
        raise ValueError(f"{entry_dir} has no env_id attribute: give the protocols to run it on")
    if chosen is None:
        from .protocols import default_protocols

        chosen = [p for p in default_protocols(data_dir=data_dir) if entry.plays(p.env_id)]
    if not chosen:
        raise ValueError(f"no protocol evaluates {entry.env_id}, the env of {entry_dir}")
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
        "files": {name: _sha256(data) for name, data in sorted(members.items())},
    }
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return manifest


# ---------------------------------------------------------------------------------- verify
@dataclass
class Verification:
    """What ``verify`` found for a submission that passed."""

    entry: str
    protocols: dict[str, str]
    rows: int
    rerun: list[dict[str, Any]]
    """the re-run blocks: protocol, entry, seed, episodes, max_abs_diff"""
    notes: list[str] = field(default_factory=list)
    """differences that do not reject (e.g. another netgym version)"""


def _read_members(path: Path) -> dict[str, bytes]:
    if not path.is_file():
        raise FileNotFoundError(f"submission {path} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {}
            for info in archive.infolist():
                name = PurePosixPath(info.filename)
                if info.is_dir():
                    continue
                if name.is_absolute() or ".." in name.parts:
                    raise SubmissionError(f"unsafe member name {info.filename!r}")
                members[info.filename] = archive.read(info)
    except zipfile.BadZipFile as err:
        raise SubmissionError(f"{path} is not a zip file: {err}") from None
    return members


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise SubmissionError(reason)


def _check_manifest(members: dict[str, bytes]) -> dict[str, Any]:
    _require("manifest.json" in members, "manifest.json is missing")
    try:
        manifest = json.loads(members["manifest.json"])
    except json.JSONDecodeError as err:
        raise SubmissionError(f"manifest.json is not JSON: {err}") from None
    _require(isinstance(manifest, dict), "manifest.json is not an object")
    _require(
        manifest.get("schema") == SCHEMA, f"schema is {manifest.get('schema')!r}, not {SCHEMA!r}"
    )
    _require(manifest.get("format") == FORMAT, f"format {manifest.get('format')!r} is not {FORMAT}")
    for key, kind in (("entry", dict), ("protocols", dict), ("environment", dict), ("files", dict)):
        _require(
            isinstance(manifest.get(key), kind),
            f"manifest.{key} is missing or not a {kind.__name__}",
        )
    _require(
        manifest.get("policy") in ("tabular", "pso", "sb3", "baseline", "class"),
        f"unknown policy kind {manifest.get('policy')!r}",
    )
    listed = set(manifest["files"])
    present = set(members) - {"manifest.json"}
    _require(not present - listed, f"files not in the manifest: {sorted(present - listed)}")
    _require(not listed - present, f"files in the manifest but missing: {sorted(listed - present)}")
    for name in sorted(listed):
        _require(
            PurePosixPath(name).suffix in SAFE_SUFFIXES,
            f"{name}: only {SAFE_SUFFIXES} files are accepted (nothing that unpickles)",
        )
        actual = _sha256(members[name])
        _require(
            actual == manifest["files"][name],
            f"checksum mismatch for {name}: manifest {manifest['files'][name]}, file {actual}",
        )
    return manifest


def _check_rows(manifest: dict[str, Any], results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = results.get("rows")
    _require(isinstance(rows, list) and rows, "results.json has no rows")
    entry = manifest["entry"]["name"]
    means: dict[tuple[str, str], float] = {}
    for i, row in enumerate(rows):
        _require(
            isinstance(row, dict) and all(k in row for k in ROW_KEYS + ("scores", "normalised")),
            f"row {i} lacks one of {ROW_KEYS + ('scores', 'normalised')}",
        )
        scores = np.asarray(row["scores"], dtype=float)
        where = f"row {i} ({row['entry']} on {row['protocol']})"
        _require(
            scores.size == row["episodes"] and scores.size > 0,
            f"{where}: {scores.size} scores for {row['episodes']} episodes",
        )
        _require(bool(np.all(np.isfinite(scores))), f"{where}: non-finite scores")
        _require(
            math.isclose(row["mean"], float(scores.mean()), rel_tol=1e-9, abs_tol=1e-12),
            f"{where}: mean {row['mean']} is not the mean of its scores ({scores.mean()})",
        )
        _require(
            math.isclose(row["std"], float(scores.std()), rel_tol=1e-9, abs_tol=1e-12),
            f"{where}: std {row['std']} is not the std of its scores ({scores.std()})",
        )
        declared = manifest["protocols"].get(row["protocol"], {}).get("version")
        _require(
            declared == row["version"],
            f"{where}: version {row['version']} differs from the manifest's {declared}",
        )
        if row["kind"] == "baseline":
            means[(row["protocol"], row["entry"])] = float(scores.mean())
    _require(any(row["entry"] == entry for row in rows), f"no row of the entry {entry!r}")
    for i, row in enumerate(rows):
        anchors = results.get("anchors", {}).get(row["protocol"], {})
        random, reference = (
            means.get((row["protocol"], anchors.get(k))) for k in ("random", "reference")
        )
        _require(
            random is not None and reference is not None,
            f"row {i}: the anchors of {row['protocol']} are not in the submission",
        )
        expected = stats.normalise(row["mean"], random, reference)
        _require(
            math.isclose(row["normalised"], expected, rel_tol=1e-9, abs_tol=1e-12),
            f"row {i}: normalised score {row['normalised']} should be {expected}",
        )
    return rows


def _check_protocols(manifest: dict[str, Any]) -> dict[str, Protocol]:
    protocols = {}
    for name, declared in manifest["protocols"].items():
        try:
            protocol = get_protocol(name)
        except ValueError:
            raise SubmissionError(f"protocol {name!r} is not defined by this netgym") from None
        _require(
            protocol.version == declared.get("version"),
            f"protocol {name} version {declared.get('version')} differs from this netgym's "
            f"{protocol.version}: the submission was evaluated under another protocol",
        )
        protocols[name] = protocol
    return protocols


def _load_policy(manifest: dict[str, Any], members: dict[str, bytes], env_id: str) -> Any:
    """The submitted policy, from safe formats only."""
    kind = manifest["policy"]
    files = {
        name[len("policy/") :]: data for name, data in members.items() if name.startswith("policy/")
    }
    for name in files:
        _require("/" not in name, f"policy/{name}: sub-folders are not accepted")
    if kind in ("tabular", "pso"):
        from netgym.agents.pso import PsoAgent
        from netgym.agents.tabular import TabularAgent

        with tempfile.TemporaryDirectory(prefix="netgym-submission-") as tmp:
            for name, data in files.items():
                (Path(tmp) / name).write_bytes(data)
            loader = TabularAgent if kind == "tabular" else PsoAgent
            try:
                return loader.load(Path(tmp), device="cpu")
            except (KeyError, ValueError, FileNotFoundError) as err:
                raise SubmissionError(f"the {kind} policy files do not load: {err}") from None
    if kind == "sb3":
        from netgym.agents import get_agent_class
        from netgym.agents.base import TrainingContext

        _require("agent.json" in files, "policy/agent.json is missing")
        meta = json.loads(files["agent.json"])
        weights = _load_tensors(files)
        agent_class = get_agent_class(manifest["entry"]["agent"])
        context = TrainingContext(env_id=env_id, env_kwargs={}, seed=0, n_envs=1, device="cpu")
        agent = agent_class.create(context, meta["config"])
        try:
            agent.model.policy.load_state_dict(weights)
        except RuntimeError as err:
            agent.close()
            raise SubmissionError(f"policy weights do not fit the agent: {err}") from None
        return agent
    raise SubmissionError(f"policy kind {kind!r} cannot be loaded")


def _sample_blocks(
    rows: list[dict[str, Any]], sample: int, digest: str, salt: str
) -> list[tuple[int, int]]:
    """``sample`` (row, seed) blocks drawn with a seed from the manifest's hash and ``salt``."""
    blocks = [(i, seed) for i, row in enumerate(rows) for seed in row["eval_seeds"]]
    rng = np.random.default_rng(int(_sha256(f"{digest}|{salt}".encode())[:16], 16))
    order = rng.permutation(len(blocks))[: max(1, sample)]
    return [blocks[i] for i in sorted(order)]


def verify(
    path: str | Path,
    sample: int = 3,
    max_episodes: int = 5,
    trust_code: bool = False,
    data_dir: str | Path | None = None,
    salt: str = "",
) -> Verification:
    """Check a submission and re-run ``sample`` of its seed blocks (``max_episodes`` each).

    The sample is deterministic given the manifest and ``salt``: a verifier's own secret salt
    stops a submitter from shaping the manifest until the sample misses a tampered block.

    Raises:
        SubmissionError: the reason the submission is rejected.
        FileNotFoundError: ``path`` does not exist.
    """
    members = _read_members(Path(path))
    manifest = _check_manifest(members)
    try:
        results = json.loads(members.get("results.json", b""))
    except json.JSONDecodeError as err:
        raise SubmissionError(f"results.json is not JSON: {err}") from None
    rows = _check_rows(manifest, results)
    protocols = _check_protocols(manifest)
    notes: list[str] = []
    here = environment_fingerprint()
    theirs = manifest["environment"]
    if theirs.get("netgym_version") != here["netgym_version"]:
        notes.append(
            f"netgym {theirs.get('netgym_version')} made it; this is {here['netgym_version']}"
        )
    for name, version in (theirs.get("packages") or {}).items():
        if here["packages"].get(name) != version:
            notes.append(f"{name} {version} made it; this has {here['packages'].get(name)}")
    if manifest["policy"] == "class" and not trust_code:
        raise SubmissionError("the entry is code (a policy class); pass --trust-code to run it")
    digest = _sha256(members["manifest.json"])
    rerun = []
    policies: dict[str, Any] = {}
    for index, seed in _sample_blocks(rows, sample, digest, salt):
        row = rows[index]
        protocol = protocols[row["protocol"]]
        _require(
            seed in protocol.eval_seeds, f"seed {seed} is not an evaluation seed of {protocol.name}"
        )
        _require(
            row["episodes"] == protocol.episodes * len(row["eval_seeds"]),
            f"{row['entry']} on {protocol.name}: {row['episodes']} episodes, protocol has "
            f"{protocol.episodes} x {len(row['eval_seeds'])}",
        )
        if row["kind"] == "baseline":
            policy = Entry.baseline(protocol.env_id, row["entry"]).build_policy(
                protocol.env_id, seed
            )
        elif row["kind"] == "class":
            policy = build_class_policy(manifest["entry"]["target"], seed)
        else:
            if protocol.env_id not in policies:
                policies[protocol.env_id] = _load_policy(manifest, members, protocol.env_id)
            policy = policies[protocol.env_id]
        episodes = min(protocol.episodes, max_episodes)
        result = evaluate(policy, protocol.env_id, episodes, seed, protocol.env_kwargs(data_dir))
        block = row["eval_seeds"].index(seed)
        claimed = np.asarray(row["scores"][block * protocol.episodes :][:episodes])
        measured = np.asarray(episode_scores(result, protocol.metric))
        diff = float(np.max(np.abs(claimed - measured)))
        _require(
            bool(np.allclose(measured, claimed, rtol=TOLERANCE, atol=TOLERANCE)),
            f"re-run of {row['entry']} on {protocol.name} seed {seed} gives scores "
            f"{measured.tolist()}, the submission claims {claimed.tolist()} (max diff {diff:.3g})",
        )
        rerun.append(
            {
                "protocol": protocol.name,
                "entry": row["entry"],
                "seed": seed,
                "episodes": episodes,
                "max_abs_diff": diff,
            }
        )
    for policy in policies.values():
        policy.close()
    return Verification(
        entry=manifest["entry"]["name"],
        protocols={name: p.version for name, p in protocols.items()},
        rows=len(rows),
        rerun=rerun,
        notes=notes,
    )


__all__ = ["FORMAT", "SCHEMA", "SubmissionError", "Verification", "submit", "verify"]
