"""netgym environments. Importing this package registers every env of every family in
``FAMILIES`` with Gymnasium.

``gym.make("netgym.envs:netgym/AbrStreaming-v0")`` imports it on demand, so the id works
wherever only a string can be passed.
"""

from gymnasium.envs.registration import register, registry

from .core.family import EnvSpec, Family
from .families import FAMILIES, env_specs, family_of, parallel_specs


def register_family(family: Family) -> None:
    """Register every env of ``family`` with Gymnasium (ids already registered are kept)."""
    for spec in family.envs:
        if spec.id not in registry:
            register(
                id=spec.id,
                entry_point=spec.entry_point,
                vector_entry_point=spec.vector_entry_point,
            )


for _family in FAMILIES:
    register_family(_family)

ENV_IDS: dict[str, str] = {spec.id: spec.summary for spec in env_specs().values()}
"""every registered netgym env id -> its one-line summary"""

__all__ = [
    "ENV_IDS",
    "FAMILIES",
    "EnvSpec",
    "Family",
    "env_specs",
    "family_of",
    "parallel_specs",
    "register_family",
]
