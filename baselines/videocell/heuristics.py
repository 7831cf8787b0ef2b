"""Base-station baselines of ``netgym/WirelessVideoCell-v0``: round robin, max-C/I,
proportional fair, personalised greedy, and proportional fair with robustMPC clients.

Each reads the step's ``info`` (the users' full-cell rates for the coming epoch, who is
downloading, buffers, zones, delivered-rate averages) and returns PRB shares. A share given to
a user with nothing to download would sit idle, so every baseline serves downloading users
only.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class _Base:
    name = "base"

    def reset(self, env: Any) -> None:
        self._n = int(env.unwrapped.n_users)

    def _none(self) -> np.ndarray:
        return np.zeros(self._n, dtype=np.float32)


class RoundRobin(_Base):
    """Equal shares of all PRBs among the users downloading now (an epoch-level round robin:
    every active user gets the same PRBs every TTI)."""

    name = "rr"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        active = np.asarray(info["downloading"], dtype=bool)
        out = self._none()
        if active.any():
            out[active] = 1.0 / active.sum()
        return out


class MaxCI(_Base):
    """Max-C/I: all PRBs to the downloading user with the best channel (full-cell rate)."""

    name = "maxci"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        active = np.asarray(info["downloading"], dtype=bool)
        out = self._none()
        if active.any():
            rate = np.where(active, info["rate_mbps"], -np.inf)
            out[int(np.argmax(rate))] = 1.0
        return out


class ProportionalFair(_Base):
    """Proportional fair: all PRBs to the downloading user with the largest rate over its
    average delivered rate (the env's 1 s EWMA), the classic PF metric at epoch scale."""

    name = "pf"

    def __init__(self, floor_mbps: float = 0.01) -> None:
        if floor_mbps <= 0:
            raise ValueError(f"ProportionalFair floor_mbps must be > 0, got {floor_mbps}")
        self.floor_mbps = floor_mbps

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        active = np.asarray(info["downloading"], dtype=bool)
        out = self._none()
        if active.any():
            metric = np.asarray(info["rate_mbps"]) / np.maximum(info["avg_mbps"], self.floor_mbps)
            out[int(np.argmax(np.where(active, metric, -np.inf)))] = 1.0
        return out


class PfMpc(ProportionalFair):
    """The non-personalised network default: proportional fair at the base station and
    robustMPC at every client (``reset`` switches the env's clients with ``set_client``)."""

    name = "pf-mpc"

    def reset(self, env: Any) -> None:
        super().reset(env)
        env.unwrapped.set_client("mpc")


class PersonalisedGreedy(_Base):
    """Personalised greedy: every downloading user gets the share that carries ``headroom``
    times the middle of its zone of tolerance (where its satisfaction crosses 0.5) at its
    current rate, or its desired bitrate while its buffer holds less than ``low_buffer_s``;
    smallest need first, each need whole or not at all (the fluid count bound's order).
    Leftovers lift users to ``headroom`` x desired in the same order;
    what is still left stays idle (the reward prices used PRBs)."""

    name = "greedy"

    def __init__(self, low_buffer_s: float = 8.0, headroom: float = 1.3) -> None:
        if low_buffer_s < 0:
            raise ValueError(f"PersonalisedGreedy low_buffer_s must be >= 0, got {low_buffer_s}")
        if headroom <= 0:
            raise ValueError(f"PersonalisedGreedy headroom must be > 0, got {headroom}")
        self.low_buffer_s = low_buffer_s
        self.headroom = headroom

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        active = np.asarray(info["downloading"], dtype=bool)
        out = self._none()
        if not active.any():
            return out
        rate = np.maximum(np.asarray(info["rate_mbps"], dtype=np.float64) * 1000.0, 1e-9)
        desired = np.asarray(info["desired_kbps"], dtype=np.float64) * self.headroom
        middle = 0.5 * (
            np.asarray(info["adequate_kbps"], dtype=np.float64) * self.headroom + desired
        )
        low = np.asarray(info["buffer_s"]) < self.low_buffer_s
        first = np.where(low, desired, middle) / rate
        order = [u for u in np.argsort(first, kind="stable") if active[u]]
        left = 1.0
        for u in order:  # admission: a need that does not fit whole gets nothing yet
            if first[u] <= left:
                out[u] = first[u]
                left -= first[u]
        for u in order:
            extra = min(max(desired[u] / rate[u] - out[u], 0.0), left)
            out[u] += extra
            left -= extra
        return np.clip(out, 0.0, 1.0).astype(np.float32)


__all__ = ["MaxCI", "PersonalisedGreedy", "PfMpc", "ProportionalFair", "RoundRobin"]
