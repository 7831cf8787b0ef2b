"""Expert access streams: the serialized sequence of expert references that a cache sees.

Serving a routing trace with continuous batching (``batch_size`` requests decode together, one
token each per iteration; a finished request's slot goes to the next request in order) gives,
per iteration and per layer, the set of experts used by the batch. Each (step, expert) pair is
one access; a *step* is one layer call (``unit='layer'``, key ``layer x n_experts + expert``) or,
for Read-ME's router whose choice holds in every layer, one whole iteration (``unit='path'``,
key = expert: the cache holds whole expert paths, as in Read-ME's Table 4).

``AccessStream`` is plain numpy arrays, so ten million accesses cost ~100 MB.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ...core.validation import check_choice, check_range
from ..traces import RoutingTrace

UNITS = ("layer", "path")


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class AccessStream:
    """A serialized sequence of expert accesses (one per used expert per step)."""

    keys: np.ndarray
    """int32 (accesses,): cache key of each access, in [0, n_keys)"""
    step: np.ndarray
    """int32 (accesses,): layer call (or iteration, unit 'path') of each access, non-decreasing"""
    tokens: np.ndarray
    """int32 (accesses,): tokens routed to the expert in that step"""
    step_iteration: np.ndarray
    """int32 (steps,): serving iteration of each step"""
    step_tokens: np.ndarray
    """int32 (steps,): tokens in the batch at each step"""
    n_keys: int
    """number of distinct cache keys possible"""
    layers_per_access: int = 1
    """layer slices one key stands for (n_layers for unit 'path', else 1)"""
    step_context: np.ndarray | None = None
    """int64 (steps,): KV-cache tokens attention reads at each step (None: zeros)"""

    def __post_init__(self) -> None:
        n = self.keys.shape[0]
        if self.step.shape != (n,) or self.tokens.shape != (n,):
            raise ValueError("AccessStream: keys, step and tokens must have the same length")
        if n and (self.keys.min() < 0 or self.keys.max() >= self.n_keys):
            raise ValueError(f"AccessStream: keys must lie in [0, {self.n_keys})")
        if n and np.any(np.diff(self.step) < 0):
            raise ValueError("AccessStream: step must be non-decreasing")
        if n and self.step[-1] >= self.step_iteration.size:
            raise ValueError("AccessStream: step_iteration must have one entry per step")
        if self.step_context is None:
            object.__setattr__(self, "step_context", np.zeros(self.step_iteration.size, np.int64))
        elif self.step_context.shape != self.step_iteration.shape:
            raise ValueError("AccessStream: step_context must have one entry per step")

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @property
    def n_steps(self) -> int:
        """Number of steps (layer calls or iterations)."""
        return int(self.step_iteration.size)

    @classmethod
    def from_keys(cls, keys: np.ndarray | list[int], n_keys: int | None = None) -> AccessStream:
        """A stream with one access per step (for cache research on a bare key sequence)."""
        keys = np.asarray(keys)
        if keys.ndim != 1 or keys.size == 0 or not np.issubdtype(keys.dtype, np.integer):
            raise ValueError(f"keys must be a non-empty 1-d integer sequence, got {keys!r}")
        if keys.min() < 0:
            raise ValueError(f"keys must be >= 0, got {int(keys.min())}")
        n_keys = int(keys.max()) + 1 if n_keys is None else int(n_keys)
        if keys.max() >= n_keys:
            raise ValueError(f"key {int(keys.max())} is out of range [0, {n_keys})")
        steps = np.arange(keys.size, dtype=np.int32)
        ones = np.ones(keys.size, dtype=np.int32)
        return cls(keys.astype(np.int32), steps, ones, steps.copy(), ones.copy(), n_keys)


def batch_schedule(request_lengths: np.ndarray, batch_size: int) -> np.ndarray:
    """Iteration at which each request starts under continuous batching (requests in order)."""
    check_range("batch_schedule", "batch_size", batch_size, low=1, integer=True)
    # iteration at which each slot frees (a min-heap); slots beyond the requests never fill
    free_at = [0] * min(int(batch_size), max(len(request_lengths), 1))
    starts = np.empty(len(request_lengths), dtype=np.int64)
    for index, length in enumerate(request_lengths.tolist()):
        start = heapq.heappop(free_at)
        starts[index] = start
        heapq.heappush(free_at, start + length)
    return starts


def decode_stream(
    trace: RoutingTrace, batch_size: int, unit: str = "layer", prompt_tokens: int = 0
) -> AccessStream:
    """Serve ``trace`` with continuous batching of ``batch_size`` decoding requests.

    Requests start in order of first appearance. Within a step, accesses are in order of first
    use, as an engine that dispatches experts as the batch's tokens arrive sees them: the batch's
    tokens in the order their requests were admitted (first appearance), each token's experts
    in its own top-k order; an expert already used earlier in the step is not accessed again.
    (All experts of a step serve the same layer call, so any order is valid; expert-id order
    would make every iteration a loop longer than a small cache, LRU's worst case.) The order
    is deterministic: the same trace always gives the same stream.
    Attention at each step reads the KV cache of every batched request: the tokens it has
    generated so far, plus ``prompt_tokens`` per request.

    Args:
        trace: the routing of every token.
        batch_size: requests decoded together.
        unit: 'layer' (one key per layer and expert) or 'path' (one key per expert, for traces
            whose choice is the same in every layer, such as Read-ME's).
        prompt_tokens: KV tokens of each request's prompt, read at every decode step.
    """
    check_choice("decode_stream", "unit", unit, UNITS)
    check_range("decode_stream", "prompt_tokens", prompt_tokens, low=0, integer=True)
    if unit == "path" and not np.all(trace.experts == trace.experts[:, :1, :]):
        raise ValueError("decode_stream: unit='path' needs a trace with the same experts per layer")
    _, first_index, inverse = np.unique(trace.request_ids, return_index=True, return_inverse=True)
    order_of_request = np.argsort(np.argsort(first_index))  # rank of each request by appearance
    request_rank = order_of_request[inverse]
    token_order = np.argsort(request_rank, kind="stable")
    ranks = request_rank[token_order]
    lengths = np.bincount(ranks)
    starts = batch_schedule(lengths, batch_size)
    first_token = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    offset = np.arange(ranks.size) - first_token[ranks]  # position of the token in its request
    iteration = starts[ranks] + offset
    n_layers, top_k, n_experts = trace.n_layers, trace.top_k, trace.n_experts
    n_iterations = int(iteration.max()) + 1
    if unit == "path":  # only the first layer's choice matters (the same in every layer)
        steps_per_iteration, n_keys = 1, n_experts
        layer_of = np.zeros((1, top_k), dtype=np.int64)
        ids = trace.experts[token_order, :1, :].astype(np.int64)
    else:
        steps_per_iteration, n_keys = n_layers, n_layers * n_experts
        layer_of = np.broadcast_to(np.arange(n_layers)[:, None], (n_layers, top_k))
        ids = trace.experts[token_order].astype(np.int64)
    step = iteration[:, None, None] * steps_per_iteration + layer_of[None]
    # raveled (token, layer, top-k slot): within one step, tokens by request rank, then top-k
    combined = (step * n_keys + layer_of[None] * n_experts + ids).ravel()
    span = n_iterations * steps_per_iteration * n_keys
    if span <= 8 * combined.size:  # a dense count is cheaper than sorting
        all_counts = np.bincount(combined, minlength=span)
        unique = np.flatnonzero(all_counts)
        counts = all_counts[unique]
        all_first = np.full(span, combined.size, dtype=np.int64)
        np.minimum.at(all_first, combined, np.arange(combined.size, dtype=np.int64))
        first_use = all_first[unique]
    else:
        unique, first_use, counts = np.unique(combined, return_index=True, return_counts=True)
    # step, then first use within it (unique is step-sorted, so this sort is nearly linear);
    # steps <= combined.size, so the key stays below combined.size ** 2 + combined.size
    by_first_use = np.argsort(unique // n_keys * combined.size + first_use, kind="stable")
    unique, counts = unique[by_first_use], counts[by_first_use]
    access_step = unique // n_keys
    batch_tokens = np.bincount(iteration, minlength=n_iterations)
    context = np.bincount(iteration, weights=offset + 1 + prompt_tokens, minlength=n_iterations)
    return AccessStream(
        keys=(unique % n_keys).astype(np.int32),
        step=access_step.astype(np.int32),
        tokens=counts.astype(np.int32),
        step_iteration=np.repeat(np.arange(n_iterations), steps_per_iteration).astype(np.int32),
        step_tokens=np.repeat(batch_tokens, steps_per_iteration).astype(np.int32),
        n_keys=n_keys,
        layers_per_access=n_layers if unit == "path" else 1,
        step_context=np.repeat(context.astype(np.int64), steps_per_iteration),
    )


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
