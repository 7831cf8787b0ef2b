"""Online expert cache over one access stream, stopping at each eviction decision.

``ExpertCacheSim`` replays an ``AccessStream`` like ``replay.replay`` (same demand paging, same
serial copy queue and stall timeline), but instead of a fixed policy it stops at every miss that
finds the cache full and waits for ``evict(slot)``. Hits and cold misses into free slots need no
decision. The arithmetic is shared with ``replay`` (``cost.layer_stall_ms``), so evicting as LRU
does here gives exactly ``replay(stream, capacity, 'lru', cost).stall_ms``.

What a policy may see (``observe``): the resident keys, for each slot and the incoming key the
distance to its next use *if that use is visible*, the age since its last use, a decayed use
frequency, the copy-queue backlog and the position within the serving iteration. A future access
is visible when it lies within ``window`` accesses and within ``lookahead_iterations`` iterations
after the current one (experts of tokens already pre-gated: the running iteration, all layers);
with ``oracle=True`` the whole stream is visible.
"""

from __future__ import annotations

import numpy as np

from .cache_stream import AccessStream
from .cost import MoeCostModel, layer_stall_ms
from .replay import next_use_positions

NEVER = -1
"""no last use yet"""


def visible_end(
    stream: AccessStream, window: int, lookahead_iterations: int | None, oracle: bool = False
) -> np.ndarray:
    """For each position, the first later position that is *not* visible.

    Visible: within ``window`` accesses and within ``lookahead_iterations`` iterations after the
    running one (None: no iteration limit); everything with ``oracle``.
    """
    n = len(stream)
    if oracle:
        return np.full(n, n, dtype=np.int64)
    ends = np.minimum(np.arange(n, dtype=np.int64) + 1 + int(window), n)
    if lookahead_iterations is not None:
        iteration = stream.step_iteration[stream.step].astype(np.int64)
        last = iteration + int(lookahead_iterations)
        ends = np.minimum(ends, np.searchsorted(iteration, last, side="right"))
    return ends


class ExpertCacheSim:
    """Demand-paged expert cache with decisions at misses on a full cache."""

    def __init__(
        self,
        stream: AccessStream,
        capacity: int,
        cost: MoeCostModel,
        window: int = 64,
        lookahead_iterations: int | None = 0,
        oracle: bool = False,
        prefetch: bool = False,
        freq_half_life: float = 256.0,
        pin: int | None = 1,
    ) -> None:
        self.stream = stream
        self.pin = pin
        """keys of the running layer call that cannot be evicted: the ``pin`` most recent
        (None: all it used); always at most capacity - 1"""
        self.capacity = int(capacity)
        self.cost = cost
        self.window = int(window)
        self.lookahead_iterations = lookahead_iterations
        self.freq_half_life = float(freq_half_life)
        self.oracle = bool(oracle)
        self.prefetch = bool(prefetch)
        self.n_accesses = len(stream)
        self._keys = stream.keys.tolist()
        self._steps = stream.step.tolist()
        self.next_use = next_use_positions(stream.keys)
        """int64 (accesses,): position of the next access to the same key (n if none)"""
        self._next = self.next_use.tolist()
        self.visible_end = visible_end(stream, self.window, lookahead_iterations, self.oracle)
        """int64 (accesses,): accesses before this position are visible at each position"""
        layers = stream.layers_per_access
        self._expert_ms = (np.asarray(cost.expert_ms(stream.tokens), dtype=float) * layers).tolist()
        base = (cost.attention_ms(0.0) + cost.shared_ms(stream.step_tokens)) * layers
        step_ms = np.asarray(base, dtype=float) + np.bincount(
            stream.step, weights=np.asarray(self._expert_ms), minlength=stream.n_steps
        )
        self._step_ms = step_ms.tolist()
        self._prefix = np.concatenate(([0.0], np.cumsum(step_ms))).tolist()
        self.load_ms = cost.load_ms * layers
        """copy time of one key"""
        iterations = stream.step_iteration
        self._steps_per_iteration = max(1, int(np.bincount(iterations).max()))
        self._decay_per_access = 0.5 ** (1.0 / freq_half_life)
        self.reset()

    # ------------------------------------------------------------------ episode state
    def reset(self) -> None:
        """Empty cache at time 0, positioned at the first decision (or the end)."""
        n_keys = self.stream.n_keys
        self.resident = np.full(self.capacity, -1, dtype=np.int64)
        """key held by each slot (-1 = empty)"""
        self.loaded_at = np.full(self.capacity, -1, dtype=np.int64)
        """position of the access that filled each slot (FIFO order)"""
        self.slot_of = np.full(n_keys, -1, dtype=np.int64)
        self.last_use = np.full(n_keys, NEVER, dtype=np.int64)
        self.key_next = np.full(n_keys, self.n_accesses, dtype=np.int64)
        first = np.full(n_keys, self.n_accesses, dtype=np.int64)
        np.minimum.at(first, self.stream.keys, np.arange(self.n_accesses))
        self.key_next[:] = first
        self._freq_value = np.zeros(n_keys)
        self._freq_time = np.zeros(n_keys, dtype=np.int64)
        self.n_resident = 0
        self.position = 0
        """index of the access being served"""
        self.hits = self.misses = self.loads = 0
        self.stall_ms = 0.0
        """stall accumulated over closed steps"""
        self.pending_stall_ms = 0.0
        """stall since the last call to ``take_stall``"""
        self.now_ms = 0.0
        self.queue_free_ms = 0.0
        self._step = -1
        self._next_step = 0
        self._step_start = self._previous_start = 0.0
        self._ready: list[float] = []
        self._busy: list[float] = []
        self._step_keys: list[int] = []
        self.incoming = -1
        """key waiting for a slot (-1 when no decision is pending)"""
        self.done = False
        self._mask: np.ndarray | None = None
        self.advance()

    def take_stall(self) -> float:
        """Return and clear the stall accumulated since the previous call."""
        stall, self.pending_stall_ms = self.pending_stall_ms, 0.0
        return stall

    # ------------------------------------------------------------------ dynamics
    def advance(self) -> bool:
        """Serve accesses until a decision is needed; return False when the stream is done."""
        self._mask = None
        keys, steps, slot_of = self._keys, self._steps, self.slot_of
        while self.position < self.n_accesses:
            position = self.position
            key = keys[position]
            if steps[position] != self._step:
                self._close_step()
                self._open_step(steps[position])
            if slot_of[key] >= 0:
                self.hits += 1
            elif self.n_resident < self.capacity:
                slot = self.n_resident
                self.n_resident += 1
                self._load(key, slot)
            else:
                self.incoming = key
                return True
            self._touch(key, position)
        self._close_step()
        self.incoming = -1
        self.done = True
        return False

    def evict(self, slot: int) -> None:
        """Evict ``slot`` for the pending incoming key, then run to the next decision."""
        if self.incoming < 0:
            raise ValueError("ExpertCacheSim.evict: no decision is pending")
        victim = int(self.resident[slot])
        self.slot_of[victim] = -1
        key = self.incoming
        self._load(key, slot)
        self._touch(key, self.position)
        self.incoming = -1
        self.advance()

    def _load(self, key: int, slot: int) -> None:
        self.misses += 1
        self.loads += 1
        self.resident[slot] = key
        self.loaded_at[slot] = self.position
        self.slot_of[key] = slot
        issue = self._previous_start if self.prefetch and self._step > 0 else self._step_start
        self.queue_free_ms = max(self.queue_free_ms, issue) + self.load_ms
        self._ready.append(self.queue_free_ms)
        self._busy.append(self._expert_ms[self.position])

    def _touch(self, key: int, position: int) -> None:
        elapsed = position - self._freq_time[key]
        self._freq_value[key] = self._freq_value[key] * self._decay_per_access**elapsed + 1.0
        self._freq_time[key] = position
        self.last_use[key] = position
        self.key_next[key] = self._next[position]
        self._step_keys.append(key)
        self.position = position + 1

    def _open_step(self, step: int) -> None:
        prefix = self._prefix
        if step - 1 >= self._next_step:  # steps without accesses in between
            self._previous_start = self.now_ms + prefix[step - 1] - prefix[self._next_step]
        self.now_ms += prefix[step] - prefix[self._next_step]
        self._step, self._step_start = step, self.now_ms
        self._ready, self._busy, self._step_keys = [], [], []

    def _close_step(self) -> None:
        if self._step < 0:
            return
        base = self._step_ms[self._step] - sum(self._busy)
        stall, end = layer_stall_ms(self._step_start, base, self._ready, self._busy)
        self.stall_ms += stall
        self.pending_stall_ms += stall
        self.now_ms = end
        self._previous_start = self._step_start
        self._next_step = self._step + 1
        self._step = -1

    # ------------------------------------------------------------------ what a policy sees
    def pinned_mask(self) -> np.ndarray:
        """True for slots that may be evicted now.

        The ``pin`` most recent keys of the running layer call are pinned (all of them with
        ``pin=None``; the default 1 is the expert being computed, since experts of one call
        run one after another), never more than ``capacity - 1`` so that one slot always stays
        evictable. The array is shared until the next decision: copy it before changing it.
        """
        if self._mask is not None:
            return self._mask
        allowed = np.ones(self.capacity, dtype=bool)
        count = self.capacity - 1 if self.pin is None else min(self.pin, self.capacity - 1)
        recent = self._step_keys[-count:] if count > 0 else []
        for key in recent:
            slot = self.slot_of[key]
            if slot >= 0:
                allowed[slot] = False
        self._mask = allowed
        return allowed

    def visible_next_use(self, keys: np.ndarray) -> np.ndarray:
        """Distance (in accesses) to the next visible use of each key; -1 where none is visible.

        The incoming key's own access is not counted: its next use is the one after it.
        """
        position = self.position
        if position >= self.n_accesses:
            return np.full(keys.shape, -1, dtype=np.int64)
        upcoming = self.key_next[keys].copy()
        incoming = keys == self.incoming
        if self.incoming >= 0 and np.any(incoming):
            upcoming[incoming] = self._next[position]
        distance = upcoming - position
        distance[upcoming >= self.visible_end[position]] = -1
        return distance

    def ages(self, keys: np.ndarray) -> np.ndarray:
        """Accesses since each key's last use (position + 1 when never used)."""
        return self.position - self.last_use[keys]

    def frequencies(self, keys: np.ndarray) -> np.ndarray:
        """Use counts decayed with the half-life (in accesses), at the current position."""
        elapsed = self.position - self._freq_time[keys]
        return self._freq_value[keys] * self._decay_per_access**elapsed

    def backlog_ms(self) -> float:
        """Copy time still queued at the current compute time."""
        return max(0.0, self.queue_free_ms - self.now_ms)

    def iteration_phase(self) -> float:
        """Position of the running step within its iteration, in [0, 1)."""
        step = self._steps[min(self.position, self.n_accesses - 1)]
        return (step % self._steps_per_iteration) / self._steps_per_iteration

    def next_use_feature(self, keys: np.ndarray) -> np.ndarray:
        """``1 - exp(-d / W)`` for a visible next use at distance d, 1 when none is visible."""
        distance = self.visible_next_use(keys).astype(float)
        scale = max(self.window, 1)
        feature = 1.0 - np.exp(-np.maximum(distance, 0.0) / scale)
        feature[distance < 0] = 1.0
        return feature

    def features(self, keys: np.ndarray, out: np.ndarray) -> None:
        """Write next-use, age and frequency features of ``keys`` into ``out`` (3, len(keys)).

        Same values as ``next_use_feature``, ``age_feature`` and ``freq_feature``, in fewer
        numpy calls (this is the env's hot path).
        """
        position = self.position
        if position >= self.n_accesses:
            out[0] = 1.0
        else:
            upcoming = self.key_next[keys]
            if self.incoming >= 0:
                upcoming[-1] = self._next[position]
            distance = upcoming - position
            out[0] = np.where(
                upcoming < self.visible_end[position],
                -np.expm1(distance * (-1.0 / max(self.window, 1))),
                1.0,
            )
        logged = np.log1p(position - self.last_use[keys])
        out[1] = logged / (1.0 + logged)
        decay = self._decay_per_access
        freq = self._freq_value[keys] * np.power(decay, position - self._freq_time[keys])
        out[2] = np.minimum(freq * (1.0 - decay), 1.0)

    @staticmethod
    def age_feature(ages: np.ndarray) -> np.ndarray:
        """``log1p(age) / (1 + log1p(age))`` in [0, 1)."""
        logged = np.log1p(np.maximum(ages, 0))
        return logged / (1.0 + logged)

    def freq_feature(self, freqs: np.ndarray) -> np.ndarray:
        """Decayed frequency times (1 - decay): roughly the share of recent accesses."""
        return np.clip(freqs * (1.0 - self._decay_per_access), 0.0, 1.0)

    @property
    def hit_ratio(self) -> float:
        """Hits over accesses served so far (0 before any)."""
        served = self.hits + self.misses
        return self.hits / served if served else 0.0

    def __repr__(self) -> str:
        return (
            f"ExpertCacheSim(capacity={self.capacity}, accesses={self.n_accesses}, "
            f"position={self.position}, hits={self.hits}, misses={self.misses}, "
            f"stall_ms={self.stall_ms:.3f})"
        )

