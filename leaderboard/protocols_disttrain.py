"""The leaderboard protocols of the distributed-training networking family
(``netgym.envs.disttrain``).

CollectivePath: the score is the return, ``-(T_comm / T_lb - 1)`` (0 at the collective's cut
lower bound, the ``bound``); anchors random = 0 and capacity-aware greedy (Ethereal-like) = 1,
the oracle (edge-colouring or the rounded min-congestion LP) reported beside.

SeqGradCoding: the score is the return, minus the runtime of the 80 jobs in units of
``c_comp + median base delay``; anchors random = 0 and the online model-based rule = 1, the
best fixed arm in hindsight (the paper's method, an oracle) reported beside.

MoeTrainingOverlap: the score is the return, ``-T_iter / T_lb`` (-1 at the per-resource
busy-time bound, the ``bound``); anchors random = 0 and FSMoE's optimiser = 1, the dynamic
programme over the layers (the oracle) reported beside.

AsyncGossip: the score is the return, the drop of ln(mean |x_i - x*|^2) over the episode minus
``cost_weight`` x the communication cost (in units of DADAO's default spend per time unit);
anchors random = 0 and DADAO's default rate sqrt(2 chi1 chi2) = 1, the best constant
intensity in hindsight (the oracle) reported beside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol

COLLECTIVE_ID = "netgym/CollectivePath-v0"
GRADCODING_ID = "netgym/SeqGradCoding-v0"
MOETRAINING_ID = "netgym/MoeTrainingOverlap-v0"
GOSSIP_ID = "netgym/AsyncGossip-v0"


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


def grad_coding(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """256 workers, 80 jobs (quick: 40), stragglers switching between i.i.d. and bursty
    regimes every 40 rounds."""
    from netgym.envs.disttrain import SeqGradCodingParams

    return {"params": SeqGradCodingParams(jobs=40 if quick else 80)}


def moe_training(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """The GPT-2-like model (12 MoE layers; quick: 4) with routing imbalance (token jitter
    0.3) and a 10 % GEMM slowdown under overlap, FSMoE's profile."""
    from netgym.envs.disttrain import MoeTrainingOverlapParams

    return {
        "params": MoeTrainingOverlapParams(
            layers=4 if quick else 12, token_jitter=0.3, overlap_slowdown=1.1
        )
    }


def moe_training_coupled(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """The Mixtral-like model (32 MoE layers; quick: 8) whose all-to-all runs under ECMP on the
    small leaf-spine with one uplink at 50 % (CollectivePath's congestion), token jitter 0.3."""
    from netgym.envs.disttrain import MoeTrainingOverlapParams

    return {
        "params": MoeTrainingOverlapParams.mixtral(
            layers=8 if quick else 32,
            token_jitter=0.3,
            a2a_scheme="ecmp",
            a2a_fabric="degraded_small",
        )
    }


BUSY_BOUND = Anchors(
    reference="fsmoe",
    oracle="oracle",
    bound=-1.0,
    bound_note="the per-resource busy-time bound of the iteration (return -1)",
)


def async_gossip(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """A cycle of 16 nodes, 5-dimensional quadratics with kappa 10, 200 time units (quick:
    8 nodes, 40 units)."""
    from netgym.envs.disttrain import AsyncGossipParams

    return {"params": AsyncGossipParams.small() if quick else AsyncGossipParams()}


def async_gossip_wireless(data_dir: Path | None, quick: bool = False) -> dict[str, Any]:
    """Time-varying random geometric graphs of 16 nodes with distance costs, logistic losses
    (kappa 100) and a budget of half DADAO's default spend (quick: 9 nodes, 40 units, budget
    20)."""
    from netgym.envs.disttrain import AsyncGossipParams

    if quick:
        return {"params": AsyncGossipParams.wireless(nodes=9, horizon=40, budget=20.0)}
    return {"params": AsyncGossipParams.wireless()}


HINDSIGHT = Anchors(reference="dadao", oracle="best-constant")


PROTOCOLS: tuple[tuple[str, str, Callable[..., dict[str, Any]], Anchors, int, int, str], ...] = (
    (
        "collective-path",
        COLLECTIVE_ID,
        collective_ring,
        CUT_BOUND,
        5,
        2,
        "collective path selection: ring all-reduce of 256 MiB on a healthy 16x16x16 "
        "leaf-spine, random placement, 1 piece per flow (quick: 8x8x8); score = -(T / T_lb - 1)",
    ),
    (
        "collective-path-degraded",
        COLLECTIVE_ID,
        collective_degraded,
        CUT_BOUND,
        3,
        1,
        "collective path selection under one leaf uplink at half capacity: ring "
        "all-reduce, 16x16x16, 8 pieces per flow (quick: 8x8x8, 4 pieces); score = -(T / T_lb - 1)",
    ),
    (
        "seq-grad-coding",
        GRADCODING_ID,
        grad_coding,
        Anchors(reference="adaptive", oracle="best-fixed"),
        5,
        2,
        "gradient-coding scheme per epoch: 256 workers, 80 jobs (quick: 40), "
        "stragglers switching between i.i.d. and bursty regimes; score = -runtime / "
        "(c_comp + median base delay)",
    ),
    (
        "moe-training-overlap",
        MOETRAINING_ID,
        moe_training,
        BUSY_BOUND,
        5,
        2,
        "MoE training pipeline degrees and gradient all-reduce overlap: GPT-2-like, "
        "12 layers (quick: 4), token jitter 0.3, GEMM slowdown 1.1 under overlap; score = "
        "-T_iter / T_lb",
    ),
    (
        "moe-training-overlap-coupled",
        MOETRAINING_ID,
        moe_training_coupled,
        BUSY_BOUND,
        3,
        1,
        "MoE training overlap, Mixtral-like (32 layers; quick: 8), all-to-all under "
        "ECMP on a degraded leaf-spine (CollectivePath's congestion), token jitter 0.3; score = "
        "-T_iter / T_lb",
    ),
    (
        "async-gossip",
        GOSSIP_ID,
        async_gossip,
        HINDSIGHT,
        5,
        2,
        "DADAO gossip intensity: cycle of 16, quadratic losses (kappa 10), 200 time "
        "units (quick: 8 nodes, 40 units); score = log-error drop - 0.01 x communication cost",
    ),
    (
        "async-gossip-wireless",
        GOSSIP_ID,
        async_gossip_wireless,
        HINDSIGHT,
        3,
        1,
        "DADAO gossip intensity on time-varying random geometric graphs of 16 with "
        "distance costs, logistic losses (kappa 100) and a budget of half DADAO's spend (quick: "
        "9 nodes, 40 units); score = log-error drop - 0.01 x communication cost",
    ),
)
"""name, env id, kwargs builder (``quick=True`` gives the ``--quick`` variant's), anchors, seeds,
episodes per seed and description of every protocol of the family; each scores the mean and runs
2 seeds x 1 episode in its quick variant"""


def _define(
    name: str,
    env_id: str,
    builder: Callable[..., dict[str, Any]],
    anchors: Anchors,
    seeds: int,
    episodes: int,
    description: str,
) -> None:
    define_protocol(
        name,
        env_id,
        builder,
        anchors,
        seeds=seeds,
        episodes=episodes,
        quick=(2, 1),
        quick_kwargs=lambda data_dir: builder(data_dir, quick=True),
        metric="mean",
        description=description,
    )


for _row in PROTOCOLS:
    _define(*_row)
