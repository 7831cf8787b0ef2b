"""Every env is reachable by the names users know: Gymnasium ids (with or without the
``netgym.envs:`` prefix), PettingZoo short names (``uav_offload_v0``, also as ``pz:...``) and the
``pz:module:function`` paths of earlier releases; tools that key tables by env (the agents'
config files) find the same block under every spelling."""

from __future__ import annotations

import importlib

import pytest
from netgym.agents.config_loader import resolve_config
from netgym.envs import FAMILIES, parallel_specs
from netgym.envs.make import canonical_env_id, is_parallel_env_id, make_env
from pettingzoo.utils.env import ParallelEnv

OLD_PATHS = {
    "uav_offload_v0": "pz:netgym.envs.uav:parallel_env",
    "repeater_chain_v0": "pz:netgym.envs.quantum.chain_parallel:parallel_env",
    "moe_routing_v0": "pz:netgym.envs.moe:routing_parallel_env",
}
NEW_NAMES = ("collective_path_v0", "wireless_video_cell_v0", "async_gossip_v0", "async_gossip_v1")
"""PettingZoo envs added after the rename, which have no old path"""


def test_every_pettingzoo_env_is_a_versioned_module_with_the_three_factories():
    names = [spec.parallel_name for f in FAMILIES for spec in f.envs if spec.parallel]
    assert sorted(names) == sorted([*OLD_PATHS, *NEW_NAMES])
    for name, spec in parallel_specs().items():
        module = importlib.import_module(spec.parallel)
        for factory in ("env", "parallel_env", "raw_env"):
            assert callable(getattr(module, factory)), (name, factory)
        penv = module.parallel_env()
        assert isinstance(penv, ParallelEnv)
        assert penv.metadata["name"] == name  # the module is named after the env's version


@pytest.mark.parametrize("name", sorted(OLD_PATHS))
def test_short_names_and_old_paths_make_the_same_env(name):
    spellings = [name, f"pz:{name}", OLD_PATHS[name]]
    assert all(is_parallel_env_id(s) for s in spellings)
    assert {canonical_env_id(s) for s in spellings} == {name}
    envs = [make_env(s) for s in spellings]
    assert len({type(env) for env in envs}) == 1
    first = [env.reset(seed=3)[0] for env in envs]
    for obs in first[1:]:
        assert obs.keys() == first[0].keys()
        assert all((obs[a] == first[0][a]).all() for a in obs)


def test_gymnasium_ids_keep_their_names():
    assert canonical_env_id("netgym.envs:netgym/AbrStreaming-v0") == "netgym/AbrStreaming-v0"
    assert canonical_env_id("netgym/UavOffload-v0") == "netgym/UavOffload-v0"
    assert not is_parallel_env_id("netgym/UavOffload-v0")


def test_unknown_pettingzoo_names_say_what_is_known():
    with pytest.raises(ValueError, match="uav_offload_v0"):
        make_env("pz:no_such_env_v0")


@pytest.mark.parametrize("agent", ["sarsa", "qlearning"])
def test_config_blocks_are_found_under_every_name_of_the_env(agent):
    resolved = {
        spelling: resolve_config(agent, spelling)
        for spelling in ("uav_offload_v0", "pz:uav_offload_v0", OLD_PATHS["uav_offload_v0"])
    }
    sources = {s: [label for label in r.sources if "#" in label] for s, r in resolved.items()}
    assert all(any(label.endswith("#uav_offload_v0") for label in v) for v in sources.values())
    hyper = [r.hyperparams for r in resolved.values()]
    assert hyper[0] == hyper[1] == hyper[2]


def test_a_user_config_keyed_by_the_old_path_still_applies(tmp_path):
    config = tmp_path / "sarsa.yaml"
    config.write_text(f"{OLD_PATHS['uav_offload_v0']}:\n  gamma: 0.5\n")
    assert resolve_config("sarsa", "uav_offload_v0", config).hyperparams["gamma"] == 0.5


def test_train_py_takes_the_short_name(tmp_path):
    from netgym.cli.train import main

    args = ["--env", "uav_offload_v0", "--agent", "sarsa", "--timesteps", "128"]
    args += ["--env-kwargs", '{"params": "small"}', "--out", str(tmp_path / "run")]
    assert main([*args, "--no-progress", "--eval-episodes", "1"]) == 0
    assert (tmp_path / "run" / "model").exists()
