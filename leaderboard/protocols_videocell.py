"""The leaderboard protocols of the wireless video cell family (``netgym.envs.videocell``).

The score is the mean reward per step (``metric='mean_reward'``): mean satisfaction (or the
satisfied share, for ``videocell-count``) minus 0.2 x the share of PRBs used, per 100 ms
epoch. Anchors: random = 0 (uniformly random PRB shares) and the personalised greedy = 1
(``netgym.baselines.videocell``: adequate-to-desired bitrates, smallest need first). Round
robin and proportional fair score about the random policy here, so neither is a usable 1.
Every protocol runs on the embedded synthetic cell (no data): users, personas, positions and
fading are drawn from the held-out seeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol

ENV_ID = "netgym/WirelessVideoCell-v0"
ANCHORS = Anchors(reference="greedy")


def cell(data_dir: Path | None, **changes: Any) -> dict[str, Any]:
    """The default cell (8 users, 50 PRBs, fluid mode, BBA clients); ``changes`` override."""
    from netgym.envs.videocell import VideoCellParams

    return {"params": VideoCellParams(**changes)}


SETTINGS = {
    "videocell-default": ({}, "8 users, mean satisfaction - 0.2 x PRB share"),
    "videocell-count": ({"objective": "count"}, "8 users, satisfied share - 0.2 x PRB share"),
    "videocell-light": ({"n_users": 4}, "4 users (a lightly loaded cell: PRBs can be saved)"),
    "videocell-vehicular": ({"doppler_hz": 111.0}, "8 users at 60 km/h (111 Hz Doppler)"),
}
"""protocol name -> (VideoCellParams changes, what it is)"""


def _define(name: str, changes: dict[str, Any], what: str) -> None:
    define_protocol(
        name,
        ENV_ID,
        lambda data_dir: cell(data_dir, **changes),
        ANCHORS,
        seeds=5,
        episodes=1,
        quick=(1, 1),
        quick_kwargs=lambda data_dir: cell(data_dir, **{**changes, "max_epochs": 600}),
        description=f"wireless video cell, {what}; synthetic cell, BBA clients, 100 ms "
        "epochs, up to 3000 per episode; score = mean reward per epoch",
    )


for _name, (_changes, _what) in SETTINGS.items():
    _define(_name, _changes, _what)
