"""Gymnasium builds netgym's scalar envs through creator functions (envs/core/creators.py), so
that every env checks its own render mode: ``render_mode="human"`` fails at construction with
the env's message, in every Gymnasium and PettingZoo env, never later on a missing pygame."""

from __future__ import annotations

import importlib
import subprocess
import sys

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import pytest
from netgym.envs import env_specs, parallel_specs

ENV_IDS = list(env_specs())


def class_name(entry_point: str) -> str:
    return entry_point.partition(":")[2]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_human_render_mode_fails_at_make_with_the_envs_own_message(env_id):
    name = class_name(env_specs()[env_id].entry_point)
    with pytest.raises(ValueError, match=rf"{name} has no .*render mode"):
        gym.make(env_id, render_mode="human")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_human_render_mode_fails_for_the_vector_env_too(env_id):
    with pytest.raises(ValueError, match="has no .*render mode"):
        gym.make_vec(env_id, num_envs=2, render_mode="human")


@pytest.mark.parametrize("name", list(parallel_specs()))
def test_human_render_mode_fails_in_every_pettingzoo_env(name):
    module = importlib.import_module(parallel_specs()[name].parallel)
    for factory in (module.parallel_env, module.env, module.raw_env):
        with pytest.raises(ValueError, match="has no .*render mode"):
            factory(render_mode="human")


def test_the_message_for_an_rgb_array_env_says_how_to_watch_the_frames():
    with pytest.raises(ValueError, match=r"HumanRendering \(needs pygame\)"):
        gym.make("netgym/AbrStreaming-v0", render_mode="human")


def test_rgb_array_and_rgb_array_list_still_render():
    env = gym.make("netgym/AbrStreaming-v0", render_mode="rgb_array")
    env.reset(seed=0)
    assert env.render().ndim == 3
    frames_env = gym.make("netgym/AbrStreaming-v0", render_mode="rgb_array_list")
    frames_env.reset(seed=0)
    frames_env.step(0)
    frames = frames_env.render()
    assert len(frames) == 2 and frames[0].shape == env.render().shape


def test_the_registered_entry_point_is_a_string_that_serialises():
    spec = gym.spec("netgym/AbrStreaming-v0")
    assert spec.entry_point == ("netgym.envs.core.creators:netgym.envs.abr.env.AbrStreamingEnv")
    assert gym.envs.registration.EnvSpec.from_json(spec.to_json()) == spec


def test_the_entry_point_resolves_in_a_fresh_interpreter_without_netgym_envs():
    code = (
        "from gymnasium.envs.registration import load_env_creator\n"
        "create = load_env_creator("
        "'netgym.envs.core.creators:netgym.envs.abr.env.AbrStreamingEnv')\n"
        "print(type(create(n_chunks=5)).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "AbrStreamingEnv"


def test_a_name_that_is_no_class_path_is_an_attribute_error():
    from netgym.envs.core import creators

    with pytest.raises(AttributeError):
        creators.nothing  # noqa: B018
