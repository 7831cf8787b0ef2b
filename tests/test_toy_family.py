"""A new family through exactly the path docs/adding_an_env.md describes: a folder with
params / sim / env / family / baselines modules (tests/toy_family/), declared once, and from
there everything works: gym.make, the native vector env, the baseline table, evaluation and the
leaderboard."""

from __future__ import annotations

import gymnasium as gym
import netgym.envs
import numpy as np
import pytest
from gymnasium.envs.registration import registry
from gymnasium.utils.env_checker import check_env
from netgym.baselines import BASELINES, make_policy
from netgym.envs import families
from netgym.leaderboard import evaluate
from netgym.leaderboard.protocols import PROTOCOLS, get_protocol

ENV_ID = "netgym/ToyWalk-v0"


@pytest.fixture()
def toy_family():
    """Register the toy family for one test, then remove every trace of it."""
    from toy_family.family import FAMILY

    netgym.envs.register_family(FAMILY)
    yield FAMILY
    families._REGISTERED.remove(FAMILY)
    del registry[ENV_ID]
    del netgym.envs.ENV_IDS[ENV_ID]
    PROTOCOLS.pop("toy-walk", None)


def test_a_declared_family_is_registered_everywhere(toy_family):
    assert ENV_ID in netgym.envs.ENV_IDS and ENV_ID in registry
    assert toy_family in netgym.envs.all_families()
    assert netgym.envs.family_of(ENV_ID) is toy_family
    assert sorted(BASELINES[ENV_ID]) == ["random", "right"]
    env = gym.make(ENV_ID, params="short")
    assert env.unwrapped.params.length == 4
    check_env(env.unwrapped)


def test_the_vector_env_replays_scalar_envs_seeded_seed_plus_i(toy_family):
    n, seed, steps = 3, 5, 60
    vec = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point", slip=0.3)
    assert type(vec).__name__ == "ToyWalkVectorEnv"
    envs = [gym.make(ENV_ID, slip=0.3) for _ in range(n)]
    actions = np.random.default_rng(0).integers(0, 2, size=(steps, n))
    obs, _ = vec.reset(seed=seed)
    scalar = [env.reset(seed=seed + i)[0] for i, env in enumerate(envs)]
    assert list(obs) == scalar
    done = [False] * n
    for t in range(steps):
        obs, reward, terminated, truncated, _ = vec.step(actions[t])
        for i, env in enumerate(envs):
            if done[i]:  # NEXT_STEP autoreset: this step only resets sub-env i
                expected, expected_reward, finished = env.reset()[0], 0.0, False
            else:
                expected, expected_reward, term, trunc, _ = env.step(int(actions[t, i]))
                finished = term or trunc
            assert obs[i] == expected and reward[i] == expected_reward
            done[i] = finished
        assert list(terminated | truncated) == done


def test_baselines_are_found_and_evaluated(toy_family):
    result = evaluate("right", ENV_ID, episodes=3, seed=0, env_kwargs={"slip": 0.0})
    assert all(r == 1.0 for r in result.returns)  # straight to the goal, one reward
    random = evaluate(make_policy(ENV_ID, "random", seed=1), ENV_ID, episodes=3, seed=0)
    assert len(random.returns) == 3


def test_names_of_netgym_families_cannot_be_taken(toy_family):
    from netgym.envs.core.family import EnvSpec, Family

    clash = Family(
        name="toy2",
        title="clash",
        envs=(EnvSpec(id="netgym/AbrStreaming-v0", summary="x", entry_point="m:C"),),
    )
    with pytest.raises(ValueError, match="already taken"):
        netgym.envs.register_family(clash)
    with pytest.raises(ValueError, match="exists already"):
        netgym.envs.register_family(Family(name="abr", title="x", envs=()))


def test_the_leaderboard_finds_the_family_protocol_and_runs_it(toy_family):
    from netgym.leaderboard.runner import build_rows, execute, plan_tasks

    protocol = get_protocol("toy-walk")
    assert protocol.env_id == ENV_ID and protocol.version
    quick = get_protocol("toy-walk-quick")
    assert quick.episodes == 2
    tasks = plan_tasks([quick])
    rows = {row.entry: row for row in build_rows([quick], tasks, execute(tasks))}
    assert set(rows) == {"right", "random"}
    assert rows["right"].normalised == 1.0 and rows["random"].normalised == 0.0
    assert rows["right"].mean > rows["random"].mean
