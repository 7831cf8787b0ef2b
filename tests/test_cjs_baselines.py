"""The baselines of netgym/SparkScheduling-v0 and the lower bound on the mean JCT."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cjs_common import ENV_ID, baseline_rollout, make
from netgym.baselines import BASELINES, make_policy
from netgym.baselines.cjs.heuristics import chain_work
from netgym.envs.cjs.bound import srpt_mean_flow_s

NAMES = ("fifo", "fair", "random", "srpt", "critical-path")


def test_the_table_lists_the_five_baselines():
    assert set(BASELINES[ENV_ID]) == set(NAMES)
    for name in NAMES:
        assert make_policy(ENV_ID, name).name == name


@pytest.mark.parametrize("name", NAMES)
def test_every_baseline_finishes_every_job_and_stays_above_the_bound(name):
    env = make(params="small")
    for seed in (0, 1):
        result = baseline_rollout(env, name, seed)
        info = result["info"]
        assert result["terminated"] and info["completed_jobs"] == env.params.n_jobs
        assert not any(i["invalid_action"] for i in result["infos"])
        assert math.isclose(-result["return"] / env.params.n_jobs, info["mean_jct_s"])
        assert env.lower_bound()["mean_jct_s"] <= info["mean_jct_s"]


@pytest.mark.parametrize("name", NAMES)
def test_baselines_act_the_same_with_flat_actions(name):
    dict_run = baseline_rollout(make(params="small"), name, 4)
    flat_run = baseline_rollout(make(params="small", action_format="flat"), name, 4)
    assert dict_run["rewards"] == flat_run["rewards"]


def test_fair_beats_fifo_on_the_default_cluster():
    env = make()
    fifo = [baseline_rollout(env, "fifo", seed)["info"]["mean_jct_s"] for seed in (0, 1)]
    fair = [baseline_rollout(env, "fair", seed)["info"]["mean_jct_s"] for seed in (0, 1)]
    assert np.mean(fair) < 0.85 * np.mean(fifo)


def test_fifo_caps_jobs_at_half_the_executors_and_fair_at_their_share():
    for name, cap in (("fifo", lambda jobs: 5), ("fair", lambda jobs: math.ceil(10 / jobs))):
        env = make(params="small")
        obs, info = env.reset(seed=3)
        policy = make_policy(ENV_ID, name)
        policy.reset(env)
        for _ in range(150):
            action = policy.act(obs, info)
            row, n_exec = action["stage"], action["n_exec"]
            if row < env.params.max_stages:
                slot = int(obs["stage_job"][row])
                if slot != int(obs["source_job"][0]):  # the source's job keeps its executors
                    supply = int(obs["job_executors"][slot])
                    assert supply + n_exec <= cap(int(obs["active_jobs"][0]))
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break


def test_the_random_baseline_is_seeded():
    env = make(params="small")
    first = baseline_rollout(env, "random", 7)["rewards"]
    assert baseline_rollout(env, "random", 7)["rewards"] == first
    assert baseline_rollout(env, "random", 8)["rewards"] != first


def test_chain_work_is_the_heaviest_path_to_a_last_stage():
    #  0 -> 2 -> 3,  1 -> 3
    edges = np.array([[0, 2], [2, 3], [1, 3], [-1, -1]])
    work = np.array([1.0, 5.0, 2.0, 0.5, 0.0])
    np.testing.assert_allclose(chain_work(work, edges, 4)[:4], [3.5, 5.5, 2.5, 0.5])


def test_srpt_bound_serves_the_least_work_first():
    # one machine of speed 1: a long job at t=0, two short ones at t=1
    assert srpt_mean_flow_s([10.0, 1.0, 1.0], [0.0, 1.0, 1.0], 1.0) == pytest.approx(
        (12.0 + 1.0 + 2.0) / 3
    )
    assert srpt_mean_flow_s([4.0], [3.0], 2.0) == pytest.approx(2.0)


def test_the_lower_bound_includes_the_moving_delay_and_the_critical_path():
    env = make(params="small")
    env.reset(seed=0)
    bound = env.lower_bound()
    jobs = env.jobs
    expected = 2.0 + np.mean([job.min_critical_path_s for job in jobs])
    assert bound["critical_path_s"] == pytest.approx(expected)
    assert bound["mean_jct_s"] == max(bound["critical_path_s"], bound["work_s"])
