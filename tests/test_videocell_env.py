"""API, determinism, vector/scalar agreement and bad input of netgym/WirelessVideoCell-v0."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.envs import env_specs, family_of
from netgym.envs.videocell import VideoCellParams, WirelessVideoCellEnv

ENV_ID = "netgym/WirelessVideoCell-v0"
SHORT = {"n_users": 3, "max_epochs": 40, "abr": {"n_chunks": 6}}
"""a small cell with a 6-chunk video, so that episodes end inside a test"""


def make(**kwargs):
    return gym.make(ENV_ID, **kwargs).unwrapped


def rollout(env, seed, steps, actions_seed=0):
    rng = np.random.default_rng(actions_seed)
    obs, info = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, term, trunc, info = env.step(rng.uniform(0, 1, env.n_users))
        out += [obs, reward, info["reward_vec"], info["satisfaction"]]
        if term or trunc:
            obs, info = env.reset()
            out.append(obs)
    return out


def test_env_is_registered_in_its_own_family():
    assert ENV_ID in env_specs()
    assert family_of(ENV_ID).name == "videocell"
    assert isinstance(gym.make(ENV_ID).unwrapped, WirelessVideoCellEnv)


@pytest.mark.parametrize(
    "kwargs",
    [{}, SHORT, {**SHORT, "mode": "exact", "epoch_ttis": 20}, {**SHORT, "channel": "trace"},
     {**SHORT, "link": "lzg", "personalization": "latent", "objective": "count"}],
)  # fmt: skip
def test_env_passes_gymnasium_check(kwargs):
    check_env(gym.make(ENV_ID, **kwargs).unwrapped, skip_render_check=True)


@pytest.mark.filterwarnings("ignore:We recommend you to use a symmetric")
def test_env_passes_sb3_check():
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(make(**SHORT))


@pytest.mark.parametrize("mode", ["fluid", "exact"])
def test_same_seed_and_actions_give_identical_trajectories(mode):
    a = rollout(make(**SHORT, mode=mode, epoch_ttis=20), seed=3, steps=60)
    b = rollout(make(**SHORT, mode=mode, epoch_ttis=20), seed=3, steps=60)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    c = rollout(make(**SHORT, mode=mode, epoch_ttis=20), seed=4, steps=60)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=False))


def test_episodes_end_when_every_user_has_played_its_video():
    env = make(**{**SHORT, "max_epochs": 100000})
    env.reset(seed=0)
    for step in range(100000):  # noqa: B007 (read after the loop)
        _, _, term, trunc, info = env.step(np.ones(3))
        if term or trunc:
            break
    assert term and not trunc
    assert list(info["chunks"]) == [6, 6, 6]
    assert step < 2000


def test_truncation_after_max_epochs():
    env = make(n_users=2, max_epochs=5)
    env.reset(seed=0)
    results = [env.step(np.zeros(2)) for _ in range(5)]
    assert [r[3] for r in results] == [False] * 4 + [True]
    assert not any(r[2] for r in results)


@pytest.mark.parametrize("mode", ["fluid", "exact"])
def test_vector_env_replays_scalar_envs_seeded_seed_plus_i(mode):
    kwargs = {**SHORT, "mode": mode, "epoch_ttis": 20, "max_epochs": 15}
    n, steps = 3, 40
    vec = gym.make_vec(ENV_ID, num_envs=n, **kwargs)
    rng = np.random.default_rng(1)
    actions = rng.uniform(0, 1, (steps, n, 3))
    obs, _ = vec.reset(seed=10)
    vec_obs, vec_rew = [obs], []
    for t in range(steps):
        obs, reward, _, _, _ = vec.step(actions[t])
        vec_obs.append(obs)
        vec_rew.append(reward)
    for i in range(n):
        env = make(**kwargs)
        obs, _ = env.reset(seed=10 + i)
        np.testing.assert_array_equal(obs, vec_obs[0][i])
        done = False
        for t in range(steps):
            if done:  # NEXT_STEP autoreset: the vector env resets this step
                obs, _ = env.reset()
                reward = 0.0
                done = False
            else:
                obs, reward, term, trunc, _ = env.step(actions[t][i])
                done = term or trunc
            np.testing.assert_array_equal(obs, vec_obs[t + 1][i])
            assert reward == vec_rew[t][i]


def test_presets_and_params_forms_agree():
    assert make(params="exact").params.mode == "exact"
    assert make(params="vehicular").params.doppler_hz == 111.0
    assert make(params="count").params.objective == "count"
    p = VideoCellParams(n_users=4)
    assert make(params=p).params == make(params={"n_users": 4}).params == make(n_users=4).params


def test_observation_and_info_shapes():
    env = make(n_users=5)
    obs, info = env.reset(seed=0)
    assert obs.shape == (5 * 10 + 2,) and env.observation_space.contains(obs)
    assert info["reward_vec"].shape == (3,)
    for key in ("satisfaction", "rate_mbps", "buffer_s", "adequate_kbps", "downloading"):
        assert info[key].shape == (5,)


def test_latent_personalization_hides_the_zones():
    known, _ = make(n_users=4).reset(seed=0)
    latent, _ = make(n_users=4, personalization="latent").reset(seed=0)
    k, lat = known[:-2].reshape(4, 10), latent[:-2].reshape(4, 10)
    assert np.all(k[:, 6:8] > 0) and np.all(lat[:, 6:8] == 0)
    np.testing.assert_array_equal(np.delete(k, [6, 7], axis=1), np.delete(lat, [6, 7], axis=1))


def test_idle_shares_use_no_prbs_and_cost_nothing():
    env = make(n_users=3)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(3))
    assert info["prb_used"] == 0.0 and info["reward_vec"][1] == 0.0
    _, _, _, _, info = env.step(np.ones(3))
    assert 0.0 < info["prb_used"] <= 1.0


def test_ansi_render_shows_one_line_per_user():
    env = make(n_users=3, render_mode="ansi")
    env.reset(seed=0)
    env.step(np.ones(3) / 3)
    text = env.render()
    assert text.count("\n") == 4 and "user 2" in text and text.endswith("\n")


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"n_users": 0}, "VideoCellParams.n_users must be >= 1"),
        ({"n_users": 65}, "VideoCellParams.n_users must be <= 64"),
        ({"epoch_ttis": 2000}, "VideoCellParams.epoch_ttis must be <= 1000"),
        ({"mode": "slow"}, "VideoCellParams.mode must be one of ['fluid', 'exact']"),
        ({"link": "shannon"}, "VideoCellParams.link must be one of"),
        ({"overhead": 0.95}, "VideoCellParams.overhead must be <= 0.9"),
        ({"doppler_hz": -1}, "VideoCellParams.doppler_hz must be >= 0"),
        ({"max_distance_m": 10}, "VideoCellParams.max_distance_m must be >= 50"),
        ({"min_snr_db": 50.0}, "VideoCellParams.min_snr_db must be <= 40"),
        ({"personas": ("casual", "gamer")}, "VideoCellParams.personas[1] must be one of"),
        ({"personas": ()}, "VideoCellParams.personas must have at least 1 entries"),
        ({"zot_spread": 0.5}, "VideoCellParams.zot_spread must be <= 0.4"),
        ({"client": "pensieve"}, "VideoCellParams.client must be one of"),
        ({"resource_weight": float("nan")}, "VideoCellParams.resource_weight must be finite"),
        ({"abr": {"noise": (0.9, 1.1)}}, "VideoCellParams.abr.noise must be None"),
        ({"abr": 3}, "VideoCellParams.abr must be an AbrParams or a dict"),
        ({"bounds": "yes"}, "VideoCellParams.bounds must be True or False"),
    ],
)
def test_bad_params_name_the_field_and_the_range(changes, words):
    with pytest.raises(ValueError) as err:
        VideoCellParams(**changes)
    assert words in str(err.value)


def test_unknown_parameter_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown WirelessVideoCell parameters"):
        make(n_user=3)


@pytest.mark.parametrize(
    ("action", "words"),
    [
        (np.ones(2), "must have shape (3,)"),
        (np.array([0.5, -0.1, 0.2]), "must be in [0, 1], got -0.1"),
        (np.array([0.5, np.nan, 0.2]), "must be in [0, 1], got nan"),
        ("all", "PRB shares"),
    ],
)
def test_bad_actions_raise_clear_errors(action, words):
    env = make(n_users=3)
    env.reset(seed=0)
    with pytest.raises(ValueError) as err:
        env.step(action)
    assert words in str(err.value)


def test_trace_index_needs_the_trace_channel():
    with pytest.raises(ValueError, match="trace_index needs channel='trace'"):
        make(n_users=2).reset(seed=0, options={"trace_index": 1})
    with pytest.raises(ValueError, match="trace_index must be in"):
        make(n_users=2, channel="trace").reset(seed=0, options={"trace_index": 10**6})
