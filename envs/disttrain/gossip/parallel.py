"""PettingZoo ``ParallelEnv`` of DADAO gossip control: one agent per node.

Agent ``node_i`` chooses its own gossip intensity rho_i in (1/4, 1/2, 1, 2, 4); edge (i, j)
then fires at sqrt(2 chi1 chi2) / |E| x (rho_i + rho_j) / 2, so DADAO's step beta~ comes from
the implied Lambda and equal choices are ``netgym/AsyncGossip-v0``'s intensity clock (same
sim). The PettingZoo module is ``async_gossip_v0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.parallel import SimParallelEnv
from ...core.vector import EVERY_ENV
from .params import RHOS, AsyncGossipParams
from .sim import OBS_HIGH, OBS_LOW, OBS_SIZE, GossipBatch

LOCAL = 3
"""per-agent features after the central observation"""


class AsyncGossipParallelEnv(SimParallelEnv):
    """DADAO gossip with one PettingZoo agent per node (``node_0`` ...).

    ## Description

    The DADAO event simulation of ``netgym/AsyncGossip-v0`` (see ``AsyncGossipEnv``); every
    parallel step is one time unit in which each node sets its own gossip intensity.

    ## Action Space

    Per agent ``Discrete(5)``: rho_i in (1/4, 1/2, 1, 2, 4) (an index outside is an error).

    ## Observation Space

    Per agent ``Box(-1, 2, (17,))``: the central env's 14 values, then the agent's last
    index over 4, its degree over n - 1 and its share of the consensus error
    (|x_i - x_bar|^2 / (n mean_j |x_j - x_bar|^2)). ``state()`` is the central observation.

    ## Rewards

    Shared: every agent gets the central env's reward (the log-error drop minus the charged
    communication cost).

    ## Starting State

    As ``AsyncGossipEnv``.

    ## Episode End

    As ``AsyncGossipEnv``: every agent terminates at the target error or on divergence and
    truncates at the horizon.

    ## Arguments

    As ``AsyncGossipEnv``: ``params`` and/or ``AsyncGossipParams`` fields; the graph must be
    fixed (not 'random_geometric') and ``action_mode`` is ignored. ``infos[agent]`` is the
    central info plus ``rho`` (the agent's last intensity).

    ## Version History

    * v0: initial release.
    """

    metadata = {"name": "async_gossip_v0", "render_modes": [], "is_parallelizable": True}
    params_class = AsyncGossipParams

    def setup(self) -> None:
        if self.params.graph == "random_geometric":
            raise ValueError(
                "AsyncGossipParams.graph: the per-node agents need a fixed graph (their edges "
                "set the clock), but graph is 'random_geometric'; choose a fixed graph"
            )
        self.sim = GossipBatch(self.params.replace(action_mode="intensity"), 1)
        n = self.params.nodes
        self.possible_agents = [f"node_{i}" for i in range(n)]
        size = OBS_SIZE + LOCAL
        self.observation_spaces = {
            a: spaces.Box(OBS_LOW, OBS_HIGH, (size,), dtype=np.float32)
            for a in self.possible_agents
        }
        self.action_spaces = {a: spaces.Discrete(len(RHOS)) for a in self.possible_agents}
        self.state_space = spaces.Box(OBS_LOW, OBS_HIGH, (OBS_SIZE,), dtype=np.float32)
        self._last = np.full(n, RHOS.index(1.0), dtype=np.int64)

    def reset_sim(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        self.sim.reset(EVERY_ENV, self._rngs, {})
        self._last[:] = RHOS.index(1.0)
        return self._observations(), self._infos()

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        chosen = self._last.copy()
        for agent, i in self._index.items():
            value = np.asarray(actions[agent])
            if value.shape != () or value.dtype.kind not in "iu":
                raise ValueError(
                    f"{agent}'s action must be one integer index into {list(RHOS)}, got "
                    f"{actions[agent]!r}"
                )
            if not 0 <= int(value) < len(RHOS):
                raise ValueError(
                    f"{agent}'s intensity index {int(value)} is outside the menu {list(RHOS)} "
                    f"(indices 0 .. {len(RHOS) - 1})"
                )
            chosen[i] = int(value)
        self._last = chosen
        rhos = np.asarray(RHOS)[chosen]
        self.sim.advance(0, *self.sim.node_clock(0, rhos))
        reward = float(self.sim.reward[0])
        done, cut = bool(self.sim.done[0]), bool(self.sim.cut[0])
        return (
            self._observations(),
            dict.fromkeys(self.agents, reward),
            dict.fromkeys(self.agents, done),
            dict.fromkeys(self.agents, cut),
            self._infos(),
        )

    def state(self) -> np.ndarray:
        """The central env's observation."""
        return self.sim.observation()[0]

    def _observations(self) -> dict[str, np.ndarray]:
        central = self.sim.observation()[0]
        ep = self.sim.episodes[0]
        n = self.params.nodes
        x = ep.run.x
        spread = np.sum((x - x.mean(axis=0)) ** 2, axis=1)
        share = spread / max(float(spread.sum()), 1e-300)
        degree = np.bincount(ep.graph.graphs[0].ravel(), minlength=n) / (n - 1)
        local = np.stack([self._last / (len(RHOS) - 1), degree, share], axis=1)
        out = np.concatenate([np.repeat(central[None], n, axis=0), local], axis=1)
        out = np.clip(np.nan_to_num(out, nan=0.0), OBS_LOW, OBS_HIGH).astype(np.float32)
        return {a: out[i] for a, i in self._index.items()}

    def _infos(self) -> dict[str, dict[str, Any]]:
        central = {key: value[0].item() for key, value in self.sim.info().items()}
        return {a: {**central, "rho": RHOS[int(self._last[i])]} for a, i in self._index.items()}


__all__ = ["AsyncGossipParallelEnv"]
