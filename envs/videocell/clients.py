"""The users' ABR clients: netgym's ABR baselines, run unchanged inside the cell.

A client follows netgym's policy protocol (``reset(env)``, ``act(obs, info) -> level``). It
is reset with a ``ClientView``, which shows it what ``netgym/AbrStreaming-v0`` would: the
persona's ``AbrParams`` (so robustMPC optimises the user's own QoE variant), the video, the
chunk index; ``act`` gets the ABR env's ``info`` keys for the chunk just downloaded (buffer,
download time including the RTT, bytes, throughput, level, rebuffering, QoE) and ``obs=None``
(clients that read Pensieve's state matrix are not supported).

Clients are named by dotted paths, resolved when an env is built, in the way ``Family``
resolves a family's baselines module (``envs/core/family.py``): the env layer declares them
and imports nothing of the baselines layer at import time.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from gymnasium import spaces

from ..abr.model import AbrModel
from ..abr.params import AbrParams

CLIENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "bba": ("netgym.baselines.abr.heuristics:BBA", {}),
    "mpc": ("netgym.baselines.abr.mpc:RobustMPC", {}),
    "rb": ("netgym.baselines.abr.heuristics:RateBased", {}),
    "bola": ("netgym.baselines.abr.heuristics:BOLA", {}),
    "lowest": ("netgym.baselines.abr.heuristics:FixedQuality", {"level": 0}),
}
"""client name -> (``module:Class`` of the ABR policy, its keyword arguments)"""


def make_client(name: str) -> Any:
    """A fresh client of ``CLIENTS[name]``."""
    path, kwargs = CLIENTS[name]
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)(**kwargs)


class ClientView:
    """What one user's ABR client sees of the cell: the public attributes of an
    ``AbrStreamingEnv`` that netgym's ABR baselines read."""

    def __init__(self, params: AbrParams, model: AbrModel) -> None:
        self.params = params
        self.model = model
        self.chunk_index = 0
        """chunks downloaded so far (the index of the next chunk)"""
        self.action_space = spaces.Discrete(model.n_levels)

    @property
    def unwrapped(self) -> ClientView:
        """The view itself (policies call ``env.unwrapped``)."""
        return self

    @property
    def video_sizes(self) -> np.ndarray:
        """Chunk sizes in bytes, (levels, lines)."""
        return self.model.video_sizes

    @property
    def ladder_kbps(self) -> np.ndarray:
        """Bitrate of each level in kbps."""
        return np.asarray(self.params.ladder_kbps)

    @property
    def n_chunks(self) -> int:
        """Chunks per video."""
        return self.model.n_chunks

    @property
    def chunk_s(self) -> float:
        """Seconds of video per chunk."""
        return self.params.chunk_s


__all__ = ["CLIENTS", "ClientView", "make_client"]
