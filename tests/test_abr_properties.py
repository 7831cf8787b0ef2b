"""Property tests of the ABR simulator over random traces, parameters and action sequences.

Traces are written to fresh temporary folders (one per example: the trace loader caches by
path); hypothesis cannot use function-scoped fixtures, so the folders live under a
module-scoped ``tmp_path_factory`` directory.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgym.envs.abr import AbrStreamingEnv, AbrStreamingVectorEnv

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
INFO_KEYS = (
    "bitrate_kbps",
    "quality",
    "rebuffer_s",
    "buffer_s",
    "download_time_s",
    "chunk_bytes",
    "throughput_mbps",
    "sleep_s",
    "chunk_index",
    "qoe",
    "trace_index",
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("abr_properties")


# ----------------------------------------------------------------------------- strategies
@st.composite
def trace_rows(draw) -> list[tuple[float, float]]:
    """A valid trace: starts at 0, strictly increasing, rates >= 0 and not all zero."""
    n = draw(st.integers(2, 25))
    intervals = draw(st.lists(st.floats(0.01, 5.0), min_size=n - 1, max_size=n - 1))
    rate = st.one_of(st.just(0.0), st.floats(0.05, 30.0))
    rates = draw(st.lists(rate, min_size=n, max_size=n))
    if not any(r > 0 for r in rates[1:]):
        rates[draw(st.integers(1, n - 1))] = draw(st.floats(0.05, 30.0))
    times = [0.0]
    for dt in intervals:
        times.append(times[-1] + dt)
    return list(zip(times, rates, strict=True))


noise_st = st.one_of(
    st.none(),
    st.just((0.9, 1.1)),
    st.tuples(st.floats(0.5, 1.0), st.floats(1.0, 1.5)),
)


@st.composite
def env_setups(draw):
    """Random traces (1-3 per folder) and random valid parameters."""
    traces = draw(st.lists(trace_rows(), min_size=1, max_size=3))
    chunk_s = draw(st.sampled_from([1.0, 2.0, 4.0]))
    cap = draw(st.floats(chunk_s, 30.0))
    params = dict(
        chunk_s=chunk_s,
        buffer_cap_s=cap,
        drain_s=draw(st.floats(0.05, cap)),  # see test_drain_quantum_longer_than_the_cap...
        rtt_s=draw(st.sampled_from([0.0, 0.08, 0.3])),
        payload_share=draw(st.floats(0.5, 1.0)),
        noise=draw(noise_st),
        default_quality=draw(st.integers(0, 5)),
        qoe=draw(st.sampled_from(["linear", "log", "hd"])),
        start=draw(st.sampled_from(["beginning", "random"])),
        trace_order=draw(st.sampled_from(["sequential", "random"])),
        n_chunks=draw(st.integers(2, 16)),
    )
    actions = draw(st.lists(st.integers(0, 5), min_size=40, max_size=40))
    return traces, params, actions


def write_traces(root: Path, traces: list[list[tuple[float, float]]]) -> Path:
    folder = Path(tempfile.mkdtemp(dir=root))
    for i, rows in enumerate(traces):
        (folder / f"trace_{i}").write_text("".join(f"{t!r} {b!r}\n" for t, b in rows))
    return folder


def play(env, seed, actions, episodes=2):
    """Play ``episodes`` episodes with ``actions`` (cycled); yield (obs, reward, info)."""
    for episode in range(episodes):
        obs, info = env.reset(seed=seed if episode == 0 else None)
        yield obs, None, info
        terminated, t = False, 0
        while not terminated:
            obs, reward, terminated, truncated, info = env.step(actions[t % len(actions)])
            assert not truncated
            t += 1
            yield obs, reward, info


# ----------------------------------------------------------------------------- invariants
@SETTINGS
@given(setup=env_setups(), seed=st.integers(0, 2**16))
def test_state_stays_physical_and_finite_on_random_traces(scratch, setup, seed):
    traces, params, actions = setup
    env = AbrStreamingEnv(traces=write_traces(scratch, traces), **params)
    p = env.params
    noise_low = p.noise[0] if p.noise else 1.0
    for obs, reward, info in play(env, seed, actions):
        assert env.observation_space.contains(obs), (obs, env.observation_space.high)
        assert np.all(np.isfinite(obs))
        for key in INFO_KEYS:
            assert math.isfinite(info[key]), key
        if reward is not None:
            assert math.isfinite(reward)
            assert reward == info["qoe"]
        assert -1e-12 <= info["buffer_s"] <= p.buffer_cap_s + 1e-9
        assert info["rebuffer_s"] >= 0
        assert info["sleep_s"] >= 0
        quanta = info["sleep_s"] / p.drain_s
        assert quanta == pytest.approx(round(quanta), abs=1e-6)
        assert info["download_time_s"] >= p.rtt_s * noise_low - 1e-12
        assert info["download_time_s"] > 0
        # Rebuffering never exceeds the download time, and only one of the two can happen.
        assert info["rebuffer_s"] <= info["download_time_s"] + 1e-12
        assert not (info["rebuffer_s"] > 0 and info["sleep_s"] > 0)


@SETTINGS
@given(setup=env_setups(), seed=st.integers(0, 2**16))
def test_scalar_env_and_vector_env_of_one_give_identical_trajectories(scratch, setup, seed):
    traces, params, actions = setup
    folder = write_traces(scratch, traces)
    env = AbrStreamingEnv(traces=folder, **params)
    venv = AbrStreamingVectorEnv(num_envs=1, traces=folder, **params)
    vobs, vinfo = venv.reset(seed=seed)
    obs, info = env.reset(seed=seed)
    np.testing.assert_array_equal(vobs[0], obs)
    pending_reset = False
    for t in range(3 * params["n_chunks"]):
        action = actions[t % len(actions)]
        vobs, vrew, vterm, _, vinfo = venv.step(np.array([action]))
        if pending_reset:
            obs, info = env.reset()
            reward, terminated = 0.0, False
        else:
            obs, reward, terminated, _, info = env.step(action)
        np.testing.assert_array_equal(vobs[0], obs)
        assert vrew[0] == reward
        assert vterm[0] == terminated
        for key in INFO_KEYS:
            assert vinfo[key][0] == info[key], key
        pending_reset = terminated


# ----------------------------------------------------------------------------- reference
def pensieve_chunk(state, time, bw, size, noise, p):
    """A literal transcription of ``get_video_chunk`` in hongzimao/pensieve sim/env.py.

    ``state`` holds ptr, last_time and buffer (ms); returns delay, sleep, rebuf (ms).
    """
    ptr, last_time = state["ptr"], state["last_time"]
    delay = 0.0
    sent = 0.0
    while True:
        throughput = bw[ptr] * 1e6 / 8.0
        duration = time[ptr] - last_time
        payload = throughput * duration * p.payload_share
        if sent + payload > size:
            fractional = (size - sent) / throughput / p.payload_share
            delay += fractional
            last_time += fractional
            break
        sent += payload
        delay += duration
        last_time = time[ptr]
        ptr += 1
        if ptr >= len(bw):
            ptr, last_time = 1, 0.0
    delay = (delay * 1000.0 + p.rtt_s * 1000.0) * noise
    rebuf = max(delay - state["buffer"], 0.0)
    buffer = max(state["buffer"] - delay, 0.0) + p.chunk_s * 1000.0
    sleep = 0.0
    if buffer > p.buffer_cap_s * 1000.0:
        sleep = math.ceil((buffer - p.buffer_cap_s * 1000.0) / (p.drain_s * 1000.0))
        sleep *= p.drain_s * 1000.0
        buffer -= sleep
        left = sleep
        while True:
            duration = time[ptr] - last_time
            if duration > left / 1000.0:
                last_time += left / 1000.0
                break
            left -= duration * 1000.0
            last_time = time[ptr]
            ptr += 1
            if ptr >= len(bw):
                ptr, last_time = 1, 0.0
    state.update(ptr=ptr, last_time=last_time, buffer=buffer)
    return delay, sleep, rebuf


@st.composite
def generic_trace_rows(draw) -> list[tuple[float, float]]:
    """Like ``trace_rows`` but with irregular values, so no event lands exactly on a sample
    time or a sleep boundary (where two correct summation orders may round differently)."""
    rows = draw(trace_rows())
    jitter = draw(st.floats(1.0001, 1.0009))
    return [(t * jitter, b * jitter if b > 0 else 0.0) for t, b in rows]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=generic_trace_rows(),
    pointer_frac=st.floats(0.0, 0.999),
    noise=st.sampled_from([None, (0.9, 1.1)]),
    cap=st.sampled_from([8.0, 20.0, 60.0]),
    actions=st.lists(st.integers(0, 5), min_size=15, max_size=15),
)
def test_downloads_match_a_literal_transcription_of_pensieve(
    scratch, rows, pointer_frac, noise, cap, actions
):
    pointer = 1 + int(pointer_frac * (len(rows) - 1))
    env = AbrStreamingEnv(
        traces=write_traces(scratch, [rows]),
        trace_order="sequential",
        start=[pointer],
        noise=noise,
        buffer_cap_s=cap,
        n_chunks=16,
    )
    p = env.params
    time = [t for t, _ in rows]
    bw = [b for _, b in rows]
    _, info = env.reset(seed=0)
    factors = env.episode_noise if noise else np.ones(16)
    state = dict(ptr=pointer, last_time=time[pointer - 1], buffer=0.0)
    levels = [p.default_quality] + actions
    for chunk, level in enumerate(levels):
        if chunk > 0:
            _, _, _, _, info = env.step(level)
        size = float(env.video_sizes[level, chunk])
        delay, sleep, rebuf = pensieve_chunk(state, time, bw, size, factors[chunk], p)
        assert info["chunk_bytes"] == size
        assert info["download_time_s"] == pytest.approx(delay / 1000.0, rel=1e-9, abs=1e-9)
        assert info["rebuffer_s"] == pytest.approx(rebuf / 1000.0, rel=1e-9, abs=1e-9)
        assert info["buffer_s"] == pytest.approx(state["buffer"] / 1000.0, rel=1e-9, abs=1e-9)
        assert info["sleep_s"] == pytest.approx(sleep / 1000.0, abs=1e-9)
        assert env.trace_position_s == pytest.approx(state["last_time"], rel=1e-9, abs=1e-7)


def test_drain_quantum_longer_than_the_cap_is_rejected():
    # A sleep quantum above the cap could take the buffer below zero in one sleep.
    with pytest.raises(ValueError, match=r"AbrParams.drain_s must be <= 4.0"):
        AbrStreamingEnv(buffer_cap_s=4.0, drain_s=10.0, n_chunks=6)
