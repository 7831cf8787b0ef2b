"""One time unit of many DADAO runs at once: the event levels of every run batched together.

``DadaoSim.run`` (one run) and ``GossipBatch`` (the N runs of a vector env) both call
``run_batch``. Each run's events get levels (``levels.event_levels``): the events of one level
touch disjoint nodes, so they commute and run as one numpy batch. Here level ``l`` of every run
is one batch more: the runs whose level ``l`` has the same number k of gradient (or gossip)
events are stacked, so that every small matrix product keeps the shape it has for one run
((2, 6) x (6, k d) per run, stacked) and every elementwise operation the same operands: the
arithmetic of each run is the one-run arithmetic, bit for bit, whatever else is batched with it
(numpy's stacked matmul calls the same BLAS kernel per run; BLAS picks its kernel, and so its
rounding, by the matrix sizes, which is why the runs are grouped by k and never padded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .levels import event_levels

if TYPE_CHECKING:
    from .dadao import DadaoSim, Events


def _levels(sims: Sequence[DadaoSim], events: Sequence[Events]) -> tuple[np.ndarray, ...]:
    """Every run's level tables, concatenated, with run ``e``'s node i numbered e n + i and its
    dt indices into the concatenated dts: (gradient pointers (E, L + 1), gradient rows (node,
    dt index), gossip pointers, gossip rows (i, j, dt index of i), dts, dts per run)."""
    tables, dts, offsets, n = [], [], [0], sims[0].n
    for e, (sim, ev) in enumerate(zip(sims, events, strict=True)):
        tg, tm = ev.grad_times, ev.gossip_times
        order = np.argsort(np.concatenate([tg, tm]), kind="stable")
        gp, grows, mp, mrows, dt = event_levels(
            order,
            len(tg),
            np.ascontiguousarray(tg, dtype=np.float64),
            np.ascontiguousarray(ev.grad_nodes, dtype=np.int64),
            np.ascontiguousarray(tm, dtype=np.float64),
            np.ascontiguousarray(ev.gossip_pairs, dtype=np.int64).reshape(-1, 2),
            sim.last,
        )
        if e:
            grows += (e * n, offsets[-1])
            mrows += (e * n, e * n, offsets[-1])
        tables.append((gp, grows, mp, mrows))
        dts.append(dt)
        offsets.append(offsets[-1] + len(dt))
    if len(tables) == 1:
        gp, grows, mp, mrows = tables[0]
        return gp[None], grows, mp[None], mrows, dts[0], np.diff(offsets)
    width = max(len(gp) for gp, _, _, _ in tables)
    grad_ptr = np.empty((len(tables), width), dtype=np.int64)
    gossip_ptr = np.empty((len(tables), width), dtype=np.int64)
    grad_base = gossip_base = 0
    for e, (gp, grows, mp, mrows) in enumerate(tables):
        grad_ptr[e, : len(gp)] = gp + grad_base
        grad_ptr[e, len(gp) :] = gp[-1] + grad_base
        gossip_ptr[e, : len(mp)] = mp + gossip_base
        gossip_ptr[e, len(mp) :] = mp[-1] + gossip_base
        grad_base += len(grows)
        gossip_base += len(mrows)
    grad_rows = np.concatenate([t[1] for t in tables])
    gossip_rows = np.concatenate([t[3] for t in tables])
    return grad_ptr, grad_rows, gossip_ptr, gossip_rows, np.concatenate(dts), np.diff(offsets)


def _groups(ptr: np.ndarray, table: np.ndarray) -> list[list[tuple[int, Any, np.ndarray]]]:
    """Per level, (k, runs, (g, k, ...) rows of ``table``) of the runs with k > 0 events at that
    level; ``runs`` is ``slice(None)`` when the group is every run (views, not gathers)."""
    if ptr.shape[0] == 1:
        bounds = ptr[0].tolist()
        return [
            [(stop - start, EVERY, table[None, start:stop])] if stop > start else []
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    levels = []
    for lev in range(ptr.shape[1] - 1):
        counts = ptr[:, lev + 1] - ptr[:, lev]
        out = []
        for k in sorted(set(counts.tolist()) - {0}):
            runs = np.flatnonzero(counts == k)
            at = ptr[runs, lev][:, None] + np.arange(k)
            out.append((k, EVERY if len(runs) == len(counts) else runs, table[at]))
        levels.append(out)
    return levels


def _runs_major(w: np.ndarray, g: int, k: int, d: int) -> np.ndarray:
    """(6, g, k, d) as (g, 6, k d) contiguous: each run's (6, k d) block, as one run has it."""
    if g == 1:
        return w.reshape(1, 6, k * d)
    return np.ascontiguousarray(w.transpose(1, 0, 2, 3)).reshape(g, 6, k * d)


EVERY = slice(None)


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    """``np.stack`` (a view for one array)."""
    return arrays[0][None] if len(arrays) == 1 else np.stack(arrays)


def run_batch(
    sims: Sequence[DadaoSim],
    events: Sequence[Events],
    t_end: Sequence[float],
    beta_tilde: Sequence[float],
) -> None:
    """Apply each run's ``events`` (from ``DadaoSim.draw``) with its gossip step ``beta_tilde``
    and bring every node of run ``e`` to ``t_end[e]`` (all runs of one (n, d) and loss kind).

    The runs' eigen-coordinates are concatenated along the nodes, (6, E n, d), each run's
    (6, n, d) block as ``DadaoSim.coords`` holds it (one run: that very array, updated in
    place); every product is the one-run product on the same operands.
    """
    count, n, d = len(sims), sims[0].n, sims[0].d
    one = count == 1
    coords = sims[0].coords if one else np.concatenate([sim.coords for sim in sims], axis=1)
    grad_ptr, grad_rows, gossip_ptr, gossip_rows, dts, per_run = _levels(sims, events)
    eig = _stack([sim.prop.eigenvalues for sim in sims])
    decay = np.exp(dts[:, None] * (eig if one else eig[np.repeat(np.arange(count), per_run)]))
    read_grad = _stack([sim.read_grad for sim in sims])
    read_mix = _stack([sim.read_mix for sim in sims])[:, None, :]
    jump = _stack([sim.jump for sim in sims]).T[:, :, None, None]
    beta = np.array([sim.const.beta for sim in sims])[:, None]
    inverse = _stack([sim.prop.inverse for sim in sims])
    kick = beta * inverse[:, :, 4] + np.asarray(beta_tilde, dtype=float)[:, None] * inverse[:, :, 5]
    kick = kick.T[:, :, None, None]
    nu = np.array([sim.const.nu for sim in sims])[:, None, None]
    grad = type(sims[0].loss).stacked([sim.loss for sim in sims])
    grad_levels = _groups(grad_ptr, grad_rows)
    gossip_levels = _groups(gossip_ptr, gossip_rows)
    for grad_groups, gossip_groups in zip(grad_levels, gossip_levels, strict=True):
        for k, runs, rows in grad_groups:
            g = len(rows)
            i = rows[:, :, 0]
            wi = coords[:, i] * decay[rows[:, :, 1]].transpose(2, 0, 1)[:, :, :, None]
            xy = (read_grad[runs] @ _runs_major(wi, g, k, d)).real.reshape(g, 2, k, d)
            x = xy[:, 0]
            r = grad(i, x) - nu[runs] * x - xy[:, 1]
            coords[:, i] = wi + jump[:, runs] * r[None]
        for k, runs, rows in gossip_groups:
            g = len(rows)
            i, j = rows[:, :, 0], rows[:, :, 1]
            wi = coords[:, i] * decay[rows[:, :, 2]].transpose(2, 0, 1)[:, :, :, None]
            wj = coords[:, j] * decay[rows[:, :, 2] + 1].transpose(2, 0, 1)[:, :, :, None]
            diff = _runs_major(wi - wj, g, k, d)
            step = kick[:, runs] * (read_mix[runs] @ diff).real.reshape(1, g, k, d)
            coords[:, i] = wi - step
            coords[:, j] = wj + step
    # bring every node to t_end
    lag = np.asarray(t_end, dtype=float)[:, None] - _stack([sim.last for sim in sims])
    coords *= np.exp(eig.T[:, :, None] * lag[None]).reshape(6, count * n)[:, :, None]
    for e, sim in enumerate(sims):
        if not one:
            sim.coords = np.ascontiguousarray(coords[:, e * n : (e + 1) * n])
        sim.last[:] = t_end[e]
        sim.t = float(t_end[e])


__all__ = ["run_batch"]
