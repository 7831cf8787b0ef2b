"""The leaderboard protocols of the distributed-training networking family
(``netgym.envs.disttrain``).

CollectivePath: the score is the return, ``-(T_comm / T_lb - 1)`` (0 at the collective's cut
lower bound, the ``bound``); anchors random = 0 and capacity-aware greedy (Ethereal-like) = 1,
the oracle (edge-colouring or the rounded min-congestion LP) reported beside.

SeqGradCoding: the score is the return, minus the runtime of the 80 jobs in units of
``c_comp + median base delay``; anchors random = 0 and the online model-based rule = 1, the
best fixed arm in hindsight (the paper's method, an oracle) reported beside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol

COLLECTIVE_ID = "netgym/CollectivePath-v0"
GRADCODING_ID = "netgym/SeqGradCoding-v0"


def collective_ring(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """Ring all-reduce of 256 MiB over a healthy 16 x 16 x 16 leaf-spine, random placement,
    one piece per flow (quick: 8 x 8 x 8)."""
    from netgym.envs.disttrain import CollectivePathParams

    sizes = {"leaves": 8, "spines": 8, "hosts_per_leaf": 8} if quick else {}
    return {"params": CollectivePathParams(**sizes)}


def collective_degraded(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """The reference's degraded case: one leaf uplink at half capacity, 8 pieces per flow
    (quick: 8 x 8 x 8, 4 pieces)."""
    from netgym.envs.disttrain import CollectivePathParams

    if quick:
        sizes = {"leaves": 8, "spines": 8, "hosts_per_leaf": 8, "pieces": 4}
        return {"params": CollectivePathParams.degraded(**sizes)}
    return {"params": CollectivePathParams.degraded()}


CUT_BOUND = Anchors(
    reference="greedy-cap",
    oracle="oracle",
    bound=0.0,
    bound_note="the collective's cut lower bound (return 0)",
)

define_protocol(
    "collective-path",
    COLLECTIVE_ID,
    collective_ring,
    CUT_BOUND,
    seeds=5,
    episodes=2,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: collective_ring(data_dir, quick=True),
    metric="mean",
    description="collective path selection: ring all-reduce of 256 MiB on a healthy "
    "16x16x16 leaf-spine, random placement, 1 piece per flow (quick: 8x8x8); score = "
    "-(T / T_lb - 1)",
)
define_protocol(
    "collective-path-degraded",
    COLLECTIVE_ID,
    collective_degraded,
    CUT_BOUND,
    seeds=3,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: collective_degraded(data_dir, quick=True),
    metric="mean",
    description="collective path selection under one leaf uplink at half capacity: ring "
    "all-reduce, 16x16x16, 8 pieces per flow (quick: 8x8x8, 4 pieces); score = -(T / T_lb - 1)",
)


def grad_coding(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """256 workers, 80 jobs (quick: 40), stragglers switching between i.i.d. and bursty
    regimes every 40 rounds."""
    from netgym.envs.disttrain import SeqGradCodingParams

    return {"params": SeqGradCodingParams(jobs=40 if quick else 80)}


define_protocol(
    "seq-grad-coding",
    GRADCODING_ID,
    grad_coding,
    Anchors(reference="adaptive", oracle="best-fixed"),
    seeds=5,
    episodes=2,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: grad_coding(data_dir, quick=True),
    metric="mean",
    description="gradient-coding scheme per epoch: 256 workers, 80 jobs (quick: 40), "
    "stragglers switching between i.i.d. and bursty regimes; score = -runtime / "
    "(c_comp + median base delay)",
)
