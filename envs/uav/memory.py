"""What a multi-UAV configuration holds in memory, estimated from ``UavParams`` before anything
is allocated and checked against the budget of ``core/budget.py`` (``docs/uav.md``, "Limits").

The sim keeps, per env, its users (N), the user/UAV links (N x K: SINR, received powers and the
association's temporaries) and, with ``reward="difference"``, the association without each UAV
(N x K x (K - 1)); it shares the lattice (``n_cells`` points), the move table of the one-env
fast path (``n_cells`` x actions, as Python lists), the received-power table of every lattice
point (N x ``n_cells``: one shared with ``layout_seed``, else one per env where it pays, see
``table_mode``), the BSs and the layout generator's hotspots. The per-item costs are the peak
resident memory of a reset and three steps, measured per item on configurations dominated by
each term, and rounded up by a third or more.
"""

from __future__ import annotations

import math

from ..core.budget import check_memory, format_bytes, format_count
from .params import UavParams

CALL_OVERHEAD_LINKS = 400
"""fixed cost of one channel-model call on few links, in links of bulk work (about 20 us vs
50 ns per link on one core): what makes a received-power table pay off at small B"""
MAX_TABLE_ENTRIES = 1 << 23
"""largest per-env received-power table built whole at reset, B x N x n_cells floats (64 MiB)"""
MAX_MOVE_ENTRIES = 1 << 20
"""largest move table (lattice points x actions) a batch of envs moves its UAVs through"""
MAX_LAZY_ENTRIES = 1 << 24
"""largest per-env received-power table filled lazily, B x N x n_cells floats (128 MiB; only
the rows the UAVs visit are ever written, so only their pages become resident)"""

BYTES_PER_USER = 96
"""a user's state (position, indoor loss, BS power, association) and the layout and bound
temporaries of a reset"""
BYTES_PER_LINK = 96
"""a user/UAV pair: SINR, received power and the channel model's and the association's
temporaries of a step"""
BYTES_PER_DIFFERENCE_LINK = 72
"""a user/UAV/other-UAV triple of the 'difference' reward (the association without each UAV)"""
BYTES_PER_UAV = 1024
"""a UAV's state, observations and, in the PettingZoo env, its per-agent dicts"""
BYTES_PER_CELL = 64
"""a lattice point: its coordinates and the index temporaries that build them"""
BYTES_PER_MOVE = 120
"""an entry of the fast path's move table (cells x actions): the moved positions, their
check, and the Python list of next cells"""
BYTES_PER_TABLE_ENTRY = 56
"""a received-power table entry (user x lattice point) and the temporaries that compute it"""
BYTES_PER_LAZY_ENTRY = 8
"""a lazily filled received-power table entry (one float64; the temporaries that compute a row
are those of a step's links)"""
BYTES_PER_BS_LINK = 48
"""a user/BS pair while the BS power is computed (``bs_interference``)"""
BYTES_PER_HOTSPOT = 48
"""a hotspot or cluster of the layout generator"""
BYTES_PER_HEATMAP_CELL = 32
"""a heatmap cell: the counts, the image planes (per UAV) and the observation's bounds"""


def table_mode(params: UavParams, num_envs: int) -> str | None:
    """'shared' (one received-power table for the fixed layout, built once), 'per_env' (one
    per env, built whole at each reset), 'lazy' (one per env, a lattice point's row computed
    the first time a UAV of the env visits it in the episode) or None (the channel model runs
    every step).

    A whole table costs n_cells x N links per episode; stepping costs K x N links per step
    plus a per-call overhead of about ``CALL_OVERHEAD_LINKS`` links shared by the B envs, so the
    per-env table is built whole only where it is the cheaper of the two, and within
    ``MAX_TABLE_ENTRIES``. Elsewhere the lazy table computes at most the links that stepping
    would (and none on a revisit), so it is used wherever it fits ``MAX_LAZY_ENTRIES``."""
    if params.continuous or params.user_speed_mps != 0:
        return None
    if params.layout_seed is not None:
        return "shared"
    n_cells, n_users = params.n_cells, params.n_users
    table_links = n_cells * n_users
    step_links = params.n_uavs * n_users + CALL_OVERHEAD_LINKS / num_envs
    cheaper = table_links < params.max_steps * step_links
    if cheaper and num_envs * table_links <= MAX_TABLE_ENTRIES:
        return "per_env"
    if num_envs * table_links <= MAX_LAZY_ENTRIES:
        return "lazy"
    return None


def fast_one(params: UavParams, num_envs: int) -> bool:
    """Whether a sim of ``num_envs`` envs takes the one-env fast path (``UavSim._step_one``,
    with its move table): one env, static users, discrete moves, no 'difference' reward."""
    return (
        num_envs == 1
        and not params.continuous
        and params.user_speed_mps == 0
        and params.reward in ("global", "local", "mixed")
    )


def moves_by_table(params: UavParams, num_envs: int) -> bool:
    """Whether the sim moves its UAVs through a table of the cell each action leads to from each
    lattice point (discrete moves; always for the one-env fast path, and for a batch when the
    table has at most ``MAX_MOVE_ENTRIES`` entries)."""
    if params.continuous:
        return False
    return fast_one(params, num_envs) or params.n_cells * params.n_actions <= MAX_MOVE_ENTRIES


def bytes_per_env(params: UavParams, num_envs: int = 1) -> float:
    """Bytes one env of a sim of ``num_envs`` holds: users, links, the 'difference' triples,
    UAVs, observations, a per-env received-power table and the BS links."""
    n_users, n_uavs = float(params.n_users), float(params.n_uavs)
    total = (
        n_users * BYTES_PER_USER
        + n_users * n_uavs * BYTES_PER_LINK
        + n_uavs * BYTES_PER_UAV
        + (1.0 + n_uavs) * params.heatmap_size**2 * BYTES_PER_HEATMAP_CELL
    )
    if params.reward == "difference":
        total += n_users * n_uavs * max(n_uavs - 1.0, 0.0) * BYTES_PER_DIFFERENCE_LINK
    mode = table_mode(params, num_envs)
    if mode == "per_env":
        total += n_users * float(params.n_cells) * BYTES_PER_TABLE_ENTRY
    elif mode == "lazy":  # the table and its flags; a row's temporaries are links of a step
        total += float(params.n_cells) * (n_users * BYTES_PER_LAZY_ENTRY + 1.0)
    if params.bs_interference:
        total += n_users * params.n_bs * BYTES_PER_BS_LINK
    return total


def shared_bytes(params: UavParams, num_envs: int) -> dict[str, float]:
    """Bytes the sim shares among its envs, by what drives them."""
    n_cells = float(params.n_cells)
    parts = {
        f"n_cells={format_count(params.n_cells)} lattice points": n_cells * BYTES_PER_CELL,
        f"n_hotspots={format_count(params.n_hotspots)}": (
            float(params.n_hotspots) * BYTES_PER_HOTSPOT + 16.0 * params.n_bs
        ),
    }
    if moves_by_table(params, num_envs):
        moves = f"move table of {format_count(params.n_cells)} cells x {params.n_actions} actions"
        parts[moves] = n_cells * params.n_actions * BYTES_PER_MOVE
    if table_mode(params, num_envs) == "shared":
        parts[
            f"received-power table of {format_count(params.n_users)} users x "
            f"{format_count(params.n_cells)} cells (layout_seed)"
        ] = float(params.n_users) * n_cells * BYTES_PER_TABLE_ENTRY
    return parts


def check_uav_memory(params: UavParams, num_envs: int, owner: str = "UavOffload") -> None:
    """Refuse a configuration whose sim of ``num_envs`` envs cannot fit the memory budget.

    Raises:
        ValueError: over the budget; the message names the parameters and the estimate.
    """
    parts = shared_bytes(params, num_envs)
    per_env = bytes_per_env(params, num_envs)
    users = (
        f"{num_envs} env(s) x {format_bytes(per_env)} (n_users={format_count(params.n_users)}, "
        f"n_uavs={format_count(params.n_uavs)}"
        + (", reward='difference'" if params.reward == "difference" else "")
        + ")"
    )
    parts[users] = num_envs * per_env
    total = math.fsum(parts.values())
    check_memory(owner, total, ", ".join(parts))


__all__ = [
    "CALL_OVERHEAD_LINKS",
    "MAX_LAZY_ENTRIES",
    "MAX_MOVE_ENTRIES",
    "MAX_TABLE_ENTRIES",
    "bytes_per_env",
    "check_uav_memory",
    "fast_one",
    "moves_by_table",
    "shared_bytes",
    "table_mode",
]
