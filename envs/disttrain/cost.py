"""Costs of collective traffic: link loads, analytic step congestion, alpha-beta times and
lower bounds (reference/disttrain.md section 1, "Congestion and time", and section 6 "cost").

- Link load ``l_e = sum_f size_f sum_p x_fp 1[e in p]`` (bytes), with ``x_fp`` the share of
  flow f on path p.
- Step congestion ``kappa = max_e l_e / c_e`` (seconds): the time the busiest link needs. For
  steps where every NIC sends one flow and receives one (rings, halving-doubling,
  permutations) the max-min fair fluid completion time equals kappa exactly, so the analytic
  model is exact there; step time ``T_k = alpha + kappa_k``.
- Lower bounds: the bandwidth-optimal all-reduce ``2 (N-1)/N S/B``, the per-NIC all-to-all
  bound ``(N-1) S/(N B)``, and per step the cut bound: the bytes every NIC and every edge
  switch must send or receive, over its capacity (``step_lower_bound``). No placement of the
  flows can beat the cut bound, so congestion is never below it.
"""

from __future__ import annotations

import numpy as np

from .collectives import Collective
from .topology import Fabric


def link_loads(fabric: Fabric, links: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(n_links + 1,) bytes on every link: ``weights`` (broadcast to ``links``' shape)
    summed over the link ids ``links``."""
    links = np.asarray(links)
    weights = np.broadcast_to(weights, links.shape)
    return np.bincount(links.ravel(), weights=weights.ravel(), minlength=fabric.n_links + 1)


def congestion(loads: np.ndarray, capacity: np.ndarray) -> float:
    """``max_e loads_e / capacity_e`` in seconds (the null link excluded): a loaded link of
    capacity 0 (failed) gives infinity."""
    load, cap = loads[:-1], capacity[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(load > 0, load / cap, 0.0)
    return float(ratio.max()) if len(ratio) else 0.0


def nic_loads(fabric: Fabric, src: np.ndarray, dst: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(n_links + 1,) loads of the NIC links only (the same for every path choice)."""
    out = np.bincount(src, weights=size, minlength=fabric.n_nics)
    into = np.bincount(dst, weights=size, minlength=fabric.n_nics)
    loads = np.zeros(fabric.n_links + 1)
    loads[: fabric.n_nics] = out
    loads[fabric.n_nics : 2 * fabric.n_nics] = into
    return loads


def path_loads(
    fabric: Fabric, src: np.ndarray, dst: np.ndarray, size: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """(n_links + 1,) loads when flow f puts ``share[f, p]`` of its bytes on path p of its
    switch pair (rows of ``share`` sum to 1), NIC links included."""
    a, b = fabric.nic_switch[src], fabric.nic_switch[dst]
    links = fabric.paths[a, b]  # (F, P, H)
    weights = (size[:, None] * share)[:, :, None]
    return link_loads(fabric, links, weights) + nic_loads(fabric, src, dst, size)


def spraying_share(fabric: Fabric, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(F, P) oblivious packet spraying: an equal share on every alive path of each flow.

    Raises:
        ValueError: a flow whose switch pair has no alive path (the failures cut it off).
    """
    a, b = fabric.nic_switch[src], fabric.nic_switch[dst]
    alive = fabric.path_alive(a, b).astype(float)
    count = alive.sum(axis=1, keepdims=True)
    if (count == 0).any():
        f = int(np.flatnonzero(count[:, 0] == 0)[0])
        raise ValueError(
            f"flow {int(src[f])} -> {int(dst[f])} has no alive path between switches "
            f"{int(a[f])} and {int(b[f])}: every equal-cost path has a failed link"
        )
    return alive / count


def spraying_congestion(
    fabric: Fabric, src: np.ndarray, dst: np.ndarray, size: np.ndarray
) -> float:
    """Congestion (seconds) of oblivious spraying of one step."""
    share = spraying_share(fabric, src, dst)
    return congestion(path_loads(fabric, src, dst, size, share), fabric.capacity)


def single_path_congestion(
    fabric: Fabric, src: np.ndarray, dst: np.ndarray, size: np.ndarray, path: np.ndarray
) -> float:
    """Congestion (seconds) when flow f (or sub-flow: repeat src/dst) takes path ``path[f]``."""
    links = fabric.links_of(src, dst, path)
    return congestion(link_loads(fabric, links, size[:, None]), fabric.capacity)


def step_lower_bound(fabric: Fabric, src: np.ndarray, dst: np.ndarray, size: np.ndarray) -> float:
    """The cut bound of one step (seconds): the largest of, per NIC, its bytes out or in over
    its NIC capacity, and per edge switch, its bytes leaving (entering) the switch over the
    total capacity of its links toward (from) the fabric. Holds for any path choice and any
    splitting; infinite when bytes must cross a cut whose links all failed."""
    loads = nic_loads(fabric, src, dst, size)
    bound = congestion(loads, fabric.capacity)
    a, b = fabric.nic_switch[src], fabric.nic_switch[dst]
    cross = a != b
    if cross.any():
        out = np.bincount(a[cross], weights=size[cross], minlength=fabric.n_switches)
        into = np.bincount(b[cross], weights=size[cross], minlength=fabric.n_switches)
        up = np.array([fabric.capacity[links].sum() for links in fabric.up_links])
        down = np.array([fabric.capacity[links].sum() for links in fabric.down_links])
        with np.errstate(divide="ignore", invalid="ignore"):
            cuts = np.concatenate(
                [np.where(out > 0, out / up, 0.0), np.where(into > 0, into / down, 0.0)]
            )
        bound = max(bound, float(cuts.max()))
    return bound


def ring_allreduce_lower_bound(message_bytes: float, n_ranks: int, nic_bps: float) -> float:
    """Bandwidth-optimal all-reduce time ``2 (N-1)/N S/B`` (no latency term)."""
    return 2.0 * (n_ranks - 1) / n_ranks * message_bytes / nic_bps


def alltoall_lower_bound(message_bytes: float, n_ranks: int, nic_bps: float) -> float:
    """Per-NIC all-to-all bound ``(N-1) S / (N B)``: each NIC sends all but its own share."""
    return (n_ranks - 1) * message_bytes / (n_ranks * nic_bps)


def alpha_beta_step(alpha_s: float, nic_bps: float, bytes_per_nic: float) -> float:
    """The alpha-beta (latency-bandwidth) time of one step: ``alpha + bytes / B``."""
    return alpha_s + bytes_per_nic / nic_bps


def alpha_beta_time(collective: Collective, alpha_s: float, nic_bps: float) -> float:
    """Congestion-unaware alpha-beta time of a collective: per step, alpha plus the most
    bytes any rank sends or receives over B (the analytical model of ASTRA-sim's
    congestion-unaware backend, for a fabric that is never the bottleneck)."""
    total = 0.0
    step = collective.step_of_flow()
    k, n = collective.n_steps, collective.n_ranks
    out = np.bincount(step * n + collective.src, weights=collective.size, minlength=k * n)
    into = np.bincount(step * n + collective.dst, weights=collective.size, minlength=k * n)
    per_step = np.maximum(out.reshape(k, n).max(axis=1), into.reshape(k, n).max(axis=1))
    total = float(k * alpha_s + per_step.sum() / nic_bps)
    return total


__all__ = [
    "alltoall_lower_bound",
    "alpha_beta_step",
    "alpha_beta_time",
    "congestion",
    "link_loads",
    "nic_loads",
    "path_loads",
    "ring_allreduce_lower_bound",
    "single_path_congestion",
    "spraying_congestion",
    "spraying_share",
    "step_lower_bound",
]
