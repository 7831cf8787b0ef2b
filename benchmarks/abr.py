"""Throughput benchmark of ``netgym/AbrStreaming-v0`` against a Pensieve-style anchor.

Usage: ``python benchmarks/abr.py [--quick] [--seconds S]``. Prints one JSON object to stdout
(progress goes to stderr); ``benchmarks/README.md`` explains every field.

Measured, each for ``--seconds`` of wall time after a warm-up, on one pinned core:

- the scalar env through ``gym.make`` (default params: random trace and start, synthetic
  traces), driven by a pre-drawn action sequence, resets counted in the time;
- the native vector env (``gym.make_vec``) at N = 1, 64, 1024, 4096 with pre-drawn actions;
- ``RobustMPC`` (all 6^5 plans, and ``max_jump=1``): time inside ``act`` only;
- the anchor: a per-chunk Python loop written like hongzimao/pensieve ``sim/env.py``
  ``get_video_chunk`` (walk the trace sample by sample) plus its agent's ``np.roll`` 6x8 state
  (reference/abr.md 1.2 and 1.4), on the same traces and video; and a pure-Python robustMPC
  like ``test/mpc.py`` (a loop over all 7776 plans, 5 positions each; reference/abr.md 1.5);
- peak RSS of a fresh subprocess that builds and steps the vector env at N = 4096.

The anchor is also checked against the scalar env: same traces, start pointers and actions
must give the same rewards (to 1e-9), and the anchor robustMPC must pick the same levels as
netgym's ``RobustMPC`` on the same states.
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
from netgym.baselines.abr import RobustMPC
from netgym.envs.abr import AbrParams, synthetic_traces

ENV_ID = "netgym/AbrStreaming-v0"
VECTOR_SIZES = (1, 64, 1024, 4096)
RSS_ENVS = 4096
TARGETS = {"vector_4096": 2e6, "scalar": 5e4, "mpc_full": 5e3, "rss_mb": 1024}
MATCH_TOLERANCE = 1e-9
ACTION_SEED = 12345


# --------------------------------------------------------------------------- anchor: simulator
# Pensieve's constants (sim/env.py, sim/multi_agent.py); the ladder, video and default quality
# are taken from the env's params so that both sides simulate the same thing.
MILLISECONDS_IN_SECOND = 1000.0
B_IN_MB = 1000000.0
BITS_IN_BYTE = 8.0
VIDEO_CHUNCK_LEN = 4000.0  # ms
BUFFER_THRESH = 60.0 * MILLISECONDS_IN_SECOND
DRAIN_BUFFER_SLEEP_TIME = 500.0  # ms
PACKET_PAYLOAD_PORTION = 0.95
LINK_RTT = 80  # ms
S_INFO, S_LEN = 6, 8
BUFFER_NORM_FACTOR = 10.0
M_IN_K = 1000.0
REBUF_PENALTY = 4.3
SMOOTH_PENALTY = 1.0


class PensieveAnchorEnv:
    """Pensieve's simulator and agent-side state update as plain per-chunk Python.

    ``get_video_chunk`` follows hongzimao/pensieve ``sim/env.py`` line by line (no delay noise,
    as ``fixed_env.py`` and netgym's default). ``sequential=True`` plays the traces in order
    from pointer 1 (``fixed_env.py``), otherwise a random trace and start pointer per video
    (``env.py``). ``reset``/``step`` wrap it like Pensieve's agent loop (``multi_agent.py``):
    the first chunk of a video at the default quality, then one chunk per action, each time the
    linear QoE and the ``np.roll``-ed 6x8 state.
    """

    def __init__(
        self,
        cooked_time: list[list[float]],
        cooked_bw: list[list[float]],
        video_size: list[list[int]],
        ladder_kbps: list[float],
        default_quality: int,
        total_chunks: int,
        sequential: bool,
        seed: int = 42,
    ) -> None:
        self.all_cooked_time = cooked_time
        self.all_cooked_bw = cooked_bw
        self.video_size = video_size
        self.video_bit_rate = ladder_kbps
        self.bitrate_levels = len(ladder_kbps)
        self.default_quality = default_quality
        self.total_video_chunck = total_chunks
        self.sequential = sequential
        self.random = np.random.RandomState(seed)
        self.video_chunk_counter = 0
        self.buffer_size = 0.0
        self.trace_idx = -1
        self._pick_trace()
        # counters of the rarer code paths, to show the match check exercised them
        self.wraps = 0
        self.sleeps = 0

    def _pick_trace(self) -> None:
        if self.sequential:  # fixed_env.py
            self.trace_idx = (self.trace_idx + 1) % len(self.all_cooked_time)
            self.cooked_time = self.all_cooked_time[self.trace_idx]
            self.cooked_bw = self.all_cooked_bw[self.trace_idx]
            self.mahimahi_ptr = 1
        else:  # env.py
            self.trace_idx = self.random.randint(len(self.all_cooked_time))
            self.cooked_time = self.all_cooked_time[self.trace_idx]
            self.cooked_bw = self.all_cooked_bw[self.trace_idx]
            self.mahimahi_ptr = self.random.randint(1, len(self.cooked_bw))
        self.last_mahimahi_time = self.cooked_time[self.mahimahi_ptr - 1]

    def get_video_chunk(self, quality: int) -> tuple:
        video_chunk_size = self.video_size[quality][self.video_chunk_counter]

        # use the delivery opportunity in mahimahi
        delay = 0.0  # in s
        video_chunk_counter_sent = 0  # in bytes

        while True:  # download video chunk over mahimahi
            throughput = self.cooked_bw[self.mahimahi_ptr] * B_IN_MB / BITS_IN_BYTE
            duration = self.cooked_time[self.mahimahi_ptr] - self.last_mahimahi_time

            packet_payload = throughput * duration * PACKET_PAYLOAD_PORTION

            if video_chunk_counter_sent + packet_payload > video_chunk_size:
                fractional_time = (
                    (video_chunk_size - video_chunk_counter_sent)
                    / throughput
                    / PACKET_PAYLOAD_PORTION
                )
                delay += fractional_time
                self.last_mahimahi_time += fractional_time
                break

            video_chunk_counter_sent += packet_payload
            delay += duration
            self.last_mahimahi_time = self.cooked_time[self.mahimahi_ptr]
            self.mahimahi_ptr += 1

            if self.mahimahi_ptr >= len(self.cooked_bw):
                # loop back in the beginning (trace files start with time 0)
                self.mahimahi_ptr = 1
                self.last_mahimahi_time = 0
                self.wraps += 1

        delay *= MILLISECONDS_IN_SECOND
        delay += LINK_RTT

        # rebuffer time
        rebuf = np.maximum(delay - self.buffer_size, 0.0)

        # update the buffer
        self.buffer_size = np.maximum(self.buffer_size - delay, 0.0)

        # add in the new chunk
        self.buffer_size += VIDEO_CHUNCK_LEN

        # sleep if buffer gets too large
        sleep_time = 0
        if self.buffer_size > BUFFER_THRESH:
            # exceed the buffer limit: skip some network bandwidth, not added to the delay
            self.sleeps += 1
            drain_buffer_time = self.buffer_size - BUFFER_THRESH
            sleep_time = np.ceil(drain_buffer_time / DRAIN_BUFFER_SLEEP_TIME) * (
                DRAIN_BUFFER_SLEEP_TIME
            )
            self.buffer_size -= sleep_time

            while True:
                duration = self.cooked_time[self.mahimahi_ptr] - self.last_mahimahi_time
                if duration > sleep_time / MILLISECONDS_IN_SECOND:
                    self.last_mahimahi_time += sleep_time / MILLISECONDS_IN_SECOND
                    break
                sleep_time -= duration * MILLISECONDS_IN_SECOND
                self.last_mahimahi_time = self.cooked_time[self.mahimahi_ptr]
                self.mahimahi_ptr += 1

                if self.mahimahi_ptr >= len(self.cooked_bw):
                    self.mahimahi_ptr = 1
                    self.last_mahimahi_time = 0
                    self.wraps += 1

        # the "last buffer size" returned to the controller
        return_buffer_size = self.buffer_size

        self.video_chunk_counter += 1
        video_chunk_remain = self.total_video_chunck - self.video_chunk_counter

        end_of_video = False
        if self.video_chunk_counter >= self.total_video_chunck:
            end_of_video = True
            self.buffer_size = 0
            self.video_chunk_counter = 0
            self._pick_trace()

        next_video_chunk_sizes = []
        for i in range(self.bitrate_levels):
            next_video_chunk_sizes.append(self.video_size[i][self.video_chunk_counter])

        # Pensieve returns sleep_time as left over by the drain loop (a quirk, unused here)
        return (
            delay,
            sleep_time,
            return_buffer_size / MILLISECONDS_IN_SECOND,
            rebuf / MILLISECONDS_IN_SECOND,
            video_chunk_size,
            next_video_chunk_sizes,
            end_of_video,
            video_chunk_remain,
        )

    def reset(self) -> np.ndarray:
        """Start a video: fresh state, first chunk at the default quality (its QoE in .reward)."""
        self.state = np.zeros((S_INFO, S_LEN))
        self.last_bit_rate = self.default_quality
        state, self.reward, _ = self.step(self.default_quality)
        return state

    def step(self, bit_rate: int) -> tuple[np.ndarray, float, bool]:
        """Download one chunk at ``bit_rate``: (state, QoE of the chunk, end of video)."""
        (
            delay,
            sleep_time,
            buffer_size,
            rebuf,
            video_chunk_size,
            next_video_chunk_sizes,
            end_of_video,
            video_chunk_remain,
        ) = self.get_video_chunk(bit_rate)

        # -- linear reward (multi_agent.py)
        reward = (
            self.video_bit_rate[bit_rate] / M_IN_K
            - REBUF_PENALTY * rebuf
            - SMOOTH_PENALTY
            * np.abs(self.video_bit_rate[bit_rate] - self.video_bit_rate[self.last_bit_rate])
            / M_IN_K
        )
        self.last_bit_rate = bit_rate

        # dequeue history record
        state = np.roll(self.state, -1, axis=1)

        # this should be S_INFO number of terms
        state[0, -1] = self.video_bit_rate[bit_rate] / float(np.max(self.video_bit_rate))
        state[1, -1] = buffer_size / BUFFER_NORM_FACTOR
        state[2, -1] = float(video_chunk_size) / float(delay) / M_IN_K  # kilo byte / ms
        state[3, -1] = float(delay) / M_IN_K / BUFFER_NORM_FACTOR  # 10 sec
        state[4, : self.bitrate_levels] = np.array(next_video_chunk_sizes) / M_IN_K / M_IN_K
        state[5, -1] = np.minimum(video_chunk_remain, self.total_video_chunck) / float(
            self.total_video_chunck
        )
        self.state = state
        return state, reward, end_of_video


def make_anchor(env: gym.Env, sequential: bool) -> PensieveAnchorEnv:
    """The anchor on the env's traces, video, ladder and default quality (no noise)."""
    base = env.unwrapped
    params = base.params
    if params.noise is not None or params.qoe != "linear" or params.traces != "synthetic":
        raise ValueError("the anchor reproduces the noise-free, linear-QoE synthetic-trace env")
    traces = synthetic_traces(params.synthetic_traces)
    return PensieveAnchorEnv(
        cooked_time=[t.tolist() for t in traces.time_s],
        cooked_bw=[b.tolist() for b in traces.mbps],
        video_size=base.model.video_sizes.tolist(),
        ladder_kbps=list(params.ladder_kbps),
        default_quality=params.default_quality,
        total_chunks=base.n_chunks,
        sequential=sequential,
    )


# --------------------------------------------------------------------------- anchor: robustMPC
MPC_FUTURE_CHUNK_COUNT = 5


class PensieveAnchorMPC:
    """robustMPC as hongzimao/pensieve ``test/mpc.py``: a Python loop over all 6^5 plans.

    Fed the same per-chunk outputs as Pensieve's loop (bitrate, buffer, size, delay, chunks
    left); its 5x8 state is ``np.roll``-ed the same way. The error history is cleared by
    ``reset`` (one per video), as netgym's ``RobustMPC`` default; Pensieve carries it over.
    """

    def __init__(self, video_size: list[list[int]], ladder_kbps: list[float], total_chunks: int):
        self.video_size = video_size
        self.video_bit_rate = ladder_kbps
        self.total_video_chunks = total_chunks
        self.chunk_combo_options = list(
            itertools.product(range(len(ladder_kbps)), repeat=MPC_FUTURE_CHUNK_COUNT)
        )
        self.reset()

    def reset(self) -> None:
        self.state = np.zeros((5, S_LEN))
        self.past_errors: list[float] = []
        self.past_bandwidth_ests: list[float] = []

    def get_chunk_size(self, quality: int, index: int) -> int:
        if index < 0 or index >= len(self.video_size[quality]):
            return 0
        return self.video_size[quality][index]

    def act(
        self,
        bit_rate: int,
        buffer_size: float,
        video_chunk_size: float,
        delay: float,
        video_chunk_remain: int,
    ) -> int:
        state = np.roll(self.state, -1, axis=1)
        state[0, -1] = self.video_bit_rate[bit_rate] / float(np.max(self.video_bit_rate))
        state[1, -1] = buffer_size / BUFFER_NORM_FACTOR
        state[3, -1] = float(video_chunk_size) / float(delay) / M_IN_K  # kilo byte / ms
        state[4, -1] = np.minimum(video_chunk_remain, self.total_video_chunks) / float(
            self.total_video_chunks
        )
        self.state = state

        # ================== MPC =========================
        curr_error = 0  # default assumes that this is the first request so error is 0
        if len(self.past_bandwidth_ests) > 0:
            curr_error = abs(self.past_bandwidth_ests[-1] - state[3, -1]) / float(state[3, -1])
        self.past_errors.append(curr_error)

        # pick bitrate according to MPC: first get the harmonic mean of the last 5 bandwidths
        past_bandwidths = state[3, -5:]
        while past_bandwidths[0] == 0.0:
            past_bandwidths = past_bandwidths[1:]
        bandwidth_sum = 0
        for past_val in past_bandwidths:
            bandwidth_sum += 1 / float(past_val)
        harmonic_bandwidth = 1.0 / (bandwidth_sum / len(past_bandwidths))

        # future bandwidth prediction, divided by 1 + max error of the last 5
        error_pos = -5
        if len(self.past_errors) < 5:
            error_pos = -len(self.past_errors)
        max_error = float(max(self.past_errors[error_pos:]))
        future_bandwidth = harmonic_bandwidth / (1 + max_error)  # robustMPC here
        self.past_bandwidth_ests.append(harmonic_bandwidth)

        # future chunks length (try 4 if that many remaining)
        last_index = int(self.total_video_chunks - video_chunk_remain)
        future_chunk_length = MPC_FUTURE_CHUNK_COUNT
        if self.total_video_chunks - last_index < 5:
            future_chunk_length = self.total_video_chunks - last_index

        # all possible combinations of 5 chunk bitrates (6^5 options)
        max_reward = -100000000
        best_combo = ()
        start_buffer = buffer_size
        send_data = 0
        for full_combo in self.chunk_combo_options:
            combo = full_combo[0:future_chunk_length]
            # calculate total rebuffer time for this combination
            curr_rebuffer_time = 0
            curr_buffer = start_buffer
            bitrate_sum = 0
            smoothness_diffs = 0
            last_quality = int(bit_rate)
            for position in range(0, len(combo)):
                chunk_quality = combo[position]
                # e.g., if last chunk is 3, then first iter is 3+0+1=4
                index = last_index + position + 1
                download_time = (
                    self.get_chunk_size(chunk_quality, index) / 1000000.0
                ) / future_bandwidth  # this is MB/MB/s --> seconds
                if curr_buffer < download_time:
                    curr_rebuffer_time += download_time - curr_buffer
                    curr_buffer = 0
                else:
                    curr_buffer -= download_time
                curr_buffer += 4
                bitrate_sum += self.video_bit_rate[chunk_quality]
                smoothness_diffs += abs(
                    self.video_bit_rate[chunk_quality] - self.video_bit_rate[last_quality]
                )
                last_quality = chunk_quality

            reward = (
                (bitrate_sum / 1000.0)
                - (REBUF_PENALTY * curr_rebuffer_time)
                - (smoothness_diffs / 1000.0)
            )
            if reward >= max_reward:
                best_combo = combo
                max_reward = reward
                # send data[0:future_chunk_length] (the first bitrate of the best plan)
                send_data = 0
                if best_combo != ():
                    send_data = best_combo[0]
        return send_data


# --------------------------------------------------------------------------- timing helpers


def _actions(n_levels: int, shape: int | tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(ACTION_SEED).integers(0, n_levels, size=shape, dtype=np.int64)


STEP_BLOCK = 128
ACTION_TABLE = 1 << 14  # pre-drawn scalar actions, cycled (power of two for the mask)


def _stepper(step: Callable[[int], tuple], reset: Callable[[], Any], n_levels: int) -> Callable:
    """A block of ``STEP_BLOCK`` steps with pre-drawn actions, resetting when an episode ends."""
    actions = _actions(n_levels, ACTION_TABLE).tolist()
    mask = ACTION_TABLE - 1
    position = [0]

    def block() -> int:
        index = position[0]
        for _ in range(STEP_BLOCK):
            done = step(actions[index & mask])[2]
            index += 1
            if done:
                reset()
        position[0] = index
        return STEP_BLOCK

    return block


def bench_scalar(seconds: float) -> dict[str, float]:
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    return rate(_stepper(env.step, env.reset, int(env.action_space.n)), seconds)


def bench_anchor(seconds: float) -> dict[str, float]:
    env = gym.make(ENV_ID)  # only for its traces, video and params
    anchor = make_anchor(env, sequential=False)
    anchor.reset()
    return rate(_stepper(anchor.step, anchor.reset, int(env.action_space.n)), seconds)


def bench_vector(n_envs: int, seconds: float) -> dict[str, float]:
    envs = gym.make_vec(ENV_ID, num_envs=n_envs)
    envs.reset(seed=0)
    table = _actions(int(envs.single_action_space.n), (64, n_envs))
    position = [0]

    def block() -> int:
        envs.step(table[position[0] & 63])
        position[0] += 1
        return n_envs

    result = rate(block, seconds)
    envs.close()
    return result


def bench_mpc(max_jump: int | None, seconds: float) -> dict[str, float]:
    """Decisions per second of ``RobustMPC.act`` alone, over whole episodes of the default env."""
    env = gym.make(ENV_ID)
    policy = RobustMPC(max_jump=max_jump)
    act_s = 0.0
    decisions = 0
    warm = True  # the first episode is a warm-up
    obs, info = env.reset(seed=0)
    policy.reset(env)
    while act_s < seconds:
        start = time.perf_counter()
        action = policy.act(obs, info)
        spent = time.perf_counter() - start
        if not warm:
            act_s += spent
            decisions += 1
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, info = env.reset()
            policy.reset(env)
            warm = False
    return {"per_s": decisions / act_s, "units": decisions, "elapsed_s": act_s}


def bench_anchor_mpc(seconds: float) -> dict[str, Any]:
    """The anchor robustMPC on the states of an env driven by netgym's full RobustMPC.

    Times the anchor's ``act`` only (at least 3 decisions, after 1 warm-up decision) and
    counts the decisions where the two pick different levels.
    """
    env = gym.make(ENV_ID)
    base = env.unwrapped
    policy = RobustMPC()
    anchor = PensieveAnchorMPC(
        base.model.video_sizes.tolist(), list(base.params.ladder_kbps), base.n_chunks
    )
    obs, info = env.reset(seed=0)
    policy.reset(env)
    act_s, decisions, disagreements, warm = 0.0, 0, 0, True
    while act_s < seconds or decisions < 3:
        start = time.perf_counter()
        anchor_level = anchor.act(
            int(info["quality"]),
            info["buffer_s"],
            info["chunk_bytes"],
            info["download_time_s"] * 1000.0,
            base.n_chunks - base.chunk_index,
        )
        spent = time.perf_counter() - start
        level = policy.act(obs, info)
        if warm:
            warm = False
        else:
            act_s += spent
            decisions += 1
        disagreements += int(anchor_level != level)
        obs, _, terminated, truncated, info = env.step(level)
        if terminated or truncated:
            obs, info = env.reset()
            policy.reset(env)
            anchor.reset()
    return {
        "per_s": decisions / act_s,
        "units": decisions,
        "elapsed_s": act_s,
        "disagreements": disagreements,
    }


# --------------------------------------------------------------------------- anchor check
def _obs_diff(obs: np.ndarray, state: np.ndarray, n_levels: int) -> float:
    """Max abs difference of the observations, row 4 on its level columns only.

    Pensieve rolls row 4 with the rest and then overwrites only ``[:levels]``, so its last
    ``S_LEN - levels`` columns keep stale sizes; netgym writes zeros there.
    """
    diff = np.abs(obs - state)
    diff[4, n_levels:] = 0.0
    return float(diff.max())


def check_anchor(n_episodes: int = 12) -> dict[str, Any]:
    """Same traces (in order, from pointer 1), same actions: compare rewards and states.

    Episodes cycle through random actions, always-lowest (fills the buffer: drain sleeps) and
    always-highest (slow downloads: trace wrap-arounds), so every code path is exercised.
    """
    params = AbrParams(trace_order="sequential", start="beginning")
    env = gym.make(ENV_ID, params=params)
    anchor = make_anchor(env, sequential=True)
    n_levels = int(env.action_space.n)
    rng = np.random.default_rng(ACTION_SEED)
    reward_diff = 0.0
    obs_diff = 0.0
    steps = 0
    obs, info = env.reset(seed=0)
    for episode in range(n_episodes):
        if episode > 0:
            obs, info = env.reset()
        state = anchor.reset()
        reward_diff = max(reward_diff, abs(info["qoe"] - anchor.reward))
        obs_diff = max(obs_diff, _obs_diff(obs, state, n_levels))
        pattern = episode % 3
        done = False
        while not done:
            if pattern == 0:
                action = int(rng.integers(n_levels))
            else:
                action = 0 if pattern == 1 else n_levels - 1
            obs, reward, done, _, info = env.step(action)
            state, anchor_reward, anchor_done = anchor.step(action)
            if done != anchor_done:
                raise RuntimeError(f"episode {episode}: the env and the anchor end differently")
            reward_diff = max(reward_diff, abs(reward - anchor_reward))
            if not done:  # at the end Pensieve's row 4 already shows the next video's sizes
                obs_diff = max(obs_diff, _obs_diff(obs, state, n_levels))
            steps += 1
    return {
        "anchor_matches_env": bool(reward_diff <= MATCH_TOLERANCE),
        "anchor_max_abs_reward_diff": reward_diff,
        "anchor_check": {
            "episodes": n_episodes,
            "steps": steps,
            "tolerance": MATCH_TOLERANCE,
            "anchor_sleeps": anchor.sleeps,
            "anchor_trace_wraps": anchor.wraps,
            "max_abs_obs_diff_float32": obs_diff,
        },
    }


# --------------------------------------------------------------------------- peak memory
def _proc_status_mb(field: str) -> float | None:
    """A memory field of ``/proc/self/status`` (VmRSS: now, VmHWM: peak) in MiB, or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def rss_child(n_envs: int) -> None:
    """Run in a fresh process: peak RSS after imports, then after building and stepping N envs."""
    baseline_mb = _maxrss_mb()
    baseline_now_mb = _proc_status_mb("VmRSS")
    envs = gym.make_vec(ENV_ID, num_envs=n_envs)
    envs.reset(seed=0)
    table = _actions(int(envs.single_action_space.n), (64, n_envs))
    steps = 3 * envs.unwrapped.model.n_chunks  # through two auto-resets
    for index in range(steps):
        envs.step(table[index & 63])
    result = {
        "baseline_mb": baseline_mb,
        "peak_mb": _maxrss_mb(),
        "vm_hwm_mb": _proc_status_mb("VmHWM"),
        "rss_now_before_env_mb": baseline_now_mb,
        "rss_now_after_steps_mb": _proc_status_mb("VmRSS"),
        "steps": steps,
    }
    print(json.dumps(result))


def measure_rss(n_envs: int) -> dict[str, float]:
    """Peak RSS of ``rss_child`` in a fresh process.

    Linux carries a parent's resident size into a child's ``ru_maxrss`` across fork + exec, so
    the child is started through ``/bin/sh`` (which forks it from its own small image); the
    child also reports ``VmHWM``, the peak of its own address space, as a cross-check.
    """
    command = [sys.executable, os.path.abspath(__file__), "--rss-child", str(n_envs)]
    if os.path.exists("/bin/sh"):
        command = ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def run(seconds: float) -> dict[str, Any]:
    wall_start = time.perf_counter()
    log(f"peak RSS at N={RSS_ENVS} (subprocess)")
    rss = measure_rss(RSS_ENVS)
    log("anchor check")
    check = check_anchor()
    log("scalar env")
    scalar = bench_scalar(seconds)
    log("anchor loop")
    anchor = bench_anchor(seconds)
    vector = {}
    for n_envs in VECTOR_SIZES:
        log(f"vector env N={n_envs}")
        vector[str(n_envs)] = bench_vector(n_envs, seconds)
    log("RobustMPC full / max_jump=1")
    mpc = {"full": bench_mpc(None, seconds), "max_jump_1": bench_mpc(1, seconds)}
    log("anchor robustMPC")
    anchor_mpc = bench_anchor_mpc(seconds)

    vector_rates = {n: r["per_s"] for n, r in vector.items()}
    peak_mb = rss["peak_mb"]
    result = {
        "scalar_env_steps_per_s": scalar["per_s"],
        "vector_env_steps_per_s": vector_rates,
        "mpc_decisions_per_s": {name: r["per_s"] for name, r in mpc.items()},
        "mpc_timing": "time inside policy.act only, whole episodes of the default env",
        "anchor_steps_per_s": anchor["per_s"],
        "anchor_mpc_decisions_per_s": anchor_mpc["per_s"],
        "anchor_mpc_decisions_timed": anchor_mpc["units"],
        "anchor_mpc_matches_env": anchor_mpc["disagreements"] == 0,
        **check,
        "speedup": {
            "vector_4096_vs_anchor": vector_rates["4096"] / anchor["per_s"],
            "scalar_vs_anchor": scalar["per_s"] / anchor["per_s"],
            "mpc_full_vs_anchor": mpc["full"]["per_s"] / anchor_mpc["per_s"],
        },
        "peak_rss_mb_vector_4096": peak_mb,
        "baseline_rss_mb": rss["baseline_mb"],
        "env_rss_mb_vector_4096": peak_mb - rss["baseline_mb"],
        "rss_detail": {key: value for key, value in rss.items() if key != "steps"},
        "targets": TARGETS,
        "meets_targets": {
            "vector_4096": vector_rates["4096"] >= TARGETS["vector_4096"],
            "scalar": scalar["per_s"] >= TARGETS["scalar"],
            "mpc_full": mpc["full"]["per_s"] >= TARGETS["mpc_full"],
            "rss_mb": peak_mb <= TARGETS["rss_mb"],
        },
        "samples": {
            "scalar_steps": scalar["units"],
            "anchor_steps": anchor["units"],
            "vector_env_steps": {n: r["units"] for n, r in vector.items()},
            "mpc_decisions": {name: r["units"] for name, r in mpc.items()},
            "rss_child_steps": rss["steps"],
        },
        "seconds_per_measurement": seconds,
        "machine": machine(gymnasium=gym.__version__),
    }
    result["wall_s"] = time.perf_counter() - wall_start
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.3 s per measurement (smoke test)")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 2)")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child is not None:
        rss_child(args.rss_child)
        return
    seconds = args.seconds if args.seconds is not None else (0.3 if args.quick else 2.0)
    if seconds <= 0:
        parser.error(f"--seconds must be > 0, got {seconds}")
    print(json.dumps(run(seconds), indent=2))


if __name__ == "__main__":
    main()
