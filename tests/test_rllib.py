"""Training netgym envs with RLlib (``netgym.agents.rllib_envs``, ``examples/rllib_ppo.py``).

The creator tests need only netgym; the training tests need ray[rllib] and run a tiny budget on a
local Ray instance (one per module). Without RLlib they skip with the install command, except in
CI's RLlib venv (``.ci/run``), which sets ``NETGYM_REQUIRE_RLLIB=1``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from netgym.agents.rllib_envs import (
    INSTALL,
    has_native_vector_env,
    needs_flattening,
    require_rllib,
    rllib_env_creator,
)
from netgym.envs.core.vector import NumpyVectorEnv

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rllib_ppo.py"
ABR = "netgym/AbrStreaming-v0"


def _rllib_available() -> bool:
    try:
        require_rllib()
    except ImportError:
        return False
    return True


# CI installs the rllib extra in a venv of its own and sets NETGYM_REQUIRE_RLLIB=1 there, so
# that these tests run (and fail if RLlib is missing) instead of skipping
needs_rllib = pytest.mark.skipif(
    not _rllib_available() and not os.environ.get("NETGYM_REQUIRE_RLLIB"),
    reason=f"ray[rllib] is not installed: {INSTALL}",
)


# ---------------------------------------------------------------------- without Ray
def test_require_rllib_names_the_install_command_when_rllib_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray.rllib", None)  # makes `import ray.rllib` fail
    with pytest.raises(ImportError, match=r'pip install "netgym\[rllib\]"'):
        require_rllib()


def test_creator_gives_the_scalar_env_or_the_native_vector_env_rllib_asks_for():
    creator = rllib_env_creator(ABR)
    env = creator({})
    assert isinstance(env, gym.Env) and env.spec.id == ABR
    env.close()
    # RLlib's vector_entry_point mode adds num_envs to the env config
    vector = creator({"num_envs": 3})
    assert isinstance(vector.unwrapped, NumpyVectorEnv) and vector.num_envs == 3
    assert vector.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    obs, _ = vector.reset(seed=0)
    assert obs.shape == (3, *vector.single_observation_space.shape)
    vector.close()


def test_creator_refuses_an_unknown_id_and_names_the_list_command():
    with pytest.raises(ValueError, match="netgym list"):
        rllib_env_creator("netgym/NoSuchEnv-v0")


def test_native_vector_env_and_flattening_are_detected_per_env():
    assert has_native_vector_env(ABR) and not has_native_vector_env("uav_offload_v0")
    assert needs_flattening(gym.spaces.Box(0, 1, (6, 8))) and needs_flattening(
        gym.spaces.Discrete(4)
    )
    assert not needs_flattening(gym.spaces.Box(0, 1, (10,)))


# ---------------------------------------------------------------------- with a local Ray
@pytest.fixture(scope="module")
def local_ray():
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _tiny(config):
    return config.training(train_batch_size_per_learner=192, minibatch_size=64, num_epochs=1)


@needs_rllib
def test_ppo_samples_a_gymnasium_id_through_netgyms_native_vector_env(local_ray):
    from netgym.agents.rllib_envs import rllib_ppo_config

    algo = _tiny(rllib_ppo_config(ABR, num_envs=4, seed=0)).build_algo()
    try:
        env = algo.env_runner_group.local_env_runner.env
        assert isinstance(env.unwrapped, NumpyVectorEnv) and env.num_envs == 4
        runners = algo.train()["env_runners"]
        runners = algo.train()["env_runners"]  # 384 steps: every sub-env finished an episode
    finally:
        algo.stop()
    assert runners["num_env_steps_sampled_lifetime"] >= 384
    assert math.isfinite(runners["episode_return_mean"])


@needs_rllib
def test_pettingzoo_env_trains_one_policy_shared_by_every_agent(local_ray):
    from netgym.agents.rllib_envs import rllib_ppo_config
    from netgym.envs.make import make_env

    agents = make_env("uav_offload_v0").possible_agents
    algo = _tiny(rllib_ppo_config("uav_offload_v0", seed=0)).build_algo()
    try:
        runners = algo.train()["env_runners"]
        modules = set(algo.learner_group.get_weights())
    finally:
        algo.stop()
    assert modules == {"shared"}
    sampled = runners["num_agent_steps_sampled_lifetime"]
    assert set(sampled) == set(agents) and all(sampled[agent] > 0 for agent in agents)
    assert runners["num_module_steps_sampled_lifetime"]["shared"] == sum(sampled.values())


@needs_rllib
def test_example_script_trains_prints_each_iteration_and_saves_a_checkpoint(
    local_ray, tmp_path, capsys
):
    spec = importlib.util.spec_from_file_location("netgym_example_rllib_ppo", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    argv = ["--iterations", "2", "--num-envs", "2", "--train-batch", "128", "--epochs", "1"]
    rows = example.train(example.parse_args([*argv, "--checkpoint", str(tmp_path / "ckpt")]))
    assert [row["iteration"] for row in rows] == [1, 2]
    assert rows[1]["env_steps"] > rows[0]["env_steps"] >= 128
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("iteration 1/2: ") and lines[-1].startswith("checkpoint: ")
    assert (tmp_path / "ckpt").is_dir() and any((tmp_path / "ckpt").iterdir())
    assert local_ray.is_initialized()  # a Ray started by the caller stays up
    assert np.isfinite(rows[1]["wall_s"])
