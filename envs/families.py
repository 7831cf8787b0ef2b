"""``FAMILIES``: the one list of netgym's env families. Adding a family is one line here."""

from __future__ import annotations

from .abr.family import FAMILY as ABR
from .core.family import EnvSpec, Family
from .moe.family import FAMILY as MOE
from .quantum.family import FAMILY as QUANTUM
from .uav.family import FAMILY as UAV

FAMILIES: tuple[Family, ...] = (ABR, UAV, QUANTUM, MOE)


def env_specs(families: tuple[Family, ...] = FAMILIES) -> dict[str, EnvSpec]:
    """Every Gymnasium env id -> its spec, in family order."""
    return {spec.id: spec for family in families for spec in family.envs}


def parallel_specs(families: tuple[Family, ...] = FAMILIES) -> dict[str, EnvSpec]:
    """Every PettingZoo env short name (``uav_offload_v0``) -> the spec that declares it."""
    return {
        spec.parallel_name: spec for family in families for spec in family.envs if spec.parallel
    }


def family_of(env_id: str, families: tuple[Family, ...] = FAMILIES) -> Family:
    """The family that declares ``env_id`` (a Gymnasium id or a PettingZoo short name).

    Raises:
        ValueError: no family declares it.
    """
    env_id = env_id.split(":", 1)[-1] if env_id.startswith("netgym.envs:") else env_id
    for family in families:
        for spec in family.envs:
            if env_id in (spec.id, spec.parallel_name):
                return family
    raise ValueError(f"no netgym family declares the env {env_id!r}")


__all__ = ["FAMILIES", "env_specs", "family_of", "parallel_specs"]
