"""Routing baselines of ``netgym/MoeRouting-v0`` (reference/moe.md 6(B), "Baselines").

Routing functions on one layer call (pure numpy, ``probs``/``logits`` of shape (T, E)):
``top_k_slots`` (plain top-k), ``gshard_capacity`` (Switch/GShard capacity-factor drop),
``expert_choice`` (each expert takes its top-C tokens, Zhou et al. 2022) and its version capped
at k experts per token, ``balanced_assignment`` (BASE layers: equal loads, maximal affinity, an
LP), ``hash_slots`` (Hash layers: experts from a hash of the token id) and the LP optimum of the
env's linear objective (``netgym.envs.moe.routing.lp``).

Policies (netgym's protocol ``reset(env)`` then ``act(obs, info)``) read the env's public
attributes ``router_logits``, ``router_probs``, ``token_ids`` and ``capacity``:

| name | bias mode | assign mode |
|---|---|---|
| ``topk`` | zero biases | top-k slots; the env drops overflow (highest gate first) |
| ``topk-capacity`` | zero biases | top-k, overflow dropped GShard-style (1) |
| ``expert-choice`` | - | expert choice capped at k experts per token |
| ``balanced`` | - | BASE balanced assignment |
| ``aux-free`` | biases ``b <- b - gamma sign(n_e - mean n)`` | top-k of logits + b |
| ``hash`` | - | hash routing |
| ``lp`` | - | the LP optimum of the linear objective (equals ``info["upper_bound"]``) |
| ``random`` | uniform biases | k distinct random experts per token |

(1) the first choices of all tokens in token order, then the second choices, and so on.

A policy used in a mode marked "-" (or in ``duo`` mode) raises ``ValueError`` at ``reset``: its
rule cannot be written as per-expert biases. ``policy.supports(env)`` tells beforehand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...envs.moe.routing.lp import routing_lp
from ...envs.moe.routing.params import RoutingParams

_KNUTH = 2654435761
"""Knuth's multiplicative hash constant (2^32 / golden ratio)"""


# ------------------------------------------------------------------------------ functions
def top_k_slots(scores: np.ndarray, k: int) -> np.ndarray:
    """(T, k) the k highest-scoring experts of each token, best first (ties to the lower id)."""
    return np.argsort(-np.asarray(scores), axis=1, kind="stable")[:, :k]


def gshard_capacity(slots: np.ndarray, capacity: int, n_experts: int) -> np.ndarray:
    """Switch/GShard dispatch: slots (T, k), best first, processed choice by choice (all first
    choices in token order, then all second choices, ...); a slot whose expert is already
    full is dropped (-1)."""
    if capacity < 1:
        raise ValueError(f"capacity must be >= 1, got {capacity}")
    out = np.array(slots, dtype=np.int64)
    filled = np.zeros(n_experts, dtype=np.int64)
    for j in range(out.shape[1]):
        column = out[:, j]
        valid = column >= 0
        # position of each slot among the earlier slots of the same expert in this column
        order = np.argsort(np.where(valid, column, n_experts), kind="stable")
        sorted_experts = np.where(valid, column, n_experts)[order]
        first = np.r_[True, sorted_experts[1:] != sorted_experts[:-1]]
        positions = np.arange(len(order))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = positions - np.maximum.accumulate(np.where(first, positions, 0))
        safe = np.where(valid, column, 0)
        keep = valid & (filled[safe] + rank < capacity)
        column[~keep] = -1
        filled += np.bincount(column[keep], minlength=n_experts)
    return out


def expert_choice(probs: np.ndarray, capacity: int) -> np.ndarray:
    """(T, E) 0/1: every expert takes its ``min(C, T)`` highest-probability tokens (ties to the
    lower token); a token may get any number of experts, from none to E."""
    probs = np.asarray(probs)
    t, e = probs.shape
    if capacity < 1:
        raise ValueError(f"capacity must be >= 1, got {capacity}")
    take = min(capacity, t)
    best = np.argsort(-probs, axis=0, kind="stable")[:take]
    out = np.zeros((t, e), dtype=np.int64)
    np.put_along_axis(out, best, 1, axis=0)
    return out


def expert_choice_capped(probs: np.ndarray, capacity: int, k: int) -> np.ndarray:
    """(T, k) slots: expert choice, then each token keeps its k most probable chosen experts
    (-1 where it has fewer)."""
    chosen = expert_choice(probs, capacity)
    scores = np.where(chosen > 0, probs, -np.inf)
    slots = top_k_slots(scores, k)
    picked = np.take_along_axis(scores, slots, axis=1)
    return np.where(np.isfinite(picked), slots, -1)


def balanced_assignment(probs: np.ndarray, k: int, capacity: int) -> np.ndarray:
    """(T, E) 0/1, BASE layers' balanced assignment: every expert gets at most
    ``min(C, ceil(k T / E))`` tokens, as many slots as possible are filled, and among those the
    total router probability is maximal. Solved as the transportation LP with a per-slot bonus
    larger than any probability (so filling a slot always wins)."""
    t, e = np.asarray(probs).shape
    balanced = min(capacity, -(-k * t // e))
    _, assignment = routing_lp(probs, k, balanced, drop_penalty=2.0 * k)
    return assignment


def hash_slots(token_ids: np.ndarray, n_experts: int, k: int) -> np.ndarray:
    """(T, k) Hash-layer routing: expert ``(h(id) + j) mod E`` for slot j, with Knuth's
    multiplicative hash h (so every token gets k distinct experts)."""
    ids = np.asarray(token_ids, dtype=np.uint64)
    hashed = (ids * np.uint64(_KNUTH)) % np.uint64(2**32)
    base = (hashed % np.uint64(n_experts)).astype(np.int64)
    return (base[:, None] + np.arange(k)[None, :]) % n_experts


def slots_from_matrix(assignment: np.ndarray, k: int) -> np.ndarray:
    """(T, k) slots of a 0/1 matrix (T, E) with at most k ones per row, -1 for empty slots."""
    assignment = np.asarray(assignment)
    if assignment.sum(axis=1).max(initial=0) > k:
        raise ValueError("an assignment row has more than k experts")
    slots = np.argsort(-assignment, axis=1, kind="stable")[:, :k]
    return np.where(np.take_along_axis(assignment, slots, axis=1) > 0, slots, -1)


# ------------------------------------------------------------------------------ policies
class _RoutingPolicy:
    """Shared plumbing: the env's params and the flat assign-mode action."""

    name = "routing"
    modes: tuple[str, ...] = ("bias", "assign")

    def supports(self, env: Any) -> bool:
        """Whether this policy can act on ``env`` (a MoeRouting env in one of its modes)."""
        params = getattr(getattr(env, "unwrapped", env), "params", None)
        return isinstance(params, RoutingParams) and params.action_mode in self.modes

    def reset(self, env: Any) -> None:
        core = getattr(env, "unwrapped", env)
        params = getattr(core, "params", None)
        if not isinstance(params, RoutingParams):
            raise ValueError(f"routing baselines need a netgym/MoeRouting-v0 env, got {type(core)}")
        if params.action_mode not in self.modes:
            raise ValueError(
                f"the {self.name!r} routing baseline needs action_mode in {list(self.modes)} "
                f"(its rule is not a per-expert bias), got {params.action_mode!r}; make the env "
                "with action_mode='assign'"
            )
        self.env = core
        self.params = params

    def _flat(self, slots: np.ndarray) -> np.ndarray:
        """Assign-mode action: slots (T, k) with -1 -> E, flattened token-major."""
        return np.where(slots < 0, self.params.n_experts, slots).astype(np.int64).ravel()

    def _zero_bias(self) -> np.ndarray:
        return np.zeros(self.params.n_experts, dtype=np.float32)


class TopK(_RoutingPolicy):
    """Plain top-k, unaware of capacity (the env drops the overflow; with
    ``capacity_factor=None`` nothing is dropped)."""

    name = "topk"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        if self.params.action_mode == "bias":
            return self._zero_bias()
        return self._flat(top_k_slots(self.env.router_logits, self.params.top_k))


class TopKCapacity(_RoutingPolicy):
    """Top-k with Switch/GShard capacity-factor dropping in token order (``gshard_capacity``)."""

    name = "topk-capacity"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        if self.params.action_mode == "bias":
            return self._zero_bias()
        p = self.params
        slots = top_k_slots(self.env.router_logits, p.top_k)
        return self._flat(gshard_capacity(slots, self.env.capacity, p.n_experts))


class ExpertChoice(_RoutingPolicy):
    """Expert choice (each expert takes its top-C tokens), capped at k experts per token."""

    name = "expert-choice"
    modes = ("assign",)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        slots = expert_choice_capped(self.env.router_probs, self.env.capacity, self.params.top_k)
        return self._flat(slots)


class Balanced(_RoutingPolicy):
    """BASE layers' balanced assignment (``balanced_assignment``)."""

    name = "balanced"
    modes = ("assign",)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        p = self.params
        matrix = balanced_assignment(self.env.router_probs, p.top_k, self.env.capacity)
        return self._flat(slots_from_matrix(matrix, p.top_k))


class AuxLossFree(_RoutingPolicy):
    """DeepSeek-V3's auxiliary-loss-free balancing: per-expert biases, after every step
    ``b_e <- b_e - gamma sign(n_e - mean n)`` from the loads in ``info["loads"]``.

    DeepSeek-V3 uses gamma = 0.001 per training step over many thousand steps; an episode here
    is ``max_steps`` layer calls, so the default is larger (0.1 logit per step).
    """

    name = "aux-free"

    def __init__(self, gamma: float = 0.1) -> None:
        if not gamma > 0:
            raise ValueError(f"gamma must be > 0, got {gamma}")
        self.gamma = gamma

    def reset(self, env: Any) -> None:
        super().reset(env)
        self.bias = np.zeros(self.params.n_experts)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        p = self.params
        if "loads" in info and int(info.get("step", 0)) > 0:
            loads = np.asarray(info["loads"], dtype=float)
            self.bias -= self.gamma * np.sign(loads - loads.mean())
            np.clip(self.bias, -p.bias_max, p.bias_max, out=self.bias)
        if p.action_mode == "bias":
            return self.bias.astype(np.float32)
        return self._flat(top_k_slots(self.env.router_logits + self.bias, p.top_k))


class HashRouting(_RoutingPolicy):
    """Hash layers: experts from a hash of the token id, ignoring the router."""

    name = "hash"
    modes = ("assign",)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        p = self.params
        return self._flat(hash_slots(self.env.token_ids, p.n_experts, p.top_k))


class LpOptimal(_RoutingPolicy):
    """The exact optimum of the step's linear objective (the env's ``upper_bound``)."""

    name = "lp"
    modes = ("assign",)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        p = self.params
        _, matrix = routing_lp(self.env.router_probs, p.top_k, self.env.capacity, p.drop_penalty)
        return self._flat(slots_from_matrix(matrix, p.top_k))


class RandomRouting(_RoutingPolicy):
    """Uniform random biases (bias mode) or k distinct uniform experts per token (assign)."""

    name = "random"

    def __init__(self, seed: int | None = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        p = self.params
        if p.action_mode == "bias":
            return self.rng.uniform(-p.bias_max, p.bias_max, p.n_experts).astype(np.float32)
        scores = self.rng.random((p.n_tokens, p.n_experts))
        return self._flat(top_k_slots(scores, p.top_k))


__all__ = [
    "AuxLossFree",
    "Balanced",
    "ExpertChoice",
    "HashRouting",
    "LpOptimal",
    "RandomRouting",
    "TopK",
    "TopKCapacity",
    "balanced_assignment",
    "expert_choice",
    "expert_choice_capped",
    "gshard_capacity",
    "hash_slots",
    "slots_from_matrix",
    "top_k_slots",
]
