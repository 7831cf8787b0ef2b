"""``netgym/AsyncGossip-v0``: the scalar Gymnasium env and its native vector env."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from ...core.vector import EVERY_ENV, NumpyVectorEnv
from .graphs import build_graph
from .params import RHOS, AsyncGossipParams
from .sim import OBS_HIGH, OBS_LOW, OBS_SIZE, GossipBatch


def edge_count(params: AsyncGossipParams) -> int:
    """Edges of the (fixed) graph: the length of an 'edges' action."""
    return len(build_graph(params.graph, params.nodes))


def gossip_spaces(params: AsyncGossipParams) -> tuple[spaces.Space, spaces.Box]:
    """Action and observation space of one env."""
    if params.action_mode == "intensity":
        action: spaces.Space = spaces.Discrete(len(RHOS))
    else:
        action = spaces.Box(0.0, 1.0, (edge_count(params),), dtype=np.float32)
    return action, spaces.Box(OBS_LOW, OBS_HIGH, (OBS_SIZE,), dtype=np.float32)


def check_gossip_actions(params: AsyncGossipParams, actions: Any, batch: tuple[int, ...]) -> Any:
    """Actions as an int array of shape ``batch`` (intensity) or a float array of shape
    ``batch + (|E|,)`` (edges).

    Raises:
        ValueError: wrong shape, a non-integer or out-of-menu intensity index, or an edge
            weight that is not a finite number in [0, 1].
    """
    array = np.asarray(actions)
    if params.action_mode == "intensity":
        if array.shape != batch:
            raise ValueError(
                f"AsyncGossip actions must have shape {batch} (an index into the intensity "
                f"menu {list(RHOS)} x sqrt(2 chi1 chi2)), got {array.shape}"
            )
        if array.dtype.kind not in "iu":
            if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
                raise ValueError(f"AsyncGossip actions must be integer indices, got {actions!r}")
        array = array.astype(np.int64)
        if array.size and (array.min() < 0 or array.max() >= len(RHOS)):
            value = int(array.min() if array.min() < 0 else array.max())
            raise ValueError(
                f"AsyncGossip intensity index {value} is outside the menu {list(RHOS)} "
                f"(indices 0 .. {len(RHOS) - 1})"
            )
        return array
    shape = batch + (edge_count(params),)
    if array.shape != shape:
        raise ValueError(
            f"AsyncGossip edge weights must have shape {shape} (one weight in [0, 1] per edge "
            f"of the {params.graph} graph), got {array.shape}"
        )
    if array.dtype.kind not in "iuf":
        raise ValueError(f"AsyncGossip edge weights must be numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        bad = array[~(np.isfinite(array) & (array >= 0) & (array <= 1))]
        raise ValueError(
            f"AsyncGossip edge weight {float(bad.flat[0])} is outside [0, 1]; weights are "
            "normalised to edge probabilities, give each in [0, 1]"
        )
    return array


class AsyncGossipEnv(SimEnv):
    """Gossip-rate or edge-sampling control of DADAO's asynchronous decentralized optimiser.

    ## Description

    n nodes of a graph minimise sum_i f_i(x) with DADAO (Nabli and Oyallon, ICML 2023;
    reference/disttrain.md sections 3 and 6, E4): every node carries six vectors that follow
    a linear ODE between its events; a Poisson clock of rate 1 per node fires local gradient
    steps and a second one, of total rate lambda_mix, fires gossips on edges. The simulation
    is exact: both clocks are pre-sampled per time unit and the ODE is solved in closed form
    (through a null-space basis of its generator). Every time unit the agent sets the gossip
    clock: a multiplier rho of DADAO's rate sqrt(2 chi1 chi2) (``action_mode='intensity'``)
    or edge-sampling weights (``'edges'``: the implied Lambda gives chi1, chi2, the rate and
    DADAO's step beta~). Gossips cost their edge's cost; with a ``budget``, gossips past it
    are dropped.

    ## Action Space

    ``Discrete(5)``: rho in (1/4, 1/2, 1, 2, 4); or ``Box(0, 1, (|E|,))`` edge weights,
    normalised to probabilities and mixed with ``edge_floor`` of the uniform distribution.
    An index outside the menu or a weight outside [0, 1] is an error.

    ## Observation Space

    ``Box(-1, 2, (14,))``: the log-error drop ln(err0 / err) over ln(1 / target); the
    consensus share mean |x_i - x_bar|^2 / err; the gradient-norm proxy's log drop (|sum_i
    grad f_i(x_bar)|) over ln(1 / target); time over the horizon; the budget left (1 without
    one); log2(rate / DADAO's rate) / 4 + 1/2; the last unit's gossips and gradients
    (``x / (x + expected)``); log10 of chi1, chi2 and sqrt(2 chi1 chi2) over 4; mean and
    maximum degree over n - 1; log10(kappa) / 4.

    ## Rewards

    ``-(ln err_t - ln err_{t-1}) - cost_weight x cost_t``, err = mean_i |x_i - x*|^2 =
    mean_i |x_i - x_bar|^2 + |x_bar - x*|^2, cost_t the unit's communication cost in units of
    DADAO's default spend per time unit (sqrt(2 chi1 chi2) x the mean edge cost).

    ## Starting State

    A new problem per reset (graph(s), losses, costs, x_i(0) ~ N(0, I); fixed with
    ``problem_seed``); the other five vectors at 0.

    ## Episode End

    Terminates when err <= ``target`` x err0, or when err exceeds 1e8 x err0 (DADAO diverges
    when the gossip is too slow for its z~ step: ``info["diverged"]``); truncates after
    ``horizon`` time units.

    ## Arguments

    ``params`` (an ``AsyncGossipParams``, a dict, a preset 'default', 'small',
    'time_varying', 'wireless', 'edges', or None) and/or its fields, e.g. ``gym.make(
    "netgym/AsyncGossip-v0", graph="barbell", kappa=100)``.

    ``info`` (time in DADAO units, one gradient per node per unit): ``iteration_time``,
    ``lower_bound`` (0: no time bound holds per episode; the env's bound is the best
    constant rate in hindsight, the ``best-constant`` oracle), ``theory_time`` (the time the
    accelerated first-order line, Nesterov's worst-case rate at one gradient round per unit,
    needs for the error drop so far: a reference line, not a bound), ``error``,
    ``consensus_error``, ``gradients``, ``gossips``, ``dropped_gossips`` (cumulative),
    ``communication_cost`` (cumulative, default-spend units), ``rate`` (the last unit's
    rate over DADAO's), ``diverged``, ``step``.

    Public attributes that policies may read: ``params``, ``episode`` (the problem, the
    graph, the costs and the ``DadaoSim``).

    ## Version History

    * v0: initial release.
    """

    params_class = AsyncGossipParams

    def setup(self) -> None:
        self.sim = GossipBatch(self.params, 1)
        self.action_space, self.observation_space = gossip_spaces(self.params)
        self._rngs: list[np.random.Generator] = []

    @property
    def episode(self):
        """This episode's ``sim.Episode``."""
        return self.sim.episodes[0]

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(EVERY_ENV, self._rngs, options)
        return self.sim.observation()[0], self._info()

    def check_action(self, action: Any) -> Any:
        return check_gossip_actions(self.params, action, ())

    def step_sim(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        sim.step(EVERY_ENV, [action], self._rngs)
        obs = sim.observation()[0]
        return obs, float(sim.reward[0]), bool(sim.done[0]), bool(sim.cut[0]), self._info()

    def _info(self) -> dict[str, Any]:
        return {key: value[0].item() for key, value in self.sim.info().items()}


class AsyncGossipVectorEnv(NumpyVectorEnv):
    """N ``AsyncGossipEnv`` envs stepped together (``gym.make_vec``); spaces, rewards and
    episodes are the scalar env's, sub-env ``i`` seeded ``seed + i``.

    ## Version History

    * v0: initial release.
    """

    params_class = AsyncGossipParams

    def memory_per_env(self) -> float:
        p = self.params
        graphs = p.graph_count if p.graph == "random_geometric" else 1
        return float(p.nodes * (6 * p.dim * 16 + graphs * p.nodes * 16) + 4096)

    def make_sim(self) -> GossipBatch:
        return GossipBatch(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Box]:
        return gossip_spaces(self.params)

    def check_actions(self, actions: Any) -> Any:
        return check_gossip_actions(self.params, actions, (self.num_envs,))


__all__ = [
    "AsyncGossipEnv",
    "AsyncGossipVectorEnv",
    "check_gossip_actions",
    "edge_count",
    "gossip_spaces",
]
