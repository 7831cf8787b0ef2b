"""Max-min fair fluid model: water-filling rates and the completion time of a set of flows.

Every (sub-)flow follows one route (a row of link ids, null-padded). Rates are max-min fair
(progressive filling: all unfrozen flows grow together; when a link saturates, its flows
freeze at that rate); when a flow finishes, the rates are recomputed (reference section 1:
"an optional max-min fluid water-filling mode"). It costs O(levels x F H) per rate
computation and one computation per completion event, so it is meant for evaluation on up to
a few thousand flows; the analytic congestion (``cost.py``) is exact for steps with one flow
in and out per NIC and is what the envs use by default.
"""

from __future__ import annotations

import numpy as np

RELATIVE_TOLERANCE = 1e-12
"""links whose fair share is within this factor of the smallest saturate together; flows
with fewer bytes left than this share of their size count as finished"""


def max_min_rates(links: np.ndarray, capacity: np.ndarray, active: np.ndarray) -> np.ndarray:
    """(F,) max-min fair rates (bytes/s) of the ``active`` flows on routes ``links`` (F, H)
    over links of ``capacity`` (the last entry is the null link, infinite).

    A flow whose route crosses a link of capacity 0 gets rate 0.
    """
    n_links = len(capacity)
    rate = np.zeros(len(links))
    frozen = ~np.asarray(active, dtype=bool)
    remaining = np.asarray(capacity, dtype=float).copy()
    null = n_links - 1
    while not frozen.all():
        live = links[~frozen]
        counts = np.bincount(live.ravel(), minlength=n_links).astype(float)
        counts[null] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(counts > 0, np.maximum(remaining, 0.0) / counts, np.inf)
        level = share.min()
        if not np.isfinite(level):  # a route of null links only (routes include NIC links)
            raise ValueError("a flow crosses no link of finite capacity")
        saturated = share <= level * (1 + RELATIVE_TOLERANCE) + 1e-300
        hit = ~frozen & saturated[links].any(axis=1)
        rate[hit] = level
        remaining -= np.bincount(
            links[hit].ravel(), weights=np.full(links[hit].size, level), minlength=n_links
        )
        frozen |= hit
    return rate


def completion_times(
    links: np.ndarray, sizes: np.ndarray, capacity: np.ndarray, max_events: int | None = None
) -> np.ndarray:
    """(F,) completion time (seconds) of every flow under max-min fair sharing, all starting
    at time 0 with ``sizes`` bytes.

    Raises:
        ValueError: a flow that can never finish (its route crosses a failed link), or more
            than ``max_events`` completion events (default: the number of flows).
    """
    sizes = np.asarray(sizes, dtype=float)
    left = sizes.copy()
    done = left <= 0
    finish = np.zeros(len(sizes))
    now = 0.0
    events = 0
    limit = len(sizes) if max_events is None else max_events
    while not done.all():
        rate = max_min_rates(links, capacity, ~done)
        stuck = ~done & (rate <= 0)
        if stuck.any():
            f = int(np.flatnonzero(stuck)[0])
            raise ValueError(f"flow {f} never finishes: its route crosses a failed link")
        with np.errstate(divide="ignore"):
            eta = np.where(done, np.inf, left / np.where(rate > 0, rate, 1.0))
        dt = eta.min()
        now += dt
        left = np.where(done, 0.0, left - rate * dt)
        ended = ~done & ((eta <= dt * (1 + RELATIVE_TOLERANCE)) | (left <= sizes * 1e-12))
        finish[ended] = now
        done |= ended
        events += 1
        if events > limit:
            raise ValueError(f"the fluid model needed more than {limit} completion events")
    return finish


def fluid_completion_time(links: np.ndarray, sizes: np.ndarray, capacity: np.ndarray) -> float:
    """The collective completion time of one step (seconds): when its last flow finishes."""
    if len(sizes) == 0:
        return 0.0
    return float(completion_times(links, sizes, capacity).max())


__all__ = ["completion_times", "fluid_completion_time", "max_min_rates"]
