"""The limits of netgym/AbrStreaming-v0: configurations too large for the memory budget are
refused before anything is allocated, absurd values that would give infinite or NaN
observations and rewards are refused with the field and its range, and data paths that are
empty, folders, FIFOs or binary files get errors that say so (docs/abr.md, "Limits")."""

from __future__ import annotations

import math
import os
import re
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from netgym.envs.abr import AbrParams, AbrStreamingEnv, AbrStreamingVectorEnv
from netgym.envs.abr.sim import MIN_DELAY_MS

BUDGET = "NETGYM_MEMORY_BUDGET"


@pytest.fixture(autouse=True)
def default_budget(monkeypatch):
    monkeypatch.delenv(BUDGET, raising=False)


def refused_before_allocating(make, match: str) -> str:
    """Call ``make``; it must raise ``ValueError`` matching ``match`` having allocated little."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as err:
            make()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20
    return str(err.value)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


# ----------------------------------------------------------------------------- memory
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"synthetic_traces": {"n_traces": 10**5}}, "n_traces=100000 x 321 samples"),
        ({"synthetic_traces": {"duration_s": 1e7, "interval_s": 1e-3}}, "interval_s=0.001"),
        ({"synthetic_traces": {"interval_s": 1e-300}}, "3.2e+302 samples"),
        ({"history_len": 10**8}, "history_len=100000000"),
        ({"n_chunks": 10**9}, "6 levels x 1000000001 chunk sizes"),
    ],
    ids=["n_traces", "duration", "tiny-interval", "history_len", "n_chunks"],
)
def test_a_configuration_over_the_budget_is_refused_naming_its_size(kwargs, named):
    message = refused_before_allocating(
        lambda: AbrStreamingEnv(**kwargs), rf"AbrStreaming: .*{re.escape(named)}"
    )
    assert "over the memory budget of 4.0 GiB" in message and BUDGET in message


def test_the_duration_of_a_synthetic_trace_is_bounded():
    with pytest.raises(ValueError, match=r"SyntheticTraces.duration_s must be <= 10000000.0"):
        AbrStreamingEnv(synthetic_traces={"duration_s": 1e10})


def test_the_budget_can_be_lowered_and_switched_off(monkeypatch):
    # a configuration no other test builds (a model is checked when it is first built)
    unique = {"synthetic_traces": {"n_traces": 77, "seed": 9}}
    monkeypatch.setenv(BUDGET, "1MiB")
    with pytest.raises(ValueError, match=r"over the memory budget of 1.0 MiB"):
        AbrStreamingEnv(**unique)
    monkeypatch.setenv(BUDGET, "0")
    AbrStreamingEnv(**unique).reset(seed=0)


def test_the_vector_env_refuses_too_many_large_sub_envs_before_building_them():
    message = refused_before_allocating(
        lambda: AbrStreamingVectorEnv(num_envs=10**6, history_len=1000),
        r"AbrStreamingVectorEnv: .*num_envs=1000000 x 142.1 KiB per sub-env",
    )
    assert "135.5 GiB" in message
    assert AbrStreamingVectorEnv(num_envs=2).memory_per_env() > 0


def test_a_trace_file_too_large_to_parse_is_refused_before_it_is_read(tmp_path, monkeypatch):
    folder = write(
        tmp_path / "traces", "big", "0 1.0\n" + "".join(f"{t} 1.0\n" for t in range(1, 5000))
    )
    monkeypatch.setenv(BUDGET, "100KiB")
    size = (folder / "big").stat().st_size
    with pytest.raises(ValueError, match=rf"parsing a {size}-byte trace file"):
        AbrStreamingEnv(traces=folder)


def test_traces_that_deliver_more_bytes_than_the_table_resolves_are_refused(tmp_path):
    folder = write(tmp_path / "traces", "fast", "0 1000000\n10000000 1000000\n")
    with pytest.raises(ValueError, match=r"deliver 1.19e\+18 payload bytes .* to the byte"):
        AbrStreamingEnv(traces=folder)


# ----------------------------------------------------------------------------- absurd values
@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"rtt_s": 1e300}, r"AbrParams.rtt_s must be <= 1000000.0, got 1e\+300"),
        ({"rebuffer_penalty": 1e308}, r"AbrParams.rebuffer_penalty must be <= 1000000.0"),
        ({"smooth_penalty": 1e308}, r"AbrParams.smooth_penalty must be <= 1000000.0"),
        ({"noise": (1, 1e300)}, r"AbrParams.noise\[1\] must be <= 100.0"),
        ({"noise": (1e-300, 1)}, r"AbrParams.noise\[0\] must be >= 0.01"),
        ({"ladder_kbps": (300, 1e300)}, r"AbrParams.ladder_kbps\[1\] must be <= 1000000000.0"),
        ({"ladder_kbps": (300, "fast")}, r"AbrParams.ladder_kbps\[1\] must be a number"),
        ({"ladder_kbps": (1e-300, 300)}, r"AbrParams.ladder_kbps\[0\] must be >= 0.001"),
        ({"hd_utilities": (1, 2, 3, 4, 5, 1e308)}, r"hd_utilities\[5\] must be <= 1000000.0"),
        ({"payload_share": 1e-300}, r"AbrParams.payload_share must be >= 0.01"),
        ({"drain_s": 1e-320}, r"AbrParams.drain_s must be >= 1e-06"),
        ({"chunk_s": 1e300}, r"AbrParams.chunk_s must be <= 1000000.0"),
        ({"history_len": 10**400}, r"history_len must be <= 9223372036854775807, got an int"),
        ({"synthetic_traces": {"high_mbps": 1e300}}, r"high_mbps must be <= 1000000.0"),
        ({"synthetic_traces": {"low_mbps": 1e-300}}, r"low_mbps must be >= 1e-06"),
        ({"synthetic_traces": {"noise_sd": 1e300}}, r"noise_sd must be <= 10"),
        ({"synthetic_traces": {"interval_s": 10**19}}, r"interval_s must be <= 5000000.0"),
    ],
)
def test_absurd_values_are_refused_with_the_field_and_its_range(changes, match):
    with pytest.raises(ValueError, match=match):
        AbrParams(**changes)


def test_a_synthetic_video_with_chunks_over_a_terabyte_is_refused():
    with pytest.raises(ValueError, match=r"synthetic video has a chunk of .* lower ladder_kbps"):
        AbrStreamingEnv(ladder_kbps=(300, 1e9), chunk_s=1e5, buffer_cap_s=1e5, history_len=8)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("0 1e-300\n1 1e-300\n", r"mean bandwidth 1e-300 Mbps .* below 1e-06 Mbps"),
        ("0 0\n1 1e-300\n5 0\n", r"mean bandwidth .* below 1e-06 Mbps"),
        ("0 1\n1 1e300\n", r"line 2: bandwidth must be <= 1e\+06 Mbps"),
        ("0 1\n1e300 1\n", r"line 2: time must be <= 1e\+07 s"),
    ],
    ids=["tiny", "tiny-sliver", "huge-rate", "huge-time"],
)
def test_trace_values_that_would_give_infinite_delays_are_refused(tmp_path, text, match):
    folder = write(tmp_path / "traces", "bad", text)
    with pytest.raises(ValueError, match=rf"trace .*bad.*{match}"):
        AbrStreamingEnv(traces=folder)


def test_a_download_is_never_shorter_than_a_nanosecond(tmp_path):
    """rtt_s=0 and a 1-byte chunk on a 1 Tbps link 1e7 s into a trace: the download (8 ps)
    is below the resolution of the trace clock there (2 ns), so end - start rounds to 0 and
    the throughput would be infinite; the delay is floored at MIN_DELAY_MS instead."""
    folder = write(tmp_path / "traces", "late", "0 0\n9950000 0\n10000000 1000000\n")
    kwargs = dict(
        traces=folder,
        rtt_s=0.0,
        ladder_kbps=(1e-3, 2e-3),
        history_len=5,
        chunk_s=1e-3,
        buffer_cap_s=1e-3,
        drain_s=1e-3,
        start="beginning",
        n_chunks=40,
    )
    scalar = AbrStreamingEnv(**kwargs)
    vector = AbrStreamingVectorEnv(num_envs=1, **kwargs)
    scalar.reset(seed=0)
    vector.reset(seed=0)
    floored = 0
    for _ in range(39):
        obs, reward, _, _, info = scalar.step(1)
        vobs, vreward, _, _, vinfo = vector.step(np.ones(1, dtype=int))
        np.testing.assert_array_equal(vobs[0], obs)
        assert math.isfinite(reward) and vreward[0] == reward
        assert scalar.observation_space.contains(obs)
        assert info["download_time_s"] >= MIN_DELAY_MS / 1000.0
        floored += info["download_time_s"] == MIN_DELAY_MS / 1000.0
    assert floored > 0


# ----------------------------------------------------------------------------- paths and files
@pytest.mark.parametrize("field", ["traces", "video"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_path_is_refused_instead_of_meaning_the_current_folder(field, value):
    with pytest.raises(ValueError, match=rf"AbrParams.{field} is an empty path .* current folder"):
        AbrParams(**{field: value})


def test_an_empty_path_in_a_list_of_trace_files_is_named_by_its_index():
    with pytest.raises(ValueError, match=r"AbrParams.traces\[1\] is an empty path"):
        AbrParams(traces=["a", ""])
    with pytest.raises(ValueError, match=r"AbrParams.traces\[0\] must be a path"):
        AbrParams(traces=[42])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_named_as_a_fifo_and_never_opened(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=rf"trace source {re.escape(str(fifo))} is a FIFO"):
        AbrStreamingEnv(traces=fifo)
    with pytest.raises(ValueError, match=r"trace file .*pipe is a FIFO, not a regular file"):
        AbrStreamingEnv(traces=[fifo])
    with pytest.raises(ValueError, match=r"video folder .*pipe is a FIFO, not a folder"):
        AbrStreamingEnv(video=fifo)


def test_a_folder_where_a_file_belongs_and_a_file_where_a_folder_belongs_are_named(tmp_path):
    folder = write(tmp_path / "traces", "a", "0 1\n1 1\n")
    with pytest.raises(ValueError, match=r"trace file .*traces is a folder, not a regular file"):
        AbrStreamingEnv(traces=[folder / "a", folder])
    with pytest.raises(ValueError, match=r"video folder .*a is a file, not a folder"):
        AbrStreamingEnv(video=folder / "a")
    with pytest.raises(ValueError, match=r"data folder .*a is a file, not a folder"):
        AbrParams.hsdpa142(folder / "a")
    video = tmp_path / "video"
    for level in range(6):
        write(video, f"video_size_{level}", "1000\n" * 49)
    (video / "video_size_3").unlink()
    (video / "video_size_3").mkdir()
    with pytest.raises(ValueError, match=r"video file .*video_size_3 is a folder"):
        AbrStreamingEnv(video=video)


def test_a_binary_or_overflowing_video_file_names_the_file_and_line(tmp_path):
    video = tmp_path / "video"
    for level in range(6):
        write(video, f"video_size_{level}", "1000\n" * 49)
    (video / "video_size_2").write_bytes(b"\x80\x04\x95\xff" * 10)
    with pytest.raises(ValueError, match=r"video file .*video_size_2: not a text file"):
        AbrStreamingEnv(video=video)
    (video / "video_size_2").write_text("1000\n" * 5 + "9" * 30 + "\n" + "1000\n" * 43)
    with pytest.raises(ValueError, match=r"video_size_2 line 6: chunk size must be <= 1e\+12"):
        AbrStreamingEnv(video=video)
    (video / "video_size_2").write_text("1000\n" * 5 + "9" * 5000 + "\n")
    with pytest.raises(ValueError, match=r"video_size_2 line 6: expected an integer byte count"):
        AbrStreamingEnv(video=video)


def test_limits_are_far_beyond_real_data_and_finite():
    assert math.isfinite(AbrParams(rtt_s=1e6, rebuffer_penalty=1e6).rebuffer_penalty_value)


# ----------------------------------------------------------------------------- the edges
REFUSALS = r"synthetic video has a chunk|resolves to the byte|mean bandwidth .* below"
"""the refusals that depend on a combination of parameters (documented in docs/abr.md)"""


@st.composite
def edge_params(draw, scratch: Path) -> dict:
    """Every parameter at an edge of its accepted range (or a typical value)."""
    chunk_s = draw(st.sampled_from([1e-6, 4.0, 1e6]))
    cap = draw(st.sampled_from([chunk_s, max(chunk_s, 60.0), 1e6]))
    n_levels = draw(st.integers(2, 4))
    low_kbps = draw(st.sampled_from([1e-3, 300.0]))
    high_kbps = draw(st.sampled_from([1e9, 4300.0]))
    ladder = tuple(float(x) for x in np.geomspace(low_kbps, high_kbps, n_levels))
    params = dict(
        ladder_kbps=ladder,
        chunk_s=chunk_s,
        buffer_cap_s=cap,
        drain_s=draw(st.sampled_from([1e-6, min(0.5, cap), cap])),
        rtt_s=draw(st.sampled_from([0.0, 0.08, 1e6])),
        payload_share=draw(st.sampled_from([0.01, 0.95, 1.0])),
        noise=draw(st.sampled_from([None, (0.01, 0.01), (0.01, 100.0), (100.0, 100.0)])),
        default_quality=draw(st.sampled_from([0, n_levels - 1])),
        qoe=draw(st.sampled_from(["linear", "log", "hd"])),
        rebuffer_penalty=draw(st.sampled_from([None, 0.0, 1e6])),
        smooth_penalty=draw(st.sampled_from([0.0, 1.0, 1e6])),
        hd_utilities=tuple(draw(st.sampled_from([-1e6, 0.0, 1e6])) for _ in range(n_levels)),
        history_len=max(n_levels, 5) + draw(st.integers(0, 2)),
        start=draw(st.sampled_from(["beginning", "random"])),
        trace_order=draw(st.sampled_from(["sequential", "random"])),
        n_chunks=draw(st.sampled_from([2, 5])),
    )
    if draw(st.booleans()):
        duration = draw(st.sampled_from([2.0, 320.0, 1e7]))
        low = draw(st.sampled_from([1e-6, 0.2]))
        params["synthetic_traces"] = dict(
            n_traces=draw(st.sampled_from([1, 3])),
            duration_s=duration,
            interval_s=duration / draw(st.sampled_from([2, 50])),
            low_mbps=low,
            high_mbps=draw(st.sampled_from([low, 10.0, 1e6])),
            n_states=draw(st.sampled_from([1, 3])),
            switch_prob=draw(st.sampled_from([0.0, 1.0])),
            noise_sd=draw(st.sampled_from([0.0, 10.0])),
        )
    else:
        end = draw(st.sampled_from([1e-9, 1.0, 1e7]))
        rates = draw(st.lists(st.sampled_from([0.0, 1e-6, 1.0, 1e6]), min_size=3, max_size=3))
        rates[2] = max(rates[2], 1e-6)  # not zero everywhere
        rows = [(0.0, rates[0]), (end / 2, rates[1]), (end, rates[2])]
        folder = Path(tempfile.mkdtemp(dir=scratch))
        (folder / "edge").write_text("".join(f"{t!r} {b!r}\n" for t, b in rows))
        params["traces"] = folder
    if draw(st.booleans()):
        folder = Path(tempfile.mkdtemp(dir=scratch))
        size = draw(st.sampled_from([1, 10**6, 10**12]))
        for level in range(n_levels):
            (folder / f"video_size_{level}").write_text(f"{size}\n" * 6)
        params["video"] = folder
    return params


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("abr_edges")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_observations_and_rewards_stay_finite_and_in_their_spaces_at_the_edges(scratch, data, seed):
    params = data.draw(edge_params(scratch))
    try:
        env = AbrStreamingEnv(**params)
    except ValueError as err:  # the documented refusals of combinations; nothing else
        assert re.search(REFUSALS, str(err)), err
        event("refused: " + re.search(REFUSALS, str(err)).group(0)[:20])
        return
    vector = AbrStreamingVectorEnv(num_envs=2, **params)
    actions = data.draw(st.lists(st.integers(0, env.action_space.n - 1), min_size=12))
    obs, info = env.reset(seed=seed)
    vobs, vinfo = vector.reset(seed=seed)
    done = False
    for action in actions:
        assert env.observation_space.contains(obs), obs
        assert vector.observation_space.contains(vobs), vobs
        for key in ("buffer_s", "download_time_s", "throughput_mbps", "rebuffer_s", "qoe"):
            assert math.isfinite(info[key]) and np.isfinite(vinfo[key]).all(), key
        if done:
            obs, info = env.reset()
            done = False
        else:
            obs, reward, done, _, info = env.step(action)
            assert math.isfinite(reward)
        vobs, vreward, *_, vinfo = vector.step(np.array([action, 0]))
        assert np.isfinite(vreward).all()
