"""The limits of the distributed-training envs: every parameter at the edges of its range keeps
observations inside their spaces and rewards and times finite; configurations too large for
the memory budget are refused before allocating (docs/adding_an_env.md, "Limits")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from netgym.envs.disttrain.collective.env import CollectivePathEnv, CollectivePathVectorEnv
from netgym.envs.disttrain.collective.params import CollectivePathParams
from netgym.envs.disttrain.gradcoding.env import SeqGradCodingEnv, SeqGradCodingVectorEnv
from netgym.envs.disttrain.gradcoding.params import SeqGradCodingParams

SMALL = CollectivePathParams.small()
SGC_SMALL = SeqGradCodingParams.small()


@pytest.fixture(autouse=True)
def default_budget(monkeypatch):
    monkeypatch.delenv("NETGYM_MEMORY_BUDGET", raising=False)


def _play(env, steps: int, seed: int = 0) -> None:
    """A few random steps across episode ends: observations in the space, finite numbers."""
    obs, info = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        if hasattr(env.action_space, "n"):
            action = int(rng.integers(env.action_space.n))
        else:
            action = env.action_space.sample()
        obs, reward, done, _, info = env.step(action)
        assert env.observation_space.contains(obs), obs
        assert math.isfinite(reward)
        assert all(math.isfinite(float(v)) for v in info.values())
        if done:
            assert info["iteration_time"] >= info["lower_bound"] * (1 - 1e-12)
            obs, info = env.reset()


COLLECTIVE_EDGES = [
    {"leaves": 2, "spines": 1, "hosts_per_leaf": 1},
    {"leaves": 2, "spines": 64, "hosts_per_leaf": 64},
    {"topology": "fat_tree", "fat_tree_k": 2},
    {"topology": "fat_tree", "fat_tree_k": 16, "ranks": 64},
    {"topology": "rail_optimised", "rails": 1, "servers": 2, "hosts_per_leaf": 1, "spines": 1},
    {"nic_gbps": 1e-6},
    {"nic_gbps": 1e6},
    {"oversubscription": 0.01},
    {"oversubscription": 100.0},
    {"message_mib": 1e-12},
    {"message_mib": 2.0**20},
    {"pieces": 64, "reward": "dense"},
    {"ranks": 2},
    {"collective": "double_binary_tree", "tree_chunks": 64},
    {"collective": "alltoall_oneshot", "mode": "step"},
    {"failed_links": 16, "failure_factor": 0.5},
    {"failed_links": 3, "failure_factor": 0.0, "failure_scope": "switch"},
    {"failed_links": 1, "failure_factor": 1.0},
    {"alpha_us": 0.0, "compute_ms": 1e9},
    {"alpha_us": 1e6, "timing": "fluid"},
    {"obs_scale": 1.0},
    {"obs_scale": 1e6, "persistent": False},
]


@pytest.mark.parametrize("changes", COLLECTIVE_EDGES, ids=[str(c) for c in COLLECTIVE_EDGES])
def test_collective_path_at_the_edges_of_its_ranges(changes):
    _play(CollectivePathEnv(SMALL, **changes), steps=40)


SGC_EDGES = [
    {"n_workers": 2},
    {"n_workers": 1024, "jobs": 4, "epoch_jobs": 2},
    {"jobs": 1, "epoch_jobs": 1},
    {"mu": 0.0},
    {"mu": 100.0},
    {"c_comp": 0.0, "base_s": 1e-9},
    {"c_comp": 1e6},
    {"max_window": 2},
    {"max_window": 8},
    {"regimes": (), "p_enter": 0.0, "q_leave": 0.0},
    {"regimes": (), "p_enter": 1.0, "q_leave": 1.0},
    {"regimes": ((1.0, 0.0), (0.0, 1.0)), "regime_rounds": 1},
    {"slowdown": 1.0, "jitter_sigma": 0.0},
    {"slowdown": 1000.0, "jitter_sigma": 2.0},
    {"base_s": 1e6},
    {"group_size": 32, "group_p": 1.0, "group_q": 0.0},
    {"gc_strict": True, "charge_full_wait": True},
]


@pytest.mark.parametrize("changes", SGC_EDGES, ids=[str(c) for c in SGC_EDGES])
def test_seq_grad_coding_at_the_edges_of_its_ranges(changes):
    _play(SeqGradCodingEnv(SGC_SMALL, **changes), steps=12)


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: CollectivePathEnv(leaves=4096, hosts_per_leaf=1, spines=4096), "path tables"),
        (lambda: CollectivePathVectorEnv(num_envs=10**7, params=SMALL), "num_envs=10000000"),
        (lambda: SeqGradCodingVectorEnv(num_envs=10**5), "num_envs=100000"),
        (lambda: SeqGradCodingEnv(n_workers=4096, jobs=100_000, epoch_jobs=1), "SeqGradCoding"),
    ],
    ids=["fabric", "collective-vector", "gradcoding-vector", "gradcoding-episode"],
)
def test_configurations_over_the_budget_are_refused(build, named):
    with pytest.raises(ValueError, match=f"{named}.*memory budget"):
        build()


def test_degenerate_fabrics_and_placements_are_refused():
    with pytest.raises(ValueError, match="single edge switch"):
        CollectivePathEnv(leaves=1)
    with pytest.raises(ValueError, match="inside one edge switch"):
        CollectivePathEnv(SMALL, ranks=4, placement="compact")
    assert CollectivePathEnv(SMALL, ranks=4, placement="spread").reset(seed=0)
