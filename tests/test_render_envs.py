"""Every env draws ``rgb_array`` frames (and, where declared, ``ansi`` text) of its state, and
rendering never changes an episode (issue #15, part 1)."""

from __future__ import annotations

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import numpy as np
import pytest

CASES = {
    "netgym/AbrStreaming-v0": ({}, (400, 640, 3)),
    "netgym/UavOffload-v0": ({}, (400, 400, 3)),
    "netgym/RepeaterChain-v0": ({"n_nodes": 5, "mem_per_side": 2, "p_gen": 0.5}, (320, 640, 3)),
    "netgym/QuantumNetworkScheduling-v0": ({"topology": "H"}, (400, 640, 3)),
    "netgym/MoeExpertCache-v0": ({"n_requests": 8, "lookahead_iterations": 2}, (272, 640, 3)),
    "netgym/MoeBatching-v0": ({"params": "small"}, (400, 640, 3)),
    "netgym/MoeRouting-v0": ({"params": "small"}, (400, 640, 3)),
    "netgym/WirelessVideoCell-v0": ({"n_users": 3}, (400, 640, 3)),
    "netgym/MoeGliderRouting-v0": ({"params": "small"}, (320, 640, 3)),
}
"""env id -> (small kwargs, the frame shape its docstring declares)"""
ANSI = [env_id for env_id in CASES if env_id != "netgym/UavOffload-v0"]
STEPS = 6


def make(env_id: str, render_mode: str | None) -> gym.Env:
    kwargs, _ = CASES[env_id]
    return gym.make(env_id, render_mode=render_mode, **kwargs)


def actions(env: gym.Env, count: int, seed: int = 0) -> list:
    """``count`` valid actions drawn from the action space (seeded)."""
    env.action_space.seed(seed)
    return [env.action_space.sample() for _ in range(count)]


def play(env: gym.Env, seed: int, steps: list, render: bool) -> list:
    """Reset with ``seed``, take ``steps`` (resetting at episode ends); returns the
    transitions (and renders after each when ``render``)."""
    obs, info = env.reset(seed=seed)
    if render:
        env.render()
    record = [(obs, info)]
    for action in steps:
        obs, reward, terminated, truncated, info = env.step(action)
        if render:
            env.render()
        record.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
    return record


def same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b or (a != a and b != b)


@pytest.mark.parametrize("env_id", CASES)
def test_every_env_declares_rgb_array_and_refuses_human(env_id):
    env = make(env_id, "rgb_array")
    assert "rgb_array" in env.metadata["render_modes"]
    assert env.metadata["render_fps"] > 0
    with pytest.raises(ValueError, match="has no 'human' render mode"):
        make(env_id, "human")


@pytest.mark.parametrize("env_id", CASES)
def test_frame_has_the_declared_shape_at_reset_and_after_steps(env_id):
    env = make(env_id, "rgb_array")
    shape = CASES[env_id][1]
    env.reset(seed=0)
    first = env.render()
    assert first.shape == shape and first.dtype == np.uint8
    for action in actions(env, STEPS):
        _, _, terminated, truncated, _ = env.step(action)
        frame = env.render()
        assert frame.shape == shape and frame.dtype == np.uint8
        if terminated or truncated:
            break
    # a frame is a picture, not a blank: several colours, text in dark ink
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 5
    assert (frame.max(axis=-1) < 100).any()


@pytest.mark.parametrize("env_id", CASES)
def test_frames_differ_when_the_state_differs(env_id):
    env = make(env_id, "rgb_array")
    env.reset(seed=0)
    at_reset = env.render()
    for action in actions(env, STEPS):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    assert not np.array_equal(env.render(), at_reset)
    env.reset(seed=0)
    assert np.array_equal(env.render(), at_reset)  # the same state draws the same frame


@pytest.mark.parametrize("env_id", CASES)
def test_a_rendered_episode_equals_an_unrendered_one(env_id):
    plain, drawn = make(env_id, None), make(env_id, "rgb_array")
    steps = actions(plain, 3 * STEPS, seed=1)
    assert same(play(plain, 7, steps, render=False), play(drawn, 7, steps, render=True))
    if env_id in ANSI:
        text = make(env_id, "ansi")
        assert same(play(plain, 7, steps, render=False), play(text, 7, steps, render=True))


@pytest.mark.parametrize("env_id", ANSI)
def test_ansi_returns_text_of_the_state(env_id):
    env = make(env_id, "ansi")
    env.reset(seed=0)
    first = env.render()
    assert isinstance(first, str) and first.endswith("\n")
    assert env_id.split("/")[1].split("-")[0] in first.splitlines()[0]
    for action in actions(env, STEPS):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    assert env.render() != first


@pytest.mark.parametrize("env_id", CASES)
def test_render_without_a_mode_returns_none(env_id):
    env = make(env_id, None)
    env.reset(seed=0)
    assert env.render() is None


@pytest.mark.parametrize("env_id", CASES)
def test_rgb_array_list_collects_one_frame_per_step(env_id):
    env = make(env_id, "rgb_array_list")
    env.reset(seed=0)
    env.step(actions(env, 1)[0])
    frames = env.render()
    assert len(frames) == 2 and frames[0].shape == CASES[env_id][1]


def test_abr_frame_marks_stalls_in_red():
    """A slow trace and the top bitrate stall the player: the stall colour is drawn."""
    slow = {"n_traces": 1, "low_mbps": 0.2, "high_mbps": 0.3}
    frames, texts = (
        gym.make("netgym/AbrStreaming-v0", render_mode=mode, synthetic_traces=slow)
        for mode in ("rgb_array", "ansi")
    )
    for env in (frames, texts):
        env.reset(seed=0)
        for _ in range(3):
            _, _, _, _, info = env.step(5)
    assert info["rebuffer_s"] > 0
    assert (frames.render() == (214, 39, 40)).all(axis=-1).any()
    last_row = texts.render().splitlines()[-1].split()
    assert float(last_row[4]) == pytest.approx(info["rebuffer_s"], abs=0.01)  # stall_s


def test_chain_frame_names_the_action_of_every_node():
    env = gym.make("netgym/RepeaterChain-v0", render_mode="ansi", n_nodes=4)
    env.reset(seed=0)
    env.step(np.array([0, 1, 4, 1]))
    lines = env.render().splitlines()
    action_line = next(line for line in lines if line.startswith("action"))
    assert action_line.split()[1:] == ["wait", "swap", "discard", "L", "discard"]


def test_cache_frame_remembers_the_victim_of_the_last_decision():
    env = gym.make("netgym/MoeExpertCache-v0", render_mode="ansi", n_requests=8)
    env.reset(seed=0)
    resident = env.unwrapped.sim.resident.copy()
    incoming = int(env.unwrapped.sim.incoming)
    slot = int(np.flatnonzero(env.unwrapped.action_masks())[0])
    env.step(slot)
    text = env.render()
    assert f"slot {slot}: e{resident[slot]} -> e{incoming}" in text
