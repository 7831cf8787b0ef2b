"""The memory budget of envs/core/budget.py: parsing, the default, the error, the override, and
the vector envs' refusal of an absurd ``num_envs`` before they allocate anything."""

from __future__ import annotations

import tracemalloc

import pytest
from netgym.envs import env_specs
from netgym.envs.core.budget import (
    DEFAULT_BUDGET_BYTES,
    check_memory,
    memory_budget,
    parse_bytes,
)
from netgym.envs.core.vector import SUBENV_OVERHEAD_BYTES, NumpyVectorEnv
from netgym.envs.make import make_vector_env


def test_sizes_parse_with_and_without_units():
    assert parse_bytes("1000") == 1000
    assert parse_bytes("16GB") == 16 * 10**9
    assert parse_bytes("512MiB") == 2**29
    assert parse_bytes(" 1.5 gib ") == int(1.5 * 2**30)
    for bad in ("-1", "lots", "12 parsecs", ""):
        with pytest.raises(ValueError, match="NETGYM_MEMORY_BUDGET"):
            parse_bytes(bad)


def test_the_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("NETGYM_MEMORY_BUDGET", raising=False)
    assert memory_budget() == DEFAULT_BUDGET_BYTES
    monkeypatch.setenv("NETGYM_MEMORY_BUDGET", "64GB")
    assert memory_budget() == 64 * 10**9
    monkeypatch.setenv("NETGYM_MEMORY_BUDGET", "0")
    assert memory_budget() is None
    check_memory("Anything", 1e30, "switched off")  # no error


def test_an_estimate_over_the_budget_names_the_owner_the_size_and_the_override(monkeypatch):
    monkeypatch.setenv("NETGYM_MEMORY_BUDGET", "1MiB")
    check_memory("SmallEnv", 2**20, "exactly the budget")
    with pytest.raises(ValueError) as err:
        check_memory("BigEnv", 3 * 2**30, "num_envs=10")
    message = str(err.value)
    assert "BigEnv" in message and "3.0 GiB" in message and "num_envs=10" in message
    assert "NETGYM_MEMORY_BUDGET" in message


# ------------------------------------------------------------------------- vector envs
@pytest.mark.parametrize("env_id", list(env_specs()))
def test_every_vector_env_refuses_ten_million_sub_envs_before_allocating(env_id, monkeypatch):
    monkeypatch.delenv("NETGYM_MEMORY_BUDGET", raising=False)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"num_envs=10000000 .*NETGYM_MEMORY_BUDGET"):
            make_vector_env(env_id, 10**7)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


def test_the_base_counts_its_own_overhead_when_an_env_has_no_estimate(monkeypatch):
    from toy_family.env import ToyWalkVectorEnv

    monkeypatch.setenv("NETGYM_MEMORY_BUDGET", str(100 * SUBENV_OVERHEAD_BYTES))
    assert ToyWalkVectorEnv.memory_per_env is NumpyVectorEnv.memory_per_env
    ToyWalkVectorEnv(num_envs=100)
    with pytest.raises(ValueError, match=r"ToyWalkVectorEnv: .*num_envs=101 x 1.0 KiB"):
        ToyWalkVectorEnv(num_envs=101)


def test_huge_estimates_and_counts_print_in_a_readable_form():
    from netgym.envs.core.budget import format_bytes, format_count

    assert format_bytes(3 * 2**30) == "3.0 GiB"
    assert format_bytes(5e300) == "4.55e+288 TiB"
    assert format_bytes(float("inf")) == "inf TiB"
    assert format_count(321) == "321" and format_count(321.0) == "321"
    assert format_count(10**20) == "1e+20" and format_count(float("inf")) == "inf"
