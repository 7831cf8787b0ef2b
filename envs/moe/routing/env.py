"""``netgym/MoeRouting-v0``: the scalar Gymnasium env and its native vector env.

The PettingZoo variant (one agent per expert-parallel device) is in ``parallel.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from ...core.vector import EVERY_ENV, NumpyVectorEnv
from .duo import DuoSim
from .limits import bytes_per_env, check_memory_of, shared_bytes
from .params import RoutingParams
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


def _action_masks(space: spaces.Space, batch: tuple[int, ...]) -> np.ndarray:
    """All actions valid (flat over the MultiDiscrete components), for MaskablePPO."""
    if isinstance(space, spaces.MultiDiscrete):
        return np.ones((*batch, int(space.nvec.sum())), dtype=bool)
    raise ValueError("action masks exist for the discrete modes 'assign' and 'duo' only")


class MoeRoutingEnv(SimEnv):
    """Token-to-expert routing of one MoE layer under capacity and load-balance constraints.

    ## Description

    Each step is one call of one MoE layer: ``n_tokens`` tokens (T) are routed to ``n_experts``
    experts (E) spread over ``n_devices`` expert-parallel devices, each token to at most
    ``top_k`` (k) distinct experts, each expert processing at most its capacity
    ``C = ceil(k f T / E)`` (Switch/GShard, ``capacity_factor`` f); over-capacity slots are
    dropped (the token takes the residual path). The router probabilities come from a seeded
    synthetic router with skewed, drifting expert popularity and per-token domains
    (``gates.py``), or with ``gates="trace"`` from a routing trace: a recorded ``.npz``
    (``trace_path``) or the family's calibrated generator (``trace_gates.py``).
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
      the current layer (Duo-LLM; see ``duo.py``).

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
    capacity_factor=1.25, n_devices=8, lp_bound=True)``. ``capacity_factor=None`` removes the
    capacity; ``lp_bound=True`` solves the per-step LP upper bound (off by default: it costs
    about 100 times the rest of a step). The LP is solved up to ``LP_BOUND_MAX_SIZE`` = 65,536
    variables (T E; 2 T in duo mode): above it the bound is switched off with a warning
    (``params.lp_active``), as HiGHS would take seconds to minutes per step. A configuration
    whose memory estimate (``routing/limits.py``) exceeds the memory budget is refused at
    construction.

    ``info``: ``step``, ``linear`` (the linear part ``mass / T - lambda_d drops / (T k)``),
    ``upper_bound`` (its exact LP optimum for the step's probabilities, ``lp.py``; only
    with ``lp_bound=True`` within the size limit, ``params.lp_active``: otherwise the key is
    absent), ``gate_mass`` (mass / T), ``drops``, ``drop_fraction``, ``overflow_drops``,
    ``explicit_drops``, ``duplicate_drops``, ``imbalance``, ``layer_ms``, ``loads`` (E,).
    Duo: ``step``, ``linear``, ``upper_bound`` (as above), ``gain``, ``compute_cost``,
    ``over_budget``, ``layer``. Loads + drops = T k always.

    ``render_mode``: "rgb_array" (a 400 x 640 frame of the last layer call: expert loads against
    the capacity, drops, devices, the biases) or "ansi".

    Public attributes that policies may read: ``params``, ``capacity``, ``router_logits``
    (T, E) and ``router_probs`` (T, E) of the batch to route now, ``token_ids`` (T,),
    ``last_loads`` (E,), ``reference_ms``; duo: ``duo_gains()`` -> (small, big) gains (T,).

    ## Version History

    * v0: initial release; the per-step LP bound became opt-in (``lp_bound=True``) in issue
      #21, with the same dynamics, rewards and other info.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}
    params_class = RoutingParams

    def setup(self) -> None:
        self._last_action: np.ndarray | None = None  # shown by render()
        self.sim = make_sim(self.params, 1)
        self.action_space, self.observation_space = routing_spaces(
            self.params, self.sim.observation_size()
        )
        self._rngs: list[np.random.Generator] = []
        # bias mode without the LP bound: the sim's single-env step (bit-identical, faster)
        self._fast = self.params.action_mode == "bias" and not self.params.lp_active

    # ----------------------------------------------------------------- public attributes
    @property
    def capacity(self) -> int:
        """Expert capacity C (slots per expert and step)."""
        return self.params.capacity

    @property
    def router_logits(self) -> np.ndarray:
        """(T, E) router logits of the batch the next step routes (bias/assign modes)."""
        return self._routing().gates.logits[0].copy()

    @property
    def router_probs(self) -> np.ndarray:
        """(T, E) router probabilities (softmax of the logits) of the next batch."""
        return self._routing().gates.probs[0].copy()

    @property
    def token_ids(self) -> np.ndarray:
        """(T,) vocabulary ids of the next batch's tokens (hash routing reads them)."""
        return self._routing().gates.token_ids[0].copy()

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
        small, big = self.sim.gains(EVERY_ENV)
        return small[0], big[0]

    def action_masks(self) -> np.ndarray:
        """All actions valid (flat over the MultiDiscrete components), for MaskablePPO."""
        return _action_masks(self.action_space, ())

    def _routing(self) -> RoutingSim:
        if not isinstance(self.sim, RoutingSim):
            raise ValueError("this attribute needs action_mode 'bias' or 'assign', not 'duo'")
        return self.sim

    # ----------------------------------------------------------------- SimEnv hooks
    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(EVERY_ENV, self._rngs, options)
        self._last_action = None
        return self.sim.observation()[0], self.sim.info(0)

    def check_action(self, action: Any) -> np.ndarray:
        return check_actions(self.params, action, ())

    def step_sim(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        if self._fast:
            sim.step_one(action, self._rngs)
            obs = sim.observation_one()
        else:
            sim.step(EVERY_ENV, action[None], self._rngs)
            obs = sim.observation()[0]
        truncated = bool(sim.steps[0] >= self.params.max_steps)
        if self.render_mode is not None:
            self._last_action = action
        return obs, float(sim.reward[0]), False, truncated, sim.info(0)

    def render(self) -> np.ndarray | str | None:
        """The last layer call: a 400 x 640 ``rgb_array`` frame (expert loads against the
        capacity, drops, devices, the biases; duo: modules and loss left per token; see
        ``render.py``) or ``ansi`` text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame

        if self.render_mode == "ansi":
            return ansi(self, self._last_action)
        return draw_frame(self, self._last_action)


class MoeRoutingVectorEnv(NumpyVectorEnv):
    """N ``MoeRoutingEnv`` envs stepped together in numpy (``gym.make_vec``); spaces, rewards
    and episodes are the scalar env's.

    Sub-env ``i`` draws from its own generator seeded ``seed + i``, so it plays exactly the
    episodes of a scalar env seeded ``seed + i``. ``info`` is a dict of arrays (the scalar
    env's keys) with their ``_key`` masks. ``autoreset_mode`` is NEXT_STEP (the default) or
    SAME_STEP (finished sub-envs reset inside the step; their last observation and info are in
    ``info["final_obs"]`` / ``info["final_info"]``), which SB3's adapter uses.

    ## Version History

    * v0: initial release.
    """

    params_class = RoutingParams

    def memory_per_env(self) -> float:
        """Bytes one sub-env holds plus its share of the shared tables (``limits.py``); one
        sub-env over the budget is refused here, with the parameters that drive it."""
        check_memory_of(type(self).__name__, self.params)
        return bytes_per_env(self.params) + shared_bytes(self.params) / self.num_envs

    def make_sim(self) -> RoutingSim | DuoSim:
        return make_sim(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Box]:
        return routing_spaces(self.params, self.sim.observation_size())

    def check_actions(self, actions: Any) -> np.ndarray:
        return check_actions(self.params, actions, (self.num_envs,))

    @property
    def router_probs(self) -> np.ndarray:
        """(N, T, E) router probabilities of each sub-env's next batch (bias/assign modes)."""
        if isinstance(self.sim, DuoSim):
            raise ValueError("router_probs needs action_mode 'bias' or 'assign', not 'duo'")
        return self.sim.gates.probs.copy()

    def action_masks(self) -> np.ndarray:
        """(N, sum of nvec) all True, for MaskablePPO (discrete modes only)."""
        return _action_masks(self.single_action_space, (self.num_envs,))


__all__ = [
    "MoeRoutingEnv",
    "MoeRoutingVectorEnv",
    "check_actions",
    "make_sim",
    "routing_spaces",
]
