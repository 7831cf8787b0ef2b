"""``wireless_video_cell_v0``: the cell as a PettingZoo ``ParallelEnv`` whose agents are the
base station (``bs``) and every user's ABR client (``client_0`` ... ``client_{N-1}``).

- ``bs`` acts every epoch: the PRB shares of the Gymnasium env (same observation and reward:
  the scalarised multi-objective reward).
- ``client_u`` acts only at its own chunk boundaries: when a chunk completes during an epoch,
  the user waits (its drain sleep runs out, then it idles, which drains its buffer into the
  next chunk's delay) until the next step, where its action picks the next level.
  ``Discrete(L + 1)``: 0 keeps the last chunk's level, ``1 + l`` chooses level ``l``; between
  boundaries the action is ignored (``infos[client]["action_mask"]`` then allows only 0).
  Its reward is the QoE of the chunks it completed in the epoch; its observation is its own
  state (below).

Unlike the Gymnasium env, where the clients decide the instant a chunk completes, a client
agent's decision lands at the next epoch boundary (up to one epoch later).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..core.parallel import SimParallelEnv
from .engine import AWAITING
from .env import _spaces
from .params import VideoCellParams
from .sim import CellSim

CLIENT_FEATURES = 9
"""client observation: buffer / cap, last throughput / top bitrate (<= 100), last delay / 10 s
(<= 100), level / top, chunks done / n_chunks, deciding, adequate and desired / top bitrate
(0 if latent), satisfaction; then the next chunk's size at each level / the largest chunk"""


class WirelessVideoCellParallelEnv(SimParallelEnv):
    """The base station and the clients as agents of one wireless video cell.

    ## Description

    ``netgym/WirelessVideoCell-v0`` with the users' ABR clients as agents: ``bs`` schedules the
    PRBs every epoch, ``client_u`` picks user ``u``'s next bitrate at its chunk boundaries
    (its decision lands at the next epoch boundary; the user idles until then).

    ## Action Space

    ``bs``: ``Box(0, 1, (N,))`` PRB shares. ``client_u``: ``Discrete(L + 1)``, 0 = keep the
    last level, ``1 + l`` = level ``l``; ignored between chunk boundaries
    (``infos[client_u]["action_mask"]``).

    ## Observation Space

    ``bs``: the Gymnasium env's observation. ``client_u``: ``Box(9 + L)``: buffer / cap, last
    throughput / top bitrate, last delay / 10 s, level / top, chunks done / n_chunks, deciding
    (0/1), adequate and desired / top bitrate (0 if latent), satisfaction, the next chunk's
    size at each level / the largest chunk.

    ## Rewards

    ``bs``: the Gymnasium env's scalar reward (``infos["bs"]["reward_vec"]`` has the vector).
    ``client_u``: the QoE of the chunks user ``u`` completed in the epoch.

    ## Starting State

    As the Gymnasium env; the first chunk of every user is requested at the default level.

    ## Episode End

    Every agent terminates when every user has played its video, or truncates after
    ``max_epochs``.

    ## Arguments

    Any ``VideoCellParams`` field (``params=`` a params object, dict or preset name, or
    keywords); the ``client`` field is unused (the client agents decide).

    ## Version History

    * v0: initial release.
    """

    metadata = {"name": "wireless_video_cell_v0", "render_modes": [], "is_parallelizable": True}
    params_class = VideoCellParams

    def setup(self) -> None:
        p = self.params
        self.sim = CellSim(p, 1)
        self.sim.external_clients = True
        n, levels = p.n_users, self.sim.n_levels
        self.clients = [f"client_{u}" for u in range(n)]
        self.possible_agents = ["bs", *self.clients]
        bs_action, bs_obs = _spaces(p)
        high = np.ones(CLIENT_FEATURES + levels, dtype=np.float32)
        high[1:3] = 100.0
        high[6:8] = 2.0
        client_obs = spaces.Box(np.zeros_like(high), high, dtype=np.float32)
        self.observation_spaces = {"bs": bs_obs, **{c: client_obs for c in self.clients}}
        self.action_spaces = {
            "bs": bs_action,
            **{c: spaces.Discrete(levels + 1) for c in self.clients},
        }
        self._rows = np.zeros(1, dtype=np.int64)

    def reset_sim(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        self.sim.reset(self._rows, self._rngs, {})
        return self._observations(), self._infos()

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        from .env import check_actions_of

        shares = check_actions_of(actions["bs"], (self.params.n_users,))
        deciding = self.sim.phase[0] == AWAITING
        levels = np.full(self.params.n_users, -1, dtype=np.int64)
        for u, client in enumerate(self.clients):
            choice = int(actions[client])
            if not 0 <= choice <= self.sim.n_levels:
                raise ValueError(f"{client}: action must be in [0, {self.sim.n_levels}]")
            if deciding[u]:
                levels[u] = self.sim.level[0, u] if choice == 0 else choice - 1
        self.sim.step(self._rows, shares[None, :], levels=levels[None, :])
        rewards = {"bs": float(self.sim.reward[0])}
        rewards.update({c: float(self.sim.epoch_qoe[0, u]) for u, c in enumerate(self.clients)})
        done = bool(self.sim.terminated[0])
        cut = bool(self.sim.truncated[0])
        terminations = {a: done for a in self.agents}
        truncations = {a: cut for a in self.agents}
        return self._observations(), rewards, terminations, truncations, self._infos()

    def _observations(self) -> dict[str, np.ndarray]:
        sim, p = self.sim, self.params
        top = sim.ladder[-1]
        obs = {"bs": sim.observation()[0]}
        f = np.zeros((p.n_users, CLIENT_FEATURES + sim.n_levels), dtype=np.float32)
        f[:, 0] = np.minimum(sim.buffer_ms[0] / (p.abr.buffer_cap_s * 1000.0), 1.0)
        f[:, 1] = np.minimum(sim.last_tput_mbps[0] / (top / 1000.0), 100.0)
        f[:, 2] = np.minimum(sim.last_delay_s[0] / 10.0, 100.0)
        f[:, 3] = sim.level[0] / max(sim.n_levels - 1, 1)
        f[:, 4] = sim.chunk[0] / sim.n_chunks
        f[:, 5] = sim.phase[0] == AWAITING
        if p.personalization == "known":
            f[:, 6] = np.minimum(sim.adequate_kbps[0] / top, 2.0)
            f[:, 7] = np.minimum(sim.desired_kbps[0] / top, 2.0)
        f[:, 8] = sim.sat[0]
        nxt = np.minimum(sim.chunk[0], sim.n_chunks - 1)
        f[:, CLIENT_FEATURES:] = (sim.sizes[:, nxt] / sim.sizes.max()).T
        obs.update({c: f[u] for u, c in enumerate(self.clients)})
        return obs

    def _infos(self) -> dict[str, dict[str, Any]]:
        sim = self.sim
        base = {key: value[0] for key, value in sim.info().items()}
        infos: dict[str, dict[str, Any]] = {"bs": base}
        for u, client in enumerate(self.clients):
            mask = np.zeros(sim.n_levels + 1, dtype=np.int8)
            mask[0] = 1
            if sim.phase[0, u] == AWAITING:
                mask[1:] = 1
            infos[client] = {"action_mask": mask, "satisfaction": float(sim.sat[0, u])}
        return infos


__all__ = ["CLIENT_FEATURES", "WirelessVideoCellParallelEnv"]
