"""Malformed routing-trace files give errors that name the file (and the member), are refused
before any array is read, and never unpickle anything; a trace with fewer choices than top_k
cannot drive top-k routing."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from netgym.envs.core.budget import BUDGET_VARIABLE
from netgym.envs.moe.traces import RoutingTrace, SyntheticRouting, load_trace

EXPERTS = np.array([[[0, 1]], [[2, 3]], [[1, 0]]], dtype=np.int16)
REQUESTS = np.array([0, 0, 1])


def test_an_object_array_is_refused_by_name_and_never_unpickled(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, experts=np.array([[[0]], [[1]]], dtype=object), request_ids=np.array([0, 0]))
    with pytest.raises(ValueError, match=r"objects.npz: member 'experts.npy' holds Python objects"):
        load_trace(path)


def test_a_plain_npy_file_is_named_as_such(tmp_path):
    path = tmp_path / "experts.npz"
    with path.open("wb") as handle:
        np.save(handle, EXPERTS)
    with pytest.raises(ValueError, match=r"experts.npz: a plain .npy array, not an .npz archive"):
        load_trace(path)


def test_a_member_that_is_not_npy_is_named(tmp_path):
    path = tmp_path / "mixed.npz"
    np.savez(path, experts=EXPERTS, request_ids=REQUESTS)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match=r"mixed.npz: member 'notes.txt' is not a .npy array"):
        load_trace(path)


def test_a_member_with_a_broken_header_is_named(tmp_path):
    path = tmp_path / "broken.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("experts.npy", b"\x93NUMPY\x01\x00garbage")
        archive.writestr("request_ids.npy", b"")
    with pytest.raises(ValueError, match=r"broken.npz: member 'experts.npy' is not a valid .npy"):
        load_trace(path)


def test_a_directory_and_a_fifo_are_not_reported_missing(tmp_path):
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    with pytest.raises(ValueError, match="folder.npz is a directory"):
        load_trace(folder)
    with pytest.raises(ValueError, match="folder.npz is a directory"):
        gym.make("netgym/MoeRouting-v0", gates="trace", trace_path=str(folder))
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.npz"
        os.mkfifo(fifo)
        with pytest.raises(ValueError, match="pipe.npz is a FIFO"):
            load_trace(fifo)  # opening it would block: the test would hang
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_trace(tmp_path / "absent.npz")


def test_a_trace_over_the_budget_is_refused_before_its_arrays_are_read(tmp_path, monkeypatch):
    path = tmp_path / "big.npz"
    np.savez(path, experts=np.zeros((20000, 4, 2), dtype=np.int16), request_ids=np.zeros(20000))
    monkeypatch.setenv(BUDGET_VARIABLE, "100KB")
    with pytest.raises(
        ValueError, match=r"routing trace loader: .*big.npz: experts \(20000, 4, 2\)"
    ):
        load_trace(path)


def test_a_cache_trace_given_as_a_path_object_is_loaded(tmp_path):
    trace = SyntheticRouting.for_model("readme").generate(np.full(6, 40), np.random.default_rng(1))
    path = tmp_path / "readme.npz"
    trace.save(path)
    env = gym.make("netgym/MoeExpertCache-v0", trace=Path(path))
    assert isinstance(env.unwrapped.trace, RoutingTrace)
    with pytest.raises(ValueError, match="trace must be a RoutingTrace, the path of a .npz"):
        gym.make("netgym/MoeExpertCache-v0", trace=42)


def _trace_file(tmp_path: Path, top_k: int) -> str:
    trace = SyntheticRouting.for_model("mixtral", top_k=top_k, n_experts=8).generate(
        np.full(8, 64), np.random.default_rng(0)
    )
    path = tmp_path / f"top{top_k}.npz"
    trace.save(path)
    return str(path)


def test_a_top1_trace_cannot_drive_top2_routing(tmp_path):
    path = _trace_file(tmp_path, 1)
    with pytest.raises(
        ValueError, match=r"records 1 expert\(s\) per token but the env routes top_k=2"
    ):
        gym.make(
            "netgym/MoeRouting-v0",
            params="small",
            gates="trace",
            trace_path=path,
            top_k=2,
        ).reset(seed=0)


def test_a_top2_trace_routes_its_first_choice_at_top1(tmp_path):
    path = _trace_file(tmp_path, 2)
    env = gym.make(
        "netgym/MoeRouting-v0", params="small", gates="trace", trace_path=path, top_k=1
    ).unwrapped
    env.reset(seed=0)
    recorded = load_trace(path).experts[:, 0, 0].astype(np.int64)
    rows = env.token_ids
    chosen = env.router_logits.argmax(axis=1)
    np.testing.assert_array_equal(chosen, recorded[rows])


def test_an_empty_trace_path_is_not_read_as_the_current_folder():
    with pytest.raises(ValueError, match="routing trace path is empty"):
        gym.make("netgym/MoeExpertCache-v0", trace="")
    with pytest.raises(ValueError, match="routing trace path is empty"):
        gym.make("netgym/MoeRouting-v0", gates="trace", trace_path="")
