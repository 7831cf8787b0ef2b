"""Property tests of the Spark cluster over random seeds, sizes and policies: every job
completes exactly once, executors are never double-booked, time never runs backwards and the
sum of the jobs' completion times is minus the return."""

from __future__ import annotations

import math

import numpy as np
from cjs_common import ENV_ID, check_invariants, make
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgym.baselines import make_policy

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POLICIES = ("fifo", "fair", "random", "srpt", "critical-path", "masked-random", "sampled")


class Sampled:
    """Samples the whole action space (mostly invalid stages, taken as 'none')."""

    def __init__(self, seed):
        self.seed = seed

    def reset(self, env):
        self.space = env.action_space
        self.space.seed(self.seed)

    def act(self, obs, info):
        return self.space.sample()


class MaskedRandom:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self, env):
        self.env = env

    def act(self, obs, info):
        m = self.env.params.max_stages
        mask = self.env.action_masks()
        stage = int(self.rng.choice(np.flatnonzero(mask[: m + 1])))
        return {"stage": stage, "n_exec": 1 + int(self.rng.choice(np.flatnonzero(mask[m + 1 :])))}


def policy(name, seed):
    if name == "sampled":
        return Sampled(seed)
    if name == "masked-random":
        return MaskedRandom(seed)
    return make_policy(ENV_ID, name, seed=seed)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    name=st.sampled_from(POLICIES),
    n_jobs=st.integers(1, 12),
    n_executors=st.integers(1, 12),
    interarrival_s=st.sampled_from([5.0, 30.0, 120.0]),
)
def test_jobs_complete_once_executors_never_double_booked_and_return_is_minus_jct(
    seed, name, n_jobs, n_executors, interarrival_s
):
    env = make(
        n_jobs=n_jobs,
        n_executors=n_executors,
        interarrival_s=interarrival_s,
        max_stages=48,
        max_decisions=20_000,
    )
    agent = policy(name, seed)
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    total, clock, completions = 0.0, 0.0, {}
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        total += reward
        assert reward <= 0.0
        assert info["time_s"] >= clock  # time never runs backwards
        clock = info["time_s"]
        check_invariants(env.sim)  # one place and at most one task per executor
        for job, t in enumerate(env.sim.completion_s):
            if t != math.inf:
                assert completions.setdefault(job, t) == t  # completes once, never again
        assert len(completions) == info["completed_jobs"]
        if terminated or truncated:
            break
    if terminated:
        assert sorted(completions) == list(range(n_jobs))
        jct = np.array(env.sim.completion_s) - np.array(env.arrival_s)
        assert (jct > 0).all()
        assert math.isclose(-total, jct.sum(), rel_tol=1e-9)
        assert math.isclose(info["mean_jct_s"], jct.mean(), rel_tol=1e-9)
        assert env.sim.finished == env.sim.n_tasks  # every task ran exactly once
        assert all(env.sim.stage_done)
        bound = env.lower_bound()["mean_jct_s"]
        assert bound <= jct.mean() + 1e-9
