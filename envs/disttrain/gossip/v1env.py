"""``netgym/AsyncGossip-v1``: v0's env with the whole time unit compiled (``v1sim.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from ...core.vector import NumpyVectorEnv
from . import v1kernels as kern
from .env import AsyncGossipVectorEnv, check_gossip_actions, gossip_spaces
from .params import RHOS, AsyncGossipParams
from .v1sim import EpisodeV1, GossipBatchV1


class AsyncGossipV1Env(SimEnv):
    """Gossip-rate or edge-sampling control of DADAO, v1: v0's contract with a compiled,
    counter-based event loop.

    ## Description

    The model of ``netgym/AsyncGossip-v0`` (``AsyncGossipEnv``; ``docs/disttrain.md``): n nodes
    minimise sum_i f_i(x) with DADAO; a Poisson clock of rate 1 per node fires gradient steps
    and one of total rate lambda_mix fires gossips on edges; between events each node's six
    vectors follow DADAO's linear ODE, solved exactly. v1 runs a whole time unit in one
    compiled kernel (``v1kernels.py``): the two clocks merged into one stream of exponential
    gaps, the ODE in closed-form real modal coordinates, the losses and the jumps in plain
    float arithmetic in a fixed order, random numbers from a counter-based generator keyed per
    episode. Same distributions as v0, different random streams: for the same seed an episode
    poses v0's problem (graph, losses, costs, x(0)) but draws other event times.

    ## Action Space

    As v0: ``Discrete(5)``, rho in (1/4, 1/2, 1, 2, 4) x sqrt(2 chi1 chi2); or
    ``Box(0, 1, (|E|,))`` edge weights (``action_mode='edges'``).

    ## Observation Space

    As v0: ``Box(-1, 2, (14,))``.

    ## Rewards

    As v0: ``-(ln err_t - ln err_{t-1}) - cost_weight x cost_t``.

    ## Starting State

    As v0: a new problem per reset (fixed with ``problem_seed``), x_i(0) ~ N(0, I), the other
    five vectors 0.

    ## Episode End

    As v0: terminates at err <= ``target`` x err0 or on divergence (err > 1e8 x err0);
    truncates after ``horizon`` units.

    ## Arguments

    As v0: an ``AsyncGossipParams`` (the same class and checks), a dict, a preset or fields;
    ``info`` has v0's keys. ``episode`` is the problem (graph, loss, costs, x0).

    ## Version History

    * v0: the numpy event simulation (``AsyncGossipEnv``), bit-identical to its first release.
    * v1: the compiled event loop, counter-based random streams (faster; other trajectories,
      same distributions; independent of BLAS and of the batch an env runs in).
    """

    params_class = AsyncGossipParams

    def setup(self) -> None:
        self.sim = GossipBatchV1(self.params, 1)
        self.action_space, self.observation_space = gossip_spaces(self.params)
        self._rngs: list[np.random.Generator] = []
        self._idx = np.zeros(1, dtype=np.int64)
        self._act = np.zeros(1, dtype=np.int64)
        self._intensity = self.params.action_mode == "intensity"

    @property
    def episode(self) -> EpisodeV1 | None:
        """This episode's problem (``v1sim.EpisodeV1``)."""
        return self.sim.episodes[0]

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(self._idx, self._rngs, options)
        return self.sim.obs[0].copy(), self.sim.info_of(0)

    def check_action(self, action: Any) -> Any:
        if self._intensity and type(action) is int and 0 <= action < len(RHOS):
            return action
        return check_gossip_actions(self.params, action, ())

    def step_sim(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        if self._intensity:
            self._act[0] = action
            sim.step(self._idx, self._act, self._rngs)
        else:
            sim.step(self._idx, [action], self._rngs)
        ints = sim.ints[0]
        return (
            sim.obs[0].copy(),
            float(sim.fs[0, kern.REWARD]),
            bool(ints[kern.DONE]),
            bool(ints[kern.CUT]),
            sim.info_of(0),
        )


class AsyncGossipV1VectorEnv(AsyncGossipVectorEnv):
    """N ``AsyncGossipV1Env`` envs stepped together (``gym.make_vec``): one compiled call per
    step over the stepped sub-envs; sub-env ``i`` seeded ``seed + i`` replays the scalar env
    seeded ``seed + i`` bit for bit.

    ## Version History

    * v0: ``AsyncGossipVectorEnv`` (the numpy levels batched over the envs).
    * v1: this class.
    """

    def memory_per_env(self) -> float:
        p = self.params
        graphs = p.graph_count if p.graph == "random_geometric" else 1
        edges = p.nodes * (p.nodes - 1) // 2
        loss = p.nodes * p.dim * (p.dim + 1) * 8 if p.loss == "quadratic" else 0
        loss += p.nodes * 20 * (p.dim + 1) * 8 if p.loss == "logistic" else 0
        return float(p.nodes * p.dim * 7 * 8 + loss + graphs * edges * 24 + 1024)

    def make_sim(self) -> GossipBatchV1:
        return GossipBatchV1(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Box]:
        return gossip_spaces(self.params)


assert issubclass(AsyncGossipV1VectorEnv, NumpyVectorEnv)

__all__ = ["AsyncGossipV1Env", "AsyncGossipV1VectorEnv"]
