"""Batching baselines of ``netgym/MoeBatching-v0`` (reference/moe.md 6(A), "Baselines").

Every policy builds its batch from the env's visible queue (``env.slots()``, oldest first)
under the token budget, then writes it as the env's action: descending scores for the chosen
slots and -1 for the rest (priority mode), or 1 for the chosen slots (select mode). The
chosen requests always fit, so the env runs exactly them.

* ``FCFS``: oldest first, skipping a request that does not fit.
* ``DecodeFirst``: decode steps first (DeepSpeed-Inference's decoding priority), then prefills;
  oldest first within each.
* ``PrefillFirst``: prefills first (vLLM / TGI), then decode steps.
* ``ReadMeBatching``: Read-ME's Algorithm 1: one queue per expert (a request sits in the queue
  of its primary expert: the next token's first choice, or for a prefill the expert most used by
  its prompt); repeatedly take the longest queue (ties to the lower expert id) and add it whole
  if it fits, otherwise fill the remaining budget from it (oldest first) and stop.
* ``RandomBatching``: a uniformly random order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...envs.moe.batching.params import BatchingParams
from ...envs.moe.batching.sim import SlotView


def fill(order: np.ndarray, tokens: np.ndarray, budget: int) -> list[int]:
    """Slots of ``order`` taken one by one: the first always (as the env admits it), the others
    while they fit what is left of ``budget`` (a slot that does not fit is skipped)."""
    chosen: list[int] = []
    for slot in order:
        if not chosen or tokens[slot] <= budget:
            chosen.append(int(slot))
            budget -= int(tokens[slot])
    return chosen


def read_me_batch(view: SlotView, budget: int, n_experts: int) -> list[int]:
    """Read-ME Algorithm 1 on the visible queue; returns the chosen slots in the order taken."""
    queues = [list(np.flatnonzero(view.primary_expert == e)) for e in range(n_experts)]
    chosen: list[int] = []
    while any(queues):
        expert = max(range(n_experts), key=lambda e: (len(queues[e]), -e))
        queue = queues[expert]
        need = int(view.tokens[queue].sum())
        if need <= budget:
            chosen.extend(int(s) for s in queue)
            budget -= need
            queues[expert] = []
            continue
        for slot in queue:  # fill the remaining space from this queue, then stop
            if not chosen or view.tokens[slot] <= budget:  # the first joins even if too long
                chosen.append(int(slot))
                budget -= int(view.tokens[slot])
        break
    return chosen


class _BatchingPolicy:
    """Shared plumbing: read the visible queue, write the env's action."""

    name = "batching"

    def reset(self, env: Any) -> None:
        core = getattr(env, "unwrapped", env)
        if not isinstance(getattr(core, "params", None), BatchingParams):
            raise ValueError(
                f"batching baselines need a netgym/MoeBatching-v0 env, got {type(core)}"
            )
        self.env = core
        self.params: BatchingParams = core.params

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        view = self.env.slots()
        chosen = self.choose(view)
        n = self.params.n_slots
        if self.params.action_mode == "select":
            action = np.zeros(n, dtype=np.int8)
            action[chosen] = 1
            return action
        scores = np.full(n, -1.0, dtype=np.float32)
        scores[chosen] = 1.0 - np.arange(len(chosen)) / (2.0 * max(len(chosen), 1))
        return scores

    def choose(self, view: SlotView) -> list[int]:
        raise NotImplementedError


class FCFS(_BatchingPolicy):
    """First come, first served."""

    name = "fcfs"

    def choose(self, view: SlotView) -> list[int]:
        return fill(np.arange(len(view.requests)), view.tokens, self.params.max_batch_tokens)


class DecodeFirst(_BatchingPolicy):
    """Decode steps first, then prefills (oldest first within each)."""

    name = "decode-first"

    def choose(self, view: SlotView) -> list[int]:
        order = np.lexsort((np.arange(len(view.requests)), view.is_prefill))
        return fill(order, view.tokens, self.params.max_batch_tokens)


class PrefillFirst(_BatchingPolicy):
    """Prefills first, then decode steps (oldest first within each)."""

    name = "prefill-first"

    def choose(self, view: SlotView) -> list[int]:
        order = np.lexsort((np.arange(len(view.requests)), ~view.is_prefill))
        return fill(order, view.tokens, self.params.max_batch_tokens)


class ReadMeBatching(_BatchingPolicy):
    """Read-ME's Algorithm 1 (largest expert queue first)."""

    name = "readme"

    def choose(self, view: SlotView) -> list[int]:
        return read_me_batch(view, self.params.max_batch_tokens, self.env.n_experts)


class RandomBatching(_BatchingPolicy):
    """A uniformly random order, filled while it fits."""

    name = "random"

    def __init__(self, seed: int | None = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def choose(self, view: SlotView) -> list[int]:
        order = self.rng.permutation(len(view.requests))
        return fill(order, view.tokens, self.params.max_batch_tokens)


__all__ = [
    "FCFS",
    "DecodeFirst",
    "PrefillFirst",
    "RandomBatching",
    "ReadMeBatching",
    "fill",
    "read_me_batch",
]
