"""PettingZoo wireless_video_cell_v0: the base station and every client as agents."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.envs.videocell.wireless_video_cell_v0 import env as aec_env
from netgym.envs.videocell.wireless_video_cell_v0 import parallel_env

SMALL = {"n_users": 3, "abr": {"n_chunks": 6}}


def play(env, seed, choose):
    obs, infos = env.reset(seed=seed)
    trail = []
    while env.agents:
        actions = {"bs": np.full(3, 1 / 3, dtype=np.float32)}
        for client in env.clients:
            actions[client] = choose(client, infos[client]["action_mask"])
        obs, rewards, _, _, infos = env.step(actions)
        trail.append((obs["bs"], rewards, infos["bs"]["chunks"]))
    return trail


def test_passes_the_pettingzoo_parallel_api_test():
    from pettingzoo.test import parallel_api_test

    parallel_api_test(parallel_env(**SMALL, max_epochs=60), num_cycles=200)


def test_aec_version_runs():
    env = aec_env(**SMALL, max_epochs=5)
    env.reset(seed=0)
    for agent in env.agent_iter():
        _, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else env.action_space(agent).sample())
    assert not env.agents


def test_agents_spaces_and_masks():
    env = parallel_env(**SMALL)
    assert env.possible_agents == ["bs", "client_0", "client_1", "client_2"]
    assert env.action_space("bs").shape == (3,) and env.action_space("client_0").n == 7
    _, infos = env.reset(seed=0)
    assert all(list(infos[c]["action_mask"]) == [1, 0, 0, 0, 0, 0, 0] for c in env.clients)


def test_same_seed_same_trajectory_and_every_video_finishes():
    a = play(parallel_env(**SMALL), 3, lambda c, m: 1 if m[1] else 0)
    b = play(parallel_env(**SMALL), 3, lambda c, m: 1 if m[1] else 0)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[0], y[0])
        assert x[1] == y[1]
    assert list(a[-1][2]) == [6, 6, 6]


@pytest.mark.parametrize("level", [0, 5])
def test_a_client_choice_sets_the_next_chunks_level(level):
    env = parallel_env(**SMALL)
    _, infos = env.reset(seed=1)
    chosen = []
    while env.agents:
        actions = {"bs": np.full(3, 1 / 3, dtype=np.float32)}
        for client in env.clients:
            deciding = infos[client]["action_mask"][1] == 1
            actions[client] = 1 + level if deciding else 0
        _, _, _, _, infos = env.step(actions)
        chosen.append(env.sim.level[0].copy())
    # every chunk after the first is at the chosen level (the first is the default level 1)
    assert np.all(chosen[-1] == level)


def test_client_rewards_are_the_qoe_of_their_completed_chunks():
    env = parallel_env(**SMALL)
    env.sim.chunk_log = [[]]
    _, infos = env.reset(seed=2)
    total = np.zeros(3)
    while env.agents:
        actions = {"bs": np.full(3, 1 / 3, dtype=np.float32)}
        actions.update({c: 3 if infos[c]["action_mask"][1] else 0 for c in env.clients})
        _, rewards, _, _, infos = env.step(actions)
        total += [rewards[c] for c in env.clients]
    logged = np.zeros(3)
    for chunk in env.sim.chunk_log[0]:
        logged[chunk["user"]] += chunk["qoe"]
    np.testing.assert_allclose(total, logged)


def test_bad_base_station_action_is_refused():
    env = parallel_env(**SMALL)
    env.reset(seed=0)
    actions = {"bs": np.array([0.5, 2.0, 0.1]), **{c: 0 for c in env.clients}}
    with pytest.raises(ValueError, match="must be in \\[0, 1\\], got 2.0"):
        env.step(actions)
    with pytest.raises(ValueError, match="client_1: action must be in \\[0, 6\\]"):
        env.step({"bs": np.zeros(3), "client_0": 0, "client_1": 9, "client_2": 0})
