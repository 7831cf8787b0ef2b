"""Synthetic router logits of ``netgym/MoeRouting-v0`` (``GateSource``), batched over N envs.

Each sub-env has a linear router ``W`` (r x E, unit columns, a cosine router as X-MoE) and a
per-expert popularity logit ``mu`` that drifts as an AR(1) process (skewed, drifting expert
load; reference/moe.md section 3: popularity is skewed and predictable from recent history).
Each token has a vocabulary id with a fixed random embedding (drawn per episode) and belongs to
one of ``n_domains`` latent domains; its hidden state ``h`` is the domain's centre plus
``token_std`` times its embedding, and its logits are ``h W + mu``. The router probabilities are the
softmax over all E experts. All randomness comes from the per-sub-env generators passed in.
"""

from __future__ import annotations

import numpy as np

from .draws import draw_tokens
from .kernels import hidden_states
from .params import RoutingParams


class GateSource:
    """Synthetic router logits for N sub-envs, one generator each (no shared random state).

    ``reset(idx, rngs)`` draws a new router, popularity and domain centres for sub-envs
    ``idx``; ``draw(idx, rngs)`` advances their popularity one step and draws a new batch of
    tokens. The current batch is in ``logits`` (N, T, E, float32), ``probs`` (softmax),
    ``token_ids`` (N, T) and ``domains`` (N, T).

    The normalised table is only built when ``probs`` is read (assign mode, the LP bound,
    ``router_probs``): each draw keeps the per-token shift of the softmax ``shift`` (N, T; 0
    unless the logits could overflow), the exponentials ``weights`` (N, T, E) of
    ``logit - shift``, their row sums ``totals`` (N, T) and the column sums ``column_mass``
    (N, E) of the probabilities, ``sum_t P_te``. A router probability is the float32 quotient
    ``weights / totals``: ``probs``, ``slot_probs`` and the routing kernel
    (``kernels.route_top_k``) all divide the same two float32 values.
    """

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        self.params = params
        n, t, e, r = num_envs, params.n_tokens, params.n_experts, params.router_rank
        # float32: the softmax over T x E values is most of the step time
        self.router = np.zeros((n, r, e), dtype=np.float32)
        self.popularity = np.zeros((n, e), dtype=np.float32)
        self.centres = np.zeros((n, params.n_domains, r), dtype=np.float32)
        self.embeddings = np.zeros((n, params.vocab_size, r), dtype=np.float32)
        """token_std x the unit-variance embedding of each vocabulary id"""
        self._ones = np.ones(e, dtype=np.float32)
        self._hidden_bound = np.zeros(n)
        self.logits = np.zeros((n, t, e), dtype=np.float32)
        self.shift = np.zeros((n, t), dtype=np.float32)
        self._shifted = np.zeros(n, dtype=bool)
        self.totals = np.full((n, t), float(e), dtype=np.float32)
        self.weights = np.ones((n, t, e), dtype=np.float32)
        self.column_mass = np.full((n, e), t / e, dtype=np.float32)
        self._probs = np.full((n, t, e), 1.0 / e, dtype=np.float32)
        self._stale = np.zeros(n, dtype=bool)
        """sub-envs whose ``_probs`` lag behind the current batch"""
        self.token_ids = np.zeros((n, t), dtype=np.int64)
        self.domains = np.zeros((n, t), dtype=np.int64)
        self._keep = np.sqrt(1.0 - params.popularity_drift**2)
        self._batch: _BatchScratch | None = _BatchScratch(params, n) if n > 1 else None
        self._hidden = np.empty((1, t, r), dtype=np.float32)
        self._row = np.zeros(1, dtype=np.int64)
        """the router input and row of ``_logits_of`` (one sub-env)"""
        """buffers of the draw of every sub-env at once (``_logits_of_all``); None for one"""

    @property
    def probs(self) -> np.ndarray:
        """(N, T, E) float32 router probabilities of the current batch (normalised on read)."""
        for i in np.flatnonzero(self._stale):
            np.divide(self.weights[i], self.totals[i][:, None], out=self._probs[i])
        self._stale[:] = False
        return self._probs

    def slot_probs(
        self, idx: np.ndarray | slice, token: np.ndarray, expert: np.ndarray
    ) -> np.ndarray:
        """float32 ``probs[idx]`` at flat token indices ``token`` (env-in-``idx`` T + t) and
        ``expert``, without the full table."""
        values = self.weights[idx].reshape(-1)[token * self.params.n_experts + expert]
        values /= self.totals[idx].reshape(-1)[token]
        return values

    def reset(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """New episode for sub-envs ``idx``: new router, popularity and domains, first batch."""
        p = self.params
        for i in idx:
            rng = rngs[i]
            router = rng.standard_normal((p.router_rank, p.n_experts))
            # unit columns (a cosine router, as X-MoE): a column's norm would otherwise make
            # its expert popular, and the skew is the popularity's job
            self.router[i] = router / np.linalg.norm(router, axis=0, keepdims=True)
            self.popularity[i] = p.popularity_std * rng.standard_normal(p.n_experts)
            self.centres[i] = p.domain_std * rng.standard_normal((p.n_domains, p.router_rank))
            self.embeddings[i] = rng.standard_normal((p.vocab_size, p.router_rank))
            # |h| <= token_std max|embedding| + max|centre|: the per-episode part of the
            # logit bound that decides whether the softmax needs a shift (see _tokens)
            self._hidden_bound[i] = p.token_std * np.sqrt(
                (self.embeddings[i] ** 2).sum(axis=1).max()
            ) + np.sqrt((self.centres[i] ** 2).sum(axis=1).max())
            self.embeddings[i] *= p.token_std  # float32, as the per-token scaling it replaces
        self._tokens(idx, rngs)

    def draw(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """Next layer call of sub-envs ``idx``: drift the popularity, draw a new token batch."""
        p = self.params
        if p.popularity_drift > 0:
            every = self._every(idx)
            noise = self._batch.noise if every else np.empty((len(idx), p.n_experts))
            for j, i in enumerate(idx):
                rngs[i].standard_normal(out=noise[j])
            # the per-env formula on all rows at once (the same operations element by element)
            popularity = self.popularity if every else self.popularity[idx]
            drift = p.popularity_drift * p.popularity_std * noise
            self.popularity[idx] = self._keep * popularity + drift
        self._tokens(idx, rngs)

    def _every(self, idx: np.ndarray) -> bool:
        """Whether ``idx`` (sorted, unique) names every sub-env of a batched source."""
        return self._batch is not None and len(idx) == len(self.logits)

    def _tokens(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        p = self.params
        # each sub-env's draws from its own generator, in its order
        draw_tokens(rngs, idx, p.n_domains, p.vocab_size, self.domains, self.token_ids)
        if self._every(idx):
            self._logits_of_all()
        else:
            for i in idx:
                self._logits_of(i)
        self._stale[idx] = True

    def _logits_of_all(self) -> None:
        """``_logits_of(i)`` for every sub-env at once, in the scratch of ``_BatchScratch``:
        the same gathers, the same sgemm per sub-env (numpy's stacked matmul calls BLAS once
        per matrix of the stack, with the shapes of the one-env call), the same float32
        exponentials and BLAS row and column sums, so the same bits; sub-envs whose logits
        need the softmax shift are then redone one by one."""
        scratch = self._batch
        hidden = scratch.hidden
        hidden_states(
            self.embeddings, self.centres, self.token_ids, self.domains, scratch.rows, hidden
        )
        logits = self.logits
        np.matmul(hidden, self.router, out=logits)
        logits += self.popularity[:, None, :]
        bound = self._hidden_bound + np.abs(self.popularity).max(axis=1)
        shifted = bound >= 80.0
        self._shifted[:] = shifted
        self.shift[:] = 0.0
        weights = self.weights
        # a shifted sub-env's unshifted exponentials may overflow: its sums are redone below
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            np.exp(logits, out=weights)
            np.matmul(weights, self._ones, out=self.totals)
            inverse = np.divide(1.0, self.totals, out=scratch.inverse[:, 0])
            np.matmul(inverse[:, None, :], weights, out=scratch.mass)
        self.column_mass[:] = scratch.mass[:, 0]
        for i in np.flatnonzero(shifted):
            self._softmax_sums(i, shifted=True)

    def _logits_of(self, i: int) -> None:
        """Logits, softmax shift and sums of sub-env ``i``'s new tokens, in place (one sub-env
        at a time: no (N, T, E) temporaries)."""
        hidden, row = self._hidden, self._row
        row[0] = i
        hidden_states(self.embeddings, self.centres, self.token_ids, self.domains, row, hidden)
        logits = self.logits[i]
        np.matmul(hidden[0], self.router[i], out=logits)
        logits += self.popularity[i]
        # |h . w_e| <= |h| (unit columns): when every logit is known to lie within +-80 the
        # float32 exponential neither overflows nor underflows to an all-zero row, and the
        # softmax needs no shift; otherwise shift each token by its maximum
        bound = self._hidden_bound[i] + float(np.abs(self.popularity[i]).max())
        self._shifted[i] = bound >= 80.0
        self._softmax_sums(i, shifted=bound >= 80.0)

    def _softmax_sums(self, i: int, shifted: bool) -> None:
        """Shift, row sums ``totals`` and column sums ``column_mass`` of sub-env ``i``'s
        softmax from its logits (``shifted``: each token shifted by its largest logit)."""
        logits, weights = self.logits[i], self.weights[i]
        if not shifted:
            self.shift[i] = 0.0
            np.exp(logits, out=weights)
        else:
            shift = logits.max(axis=-1)
            self.shift[i] = shift
            np.subtract(logits, shift[:, None], out=weights)
            np.exp(weights, out=weights)
        # BLAS row and column sums: ~20x faster than sum(axis=...)
        totals = self.totals[i]
        np.matmul(weights, self._ones, out=totals)
        np.matmul(1.0 / totals, weights, out=self.column_mass[i])


class _BatchScratch:
    """Buffers of ``GateSource._logits_of_all`` for N sub-envs (allocated once)."""

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        n, t, e, r = num_envs, params.n_tokens, params.n_experts, params.router_rank
        self.noise = np.empty((n, e))
        self.rows = np.arange(n)
        self.hidden = np.empty((n, t, r), dtype=np.float32)
        self.inverse = np.empty((n, 1, t), dtype=np.float32)
        self.mass = np.empty((n, 1, e), dtype=np.float32)
