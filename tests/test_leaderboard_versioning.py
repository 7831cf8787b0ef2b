"""Protocol versions cover behaviour: the same dynamics keep a label, other dynamics change it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from netgym.envs.abr import AbrStreamingEnv
from netgym.leaderboard import get_protocol, versioning
from netgym.leaderboard.versioning import behaviour_fingerprint, code_digest, rollout_digest

QUICK = "abr-synthetic-quick"


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty fingerprint cache (memory and disk), emptied again afterwards so that values
    computed under a monkeypatch never reach other tests."""
    monkeypatch.setenv("NETGYM_CACHE", str(tmp_path))
    versioning._MEMO.clear()
    yield tmp_path
    versioning._MEMO.clear()


def _fingerprint(protocol_name: str = QUICK, cache: bool = False) -> str:
    protocol = get_protocol(protocol_name)
    return behaviour_fingerprint(
        protocol.env_id,
        protocol.fingerprint_env_kwargs(),
        protocol.anchors.reference,
        protocol.eval_seeds[0],
        cache=cache,
    )


def test_fingerprint_is_the_same_when_nothing_changes(fresh_cache):
    first = _fingerprint()
    assert _fingerprint() == first
    assert _fingerprint(cache=True) == first == get_protocol(QUICK).behaviour


def test_fingerprint_changes_when_the_reward_changes(fresh_cache, monkeypatch):
    label = get_protocol(QUICK).label
    before = _fingerprint()
    step = AbrStreamingEnv.step

    def more_reward(self, action):
        obs, reward, terminated, truncated, info = step(self, action)
        return obs, reward + 1e-3, terminated, truncated, info

    monkeypatch.setattr(AbrStreamingEnv, "step", more_reward)
    assert _fingerprint() != before
    # an edited source file changes the disk cache's key; a monkeypatch does not, so start from
    # an empty cache, as a new process after an edit would
    monkeypatch.setenv("NETGYM_CACHE", str(fresh_cache / "after-the-change"))
    versioning._MEMO.clear()
    assert get_protocol(QUICK).label != label  # a new version


@pytest.mark.filterwarnings("ignore:.*not within the observation space")
def test_fingerprint_changes_when_an_observation_changes(fresh_cache, monkeypatch):
    before = _fingerprint()
    reset = AbrStreamingEnv.reset

    def shifted(self, *, seed=None, options=None):
        obs, info = reset(self, seed=seed, options=options)
        return obs + 0.5, info

    monkeypatch.setattr(AbrStreamingEnv, "reset", shifted)
    assert _fingerprint() != before


def test_cached_fingerprint_needs_no_rollout(fresh_cache, monkeypatch):
    value = _fingerprint(cache=True)
    assert list((fresh_cache / "fingerprints").glob("*.json"))
    versioning._MEMO.clear()

    def no_rollout(*args, **kwargs):
        raise AssertionError("the cached fingerprint was rolled out again")

    monkeypatch.setattr(versioning, "rollout_digest", no_rollout)
    assert _fingerprint(cache=True) == value


def test_fingerprint_is_the_same_in_a_fresh_interpreter_without_a_cache(tmp_path):
    code = (
        "from netgym.leaderboard import get_protocol\n"
        f"print(get_protocol({QUICK!r}).label, get_protocol('uav-paper').behaviour)"
    )
    env = {**os.environ, "NETGYM_CACHE": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=env,
    ).stdout.split()
    assert out == [get_protocol(QUICK).label, get_protocol("uav-paper").behaviour]
    assert list((tmp_path / "fingerprints").glob("*.json"))


def test_rollout_covers_several_episodes_of_short_envs():
    # the repeater chain's episodes can end after one slot; the rollout goes on after a reset
    protocol = get_protocol("repeater-chain-quick")
    kwargs = protocol.fingerprint_env_kwargs()
    one = rollout_digest(protocol.env_id, kwargs, "swap-asap", protocol.eval_seeds[0], steps=1)
    many = rollout_digest(protocol.env_id, kwargs, "swap-asap", protocol.eval_seeds[0], steps=64)
    assert one != many


def _builder(data_dir):
    return {"params": ("hsdpa-test", data_dir)}


def _moved_and_restyled(data_dir):  # a comment, another name, other layout
    return {
        "params": (
            "hsdpa-test",
            data_dir,
        ),
    }


def _changed(data_dir):
    return {"params": ("fcc-test", data_dir)}


def test_data_builder_code_counts_but_not_its_layout_or_name():
    assert code_digest(_builder) == code_digest(_moved_and_restyled)
    assert code_digest(_builder) != code_digest(_changed)


def test_unknown_policy_or_kwargs_are_value_errors():
    with pytest.raises(ValueError, match="cannot fingerprint .* 'no-such-policy'"):
        rollout_digest("netgym/AbrStreaming-v0", {}, "no-such-policy", 0, steps=1)
    with pytest.raises(ValueError, match="cannot fingerprint .*no_such_kwarg"):
        rollout_digest("netgym/AbrStreaming-v0", {"no_such_kwarg": 1}, "bba", 0, steps=1)
