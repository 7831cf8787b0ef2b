"""``netgym/MoeExpertCache-v0``: expert-cache eviction with pre-gated lookahead (Read-ME)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.budget import check_memory
from ...core.scalar import SimEnv
from ..arrivals import LengthDistribution
from .params import CacheParams
from .replay import victim_last_steps
from .sim import ExpertCacheSim
from .stream import decode_stream

_MAX_REDRAWS = 20
"""episodes drawn before giving up on one that needs a decision"""


class MoeExpertCacheEnv(SimEnv):
    """Evict experts from a GPU expert cache while a batch of requests decodes.

    ## Description

    A MoE model serves ``n_requests`` requests with continuous batching (``batch_size`` decode
    together). Each layer call needs the experts its tokens were routed to; they must be in the
    GPU cache of ``capacity`` slots, else they are copied from host memory through one serial
    copy queue and the compute stream stalls (``MoeCostModel``, reference/moe.md section 6).
    Hits and misses into free slots are served automatically; the agent decides only at a miss
    with a full cache, choosing the slot to evict. With the ``readme`` model the router is
    Read-ME's pre-gated one, the same expert holds in every layer and a slot holds a whole
    expert path (as in Read-ME's Table 4); other models cache (layer, expert) slices.

    ## Action Space

    ``Discrete(capacity)``: the slot to evict. ``action_masks()`` (and ``info['action_mask']``)
    rules out slots pinned by the running layer call: its expert being computed (``pin=1``), or
    every expert it used so far (``pin=None``), at most capacity - 1; a masked action is
    replaced by the first allowed slot and ``info['invalid_action']`` is True.

    With ``prefetch_head=K``: ``MultiDiscrete([capacity, K + 1, capacity])`` = (slot to evict
    for the missing expert, prefetch candidate j (0 = none; j = the j-th entry of
    ``candidates``), slot the prefetched expert replaces). A prefetch copies a visible upcoming
    expert now, through the same copy queue; its next use is a hit that waits for the copy if
    needed. A prefetch into the slot just filled, or into a masked slot, is skipped
    (``info['prefetched']`` False). The mask is the three parts concatenated.

    ## Observation Space

    ``Dict``:

    - ``resident`` int64 (capacity,): expert key held by each slot;
    - ``incoming`` int64 (1,): the key that missed;
    - ``next_use`` float32 (capacity + 1,): ``1 - exp(-d / window)`` for a next use d accesses
      ahead if it is visible, else 1 (last entry: the incoming key's use after this one).
      Visible means within ``window`` accesses and ``lookahead_iterations`` iterations after the
      running one (experts already pre-gated); ``oracle=True`` shows the whole trace;
    - ``age`` float32 (capacity + 1,): ``log1p(a) / (1 + log1p(a))`` of the accesses since the
      last use;
    - ``freq`` float32 (capacity + 1,): use count decayed with a half-life of
      ``freq_half_life`` accesses, times (1 - decay per access);
    - ``backlog`` float32 (2,): copy-queue backlog in loads, and the position in the iteration;
    - with a prefetch head, ``candidates`` int64 (K,): visible upcoming experts not resident, in
      order of use (-1 = none), and ``candidate_next_use`` float32 (K,) as ``next_use``.

    ## Rewards

    Minus the stall (ms) of the layer calls completed since the previous decision (with
    ``reward='miss'``: -1 per decision instead). The undiscounted return is minus the episode's
    total stall.

    ## Starting State

    An empty cache; a fresh synthetic trace per reset (or the given recorded trace). The episode
    starts at the first miss that finds the cache full.

    ## Episode End

    Terminated when every access is served. ``info`` carries hits, misses, loads, stall_ms,
    hit_ratio, prefetches and the episode's Belady MIN bound (``belady_misses``,
    ``belady_stall_ms``); no policy, prefetching or not, loads less than ``belady_misses``.

    ## Arguments

    ``params`` (a ``CacheParams``, a dict of its fields, the preset name 'default', or None)
    and/or any ``CacheParams`` field as a keyword, e.g. ``gym.make("netgym/MoeExpertCache-v0",
    capacity=3, window=16)``:

    - ``model`` / ``hardware``: preset names or objects for ``MoeCostModel`` (``readme``).
    - ``capacity``: cache slots (4). ``batch_size``: requests decoding together (8).
    - ``n_requests`` (32), ``max_tokens`` (256): requests per episode and their longest output;
      lengths are Azure-conversation-like (median 129, p99 601), clipped.
    - ``window`` (64), ``lookahead_iterations`` (0; None = no limit), ``oracle`` (False).
    - ``prefetch``: issue each copy one layer call early (pre-gated prefetch), default False.
    - ``reward``: 'stall' or 'miss'. ``routing``: overrides of ``SyntheticRouting`` fields.
    - ``trace``: a ``RoutingTrace`` or a ``.npz`` path to replay instead of synthetic traces.
    - ``unit``: 'layer' or 'path' (default: 'path' for models whose choice holds in all layers).
    - ``freq_half_life`` (256 accesses). ``pin`` (1): keys of the running call pinned.
    - ``prefetch_head`` (0): prefetch candidates offered per decision (0 = no prefetch head).

    A configuration whose memory estimate (``CacheParams.memory_estimate``: the trace, the
    access stream and the sim's per-access state) exceeds the memory budget is refused at
    construction. ``render_mode``: "rgb_array" (a 272 x 640 frame of the decision: the miss,
    the slots and their next use, the last victim, the upcoming accesses) or "ansi".

    Public attributes for policies: ``params``, ``cost`` (the ``MoeCostModel``), ``capacity``,
    ``n_keys``, ``unit``, ``window``, ``freq_half_life``, ``sim`` (the running episode's
    ``ExpertCacheSim``: next uses, last uses, the stream), ``belady_misses``,
    ``belady_stall_ms``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}
    params_class = CacheParams

    def setup(self) -> None:
        p = self.params
        check_memory(type(self).__name__, *p.memory_estimate())
        self.cost = p.cost_model()
        self.unit = p.resolved_unit
        self.trace = p.trace
        """the recorded trace replayed every episode (None: synthetic)"""
        self.routing = p.synthetic_routing()
        """the generator of synthetic episodes"""
        self.n_keys = p.n_keys
        """distinct cache keys: experts (unit 'path') or (layer, expert) pairs"""
        self.capacity = p.capacity
        self.batch_size = p.batch_size
        self.n_requests = p.n_requests
        self.lengths = LengthDistribution(median=129.0, p99=601.0, max_tokens=p.max_tokens)
        self.window = p.window
        self.lookahead_iterations = p.lookahead_iterations
        self.oracle = p.oracle
        self.prefetch = p.prefetch
        self.reward_mode = p.reward
        self.freq_half_life = p.freq_half_life
        self.pin = p.pin
        self.prefetch_head = p.prefetch_head
        """prefetch candidates offered per decision (0: no prefetch head)"""
        self._candidates: list[tuple[int, int]] = []
        self.sim: ExpertCacheSim | None = None
        """the running episode's cache (public for baselines: next_use, last_use, stream...)"""
        self.belady_misses = 0
        self.belady_stall_ms = 0.0
        self._last_decision: tuple[int, int, int, bool] | None = None  # shown by render()
        self.action_space, self.observation_space = self._spaces()

    def _spaces(self) -> tuple[spaces.Space, spaces.Dict]:
        cap, heads = self.capacity, self.prefetch_head
        if heads:
            action: spaces.Space = spaces.MultiDiscrete([cap, heads + 1, cap])
        else:
            action = spaces.Discrete(cap)
        extra = {}
        if heads:
            extra = {
                "candidates": spaces.Box(-1, self.n_keys - 1, (heads,), np.int64),
                "candidate_next_use": spaces.Box(0.0, 1.0, (heads,), np.float32),
            }
        observation = spaces.Dict(
            {
                **extra,
                "resident": spaces.Box(-1, self.n_keys - 1, (cap,), np.int64),
                "incoming": spaces.Box(0, self.n_keys - 1, (1,), np.int64),
                "next_use": spaces.Box(0.0, 1.0, (cap + 1,), np.float32),
                "age": spaces.Box(0.0, 1.0, (cap + 1,), np.float32),
                "freq": spaces.Box(0.0, 1.0, (cap + 1,), np.float32),
                "backlog": spaces.Box(0.0, float(self.n_keys), (2,), np.float32),
            }
        )
        return action, observation

    # ------------------------------------------------------------------ SimEnv hooks
    def reset_sim(self, options: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self._done = True  # until an episode that needs a decision is drawn
        for _ in range(_MAX_REDRAWS):
            self.sim = self._new_sim()
            if not self.sim.done:
                break
            if self.trace is not None:
                break
        if self.sim.done:
            raise ValueError(
                "MoeExpertCacheEnv: the episode's trace never fills the cache "
                f"(capacity {self.capacity}); lower capacity or use a longer trace"
            )
        victims: list | None = [] if self.prefetch else None  # a copy waits for its victim
        misses = self.sim.belady_miss_positions(victims)
        self.belady_misses = int(misses.size)
        victim_steps = None
        if victims is not None:
            victim_steps = victim_last_steps(self.sim.stream, misses, np.concatenate(victims))
        self.belady_stall_ms = self.sim.stall_of_misses(misses, victim_steps)
        self._last_decision = None
        return self._observation(), self._info(invalid=False)

    def check_action(self, action: Any) -> Any:
        if self.prefetch_head:
            return self._check_prefetch_action(action)
        try:
            slot = int(action)
        except (TypeError, ValueError):
            slot = -1
        if slot != action or not 0 <= slot < self.capacity:
            raise ValueError(f"action must be a slot in [0, {self.capacity}), got {action!r}")
        return slot

    def step_sim(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        if self.prefetch_head:
            return self._step_with_prefetch(*action)
        sim = self.sim
        slot = action
        allowed = sim.pinned_mask()
        invalid = not allowed[slot]
        if invalid:
            slot = allowed.tolist().index(True)  # the first allowed slot
        if self.render_mode is not None:
            self._remember(slot, invalid)
        sim.evict(slot)
        stall, sim.pending_stall_ms = sim.pending_stall_ms, 0.0  # sim.take_stall(), inlined
        reward = -stall if self.reward_mode == "stall" else -1.0
        return self._observation(), reward, sim.done, False, self._info(invalid)

    def _check_prefetch_action(self, action: Any) -> tuple[int, int, int]:
        array = np.asarray(action)
        integral = array.dtype.kind in "iu" or (
            array.dtype.kind == "f" and bool(np.all(np.isfinite(array) & (array % 1 == 0)))
        )  # 1.5 is not a slot: no silent truncation (the Discrete path refuses it too)
        if not integral or not self.action_space.contains(array.astype(np.int64)):
            raise ValueError(
                f"action must be [slot, candidate, prefetch slot] in {self.action_space}, "
                f"got {action!r}"
            )
        slot, candidate, target = (int(a) for a in action)
        return slot, candidate, target

    def _step_with_prefetch(
        self, slot: int, candidate: int, target: int
    ) -> tuple[dict, float, bool, bool, dict]:
        sim = self.sim
        allowed = sim.pinned_mask().copy()
        invalid = not allowed[slot]
        if invalid:
            slot = int(np.argmax(allowed))
        if self.render_mode is not None:
            self._remember(slot, invalid)
        sim.place_incoming(slot)
        prefetched = False
        if 0 < candidate <= len(self._candidates) and target != slot and allowed[target]:
            sim.prefetch_into(self._candidates[candidate - 1][0], target)
            prefetched = True
        sim.advance()
        observation, reward, done, truncated, info = self._after_step(invalid)
        info["prefetched"] = prefetched
        return observation, reward, done, truncated, info

    def _after_step(self, invalid: bool) -> tuple[dict, float, bool, bool, dict]:
        sim = self.sim
        stall = sim.take_stall()
        reward = -stall if self.reward_mode == "stall" else -1.0
        return self._observation(), float(reward), sim.done, False, self._info(invalid)

    def action_masks(self) -> np.ndarray:
        """Slots that may be evicted now (MaskablePPO reads this).

        With a prefetch head: the slot mask, then which candidates exist (0 = none, always
        allowed), then the slot mask again, concatenated as MaskablePPO expects.
        """
        if self.sim is None or self.sim.done:
            slots = np.ones(self.capacity, dtype=bool)
        else:
            slots = self.sim.pinned_mask()
        if not self.prefetch_head:
            return slots
        offered = np.arange(self.prefetch_head + 1) <= len(self._candidates)
        return np.concatenate([slots, offered, slots])

    def render(self) -> np.ndarray | str | None:
        """The pending decision: a 272 x 640 ``rgb_array`` frame (the miss, the slots with their
        next use, pins, the last victim, the upcoming accesses; see ``render.py``) or ``ansi``
        text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame

        if self.render_mode == "ansi":
            return ansi(self, self._last_decision)
        return draw_frame(self, self._last_decision)

    # ------------------------------------------------------------------ internals
    def _remember(self, slot: int, invalid: bool) -> None:
        """Keep (slot, victim key, loaded key, invalid) of the decision for ``render``."""
        sim = self.sim
        self._last_decision = (slot, int(sim.resident_keys()[slot]), int(sim.incoming), invalid)

    def _new_sim(self) -> ExpertCacheSim:
        if self.trace is not None:
            trace = self.trace
        else:
            lengths = self.lengths.sample(self.n_requests, self.np_random)
            trace = self.routing.generate(np.maximum(lengths, 2), self.np_random)
        stream = decode_stream(trace, self.batch_size, self.unit)
        return ExpertCacheSim(
            stream,
            self.capacity,
            self.cost,
            window=self.window,
            lookahead_iterations=self.lookahead_iterations,
            oracle=self.oracle,
            prefetch=self.prefetch,
            freq_half_life=self.freq_half_life,
            pin=self.pin,
        )

    def _observation(self) -> dict[str, np.ndarray]:
        sim = self.sim
        keys, row = sim.observation_row()
        values = np.array(row, dtype=np.float32)  # one allocation for every float feature
        ids = np.array(keys, dtype=np.int64)
        width = self.capacity + 1
        observation = {
            "resident": ids[:-1],
            "incoming": ids[-1:],
            "next_use": values[:width],
            "age": values[width : 2 * width],
            "freq": values[2 * width : 3 * width],
            "backlog": values[3 * width :],
        }
        if self.prefetch_head:
            self._candidates = sim.prefetch_candidates(self.prefetch_head)
            ids = np.full(self.prefetch_head, -1, dtype=np.int64)
            near = np.ones(self.prefetch_head, dtype=np.float32)
            for index, (key, distance) in enumerate(self._candidates):
                ids[index] = key
                near[index] = -np.expm1(-distance / max(self.window, 1))
            observation["candidates"] = ids
            observation["candidate_next_use"] = near
        return observation

    def _info(self, invalid: bool) -> dict[str, Any]:
        sim = self.sim
        return {
            "hits": sim.hits,
            "misses": sim.misses,
            "loads": sim.loads,
            "stall_ms": sim.stall_ms,
            "hit_ratio": sim.hit_ratio,
            "accesses": sim.position,
            "belady_misses": self.belady_misses,
            "belady_stall_ms": self.belady_stall_ms,
            "prefetches": sim.prefetches,
            "action_mask": sim.pinned_mask()
            if not (self.prefetch_head or sim.done)
            else self.action_masks(),
            "invalid_action": invalid,
        }
