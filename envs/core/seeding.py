"""Seeding helpers: no global random state anywhere, one Generator per sub-environment."""

from __future__ import annotations

import numpy as np


def child_generators(seed: int | None, count: int) -> list[np.random.Generator]:
    """Return ``count`` generators; generator ``i`` equals ``np.random.default_rng(seed + i)``.

    This is Gymnasium's vector convention (sub-env ``i`` is seeded with ``seed + i``), so a
    native vector env and a list of scalar envs seeded the same way draw identical numbers.
    With ``seed=None`` the generators are seeded from fresh OS entropy.
    """
    if seed is None:
        root = np.random.SeedSequence()
        return [np.random.default_rng(child) for child in root.spawn(count)]
    return [np.random.default_rng(seed + index) for index in range(count)]


def reseed_vector(
    seed: int | list[int | None] | tuple[int | None, ...] | None,
    num_envs: int,
    current: list[np.random.Generator] | None,
) -> tuple[list[np.random.Generator], int] | None:
    """The sub-env generators of a native vector env's ``reset(seed=...)``.

    ``seed`` is one seed (sub-env ``i`` draws from ``seed + i``, ``child_generators``), a list
    of one seed per sub-env, or None, which keeps ``current`` (fresh OS entropy when there are
    none yet). Returns the new generators and the value of Gymnasium's ``np_random_seed``
    (-1 when unseeded), or None when the current generators stay.

    Raises:
        ValueError: a seed list whose length is not ``num_envs``.
    """
    if isinstance(seed, (list, tuple)):
        if len(seed) != num_envs:
            raise ValueError(f"seed list has {len(seed)} entries, expected {num_envs}")
        first = seed[0]
        return [np.random.default_rng(s) for s in seed], int(first) if first is not None else -1
    if seed is not None or current is None:
        return child_generators(seed, num_envs), seed if seed is not None else -1
    return None
