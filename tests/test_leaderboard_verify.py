"""``verify`` cannot be fooled: each attack of issue 14 (section 1) is built from an honest
submission made here, and is rejected with one line, without running code or inflating data;
the honest submission itself is accepted.

The honest submission is a tabular Q-learning run on the repeater chain (the shipped config,
a few thousand steps) submitted on ``repeater-chain-quick``: two seed blocks of ten episodes,
anchors the floor ``nested`` (0) and swap-asap (1), the random policy beside the floor, and the
chain's ``obs_mode`` kept by the entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from netgym.cli.main import main
from netgym.evaluation import evaluate
from netgym.leaderboard import get_protocol
from netgym.leaderboard.submission import SubmissionError, submit, verify
from netgym.leaderboard.submission_files import MAX_JSON_BYTES, MAX_JSON_DEPTH

PROTOCOL = "repeater-chain-quick"


# ---------------------------------------------------------------------------------- helpers
def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(out: Path, members: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    out.write_bytes(buffer.getvalue())
    return out


def tamper(
    honest: Path,
    out: Path,
    manifest: Any = None,
    results: Any = None,
    changes: dict[str, bytes | None] | None = None,
) -> Path:
    """A copy of ``honest`` with the given manifest / results / members (None: removed), its
    checksums made consistent again (the attacker controls every byte)."""
    members = members_of(honest)
    if results is not None:
        members["results.json"] = json.dumps(results).encode()
    for name, data in (changes or {}).items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    manifest = json.loads(members["manifest.json"]) if manifest is None else manifest
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict):
        manifest["files"] = {
            name: hashlib.sha256(data).hexdigest()
            for name, data in members.items()
            if name != "manifest.json"
        }
    members["manifest.json"] = json.dumps(manifest).encode()
    return write_zip(out, members)


def load(honest: Path) -> tuple[dict, dict]:
    members = members_of(honest)
    return json.loads(members["manifest.json"]), json.loads(members["results.json"])


def entry_row(results: dict) -> dict:
    return next(row for row in results["rows"] if row["entry"] == "qlearning")


def anchor_means(results: dict) -> tuple[float, float]:
    """The means of the protocol's own zero anchor (a floor here, not random) and reference."""
    means = {r["entry"]: r["mean"] for r in results["rows"] if r["kind"] == "baseline"}
    anchors = results["anchors"][PROTOCOL]
    return means[anchors["random"]], means[anchors["reference"]]


def make_consistent(row: dict, results: dict) -> None:
    """Recompute the row's derived fields from its scores, as a careful attacker would."""
    scores = np.asarray(row["scores"], dtype=float)
    random, reference = anchor_means(results)
    row["episodes"] = int(scores.size)
    row["mean"], row["std"] = float(scores.mean()), float(scores.std())
    row["normalised"] = (row["mean"] - random) / (reference - random)
    blocks = np.split(scores, len(row["eval_seeds"]))
    row["block_normalised"] = [(b.mean() - random) / (reference - random) for b in blocks]


def rejected(path: Path, match: str, **kwargs: Any) -> str:
    with pytest.raises(SubmissionError, match=match) as info:
        verify(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def cli_rejects(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["leaderboard", "verify", str(path), *extra]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "REJECTED" in lines[0], captured.err
    return lines[0]


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from netgym.cli.train import main as train_main

    root = tmp_path_factory.mktemp("honest")
    args = ["--env", "netgym/RepeaterChain-v0", "--agent", "qlearning", "--timesteps", "3000"]
    args += ["--out", str(root / "run"), "--eval-episodes", "0", "--no-progress"]
    assert train_main(args) == 0
    out = root / "honest.zip"
    submit(root / "run", out, protocols=[get_protocol(PROTOCOL)])
    return out


# ---------------------------------------------------------------------------------- honest
def test_the_honest_submission_is_accepted_with_every_entry_block_rerun(honest):
    protocol = get_protocol(PROTOCOL)
    result = verify(honest, sample=1)
    own = [(b["seed"], b["episodes"]) for b in result.rerun if b["entry"] == "qlearning"]
    assert own == [(seed, protocol.episodes) for seed in protocol.eval_seeds]
    assert len(result.rerun) == len(own) + 1  # plus one sampled baseline block
    assert all(block["max_abs_diff"] <= 1e-9 for block in result.rerun)
    manifest, _ = load(honest)
    assert manifest["entry"]["env_kwargs"]["obs_mode"] == "tabular"


def test_the_default_salt_is_random_printed_and_repeatable(honest, capsys):
    salts = {verify(honest, sample=1).salt for _ in range(3)}
    assert len(salts) == 3 and all(len(salt) >= 16 for salt in salts)
    assert main(["leaderboard", "verify", str(honest), "--sample", "1"]) == 0
    salt = capsys.readouterr().out.split("salt ", 1)[1].split()[0]
    assert main(["leaderboard", "verify", str(honest), "--sample", "1", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["salt"] != salt  # a new random salt each time
    blocks = [(b["entry"], b["seed"]) for b in payload["rerun"]]
    repeated = verify(honest, sample=1, salt=payload["salt"]).rerun
    assert [(b["entry"], b["seed"]) for b in repeated] == blocks


# ---------------------------------------------------------------------------------- code
@pytest.fixture
def booby_trap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module ``netgym_trap`` whose import (or policy) writes ``ran.txt``."""
    marker = tmp_path / "ran.txt"
    (tmp_path / "netgym_trap.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
        "class Evil:\n    env_id = 'netgym/RepeaterChain-v0'\n"
        "    def reset(self, env): pass\n    def act(self, obs, info): return 0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "netgym_trap", raising=False)
    return marker


def test_rows_that_say_class_never_make_verify_import_code(honest, tmp_path, booby_trap):
    manifest, results = load(honest)
    manifest["entry"]["target"] = "netgym_trap:Evil"
    for row in results["rows"]:
        if row["entry"] == "qlearning":
            row["kind"] = "class"
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, "kind 'class', but the manifest enters 'qlearning' as 'run'", trust_code=True)
    assert not booby_trap.exists()


def test_a_class_policy_is_refused_without_trust_code_before_any_import(
    honest, tmp_path, booby_trap, capsys
):
    manifest, results = load(honest)
    manifest["policy"] = "class"
    manifest["entry"].update(kind="class", target="netgym_trap:Evil", agent=None)
    for row in results["rows"]:
        if row["entry"] == "qlearning":
            row["kind"] = "class"
    policy = {"policy/agent.json": None, "policy/table.npz": None}
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results, policy)
    assert "--trust-code" in cli_rejects(bad, capsys)
    assert not booby_trap.exists()


def test_a_baseline_policy_kind_is_not_a_submission(honest, tmp_path):
    manifest, _ = load(honest)
    manifest["policy"] = "baseline"
    bad = tamper(honest, tmp_path / "bad.zip", manifest)
    rejected(bad, "a baseline is an anchor")


# ---------------------------------------------------------------------------------- scores
def test_entry_rows_relabelled_to_a_baseline_with_weights_removed_are_rejected(honest, tmp_path):
    protocol = get_protocol(PROTOCOL)
    nested = []
    for seed in protocol.eval_seeds:
        result = evaluate("nested", protocol.env_id, protocol.episodes, seed, protocol.env_kwargs())
        nested += result.returns
    manifest, results = load(honest)
    row = entry_row(results)
    row.update(kind="baseline", entry="nested", train_seed=None, scores=nested)
    make_consistent(row, results)
    removed = {"policy/agent.json": None, "policy/table.npz": None}
    bad = tamper(honest, tmp_path / "a.zip", manifest, results, removed)
    rejected(bad, "a tabular policy consists of policy/ files")
    manifest["entry"]["name"] = "nested"
    bad = tamper(honest, tmp_path / "b.zip", manifest, results, removed)
    rejected(bad, "a tabular policy consists of policy/ files")
    bad = tamper(honest, tmp_path / "c.zip", manifest, results)  # weights kept
    rejected(bad, "kind 'baseline', but the manifest enters 'nested' as 'run'")


def test_the_best_seed_block_listed_twice_is_rejected(honest, tmp_path):
    manifest, results = load(honest)
    row = entry_row(results)
    episodes = get_protocol(PROTOCOL).episodes
    blocks = [row["scores"][:episodes], row["scores"][episodes:]]
    best = max(range(2), key=lambda i: np.mean(blocks[i]))
    row["eval_seeds"] = [row["eval_seeds"][best]] * 2
    row["scores"] = blocks[best] * 2
    make_consistent(row, results)
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, "must be the protocol's seed blocks .* each once")


def test_only_the_best_seed_block_is_rejected(honest, tmp_path):
    manifest, results = load(honest)
    row = entry_row(results)
    episodes = get_protocol(PROTOCOL).episodes
    row["eval_seeds"], row["scores"] = row["eval_seeds"][1:], row["scores"][episodes:]
    make_consistent(row, results)
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, "must be the protocol's seed blocks")


@pytest.mark.parametrize("salt", ["a", "b", "c", "d"])
def test_an_inflated_seed_block_is_caught_whatever_the_salt(honest, tmp_path, salt):
    manifest, results = load(honest)
    row = entry_row(results)
    episodes = get_protocol(PROTOCOL).episodes
    row["scores"] = row["scores"][:episodes] + [s + 1.0 for s in row["scores"][episodes:]]
    make_consistent(row, results)
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, "re-run of qlearning on .* seed 2000001 gives scores", salt=salt, sample=0)


def test_inflating_every_block_after_shaping_the_manifest_is_caught(honest, tmp_path):
    # the attack on an empty default salt: change a free field until the sample skips the
    # entry; the entry's blocks are now always re-run, so no manifest escapes
    manifest, results = load(honest)
    row = entry_row(results)
    row["scores"] = [s + 1.0 for s in row["scores"]]
    make_consistent(row, results)
    for nonce in range(3):
        manifest["environment"]["platform"] = f"shaped-{nonce}"
        bad = tamper(honest, tmp_path / f"bad{nonce}.zip", manifest, results)
        rejected(bad, "re-run of qlearning", salt="", sample=0)


def test_a_garbage_policy_file_is_rejected_even_with_no_block_sampled(honest, tmp_path):
    garbage = {"policy/table.npz": b"PK\x03\x04 this is not an npz"}
    bad = tamper(honest, tmp_path / "bad.zip", changes=garbage)
    rejected(bad, "policy/table.npz is not a zip file", sample=0)


def test_changed_anchor_names_are_rejected(honest, tmp_path):
    manifest, results = load(honest)
    results["anchors"][PROTOCOL]["reference"] = "random"
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, "anchors of repeater-chain-quick are .* the protocol's")


def test_the_zero_anchor_is_the_protocols_floor_and_random_is_a_row_beside_it(honest):
    _, results = load(honest)
    protocol = get_protocol(PROTOCOL)
    assert protocol.anchors.floor and protocol.anchors.random == "nested"
    assert results["anchors"][PROTOCOL] == {"random": "nested", "reference": "swap-asap"}
    baselines = {r["entry"] for r in results["rows"] if r["kind"] == "baseline"}
    assert baselines == {"nested", "swap-asap", "random"}
    floor, reference = anchor_means(results)
    row = entry_row(results)
    assert row["normalised"] == pytest.approx((row["mean"] - floor) / (reference - floor))


@pytest.mark.parametrize("dropped", ["nested", "swap-asap", "random"])
def test_a_submission_without_a_required_baseline_row_is_rejected(honest, tmp_path, dropped):
    manifest, results = load(honest)
    results["rows"] = [r for r in results["rows"] if r["entry"] != dropped]
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, f"{dropped!r} of repeater-chain-quick has no row in the submission")


def test_a_deflated_reference_anchor_block_is_caught_when_sampled(honest, tmp_path):
    manifest, results = load(honest)
    reference = next(r for r in results["rows"] if r["entry"] == "swap-asap")
    reference["scores"] = [s - 5.0 for s in reference["scores"]]
    make_consistent(reference, results)
    for row in results["rows"]:
        make_consistent(row, results)
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, "re-run of swap-asap", sample=100)


# ---------------------------------------------------------------------------------- memory
def _patch_uncompressed_size(data: bytes, name: str, size: int) -> bytes:
    """The zip ``data`` with ``name``'s uncompressed size set to ``size`` in its local header
    and its central-directory entry (what a hand-made zip bomb declares)."""
    data = bytearray(data)
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + len(encoded)]) == encoded:
                data[start + offset : start + offset + 4] = struct.pack("<I", size)
            start += 4
    return bytes(data)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The member names verify inflates (zipfile.ZipFile.open is recorded)."""
    names: list[str] = []
    original = zipfile.ZipFile.open

    def recording(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording)
    return names


def test_a_zip_bomb_is_rejected_from_the_directory_without_inflating_it(honest, tmp_path, opened):
    members = members_of(honest)
    members["results.json"] = b" " * (MAX_JSON_BYTES + 1)  # about 17 KB deflated
    bomb = write_zip(tmp_path / "bomb.zip", members)
    assert bomb.stat().st_size < 100_000
    opened.clear()
    rejected(bomb, "member results.json declares 16,777,217 bytes uncompressed")
    assert opened == []  # not one member inflated


def test_a_member_declaring_gigabytes_is_rejected_unread(honest, tmp_path, opened):
    data = _patch_uncompressed_size(honest.read_bytes(), "policy/table.npz", 2**31)
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(data)
    opened.clear()
    rejected(bomb, "member policy/table.npz declares 2,147,483,648 bytes")
    assert opened == []


def test_a_member_inflating_beyond_its_declared_size_is_cut_off(honest, tmp_path):
    data = _patch_uncompressed_size(honest.read_bytes(), "results.json", 100)
    liar = tmp_path / "liar.zip"
    liar.write_bytes(data)
    rejected(liar, "member results.json cannot be read|inflates beyond")


def _npy(shape: tuple[int, ...], descr: str = "<f8", payload: bytes = b"\0" * 64) -> bytes:
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (_npy((10**10,)), r"declares shape \(10000000000,\)"),
        (_npy((4,), descr="|O"), "object dtype|not a .npy array"),
    ],
)
def test_npz_headers_are_checked_before_numpy_allocates(honest, tmp_path, array, match):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as npz:
        npz.writestr("q_0.npy", array)
    bad = tamper(honest, tmp_path / "bad.zip", changes={"policy/table.npz": buffer.getvalue()})
    rejected(bad, match)


# ---------------------------------------------------------------------------------- malformed
def _set(path: list[Any], value: Any):
    def change(manifest: dict, results: dict) -> None:
        target = {"manifest": manifest, "results": results}[path[0]]
        for key in path[1:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


MALFORMED = {
    "scores are text": (_set(["results", "rows", 0, "scores"], "abc"), "scores must be a list"),
    "a score is text": (_set(["results", "rows", 0, "scores", 0], "1"), "must be a finite"),
    "a score is huge": (_set(["results", "rows", 0, "scores", 0], 10**400), "must be a finite"),
    "scores are empty": (_set(["results", "rows", 1, "scores"], []), "0 scores for 20 episodes"),
    "episodes as text": (_set(["results", "rows", 0, "episodes"], "20"), "must be an integer"),
    "mean is a bool": (_set(["results", "rows", 0, "mean"], True), "must be a finite number"),
    "seeds missing": (_set(["results", "rows", 0, "eval_seeds"], KeyError), "eval_seeds is miss"),
    "rows not a list": (_set(["results", "rows"], {"a": 1}), "rows must be a list"),
    "a row not an object": (_set(["results", "rows", 0], [1, 2]), "row 0 is not an object"),
    "entry is a list": (_set(["manifest", "entry"], []), "manifest.entry must be an object"),
    "entry name missing": (_set(["manifest", "entry", "name"], KeyError), "entry.name is miss"),
    "format is true": (_set(["manifest", "format"], True), "format must be an integer"),
    "protocols a list": (_set(["manifest", "protocols"], ["x"]), "protocols must be an object"),
    "files a list": (_set(["manifest", "files"], []), "files must be an object"),
    "version a number": (
        _set(["manifest", "protocols", PROTOCOL, "version"], 3),
        "version must be a string",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_json_gives_a_one_line_rejection(honest, tmp_path, capsys, case):
    change, match = MALFORMED[case]
    manifest, results = load(honest)
    change(manifest, results)
    bad = tamper(honest, tmp_path / "bad.zip", manifest, results)
    rejected(bad, match)
    cli_rejects(bad, capsys)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_JSON_DEPTH} levels"),
        ("[" * 40 + "]" * 40, f"nested more than {MAX_JSON_DEPTH} levels"),
        ('{"rows": [], "rows": []}', "duplicate key 'rows'"),
        ('{"rows": [NaN]}', "NaN is not a JSON number"),
        ("\xff\xfe not text", "not UTF-8 text|is not JSON"),
        ('{"rows": [', "is not JSON: line 1 column"),
        ("1" * 5000, "accepted JSON"),
    ],
)
def test_unparseable_json_gives_a_one_line_rejection(honest, tmp_path, capsys, text, match):
    data = text.encode("latin-1") if text.startswith("\xff") else text.encode()
    bad = tamper(honest, tmp_path / "bad.zip", changes={"results.json": data})
    rejected(bad, match)
    cli_rejects(bad, capsys)


@pytest.mark.parametrize(
    "name",
    ["../evil.json", "/etc/evil.json", "policy\\evil.json", "C:/evil.json", "policy/sub/x.npz"],
)
def test_unsafe_member_names_are_rejected(honest, tmp_path, capsys, name):
    members = members_of(honest)
    members[name] = b"{}"
    bad = write_zip(tmp_path / "bad.zip", members)
    message = rejected(bad, "unsafe member name")
    assert repr(name) in message
    cli_rejects(bad, capsys)


def test_a_huge_central_directory_is_rejected_before_zipfile_parses_it(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(20_000):
            archive.writestr(f"policy/m{i}.json", b"")
    crowded = tmp_path / "crowded.zip"
    crowded.write_bytes(buffer.getvalue())

    def parse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("zipfile parsed the directory")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", parse)
    rejected(crowded, "lists 20,000 members, at most 32")
    data = bytearray(buffer.getvalue())  # the end record now claims one member
    data[-22 + 8 : -22 + 12] = struct.pack("<HH", 1, 1)
    crowded.write_bytes(bytes(data))
    rejected(crowded, r"central directory of [0-9,]+ bytes, more than the 1,048,576 accepted")


def test_a_member_listed_twice_is_rejected(honest, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members_of(honest).items():
            archive.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("results.json", b"{}")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(buffer.getvalue())
    rejected(bad, "member 'results.json' appears twice")


def test_a_folder_or_fifo_is_not_a_submission(tmp_path, capsys):
    assert main(["leaderboard", "verify", str(tmp_path)]) == 1
    assert "is not a regular file" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="does not exist"):
        verify(tmp_path / "missing.zip")


def test_an_honest_pso_submission_is_accepted(tmp_path):
    from netgym.cli.train import main as train_main

    args = ["--env", "netgym/AbrStreaming-v0", "--agent", "pso", "--timesteps", "1000"]
    args += ["--env-kwargs", json.dumps({"synthetic_traces": {"n_traces": 4}})]
    assert train_main([*args, "--out", str(tmp_path / "run"), "--eval-episodes", "0"]) == 0
    out = tmp_path / "pso.zip"
    submit(tmp_path / "run", out, protocols=[get_protocol("abr-synthetic-quick")])
    result = verify(out, sample=0)
    assert [block["entry"] for block in result.rerun] == ["pso"]
