"""The ABR vector kernel's fast paths (``envs/abr/sim.py``, ``envs/abr/kernel.py``), each against
what it replaces: the compiled forward-scan trace search against numpy's binary search, the
batched episode draws against one draw per env, and the step of every env against the step of a
subset."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from netgym.envs.abr import AbrParams
from netgym.envs.abr.kernel import search_right
from netgym.envs.abr.model import build_model
from netgym.envs.abr.sim import BatchSim, draw_episode, draw_episodes

ENV_ID = "netgym/AbrStreaming-v0"


@pytest.mark.parametrize("n_values", [5, 127, 128, 700, 5000])
def test_search_right_equals_numpys_binary_search_wherever_the_hint_lies(n_values):
    rng = np.random.default_rng(n_values)
    keys = np.cumsum(rng.integers(0, 3, 2000)).astype(float)  # repeated keys: ties
    values = rng.uniform(-5.0, keys[-1] + 5.0, n_values)
    values[::7] = keys[rng.integers(0, len(keys), len(values[::7]))]  # exactly on a key
    answer = np.searchsorted(keys, values, side="right")
    # hints at the answer, a few or many entries before it, and past it (a wrap)
    offsets = rng.choice([0, 1, 3, 9, 40, 1000, -1, -30], n_values)
    hint = np.clip(answer - offsets, 1, len(keys))
    table = np.append(keys, np.inf)[:, None]  # one column, and the +inf row that stops a search
    stop = len(keys)
    pairs = zip(values.tolist(), hint.tolist(), strict=True)
    found = [search_right(table, 0, value, at, stop) for value, at in pairs]
    np.testing.assert_array_equal(found, answer)


@pytest.mark.parametrize(
    "changes",
    [{}, {"noise": (0.9, 1.1)}, {"start": "beginning"}, {"trace_order": "sequential"}],
)
def test_draw_episodes_draws_what_one_draw_per_env_draws(changes):
    model = build_model(AbrParams(**changes))
    traces = None if "trace_order" not in changes else [3, 0, 7, 3]
    batch = [np.random.default_rng(seed) for seed in range(4)]
    one_by_one = [np.random.default_rng(seed) for seed in range(4)]
    trace, pointer, noise = draw_episodes(batch, model, traces)
    for j, rng in enumerate(one_by_one):
        expected = draw_episode(rng, model, None if traces is None else traces[j])
        assert (trace[j], pointer[j]) == expected[:2]
        if noise is None:
            assert expected[2] is None
        else:
            np.testing.assert_array_equal(noise[j], expected[2])
        assert batch[j].random() == rng.random()  # and the generators stay in step


def test_draw_episodes_refuses_a_trace_index_out_of_range():
    model = build_model(AbrParams())
    with pytest.raises(ValueError, match="trace_index must be in"):
        draw_episodes([None], model, [len(model.table)])


def test_stepping_every_env_in_place_equals_stepping_them_as_a_subset():
    model = build_model(AbrParams(noise=(0.9, 1.1)))
    rngs = [np.random.default_rng(seed) for seed in range(9)]
    every, subset = BatchSim(model, 9), BatchSim(model, 9)
    all_envs = np.arange(9)
    every.reset(all_envs, rngs, {})
    subset.reset(all_envs, [np.random.default_rng(seed) for seed in range(9)], {})
    levels = np.random.default_rng(1)
    slept = False
    for _ in range(model.n_chunks - 1):  # the rest of the video
        quality = levels.integers(0, model.n_levels, 9)
        every.download(slice(None), quality)
        subset.download(all_envs, quality)
        for name in ("ptr", "pos_s", "buffer_ms", "chunk", "delay_ms", "sleep_ms", "obs"):
            np.testing.assert_array_equal(getattr(every, name), getattr(subset, name))
        for name in ("rebuf_s", "size_b", "reward", "last_q"):
            np.testing.assert_array_equal(getattr(every, name), getattr(subset, name))
        slept |= bool(every.sleep_ms.any())
    assert slept  # the drain sleep's trace walk was compared too


def test_vector_env_at_a_scan_sized_batch_matches_scalar_envs():
    """200 sub-envs (more than the numpy kernel's former scan threshold of 128): the compiled
    search and step, against scalar envs seeded seed + i (the scalar kernel searches with
    bisect)."""
    num_envs, seed = 200, 3
    vector = gym.make_vec(ENV_ID, num_envs=num_envs)
    scalars = [gym.make(ENV_ID).unwrapped for _ in range(num_envs)]
    obs, _ = vector.reset(seed=seed)
    for i, scalar in enumerate(scalars):
        np.testing.assert_array_equal(obs[i], scalar.reset(seed=seed + i)[0])
    levels = np.random.default_rng(0)
    for _ in range(30):
        actions = levels.integers(0, 6, num_envs)
        obs, rewards, *_ = vector.step(actions)
        for i, scalar in enumerate(scalars):
            expected_obs, reward, *_ = scalar.step(int(actions[i]))
            assert rewards[i] == reward
            np.testing.assert_array_equal(obs[i], expected_obs)


def test_the_compiled_download_keeps_one_signature_for_every_way_the_sims_call_it():
    """Every env, a subset, with and without noise, the oracle's broadcast noise rows: one
    compiled signature (each more would cost compile time in a fresh clone)."""
    from netgym.envs.core.compiled import KERNELS

    for changes in ({}, {"noise": (0.9, 1.1)}):
        model = build_model(AbrParams(**changes))
        sim = BatchSim(model, 5)
        sim.reset(np.arange(5), [np.random.default_rng(seed) for seed in range(5)], {})
        sim.download(slice(None), np.arange(5) % model.n_levels)
        sim.download(np.array([1, 3]), np.array([0, 2]))
        if sim.noise is not None:
            sim.noise = np.broadcast_to(sim.noise[0], sim.noise.shape)  # as the oracle does
            sim.download(slice(None), np.zeros(5, dtype=np.int64))
    assert len(KERNELS["netgym.envs.abr.kernel.download_chunks"].signatures) == 1


def test_downloading_past_the_last_chunk_is_refused():
    model = build_model(AbrParams(n_chunks=3))
    sim = BatchSim(model, 2)
    sim.reset(np.arange(2), [np.random.default_rng(seed) for seed in range(2)], {})
    lines = model.video_sizes.shape[1]
    sim.chunk[:] = lines  # the last chunk of the video file is downloaded
    with pytest.raises(IndexError, match="past the video's last chunk"):
        sim.download(slice(None), np.zeros(2, dtype=np.int64))
