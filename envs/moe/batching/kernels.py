"""Compiled kernels of ``netgym/MoeBatching-v0`` (numba, see ``envs/core/compiled.py``).

The per-request loops of an iteration: the (layer, expert) loads of a batch and the queue part
of the observation. They are the only implementation (``BatchingSim.loads`` and
``BatchingSim.observation`` call them). Every sum they take is of whole token counts held in
float64 (exact in any order), every quotient is one IEEE division of the numpy code they
replaced, so the numbers are the same bit for bit.
"""

from __future__ import annotations

import numpy as np

from ...core.compiled import kernel


@kernel
def batch_loads(
    batch, generated, start, prompt, prompt_hist, experts, loads
):  # pragma: no cover (compiled)
    """``loads`` (layers, E), zeroed first: the tokens each expert processes in an iteration
    of ``batch``: a prefill adds its prompt's histogram ``prompt_hist[r]`` (layers, E), a
    decode its next token's k experts ``experts[token]`` (layers, k) in every layer."""
    n_layers, n_experts = loads.shape
    loads[:] = 0.0
    for r in batch:
        if generated[r] == 0:
            for layer in range(n_layers):
                for x in range(n_experts):
                    loads[layer, x] += prompt_hist[r, layer, x]
        else:
            token = start[r] + prompt[r] + generated[r] - 1
            for layer in range(n_layers):
                for q in range(experts.shape[2]):
                    loads[layer, experts[token, layer, q]] += 1.0


@kernel
def queue_observation(
    requests,
    clock_s,
    arrival_s,
    generated,
    output,
    start,
    prompt,
    prompt_hist,
    experts,
    primary,
    max_batch_tokens,
    n_slots,
    out,
):  # pragma: no cover (compiled)
    """The observation of ``BatchingSim.observation`` into ``out`` (float32): per slot valid,
    is_prefill, min(tokens / budget, 1), wait / (wait + 1), generated / (generated + 128) and
    its layer-0 expert histogram over its sum (zeros for empty slots); then the share of the
    visible requests per primary expert, min(visible / n_slots, 1) and the share finished."""
    n_experts = prompt_hist.shape[2]
    width = 5 + n_experts
    count = len(requests)
    out[: n_slots * width] = 0.0
    hist = np.empty(n_experts)
    for j in range(count):
        r = requests[j]
        row = j * width
        g = generated[r]
        prefill = g == 0
        tokens = prompt[r] if prefill else 1
        wait = clock_s - arrival_s[r]
        out[row] = 1.0
        out[row + 1] = 1.0 if prefill else 0.0
        out[row + 2] = min(tokens / max_batch_tokens, 1.0)
        out[row + 3] = wait / (wait + 1.0)
        out[row + 4] = g / (g + 128.0)
        if prefill:
            for x in range(n_experts):
                hist[x] = prompt_hist[r, 0, x]
        else:
            hist[:] = 0.0
            token = start[r] + prompt[r] + g - 1
            for q in range(experts.shape[2]):
                hist[experts[token, 0, q]] += 1.0
        total = 0.0
        for x in range(n_experts):
            total += hist[x]
        for x in range(n_experts):
            out[row + 5 + x] = hist[x] / total if total != 0.0 else np.nan
    end = n_slots * width
    share = np.zeros(n_experts)
    for j in range(count):
        share[primary[j]] += 1.0
    for x in range(n_experts):
        out[end + x] = share[x] / max(count, 1)
    out[end + n_experts] = min(count / n_slots, 1.0)
    finished = 0
    for r in range(len(generated)):
        if generated[r] >= output[r]:
            finished += 1
    out[end + n_experts + 1] = finished / len(generated)


__all__ = ["batch_loads", "queue_observation"]
