"""The memory budget of envs/core/budget.py: parsing, the default, the error, the override."""

from __future__ import annotations

import pytest
from netgym.envs.core.budget import (
    DEFAULT_BUDGET_BYTES,
    check_memory,
    memory_budget,
    parse_bytes,
)


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
