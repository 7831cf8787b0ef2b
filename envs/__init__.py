"""netgym environments. Importing this package registers every env of every family in
``FAMILIES`` with Gymnasium.

``gym.make("netgym.envs:netgym/AbrStreaming-v0")`` imports it on demand, so the id works
wherever only a string can be passed.
"""

import warnings

from gymnasium.envs.registration import register, registry

from .core.creators import creator_entry_point
from .core.family import EnvSpec, Family
from .families import FAMILIES, add_family, all_families, env_specs, family_of, parallel_specs


def _register_ids(family: Family) -> None:
    """Register every env of ``family`` with Gymnasium (ids already registered are kept),
    through a creator function, so that the env itself checks ``render_mode``
    (``core/creators.py``)."""
    for spec in family.envs:
        if spec.id not in registry:
            register(
                id=spec.id,
                entry_point=creator_entry_point(spec.entry_point),
                vector_entry_point=spec.vector_entry_point,
            )


def register_family(family: Family) -> None:
    """Add a family from outside netgym: its env ids, baselines, protocols and PettingZoo
    names become available like those of netgym's own families (see docs/adding_an_env.md).

    Raises:
        ValueError: a name of the family is taken already.
    """
    add_family(family)
    _register_ids(family)
    ENV_IDS.update({spec.id: spec.summary for spec in family.envs})


for _family in FAMILIES:
    _register_ids(_family)

# A netgym env's earlier versions are not deprecated: a v0 whose v1 changes only the random
# streams (issue #21, docs/performance.md) stays maintained and bit-identical, because published
# results and leaderboard protocols are pinned to it. Gymnasium's "is out of date, consider
# upgrading" warning on every gym.make of such a v0 would tell those users the wrong thing.
warnings.filterwarnings(
    "ignore", message=r".*environment netgym/\w+-v\d+ is out of date", category=DeprecationWarning
)

ENV_IDS: dict[str, str] = {spec.id: spec.summary for spec in env_specs().values()}
"""every registered netgym env id -> its one-line summary"""

__all__ = [
    "ENV_IDS",
    "FAMILIES",
    "EnvSpec",
    "Family",
    "all_families",
    "env_specs",
    "family_of",
    "parallel_specs",
    "register_family",
]
