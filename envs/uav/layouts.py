"""Ground-user layouts (hotspot, uniform, clusters) and an optional random-walk mobility.

Every function draws from the ``numpy.random.Generator`` it is given, in a fixed order, so the
same generator state gives the same layout.
"""

from __future__ import annotations

import numpy as np

from .params import UavParams


def uniform_users(
    n_users: int, area_m: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """``n_users`` points uniform over the area, (N, 2) metres."""
    return rng.uniform(0.0, 1.0, size=(n_users, 2)) * np.asarray(area_m)


def hotspot_users(
    n_users: int,
    area_m: tuple[float, float],
    rng: np.random.Generator,
    n_hotspots: int = 4,
    share: float = 0.8,
    std_m: float = 60.0,
) -> np.ndarray:
    """``round(share * N)`` users in Gaussian hotspots (centres uniform in the central 70 % of
    the area, equal sizes up to one user), the rest uniform; clipped to the area."""
    draws = _hotspot_draws(n_users, rng, n_hotspots, share, std_m)
    return _place_hotspots(area_m, n_hotspots, *draws)


def cluster_users(
    n_users: int,
    area_m: tuple[float, float],
    rng: np.random.Generator,
    n_clusters: int = 4,
    std_m: float = 60.0,
) -> np.ndarray:
    """All users in Gaussian clusters of random sizes (Dirichlet(1) shares) and random spreads
    (U(0.3, 1) x ``std_m``), centres uniform in the central 80 % of the area; clipped."""
    draws = _cluster_draws(n_users, rng, n_clusters)
    return _place_clusters(area_m, std_m, *(draw[None] for draw in draws))[0]


def make_users(params: UavParams, rng: np.random.Generator) -> np.ndarray:
    """The layout of ``params.user_layout``, (N, 2) metres."""
    return place_users(params, [user_draws(params, rng)])[0]


# A layout is drawn in two parts, so that a vector env draws from each env's generator in turn
# (the same calls in the same order as one env) and then places the users of all its envs with
# one batch of array operations (the same arithmetic).
def user_draws(params: UavParams, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The random numbers of one layout of ``params.user_layout``, drawn from ``rng``."""
    if params.user_layout == "uniform":
        return (rng.uniform(0.0, 1.0, size=(params.n_users, 2)),)
    if params.user_layout == "hotspot":
        return _hotspot_draws(
            params.n_users, rng, params.n_hotspots, params.hotspot_share, params.hotspot_std_m
        )
    return _cluster_draws(params.n_users, rng, params.n_hotspots)


def place_users(params: UavParams, draws: list[tuple[np.ndarray, ...]]) -> np.ndarray:
    """The layouts (M, N, 2) of M ``user_draws``."""
    stacked = [np.stack(part) for part in zip(*draws, strict=True)]
    if params.user_layout == "uniform":
        return stacked[0] * np.asarray(params.area_m)
    if params.user_layout == "hotspot":
        return _place_hotspots(params.area_m, params.n_hotspots, *stacked)
    return _place_clusters(params.area_m, params.hotspot_std_m, *stacked)


def _hotspot_draws(
    n_users: int, rng: np.random.Generator, n_hotspots: int, share: float, std_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centres = rng.uniform(0.0, 1.0, size=(n_hotspots, 2))
    n_hot = int(round(share * n_users))
    offsets = rng.normal(0.0, std_m, size=(n_hot, 2))
    return centres, offsets, rng.uniform(0.0, 1.0, size=(n_users - n_hot, 2))


def _place_hotspots(
    area_m: tuple[float, float],
    n_hotspots: int,
    centres: np.ndarray,
    offsets: np.ndarray,
    uniform: np.ndarray,
) -> np.ndarray:
    """Hotspot users from their draws, with or without a leading batch axis."""
    area = np.asarray(area_m)
    centres = (0.15 + 0.7 * centres) * area
    which = np.arange(offsets.shape[-2]) % n_hotspots
    hot = centres[..., which, :] + offsets
    rest = uniform * area
    return np.clip(np.concatenate([hot, rest], axis=-2), 0.0, area)


def _cluster_draws(
    n_users: int, rng: np.random.Generator, n_clusters: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    centres = rng.uniform(0.0, 1.0, size=(n_clusters, 2))
    spreads = rng.uniform(0.3, 1.0, size=n_clusters)
    which = rng.choice(n_clusters, size=n_users, p=rng.dirichlet(np.ones(n_clusters)))
    return centres, spreads, which, rng.normal(0.0, 1.0, size=(n_users, 2))


def _place_clusters(
    area_m: tuple[float, float],
    std_m: float,
    centres: np.ndarray,
    spreads: np.ndarray,
    which: np.ndarray,
    offsets: np.ndarray,
) -> np.ndarray:
    """Cluster users (M, N, 2) from M clusters' draws (a leading batch axis)."""
    area = np.asarray(area_m)
    centres = (0.1 + 0.8 * centres) * area
    spreads = std_m * spreads
    at = np.take_along_axis(centres, which[..., None], axis=1)
    users = at + offsets * np.take_along_axis(spreads, which, axis=1)[..., None]
    return np.clip(users, 0.0, area)


def random_walk(
    user_xy: np.ndarray, step_m: float, area_m: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Each user moves ``step_m`` in a uniform random direction, clipped to the area."""
    angle = rng.uniform(0.0, 2.0 * np.pi, size=user_xy.shape[:-1])
    moved = user_xy + step_m * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    return np.clip(moved, 0.0, np.asarray(area_m))


def bs_positions(params: UavParams) -> np.ndarray:
    """Terrestrial BS positions, (n_bs, 2): the first in the centre, the others evenly on a ring
    of radius 0.35 x the shorter side."""
    area = np.asarray(params.area_m)
    centre = area / 2.0
    if params.n_bs == 0:
        return np.zeros((0, 2))
    ring = params.n_bs - 1
    angle = 2.0 * np.pi * np.arange(ring) / max(ring, 1)
    radius = 0.35 * area.min()
    others = centre + radius * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    return np.concatenate([centre[None], others])
