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

from .routing_params import RoutingParams


class GateSource:
    """Synthetic router logits for N sub-envs, one generator each (no shared random state).

    ``reset(idx, rngs)`` draws a new router, popularity and domain centres for sub-envs
    ``idx``; ``draw(idx, rngs)`` advances their popularity one step and draws a new batch of
    tokens. The current batch is in ``logits`` (N, T, E, float32), ``probs`` (softmax),
    ``token_ids`` (N, T) and ``domains`` (N, T).

    The softmax is stored unnormalised: ``weights`` (N, T, E) holds ``exp(logit - shift)`` and
    ``totals`` (N, T) its row sums, and ``probs`` divides them only when it is read (the bias
    mode needs the full table only through its column sums and the T k chosen entries).
    ``probs[i, t, e]`` is the float32 quotient ``weights[i, t, e] / totals[i, t]``, so a
    caller that divides a gathered weight by its row total gets the same bits.
    """

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        self.params = params
        n, t, e, r = num_envs, params.n_tokens, params.n_experts, params.router_rank
        # float32: the softmax over T x E values is most of the step time
        self.router = np.zeros((n, r, e), dtype=np.float32)
        self.popularity = np.zeros((n, e), dtype=np.float32)
        self.centres = np.zeros((n, params.n_domains, r), dtype=np.float32)
        self.embeddings = np.zeros((n, params.vocab_size, r), dtype=np.float32)
        self._ones = np.ones(e, dtype=np.float32)
        self._hidden_bound = np.zeros(n)
        self.logits = np.zeros((n, t, e), dtype=np.float32)
        self.weights = np.ones((n, t, e), dtype=np.float32)
        self.totals = np.full((n, t), float(e), dtype=np.float32)
        self._probs = np.full((n, t, e), 1.0 / e, dtype=np.float32)
        self._stale = np.zeros(n, dtype=bool)
        """sub-envs whose ``_probs`` lag behind ``weights`` / ``totals``"""
        self.token_ids = np.zeros((n, t), dtype=np.int64)
        self.domains = np.zeros((n, t), dtype=np.int64)
        self._keep = np.sqrt(1.0 - params.popularity_drift**2)

    @property
    def probs(self) -> np.ndarray:
        """(N, T, E) float32 router probabilities of the current batch (normalised on read)."""
        for i in np.flatnonzero(self._stale):
            np.divide(self.weights[i], self.totals[i][:, None], out=self._probs[i])
        self._stale[:] = False
        return self._probs

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
            hidden *= p.token_std
            hidden += np.take(self.centres[i], self.domains[i], axis=0)
            logits, weights = self.logits[i], self.weights[i]
            np.matmul(hidden, self.router[i], out=logits)
            logits += self.popularity[i]
            # |h . w_e| <= |h| (unit columns): when every logit is known to lie within +-80 the
            # float32 exponential neither overflows nor underflows to an all-zero row, and the
            # softmax needs no shift; otherwise shift each token by its maximum
            bound = self._hidden_bound[i] + float(np.abs(self.popularity[i]).max())
            if bound < 80.0:
                np.exp(logits, out=weights)
            else:
                np.subtract(logits, logits.max(axis=-1, keepdims=True), out=weights)
                np.exp(weights, out=weights)
            # a BLAS row sum: ~20x faster than sum(axis=-1); the division waits for ``probs``
            np.matmul(weights, self._ones, out=self.totals[i])
        self._stale[idx] = True
