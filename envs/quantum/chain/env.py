"""``netgym/RepeaterChain-v0``: the Gymnasium env and its native vector env over ``ChainSim``."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from ...core.scalar import SimEnv
from ...core.vector import EVERY_ENV, NumpyVectorEnv
from .observations import scalar_info
from .params import ChainParams
from .sim import ChainSim, bytes_per_chain
from .spaces import central_spaces, check_actions


class RepeaterChainEnv(SimEnv):
    """Repeater-chain control: every node decides each step to wait, swap, purify or discard.

    ## Description

    A chain of ``n_nodes`` quantum nodes (end nodes 0 and n - 1) with ``mem_per_side``
    memories per node side distributes entanglement between its ends (reference/quantum.md
    6.1). Elementary links are attempted automatically on every link whose two memories are
    free (abstract probability ``p_gen``, single- or double-click heralding over fibre, or the
    NV link table, optionally multiplexed); stored links decohere (depolarising ``memory_time_s``,
    dephasing ``t2_s``); swaps and purification (DEJMPS) follow ``physics``. Links are tracked
    as Bell-diagonal states. Step order (``chain/sim.py``): actions (discards, purifications,
    swaps), delivery of an end-to-end link with F >= ``f_target``, cutoff, ageing and
    decoherence, generation. In the abstract scheme this is Iñesta et al.'s slot (generation,
    swaps, cutoff, ageing), so -return of the ``time`` reward is the delivery time T of
    reference 2.3 / 2.4.

    ## Action Space

    ``MultiDiscrete([2, 6, ..., 6, 2])``, one entry per node: repeaters 0 wait, 1 swap (every
    lane holding a left and a right link), 2 purify-left, 3 purify-right (the two links to the
    same neighbour, ``mem_per_side=2``), 4 discard-left, 5 discard-right (every link on that
    side); end nodes 0 wait, 1 discard. Invalid actions are no-ops, optionally penalised
    (``invalid_action_penalty``); ``action_masks()`` gives the valid ones (flat, node by node,
    for sb3-contrib MaskablePPO). With ``obs_mode="tabular"``: ``Discrete(2^(n-2))``, a swap
    mask (bit r = repeater r + 1 swaps), Iñesta et al.'s action set.

    ## Observation Space

    ``Dict``: ``link_exists``, ``link_fid`` ((F - 1/4) / (3/4)) and ``link_age`` (age / cutoff,
    or / max_steps without a cutoff), each ``(mem_per_side * P,)``: lane by lane, the P =
    n(n-1)/2 node pairs (i < j in row-major order); ``mem_free`` (n,) the free share of each node's
    memories; ``t_frac`` (1,) step / max_steps. Use gymnasium's ``FlattenObservation`` for an
    MlpPolicy (SB3's MultiInputPolicy takes the Dict as is). With ``obs_mode="tabular"``
    (abstract scheme, one memory, a cutoff, n <= 5): ``Discrete(S)``, the index of the link-age
    configuration in ``env.mdp.states`` (the finite MDP of ``chain/mdp.py``).

    ## Rewards

    ``time``: -1 per step, the episode ends at the first delivery (return = -T). ``rate``: the
    hashing yield D_H(F) of the links delivered in the step. ``fidelity``: per delivered link
    1 + beta (F - f_target), minus ``step_cost`` per step. All minus the invalid-action penalty.

    ## Starting State

    Empty memories, then the first slot's generation attempts.

    ## Episode End

    ``time``: terminates at the first delivery. Every mode truncates after ``max_steps``.

    ## Arguments

    ``params`` (a ``ChainParams``, a dict, a preset name 'abstract', 'nv2019' or 'starlight',
    or None) and/or any ``ChainParams`` field as a keyword, e.g.
    ``gym.make("netgym/RepeaterChain-v0", n_nodes=5, p_gen=0.3, cutoff=2)``. The tabular MDP's
    states are bounded before it is explored (``chain.mdp.state_count_bound``) and refused over
    the memory budget (``envs/core/budget.py``).

    ``render_mode``: "rgb_array" (a 320 x 640 frame: nodes, memories, links coloured by
    fidelity with an age bar, each node's last action) or "ansi" (the same as text).

    ``info``: step, time_s, deliveries (episode total), delivered / delivered_fidelity /
    delivered_yield (this step), yield_total, invalid_actions, gen_successes (per link).
    Public attributes: ``params``, ``sim`` (the ``ChainSim``; chain 0), ``mdp`` (tabular mode).

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}
    params_class = ChainParams

    params: ChainParams
    sim: ChainSim

    def setup(self) -> None:
        self._last_action: np.ndarray | None = None  # shown by render()
        self.sim = ChainSim(self.params, 1)
        self.mdp = self.sim.mdp
        self.action_space, self.observation_space = central_spaces(self.params, self.mdp)
        self._rngs: list[np.random.Generator] = []

    def reset_sim(self, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(EVERY_ENV, self._rngs)
        self._last_action = None
        return self._observation(), scalar_info(self.sim)

    def check_action(self, action: Any) -> np.ndarray:
        return check_actions(self.params, action, ())

    def step_sim(self, action: np.ndarray) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        sim.step(EVERY_ENV, action, self._rngs)
        if self.render_mode is not None:
            self._last_action = action[0]
        return (
            self._observation(),
            float(sim.reward[0]),
            bool(sim.terminated[0]),
            bool(sim.truncated[0]),
            scalar_info(sim),
        )

    def action_masks(self) -> np.ndarray:
        """Valid actions: flat node-by-node booleans (dict mode) or valid swap masks (tabular)."""
        return self.sim.valid_actions()[0]

    def render(self) -> np.ndarray | str | None:
        """The chain after the last step: a 320 x 640 ``rgb_array`` frame (nodes, memories,
        links coloured by fidelity with their age, the action of every node; see ``render.py``)
        or ``ansi`` text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame

        if self.render_mode == "ansi":
            return ansi(self.sim, 0, self._last_action)
        return draw_frame(self.sim, 0, self._last_action)

    def _observation(self) -> Any:
        obs = self.sim.observation()
        if self.mdp is not None:
            return int(obs[0])
        return {key: value[0] for key, value in obs.items()}


class RepeaterChainVectorEnv(NumpyVectorEnv):
    """B repeater chains stepped together in numpy (``gym.make_vec``).

    ## Description

    ``num_envs`` copies of ``RepeaterChainEnv`` over one batched ``ChainSim``. Sub-env ``i``
    draws from its own generator seeded ``seed + i``, so it plays exactly the episodes of a
    scalar env seeded ``seed + i``.

    ## Action Space

    The scalar env's, batched: (B, n) node actions (tabular mode: (B,) swap masks).
    ``action_masks()`` gives the valid actions of every sub-env.

    ## Observation Space

    The scalar env's, batched (a Dict of (B, ...) arrays, or (B,) state indices).

    ## Rewards

    As ``RepeaterChainEnv``, one per sub-env.

    ## Starting State

    As ``RepeaterChainEnv``, per sub-env.

    ## Episode End

    As ``RepeaterChainEnv``, per sub-env. ``autoreset_mode`` is NEXT_STEP (the default: the
    next step resets a finished sub-env and returns reward 0) or SAME_STEP (finished sub-envs
    reset inside the step; their last observation and info are in ``info["final_obs"]`` /
    ``info["final_info"]``), which SB3's VecEnv adapter needs.

    ## Arguments

    ``num_envs``, ``autoreset_mode`` and the scalar env's arguments. ``info`` is a dict of
    arrays (see ``RepeaterChainEnv``), each with its ``_key`` mask.

    ## Version History

    * v0: initial release.
    """

    params_class = ChainParams

    params: ChainParams
    sim: ChainSim

    def memory_per_env(self) -> float:
        """Bytes one chain holds (``chain.sim.bytes_per_chain``)."""
        return bytes_per_chain(self.params)

    def make_sim(self) -> ChainSim:
        sim = ChainSim(self.params, self.num_envs)
        self.mdp = sim.mdp
        return sim

    def make_spaces(self) -> tuple[spaces.Space, spaces.Space]:
        return central_spaces(self.params, self.mdp)

    def check_actions(self, actions: Any) -> np.ndarray:
        return check_actions(self.params, actions, (self.num_envs,))

    def action_masks(self) -> np.ndarray:
        """(B, ...) valid actions of every sub-env (see ``RepeaterChainEnv.action_masks``)."""
        return self.sim.valid_actions()

    def autoreset(self, idx: np.ndarray) -> None:
        # SAME_STEP: the info returned with the new episodes keeps the outcome (delivered,
        # delivered_fidelity, delivered_yield, invalid_actions) of the step that ended the old
        # ones, as v0 always did
        keep = self.autoreset_mode == AutoresetMode.SAME_STEP
        self.sim.reset(idx, self._rngs, keep_outcome=keep)


__all__ = ["RepeaterChainEnv", "RepeaterChainVectorEnv"]
