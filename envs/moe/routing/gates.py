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

from .params import RoutingParams


class GateSource:
    """Synthetic router logits for N sub-envs, one generator each (no shared random state).

    ``reset(idx, rngs)`` draws a new router, popularity and domain centres for sub-envs
    ``idx``; ``draw(idx, rngs)`` advances their popularity one step and draws a new batch of
    tokens. The current batch is in ``logits`` (N, T, E, float32), ``probs`` (softmax),
    ``token_ids`` (N, T) and ``domains`` (N, T).

    The normalised table is only built when ``probs`` is read (assign mode, the LP bound,
    ``router_probs``): each draw keeps the per-token shift of the softmax ``shift`` (N, T; 0
    unless the logits could overflow), the row sums ``totals`` (N, T) of ``exp(logit - shift)``
    and the column sums ``column_mass`` (N, E) of the probabilities, ``sum_t P_te``, computed
    while the exponentials are in a cache-sized scratch table. ``slot_probs`` recomputes the
    probability of a few (token, expert) pairs; it returns the same float32 bits as ``probs``
    (the same ``exp`` of the same float32 value, divided by the same total).
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
        self.column_mass = np.full((n, e), t / e, dtype=np.float32)
        self._scratch = np.empty((t, e), dtype=np.float32)
        self._probs = np.full((n, t, e), 1.0 / e, dtype=np.float32)
        self._stale = np.zeros(n, dtype=bool)
        """sub-envs whose ``_probs`` lag behind the current batch"""
        self.token_ids = np.zeros((n, t), dtype=np.int64)
        self.domains = np.zeros((n, t), dtype=np.int64)
        self._keep = np.sqrt(1.0 - params.popularity_drift**2)

    @property
    def probs(self) -> np.ndarray:
        """(N, T, E) float32 router probabilities of the current batch (normalised on read)."""
        for i in np.flatnonzero(self._stale):
            out = self._probs[i]
            np.subtract(self.logits[i], self.shift[i][:, None], out=out)
            np.exp(out, out=out)
            np.divide(out, self.totals[i][:, None], out=out)
        self._stale[:] = False
        return self._probs

    def slot_probs(
        self, idx: np.ndarray | slice, token: np.ndarray, expert: np.ndarray
    ) -> np.ndarray:
        """float32 ``probs[idx]`` at flat token indices ``token`` (env-in-``idx`` T + t) and
        ``expert``, without the full table."""
        values = self.logits[idx].reshape(-1)[token * self.params.n_experts + expert]
        if self._shifted[idx].any():  # x - 0 = x: the subtraction only matters when shifted
            values -= self.shift[idx].reshape(-1)[token]
        np.exp(values, out=values)
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
            for i in idx:
                noise = rngs[i].standard_normal(p.n_experts)
                self.popularity[i] = (
                    self._keep * self.popularity[i] + p.popularity_drift * p.popularity_std * noise
                )
        self._tokens(idx, rngs)

    def _tokens(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        p = self.params
        for i in idx:  # in place, one sub-env at a time: no (N, T, E) temporaries
            rng = rngs[i]
            self.domains[i] = rng.integers(p.n_domains, size=p.n_tokens)
            self.token_ids[i] = rng.integers(p.vocab_size, size=p.n_tokens)
            # np.take: much faster than fancy indexing for row gathers
            hidden = np.take(self.embeddings[i], self.token_ids[i], axis=0)
            hidden += np.take(self.centres[i], self.domains[i], axis=0)
            logits, weights = self.logits[i], self._scratch
            np.matmul(hidden, self.router[i], out=logits)
            logits += self.popularity[i]
            # |h . w_e| <= |h| (unit columns): when every logit is known to lie within +-80 the
            # float32 exponential neither overflows nor underflows to an all-zero row, and the
            # softmax needs no shift; otherwise shift each token by its maximum
            bound = self._hidden_bound[i] + float(np.abs(self.popularity[i]).max())
            self._shifted[i] = bound >= 80.0
            if bound < 80.0:
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
        self._stale[idx] = True
