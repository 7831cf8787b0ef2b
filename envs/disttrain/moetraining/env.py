"""``netgym/MoeTrainingOverlap-v0``: the scalar Gymnasium env and its native vector env."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from ...core.vector import EVERY_ENV, NumpyVectorEnv
from .model import OverlapModel
from .params import MoeTrainingOverlapParams
from .pipeline import DEGREES, SHARES
from .sim import OBS_SIZE, MoeOverlapSim


def overlap_spaces() -> tuple[spaces.MultiDiscrete, spaces.Box]:
    """Action (degree index, share index) and observation space of one env."""
    action = spaces.MultiDiscrete([len(DEGREES), len(SHARES)])
    return action, spaces.Box(0.0, 1.0, (OBS_SIZE,), dtype=np.float32)


def check_overlap_actions(actions: Any, batch: tuple[int, ...]) -> np.ndarray:
    """Actions as an int array of shape ``batch + (2,)``.

    Raises:
        ValueError: wrong shape, a non-integer, or a degree or share outside the menu.
    """
    array = np.asarray(actions)
    if array.shape != batch + (2,):
        raise ValueError(
            f"MoeTrainingOverlap actions must have shape {batch + (2,)} (degree index into "
            f"{list(DEGREES)}, share index into {list(SHARES)}), got {array.shape}"
        )
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(f"MoeTrainingOverlap actions must be integer indices, got {actions!r}")
    array = array.astype(np.int64)
    for column, (name, menu) in enumerate((("degree", DEGREES), ("share", SHARES))):
        bad = array[..., column]
        if bad.size and (bad.min() < 0 or bad.max() >= len(menu)):
            value = int(bad.min() if bad.min() < 0 else bad.max())
            raise ValueError(
                f"MoeTrainingOverlap {name} index {value} is outside the menu "
                f"{list(menu)} (indices 0 .. {len(menu) - 1})"
            )
    return array


class MoeTrainingOverlapEnv(SimEnv):
    """Pipelining an MoE model's layers and overlapping its gradient all-reduce (FSMoE).

    ## Description

    One episode is one training iteration of L MoE layers (Pan et al., "FSMoE", ASPLOS 2025;
    reference/disttrain.md section 4). Each layer runs A2A dispatch (NIC), all-gather (NVLink),
    the expert GEMMs (GPU), reduce-scatter (NVLink) and A2A combine (NIC); split into r chunks,
    operation x costs ``alpha_x + beta_x n_x / r`` per chunk and the chunks are list-scheduled
    over the three resources. In the forward pass the agent picks each layer's degree r_f; in
    the backward pass (GEMMs twice as costly) the degree r_b and the share of the pending
    gradient (the layers already back-propagated) to all-reduce in r_b chunks in this layer's
    NIC gaps: they fill the NIC when no combine is ready and may delay one. What is pending
    after the last layer is all-reduced at the end, exposed. The all-to-all's beta can be
    scaled by CollectivePath's congestion of a load-balancing scheme on a fabric
    (``a2a_scheme``). ``overlap_slowdown`` slows the GEMMs of pipelined layers.

    ## Action Space

    ``MultiDiscrete([5, 5])``: (index of r in (1, 2, 4, 8, 16), index of the share in (0,
    0.25, 0.5, 0.75, 1)); the share is ignored in the forward pass. An index outside the menu
    is an error.

    ## Observation Space

    ``Box(0, 1, (13,))``: the pass (0 forward, 1 backward); the layer's position in it; the
    layer's A2A, AG, GEMM and RS times at r = 1 over its unpipelined time; the pending
    gradient's all-reduce time and the gradient still to come (``x / (1 + x)`` of their ratio
    to that time); the NIC's idle share of the backward so far; the previous degree and share
    indices over 4; the elapsed time over the iteration's bound (``x / (1 + x)``); and
    ``1 - 1 / factor`` of the all-to-all's congestion factor.

    ## Rewards

    Minus the layer's time (plus, at the last step, the exposed all-reduce) over the
    iteration's lower bound; the return is ``-T_iter / T_lb`` (at most -1).

    ## Starting State

    Forward pass of layer 0, nothing pending; with ``token_jitter`` > 0 each layer's tokens
    are redrawn (a lognormal factor) at every reset.

    ## Episode End

    Terminates after the backward of layer 0 (2 L steps); never truncates.

    ## Arguments

    ``params`` (a ``MoeTrainingOverlapParams``, a dict, a preset 'default', 'gpt2',
    'mixtral', 'small', or None) and/or its fields, e.g. ``gym.make(
    "netgym/MoeTrainingOverlap-v0", params="mixtral", overlap_slowdown=1.1)``.

    ``info`` (seconds): ``iteration_time``, ``lower_bound`` (per-resource busy time),
    ``layer_time``, ``exposed_allreduce``, ``nic_idle``; ``launched`` and
    ``pending_gradient`` (elements), ``degree``, ``step``.

    Public attributes that policies may read: ``params``, ``model`` (the ``OverlapModel``:
    layer times for any degree and launch), ``layer_works()`` (this episode's workloads),
    ``step_index``, ``pending``.

    ## Version History

    * v0: initial release.
    """

    params_class = MoeTrainingOverlapParams

    def setup(self) -> None:
        self.sim = MoeOverlapSim(self.params, 1)
        self.action_space, self.observation_space = overlap_spaces()
        self._rngs: list[np.random.Generator] = []

    @property
    def model(self) -> OverlapModel:
        """The layer timing model."""
        return self.sim.model

    @property
    def step_index(self) -> int:
        """Steps taken this episode (0 .. L - 1 forward, L .. 2 L - 1 backward)."""
        return int(self.sim.t[0])

    @property
    def pending(self) -> float:
        """Gradient elements pending all-reduce."""
        return float(self.sim.pool[0])

    def layer_works(self) -> np.ndarray:
        """(L, 4) this episode's workloads of [A2A, AG, GEMM, RS] per layer."""
        return self.sim.works[0].copy()

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(EVERY_ENV, self._rngs, options)
        return self.sim.observation()[0], self._info()

    def check_action(self, action: Any) -> np.ndarray:
        return check_overlap_actions(action, ())

    def step_sim(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        sim.step(EVERY_ENV, action[None], self._rngs)
        return sim.observation()[0], float(sim.reward[0]), bool(sim.done[0]), False, self._info()

    def _info(self) -> dict[str, Any]:
        return {key: value[0].item() for key, value in self.sim.info().items()}


class MoeTrainingOverlapVectorEnv(NumpyVectorEnv):
    """N ``MoeTrainingOverlapEnv`` envs stepped together (``gym.make_vec``); spaces, rewards
    and episodes are the scalar env's, sub-env ``i`` seeded ``seed + i``.

    ## Version History

    * v0: initial release.
    """

    params_class = MoeTrainingOverlapParams

    def memory_per_env(self) -> float:
        return float(self.params.layers * 12 * 8 + 256)

    def make_sim(self) -> MoeOverlapSim:
        return MoeOverlapSim(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Box]:
        return overlap_spaces()

    def check_actions(self, actions: Any) -> np.ndarray:
        return check_overlap_actions(actions, (self.num_envs,))


__all__ = [
    "MoeTrainingOverlapEnv",
    "MoeTrainingOverlapVectorEnv",
    "check_overlap_actions",
    "overlap_spaces",
]
