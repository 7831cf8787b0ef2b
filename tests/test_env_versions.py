"""Later env versions (``-v1``, issue #21): each keeps its v0's interface, and v0 stays usable
without a deprecation warning (it is maintained and bit-identical, not deprecated)."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import netgym.envs
import pytest
from netgym.baselines import BASELINES

LATER = sorted(env_id for env_id in netgym.envs.ENV_IDS if not env_id.endswith("-v0"))


def first_version(env_id: str) -> str:
    return env_id.rsplit("-v", 1)[0] + "-v0"


def test_there_are_later_versions_and_each_has_a_v0():
    assert LATER, "no -v1 ids registered: this file tests nothing"
    for env_id in LATER:
        assert first_version(env_id) in netgym.envs.ENV_IDS, env_id


@pytest.mark.parametrize("env_id", LATER)
def test_a_later_version_keeps_its_v0s_spaces_and_baselines(env_id):
    old, new = gym.make(first_version(env_id)), gym.make(env_id)
    try:
        assert new.observation_space == old.observation_space
        assert new.action_space == old.action_space
    finally:
        old.close()
        new.close()
    if first_version(env_id) in BASELINES:
        assert set(BASELINES[env_id]) == set(BASELINES[first_version(env_id)])


def test_making_a_v0_that_has_a_v1_gives_no_out_of_date_warning():
    code = (
        "import gymnasium as gym, netgym.envs\n"
        f"for env_id in {[first_version(i) for i in LATER]!r}:\n"
        "    gym.make(env_id).close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "out of date" not in done.stderr
