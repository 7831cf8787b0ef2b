"""``FAMILIES``: the one list of netgym's env families. Adding a family is one line here.

A family that lives outside netgym (a user's own package) joins at run time with
``netgym.envs.register_family(FAMILY)``; everything that reads the families (Gymnasium
registration, ``netgym list``, the baseline tables, the leaderboard's protocols, the PettingZoo
short names) goes through ``all_families()``, which lists both.
"""

from __future__ import annotations

from .abr.family import FAMILY as ABR
from .cjs.family import FAMILY as CJS
from .core.family import EnvSpec, Family
from .disttrain.family import FAMILY as DISTTRAIN
from .moe.family import FAMILY as MOE
from .quantum.family import FAMILY as QUANTUM
from .uav.family import FAMILY as UAV
from .videocell.family import FAMILY as VIDEOCELL

FAMILIES: tuple[Family, ...] = (ABR, UAV, QUANTUM, MOE, CJS, DISTTRAIN, VIDEOCELL)
"""netgym's own families, in the order tables list them"""

_REGISTERED: list[Family] = []


def all_families() -> tuple[Family, ...]:
    """netgym's families, then those added with ``register_family``."""
    return FAMILIES + tuple(_REGISTERED)


def add_family(family: Family) -> None:
    """Add a family from outside netgym (``register_family`` also registers its env ids).

    Raises:
        ValueError: its name, an env id or a PettingZoo name is already taken by another family.
    """
    for other in all_families():
        if other is family:
            return
        if other.name == family.name:
            raise ValueError(f"a family named {family.name!r} exists already")
    taken = set(env_specs()) | set(parallel_specs())
    clash = [s.id for s in family.envs if s.id in taken]
    clash += [s.parallel_name for s in family.envs if s.parallel_name in taken]
    if clash:
        raise ValueError(f"family {family.name!r}: env names already taken: {clash}")
    _REGISTERED.append(family)


def env_specs(families: tuple[Family, ...] | None = None) -> dict[str, EnvSpec]:
    """Every Gymnasium env id -> its spec, in family order (default: ``all_families()``)."""
    families = all_families() if families is None else families
    return {spec.id: spec for family in families for spec in family.envs}


def parallel_specs(families: tuple[Family, ...] | None = None) -> dict[str, EnvSpec]:
    """Every PettingZoo env short name (``uav_offload_v0``) -> the spec that declares it."""
    families = all_families() if families is None else families
    return {
        spec.parallel_name: spec for family in families for spec in family.envs if spec.parallel
    }


def family_of(env_id: str, families: tuple[Family, ...] | None = None) -> Family:
    """The family that declares ``env_id`` (a Gymnasium id or a PettingZoo short name).

    Raises:
        ValueError: no family declares it.
    """
    env_id = env_id.split(":", 1)[-1] if env_id.startswith("netgym.envs:") else env_id
    for family in all_families() if families is None else families:
        for spec in family.envs:
            if env_id in (spec.id, spec.parallel_name):
                return family
    raise ValueError(f"no netgym family declares the env {env_id!r}")


__all__ = ["FAMILIES", "add_family", "all_families", "env_specs", "family_of", "parallel_specs"]
