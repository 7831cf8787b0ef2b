"""``netgym/RepeaterChain-v0``: the Gymnasium env and its native vector env over ``ChainSim``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ..core.seeding import reseed_vector
from ..core.vector import check_vector_args, same_step_reset
from .chain_mdp import ChainMdp
from .chain_sim import ChainSim, StepResult
from .chain_spaces import (
    central_spaces,
    check_actions,
    dict_obs,
    make_params,
    pair_index,
    step_info,
    tabular_action_masks,
    tabular_obs,
)
from .params import ChainParams


class _ChainBase:
    """What the scalar and vector env share: params, sim, the finite MDP, observations."""

    params: ChainParams
    sim: ChainSim

    def _setup(self, params: Any, overrides: dict[str, Any], num_envs: int) -> None:
        self.params = make_params(params, overrides)
        p = self.params
        self.mdp = (
            ChainMdp(p.n_nodes, p.p_gen, p.p_swap, int(p.cutoff))
            if p.obs_mode == "tabular"
            else None
        )
        self.sim = ChainSim(self.params, num_envs)
        self._pairs = pair_index(self.params.n_nodes)

    def _obs(self, idx: Any = slice(None)) -> Any:
        if self.mdp is not None:
            return tabular_obs(self.sim, self.mdp, idx)
        return dict_obs(self.sim, self._pairs, idx)

    def _masks(self, idx: Any = slice(None)) -> np.ndarray:
        if self.mdp is not None:
            return tabular_action_masks(self.sim, self.mdp, idx)
        return self.sim.action_masks(idx)

    def _finished(self, result: StepResult) -> tuple[np.ndarray, np.ndarray]:
        terminated = (
            result.delivered > 0
            if self.params.reward_mode == "time"
            else np.zeros(result.delivered.shape, dtype=bool)
        )
        truncated = (self.sim.steps >= self.params.max_steps) & ~terminated
        return terminated, truncated


class RepeaterChainEnv(_ChainBase, gym.Env):
    """Repeater-chain control: every node decides each step to wait, swap, purify or discard.

    ## Description

    A chain of ``n_nodes`` quantum nodes (end nodes 0 and n - 1) with ``mem_per_side``
    memories per node side distributes entanglement between its ends (reference/quantum.md
    6.1). Elementary links are attempted automatically on every link whose two memories are
    free (abstract probability ``p_gen``, single- or double-click heralding over fibre, or the
    NV link table, optionally multiplexed); stored links decohere (depolarising ``memory_time_s``,
    dephasing ``t2_s``); swaps and purification (DEJMPS) follow ``physics``. Links are tracked
    as Bell-diagonal states. Step order (``chain_sim``): actions (discards, purifications,
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
    configuration in ``env.mdp.states`` (the finite MDP of ``chain_mdp``).

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
    ``gym.make("netgym/RepeaterChain-v0", n_nodes=5, p_gen=0.3, cutoff=2)``.

    ``info``: step, time_s, deliveries (episode total), delivered / delivered_fidelity /
    delivered_yield (this step), yield_total, invalid_actions, gen_successes (per link).
    Public attributes: ``params``, ``sim`` (the ``ChainSim``; chain 0), ``mdp`` (tabular mode).

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        params: ChainParams | dict | str | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"RepeaterChainEnv has no render modes, got {render_mode!r}")
        self.render_mode = None
        self._setup(params, overrides, 1)
        self.action_space, self.observation_space = central_spaces(self.params, self.mdp)
        self._rngs: list[np.random.Generator] = []
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        if options:
            raise ValueError(f"RepeaterChainEnv takes no reset options, got {sorted(options)}")
        self._rngs = [self.np_random]
        self.sim.reset([0], self._rngs)
        self._done = False
        return self._single_obs(), self._info(None)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        actions = check_actions(self.params, action, ())
        if self._done:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        result = self.sim.step(slice(0, 1), actions, self._rngs)
        terminated, truncated = self._finished(result)
        self._done = bool(terminated[0] or truncated[0])
        return (
            self._single_obs(),
            float(result.reward[0]),
            bool(terminated[0]),
            bool(truncated[0]),
            self._info(result),
        )

    def action_masks(self) -> np.ndarray:
        """Valid actions: flat node-by-node booleans (dict mode) or valid swap masks (tabular)."""
        return self._masks()[0]

    def _single_obs(self) -> Any:
        obs = self._obs()
        if self.mdp is not None:
            return int(obs[0])
        return {key: value[0] for key, value in obs.items()}

    def _info(self, result: StepResult | None) -> dict[str, Any]:
        info = step_info(self.sim, result)
        return {
            key: (value[0] if key == "gen_successes" else value[0].item())
            for key, value in info.items()
        }


class RepeaterChainVectorEnv(_ChainBase, VectorEnv):
    """B repeater chains stepped together in numpy (``gym.make_vec``).

    Sub-env ``i`` draws from its own generator seeded ``seed + i``, so it plays exactly the
    episodes of a scalar env seeded ``seed + i``. ``info`` is a dict of arrays (see
    ``RepeaterChainEnv``), each with its ``_key`` mask. ``autoreset_mode`` is NEXT_STEP (the
    default) or SAME_STEP (finished sub-envs reset inside the step; their last observation and
    info are in ``info["final_obs"]`` / ``info["final_info"]``), which SB3's VecEnv adapter needs.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        params: ChainParams | dict | str | None = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **overrides: Any,
    ) -> None:
        self.num_envs, self.autoreset_mode = check_vector_args(
            "RepeaterChainVectorEnv", num_envs, render_mode, autoreset_mode
        )
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self._setup(params, overrides, self.num_envs)
        self.single_action_space, self.single_observation_space = central_spaces(
            self.params, self.mdp
        )
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.render_mode = None
        self._rngs: list[np.random.Generator] | None = None
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._started = False
        self._all = np.arange(self.num_envs)
        self._mask = np.ones(self.num_envs, dtype=bool)
        self._mask.setflags(write=False)

    def action_masks(self) -> np.ndarray:
        """(B, ...) valid actions of every sub-env (see ``RepeaterChainEnv.action_masks``)."""
        return self._masks()

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if options:
            raise ValueError(
                f"RepeaterChainVectorEnv takes no reset options, got {sorted(options)}"
            )
        reseeded = reseed_vector(seed, self.num_envs, self._rngs)
        if reseeded is not None:
            self._rngs, self._np_random_seed = reseeded
        self._np_random = self._rngs[0]
        self.sim.reset(self._all, self._rngs)
        self._prev_done[:] = False
        self._started = True
        return self._obs(), self._info(None)

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        node_actions = check_actions(self.params, actions, (self.num_envs,))
        sim = self.sim
        done = self._prev_done
        any_done = self.autoreset_mode == AutoresetMode.NEXT_STEP and done.any()
        live = np.flatnonzero(~done) if any_done else self._all
        partial = sim.step(live, node_actions[live], self._rngs)
        result = _scatter(partial, live, self.num_envs)
        terminated, truncated = self._finished(result)
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            obs = self._obs()
            info = same_step_reset(
                terminated | truncated,
                obs if self.mdp is not None else _PerEnvDict(obs),
                lambda: self._info(result),
                lambda idx: sim.reset(idx, self._rngs),
            )
            return self._obs(), result.reward, terminated, truncated, info
        if any_done:
            idx = np.flatnonzero(done)
            sim.reset(idx, self._rngs)
            terminated[idx] = truncated[idx] = False
        self._prev_done = terminated | truncated
        return self._obs(), result.reward, terminated, truncated, self._info(result)

    def _info(self, result: StepResult | None) -> dict[str, Any]:
        info: dict[str, Any] = step_info(self.sim, result)
        for key in list(info):
            info["_" + key] = self._mask
        return info


class _PerEnvDict:
    """Batched Dict observations indexed per sub-env (``obs[i]`` is sub-env i's dict)."""

    def __init__(self, obs: dict[str, np.ndarray]) -> None:
        self.obs = obs

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        return {key: value[i].copy() for key, value in self.obs.items()}


def _scatter(result: StepResult, live: np.ndarray, num_envs: int) -> StepResult:
    """A step result over ``live`` chains spread to all chains (zeros elsewhere)."""
    if len(live) == num_envs:
        return result
    out = []
    for value in (
        result.reward,
        result.delivered,
        result.delivered_fidelity,
        result.delivered_yield,
        result.invalid,
    ):
        full = np.zeros(num_envs, dtype=value.dtype)
        full[live] = value
        out.append(full)
    return StepResult(*out)


__all__ = ["RepeaterChainEnv", "RepeaterChainVectorEnv"]
