"""The speed work on netgym/SparkScheduling-v0 keeps its trajectories exact: digests of whole
episodes recorded before it (netgym 11f03a9) must not change; and a reset after a truncated
episode observes the new episode, not the old one's cached rows."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
from cjs_common import ENV_ID, make
from netgym.baselines import make_policy

# (kwargs, baseline, seed) -> sha256 prefix of every step's obs, reward, flags and info,
# recorded with the simulator before the speed work (one event per task, rows rebuilt).
DIGESTS = {
    ("small", "fair", 0): "b5e8db5021a919875fd04ad4",
    ("small", "fifo", 1): "8baa32c17aeb5584162dea77",
    ("small", "random", 2): "a6f038993278b9ee1d0bdb7e",
    ("small", "critical-path", 3): "92b4b1913ac83913bff94521",
    ("fewer", "srpt", 4): "36bd1704124e95557087705b",
    ("slow-moves", "fair", 5): "019d2f8b0cabb56e1f1316ca",
}
SETTINGS: dict[str, dict[str, Any]] = {
    "small": {"params": "small"},
    "fewer": {"n_jobs": 40, "n_executors": 6},
    "slow-moves": {"n_jobs": 40, "moving_delay_s": 30.0},
}


def _update(digest: Any, value: Any) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            digest.update(key.encode())
            _update(digest, value[key])
    elif isinstance(value, np.ndarray):
        digest.update(f"{value.dtype}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, float):
        digest.update(value.hex().encode())
    else:
        digest.update(repr(value).encode())


def episode_digest(setting: str, baseline: str, seed: int) -> str:
    """sha256 prefix of one whole episode of ``baseline`` (every step's obs, reward, flags,
    info and action mask)."""
    env = make(**SETTINGS[setting])
    policy = make_policy(ENV_ID, baseline, seed=seed)
    digest = hashlib.sha256()
    obs, info = env.reset(seed=seed)
    policy.reset(env)
    _update(digest, (obs, info))
    while True:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        for value in (obs, reward, terminated, truncated, info, env.action_masks()):
            _update(digest, value)
        if terminated or truncated:
            return digest.hexdigest()[:24]


@pytest.mark.parametrize("case", list(DIGESTS), ids=lambda case: "-".join(map(str, case)))
def test_episodes_are_bit_identical_to_the_simulator_before_the_speed_work(case):
    assert episode_digest(*case) == DIGESTS[case]


def test_reset_after_a_truncated_episode_observes_the_new_episode():
    # one decision, then a reset with another seed: the structure counter and the shown jobs
    # are those of the truncated episode's first decision, the job templates are not
    env = make(n_jobs=5, max_decisions=1)
    for seed in range(8):
        env.reset(seed=seed)
        row = int(np.flatnonzero(env.action_masks()[: env.params.max_stages])[0])
        _, _, _, truncated, _ = env.step({"stage": row, "n_exec": 1})
        assert truncated
        obs, _ = env.reset(seed=seed + 100)
        fresh, _ = make(n_jobs=5, max_decisions=1).reset(seed=seed + 100)
        for key in obs:
            np.testing.assert_array_equal(obs[key], fresh[key], err_msg=f"seed {seed}: {key}")


@pytest.mark.parametrize("baseline", ["fair", "random"])
def test_incremental_counts_match_their_definitions_at_every_step(baseline):
    # kept up to date by the events instead of recomputed: the incomplete stages (info's
    # hidden_stages), each job's duration-table key (from its executor count), finished tasks
    env = make(n_jobs=30, n_executors=8)
    policy = make_policy(ENV_ID, baseline, seed=1)
    obs, info = env.reset(seed=1)
    policy.reset(env)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        done = terminated or truncated
        sim = env.sim
        assert sim.incomplete_stages == sum(len(sim.active[job]) for job in sim.active_jobs)
        assert info["hidden_stages"] == sim.incomplete_stages - len(env.rows)
        for job, local in enumerate(sim.local):
            assert sim.job_key[job] == list(sim.key_table[len(local)])
            assert sim.job_count[job] == len(local)  # the compiled task loop's copy
        assert all(key is sim.job_key[sim.stage_job[s]] for s, key in enumerate(sim.stage_key))
        for stage, finished in enumerate(sim.finished):
            assert 0 <= finished <= sim.n_tasks[stage]
    assert sim.finished == sim.n_tasks


def reference_features(env: Any) -> np.ndarray:
    """The shown rows' features by their definitions (observe.STAGE_FEATURES), in numpy
    float64 rounded once to float32: the observer's numpy path before the compiled kernel."""
    sim, n_exec = env.sim, env.params.n_executors
    rows, pools = env.rows, sim.pools
    jobs = [sim.stage_job[stage] for stage in rows]
    left = np.array([sim.remaining[s] for s in rows], dtype=np.float64)
    recent = np.array([sim.recent_s[s] for s in rows], dtype=np.float64)
    busy = [sim.running[s] + pools.moving_to[s] + pools.n_to[s] for s in rows]
    arrival = np.array([sim.arrival_s[job] for job in jobs])
    source = pools.source_job()
    features = np.zeros((len(rows), 9), dtype=np.float32)
    features[:, 0] = left / 100.0
    features[:, 1] = recent
    features[:, 2] = left * recent / 100.0
    features[:, 3] = [stage in sim.round_schedulable for stage in rows]
    features[:, 4] = [sim.frontier[s] for s in rows]
    features[:, 5] = np.array(busy, dtype=np.float64) / n_exec
    features[:, 6] = np.array([pools.supply[job] for job in jobs], dtype=np.float64) / n_exec
    features[:, 7] = [job == source for job in jobs]
    features[:, 8] = np.minimum((sim.now - arrival) / 100.0, 1e4)
    return features


@pytest.mark.parametrize("observation", ["padded", "graph"])
def test_compiled_feature_rows_are_bit_identical_to_their_numpy_definition(observation):
    # the compiled kernel (kernels.stage_features) computes the rows the observer's Python and
    # numpy paths computed before it: the same float32 bits as the numpy definition at every
    # step of an episode whose rows go from a few up to max_stages (a backlog of jobs)
    kwargs = {"interarrival_s": 5.0, "n_jobs": 60, "observation": observation}
    env = make(**kwargs)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=4)
    sizes = set()
    for _ in range(400):
        shown = obs["graph"].nodes[:, :9] if observation == "graph" else obs["stages"]
        expected = reference_features(env)
        np.testing.assert_array_equal(shown[: len(env.rows)], expected)
        assert not shown[len(env.rows) :].any()
        masks = env.action_masks()
        rows = np.flatnonzero(masks[: env.params.max_stages])
        row = int(rng.choice(rows)) if len(rows) else env.params.max_stages
        obs, _, terminated, truncated, _ = env.step(
            {"stage": row, "n_exec": int(rng.integers(1, 4))}
        )
        sizes.add(len(env.rows))
        if terminated or truncated:
            break
    assert min(sizes) < 32 and max(sizes) > 64  # both small and large observations were seen


@pytest.mark.parametrize("max_edges", [None, 3])
def test_compiled_rows_and_edges_follow_their_definition(max_edges):
    # kernels.shown_rows lays out the rows the observer's Python lists built before it: every
    # incomplete stage of the round's jobs, job by job in stage order; each row's incomplete
    # parents as (parent row, child row) pairs, child by child in the job's parent order; the
    # all-parents-complete flag; the slots; the first max_edges pairs in the observation
    env = make(interarrival_s=5.0, n_jobs=60, max_edges=max_edges)
    rng = np.random.default_rng(1)
    obs, _ = env.reset(seed=2)
    sim, edge_rows, seen_hidden = env.sim, env.params.edge_rows, False
    for _ in range(300):
        jobs = [] if sim.done else sim.round_jobs
        rows = [stage for job in jobs for stage in sim.active[job]]
        row_of = {stage: row for row, stage in enumerate(rows)}
        edges = [
            (row_of[parent], row)
            for row, stage in enumerate(rows)
            for parent in sim.parents[stage]
            if parent in row_of
        ]
        assert env.rows == rows
        assert env.observer.edges.tolist() == [list(edge) for edge in edges]
        assert env.observer.hidden_edges == max(0, len(edges) - edge_rows)
        seen_hidden |= env.observer.hidden_edges > 0
        shown = obs["edges"][: min(len(edges), edge_rows)].tolist()
        assert shown == [list(edge) for edge in edges[:edge_rows]]
        assert (obs["edges"][len(shown) :] == -1).all()
        slots = [slot for slot, job in enumerate(jobs) for _ in sim.active[job]]
        assert obs["stage_job"][: len(rows)].tolist() == slots
        assert (obs["stage_job"][len(rows) :] == -1).all()
        frontier = [float(sim.frontier[stage]) for stage in rows]
        assert obs["stages"][: len(rows), 4].tolist() == frontier
        flagged = np.flatnonzero(obs["stages"][:, 3]).tolist()
        assert flagged == sorted(row_of[s] for s in sim.round_schedulable if s in row_of)
        if sim.done:
            break
        masks = env.action_masks()
        choices = np.flatnonzero(masks[: env.params.max_stages])
        row = int(rng.choice(choices)) if len(choices) else env.params.max_stages
        obs, _, terminated, truncated, _ = env.step({"stage": row, "n_exec": 2})
    assert seen_hidden == (max_edges is not None)
