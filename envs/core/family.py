"""``EnvSpec`` and ``Family``: how a family of envs declares itself.

Each family folder has a ``family.py`` with one ``FAMILY = Family(...)``; ``netgym.envs.FAMILIES``
lists them, and everything that needs a table of envs (Gymnasium registration, ``netgym list``,
the baseline tables, the leaderboard's protocols, the PettingZoo short names) reads it from there.
Entry points are dotted strings, so declaring a family imports none of its code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class EnvSpec:
    """One env of a family."""

    id: str
    """the Gymnasium id, ``netgym/<Name>-v<k>``"""
    summary: str
    """one line: the problem and what the agent controls"""
    entry_point: str
    """``module:Class`` of the scalar Gymnasium env"""
    vector_entry_point: str | None = None
    """``module:Class`` of the native vector env (None: ``gym.make_vec`` wraps scalar envs)"""
    parallel: str | None = None
    """dotted path of the PettingZoo env module (with ``env``, ``parallel_env``, ``raw_env``),
    e.g. ``netgym.envs.uav.uav_offload_v0``; None for single-agent envs"""

    def __post_init__(self) -> None:
        name = self.id.partition("/")[2]
        if not self.id.startswith("netgym/") or "-v" not in name:
            raise ValueError(f"env ids look like 'netgym/<Name>-v<k>', got {self.id!r}")
        for field in ("entry_point", "vector_entry_point"):
            value = getattr(self, field)
            if value is not None and value.count(":") != 1:
                raise ValueError(f"EnvSpec.{field} must be 'module:Class', got {value!r}")

    @property
    def parallel_name(self) -> str | None:
        """The PettingZoo env's short name (its module name, e.g. ``uav_offload_v0``)."""
        return None if self.parallel is None else self.parallel.rpartition(".")[2]


@dataclass(frozen=True)
class Family:
    """A family of envs: its specs and where its baselines and protocols live."""

    name: str
    """short name, the folder's (``abr``)"""
    title: str
    """what the family is about, for tables (``ABR video streaming``)"""
    envs: tuple[EnvSpec, ...]
    baselines: str | None = None
    """dotted module whose ``BASELINES`` maps env id -> {name: (factory(seed), summary)}"""
    protocols: str | None = None
    """dotted module that registers the family's leaderboard protocols when imported"""
    docs: str | None = None
    """the family's page, relative to the repository root (``docs/abr.md``)"""

    def __post_init__(self) -> None:
        ids = [spec.id for spec in self.envs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"family {self.name!r} declares an env id twice: {ids}")

    def baselines_module(self) -> ModuleType | None:
        """Import and return the baselines module (None when the family has none)."""
        return None if self.baselines is None else importlib.import_module(self.baselines)

    def protocols_module(self) -> ModuleType | None:
        """Import (which registers the protocols) and return the protocols module."""
        return None if self.protocols is None else importlib.import_module(self.protocols)


__all__ = ["EnvSpec", "Family"]
