"""Expert-cache eviction baselines for ``netgym/MoeExpertCache-v0`` and for ``replay``.

Every policy works two ways:

- as an env policy: ``policy.reset(env)`` then ``policy.act(obs, info) -> slot``; it reads the
  running episode's ``env.unwrapped.sim`` (``ExpertCacheSim``: resident keys, ages, decayed
  frequencies, visible next uses) and never picks a slot the action mask rules out;
- as a replay policy: ``replay(stream, capacity, policy)`` calls its ``miss_positions``.

| name | rule |
|---|---|
| ``random`` | a uniformly random evictable slot |
| ``fifo`` | the slot loaded longest ago |
| ``lru`` | the least recently used key |
| ``lru-layer`` | LRU among the incoming key's layer, else global LRU (Mixtral-offloading) |
| ``lfu`` | the smallest use count decayed with a half-life (LFU with ageing); ties by LRU |
| ``static`` | keep the capacity - 1 most frequent keys of the episode pinned (FreeToken #174's
  static oracle); LRU among the others |
| ``belady-window`` | farthest *visible* next use, LRU among keys with none (Read-ME) |
| ``belady-window-prefetch`` | windowed Belady, and prefetches the nearest visible missing
  expert into the slot of the next-farthest use (env with ``prefetch_head`` only) |
| ``belady`` | farthest next use in the whole trace (oracle; Belady's MIN in replay) |

In the env, pinned slots (keys the running layer call already uses) are never evicted, so the
env's Belady can miss more than the unconstrained MIN bound reported in ``info``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...envs.moe.cache.replay import (
    belady_miss_positions,
    fifo_miss_positions,
    generic_miss_positions,
    lru_miss_positions,
    next_use_positions,
)
from ...envs.moe.cache.stream import AccessStream, visible_end

_FAR = 1 << 40
"""stands for 'no visible next use'"""


class EvictionPolicy:
    """Shared plumbing: the env handle, masked argmax, replay through per-access hooks."""

    name = "eviction"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.env: Any = None

    # env protocol
    def reset(self, env: Any) -> None:
        """Remember the env; its ``sim`` changes at every ``env.reset``."""
        self.env = env.unwrapped

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The slot to evict (with a prefetch head: ``[slot, 0, slot]``, no prefetch)."""
        sim = self.env.sim
        allowed = sim.pinned_mask()
        scores = self.scores(sim).astype(float)
        scores[~allowed] = -np.inf
        return self._action(int(np.argmax(scores)))

    def _action(self, slot: int) -> Any:
        if getattr(self.env, "prefetch_head", 0):
            return np.array([slot, 0, slot], dtype=np.int64)
        return slot

    def scores(self, sim: Any) -> np.ndarray:
        """Eviction preference per slot (the largest allowed score is evicted)."""
        raise NotImplementedError

    # replay protocol
    def miss_positions(
        self,
        stream: AccessStream,
        capacity: int,
        rng: np.random.Generator,
        victims: list | None = None,
    ) -> np.ndarray:
        """Sorted positions of this policy's misses on ``stream`` (``victims``: evicted keys)."""
        return generic_miss_positions(_Hooks(self), stream, capacity, rng, victims)

    def replay_setup(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        """Prepare per-stream state for ``replay_victim``."""

    def replay_on_access(self, position: int, key: int) -> None:
        """Bookkeeping after every replayed access."""

    def replay_victim(self, position: int, key: int, resident: list[int], last: dict) -> int:
        """Key to evict in replay (``last``: key -> position of its last use)."""
        raise NotImplementedError


class _Hooks:
    """Adapts an ``EvictionPolicy`` to replay's per-access protocol."""

    def __init__(self, policy: EvictionPolicy) -> None:
        self.policy = policy
        self.name = policy.name
        self.last: dict[int, int] = {}

    def reset(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        self.last = {}
        self.policy.replay_setup(stream, capacity, rng)

    def on_access(self, position: int, key: int, hit: bool) -> None:
        self.last[key] = position
        self.policy.replay_on_access(position, key)

    def evict(self, position: int, key: int, resident: list[int]) -> int:
        return self.policy.replay_victim(position, key, resident, self.last)


def _lru_key(candidates: list[int], last: dict) -> int:
    return min(candidates, key=lambda k: last.get(k, -1))


class RandomEviction(EvictionPolicy):
    """Evict a uniformly random allowed slot."""

    name = "random"

    def reset(self, env: Any) -> None:
        super().reset(env)
        self.rng = np.random.default_rng(self.seed)

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        allowed = np.flatnonzero(self.env.sim.pinned_mask())
        return self._action(int(allowed[self.rng.integers(allowed.size)]))

    def replay_setup(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        self.rng = rng

    def replay_victim(self, position: int, key: int, resident: list[int], last: dict) -> int:
        return resident[int(self.rng.integers(len(resident)))]


class Fifo(EvictionPolicy):
    """Evict the slot loaded longest ago."""

    name = "fifo"

    def scores(self, sim: Any) -> np.ndarray:
        return -sim.loaded_at

    def miss_positions(self, stream, capacity, rng, victims=None):
        return fifo_miss_positions(stream.keys, capacity, victims)


class Lru(EvictionPolicy):
    """Evict the least recently used key."""

    name = "lru"

    def scores(self, sim: Any) -> np.ndarray:
        return sim.ages(sim.resident)

    def miss_positions(self, stream, capacity, rng, victims=None):
        return lru_miss_positions(stream.keys, capacity, victims)


class LruPerLayer(EvictionPolicy):
    """LRU among resident keys of the incoming key's layer; global LRU when there is none.

    Keys are ``layer x n_experts + expert`` (unit 'layer'), so each layer keeps the slots it
    filled, as Mixtral-offloading's per-layer LRU caches do.
    """

    name = "lru-layer"

    def __init__(self, n_experts: int | None = None, seed: int = 0) -> None:
        super().__init__(seed)
        self.n_experts = n_experts

    def _experts(self) -> int:
        if self.n_experts is not None:
            return self.n_experts
        return self.env.cost.model.n_experts

    def scores(self, sim: Any) -> np.ndarray:
        ages = sim.ages(sim.resident).astype(float)
        n_experts = self._experts()
        same = (sim.resident // n_experts) == (sim.incoming // n_experts)
        allowed = sim.pinned_mask()
        if np.any(same & allowed):
            ages[~same] = -1.0
        return ages

    def replay_setup(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        if self.n_experts is None:
            raise ValueError("LruPerLayer needs n_experts to replay a bare stream")

    def replay_victim(self, position: int, key: int, resident: list[int], last: dict) -> int:
        layer = key // self.n_experts
        same = [k for k in resident if k // self.n_experts == layer]
        return _lru_key(same or resident, last)


class LfuAgeing(EvictionPolicy):
    """Evict the smallest use count decayed with a half-life (in accesses); ties by LRU."""

    name = "lfu"

    def __init__(self, half_life: float | None = None, seed: int = 0) -> None:
        super().__init__(seed)
        self.half_life = half_life

    def reset(self, env: Any) -> None:
        """In the env, counts are the env's (``freq_half_life``): a different half-life is an
        error rather than silently ignored."""
        super().reset(env)
        counted = float(self.env.freq_half_life)
        if self.half_life is not None and float(self.half_life) != counted:
            raise ValueError(
                f"LfuAgeing(half_life={float(self.half_life)}) but the env counts with "
                f"{counted}: pass freq_half_life={float(self.half_life)} to the env, or no "
                "half_life to the policy"
            )

    def scores(self, sim: Any) -> np.ndarray:
        freqs = sim.frequencies(sim.resident)
        ages = sim.ages(sim.resident)
        return -freqs + ages * 1e-12  # older wins ties

    def replay_setup(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        self.decay = 0.5 ** (1.0 / (self.half_life or 256.0))
        self.value: dict[int, float] = {}
        self.time: dict[int, int] = {}

    def replay_on_access(self, position: int, key: int) -> None:
        elapsed = position - self.time.get(key, position)
        self.value[key] = self.value.get(key, 0.0) * self.decay**elapsed + 1.0
        self.time[key] = position

    def replay_victim(self, position: int, key: int, resident: list[int], last: dict) -> int:
        def decayed(k: int) -> tuple[float, int]:
            return (self.value[k] * self.decay ** (position - self.time[k]), last[k])

        return min(resident, key=decayed)


class StaticPinning(EvictionPolicy):
    """Pin the ``capacity - 1`` most frequent keys of the episode; LRU among the rest.

    A static oracle: the frequencies are counted over the whole episode's stream.
    """

    name = "static"

    def _pinned(self, stream: AccessStream, capacity: int) -> np.ndarray:
        counts = np.bincount(stream.keys, minlength=stream.n_keys)
        top = np.argsort(-counts, kind="stable")[: max(capacity - 1, 0)]
        pinned = np.zeros(stream.n_keys, dtype=bool)
        pinned[top] = True
        return pinned

    def reset(self, env: Any) -> None:
        super().reset(env)
        self._stream = None

    def scores(self, sim: Any) -> np.ndarray:
        if self._stream is not sim.stream:
            self._stream = sim.stream
            self.pinned = self._pinned(sim.stream, sim.capacity)
        ages = sim.ages(sim.resident).astype(float)
        ages[self.pinned[sim.resident]] = -1.0
        return ages

    def replay_setup(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        self.pinned = self._pinned(stream, capacity)

    def replay_victim(self, position: int, key: int, resident: list[int], last: dict) -> int:
        loose = [k for k in resident if not self.pinned[k]]
        return _lru_key(loose or resident, last)


class BeladyWindow(EvictionPolicy):
    """Read-ME's policy: evict the key whose next use is farthest within the visible window.

    Keys with no visible use count as farthest, LRU among them. In the env the window is the
    env's (``window``, ``lookahead_iterations``); in replay it is this policy's arguments.
    """

    name = "belady-window"

    def __init__(
        self, window: int = 64, lookahead_iterations: int | None = 0, seed: int = 0
    ) -> None:
        super().__init__(seed)
        self.window = window
        self.lookahead_iterations = lookahead_iterations

    def scores(self, sim: Any) -> np.ndarray:
        distance = sim.visible_next_use(sim.resident).astype(float)
        unseen = distance < 0
        distance[unseen] = _FAR + sim.ages(sim.resident)[unseen]
        return distance

    def replay_setup(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        self.next_use = next_use_positions(stream.keys)
        self.visible = visible_end(stream, self.window, self.lookahead_iterations)
        self.key_next: dict[int, int] = {}

    def replay_on_access(self, position: int, key: int) -> None:
        self.key_next[key] = int(self.next_use[position])

    def replay_victim(self, position: int, key: int, resident: list[int], last: dict) -> int:
        horizon = int(self.visible[position])

        def farthest(k: int) -> tuple[int, int]:
            upcoming = self.key_next[k]
            return (upcoming if upcoming < horizon else _FAR, -last[k])

        return max(resident, key=farthest)


class BeladyWindowPrefetch(BeladyWindow):
    """Windowed Belady that also prefetches (env with ``prefetch_head`` only).

    At each decision it prefetches the nearest visible upcoming expert that is not resident into
    the allowed slot with the next-farthest visible use, when that use is farther than the
    candidate's (pre-gated prefetch, Read-ME section 4 / Pre-gated MoE). Without a prefetch
    head it is ``belady-window``.
    """

    name = "belady-window-prefetch"

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        sim = self.env.sim
        allowed = sim.pinned_mask()
        scores = self.scores(sim).astype(float)
        scores[~allowed] = -np.inf
        slot = int(np.argmax(scores))
        if not getattr(self.env, "prefetch_head", 0):
            return slot
        scores[slot] = -np.inf
        target = int(np.argmax(scores))
        candidates = obs["candidates"]
        if candidates[0] < 0 or not np.isfinite(scores[target]):
            return np.array([slot, 0, slot], dtype=np.int64)
        nearest = int(sim.visible_next_use([int(candidates[0])])[0])
        if scores[target] <= nearest:
            return np.array([slot, 0, slot], dtype=np.int64)
        return np.array([slot, 1, target], dtype=np.int64)

    def miss_positions(self, stream, capacity, rng, victims=None):
        raise ValueError("belady-window-prefetch prefetches: it runs in the env, not in replay")


class BeladyFull(EvictionPolicy):
    """Oracle: evict the key whose next use is farthest in the whole trace (Belady's MIN)."""

    name = "belady"

    def scores(self, sim: Any) -> np.ndarray:
        return sim.key_next[sim.resident].astype(float)

    def miss_positions(self, stream, capacity, rng, victims=None):
        return belady_miss_positions(stream.keys, capacity, victims)


EVICTION_POLICIES: dict[str, tuple[type[EvictionPolicy], str]] = {
    "random": (RandomEviction, "uniformly random evictable slot"),
    "fifo": (Fifo, "first in, first out"),
    "lru": (Lru, "least recently used (global)"),
    "lru-layer": (LruPerLayer, "LRU within the incoming expert's layer (Mixtral-offloading)"),
    "lfu": (LfuAgeing, "least frequently used, counts halved every 256 accesses"),
    "static": (StaticPinning, "top-frequency experts pinned (static oracle), LRU for the rest"),
    "belady-window": (BeladyWindow, "farthest next use within the pre-gated window (Read-ME)"),
    "belady-window-prefetch": (
        BeladyWindowPrefetch,
        "windowed Belady + prefetch of the nearest visible missing expert (prefetch head)",
    ),
    "belady": (BeladyFull, "farthest next use in the whole trace (oracle, MIN)"),
}
"""name -> (class, description)"""


def make_eviction_policy(name: str, seed: int = 0, **kwargs: Any) -> EvictionPolicy:
    """Build an eviction policy by name; ``ValueError`` lists the known names."""
    if name not in EVICTION_POLICIES:
        raise ValueError(f"unknown eviction policy {name!r}; known: {sorted(EVICTION_POLICIES)}")
    return EVICTION_POLICIES[name][0](seed=seed, **kwargs)
