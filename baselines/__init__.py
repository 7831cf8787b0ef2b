"""Non-learning policies and oracles, one subpackage per env family.

``make_policy(env_id, name, seed=0)`` builds a baseline by name; ``BASELINES[env_id]`` lists
the names with a one-line description. Every policy follows the protocol
``policy.reset(env)`` then ``policy.act(obs, info) -> action`` (``policy.Policy``).

The table is read lazily from each family's baselines module (``Family.baselines``), so that
importing this package loads no family's code and a family's baselines load on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from netgym.envs.families import all_families, env_specs, family_of

from .policy import Policy, RandomPolicy

BaselineTable = dict[str, tuple[Callable[[int], Any], str]]
"""baseline name -> (factory(seed) -> policy, one-line summary)"""


class _Baselines(Mapping[str, BaselineTable]):
    """env id -> its baseline table, loaded from the family's module on first access."""

    def _ids(self) -> list[str]:
        return [spec.id for family in all_families() if family.baselines for spec in family.envs]

    def __getitem__(self, env_id: str) -> BaselineTable:
        if env_id not in self._ids():
            raise KeyError(env_id)
        module = family_of(env_id).baselines_module()
        return module.BASELINES[env_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __len__(self) -> int:
        return len(self._ids())


BASELINES: Mapping[str, BaselineTable] = _Baselines()
"""env id -> baseline name -> (factory(seed) -> policy, summary), for every netgym env"""


def make_policy(env_id: str, name: str, seed: int = 0) -> Any:
    """Build the baseline ``name`` for ``env_id``; ``ValueError`` lists the known names."""
    env_id = env_id.split(":", 1)[-1]
    family = BASELINES.get(env_id)
    if family is None:
        raise ValueError(
            f"no baselines for env {env_id!r}; envs with baselines: {sorted(BASELINES)}"
        )
    if name not in family:
        raise ValueError(f"unknown policy {name!r} for {env_id}; known: {sorted(family)}")
    return family[name][0](seed)


__all__ = ["BASELINES", "Policy", "RandomPolicy", "env_specs", "make_policy"]
