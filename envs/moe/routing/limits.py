"""Memory estimate of ``netgym/MoeRouting-v0``, checked before the sim allocates anything.

A sub-env holds its router tables (T x E float32 logits, probabilities, biased scores and the
top-k scratch, and in a vector env the exponentials, hidden states and indices of the batched
draw), its vocabulary embeddings (V x r float32), per-token state and, with
``gates='trace'`` and no file, a generated trace of T x max_steps tokens; the duo mode holds
per-token gains for every layer. Drawing the embeddings needs a float64 copy for a moment.
Per-item sizes were measured with ``tracemalloc`` and rounded up. ``check_memory_of`` checks one
sub-env plus what all share (naming the parameters); the vector env then checks ``num_envs``
times ``bytes_per_env`` through ``NumpyVectorEnv``.
"""

from __future__ import annotations

from ...core.budget import check_memory
from .params import RoutingParams

BYTES_PER_SCORE = 44
"""per (token, expert) and sub-env: logits, probabilities, scores, top-k scratch, observation,
the batched draw's float32 exponentials"""
BYTES_PER_TOKEN = 80
"""per token and sub-env besides its slots: ids, domains, shift, totals, the batched draw's
flat index and inverse total"""
BYTES_PER_HIDDEN = 8
"""per token, router dimension and sub-env: the batched draw's two float32 hidden states"""
BYTES_PER_EXPERT = 96
"""per expert and sub-env: popularity, loads, drops, captured mass, features"""
BYTES_PER_TRACE_TOKEN = 48
"""per generated trace token and sub-env (gates='trace' without a file), besides its ids"""
ENV_OVERHEAD = 4096
"""a sub-env's generator and small arrays"""


def bytes_per_env(params: RoutingParams) -> float:
    """Bytes one sub-env holds."""
    t, e, k, r = params.n_tokens, params.n_experts, params.top_k, params.router_rank
    total = BYTES_PER_SCORE * t * e + t * (BYTES_PER_TOKEN + 8 * k) + BYTES_PER_EXPERT * e
    total += 4 * (params.vocab_size + params.n_domains + e) * r + ENV_OVERHEAD
    total += BYTES_PER_HIDDEN * t * r
    if params.action_mode == "duo":
        total += 8 * t * (params.duo_layers + 6)
    if params.gates == "trace" and params.trace_path is None:
        layers = params.trace_layer + 1
        total += t * params.max_steps * (BYTES_PER_TRACE_TOKEN + 2 * layers * k + 8 * k)
    return float(total)


def shared_bytes(params: RoutingParams) -> float:
    """Bytes shared by the sub-envs: the float64 draw of one embedding table, the softmax
    scratch, the latency table and, when it is solved, the LP bound (about 200 bytes per
    variable with HiGHS' copies)."""
    t, e = params.n_tokens, params.n_experts
    total = 16.0 * params.vocab_size * params.router_rank + 4.0 * t * e + 8.0 * (t + 1)
    if params.lp_active:
        total += 200.0 * params.lp_size
    return total


def check_memory_of(owner: str, params: RoutingParams) -> None:
    """Refuse ``params`` when one sub-env and the shared tables exceed the memory budget."""
    detail = (
        f"n_tokens={params.n_tokens} x n_experts={params.n_experts} router scores, "
        f"vocab_size={params.vocab_size} x router_rank={params.router_rank} embeddings"
    )
    if params.action_mode == "duo":
        detail += f", duo_layers={params.duo_layers}"
    if params.gates == "trace" and params.trace_path is None:
        detail += f", a generated trace of n_tokens x max_steps={params.max_steps} tokens"
    check_memory(owner, bytes_per_env(params) + shared_bytes(params), detail)


__all__ = [
    "BYTES_PER_EXPERT",
    "BYTES_PER_HIDDEN",
    "BYTES_PER_SCORE",
    "BYTES_PER_TOKEN",
    "BYTES_PER_TRACE_TOKEN",
    "ENV_OVERHEAD",
    "bytes_per_env",
    "check_memory_of",
    "shared_bytes",
]
