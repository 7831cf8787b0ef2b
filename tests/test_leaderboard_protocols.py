"""Protocol registry: content-hash versions, held-out seeds, anchors, quick variants."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from netgym.agents.training import EVAL_SEED_OFFSET
from netgym.baselines import BASELINES
from netgym.leaderboard import PROTOCOLS, Anchors, Protocol, get_protocol
from netgym.leaderboard.protocols_abr import UNSEEN_PROTOCOLS, synthetic


def _other_builder(data_dir: Path | None) -> dict[str, Any]:
    return synthetic(data_dir, n_traces=49)


def _changed(protocol: Protocol, name: str) -> Any:
    """A different value for the field ``name`` of ``protocol``."""
    value = getattr(protocol, name)
    changes = {
        "name": "abr-synthetic-2",
        "env_id": "netgym.envs:netgym/AbrStreaming-v0",  # another id string, a makeable env
        "build_env_kwargs": _other_builder,
        "episodes": value + 1 if isinstance(value, int) else 1,
        "eval_seeds": tuple(s + 1 for s in protocol.eval_seeds),
        "anchors": dataclasses.replace(protocol.anchors, reference="bola"),
        "metric": "mean",
        "description": protocol.description + ".",
        "baselines": ("bba", "random", "mpc"),
        "needs_data": not protocol.needs_data,
        "data_folders": ("somewhere",),
        "quick_episodes": 3,
        "quick_seeds": 2,
        "quick_env_kwargs": _other_builder,
        "skip_quick": ("oracle",),
        "fingerprint_kwargs": _other_builder,
        "datasets": ("abr/video2",),
        "entry_kwargs": ("qoe",),
    }
    return changes[name]


def test_every_field_changes_the_version():
    protocol = get_protocol("abr-synthetic")
    assert len(protocol.version) == 12 and int(protocol.version, 16) >= 0
    versions = {protocol.version}
    for field in dataclasses.fields(Protocol):
        changed = dataclasses.replace(protocol, **{field.name: _changed(protocol, field.name)})
        assert changed.version not in versions, field.name
        versions.add(changed.version)
    # an equal protocol built anew has the same version
    assert dataclasses.replace(protocol).version == protocol.version


def test_anchor_fields_and_data_builder_source_enter_the_version():
    protocol = get_protocol("uav-paper")
    bound = dataclasses.replace(protocol.anchors, bound=0.5)
    assert dataclasses.replace(protocol, anchors=bound).version != protocol.version
    hsdpa = get_protocol("hsdpa142")
    fcc_builder = get_protocol("fcc100").build_env_kwargs
    assert dataclasses.replace(hsdpa, build_env_kwargs=fcc_builder).version != hsdpa.version


def test_versions_are_the_same_in_a_fresh_interpreter():
    code = (
        "from netgym.leaderboard import PROTOCOLS\n"
        "print(' '.join(p.label for p in PROTOCOLS.values()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.split() == [p.label for p in PROTOCOLS.values()]


def test_eval_seeds_are_disjoint_from_train_py_default_seeds():
    # train.py trains on seed .. seed + n_envs - 1 and evaluates from EVAL_SEED_OFFSET + seed
    used = set(range(0, 10_000)) | set(range(EVAL_SEED_OFFSET, EVAL_SEED_OFFSET + 10_000))
    for protocol in PROTOCOLS.values():
        assert not used & set(protocol.eval_seeds), protocol.name
        assert not used & set(protocol.quick().eval_seeds if protocol.quick_episodes else ())


def test_every_env_family_with_baselines_has_an_embedded_protocol():
    """Every env id with baselines has a protocol without data; a later version of an env
    (``-v1``, the same env with other random streams) may share its first version's."""
    for env_id in BASELINES:
        embedded = [p for p in PROTOCOLS.values() if p.env_id == env_id and not p.needs_data]
        name, _, version = env_id.rpartition("-v")
        if not embedded and version != "0":
            first = f"{name}-v0"
            embedded = [p for p in PROTOCOLS.values() if p.env_id == first and not p.needs_data]
        assert embedded, f"no protocol without data for {env_id}"


def test_anchors_are_baselines_of_the_protocol_env():
    for protocol in PROTOCOLS.values():
        family = BASELINES[protocol.env_id]
        for name in protocol.anchors.baselines() + (protocol.baselines or ()):
            assert name in family, (protocol.name, name)
        for name in protocol.anchors.baselines():
            assert protocol.baselines is None or name in protocol.baselines, (protocol.name, name)
        anchors = protocol.anchors
        if anchors.floor:  # a floor is the zero anchor, with its reason; random runs beside it
            assert anchors.note, protocol.name
            assert anchors.required() == (anchors.random, anchors.reference, "random")
            assert protocol.baselines is None or "random" in protocol.baselines, protocol.name
        else:
            assert anchors.random == "random"
            assert anchors.required() == ("random", anchors.reference)


def test_the_floors_are_the_documented_ones_where_random_is_catastrophic():
    floors = {p.name: p.anchors.random for p in PROTOCOLS.values() if p.anchors.floor}
    abr_names = ("abr-synthetic", "hsdpa142", "fcc100", *UNSEEN_PROTOCOLS)
    abr = {name: "lowest" for name in abr_names}
    moe = {"moe-routing": "topk", "moe-routing-bias": "topk", "moe-batching": "fcfs"}
    assert floors == {**abr, "repeater-chain": "nested", **moe}


def test_uav_bound_is_the_capacity_fraction():
    from netgym.envs.uav.params import UavParams

    params = UavParams.paper()
    bound = get_protocol("uav-paper").anchors.bound
    assert bound == params.upper_bound / params.n_users == 0.6


def test_quick_variant_is_smaller_and_versioned_apart():
    protocol = get_protocol("abr-synthetic")
    quick = get_protocol("abr-synthetic-quick")
    assert quick.name == "abr-synthetic-quick" and quick.version != protocol.version
    assert quick.episodes < protocol.episodes
    assert quick.env_kwargs()["params"].synthetic_traces.n_traces == quick.episodes
    assert quick.version == protocol.quick().version
    with pytest.raises(ValueError, match="no --quick variant"):
        get_protocol("hsdpa142").quick()


def test_fewer_episodes_is_a_new_version_and_range_checked():
    protocol = get_protocol("abr-synthetic")
    assert protocol.with_episodes(None) is protocol
    assert protocol.with_episodes(3).version != protocol.version
    with pytest.raises(ValueError, match="must be in 1..50, got 51"):
        protocol.with_episodes(51)


def test_bad_protocol_fields_are_value_errors():
    anchors = Anchors(reference="bba")
    kwargs = dict(env_id="x", build_env_kwargs=_other_builder, anchors=anchors)
    with pytest.raises(ValueError, match="eval_seeds must be distinct"):
        Protocol(name="p", episodes=1, eval_seeds=(1, 1), **kwargs)
    with pytest.raises(ValueError, match="episodes must be >= 1"):
        Protocol(name="p", episodes=0, eval_seeds=(1,), **kwargs)
    with pytest.raises(ValueError, match="protocol name"):
        Protocol(name="a@b", episodes=1, eval_seeds=(1,), **kwargs)
    with pytest.raises(ValueError, match="already registered"):
        from netgym.leaderboard import register_protocol

        register_protocol(get_protocol("abr-synthetic"))


def test_data_checksum_covers_the_data_files(tmp_path, abr_data):
    for name in ("hsdpa-test", "video1"):
        shutil.copytree(abr_data / name, tmp_path / name)
    trace = tmp_path / "hsdpa-test" / "norway_bus_1"
    protocol = get_protocol("hsdpa142")
    first = protocol.data_checksum(tmp_path)
    trace.write_text(trace.read_text().replace("0.0", "0.1", 1))
    assert protocol.data_checksum(tmp_path) != first
    assert get_protocol("abr-synthetic").data_checksum(None) is None


def test_behaviour_fingerprint_enters_the_version_and_tells_envs_apart():
    abr = get_protocol("abr-synthetic")
    assert len(abr.behaviour) == 64 and int(abr.behaviour, 16) >= 0
    assert abr.behaviour != get_protocol("uav-paper").behaviour
    # the data protocols are fingerprinted on embedded traces with their own settings
    assert get_protocol("hsdpa142").behaviour != get_protocol("fcc100").behaviour
    assert get_protocol("hsdpa142").fingerprint_env_kwargs()["params"].default_quality == 1


def test_kwargs_without_a_stable_form_cannot_be_versioned():
    from netgym.leaderboard.protocols import canonical

    assert canonical({"b": (1, 2.5), "a": Path("x")}) == {"a": "x", "b": [1, "2.5"]}
    with pytest.raises(ValueError, match="memory address"):
        canonical({"policy": object()})


def test_every_family_registers_its_protocols_from_its_family_module():
    from netgym.envs import FAMILIES

    for family in FAMILIES:
        module = family.protocols_module()
        assert module.__name__ == family.protocols == f"netgym.leaderboard.protocols_{family.name}"
        ids = {spec.id for spec in family.envs}
        assert any(p.env_id in ids for p in PROTOCOLS.values()), family.name


def test_old_protocol_modules_import_without_registering_twice():
    import importlib

    before = dict(PROTOCOLS)
    families = importlib.import_module("netgym.leaderboard.families")
    importlib.import_module("netgym.leaderboard.families_quantum_moe")
    assert PROTOCOLS == before
    assert families.ABR_ENV_ID == "netgym/AbrStreaming-v0" and len(families.SEEDS) == 10


class _SpaceRecorder:
    """A policy object that hovers and records the observation space it was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.spaces: list[Any] = []

    def reset(self, env: Any) -> None:
        self.spaces.append(env.observation_space)
        self.n_users = env.unwrapped.params.n_users

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        return [0, 0, 0]


def test_run_protocol_keeps_a_policy_objects_obs_mode_and_nothing_else():
    from gymnasium import spaces
    from netgym.leaderboard import run_protocol

    uav = get_protocol("uav-paper-quick")
    assert uav.entry_kwargs == ("obs_mode",)
    recorder = _SpaceRecorder()
    trained = {"obs_mode": "vector", "n_users": 7}  # n_users is the protocol's: not kept
    rows = run_protocol(uav, [recorder, "hover"], episodes=1, entry_kwargs=trained)
    assert all(isinstance(space, spaces.Box) for space in recorder.spaces)
    assert recorder.n_users == 100
    hover = run_protocol(uav, ["hover"], episodes=1, entry_kwargs=trained)[0]
    plain = run_protocol(uav, [recorder], episodes=1)[0]  # no entry kwargs: the protocol's
    assert isinstance(recorder.spaces[-1], spaces.MultiDiscrete)
    # the observation changes nothing the hovering policies score; baselines play the protocol's
    assert rows[0].score == rows[1].score == hover.score == plain.score
