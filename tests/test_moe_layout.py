"""The MoE family's folder layout (envs/moe/{routing,batching,cache}/): every old module path
still imports, as a thin re-export of the same objects, and the family's entry points name the
new modules."""

from __future__ import annotations

import importlib

import pytest
from netgym.envs.moe.family import FAMILY

MOVED = {
    "params": "hardware",
    "routing_params": "routing.params",
    "routing_sim": "routing.sim",
    "routing_env": "routing.env",
    "routing_parallel": "routing.parallel",
    "routing_gates": "routing.gates",
    "routing_trace_gates": "routing.trace_gates",
    "routing_lp": "routing.lp",
    "routing_duo": "routing.duo",
    "batching_params": "batching.params",
    "batching_sim": "batching.sim",
    "batching_env": "batching.env",
    "cache_env": "cache.env",
    "cache_sim": "cache.sim",
    "cache_stream": "cache.stream",
    "replay": "cache.replay",
}


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_module_paths_re_export_the_moved_objects(old, new):
    old_module = importlib.import_module(f"netgym.envs.moe.{old}")
    importlib.import_module(f"netgym.envs.moe.{new}")  # the new home imports on its own
    assert old_module.__doc__.startswith("Moved to ")
    assert old_module.__all__
    for name in old_module.__all__:
        value = getattr(old_module, name)
        home = getattr(value, "__module__", None)
        if home is not None and not name.startswith("make_"):
            assert home.startswith("netgym.envs.") and home != old_module.__name__, name


def test_old_coerce_helpers_are_the_params_coerce():
    from netgym.envs.moe.batching_params import BatchingParams, make_batching_params
    from netgym.envs.moe.routing_params import RoutingParams, make_routing_params

    assert make_routing_params("small", {"top_k": 1}) == RoutingParams.small(top_k=1)
    assert make_batching_params(None, {"n_slots": 8}) == BatchingParams(n_slots=8)


def test_routing_parallel_env_path_still_works():
    from netgym.envs.moe import moe_routing_v0, routing_parallel_env
    from netgym.envs.moe.routing_parallel import parallel_env

    assert routing_parallel_env is moe_routing_v0.parallel_env is parallel_env
    env = routing_parallel_env(params="small")
    assert type(env).__module__ == "netgym.envs.moe.routing.parallel"


def test_family_entry_points_name_the_new_modules():
    for spec in FAMILY.envs:
        for entry in (spec.entry_point, spec.vector_entry_point):
            if entry is not None:
                module, _, name = entry.partition(":")
                assert module.split(".")[3] in ("routing", "batching", "cache", "glider"), entry
                assert hasattr(importlib.import_module(module), name)
    assert FAMILY.envs[0].parallel == "netgym.envs.moe.moe_routing_v0"


SECTIONS = (
    "Description",
    "Action Space",
    "Observation Space",
    "Rewards",
    "Starting State",
    "Episode End",
    "Arguments",
    "Version History",
)


@pytest.mark.parametrize(
    "path",
    [
        "netgym.envs.moe.routing.env:MoeRoutingEnv",
        "netgym.envs.moe.routing.parallel:MoeRoutingParallelEnv",
        "netgym.envs.moe.batching.env:MoeBatchingEnv",
        "netgym.envs.moe.cache.env:MoeExpertCacheEnv",
    ],
)
def test_env_docstrings_keep_gymnasiums_sections(path):
    module, _, name = path.partition(":")
    doc = getattr(importlib.import_module(module), name).__doc__
    headers = [line.strip()[3:] for line in doc.splitlines() if line.strip().startswith("## ")]
    assert headers == list(SECTIONS)
