"""The leaderboard protocols of the multi-UAV offloading family (``netgym.envs.uav``).

The score is ``mean_reward``: the mean fraction of users served by UAVs per step. Anchors:
random = 0, k-means placement = 1, and the capacity bound min(N, K C) / N reported beside.
Every episode draws a new user layout (``layout_seed`` None). An entry keeps its own
``obs_mode`` (how the controller observes, never the dynamics or the score): a PPO trained on the
vector observation plays the protocol's scenario through that observation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol

ENV_ID = "netgym/UavOffload-v0"


def paper(data_dir: Path | None) -> dict[str, Any]:
    """The paper's scenario: 3 UAVs, 100 users, 1 km^2."""
    from netgym.envs.uav import UavParams

    return {"params": UavParams.paper()}


def capacity_fraction() -> float:
    """The capacity bound of the paper's scenario as a fraction of the users."""
    from netgym.envs.uav import UavParams

    params = UavParams.paper()
    return params.upper_bound / params.n_users


define_protocol(
    "uav-paper",
    ENV_ID,
    paper,
    Anchors(
        reference="kmeans",
        bound=capacity_fraction(),
        bound_note="capacity bound min(N, K C) / N",
    ),
    seeds=5,
    episodes=2,
    quick=(2, 1),
    entry_kwargs=("obs_mode",),
    description="multi-UAV offloading, paper preset (3 UAVs, 100 users, 1 km^2), 5 seeds "
    "x 2 episodes of 100 steps; score = mean fraction of users served by UAVs per step",
)
