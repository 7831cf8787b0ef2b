"""Router logits of ``netgym/MoeRouting-v0`` replayed from a routing trace (``gates="trace"``).

The trace is the family's ``RoutingTrace`` (``traces.py``): expert ids shaped (tokens, layers,
k), first choice first. A recorded one is read with ``traces.load_trace(trace_path)`` (the
``.npz`` format documented there, e.g. converted from FLAME-MoE's parquet files); without a path
the family's calibrated generator ``SyntheticRouting.for_model(model)`` (with E and k of the
env) draws one per episode. Each step takes the next T tokens of layer ``trace_layer``, from a
random start per episode, wrapping around.

Traces store ids, not scores, so the logits are rebuilt: the other experts get small clipped
Gaussian noise (``trace_noise_std``, at most ``MARGIN / 4``) and the trace's j-th choice of a
token the fixed logit ``MARGIN x (2 + (k_trace - j) / k_trace)``, so plain top-k routing
reproduces the trace's choices exactly and in order, and the router probabilities rank them
first. Token ids are the token positions in the trace (hash routing reads them).
"""

from __future__ import annotations

import numpy as np

from ..traces import RoutingTrace, SyntheticRouting, load_trace
from .params import RoutingParams

MARGIN = 4.0
"""logit margin of the trace's last choice over the noise floor"""


class TraceGates:
    """The ``GateSource`` interface over a routing trace, for N sub-envs."""

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        self.params = params
        n, t, e = num_envs, params.n_tokens, params.n_experts
        self.logits = np.zeros((n, t, e), dtype=np.float32)
        self.probs = np.full((n, t, e), 1.0 / e, dtype=np.float32)
        self.weights = self.probs
        self.totals = np.ones((n, t), dtype=np.float32)
        """the probabilities as ``weights / totals`` (``GateSource``'s form, which the routing
        kernel reads): the table itself over ones (x / 1 = x)"""
        self.column_mass = np.full((n, e), t / e, dtype=np.float32)
        """(N, E) ``sum_t probs[:, t, e]`` (as ``GateSource.column_mass``)"""
        self._token_ones = np.ones((1, t), dtype=np.float32)
        self.token_ids = np.zeros((n, t), dtype=np.int64)
        self._recorded = None if params.trace_path is None else self._load(params)
        self._traces: list[np.ndarray | None] = [None] * n
        self._cursor = np.zeros(n, dtype=np.int64)

    @staticmethod
    def _load(params: RoutingParams) -> np.ndarray:
        trace = load_trace(params.trace_path, n_experts=None)
        return TraceGates._layer(trace, params, f"routing trace {params.trace_path}")

    @staticmethod
    def _layer(trace: RoutingTrace, params: RoutingParams, where: str) -> np.ndarray:
        if trace.n_experts != params.n_experts:
            raise ValueError(
                f"{where} has {trace.n_experts} experts but the env has n_experts="
                f"{params.n_experts}"
            )
        if trace.top_k < params.top_k:
            raise ValueError(
                f"{where} records {trace.top_k} expert(s) per token but the env routes "
                f"top_k={params.top_k}: the missing choices would be invented; use "
                f"top_k <= {trace.top_k} with this trace"
            )
        if params.trace_layer >= trace.n_layers:
            raise ValueError(
                f"{where} has {trace.n_layers} layers; trace_layer={params.trace_layer} is out "
                "of range"
            )
        if trace.n_tokens < params.n_tokens:
            raise ValueError(
                f"{where} has {trace.n_tokens} tokens, fewer than n_tokens={params.n_tokens}"
            )
        return trace.experts[:, params.trace_layer, :].astype(np.int64)

    def _generate(self, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        generator = SyntheticRouting.for_model(p.model).replace(
            n_experts=p.n_experts, top_k=p.top_k, n_layers=p.trace_layer + 1
        )
        tokens = p.n_tokens * p.max_steps
        lengths = np.full(-(-tokens // 256), 256)  # requests of 256 tokens
        return self._layer(generator.generate(lengths, rng), p, "the synthetic trace")

    def reset(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """New episode: a generated trace (no ``trace_path``) or a random start in the file."""
        for i in idx:
            trace = self._recorded if self._recorded is not None else self._generate(rngs[i])
            self._traces[i] = trace
            self._cursor[i] = 0 if self._recorded is None else rngs[i].integers(len(trace))
        self._tokens(idx, rngs)

    def draw(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """The next T tokens of the trace."""
        self._tokens(idx, rngs)

    def _tokens(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        p = self.params
        for i in idx:
            trace = self._traces[i]
            rows = (self._cursor[i] + np.arange(p.n_tokens)) % len(trace)
            self._cursor[i] = (self._cursor[i] + p.n_tokens) % len(trace)
            self.token_ids[i] = rows
            self.logits[i] = self._logits(trace[rows], rngs[i])
            shifted = np.exp(self.logits[i] - self.logits[i].max(axis=-1, keepdims=True))
            self.probs[i] = shifted / shifted.sum(axis=-1, keepdims=True)
            np.matmul(self._token_ones, self.probs[i], out=self.column_mass[i : i + 1])

    def slot_probs(
        self, idx: np.ndarray | slice, token: np.ndarray, expert: np.ndarray
    ) -> np.ndarray:
        """float32 ``probs[idx]`` at flat token indices ``token`` (env-in-``idx`` T + t) and
        ``expert`` (as ``GateSource.slot_probs``)."""
        return self.probs[idx].reshape(-1)[token * self.params.n_experts + expert]

    def _logits(self, experts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Noise below ``MARGIN / 2`` in absolute value plus the choice margins, so every
        chosen expert outranks every other one and the choices keep their order."""
        p = self.params
        t, k = experts.shape
        noise = np.clip(p.trace_noise_std * rng.standard_normal((t, p.n_experts)), -1.0, 1.0)
        logits = noise * (MARGIN / 4.0)  # |noise| <= MARGIN / 4
        boost = MARGIN * (1.0 + (k - np.arange(k)) / k)  # strictly decreasing, gaps >= MARGIN/k
        np.put_along_axis(logits, experts, boost[None, :] + MARGIN, axis=1)
        return logits.astype(np.float32)
