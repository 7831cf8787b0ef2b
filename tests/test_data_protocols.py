"""Protocols, envs, agents and benchmarks find the published data by name under the data root:
the published table reproduced from a fetched root through the CLI, the data identity of a
protocol, data set names for ``traces=`` and ``video=``, and the LLM agent's validation set."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the envs)
import numpy as np
import pytest
from conftest import REPO_ROOT
from netgym.agents.llm.validation import validation_env_kwargs
from netgym.cli.main import main
from netgym.data import DataChecksumError, DataMissingError, get_dataset
from netgym.envs.abr import AbrParams
from netgym.leaderboard import get_protocol

ABR = "netgym/AbrStreaming-v0"


@pytest.fixture(scope="module")
def fetched_root(tmp_path_factory, data_mirror) -> Path:
    """A data root filled by ``netgym data fetch`` from the local mirror, as a new user does."""
    root = tmp_path_factory.mktemp("fetched-data")
    argv = ["data", "fetch", "abr/fcc-test", "abr/hsdpa-test", "abr/video1"]
    assert main([*argv, "--root", str(root), "--mirror", data_mirror, "--no-progress"]) == 0
    return root


def test_fetched_root_holds_exactly_the_published_files(fetched_root, capsys):
    capsys.readouterr()
    assert main(["data", "verify", "--root", str(fetched_root)]) == 0
    out = capsys.readouterr().out
    assert "abr/fcc-test: ok (101 files)" in out and "abr/hsdpa-test: ok (142 files)" in out
    names = sorted(p.name for p in (fetched_root / "abr" / "fcc-test").iterdir())
    assert names == [f.name for f in get_dataset("fcc-test").files]
    assert "start_pointers.json" not in names  # fcc100 reads NetLLM's mahimahi_ptrs.pkl


@pytest.mark.parametrize(
    ("protocol", "published", "tolerance"),
    [("fcc100", 0.764, 0.002), ("hsdpa142", 0.639, 0.001)],
)
def test_bba_reproduces_the_published_score_from_a_fetched_root_through_the_cli(
    fetched_root, monkeypatch, capsys, protocol, published, tolerance
):
    monkeypatch.setenv("NETGYM_DATA", str(fetched_root))
    capsys.readouterr()
    assert main(["evaluate", "--protocol", protocol, "--policy", "bba", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["returns"]) == get_protocol(protocol).episodes
    assert payload["mean_reward"] == pytest.approx(published, abs=tolerance)
    assert payload["protocol"]["data_identity"] == get_protocol(protocol).data_identity


def test_leaderboard_run_finds_the_data_without_data_dir(fetched_root, monkeypatch, capsys):
    monkeypatch.setenv("NETGYM_DATA", str(fetched_root))
    capsys.readouterr()
    argv = ["leaderboard", "run", "--protocols", "hsdpa142,fcc100", "--policies", "bba"]
    assert main([*argv, "--episodes", "3", "--json", "--no-progress"]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = [row for row in payload["rows"] if row["entry"] == "bba"]
    assert len(rows) == 2 and all(row["episodes"] == 3 for row in rows)


# ---------------------------------------------------------------------------------- identity
def test_data_identity_ignores_extra_files_and_place_but_not_a_changed_trace(tmp_path, abr_data):
    protocol = get_protocol("fcc100")
    assert protocol.data_checksum(abr_data) == protocol.data_identity
    for name in ("fcc-test", "video1"):
        shutil.copytree(abr_data / name, tmp_path / name)
    (tmp_path / "fcc-test" / "notes.txt").write_text("my notes\n")
    (tmp_path / "fcc-test" / "zzz_extra_trace").write_text("0 1\n1 2\n")
    assert protocol.data_checksum(tmp_path) == protocol.data_identity
    params = protocol.env_kwargs(tmp_path)["params"]
    assert len(params.traces) == 100 and all(
        p.parent == tmp_path / "fcc-test" for p in params.traces
    )
    trace = tmp_path / "fcc-test" / "000_trace_942154_http---www.ebay.com_0"
    trace.write_text(trace.read_text().replace("\n", "\n\n", 1))  # same samples, other bytes
    assert protocol.data_checksum(tmp_path) != protocol.data_identity
    with pytest.raises(DataChecksumError, match=f"'fcc100' reads {trace}"):
        protocol.env_kwargs(tmp_path)


def test_data_identity_comes_from_the_manifest_and_enters_the_version():
    fcc, hsdpa = get_protocol("fcc100"), get_protocol("hsdpa142")
    assert fcc.datasets == ("abr/fcc-test", "abr/video1")
    assert fcc.data_identity != hsdpa.data_identity and len(fcc.data_identity) == 64
    other_video = dataclasses.replace(fcc, datasets=("abr/fcc-test", "abr/video2"))
    assert other_video.data_identity != fcc.data_identity
    assert other_video.version != fcc.version
    assert get_protocol("abr-synthetic").data_identity is None


def test_a_data_root_is_accepted_as_data_dir_and_the_default_is_the_root(abr_data, monkeypatch):
    protocol = get_protocol("hsdpa142")
    assert protocol.require_data(abr_data.parent) == abr_data
    monkeypatch.setenv("NETGYM_DATA", str(abr_data.parent))
    assert protocol.require_data(None) == abr_data


def test_missing_data_sets_give_the_exact_fetch_command(no_data, capsys):
    with pytest.raises(DataMissingError, match="run `netgym data fetch abr/fcc-test abr/video1`"):
        get_protocol("fcc100").env_kwargs(None)
    assert main(["evaluate", "--protocol", "hsdpa142", "--policy", "bba"]) == 2
    err = capsys.readouterr().err
    assert "netgym data fetch abr/hsdpa-test abr/video1" in err and str(no_data) in err


# ---------------------------------------------------------------------------------- envs
def test_env_accepts_data_set_names_for_traces_and_video(abr_data, monkeypatch):
    monkeypatch.setenv("NETGYM_DATA", str(abr_data.parent))
    by_name = gym.make(ABR, traces="fcc-test", video="abr/video1", trace_order="sequential")
    by_path = gym.make(
        ABR, traces=str(abr_data / "fcc-test"), video=str(abr_data / "video1"),
        trace_order="sequential",
    )  # fmt: skip
    assert by_name.unwrapped.params.traces == abr_data / "fcc-test"
    rewards = []
    for env in (by_name, by_path):
        env.reset(seed=3)
        rewards.append([env.step(step % 6)[1] for step in range(20)])
    assert np.array_equal(rewards[0], rewards[1])


def test_an_unfetched_data_set_name_gives_the_fetch_command(no_data):
    with pytest.raises(FileNotFoundError, match="AbrParams.traces='fcc-valid'.*data fetch"):
        AbrParams(traces="fcc-valid")


# ---------------------------------------------------------------------------------- agents
def test_llm_validation_uses_fcc_valid_beside_fcc_train_when_present(tmp_path, no_data):
    train = tmp_path / "abr" / "fcc-train"
    train.mkdir(parents=True)
    kwargs = {"traces": str(train), "noise": [0.9, 1.1]}
    assert validation_env_kwargs(ABR, kwargs) is kwargs  # no fcc-valid anywhere
    valid = tmp_path / "abr" / "fcc-valid"
    valid.mkdir()
    for entry in get_dataset("fcc-valid").files:
        (valid / entry.name).write_bytes(b"x" * entry.size)
    assert validation_env_kwargs(ABR, kwargs) == {"traces": str(valid), "noise": [0.9, 1.1]}
    assert validation_env_kwargs(ABR, {"traces": "synthetic"}) == {"traces": "synthetic"}
    other = {"traces": str(tmp_path / "abr" / "hsdpa-test")}
    assert validation_env_kwargs(ABR, other) is other
    assert validation_env_kwargs("netgym/UavOffload-v0", kwargs) is kwargs


# ---------------------------------------------------------------------------------- wiring
@pytest.mark.parametrize("script", ["train_abr.py", "llm_abr.py"])
def test_benchmarks_default_to_the_data_root(script, monkeypatch, tmp_path):
    monkeypatch.setenv("NETGYM_DATA", str(tmp_path))
    spec = importlib.util.spec_from_file_location(script[:-3], REPO_ROOT / "benchmarks" / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = module.parse_args([])
    assert args.data_dir == tmp_path / "abr"
    assert "netgym data fetch abr/fcc-test" in module.missing_data(args, ["fcc-test"])


def test_netgym_data_imports_only_the_standard_library():
    """So that every layer (envs included) may use it without a dependency."""
    for path in (REPO_ROOT / "netgym_pkg" / "data").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", (path.name, name)
