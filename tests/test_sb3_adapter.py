"""SB3VecEnvAdapter: a Gymnasium vector env behaves exactly like SB3's DummyVecEnv."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv
from gymnasium.vector.utils import batch_space
from netgym.agents.sb3_vec_env import SB3VecEnvAdapter, make_sb3_vec_env, split_info
from netgym.envs.core.make import make_env
from stable_baselines3 import PPO
from stable_baselines3.common.utils import check_for_correct_spaces
from stable_baselines3.common.vec_env import (
    DummyVecEnv,
    VecCheckNan,
    VecEnv,
    VecMonitor,
    VecNormalize,
)
from stable_baselines3.common.vec_env.util import obs_space_info

ABR = "netgym/AbrStreaming-v0"
SHORT_ABR = {"synthetic_video": {"n_chunks": 5}}  # 4 steps per episode
MAX_STEPS = 6


class WalkEnv(gym.Env):
    """A noisy 1-D walk: action ``a`` moves by ``a - 1`` plus noise in {-1, 0, 1}; terminates at
    ``|x| >= 3``, truncates after ``MAX_STEPS`` steps, so episodes end at different times."""

    metadata = {"render_modes": []}

    def __init__(self) -> None:
        self.observation_space = spaces.Box(-20.0, 20.0, (2,), np.float32)
        self.action_space = spaces.Discrete(3)
        self.render_mode = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self.x, self.t = int(self.np_random.integers(-1, 2)), 0
        return self._obs(), {"x": self.x}

    def step(self, action: Any) -> tuple:
        self.x += int(action) - 1 + int(self.np_random.integers(-1, 2))
        self.t += 1
        terminated = abs(self.x) >= 3
        truncated = not terminated and self.t >= MAX_STEPS
        return self._obs(), float(self.x), terminated, truncated, {"x": self.x, "t": self.t}

    def action_masks(self) -> np.ndarray:
        return np.array([self.x > -2, True, self.x < 2])

    def _obs(self) -> np.ndarray:
        return np.array([self.x, self.t], dtype=np.float32)


class WalkVectorEnv(VectorEnv):
    """The native (one object, arrays) twin of ``WalkEnv`` with SAME_STEP autoreset."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, num_envs: int) -> None:
        self.num_envs = num_envs
        self.single_observation_space = WalkEnv().observation_space
        self.single_action_space = spaces.Discrete(3)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.render_mode = None
        self.label = "walk"
        self.x = np.zeros(num_envs, dtype=np.int64)
        self.t = np.zeros(num_envs, dtype=np.int64)
        self.rngs = [np.random.default_rng() for _ in range(num_envs)]

    def reset(self, *, seed: Any = None, options: dict | None = None) -> tuple:
        if seed is not None:
            seeds = seed if isinstance(seed, list) else [seed + i for i in range(self.num_envs)]
            self.rngs = [np.random.default_rng(s) for s in seeds]
        self._reset(np.ones(self.num_envs, dtype=bool))
        return self._obs(), self._info()

    def step(self, actions: Any) -> tuple:
        noise = np.array([rng.integers(-1, 2) for rng in self.rngs])
        self.x += np.asarray(actions) - 1 + noise
        self.t += 1
        rewards = self.x.astype(np.float64)
        terminated = np.abs(self.x) >= 3
        truncated = ~terminated & (self.t >= MAX_STEPS)
        done = terminated | truncated
        if not done.any():
            return self._obs(), rewards, terminated, truncated, self._info()
        final_obs = np.empty(self.num_envs, dtype=object)
        for i in np.flatnonzero(done):
            final_obs[i] = self._obs()[i]
        final_info = self._info()
        self._reset(done)
        info = {**self._info(), "final_obs": final_obs, "_final_obs": done}
        info.update(final_info=final_info, _final_info=done)
        return self._obs(), rewards, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        ones = np.ones(self.num_envs, dtype=bool)
        return np.stack([self.x > -2, ones, self.x < 2], axis=1)

    def _reset(self, mask: np.ndarray) -> None:
        for i in np.flatnonzero(mask):
            self.x[i] = self.rngs[i].integers(-1, 2)
        self.t[mask] = 0

    def _obs(self) -> np.ndarray:
        return np.stack([self.x, self.t], axis=1).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        mask = np.ones(self.num_envs, dtype=bool)
        return {"x": self.x.copy(), "_x": mask, "t": self.t.copy(), "_t": mask}


def _walk_pair(kind: str, n: int) -> tuple[VecEnv, VecEnv]:
    if kind == "native":
        adapted = SB3VecEnvAdapter(WalkVectorEnv(n))
    else:
        mode = AutoresetMode.SAME_STEP if kind == "sync-same-step" else AutoresetMode.DISABLED
        adapted = SB3VecEnvAdapter(SyncVectorEnv([WalkEnv] * n, autoreset_mode=mode))
    return adapted, DummyVecEnv([WalkEnv] * n)


def _abr_pair(n: int) -> tuple[VecEnv, VecEnv]:
    adapted = make_sb3_vec_env(ABR, n, env_kwargs=SHORT_ABR)
    dummy = DummyVecEnv([lambda: make_env(ABR, **SHORT_ABR) for _ in range(n)])
    return adapted, dummy


def _assert_same_info(adapted: dict, dummy: dict, keys: tuple[str, ...]) -> None:
    assert adapted["TimeLimit.truncated"] == dummy["TimeLimit.truncated"]
    assert ("terminal_observation" in adapted) == ("terminal_observation" in dummy)
    if "terminal_observation" in dummy:
        np.testing.assert_array_equal(
            adapted["terminal_observation"], dummy["terminal_observation"]
        )
    for key in keys:
        assert adapted[key] == dummy[key], key


def _assert_same_reset_info(adapted: VecEnv, dummy: VecEnv, i: int, keys: tuple) -> None:
    expected = {key: dummy.reset_infos[i][key] for key in keys if key in dummy.reset_infos[i]}
    assert expected
    assert {key: adapted.reset_infos[i][key] for key in expected} == expected


def _run_side_by_side(
    adapted: VecEnv, dummy: VecEnv, steps: int, n_actions: int, keys: tuple[str, ...]
) -> int:
    """Step both with the same seeds and actions; returns how many episodes ended."""
    adapted.seed(11)
    dummy.seed(11)
    np.testing.assert_array_equal(adapted.reset(), dummy.reset())
    for i in range(dummy.num_envs):
        _assert_same_reset_info(adapted, dummy, i, keys)
    rng = np.random.default_rng(0)
    endings = 0
    for _ in range(steps):
        actions = rng.integers(0, n_actions, adapted.num_envs)
        obs_a, rew_a, done_a, infos_a = adapted.step(actions)
        obs_d, rew_d, done_d, infos_d = dummy.step(actions)
        np.testing.assert_array_equal(obs_a, obs_d)
        np.testing.assert_array_equal(rew_a, rew_d)
        assert rew_a.dtype == np.float32
        np.testing.assert_array_equal(done_a, done_d)
        assert done_a.dtype == bool
        assert isinstance(infos_a, list) and len(infos_a) == adapted.num_envs
        for info_a, info_d in zip(infos_a, infos_d, strict=True):
            _assert_same_info(info_a, info_d, keys)
        for i in np.flatnonzero(done_d):
            _assert_same_reset_info(adapted, dummy, i, keys)
        endings += int(done_d.sum())
    return endings


@pytest.mark.parametrize("kind", ["native", "sync-same-step", "sync-disabled"])
def test_walk_matches_dummy_vec_env_through_terminations_and_truncations(kind: str) -> None:
    adapted, dummy = _walk_pair(kind, 4)
    endings = _run_side_by_side(adapted, dummy, 40, 3, keys=("x", "t"))
    assert endings >= 20  # many staggered episode ends, both kinds
    adapted.close()
    dummy.close()


def test_abr_native_vector_env_matches_dummy_vec_env_of_scalar_envs() -> None:
    adapted, dummy = _abr_pair(3)
    assert isinstance(adapted, SB3VecEnvAdapter)
    keys = ("quality", "rebuffer_s", "buffer_s", "chunk_index", "qoe", "trace_index")
    endings = _run_side_by_side(adapted, dummy, 14, 6, keys=keys)
    assert endings == 3 * 3  # 3 sub-envs x 3 finished 4-step episodes


def test_truncation_flag_is_set_only_for_time_limits() -> None:
    adapted, _ = _walk_pair("native", 4)
    adapted.seed(0)
    adapted.reset()
    seen = {"terminated": 0, "truncated": 0}
    for _ in range(40):
        _, _, dones, infos = adapted.step(np.ones(4, dtype=np.int64))
        for done, info in zip(dones, infos, strict=True):
            if done:
                truncated = info["TimeLimit.truncated"]
                assert truncated == (abs(info["terminal_observation"][0]) < 3)
                seen["truncated" if truncated else "terminated"] += 1
            else:
                assert not info["TimeLimit.truncated"]
    assert seen["terminated"] > 0 and seen["truncated"] > 0


def test_adapter_passes_sb3_vec_env_checks() -> None:
    venv = make_sb3_vec_env(ABR, 2, seed=0, env_kwargs=SHORT_ABR)
    assert isinstance(venv, VecEnv)
    keys, shapes, dtypes = obs_space_info(venv.observation_space)
    assert keys == [None] and dtypes[None] == np.float32
    check_for_correct_spaces(venv, venv.observation_space, venv.action_space)
    checked = VecCheckNan(venv, raise_exception=True)
    obs = checked.reset()
    assert obs.shape == (2, *shapes[None]) and obs.dtype == np.float32
    for _ in range(10):
        checked.step(np.array([0, 5]))
    assert venv.render_mode is None
    assert venv.env_is_wrapped(gym.Wrapper) == [False, False]
    # SB3 accepts it as is (no DummyVecEnv around it) and trains on it.
    model = PPO("MlpPolicy", venv, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")
    assert model.get_env() is venv
    model.learn(32)
    assert model.num_timesteps == 32
    venv.close()


def test_vec_monitor_and_vec_normalize_wrap_the_adapter() -> None:
    venv = make_sb3_vec_env(ABR, 2, seed=3, env_kwargs=SHORT_ABR)
    monitored = VecMonitor(venv)
    normalized = VecNormalize(monitored, gamma=0.9)
    obs = normalized.reset()
    returns = np.zeros(2)
    episodes = []
    for _ in range(12):
        obs, _, dones, infos = normalized.step(np.array([1, 2]))
        assert np.all(np.isfinite(obs))
        returns += normalized.get_original_reward()
        for i in np.flatnonzero(dones):
            episodes.append((infos[i]["episode"], returns[i]))
            returns[i] = 0.0
    assert len(episodes) == 6
    for episode, total in episodes:
        assert episode["l"] == 4
        assert episode["r"] == pytest.approx(total, rel=1e-5)
    assert normalized.obs_rms.count > 12
    normalized.close()


def test_seeding_is_deterministic() -> None:
    def rollout(seed: int | None, venv: VecEnv | None = None) -> tuple[VecEnv, list]:
        venv = venv or make_sb3_vec_env(ABR, 3, env_kwargs={"noise": (0.9, 1.1), **SHORT_ABR})
        if seed is not None:
            venv.seed(seed)
        frames = [venv.reset()]
        for step in range(9):
            frames.append(venv.step(np.full(3, step % 6))[0])
        return venv, frames

    first, a = rollout(5)
    _, b = rollout(5)
    _, c = rollout(6)
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    assert not np.array_equal(np.stack(a), np.stack(c))
    # The seed is used once: a later reset continues the streams, re-seeding restarts them.
    _, d = rollout(None, first)
    assert not np.array_equal(np.stack(a), np.stack(d))
    _, e = rollout(5, first)
    np.testing.assert_array_equal(np.stack(a), np.stack(e))


def test_make_sb3_vec_env_seed_matches_sb3_convention() -> None:
    venv = make_sb3_vec_env(ABR, 2, seed=42, env_kwargs=SHORT_ABR)
    obs = venv.reset()
    for i in range(2):
        scalar_obs, _ = make_env(ABR, **SHORT_ABR).reset(seed=42 + i)
        np.testing.assert_array_equal(obs[i], scalar_obs)


def test_reset_options_apply_to_every_sub_env() -> None:
    venv = make_sb3_vec_env(ABR, 2, seed=0, env_kwargs=SHORT_ABR)
    venv.set_options({"trace_index": 7})
    venv.reset()
    assert [info["trace_index"] for info in venv.reset_infos] == [7, 7]
    venv.set_options([{"trace_index": 1}, {"trace_index": 2}])
    with pytest.raises(ValueError, match="one options dict"):
        venv.reset()


def test_next_step_vector_envs_are_refused() -> None:
    vector_env = gym.make_vec("CartPole-v1", num_envs=2)
    with pytest.raises(ValueError, match="NEXT_STEP.*SAME_STEP"):
        SB3VecEnvAdapter(vector_env)
    vector_env.close()


def test_make_sb3_vec_env_falls_back_to_dummy_vec_env() -> None:
    # CartPole has a native vector env, but one without SAME_STEP autoreset.
    venv = make_sb3_vec_env("CartPole-v1", 2, seed=0)
    assert isinstance(venv, DummyVecEnv)
    with pytest.raises(ValueError, match="unknown env"):
        make_sb3_vec_env("netgym/NoSuchEnv-v0", 2)
    with pytest.raises(ValueError, match="n_envs"):
        make_sb3_vec_env(ABR, 0)


def test_attributes_and_methods_of_a_native_vector_env() -> None:
    venv = SB3VecEnvAdapter(WalkVectorEnv(3))
    assert venv.get_attr("label") == ["walk"] * 3
    assert venv.get_attr("label", indices=[2]) == ["walk"]
    assert venv.has_attr("action_masks") and not venv.has_attr("no_such_attribute")
    venv.set_attr("label", "renamed")
    assert venv.get_attr("label", indices=0) == ["renamed"]
    with pytest.raises(ValueError, match="for all its sub-envs"):
        venv.set_attr("label", "one", indices=[1])
    venv.seed(0)
    venv.reset()
    masks = venv.action_masks()
    assert masks.shape == (3, 3) and masks.dtype == bool
    rows = venv.env_method("action_masks", indices=[0, 2])
    np.testing.assert_array_equal(np.stack(rows), masks[[0, 2]])


def test_attributes_and_methods_of_a_sync_vector_env() -> None:
    venv = SB3VecEnvAdapter(SyncVectorEnv([WalkEnv] * 2, autoreset_mode=AutoresetMode.SAME_STEP))
    venv.seed(1)
    venv.reset()
    venv.set_attr("x", 2, indices=[1])
    assert venv.get_attr("x") == [venv.get_attr("x")[0], 2]
    np.testing.assert_array_equal(venv.action_masks()[1], [True, True, False])
    assert venv.env_method("action_masks", indices=1)[0].tolist() == [True, True, False]
    assert venv.env_is_wrapped(gym.Wrapper) == [False, False]


def test_split_info_follows_the_masks() -> None:
    info = {
        "a": np.array([1, 2, 3]),
        "_a": np.array([True, False, True]),
        "nested": {"b": np.array([4, 5, 6]), "_b": np.array([False, True, False])},
        "_nested": np.array([False, True, False]),
    }
    assert split_info(info, 3) == [{"a": 1}, {"nested": {"b": 5}}, {"a": 3}]


def test_split_info_items_are_what_indexing_the_vector_info_gives() -> None:
    """The fast split (one C loop per key) hands out the very items of per-index indexing:
    numpy scalars of the array's dtype, rows of 2-D arrays, list items, shared scalars."""
    num_envs = 4
    info = {
        "f": np.array([0.5, 1.5, 2.5, 3.5]),
        "_f": np.ones(num_envs, dtype=bool),
        "i": np.arange(num_envs, dtype=np.int64),
        "rows": np.arange(8, dtype=np.float32).reshape(num_envs, 2),
        "names": ["a", "b", "c", "d"],
        "shared": 7,
    }
    infos = split_info(info, num_envs)
    for index, env_info in enumerate(infos):
        assert list(env_info) == ["f", "i", "rows", "names", "shared"]
        for key in ("f", "i"):
            assert type(env_info[key]) is type(info[key][index])
            assert env_info[key] == info[key][index]
        assert env_info["rows"].dtype == np.float32
        np.testing.assert_array_equal(env_info["rows"], info["rows"][index])
        assert env_info["names"] == info["names"][index] and env_info["shared"] == 7


def test_old_import_path_re_exports_the_adapter() -> None:
    """``netgym.envs.core.sb3`` (the adapter's home before 0.2) re-exports the same objects."""
    from netgym.agents import sb3_vec_env
    from netgym.envs.core import sb3 as old_path

    assert old_path.__all__ == sb3_vec_env.__all__
    for name in old_path.__all__:
        assert getattr(old_path, name) is getattr(sb3_vec_env, name)


def test_making_an_env_imports_neither_the_adapter_nor_sb3() -> None:
    code = """
import sys
import gymnasium as gym
import netgym.envs
gym.make("netgym/AbrStreaming-v0").reset(seed=0)
gym.make_vec("netgym/AbrStreaming-v0", num_envs=2).reset(seed=0)
names = ("netgym.envs.core.sb3", "netgym.agents.sb3_vec_env", "stable_baselines3", "supersuit")
print([name for name in names if name in sys.modules])
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
