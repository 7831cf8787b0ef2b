"""PettingZoo ``async_gossip_v1``: v0's per-node agents (``parallel.py``) over the v1 sim."""

from __future__ import annotations

import numpy as np

from .parallel import OBS_HIGH, OBS_LOW, AsyncGossipParallelEnv
from .params import RHOS
from .v1sim import GossipBatchV1


class AsyncGossipV1ParallelEnv(AsyncGossipParallelEnv):
    """DADAO gossip with one PettingZoo agent per node (``node_0`` ...), v1 sim.

    ## Description

    ``AsyncGossipParallelEnv`` (``async_gossip_v0``) over ``netgym/AsyncGossip-v1``'s compiled
    event loop: every parallel step is one time unit in which each node sets its own gossip
    intensity; edge (i, j) fires at sqrt(2 chi1 chi2) / |E| x (rho_i + rho_j) / 2.

    ## Action Space

    Per agent ``Discrete(5)``: rho_i in (1/4, 1/2, 1, 2, 4).

    ## Observation Space

    Per agent ``Box(-1, 2, (17,))``, as v0: the central 14 values, the agent's last index over
    4, its degree over n - 1 and its share of the consensus error.

    ## Rewards

    Shared: the central env's reward.

    ## Starting State

    As ``AsyncGossipV1Env``.

    ## Episode End

    As ``AsyncGossipV1Env``, for every agent at once.

    ## Arguments

    As v0 (a fixed graph; ``action_mode`` is ignored).

    ## Version History

    * v0: ``async_gossip_v0``.
    * v1: the v1 sim (equal choices replay ``netgym/AsyncGossip-v1``'s intensity env).
    """

    metadata = {"name": "async_gossip_v1", "render_modes": [], "is_parallelizable": True}

    def setup(self) -> None:
        super().setup()
        self.sim = GossipBatchV1(self.params.replace(action_mode="intensity"), 1)

    def _observations(self) -> dict[str, np.ndarray]:
        central = self.sim.observation()[0]
        ep = self.sim.episodes[0]
        n = self.params.nodes
        x = self.sim.node_x(0)
        spread = np.sum((x - x.mean(axis=0)) ** 2, axis=1)
        share = spread / max(float(spread.sum()), 1e-300)
        degree = np.bincount(ep.graph.graphs[0].ravel(), minlength=n) / (n - 1)
        local = np.stack([self._last / (len(RHOS) - 1), degree, share], axis=1)
        out = np.concatenate([np.repeat(central[None], n, axis=0), local], axis=1)
        out = np.clip(np.nan_to_num(out, nan=0.0), OBS_LOW, OBS_HIGH).astype(np.float32)
        return {a: out[i] for a, i in self._index.items()}


__all__ = ["AsyncGossipV1ParallelEnv"]
