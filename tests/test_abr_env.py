"""Behaviour of ``netgym/AbrStreaming-v0``: API conformance, the Pensieve dynamics on small
hand-computed cases, the QoE formulas, the observation layout, seeding and the vector env."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from netgym.envs.abr import AbrParams, AbrStreamingEnv, AbrStreamingVectorEnv

ENV_ID = "netgym.envs:netgym/AbrStreaming-v0"
LADDER = (300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0)
RTT_S = 0.08
PAYLOAD_BPS_AT_1MBPS = 1e6 / 8 * 0.95  # payload bytes per second on a 1 Mbit/s link
# Constant chunk sizes of the hand-made video, per level: 0.1 s, 1 s, ..., 4 s at 1 Mbit/s.
LEVEL_BYTES = (11875, 118750, 200000, 300000, 400000, 475000)
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


# ----------------------------------------------------------------------------- helpers
def write_trace(folder: Path, name: str, rows: list[tuple[float, float]]) -> Path:
    """Write one Pensieve-format trace (``time_s Mbps`` per line) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(f"{t!r} {mbps!r}\n" for t, mbps in rows))
    return folder


def write_video(folder: Path, level_bytes=LEVEL_BYTES, lines: int = 49) -> Path:
    """A video folder whose chunks all have the same size at a given level."""
    folder.mkdir(parents=True, exist_ok=True)
    for level, size in enumerate(level_bytes):
        (folder / f"video_size_{level}").write_text(f"{size}\n" * lines)
    return folder


def constant_trace(folder: Path, mbps: float = 1.0, seconds: int = 2000) -> Path:
    return write_trace(folder, "constant", [(float(t), mbps) for t in range(seconds + 1)])


def fixed_params(traces: Path, video: Path, **changes) -> AbrParams:
    """Deterministic settings (Pensieve's fixed_env): traces in order from pointer 1, no noise."""
    base = dict(
        traces=traces,
        video=video,
        trace_order="sequential",
        start="beginning",
        noise=None,
        default_quality=1,
    )
    return AbrParams(**{**base, **changes})


def rollout(env, seed, actions):
    """Reset with ``seed`` and play ``actions``; return the list of (obs, reward, info)."""
    obs, info = env.reset(seed=seed)
    out = [(obs, None, info)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(int(action))
        out.append((obs, reward, info))
        if terminated or truncated:
            break
    return out


def linear_qoe(bitrate_kbps, rebuffer_s, prev_kbps):
    return bitrate_kbps / 1000 - 4.3 * rebuffer_s - abs(bitrate_kbps - prev_kbps) / 1000


# ----------------------------------------------------------------------------- registration
def test_make_by_module_qualified_id_works_in_a_fresh_interpreter():
    code = (
        "import sys, gymnasium as gym\n"
        "assert 'netgym' not in sys.modules\n"
        f"env = gym.make({ENV_ID!r})\n"
        "obs, info = env.reset(seed=0)\n"
        "obs, r, term, trunc, info = env.step(0)\n"
        "print(obs.shape, type(env.unwrapped).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(6,", "8)", "AbrStreamingEnv"]


def test_gymnasium_env_checker_passes_without_warnings():
    from gymnasium.utils.env_checker import check_env

    env = gym.make(ENV_ID)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []


def test_stable_baselines3_env_checker_passes():
    from stable_baselines3.common.env_checker import check_env

    env = gym.make(ENV_ID)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, warn=True)
    # The 6 x 8 matrix is Pensieve's state by design; SB3 only suggests flattening it.
    messages = [str(w.message) for w in caught if "unconventional shape" not in str(w.message)]
    assert messages == []


# ----------------------------------------------------------------------------- episodes
def test_episode_lasts_47_steps_with_the_default_48_chunk_video():
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=1)
    assert info["chunk_index"] == 0
    assert env.unwrapped.n_chunks == 48
    steps, terminated = 0, False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(steps % 6)
        steps += 1
        assert not truncated
        assert info["chunk_index"] == steps
        assert terminated == (steps == 47)
        assert steps <= 47
    assert steps == 47


def test_step_after_the_last_chunk_requires_a_reset():
    env = AbrStreamingEnv(n_chunks=3)
    env.reset(seed=0)
    env.step(0)
    _, _, terminated, _, _ = env.step(0)
    assert terminated
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_reward_is_the_linear_qoe_of_bitrate_rebuffer_and_previous_bitrate():
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=3)
    # The first chunk (played by reset) has no switch: its QoE only pays for start-up delay.
    assert info["rebuffer_s"] > 0
    assert info["qoe"] == pytest.approx(linear_qoe(750.0, info["rebuffer_s"], 750.0), abs=1e-12)
    rng = np.random.default_rng(0)
    prev = info["bitrate_kbps"]
    saw_rebuffer = saw_switch = False
    for _ in range(47):
        action = int(rng.integers(6))
        obs, reward, terminated, _, info = env.step(action)
        assert info["bitrate_kbps"] == LADDER[action]
        assert info["quality"] == action
        expected = linear_qoe(info["bitrate_kbps"], info["rebuffer_s"], prev)
        assert reward == pytest.approx(expected, abs=1e-12)
        assert info["qoe"] == reward
        saw_rebuffer |= info["rebuffer_s"] > 0
        saw_switch |= info["bitrate_kbps"] != prev
        prev = info["bitrate_kbps"]
    assert saw_rebuffer and saw_switch  # both penalty terms were exercised


def test_mean_reward_is_the_per_step_mean_over_chunks_2_to_48():
    """The anchors' per-trace score: mean(reward[1:48]), the reset chunk's QoE left out."""
    from netgym.leaderboard import evaluate

    class Alternate:
        name = "alternate"

        def reset(self, env):
            self.t = 0

        def act(self, obs, info):
            self.t += 1
            return (self.t * 5) % 6

    kwargs = dict(trace_order="sequential", start="beginning", noise=None)
    result = evaluate(Alternate(), ENV_ID, episodes=1, seed=0, env_kwargs=kwargs)

    env = AbrStreamingEnv(**kwargs)
    _, info = env.reset(seed=0)
    rewards = [info["qoe"]]  # chunk 1, downloaded by reset
    policy = Alternate()
    policy.reset(env)
    terminated = False
    while not terminated:
        _, reward, terminated, _, _ = env.step(policy.act(None, None))
        rewards.append(reward)
    assert len(rewards) == 48
    assert result.lengths == [47]
    assert result.returns[0] == pytest.approx(sum(rewards[1:]), abs=1e-9)
    assert result.mean_rewards[0] == pytest.approx(np.mean(rewards[1:]), abs=1e-12)
    assert result.mean_rewards[0] != pytest.approx(np.mean(rewards), abs=1e-6)


def test_observation_rows_match_info_and_video_sizes():
    env = gym.make(ENV_ID)
    unwrapped = env.unwrapped
    obs, info = env.reset(seed=5)
    rng = np.random.default_rng(1)
    prev_obs = None
    terminated = False
    while True:
        assert obs.shape == (6, 8) and obs.dtype == np.float32
        assert env.observation_space.contains(obs)
        chunk = unwrapped.chunk_index
        assert chunk == info["chunk_index"] + 1
        expected_last = [
            info["bitrate_kbps"] / 4300,
            info["buffer_s"] / 10,
            info["chunk_bytes"] / (info["download_time_s"] * 1000) / 1000,
            info["download_time_s"] / 10,
            (48 - chunk) / 48,
        ]
        got_last = obs[[0, 1, 2, 3, 5], -1]
        np.testing.assert_allclose(got_last, expected_last, rtol=1e-6)
        np.testing.assert_allclose(obs[4, :6], unwrapped.video_sizes[:, chunk] / 1e6, rtol=1e-6)
        assert np.all(obs[4, 6:] == 0)
        if prev_obs is None:  # after reset only the newest column is filled
            assert np.all(obs[[0, 1, 2, 3, 5], :-1] == 0)
        else:  # history shifts left by one column per chunk
            np.testing.assert_array_equal(obs[[0, 1, 2, 3, 5], :-1], prev_obs[[0, 1, 2, 3, 5], 1:])
        if terminated:
            break
        prev_obs = obs
        obs, _, terminated, _, info = env.step(int(rng.integers(6)))
    assert obs[5, -1] == 0


# ----------------------------------------------------------------------------- dynamics
def test_buffer_rebuffer_and_sleep_follow_pensieve_on_a_constant_1mbps_trace(tmp_path):
    params = fixed_params(constant_trace(tmp_path / "traces"), write_video(tmp_path / "video"))
    env = AbrStreamingEnv(params)
    approx = dict(abs=1e-9)

    def delay(level):
        return LEVEL_BYTES[level] / PAYLOAD_BPS_AT_1MBPS + RTT_S

    # reset: chunk 0 at level 1 (118750 B = 1 s of payload) with an empty buffer.
    _, info = env.reset(seed=0)
    assert delay(1) == pytest.approx(1.08)
    assert info["download_time_s"] == pytest.approx(1.08, **approx)
    assert info["rebuffer_s"] == pytest.approx(1.08, **approx)
    assert info["buffer_s"] == pytest.approx(4.0, **approx)
    assert info["sleep_s"] == 0
    assert info["throughput_mbps"] == pytest.approx(118750 * 8 / 1.08 / 1e6, **approx)
    # The RTT is not spent on the trace clock: the position advanced by the payload time only.
    assert env.trace_position_s == pytest.approx(1.0, **approx)

    # Level 5 (4.08 s) with 4 s of buffer: 0.08 s of rebuffering, buffer back to 4 s.
    _, reward, _, _, info = env.step(5)
    assert info["download_time_s"] == pytest.approx(4.08, **approx)
    assert info["rebuffer_s"] == pytest.approx(0.08, **approx)
    assert info["buffer_s"] == pytest.approx(4.0, **approx)
    assert reward == pytest.approx(4.3 - 4.3 * 0.08 - (4.3 - 0.75), **approx)
    assert env.trace_position_s == pytest.approx(5.0, **approx)

    # Level 0 (0.18 s): the buffer grows by 3.82 s per chunk until it passes 60 s.
    position = 5.0
    for k in range(1, 15):
        _, _, _, _, info = env.step(0)
        position += 0.1
        assert info["buffer_s"] == pytest.approx(4.0 + 3.82 * k, **approx)
        assert info["rebuffer_s"] == 0 and info["sleep_s"] == 0
    assert info["buffer_s"] == pytest.approx(57.48, **approx)

    # 57.48 - 0.18 + 4 = 61.3 s > 60 s: sleep ceil(1.3 / 0.5) * 0.5 = 1.5 s, buffer 59.8 s.
    # Then 63.62 -> sleep 4.0 -> 59.62; 63.44 -> sleep 3.5 -> 59.94; 63.76 -> 4.0 -> 59.76.
    for sleep_s, buffer_s in [(1.5, 59.8), (4.0, 59.62), (3.5, 59.94), (4.0, 59.76)]:
        _, _, _, _, info = env.step(0)
        position += 0.1 + sleep_s  # the trace clock keeps running while the player sleeps
        assert info["sleep_s"] == pytest.approx(sleep_s, **approx)
        assert info["buffer_s"] == pytest.approx(buffer_s, **approx)
        assert info["rebuffer_s"] == 0
        assert env.trace_position_s == pytest.approx(position, **approx)
        assert env.buffer_s == pytest.approx(buffer_s, **approx)


def test_a_trace_shorter_than_one_download_wraps_to_its_start(tmp_path):
    # Period 1 s: (0, 0.5] at 1 Mbit/s, (0.5, 1] at 2 Mbit/s; the first sample's rate is unused.
    traces = write_trace(tmp_path / "traces", "short", [(0.0, 9.0), (0.5, 1.0), (1.0, 2.0)])
    params = fixed_params(traces, write_video(tmp_path / "video"), default_quality=5)
    env = AbrStreamingEnv(params)
    slow, fast = PAYLOAD_BPS_AT_1MBPS, 2 * PAYLOAD_BPS_AT_1MBPS
    per_period = 0.5 * slow + 0.5 * fast  # 178125 B

    # 475000 B from t = 0: two whole periods, then 0.5 s slow and 0.25 s fast.
    _, info = env.reset(seed=0)
    left = 475000 - 2 * per_period - 0.5 * slow
    assert left / fast == pytest.approx(0.25)
    assert info["download_time_s"] == pytest.approx(2.0 + 0.5 + 0.25 + RTT_S, abs=1e-9)
    assert env.trace_position_s == pytest.approx(0.75, abs=1e-9)

    # 400000 B from t = 0.75: 0.25 s fast, one period, 0.5 s slow, then the rest fast.
    _, _, _, _, info = env.step(4)
    left = 400000 - 0.25 * fast - per_period - 0.5 * slow
    assert 0 < left < 0.5 * fast
    expected = 0.25 + 1.0 + 0.5 + left / fast
    assert info["download_time_s"] == pytest.approx(expected + RTT_S, abs=1e-9)
    assert env.trace_position_s == pytest.approx(0.5 + left / fast, abs=1e-9)
    assert info["buffer_s"] == pytest.approx(4.0 - (expected + RTT_S) + 4.0, abs=1e-9)


def test_start_pointer_list_sets_where_each_trace_begins(tmp_path):
    # 1 Mbit/s up to t = 3, then 2 Mbit/s: from pointer 4 the first chunk downloads twice as fast.
    rows = [(float(t), 1.0 if t <= 3 else 2.0) for t in range(21)]
    traces = write_trace(tmp_path / "traces", "a", rows)
    write_trace(traces, "b", rows)
    params = fixed_params(traces, write_video(tmp_path / "video"), start=[1, 4])
    env = AbrStreamingEnv(params)
    _, info = env.reset(seed=0)
    assert info["trace"] == "a"
    assert info["download_time_s"] == pytest.approx(1.0 + RTT_S, abs=1e-9)
    assert env.trace_position_s == pytest.approx(0.0 + 1.0, abs=1e-9)
    _, info = env.reset()
    assert info["trace"] == "b"
    assert info["download_time_s"] == pytest.approx(0.5 + RTT_S, abs=1e-9)
    assert env.trace_position_s == pytest.approx(3.0 + 0.5, abs=1e-9)


def test_noise_multiplies_each_delay_by_a_factor_in_0_9_to_1_1(tmp_path):
    traces, video = constant_trace(tmp_path / "traces"), write_video(tmp_path / "video")
    clean = AbrStreamingEnv(fixed_params(traces, video))
    noisy = AbrStreamingEnv(fixed_params(traces, video, noise=(0.9, 1.1)))
    actions = np.random.default_rng(2).integers(0, 6, 47)
    clean_run = rollout(clean, 0, actions)
    noisy_run = rollout(noisy, 0, actions)
    assert len(clean_run) == len(noisy_run) == 48
    pairs = zip(clean_run, noisy_run, strict=True)
    factors = np.array([n[2]["download_time_s"] / c[2]["download_time_s"] for c, n in pairs])
    assert np.all((factors >= 0.9) & (factors <= 1.1))
    assert np.ptp(factors) > 0.05  # a fresh factor per chunk, not one per episode
    np.testing.assert_allclose(factors, noisy.episode_noise, rtol=1e-12)
    # The noise stretches the reported delay only, not the trace clock (Pensieve's env.py).
    payload_s = sum(c[2]["download_time_s"] - RTT_S for c in clean_run)
    noisy_pos = payload_s + sum(n[2]["sleep_s"] for n in noisy_run)
    assert noisy.trace_position_s == pytest.approx(noisy_pos, abs=1e-6)


@pytest.mark.parametrize(
    ("qoe", "utility", "penalty"),
    [
        ("log", lambda kbps: math.log(kbps / 300.0), 2.66),
        ("hd", lambda kbps: (1.0, 2.0, 3.0, 12.0, 15.0, 20.0)[LADDER.index(kbps)], 8.0),
        ("linear", lambda kbps: kbps / 1000.0, 4.3),
    ],
)
def test_qoe_modes_use_their_documented_utility_and_rebuffer_penalty(
    tmp_path, qoe, utility, penalty
):
    # 1 Mbit/s: level 5 always rebuffers, so the penalty term is exercised.
    params = fixed_params(
        constant_trace(tmp_path / "traces"), write_video(tmp_path / "video"), qoe=qoe
    )
    env = AbrStreamingEnv(params)
    actions = [5, 5, 0, 3, 5, 1, 4, 2, 2, 5]
    run = rollout(env, 0, actions)
    rebuffered = 0
    for (_, _, prev_info), (_, reward, info) in zip(run, run[1:], strict=False):
        u, u_prev = utility(info["bitrate_kbps"]), utility(prev_info["bitrate_kbps"])
        expected = u - penalty * info["rebuffer_s"] - abs(u - u_prev)
        assert reward == pytest.approx(expected, abs=1e-12)
        rebuffered += info["rebuffer_s"] > 0
    assert rebuffered >= 2


# ----------------------------------------------------------------------------- trace order
def seven_traces(folder: Path) -> Path:
    for i in range(7):
        write_trace(folder, f"trace_{i}", [(0.0, 1.0), (1.0, 1.0 + i), (2.0, 2.0)])
    return folder


def test_sequential_order_plays_traces_in_name_order_and_trace_index_selects_one(tmp_path):
    traces = seven_traces(tmp_path / "traces")
    env = AbrStreamingEnv(traces=traces, trace_order="sequential", start="beginning", n_chunks=3)
    played = [env.reset(seed=0)[1]["trace_index"]] + [
        env.reset()[1]["trace_index"] for _ in range(8)
    ]
    assert played == [0, 1, 2, 3, 4, 5, 6, 0, 1]
    assert env.trace_name == "trace_1"
    assert env.reset(seed=0)[1]["trace_index"] == 0  # a new seed restarts the order
    _, info = env.reset(options={"trace_index": 4})
    assert info["trace_index"] == 4 and info["trace"] == "trace_4" == env.trace_name


def test_random_order_draws_different_traces(tmp_path):
    env = AbrStreamingEnv(traces=seven_traces(tmp_path / "traces"), n_chunks=3)
    played = {env.reset(seed=s)[1]["trace_index"] for s in range(30)}
    assert len(played) >= 5


def test_same_seed_and_actions_give_identical_trajectories_and_different_seeds_differ():
    actions = np.random.default_rng(7).integers(0, 6, 47)
    params = AbrParams.pensieve()  # random trace, random start, delay noise

    def trajectory(seed):
        run = rollout(AbrStreamingEnv(params), seed, actions)
        return (
            np.stack([o for o, _, _ in run]),
            np.array([r for _, r, _ in run[1:]]),
            [{k: i[k] for k in INFO_KEYS} for _, _, i in run],
        )

    obs_a, rew_a, info_a = trajectory(11)
    obs_b, rew_b, info_b = trajectory(11)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)
    assert info_a == info_b
    obs_c, rew_c, _ = trajectory(12)
    assert not np.array_equal(rew_a, rew_c)
    assert not np.array_equal(obs_a, obs_c)


def test_reset_with_the_same_seed_replays_the_same_episode():
    env = AbrStreamingEnv(noise=(0.9, 1.1))
    first = env.reset(seed=4)
    env.step(3)
    again = env.reset(seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    assert first[1] == again[1]


# ----------------------------------------------------------------------------- vector env
def test_vector_env_matches_scalar_envs_seeded_seed_plus_i_across_autoresets():
    n, seed, steps = 4, 100, 40
    kwargs = dict(trace_order="random", start="random", noise=(0.9, 1.1), n_chunks=8)
    venv = gym.make_vec(ENV_ID, num_envs=n, **kwargs)
    assert isinstance(venv.unwrapped, AbrStreamingVectorEnv)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    envs = [gym.make(ENV_ID, **kwargs) for _ in range(n)]

    vobs, vinfo = venv.reset(seed=seed)
    resets = [env.reset(seed=seed + i) for i, env in enumerate(envs)]
    np.testing.assert_array_equal(vobs, np.stack([o for o, _ in resets]))
    np.testing.assert_array_equal(vinfo["trace_index"], [i["trace_index"] for _, i in resets])

    rng = np.random.default_rng(0)
    needs_reset = [False] * n
    autoresets = 0
    for _ in range(steps):
        actions = rng.integers(0, 6, n)
        vobs, vrew, vterm, vtrunc, vinfo = venv.step(actions)
        for i, env in enumerate(envs):
            if needs_reset[i]:  # NEXT_STEP: this step only resets the sub-env
                obs, info = env.reset()
                reward, terminated = 0.0, False
                autoresets += 1
            else:
                obs, reward, terminated, _, info = env.step(int(actions[i]))
            np.testing.assert_array_equal(vobs[i], obs)
            assert vrew[i] == reward
            assert vterm[i] == terminated and not vtrunc[i]
            for key in INFO_KEYS:
                assert vinfo[key][i] == info[key], key
            needs_reset[i] = terminated
    assert autoresets == 5 * n  # 7-step episodes end at steps 7, 15, .., 39; resets at 8, .., 40


def test_vector_env_with_sequential_order_plays_traces_i_then_i_plus_n(tmp_path):
    traces = seven_traces(tmp_path / "traces")
    venv = gym.make_vec(
        ENV_ID,
        num_envs=3,
        traces=traces,
        trace_order="sequential",
        start="beginning",
        n_chunks=3,
    )
    _, info = venv.reset(seed=0)
    played = [info["trace_index"].tolist()]
    for _ in range(9):  # 2 steps per episode, then the autoreset step
        _, _, terminated, _, info = venv.step(np.zeros(3, dtype=np.int64))
        if not terminated.any() and info["chunk_index"][0] == 0:
            played.append(info["trace_index"].tolist())
    assert played == [[0, 1, 2], [3, 4, 5], [6, 0, 1], [2, 3, 4]]


def test_vector_env_info_is_a_dict_of_arrays_with_true_masks():
    n = 3
    venv = gym.make_vec(ENV_ID, num_envs=n)
    for _, info in [venv.reset(seed=0), venv.step(np.array([0, 3, 5]))[::4]]:
        assert set(INFO_KEYS) <= set(info)
        for key in INFO_KEYS:
            assert isinstance(info[key], np.ndarray) and info[key].shape == (n,), key
            mask = info["_" + key]
            assert mask.dtype == bool and mask.shape == (n,) and mask.all(), key
    np.testing.assert_array_equal(info["quality"], [0, 3, 5])
    np.testing.assert_array_equal(info["bitrate_kbps"], [300.0, 1850.0, 4300.0])


def test_vector_env_observation_and_action_spaces_are_batched():
    venv = gym.make_vec(ENV_ID, num_envs=2)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (2, 6, 8)
    assert venv.observation_space.contains(obs)
    assert venv.single_action_space == gym.spaces.Discrete(6)
    obs, *_ = venv.step(venv.action_space.sample())
    assert venv.observation_space.contains(obs)


# ----------------------------------------------------------------------------- real data
def test_hsdpa142_preset_loads_142_traces_and_the_48_chunk_envivio_video(abr_data):
    params = AbrParams.hsdpa142(abr_data)
    env = AbrStreamingEnv(params)
    assert len(env.model.table) == 142
    assert env.video_sizes.shape == (6, 49)
    assert env.n_chunks == 48  # 49 lines, 48 chunks played
    assert env.video_sizes[0, 0] == 181801 and env.video_sizes[5, 0] == 2354772
    _, info = env.reset(seed=0)
    assert info["trace"] == "norway_bus_1" and info["trace_index"] == 0
    assert info["quality"] == 1
    steps, terminated = 0, False
    while not terminated:
        _, _, terminated, _, _ = env.step(0)
        steps += 1
    assert steps == 47
    assert env.reset()[1]["trace_index"] == 1


def test_same_step_autoreset_matches_scalar_envs_and_reports_final_obs():
    from gymnasium.vector import AutoresetMode

    n = 3
    venv = gym.make_vec(
        "netgym/AbrStreaming-v0",
        num_envs=n,
        autoreset_mode=AutoresetMode.SAME_STEP,
        noise=(0.9, 1.1),
        n_chunks=6,
    )
    assert venv.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, _ = venv.reset(seed=5)
    envs = [AbrStreamingEnv(noise=(0.9, 1.1), n_chunks=6) for _ in range(n)]
    for i, env in enumerate(envs):
        assert np.array_equal(env.reset(seed=5 + i)[0], obs[i])
    rng = np.random.default_rng(0)
    finals = 0
    for _ in range(30):
        actions = rng.integers(0, 6, n)
        obs, reward, terminated, _, info = venv.step(actions)
        for i, env in enumerate(envs):
            expected, expected_reward, done, _, _ = env.step(int(actions[i]))
            assert expected_reward == reward[i]
            assert done == terminated[i]
            if done:
                finals += 1
                assert info["_final_obs"][i]
                assert np.array_equal(info["final_obs"][i], expected)
                expected, _ = env.reset()
            assert np.array_equal(expected, obs[i])
    assert finals == 6 * n  # 30 steps of 5-step episodes


def test_unknown_autoreset_mode_is_rejected():
    with pytest.raises(ValueError, match="autoreset_mode must be one of"):
        gym.make_vec("netgym/AbrStreaming-v0", num_envs=2, autoreset_mode="Sometimes")


def test_vector_env_autoresets_when_the_video_has_exactly_n_chunks_lines(tmp_path):
    # With n_chunks == lines there is no size line after the last chunk; a finished sub-env must
    # not download again before its NEXT_STEP reset.
    params = fixed_params(
        constant_trace(tmp_path / "traces"), write_video(tmp_path / "video", lines=5), n_chunks=5
    )
    venv = AbrStreamingVectorEnv(num_envs=2, params=params)
    scalar = AbrStreamingEnv(params=params)
    venv.reset(seed=0)
    scalar.reset(seed=0)
    for step in range(12):
        obs, reward, terminated, _, _ = venv.step(np.array([2, 2]))
        if step % 5 == 4:  # the autoreset step
            assert reward.tolist() == [0.0, 0.0] and not terminated.any()
            expected, _ = scalar.reset()
        else:
            expected, expected_reward, done, _, _ = scalar.step(2)
            assert reward[0] == expected_reward and terminated[0] == done
        assert np.array_equal(obs[0], expected)


def test_vector_env_reports_the_seed_it_was_reset_with():
    venv = AbrStreamingVectorEnv(num_envs=3)
    venv.reset(seed=5)
    assert venv.np_random_seed == 5
    venv.reset(seed=[7, 8, 9])
    assert venv.np_random_seed == 7


def test_observation_space_depends_on_parameters_not_on_the_data(tmp_path):
    synthetic = AbrStreamingEnv()
    other = AbrStreamingEnv(synthetic_traces={"n_traces": 3, "high_mbps": 50.0}, noise=(0.5, 2))
    assert synthetic.observation_space == other.observation_space
    assert AbrStreamingEnv(buffer_cap_s=30).observation_space != synthetic.observation_space


def test_render_draws_the_recent_chunks():
    env = gym.make("netgym/AbrStreaming-v0", render_mode="rgb_array")
    env.reset(seed=0)
    for level in (0, 5, 5):
        env.step(level)
    frame = env.render()
    # issue #15 redrew the frame (throughput, bitrates, buffer, stalls, axes): 400 x 640
    assert frame.shape == (400, 640, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 3  # background and two bar colours
    for colour in ((31, 90, 180), (245, 121, 0)):  # the bitrate steps and the buffer line
        assert (frame == colour).all(axis=-1).any()
    assert gym.make("netgym/AbrStreaming-v0").unwrapped.render() is None


def test_action_masks_allow_every_level():
    env = AbrStreamingEnv()
    assert env.action_masks().tolist() == [True] * 6
    venv = AbrStreamingVectorEnv(num_envs=3)
    assert venv.action_masks().shape == (3, 6) and venv.action_masks().all()
