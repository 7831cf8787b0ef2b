"""The leaderboard protocols of the quantum network family (``netgym.envs.quantum``).

Repeater chain: the score is the return, -(slots to an end-to-end link); anchors nested
swapping = 0 (a floor: random times out at 200 slots in most episodes), swap-asap = 1, the
optimal policy (Iñesta et al.'s MDP) above. Scheduling: the mean reward per
slot; anchors random = 0, earliest-deadline-first = 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol


def chain(data_dir: Path | None, max_steps: int = 200) -> dict[str, Any]:
    """Iñesta's abstract chain: 4 nodes, p_gen 0.5, p_swap 0.5, cutoff 4 slots."""
    from netgym.envs.quantum import ChainParams

    return {"params": ChainParams.abstract(n_nodes=4, cutoff=4, p_swap=0.5, max_steps=max_steps)}


def scheduling(data_dir: Path | None, horizon_slots: int = 2000) -> dict[str, Any]:
    """The QoS paper's star with 10 demands (with the default 6, random scheduling serves as
    many as EDF)."""
    from netgym.envs.quantum import SchedulingParams

    return {"params": SchedulingParams(topology="star", n_demands=10, horizon_slots=horizon_slots)}


define_protocol(
    "repeater-chain",
    "netgym/RepeaterChain-v0",
    chain,
    Anchors(
        reference="swap-asap",
        random="nested",
        oracle="optimal",
        note="floor: nested (doubling) swapping, the classic simple scheme; the random policy "
        "times out at 200 slots in most episodes (-178 against swap-asap's -10.4), which would "
        "put every sensible policy within 0.03 of 1",
    ),
    seeds=5,
    episodes=20,
    quick=(2, 10),
    quick_kwargs=chain,
    metric="mean",
    entry_kwargs=("obs_mode",),
    description="quantum repeater chain, abstract model: 4 nodes, p_gen 0.5, p_swap 0.5, "
    "cutoff 4 slots, at most 200 slots; score = return = -(slots to an end-to-end link)",
)
define_protocol(
    "quantum-scheduling",
    "netgym/QuantumNetworkScheduling-v0",
    scheduling,
    Anchors(reference="edf"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: scheduling(data_dir, horizon_slots=1000),
    description="multi-user quantum network QoS scheduling, star topology, 10 demands, 2000 slots "
    "(quick: 1000); score = mean reward per slot",
)
