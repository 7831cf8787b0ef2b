"""Per-step bounds of ``netgym/WirelessVideoCell-v0`` (``info['count_bound']`` and
``info['upper_bound']``), both for the fluid steady-state problem of the coming epoch: with the
users' current full-cell rates ``r_u`` known, what could shares ``x_u`` (``sum x_u <= 1``)
sustain?

- **Fluid count bound.** User ``u`` needs ``x_u = A_u / r_u`` of the cell to stream at its
  adequate bitrate ``A_u``; taking the smallest needs first maximises how many fit (exact for
  one capacity constraint). Reported as a share of the users.
- **Concave relaxation.** ``max sum_u S^_u(x_u r_u) / N - lambda sum_u x_u`` where ``S^_u`` is
  a concave majorant of the satisfaction ``S_u(R)`` of a steady stream at bitrate ``R`` (the
  persona's utility interpolated on the ladder, capped at the top level; ``S(0) = 0``).
  ``S_u`` rises with ``R``, so on a rate grid ``S_u(R) <= S_u(next grid point)``: the upper
  concave hull of those step values (``envelope_segments``: an intercept and segments) lies
  above ``S_u`` everywhere, within one grid step of its concave envelope. For
  piecewise-linear concave terms, taking segments by decreasing slope while the slope per user
  beats ``lambda`` is optimal, so the result is an upper bound of the fluid problem.

Users who have played their whole video keep their satisfaction and need no PRBs. Neither
number bounds the episode return or even a step's reward: the fluid problem is the long-run
one of users streaming continuously, while a buffered user keeps its satisfaction for a while
without PRBs (the window of ``sat_window`` chunks), and start-up and switching are left out.
They say what the cell can sustain at its current channel state, a yardstick for a step's
allocation.
"""

from __future__ import annotations

import numpy as np

from .personas import satisfaction, utility_of_kbps

GRID_PER_LEVEL = 16
"""points of the rate grid between consecutive ladder levels"""


def rate_grid(ladder_kbps: np.ndarray) -> np.ndarray:
    """0, then ``GRID_PER_LEVEL`` points per ladder interval, ending at the top level."""
    parts = [np.array([0.0])]
    for low, high in zip(ladder_kbps[:-1], ladder_kbps[1:], strict=True):
        parts.append(np.linspace(low, high, GRID_PER_LEVEL, endpoint=False))
    parts.append(np.array([ladder_kbps[-1]]))
    return np.concatenate(parts)


def envelope_segments(
    ladder_kbps: np.ndarray, utilities: np.ndarray, adequate: float, desired: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """A concave majorant of steady-stream satisfaction (see the module docstring): its value
    at R = 0 and its segments (widths in kbps, slopes in satisfaction per kbps, decreasing)."""
    grid = rate_grid(ladder_kbps)
    exact = satisfaction(utility_of_kbps(grid, ladder_kbps, utilities), adequate, desired)
    values = np.append(exact[1:], exact[-1])  # S on (g_i, g_i+1] is at most S(g_i+1)
    hull = [0]
    for i in range(1, len(grid)):  # upper hull, left to right
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (grid[b] - grid[a]) * (values[i] - values[a]) - (values[b] - values[a]) * (
                grid[i] - grid[a]
            )
            if cross >= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    x, y = grid[hull], values[hull]
    widths = np.diff(x)
    slopes = np.diff(y) / widths
    keep = slopes > 0
    return float(y[0]), widths[keep], slopes[keep]


def count_bound(need_share: np.ndarray) -> np.ndarray:
    """Most users whose needs (shares of the cell, rows = envs) fit in one cell, over N."""
    ordered = np.sort(need_share, axis=-1)
    fits = np.cumsum(ordered, axis=-1) <= 1.0 + 1e-12
    return fits.sum(axis=-1) / need_share.shape[-1]


def concave_bound(
    intercept: np.ndarray,
    widths_kbps: np.ndarray,
    slopes: np.ndarray,
    rate_kbps: np.ndarray,
    price: float,
) -> np.ndarray:
    """Optimum of the concave relaxation per env.

    Args:
        intercept: (B, N) the majorants' values at R = 0.
        widths_kbps: (B, N, H) envelope segment widths (0 for padding).
        slopes: (B, N, H) satisfaction per kbps of each segment.
        rate_kbps: (B, N) full-cell rate of each user.
        price: lambda, the reward's price of the whole cell.
    """
    n_users = rate_kbps.shape[-1]
    rate = np.maximum(rate_kbps, 1e-12)[..., None]
    gain = slopes * rate / n_users  # reward per unit share of the cell
    width = widths_kbps / rate  # share of the cell each segment takes
    b = gain.shape[0]
    gain, width = gain.reshape(b, -1), width.reshape(b, -1)
    width = np.where(gain > price, width, 0.0)  # segments not worth their PRBs: never taken
    order = np.argsort(-gain, axis=1)  # equal gains: any order gives the same value
    env = np.arange(b)[:, None]
    gain, width = gain[env, order], width[env, order]
    before = np.cumsum(width, axis=1) - width
    taken = np.minimum(np.maximum(1.0 - before, 0.0), width)
    return intercept.mean(axis=1) + ((gain - price) * taken).sum(axis=1)


__all__ = ["concave_bound", "count_bound", "envelope_segments", "rate_grid"]
