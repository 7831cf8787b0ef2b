"""Online expert cache over one access stream, stopping at each eviction decision.

``ExpertCacheSim`` replays an ``AccessStream`` like ``replay.replay`` (same demand paging, same
serial copy queue and stall timeline), but instead of a fixed policy it stops at every miss that
finds the cache full and waits for ``evict(slot)``. Hits and cold misses into free slots need no
decision. The arithmetic is shared with ``replay`` (``cost.layer_stall_ms``), so evicting as LRU
does here gives exactly ``replay(stream, capacity, 'lru', cost).stall_ms``.

What a policy may see (``observation_row``): the resident keys, for each slot and the incoming
key the distance to its next use *if that use is visible*, the age since its last use, a decayed
use frequency, the copy-queue backlog and the position within the serving iteration. A future access
is visible when it lies within ``window`` accesses and within ``lookahead_iterations`` iterations
after the current one (experts of tokens already pre-gated: the running iteration, all layers);
with ``oracle=True`` the whole stream is visible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cost import MoeCostModel, layer_stall_ms
from .bound import belady_misses, timeline_stall_ms
from .lookup import lookup_table, table_size
from .replay import next_use_positions
from .stream import AccessStream, visible_end

NEVER = -1
"""no last use yet"""


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
        self._visible = self.visible_end.tolist()
        self._first_use = np.full(stream.n_keys, self.n_accesses, dtype=np.int64)
        np.minimum.at(self._first_use, stream.keys, np.arange(self.n_accesses))
        layers = stream.layers_per_access
        expert_ms = np.asarray(cost.expert_ms(stream.tokens), dtype=float) * layers
        self._expert_ms = expert_ms.tolist()
        attention = cost.attention_ms(stream.step_context)
        base = (attention + cost.shared_ms(stream.step_tokens)) * layers
        step_ms = np.asarray(base, dtype=float) + np.bincount(
            stream.step, weights=expert_ms, minlength=stream.n_steps
        )
        self._step_ms = step_ms.tolist()
        self._prefix = np.concatenate(([0.0], np.cumsum(step_ms))).tolist()
        self.load_ms = cost.load_ms * layers
        """copy time of one key"""
        iterations = stream.step_iteration
        self._steps_per_iteration = max(1, int(np.bincount(iterations).max()))
        self._decay_per_access = 0.5 ** (1.0 / freq_half_life)
        size = table_size(self.n_accesses)
        self._near_of = lookup_table("near", -1.0 / max(self.window, 1), size)
        """next-use feature by distance"""
        self._age_of = lookup_table("age", 0.0, size)
        """age feature by accesses since the last use"""
        self._decay_of = lookup_table("decay", self._decay_per_access, size)
        """frequency decay by accesses elapsed"""
        self._no_pins = np.ones(self.capacity, dtype=bool)
        self.reset()

    # ------------------------------------------------------------------ episode state
    # Per-key state lives in Python lists: the hot loop reads and writes single entries, which
    # lists do several times faster than numpy arrays. Public array views are properties.
    def reset(self) -> None:
        """Empty cache at time 0, positioned at the first decision (or the end)."""
        n_keys = self.stream.n_keys
        self._resident = [-1] * self.capacity
        self._loaded_at = [-1] * self.capacity
        self._slot_of = [-1] * n_keys
        self._last_use = [NEVER] * n_keys
        self._key_next = self._first_use.tolist()
        self._freq_value = [0.0] * n_keys
        self._freq_time = [0] * n_keys
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
        self._pending: dict[int, float] = {}  # prefetched key not used yet -> copy ready time
        self.prefetches = 0
        """copies issued ahead of their miss (``prefetch_into``)"""
        self.incoming = -1
        """key waiting for a slot (-1 when no decision is pending)"""
        self.done = False
        self._mask: np.ndarray | None = None
        self.advance()

    @property
    def resident(self) -> np.ndarray:
        """int64 (capacity,): key held by each slot (-1 = empty)."""
        return np.array(self._resident, dtype=np.int64)

    def resident_keys(self) -> list[int]:
        """The resident keys as a list (shared: do not modify)."""
        return self._resident

    @property
    def loaded_at(self) -> np.ndarray:
        """int64 (capacity,): position of the access that filled each slot (FIFO order)."""
        return np.array(self._loaded_at, dtype=np.int64)

    @property
    def last_use(self) -> np.ndarray:
        """int64 (keys,): position of each key's last use (-1: never)."""
        return np.array(self._last_use, dtype=np.int64)

    @property
    def key_next(self) -> np.ndarray:
        """int64 (keys,): position of each key's next use in the whole trace (n: none)."""
        return np.array(self._key_next, dtype=np.int64)

    def belady_miss_positions(self, victims: list | None = None) -> np.ndarray:
        """Misses of Belady's MIN on the whole stream (the bound no policy beats).

        With ``victims`` (a list), the keys the misses evict are appended to it (-1: none).
        """
        return belady_misses(self._keys, self._next, self.stream.keys, self.capacity, victims)

    def stall_of_misses(
        self, miss_positions: np.ndarray, victim_steps: np.ndarray | None = None
    ) -> float:
        """Total stall of the stream when exactly ``miss_positions`` (ascending) miss: the
        arithmetic of ``replay.stall_timeline`` on the sim's precomputed times
        (``bound.timeline_stall_ms``); used for the Belady bound at each reset.
        ``victim_steps`` (``replay.victim_last_steps``) is required with ``prefetch``.
        """
        return timeline_stall_ms(
            miss_positions,
            victim_steps,
            self._steps,
            self._step_ms,
            self._expert_ms,
            self._prefix,
            self.load_ms,
            self.prefetch,
        )

    def take_stall(self) -> float:
        """Return and clear the stall accumulated since the previous call."""
        stall, self.pending_stall_ms = self.pending_stall_ms, 0.0
        return stall

    # ------------------------------------------------------------------ dynamics
    def advance(self) -> bool:
        """Serve accesses until a decision is needed; return False when the stream is done."""
        self._mask = None
        keys, steps, slot_of, following = self._keys, self._steps, self._slot_of, self._next
        last_use, key_next, decay_of = self._last_use, self._key_next, self._decay_of
        freq_value, freq_time, pending = self._freq_value, self._freq_time, self._pending
        step_keys, step = self._step_keys, self._step
        position, n_accesses, hits = self.position, self.n_accesses, self.hits
        while position < n_accesses:
            key = keys[position]
            if steps[position] != step:
                self.position = position
                self._close_step()
                self._open_step(steps[position])
                step_keys, step = self._step_keys, self._step
            if slot_of[key] >= 0:
                hits += 1
                if pending and key in pending:  # first use of a prefetched copy
                    self._ready.append(pending.pop(key))
                    self._busy.append(self._expert_ms[position])
            elif self.n_resident < self.capacity:
                self.position = position
                slot = self.n_resident
                self.n_resident += 1
                self._load(key, slot, -1)
            else:
                self.position, self.hits = position, hits
                self.incoming = key
                return True
            # the use itself (also in ``place_incoming``; inlined: this loop is the hot path)
            freq_value[key] = freq_value[key] * decay_of[position - freq_time[key]] + 1.0
            freq_time[key] = last_use[key] = position
            key_next[key] = following[position]
            step_keys.append(key)
            position += 1
        self.position, self.hits = position, hits
        self._close_step()
        self.incoming = -1
        self.done = True
        return False

    def evict(self, slot: int) -> None:
        """Evict ``slot`` for the pending incoming key, then run to the next decision."""
        self.place_incoming(slot)
        self.advance()

    def place_incoming(self, slot: int) -> None:
        """Evict ``slot`` and load the pending incoming key there (call ``advance`` next)."""
        key, position = self.incoming, self.position
        if key < 0:
            raise ValueError("ExpertCacheSim.evict: no decision is pending")
        slot_of = self._slot_of
        victim = self._resident[slot]
        slot_of[victim] = -1
        if self._pending:
            self._pending.pop(victim, None)
        victim_use = self._last_use[victim]
        self._load(key, slot, self._steps[victim_use] if victim_use >= 0 else -1)
        # the use itself, as in ``advance``
        freq_time = self._freq_time
        elapsed = position - freq_time[key]
        self._freq_value[key] = self._freq_value[key] * self._decay_of[elapsed] + 1.0
        freq_time[key] = self._last_use[key] = position
        self._key_next[key] = self._next[position]
        self._step_keys.append(key)
        self.position = position + 1
        self.incoming = -1

    def prefetch_candidates(self, count: int) -> list[tuple[int, int]]:
        """Up to ``count`` (key, distance) of visible upcoming keys that are not resident.

        In order of first upcoming use, the incoming key excluded; these are what a prefetch
        may load ahead of its miss.
        """
        position = self.position
        if position >= self.n_accesses or count <= 0:
            return []
        keys, slot_of, incoming = self._keys, self._slot_of, self.incoming
        found: list[tuple[int, int]] = []
        seen: set[int] = set()
        for ahead in range(position + 1, self._visible[position]):
            key = keys[ahead]
            if slot_of[key] < 0 and key != incoming and key not in seen:
                seen.add(key)
                found.append((key, ahead - position))
                if len(found) == count:
                    break
        return found

    def prefetch_into(self, key: int, slot: int) -> None:
        """Copy ``key`` into ``slot`` now, ahead of its miss (the slot's key is evicted).

        The copy joins the serial queue at the running step's start; the key's next access is
        a hit that waits for the copy if it is not ready yet.
        """
        if self._slot_of[key] >= 0:
            raise ValueError(f"ExpertCacheSim.prefetch_into: key {key} is already resident")
        victim = self._resident[slot]
        if victim >= 0:
            self._slot_of[victim] = -1
            self._pending.pop(victim, None)
        self._resident[slot] = key
        self._loaded_at[slot] = self.position
        self._slot_of[key] = slot
        self.loads += 1
        self.prefetches += 1
        self.queue_free_ms = max(self.queue_free_ms, self._step_start) + self.load_ms
        self._pending[key] = self.queue_free_ms
        self._mask = None

    def _load(self, key: int, slot: int, victim_step: int) -> None:
        """Miss on ``key`` into ``slot``, whose evicted key was last used in ``victim_step``.

        With ``prefetch`` the copy starts when the previous step starts, unless the evicted key
        was used in the previous (or the running) step: it is overwritten from this step's start.
        """
        self.misses += 1
        self.loads += 1
        self._resident[slot] = key
        self._loaded_at[slot] = self.position
        self._slot_of[key] = slot
        if self.prefetch and victim_step < self._step - 1:
            issue = self._previous_start
        else:
            issue = self._step_start
        self.queue_free_ms = max(self.queue_free_ms, issue) + self.load_ms
        self._ready.append(self.queue_free_ms)
        self._busy.append(self._expert_ms[self.position])

    def _open_step(self, step: int) -> None:
        prefix = self._prefix
        if step - 1 >= self._next_step:  # steps without accesses in between
            self._previous_start = self.now_ms + prefix[step - 1] - prefix[self._next_step]
        self.now_ms += prefix[step] - prefix[self._next_step]
        self._step, self._step_start = step, self.now_ms
        self._ready, self._busy, self._step_keys = [], [], []

    def _close_step(self) -> None:
        step = self._step
        if step < 0:
            return
        ready, busy = self._ready, self._busy
        if not ready:  # every expert was resident: no stall (layer_stall_ms would say the same)
            self.now_ms = self._step_start + self._step_ms[step]
            self._previous_start = self._step_start
            self._next_step = step + 1
            self._step = -1
            return
        base = self._step_ms[step] - sum(busy)
        if self.prefetches and any(b < a for a, b in zip(ready, ready[1:], strict=False)):
            order = sorted(range(len(ready)), key=ready.__getitem__)  # prefetched copies
            ready, busy = [ready[i] for i in order], [busy[i] for i in order]
        stall, end = layer_stall_ms(self._step_start, base, ready, busy)
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
        evictable. Prefetched copies still in flight are pinned too (while another slot stays
        allowed). The array is shared until the next decision: copy it before changing it.
        """
        if self._mask is not None:
            return self._mask
        allowed = self._no_pins.copy()
        count = self.capacity - 1 if self.pin is None else min(self.pin, self.capacity - 1)
        slot_of, free = self._slot_of, self.capacity
        for key in self._step_keys[-count:] if count > 0 else ():
            slot = slot_of[key]
            if slot >= 0:  # the keys of one call are distinct, so are their slots
                allowed[slot] = False
                free -= 1
        for key, ready in self._pending.items():  # copies still in flight
            if ready > self.now_ms and free > 1:
                allowed[slot_of[key]] = False
                free -= 1
        self._mask = allowed
        return allowed

    def _upcoming(self, keys: Any) -> list[int]:
        """Absolute next-use position of each key (the incoming key: its use after this one)."""
        key_next, incoming = self._key_next, self.incoming
        follow = self._next[self.position] if self.position < self.n_accesses else 0
        return [follow if key == incoming else key_next[key] for key in keys]

    def visible_next_use(self, keys: Any) -> np.ndarray:
        """Distance (in accesses) to the next visible use of each key; -1 where none is visible.

        The incoming key's own access is not counted: its next use is the one after it.
        """
        keys = [int(k) for k in keys]
        position = self.position
        if position >= self.n_accesses:
            return np.full(len(keys), -1, dtype=np.int64)
        horizon = self._visible[position]
        return np.array(
            [u - position if u < horizon else -1 for u in self._upcoming(keys)], dtype=np.int64
        )

    def ages(self, keys: Any) -> np.ndarray:
        """Accesses since each key's last use (position + 1 when never used)."""
        last, position = self._last_use, self.position
        return np.array([position - last[int(k)] for k in keys], dtype=np.int64)

    def frequencies(self, keys: Any) -> np.ndarray:
        """Use counts decayed with the half-life (in accesses), at the current position."""
        value, time, decay = self._freq_value, self._freq_time, self._decay_per_access
        position = self.position
        return np.array(
            [value[int(k)] * decay ** (position - time[int(k)]) for k in keys], dtype=float
        )

    def features(self, keys: list[int]) -> tuple[list[float], list[float], list[float]]:
        """Next-use, age and frequency features of ``keys`` (``feature_row``, split in three)."""
        row = self.feature_row(keys)
        size = len(row) // 3
        return row[:size], row[size : 2 * size], row[2 * size :]

    def feature_row(self, keys: list[int]) -> list[float]:
        """The next-use, age and frequency features of ``keys``, concatenated (the env's hot path).

        Looked up in per-process tables by integer distance, age and elapsed accesses: the same
        floats as the formulas, without a ``math`` call per key (one plain loop: faster than
        comprehensions or numpy for a few keys).
        """
        position = self.position
        if position < self.n_accesses:
            horizon, follow = self._visible[position], self._next[position]
        else:
            horizon, follow = -1, 0
        incoming, key_next, near_of = self.incoming, self._key_next, self._near_of
        last, age_of = self._last_use, self._age_of
        value, time, decay_of = self._freq_value, self._freq_time, self._decay_of
        share = 1.0 - self._decay_per_access
        near, ages, freqs = [], [], []
        add_near, add_age, add_freq = near.append, ages.append, freqs.append
        for key in keys:
            use = follow if key == incoming else key_next[key]
            add_near(near_of[use - position] if use < horizon else 1.0)
            add_age(age_of[position - last[key]])
            freq = value[key] * decay_of[position - time[key]] * share
            add_freq(freq if freq < 1.0 else 1.0)
        return near + ages + freqs

    def observation_row(self) -> tuple[list[int], list[float]]:
        """What the env observes at a decision, as plain lists (one call per step).

        Returns:
            ``(keys, row)``: the resident keys then the incoming one (the first resident key when
            no decision is pending); ``feature_row(keys)`` then the backlog in loads and the
            iteration phase.
        """
        resident = self._resident
        keys = resident + [self.incoming if self.incoming >= 0 else resident[0]]
        row = self.feature_row(keys)
        backlog = self.queue_free_ms - self.now_ms
        step = self._steps[min(self.position, self.n_accesses - 1)]
        per_iteration = self._steps_per_iteration
        row += (
            (backlog if backlog > 0.0 else 0.0) / self.load_ms,
            (step % per_iteration) / per_iteration,
        )
        return keys, row

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
