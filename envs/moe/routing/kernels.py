"""Compiled kernels of ``netgym/MoeRouting-v0`` (numba, see ``envs/core/compiled.py``).

They are the only implementation of what they do; the scalar env, the vector env and ``route``
all call them, so no two paths can drift apart.

* ``route_top_k``: the bias mode's layer call for a batch of sub-envs: the biased scores, the
  top-k experts of every token, the expert capacity and the captured router mass.
* ``route_slots``: the capacity of a given choice of slots (assign mode, ``route``), with
  explicit drops (-1) and duplicates removed first.
* ``top_k_columns``: the top-k of score columns (``route_top_k``, and ``top_k_with_scores``
  through ``top_k_rows``).
* ``hidden_states``: the router input of every token (two row gathers and a sum).
* ``draw_token_rows``: uniform token domains and ids from raw 64-bit generator words, the
  numbers ``Generator.integers`` gives (see ``draws.py``).

Numerical contract (bit-identical to the numpy code these replaced): the biased score is the
float32 sum ``logit + bias``; the top-k is repeated argmax (descending, ties to the lower
expert; ``k == E`` keeps the expert order); within an expert the slots are ranked by
descending priority, ties to the lower slot (= lower token), with ``-0.0 == 0.0``; a slot's
router probability is the float32 quotient ``weights / totals`` of the gate tables, and the
captured mass sums the kept slots' probabilities in float64 in slot order (as ``np.bincount``).
"""

from __future__ import annotations

import numpy as np

from ...core.compiled import kernel

LOW_32 = np.uint64(0xFFFFFFFF)


@kernel
def top_k_columns(scores, k, chosen, values, score, expert):  # pragma: no cover (compiled)
    """The top-k of every column of ``scores`` (E, R: one row per expert) into ``chosen``
    (k, R, int32) and ``values`` (k, R), as repeated argmax ranks them: descending, an equal
    score after the lower expert; ``k == E`` keeps the expert order. ``score`` and ``expert``
    (R,) are scratch.

    The experts are inserted one by one into every column's sorted list at once (branch-free
    over the columns, which the compiler vectorises): an item goes before the first one it
    beats, ``a`` beating ``b`` when ``a.score > b.score`` or the scores are equal and
    ``a.expert < b.expert``, and the items after it move down one place.
    """
    n_experts, n_columns = scores.shape
    if k == n_experts:
        for q in range(k):
            for c in range(n_columns):
                chosen[q, c] = q
                values[q, c] = scores[q, c]
        return
    values[:] = -np.inf
    chosen[:] = n_experts  # empty places: beaten by every expert
    for x in range(n_experts):
        row = scores[x]
        for c in range(n_columns):
            score[c] = row[c]
            expert[c] = x
        for q in range(k):
            here_value, here_expert = values[q], chosen[q]
            for c in range(n_columns):
                s, e = score[c], expert[c]
                v, h = here_value[c], here_expert[c]
                beats = (s > v) | ((s == v) & (e < h))
                here_value[c] = s if beats else v
                here_expert[c] = e if beats else h
                score[c] = v if beats else s
                expert[c] = h if beats else e


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(R, k) experts (int64) and scores of the top-k of each row of ``scores`` (R, E): see
    ``top_k_columns``."""
    n_rows = len(scores)
    chosen = np.empty((k, n_rows), dtype=np.int32)
    values = np.empty((k, n_rows), dtype=scores.dtype)
    scratch = np.empty(n_rows, dtype=scores.dtype)
    expert = np.empty(n_rows, dtype=np.int32)
    top_k_columns(np.ascontiguousarray(scores.T), k, chosen, values, scratch, expert)
    return chosen.T.astype(np.int64), np.ascontiguousarray(values.T)


@kernel
def select(values, count, m):  # pragma: no cover (compiled)
    """The ``m``-th smallest (from 0) of ``values[:count]``, which it reorders (quickselect)."""
    low, high = 0, count - 1
    while low < high:
        pivot = values[(low + high) // 2]
        i, j = low, high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if m <= j:
            high = j
        elif m >= i:
            low = i
        else:
            break
    return values[m]


@kernel
def fill_capacity(
    group,
    priority,
    mass,
    capacity,
    kept,
    loads,
    overflow,
    requested,
    captured,
    order,
    start,
    buffer,
):  # pragma: no cover (compiled)
    """One layer call's capacity: slot ``s`` asks for expert ``group[s]`` (-1: none) with
    ``priority[s]`` and router probability ``mass[s]`` (float64); each expert keeps its
    ``capacity`` best slots (descending priority, ties to the lower slot). Writes ``kept``
    (the expert, or -1 when dropped), ``loads``, ``overflow``, ``requested`` and ``captured``
    (E,); ``order``, ``buffer`` (slots) and ``start`` (E + 1) are scratch."""
    n_slots, n_experts = len(group), len(loads)
    requested[:] = 0
    for s in range(n_slots):
        kept[s] = group[s]
        if group[s] >= 0:
            requested[group[s]] += 1
    start[0] = 0
    for x in range(n_experts):
        start[x + 1] = start[x] + requested[x]
        loads[x] = requested[x]
        overflow[x] = 0
    if requested.max() > capacity:
        fill = start[:n_experts].copy()
        for s in range(n_slots):  # each expert's slots in slot order
            if group[s] >= 0:
                order[fill[group[s]]] = s
                fill[group[s]] += 1
        for x in range(n_experts):
            demand = requested[x]
            if demand <= capacity:
                continue
            bucket = order[start[x] : start[x + 1]]
            keep = max(capacity, 0)
            threshold = np.inf  # the keep-th largest priority (nothing kept: above them all)
            ties = 0  # slots at the threshold still kept, in slot order
            if keep > 0:
                for q in range(demand):
                    buffer[q] = priority[bucket[q]]
                threshold = select(buffer, demand, demand - keep)
                ties = keep
                for s in bucket:
                    if priority[s] > threshold:
                        ties -= 1
            for s in bucket:
                if priority[s] > threshold:
                    continue
                if priority[s] == threshold and ties > 0:
                    ties -= 1
                    continue
                kept[s] = -1
            loads[x] = keep
            overflow[x] = demand - keep
    captured[:] = 0.0
    for s in range(n_slots):
        if kept[s] >= 0:
            captured[kept[s]] += mass[s]


@kernel
def route_top_k(
    logits, biases, weights, totals, rows, k, capacity, experts, counts, captured
):  # pragma: no cover (compiled)
    """Top-k routing of the layer calls of sub-envs ``rows`` (bias mode).

    ``logits``, ``weights`` (N, T, E) and ``totals`` (N, T) are the gate tables (float32; the
    router probability is ``weights / totals``), ``biases`` (len(rows), E) float32 the actions.
    Writes, for each row ``r``: ``experts[r]`` (T k,) the expert of each slot after capacity
    (-1: dropped), ``counts[r]`` (3, E) loads, overflow drops and requested slots, and
    ``captured[r]`` (E,) the router mass each expert processed.
    """
    n_tokens, n_experts = logits.shape[1], logits.shape[2]
    n_slots = n_tokens * k
    group = np.empty(n_slots, np.int64)
    priority = np.empty(n_slots, np.float64)
    mass = np.empty(n_slots, np.float64)
    order = np.empty(n_slots, np.int64)
    buffer = np.empty(n_slots, np.float64)
    start = np.empty(n_experts + 1, np.int64)
    scores = np.empty((n_experts, n_tokens), np.float32)
    chosen = np.empty((k, n_tokens), np.int32)
    values = np.empty((k, n_tokens), np.float32)
    score = np.empty(n_tokens, np.float32)
    expert = np.empty(n_tokens, np.int32)
    for j in range(len(rows)):
        r = rows[j]
        for t in range(n_tokens):
            for x in range(n_experts):
                scores[x, t] = logits[r, t, x] + biases[j, x]  # float32, as numpy's add
        top_k_columns(scores, k, chosen, values, score, expert)
        for t in range(n_tokens):
            for q in range(k):
                s = t * k + q
                g = chosen[q, t]
                group[s] = g
                priority[s] = values[q, t]
                mass[s] = weights[r, t, g] / totals[r, t]  # float32 quotient
        fill_capacity(
            group,
            priority,
            mass,
            capacity,
            experts[r],
            counts[r, 0],
            counts[r, 1],
            counts[r, 2],
            captured[r],
            order,
            start,
            buffer,
        )


@kernel
def route_slots(
    chosen, priority, mass, capacity, experts, counts, captured, explicit, duplicate
):  # pragma: no cover (compiled)
    """The capacity of a given choice: ``chosen`` (N, T, k) expert per slot (-1: none),
    ``priority`` and ``mass`` (N, T, k) float64. A slot that repeats an expert its token chose
    in an earlier slot is a duplicate drop, a -1 an explicit drop; then as ``route_top_k``.
    Writes ``experts`` (N, T k), ``counts`` (N, 3, E), ``captured`` (N, E), ``explicit`` and
    ``duplicate`` (N,)."""
    n, n_tokens, k = chosen.shape
    n_experts = counts.shape[2]
    n_slots = n_tokens * k
    group = np.empty(n_slots, np.int64)
    order = np.empty(n_slots, np.int64)
    buffer = np.empty(n_slots, np.float64)
    start = np.empty(n_experts + 1, np.int64)
    for r in range(n):
        explicit[r] = 0
        duplicate[r] = 0
        for t in range(n_tokens):
            for q in range(k):
                g = chosen[r, t, q]
                if g < 0:
                    explicit[r] += 1
                    g = -1
                else:
                    for p in range(q):
                        if chosen[r, t, p] == g:
                            duplicate[r] += 1
                            g = -1
                            break
                group[t * k + q] = g
        fill_capacity(
            group,
            priority[r].reshape(-1),
            mass[r].reshape(-1),
            capacity,
            experts[r],
            counts[r, 0],
            counts[r, 1],
            counts[r, 2],
            captured[r],
            order,
            start,
            buffer,
        )


@kernel
def hidden_states(embeddings, centres, token_ids, domains, rows, hidden):  # pragma: no cover
    """``hidden[j, t] = embeddings[r, token_ids[r, t]] + centres[r, domains[r, t]]`` (float32
    sums, as numpy's) for ``r = rows[j]``: the router input of each token."""
    n_tokens, rank = token_ids.shape[1], embeddings.shape[2]
    for j in range(len(rows)):
        r = rows[j]
        for t in range(n_tokens):
            token, domain = token_ids[r, t], domains[r, t]
            for d in range(rank):
                hidden[j, t, d] = embeddings[r, token, d] + centres[r, domain, d]


@kernel
def draw_token_rows(
    words, rows, n_domains, vocab_size, domains, token_ids, failed
):  # pragma: no cover (compiled)
    """Uniform ``domains[r]`` in [0, n_domains) and ``token_ids[r]`` in [0, vocab_size) for
    each ``r = rows[j]`` from raw 64-bit generator words ``words[j]``, as
    ``Generator.integers`` draws them (Lemire's method on 32-bit halves, low half first;
    a range of one draws nothing). ``failed[j]`` is set when a draw would be rejected (it
    would need more words: the caller redraws that row through numpy)."""
    n_tokens = domains.shape[1]
    for j in range(len(rows)):
        r = rows[j]
        half = 0
        failed[j] = False
        for which in range(2):
            high = n_domains if which == 0 else vocab_size
            out = domains[r] if which == 0 else token_ids[r]
            if high == 1:
                out[:] = 0
                continue
            span = np.uint64(high)
            threshold = (LOW_32 - np.uint64(high - 1)) % span
            for t in range(n_tokens):
                word = words[j, half >> 1]
                bits = word & LOW_32 if half & 1 == 0 else word >> np.uint64(32)
                half += 1
                product = bits * span
                if (product & LOW_32) < threshold:
                    failed[j] = True
                out[t] = np.int64(product >> np.uint64(32))


__all__ = [
    "draw_token_rows",
    "fill_capacity",
    "hidden_states",
    "select",
    "route_slots",
    "route_top_k",
    "top_k_columns",
    "top_k_rows",
]
