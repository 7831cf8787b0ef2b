"""API, spaces, determinism and masks of netgym/SparkScheduling-v0."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from cjs_common import ENV_ID, baseline_rollout, make, rollout
from gymnasium.utils.env_checker import check_env
from netgym.baselines import make_policy
from netgym.envs import env_specs, family_of
from netgym.envs.cjs import SparkParams, SparkSchedulingEnv
from netgym.envs.cjs.observe import STAGE_FEATURES

SMALL = {"params": "small"}


class AlwaysNone:
    """Never schedules anything."""

    def reset(self, env):
        self.none = env.params.max_stages

    def act(self, obs, info):
        return {"stage": self.none, "n_exec": 1}


class MaskedRandom:
    """A uniformly random valid (stage, cap) from the env's masks (dict or flat actions)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self, env):
        self.env = env

    def act(self, obs, info):
        p = self.env.params
        mask = self.env.action_masks()
        stage = int(self.rng.choice(np.flatnonzero(mask[: p.max_stages + 1])))
        cap = 1 + int(self.rng.choice(np.flatnonzero(mask[p.max_stages + 1 :])))
        if p.action_format == "flat":
            return np.array([stage, cap - 1])
        return {"stage": stage, "n_exec": cap}


def test_env_is_registered_in_the_cjs_family():
    assert ENV_ID in env_specs()
    assert family_of(ENV_ID).name == "cjs"
    assert isinstance(gym.make(ENV_ID, **SMALL).unwrapped, SparkSchedulingEnv)


@pytest.mark.parametrize(
    "kwargs", [SMALL, {**SMALL, "action_format": "flat"}, {**SMALL, "observation": "graph"}, {}]
)
def test_env_passes_gymnasium_check(kwargs):
    check_env(make(**kwargs), skip_render_check=True)


@pytest.mark.filterwarnings("ignore:Your observation .* has an unconventional shape")
def test_flat_env_passes_sb3_check():
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(make(**SMALL, action_format="flat"))


def test_spaces_follow_the_params():
    env = make(**SMALL, max_stages=40, n_executors=7)
    assert env.action_space["stage"].n == 41
    assert env.action_space["n_exec"].start == 1 and env.action_space["n_exec"].n == 7
    assert env.observation_space["stages"].shape == (40, len(STAGE_FEATURES))
    assert env.observation_space["edges"].shape == (80, 2)
    flat = make(**SMALL, max_stages=40, n_executors=7, action_format="flat")
    assert list(flat.action_space.nvec) == [41, 7]
    assert flat.action_masks().shape == (41 + 7,)


def test_first_decision_has_job_zero_and_every_executor_free():
    env = make(**SMALL)
    obs, info = env.reset(seed=0)
    assert info["time_s"] == 0.0 and info["active_jobs"] == 1
    assert obs["committable"][0] == env.params.n_executors
    assert obs["source_job"][0] == -1  # the common pool
    assert set(obs["stage_job"][obs["stage_job"] >= 0]) == {0}
    schedulable = obs["stages"][:, 3] > 0.5
    assert schedulable.any()
    assert (obs["stages"][schedulable, 4] == 1).all()  # job 0's sources: parents complete


def test_same_seed_gives_the_same_trajectory():
    env = make(**SMALL)
    first = rollout(env, MaskedRandom(5), seed=11)
    second = rollout(make(**SMALL), MaskedRandom(5), seed=11)
    assert first["rewards"] == second["rewards"]
    assert first["infos"] == second["infos"]
    other = rollout(env, MaskedRandom(5), seed=12)
    assert other["rewards"] != first["rewards"]


def test_dict_and_flat_actions_give_identical_trajectories():
    dict_run = baseline_rollout(make(**SMALL), "fair", seed=3)
    flat_run = baseline_rollout(make(**SMALL, action_format="flat"), "fair", seed=3)
    assert dict_run["rewards"] == flat_run["rewards"]


def test_graph_observation_shows_the_padded_rows():
    padded, graph = make(**SMALL), make(**SMALL, observation="graph")
    obs_p, _ = padded.reset(seed=4)
    obs_g, _ = graph.reset(seed=4)
    policy = make_policy(ENV_ID, "fifo")
    policy.reset(padded)
    for _ in range(30):
        n = int((obs_p["stage_job"] >= 0).sum())
        nodes = obs_g["graph"].nodes
        assert nodes.shape == (n, len(STAGE_FEATURES) + 1)
        np.testing.assert_array_equal(nodes[:, :-1], obs_p["stages"][:n])
        np.testing.assert_array_equal(nodes[:, -1], obs_p["stage_job"][:n])
        links = obs_p["edges"][obs_p["edges"][:, 0] >= 0]
        np.testing.assert_array_equal(obs_g["graph"].edge_links, links)
        action = policy.act(obs_p, {})
        obs_p, *_ = padded.step(action)
        obs_g, *_ = graph.step(action)


def test_masks_are_the_schedulable_rows_and_the_committable_caps():
    env = make(**SMALL)
    obs, info = env.reset(seed=2)
    policy = make_policy(ENV_ID, "fair")
    policy.reset(env)
    for _ in range(60):
        mask = env.action_masks()
        m = env.params.max_stages
        np.testing.assert_array_equal(mask[:m], obs["stages"][:, 3] > 0.5)
        assert mask[m]  # 'none' is always allowed
        committable = int(obs["committable"][0])
        assert committable == info["committable"] >= 1
        assert mask[m + 1 :].sum() == committable and mask[m + 1 : m + 1 + committable].all()
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        if terminated or truncated:
            break


def test_rows_are_jobs_in_arrival_order_with_their_stages_in_order():
    env = make(**SMALL)
    obs, info = env.reset(seed=6)
    policy = make_policy(ENV_ID, "fifo")
    policy.reset(env)
    for _ in range(200):
        slots = obs["stage_job"][obs["stage_job"] >= 0]
        assert (np.diff(slots) >= 0).all()
        rows = env.rows
        jobs = [env.sim.stage_job[s] for s in rows]
        assert jobs == sorted(jobs) and rows == sorted(rows)
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        if terminated or truncated:
            break


def test_an_unschedulable_stage_is_declined_by_default():
    env = make(**SMALL)
    obs, _ = env.reset(seed=1)
    padding_row = int((obs["stage_job"] >= 0).sum())  # a row past the shown stages
    _, reward, _, _, info = env.step({"stage": padding_row, "n_exec": 1})
    assert info["invalid_action"]
    twin = make(**SMALL)
    twin.reset(seed=1)
    _, twin_reward, _, _, twin_info = twin.step({"stage": twin.params.max_stages, "n_exec": 1})
    assert not twin_info["invalid_action"]
    assert (reward, info["time_s"]) == (twin_reward, twin_info["time_s"])


def test_mask_none_masks_declining_while_a_stage_is_schedulable():
    env = make(**SMALL, mask_none=True)
    obs, _ = env.reset(seed=2)
    mask = env.action_masks()
    assert mask[: env.params.max_stages].any() and not mask[env.params.max_stages]


def test_a_cap_above_the_committable_executors_is_lowered_to_them(monkeypatch):
    env = make(**SMALL)
    obs, _ = env.reset(seed=1)
    row = int(np.flatnonzero(obs["stages"][:, 3] > 0.5)[0])
    env.step({"stage": row, "n_exec": 1})  # promises 1 of the 10 free executors
    assert env.sim.pools.committable() == 9
    obs = env.observer.observe(env.sim)
    row = int(np.flatnonzero(obs["stages"][:, 3] > 0.5)[0])
    stage, calls, act = env.rows[row], [], env.sim.act
    monkeypatch.setattr(env.sim, "act", lambda stage, n: calls.append((stage, n)) or act(stage, n))
    _, _, _, _, info = env.step({"stage": row, "n_exec": 10})
    assert calls == [(stage, 9)] and not info["invalid_action"]


def test_declining_forever_truncates_at_max_decisions():
    env = make(**SMALL, max_decisions=40)
    result = rollout(env, AlwaysNone(), seed=0)
    assert not result["terminated"] and result["steps"] == 40
    assert result["info"]["completed_jobs"] == 0


def test_reward_is_minus_the_job_time_since_the_last_decision():
    env = make(**SMALL)
    result = baseline_rollout(env, "fair", seed=8)
    job_times = [info["job_time_s"] for info in result["infos"]]
    np.testing.assert_allclose(-np.diff(job_times), result["rewards"], rtol=0, atol=1e-6)


def test_info_reports_completions_mean_jct_and_makespan():
    env = make(**SMALL)
    result = baseline_rollout(env, "fifo", seed=9)
    info = result["info"]
    jct = np.array(env.sim.completion_s) - np.array(env.arrival_s)
    assert info["completed_jobs"] == env.params.n_jobs and info["active_jobs"] == 0
    assert math.isclose(info["mean_jct_s"], jct.mean(), rel_tol=1e-12)
    assert info["makespan_s"] == max(env.sim.completion_s) == info["time_s"]
    assert info["hidden_stages"] == 0


def test_presets_are_netllms_unseen_settings():
    assert SparkParams.preset("default") == SparkParams()
    assert SparkParams.preset("fewer_executors").n_executors == 30
    assert SparkParams.preset("more_jobs").n_jobs == 450
    assert math.isclose(SparkParams.preset("higher_rate").interarrival_s * 1.5, 25.0)
    assert SparkParams.preset("tpch").dag_source == "tpch"
    env = gym.make(ENV_ID, params="fewer_executors").unwrapped
    assert env.params.n_executors == 30 and env.action_space["n_exec"].n == 30


def test_max_stages_limits_the_shown_jobs_and_counts_the_hidden_stages():
    env = make(**SMALL, interarrival_s=5.0, max_stages=24)
    obs, info = env.reset(seed=0)
    policy = make_policy(ENV_ID, "fifo")
    policy.reset(env)
    hidden = 0
    for _ in range(400):
        assert int((obs["stage_job"] >= 0).sum()) <= 24
        source = int(obs["source_job"][0])
        if env.sim.pools.source_job() in env.sim.active_jobs:
            assert source >= 0  # the job whose executors are free is always shown
        hidden = max(hidden, info["hidden_stages"])
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        if terminated or truncated:
            break
    assert hidden > 0
