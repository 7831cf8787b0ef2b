"""Submissions: a genuine one is accepted, tampered or inconsistent ones are rejected."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from netgym.cli.main import main
from netgym.leaderboard import get_protocol
from netgym.leaderboard.submission import SubmissionError, submit, verify

QUICK = [get_protocol("abr-synthetic-quick")]


def read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repack(path: Path, out: Path, changes: dict[str, bytes], fix_checksums: bool) -> Path:
    """A copy of the submission ``path`` with some members replaced (maybe with fresh sums)."""
    members = {**read_members(path), **changes}
    if fix_checksums:
        manifest = json.loads(members["manifest.json"])
        manifest["files"] = {
            name: hashlib.sha256(data).hexdigest()
            for name, data in members.items()
            if name != "manifest.json"
        }
        members["manifest.json"] = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    out.write_bytes(buffer.getvalue())
    return out


def train(folder: Path, agent: str, *extra: str) -> Path:
    from netgym.cli.train import main as train_main

    args = ["--env", "netgym/AbrStreaming-v0", "--agent", agent, "--out", str(folder)]
    assert train_main(args + ["--eval-episodes", "0", "--no-progress", *extra]) == 0
    return folder


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("submission")
    run = train(root / "run", "qlearning", "--timesteps", "300")
    out = root / "qlearning.zip"
    submit(run, out, protocols=QUICK)
    return out


def test_genuine_submission_is_accepted_and_reruns_match(genuine):
    result = verify(genuine, sample=10, max_episodes=8)
    assert result.entry == "qlearning"
    assert result.protocols == {"abr-synthetic-quick": QUICK[0].version}
    # the entry, the anchors lowest (the floor) and mpc, and random beside the floor
    assert result.rows == 4
    assert {block["entry"] for block in result.rerun} == {"qlearning", "lowest", "mpc", "random"}
    assert all(block["max_abs_diff"] <= 1e-9 for block in result.rerun)
    names = set(read_members(genuine))
    assert names == {"manifest.json", "results.json", "policy/agent.json", "policy/table.npz"}


def _results(genuine: Path) -> dict:
    return json.loads(read_members(genuine)["results.json"])


def _entry_row(results: dict) -> dict:
    return next(row for row in results["rows"] if row["entry"] == "qlearning")


def test_the_rerun_sample_depends_on_the_verifier_salt(genuine):
    def blocks(salt):
        return [(b["entry"], b["seed"]) for b in verify(genuine, sample=1, salt=salt).rerun]

    assert blocks("a") == blocks("a")
    assert len({tuple(blocks(str(salt))) for salt in range(12)}) > 1


def test_changed_bytes_fail_the_checksum(genuine, tmp_path):
    text = read_members(genuine)["results.json"].replace(b'"episodes": 8', b'"episodes": 9', 1)
    bad = repack(genuine, tmp_path / "bad.zip", {"results.json": text}, fix_checksums=False)
    with pytest.raises(SubmissionError, match="checksum mismatch for results.json"):
        verify(bad)


def test_a_mean_that_is_not_the_mean_of_the_scores_is_rejected(genuine, tmp_path):
    results = _results(genuine)
    _entry_row(results)["mean"] += 0.5
    data = json.dumps(results).encode()
    bad = repack(genuine, tmp_path / "bad.zip", {"results.json": data}, fix_checksums=True)
    with pytest.raises(SubmissionError, match="is not the mean of its scores"):
        verify(bad)


def test_consistently_inflated_scores_fail_the_rerun(genuine, tmp_path):
    results = _results(genuine)
    row = _entry_row(results)
    row["scores"] = [score + 1.0 for score in row["scores"]]
    row["mean"] = float(np.mean(row["scores"]))
    anchors = {r["entry"]: r["mean"] for r in results["rows"] if r["kind"] == "baseline"}
    row["normalised"] = (row["mean"] - anchors["lowest"]) / (anchors["mpc"] - anchors["lowest"])
    row["block_normalised"] = [row["normalised"]]  # one seed block: consistent everywhere
    data = json.dumps(results).encode()
    bad = repack(genuine, tmp_path / "bad.zip", {"results.json": data}, fix_checksums=True)
    with pytest.raises(SubmissionError, match="re-run of qlearning .* gives scores"):
        verify(bad, sample=10)


def test_another_protocol_version_is_rejected(genuine, tmp_path):
    members = read_members(genuine)
    manifest = json.loads(members["manifest.json"])
    manifest["protocols"]["abr-synthetic-quick"]["version"] = "0" * 12
    results = _results(genuine)
    for row in results["rows"]:
        row["version"] = "0" * 12
    changes = {"manifest.json": json.dumps(manifest).encode(), "results.json": json.dumps(results)}
    bad = repack(
        genuine,
        tmp_path / "bad.zip",
        {k: bytes(v, "utf-8") if isinstance(v, str) else v for k, v in changes.items()},
        True,
    )
    with pytest.raises(SubmissionError, match="version 000000000000 differs from this netgym"):
        verify(bad)


def test_pickles_and_unlisted_files_are_refused(genuine, tmp_path):
    pickle = {"policy/model.pkl": b"\x80\x04K\x01."}
    unlisted = repack(genuine, tmp_path / "a.zip", pickle, fix_checksums=False)
    with pytest.raises(SubmissionError, match="files not in the manifest"):
        verify(unlisted)
    listed = repack(genuine, tmp_path / "b.zip", pickle, fix_checksums=True)
    with pytest.raises(SubmissionError, match="only .* files are accepted"):
        verify(listed)


def test_wrong_schema_and_non_zip_are_rejected(genuine, tmp_path):
    manifest = json.loads(read_members(genuine)["manifest.json"])
    manifest["schema"] = "something-else"
    bad = repack(
        genuine,
        tmp_path / "bad.zip",
        {"manifest.json": json.dumps(manifest).encode()},
        fix_checksums=False,
    )
    with pytest.raises(SubmissionError, match="schema is 'something-else'"):
        verify(bad)
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(SubmissionError, match="is not a zip file"):
        verify(tmp_path / "x.zip")


def test_policy_class_entries_need_trust_code(tmp_path, capsys):
    out = tmp_path / "class.zip"
    argv = ["leaderboard", "submit", "--entry", "netgym.baselines.abr:BBA", "--out", str(out)]
    assert main(argv) == 2  # a class without env_id needs --protocols
    assert "give the protocols" in capsys.readouterr().err
    assert main(argv + ["--protocols", "abr-synthetic-quick"]) == 0
    capsys.readouterr()
    assert main(["leaderboard", "verify", str(out)]) == 1
    err = capsys.readouterr().err
    assert "REJECTED" in err and "--trust-code" in err
    assert main(["leaderboard", "verify", str(out), "--trust-code"]) == 0
    assert "ACCEPTED" in capsys.readouterr().out


@pytest.mark.slow
def test_sb3_policy_travels_as_safetensors_and_reruns_identically(tmp_path):
    run = train(
        tmp_path / "ppo",
        "ppo",
        "--timesteps",
        "64",
        "--n-envs",
        "1",
        "--device",
        "cpu",
        "--hyperparams",
        "n_steps=64",
        "batch_size=32",
        "n_epochs=1",
    )
    out = tmp_path / "ppo.zip"
    submit(run, out, protocols=QUICK)
    assert "policy/policy.safetensors" in read_members(out)
    assert not [name for name in read_members(out) if name.endswith((".zip", ".pkl", ".pt"))]
    result = verify(out, sample=10, max_episodes=3)
    assert "ppo" in {block["entry"] for block in result.rerun}
