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
    area = np.asarray(area_m)
    centres = (0.15 + 0.7 * rng.uniform(0.0, 1.0, size=(n_hotspots, 2))) * area
    n_hot = int(round(share * n_users))
    which = np.arange(n_hot) % n_hotspots
    hot = centres[which] + rng.normal(0.0, std_m, size=(n_hot, 2))
    rest = uniform_users(n_users - n_hot, area_m, rng)
    return np.clip(np.concatenate([hot, rest]), 0.0, area)


def cluster_users(
    n_users: int,
    area_m: tuple[float, float],
    rng: np.random.Generator,
    n_clusters: int = 4,
    std_m: float = 60.0,
) -> np.ndarray:
    """All users in Gaussian clusters of random sizes (Dirichlet(1) shares) and random spreads
    (U(0.3, 1) x ``std_m``), centres uniform in the central 80 % of the area; clipped."""
    area = np.asarray(area_m)
    centres = (0.1 + 0.8 * rng.uniform(0.0, 1.0, size=(n_clusters, 2))) * area
    spreads = std_m * rng.uniform(0.3, 1.0, size=n_clusters)
    which = rng.choice(n_clusters, size=n_users, p=rng.dirichlet(np.ones(n_clusters)))
    users = centres[which] + rng.normal(0.0, 1.0, size=(n_users, 2)) * spreads[which, None]
    return np.clip(users, 0.0, area)


def make_users(params: UavParams, rng: np.random.Generator) -> np.ndarray:
    """The layout of ``params.user_layout``, (N, 2) metres."""
    if params.user_layout == "uniform":
        return uniform_users(params.n_users, params.area_m, rng)
    if params.user_layout == "hotspot":
        return hotspot_users(
            params.n_users,
            params.area_m,
            rng,
            params.n_hotspots,
            params.hotspot_share,
            params.hotspot_std_m,
        )
    return cluster_users(
        params.n_users, params.area_m, rng, params.n_hotspots, params.hotspot_std_m
    )


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
