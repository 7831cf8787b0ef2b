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
