"""The registered protocols, one block per env family (see docs/leaderboard.md to add one).

| protocol | data | seeds x episodes | anchors (0 / 1 / best) |
|---|---|---|---|
| ``abr-synthetic`` | embedded synthetic traces (seed 1000) | 1 x 50 | random / mpc / oracle |
| ``hsdpa142`` | ``hsdpa-test/`` + ``video1/`` (Pensieve) | 1 x 142 | random / mpc / oracle |
| ``fcc100`` | ``fcc-test/`` + ``video1/`` (NetLLM) | 1 x 100 | random / mpc / oracle |
| ``uav-paper`` | embedded ``UavParams.paper()`` | 5 x 2 | random / kmeans / capacity bound |

The score of every protocol is ``mean_reward``: the mean reward per step of each episode (ABR:
the per-trace mean QoE; UAV: the mean fraction of users served), averaged over episodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import LEADERBOARD_SEED_BASE, Anchors, Protocol, register_protocol

ABR_ENV_ID = "netgym/AbrStreaming-v0"
UAV_ENV_ID = "netgym/UavOffload-v0"
SEEDS = tuple(range(LEADERBOARD_SEED_BASE, LEADERBOARD_SEED_BASE + 10))
"""the held-out evaluation seeds; a protocol takes the first few"""


# ---------------------------------------------------------------------------------- ABR
def _abr_synthetic(n_traces: int) -> dict[str, Any]:
    from netgym.envs.abr.params import AbrParams, SyntheticTraces

    # Data-set seed 1000 keeps the test traces apart from the default (seed 0) training set.
    params = AbrParams(
        traces="synthetic",
        synthetic_traces=SyntheticTraces(seed=1000, n_traces=n_traces),
        trace_order="sequential",
        start="beginning",
        noise=None,
    )
    return {"params": params}


def _abr_synthetic_kwargs(data_dir: Path | None) -> dict[str, Any]:
    return _abr_synthetic(50)


def _abr_synthetic_quick_kwargs(data_dir: Path | None) -> dict[str, Any]:
    return _abr_synthetic(8)


def _hsdpa142_kwargs(data_dir: Path | None) -> dict[str, Any]:
    from netgym.envs.abr.params import AbrParams

    return {"params": AbrParams.hsdpa142(data_dir)}


def _fcc100_kwargs(data_dir: Path | None) -> dict[str, Any]:
    from netgym.envs.abr.params import AbrParams

    return {"params": AbrParams.fcc100(data_dir)}


ABR_ANCHORS = Anchors(reference="mpc", oracle="oracle")
"""random = 0, robustMPC (Pensieve's strongest heuristic) = 1, the offline optimum above"""

register_protocol(
    Protocol(
        name="abr-synthetic",
        env_id=ABR_ENV_ID,
        build_env_kwargs=_abr_synthetic_kwargs,
        episodes=50,
        eval_seeds=SEEDS[:1],
        anchors=ABR_ANCHORS,
        description="ABR on 50 embedded synthetic traces (data-set seed 1000), in order, "
        "from their start, no noise, linear QoE; no data needed",
        quick_episodes=8,
        quick_env_kwargs=_abr_synthetic_quick_kwargs,
    )
)
register_protocol(
    Protocol(
        name="hsdpa142",
        env_id=ABR_ENV_ID,
        build_env_kwargs=_hsdpa142_kwargs,
        episodes=142,
        eval_seeds=SEEDS[:1],
        anchors=ABR_ANCHORS,
        description="ABR, Pensieve test protocol: 142 Norway HSDPA traces, video1, "
        "first chunk at level 1, linear QoE",
        needs_data=True,
        data_folders=("hsdpa-test", "video1"),
    )
)
register_protocol(
    Protocol(
        name="fcc100",
        env_id=ABR_ENV_ID,
        build_env_kwargs=_fcc100_kwargs,
        episodes=100,
        eval_seeds=SEEDS[:1],
        anchors=ABR_ANCHORS,
        description="ABR, NetLLM test protocol: 100 FCC traces from their start pointers, "
        "video1, first chunk at level 0, linear QoE",
        needs_data=True,
        data_folders=("fcc-test", "video1"),
    )
)


# ---------------------------------------------------------------------------------- UAV
def _uav_paper_kwargs(data_dir: Path | None) -> dict[str, Any]:
    from netgym.envs.uav.params import UavParams

    return {"params": UavParams.paper()}


def _uav_capacity_fraction() -> float:
    from netgym.envs.uav.params import UavParams

    params = UavParams.paper()
    return params.upper_bound / params.n_users


register_protocol(
    Protocol(
        name="uav-paper",
        env_id=UAV_ENV_ID,
        build_env_kwargs=_uav_paper_kwargs,
        episodes=2,
        eval_seeds=SEEDS[:5],
        anchors=Anchors(
            reference="kmeans",
            bound=_uav_capacity_fraction(),
            bound_note="capacity bound min(N, K C) / N",
        ),
        description="multi-UAV offloading, paper preset (3 UAVs, 100 users, 1 km^2), 5 seeds "
        "x 2 episodes of 100 steps; score = mean fraction of users served by UAVs per step",
        quick_episodes=1,
        quick_seeds=2,
    )
)
