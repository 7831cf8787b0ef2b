"""Moved to netgym.leaderboard.protocols_abr and protocols_uav; this re-export keeps the old import
path for one release."""

from .protocols import SEEDS
from .protocols_abr import ANCHORS as ABR_ANCHORS
from .protocols_abr import ENV_ID as ABR_ENV_ID
from .protocols_uav import ENV_ID as UAV_ENV_ID

__all__ = ["ABR_ANCHORS", "ABR_ENV_ID", "SEEDS", "UAV_ENV_ID"]
