"""``netgym/MoeRouting-v0``: the scalar Gymnasium env and its native vector env.

The PettingZoo variant (one agent per expert-parallel device) is in ``routing_parallel.py``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ...core.seeding import reseed_vector
from ...core.vector import check_vector_args, same_step_reset
from .duo import DuoSim
from .params import RoutingParams, make_routing_params
from .sim import RoutingSim


def make_sim(params: RoutingParams, num_envs: int) -> RoutingSim | DuoSim:
    """The batched sim of the params' action mode."""
    return DuoSim(params, num_envs) if params.action_mode == "duo" else RoutingSim(params, num_envs)


def routing_spaces(params: RoutingParams, obs_size: int) -> tuple[spaces.Space, spaces.Box]:
    """Action and observation space of one sub-env."""
    if params.action_mode == "bias":
        action: spaces.Space = spaces.Box(
            -params.bias_max, params.bias_max, (params.n_experts,), dtype=np.float32
        )
    elif params.action_mode == "assign":
        action = spaces.MultiDiscrete(
            np.full(params.n_tokens * params.top_k, params.n_experts + 1, dtype=np.int64)
        )
    else:
        action = spaces.MultiDiscrete(np.full(params.n_tokens, 3, dtype=np.int64))
    return action, spaces.Box(0.0, 1.0, (obs_size,), dtype=np.float32)


def check_actions(params: RoutingParams, actions: Any, batch: tuple[int, ...]) -> np.ndarray:
    """Validate actions of shape ``batch + action shape``; bias actions are clipped to the Box.

    Raises:
        ValueError: wrong shape, non-finite biases, or non-integer / out-of-range slots.
    """
    array = np.asarray(actions)
    if params.action_mode == "bias":
        shape = (*batch, params.n_experts)
        if array.shape != shape:
            raise ValueError(f"bias actions must have shape {shape}, got {array.shape}")
        if array.dtype.kind not in "iuf" or not np.isfinite(array).all():
            raise ValueError(f"bias actions must be finite numbers, got {actions!r}")
        biases = array.astype(float)  # a copy: clipped in place (np.clip's wrapper is slower)
        np.maximum(biases, -params.bias_max, out=biases)
        return np.minimum(biases, params.bias_max, out=biases)
    if params.action_mode == "assign":
        shape, high = (*batch, params.n_tokens * params.top_k), params.n_experts
        what = f"expert slots (T k = {shape[-1]} values in [0, {high}], {high} = drop)"
    else:
        shape, high = (*batch, params.n_tokens), 2
        what = f"modules (T = {shape[-1]} values in [0, 2]: skip, small, big)"
    if array.shape != shape:
        raise ValueError(f"actions must have shape {shape}: {what}; got {array.shape}")
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(f"actions must be integers: {what}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() > high):
        raise ValueError(f"actions must be {what}; got values in [{array.min()}, {array.max()}]")
    return array


def info_arrays(sim: RoutingSim | DuoSim, idx: Any = slice(None)) -> dict[str, np.ndarray]:
    """Per-env info arrays of the step just taken (see the env docstring)."""
    info: dict[str, np.ndarray] = {"step": sim.steps[idx].copy(), "linear": sim.linear[idx].copy()}
    if sim.params.lp_bound:
        info["upper_bound"] = sim.upper_bound[idx].copy()
    if isinstance(sim, DuoSim):
        info.update(
            gain=sim.gain[idx].copy(),
            compute_cost=sim.compute_cost[idx].copy(),
            over_budget=sim.over_budget[idx].copy(),
            layer=sim.layer[idx].copy(),
        )
        return info
    t_k = sim.params.n_tokens * sim.params.top_k
    info.update(
        gate_mass=sim.gate_mass[idx].copy(),
        drops=sim.drops[idx].copy(),
        drop_fraction=sim.drops[idx] / t_k,
        overflow_drops=sim.overflow[idx].sum(axis=-1),
        explicit_drops=sim.explicit_drops[idx].copy(),
        duplicate_drops=sim.duplicate_drops[idx].copy(),
        imbalance=sim.imbalance[idx].copy(),
        layer_ms=sim.layer_ms[idx].copy(),
        loads=sim.loads[idx].copy(),
    )
    return info


class MoeRoutingEnv(gym.Env):
    """Token-to-expert routing of one MoE layer under capacity and load-balance constraints.

    ## Description

    Each step is one call of one MoE layer: ``n_tokens`` tokens (T) are routed to ``n_experts``
    experts (E) spread over ``n_devices`` expert-parallel devices, each token to at most
    ``top_k`` (k) distinct experts, each expert processing at most its capacity
    ``C = ceil(k f T / E)`` (Switch/GShard, ``capacity_factor`` f); over-capacity slots are
    dropped (the token takes the residual path). The router probabilities come from a seeded
    synthetic router with skewed, drifting expert popularity and per-token domains
    (``routing_gates.py``), or with ``gates="trace"`` from a routing trace: a recorded ``.npz``
    (``trace_path``) or the family's calibrated generator (``routing_trace_gates.py``).
    Reference: ``shared/reference/moe.md`` section 6(B).

    ## Action Space

    * ``action_mode="bias"`` (default): ``Box(-bias_max, bias_max, (E,))``, a bias per expert
      added to the router logits before top-k (as DeepSeek-V3's auxiliary-loss-free balancing;
      the biases change the choice, not the gate values). Over capacity, an expert keeps the
      slots with the highest biased logits. Out-of-range biases are clipped.
    * ``"assign"``: ``MultiDiscrete([E + 1] * (T k))``: slot ``j`` of token ``t`` (index
      ``t k + j``) names an expert, ``E`` = no expert. A repeated expert within a token is
      dropped (counted in ``duplicate_drops``); over capacity an expert keeps the slots with
      the highest router probability.
    * ``"duo"``: ``MultiDiscrete([3] * T)``: skip (0), small (1) or big (2) module per token at
      the current layer (Duo-LLM; see ``routing_duo.py``).

    ## Observation Space

    ``Box(0, 1, (4 E + 2,))`` (bias): for each expert (rows of E values) the current batch's
    soft demand ``k sum_t P_te`` as ``d / (d + C)``, the last step's load / C, its overflow
    drops and its requested slots (each ``v / (v + C)``); then step / max_steps and the last
    layer time as ``t / (t + t_ref)``. ``"assign"`` prepends the router probabilities (T E
    values, token-major). ``"duo"``: ``Box(0, 1, (3 T + 2,))``: per token the remaining loss
    and the small and big gains at this layer (``v / (v + 1)``), then layer / L and
    step / max_steps.

    ## Rewards

    Reference 6(B), per token: ``r = mass / T - lambda_d drops / (T k) - lambda_i (max_e n_e /
    mean_e n_e - 1) - lambda_c t_layer / t_ref``, with ``mass`` the router probability of the
    processed slots, ``n_e`` the loads, ``t_layer = max_d sum_{e on d} t_exp(n_e) + t_a2a`` from
    ``MoeCostModel`` (``model``, ``hardware``) and ``t_ref`` the same time for a perfectly
    balanced layer. Duo: ``(loss removed - lambda sum of costs) / T``.

    ## Starting State

    ``reset`` draws a new router, popularity and token domains, and the first batch of tokens.

    ## Episode End

    Never terminates; truncates after ``max_steps`` layer calls.

    ## Arguments

    ``params`` (a ``RoutingParams``, a dict, a preset name 'default', 'small', 'mixtral',
    'deepseekmoe16b', 'qwen15moe', or None) and/or any ``RoutingParams`` field as a keyword,
    e.g. ``gym.make("netgym/MoeRouting-v0", n_tokens=512, n_experts=64, top_k=2,
    capacity_factor=1.25, n_devices=8, lp_bound=False)``. ``capacity_factor=None`` removes the
    capacity; ``lp_bound=False`` skips the per-step LP (it dominates the step time at T = 512,
    E = 64).

    ``info``: ``step``, ``linear`` (the linear part ``mass / T - lambda_d drops / (T k)``),
    ``upper_bound`` (its exact LP optimum for the step's probabilities, ``routing_lp.py``; only
    with ``lp_bound``), ``gate_mass`` (mass / T), ``drops``, ``drop_fraction``,
    ``overflow_drops``, ``explicit_drops``, ``duplicate_drops``, ``imbalance``, ``layer_ms``,
    ``loads`` (E,). Duo: ``step``, ``linear``, ``upper_bound``, ``gain``, ``compute_cost``,
    ``over_budget``, ``layer``. Loads + drops = T k always.

    Public attributes that policies may read: ``params``, ``capacity``, ``router_logits``
    (T, E) and ``router_probs`` (T, E) of the batch to route now, ``token_ids`` (T,),
    ``last_loads`` (E,), ``reference_ms``; duo: ``duo_gains()`` -> (small, big) gains (T,).

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        params: RoutingParams | dict | str | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"MoeRoutingEnv has no render modes, got {render_mode!r}")
        self.render_mode = None
        self.params = make_routing_params(params, overrides)
        self.sim = make_sim(self.params, 1)
        self.action_space, self.observation_space = routing_spaces(
            self.params, self.sim.observation_size()
        )
        self._rngs: list[np.random.Generator] = []
        self._one = np.zeros(1, dtype=np.int64)
        self._first = slice(0, 1)  # basic indexing: views where an index array would copy
        self._slots = self.params.n_tokens * self.params.top_k
        # bias mode without the LP bound: the sim's single-env step (bit-identical, faster)
        self._fast = self.params.action_mode == "bias" and not self.params.lp_bound
        self._done = True

    # ----------------------------------------------------------------- public attributes
    @property
    def capacity(self) -> int:
        """Expert capacity C (slots per expert and step)."""
        return self.params.capacity

    @property
    def router_logits(self) -> np.ndarray:
        """(T, E) router logits of the batch the next step routes (bias/assign modes)."""
        return self._gates().logits[0].copy()

    @property
    def router_probs(self) -> np.ndarray:
        """(T, E) router probabilities (softmax of the logits) of the next batch."""
        return self._gates().probs[0].copy()

    @property
    def token_ids(self) -> np.ndarray:
        """(T,) vocabulary ids of the next batch's tokens (hash routing reads them)."""
        return self._gates().token_ids[0].copy()

    @property
    def last_loads(self) -> np.ndarray:
        """(E,) tokens each expert processed at the last step."""
        return self._routing().loads[0].copy()

    @property
    def reference_ms(self) -> float:
        """Layer time of a perfectly balanced layer (the latency normaliser)."""
        return self._routing().latency.reference_ms

    def duo_gains(self) -> tuple[np.ndarray, np.ndarray]:
        """(T,) loss the small and the big module would remove now (duo mode)."""
        if not isinstance(self.sim, DuoSim):
            raise ValueError("duo_gains() needs action_mode='duo'")
        small, big = self.sim.gains(slice(0, 1))
        return small[0], big[0]

    def _routing(self) -> RoutingSim:
        if not isinstance(self.sim, RoutingSim):
            raise ValueError("this attribute needs action_mode 'bias' or 'assign', not 'duo'")
        return self.sim

    def _gates(self) -> Any:
        return self._routing().gates

    # ----------------------------------------------------------------- gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if options:
            raise ValueError(f"MoeRoutingEnv takes no reset options, got {sorted(options)}")
        self._rngs = [self.np_random]
        self.sim.reset(self._one, self._rngs)
        self._done = False
        return self.sim.observation(self._first)[0], self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        actions = check_actions(self.params, action, ())
        if self._done:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        if self._fast:
            self.sim.step_one(actions, self._rngs)
            obs = self.sim.observation_one()
        else:
            self.sim.step(self._one, actions[None], self._rngs)
            obs = self.sim.observation(self._first)[0]
        truncated = bool(self.sim.steps[0] >= self.params.max_steps)
        self._done = truncated
        reward = float(self.sim.reward[0])
        return obs, reward, False, truncated, self._info()

    def action_masks(self) -> np.ndarray:
        """All actions valid (flat over the MultiDiscrete components), for MaskablePPO."""
        space = self.action_space
        if isinstance(space, spaces.MultiDiscrete):
            return np.ones(int(space.nvec.sum()), dtype=bool)
        raise ValueError("action masks exist for the discrete modes 'assign' and 'duo' only")

    def _info(self) -> dict[str, Any]:
        sim = self.sim
        if isinstance(sim, DuoSim):
            return {key: value[0] for key, value in info_arrays(sim, slice(0, 1)).items()}
        # the keys, order and numpy scalar types of ``info_arrays``, read without the arrays
        info: dict[str, Any] = {"step": sim.steps[0], "linear": sim.linear[0]}
        if self.params.lp_bound:
            info["upper_bound"] = sim.upper_bound[0]
        drops = sim.drops[0]
        info.update(
            gate_mass=sim.gate_mass[0],
            drops=drops,
            drop_fraction=drops / self._slots,
            overflow_drops=sim.overflow[0].sum(),
            explicit_drops=sim.explicit_drops[0],
            duplicate_drops=sim.duplicate_drops[0],
            imbalance=sim.imbalance[0],
            layer_ms=sim.layer_ms[0],
            loads=sim.loads[0].copy(),
        )
        return info


class MoeRoutingVectorEnv(VectorEnv):
    """N routing envs stepped together in numpy (``gym.make_vec``).

    Sub-env ``i`` draws from its own generator seeded ``seed + i``, so it plays exactly the
    episodes of a scalar env seeded ``seed + i``. ``info`` is a dict of arrays (the scalar
    env's keys) with their ``_key`` masks. ``autoreset_mode`` is NEXT_STEP (the default) or
    SAME_STEP (finished sub-envs reset inside the step; their last observation and info are in
    ``info["final_obs"]`` / ``info["final_info"]``), which SB3's adapter uses.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        params: RoutingParams | dict | str | None = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **overrides: Any,
    ) -> None:
        self.num_envs, self.autoreset_mode = check_vector_args(
            "MoeRoutingVectorEnv", num_envs, render_mode, autoreset_mode
        )
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.params = make_routing_params(params, overrides)
        self.render_mode = None
        self.sim = make_sim(self.params, self.num_envs)
        self.single_action_space, self.single_observation_space = routing_spaces(
            self.params, self.sim.observation_size()
        )
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._rngs: list[np.random.Generator] | None = None
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._started = False
        self._all = np.arange(self.num_envs)
        self._mask = np.ones(self.num_envs, dtype=bool)
        self._mask.setflags(write=False)

    @property
    def router_probs(self) -> np.ndarray:
        """(N, T, E) router probabilities of each sub-env's next batch (bias/assign modes)."""
        if isinstance(self.sim, DuoSim):
            raise ValueError("router_probs needs action_mode 'bias' or 'assign', not 'duo'")
        return self.sim.gates.probs.copy()

    def action_masks(self) -> np.ndarray:
        """(N, sum of nvec) all True, for MaskablePPO (discrete modes only)."""
        space = self.single_action_space
        if isinstance(space, spaces.MultiDiscrete):
            return np.ones((self.num_envs, int(space.nvec.sum())), dtype=bool)
        raise ValueError("action masks exist for the discrete modes 'assign' and 'duo' only")

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if options:
            raise ValueError(f"MoeRoutingVectorEnv takes no reset options, got {sorted(options)}")
        reseeded = reseed_vector(seed, self.num_envs, self._rngs)
        if reseeded is not None:
            self._rngs, self._np_random_seed = reseeded
        self._np_random = self._rngs[0]
        self.sim.reset(self._all, self._rngs)
        self._prev_done[:] = False
        self._started = True
        return self.sim.observation(), self._info()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = check_actions(self.params, actions, (self.num_envs,))
        sim = self.sim
        done = self._prev_done
        any_done = self.autoreset_mode == AutoresetMode.NEXT_STEP and done.any()
        live = np.flatnonzero(~done) if any_done else self._all
        if len(live):
            sim.step(live, actions[live], self._rngs)
        reward = sim.reward.copy()
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = sim.steps >= self.params.max_steps
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            info = same_step_reset(
                truncated, sim.observation(), self._info, lambda idx: sim.reset(idx, self._rngs)
            )
            return sim.observation(), reward, terminated, truncated, info
        if any_done:
            idx = np.flatnonzero(done)
            sim.reset(idx, self._rngs)
            reward[idx] = 0.0
            truncated[idx] = False
        self._prev_done = truncated.copy()
        return sim.observation(), reward, terminated, truncated, self._info()

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = info_arrays(self.sim)
        for key in list(info):
            info["_" + key] = self._mask
        return info


__all__ = [
    "MoeRoutingEnv",
    "MoeRoutingVectorEnv",
    "check_actions",
    "info_arrays",
    "make_sim",
    "routing_spaces",
]
