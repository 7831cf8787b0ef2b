"""Dynamics of ``netgym/MoeBatching-v0``: continuous batching of pre-gated MoE requests.

One sub-env (decisions are irregular, so there is no batched sim). Requests arrive from
``ArrivalProcess``; the routing of every token comes from ``SyntheticRouting`` (pre-gated: a
token's experts in every layer are known once it is queued, reference/moe.md section 1,
"How lookahead works"). A request first needs one prefill iteration (all its prompt tokens,
which produces its first output token), then one decode iteration per further output token.

An iteration runs a batch of queued requests whose tokens fit ``max_batch_tokens`` and takes
``sum_l [t_attn(context) + t_shared(n) + sum_{e used at l} t_exp(n_le)]`` (``MoeCostModel``;
all experts resident: this env is about batch composition, not caching). Fewer unique experts
per batch means fewer expert weight reads, which is what Read-ME's Algorithm 1 exploits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cost import MoeCostModel
from ..traces import SyntheticRouting
from .kernels import batch_loads, queue_observation
from .params import BatchingParams

N_SLOT_FEATURES = 5
CONTEXT_TABLE = 1 << 17
"""attention times are tabulated per episode for contexts up to this many tokens"""
"""per-slot features before the expert histogram: valid, is_prefill, tokens / budget, wait,
generated"""


@dataclass(frozen=True)
class SlotView:
    """The queued requests the agent sees (the oldest ``n_slots``), in arrival order."""

    requests: np.ndarray
    """request index of each visible slot (len <= n_slots)"""
    is_prefill: np.ndarray
    """bool: the request has not been prefilled yet"""
    tokens: np.ndarray
    """tokens it would add to the batch (prompt length for a prefill, 1 for a decode)"""
    primary_expert: np.ndarray
    """its expert at layer 0 (decode: the next token's first choice; prefill: the most used
    expert of its prompt)"""
    arrival_s: np.ndarray
    """arrival times"""


class BatchingSim:
    """State and step of one serving episode (see the module docstring)."""

    def __init__(self, params: BatchingParams) -> None:
        self.params = params
        self.cost = MoeCostModel.preset(params.model, params.hardware)
        self.routing = SyntheticRouting.for_model(params.model, seed=params.routing_seed)
        self.process = params.arrival_process()
        self.n_experts = self.routing.n_experts
        self.n_layers = self.routing.n_layers

    # ------------------------------------------------------------------ episode
    def reset(self, rng: np.random.Generator) -> None:
        """Draw the requests and their routing; the clock starts at the first arrival (0)."""
        n, e = self.params.n_requests, self.n_experts
        requests = self.process.sample(n, rng)
        self.arrival_s = requests.arrival_s
        self.prompt = requests.prompt_tokens
        self.output = requests.output_tokens
        trace = self.routing.generate(self.prompt + self.output, rng)
        self.experts = trace.experts.astype(np.int64)  # (tokens, layers, k)
        self.start = np.concatenate(([0], np.cumsum(self.prompt + self.output)[:-1]))
        # prompt histograms (requests, layers, experts): what one prefill adds per layer
        token_request = trace.request_ids
        is_prompt = (
            np.arange(len(token_request)) - self.start[token_request] < self.prompt[token_request]
        )
        hist = np.zeros((n, self.n_layers, e))
        rows = np.repeat(token_request[is_prompt], self.experts.shape[2])
        for layer in range(self.n_layers):
            ids = self.experts[is_prompt, layer].ravel()
            np.add.at(hist[:, layer], (rows, ids), 1.0)
        self.prompt_hist = hist
        self.prompt_primary = np.argmax(hist[:, 0], axis=1)
        # an expert processes at most every token of a batch, and a batch at most every
        # prompt plus one decode token per request: t_exp of every possible load, once
        # (so are the shared experts' tokens); the attention's context is at most every
        # request's prompt and output (tabulated up to CONTEXT_TABLE tokens)
        most = int(self.prompt.sum()) + n
        tokens = np.arange(most + 1.0)
        self._expert_table_ms = self.cost.expert_ms(tokens, check=False)
        self._shared_table_ms = self.cost.shared_ms(tokens, check=False)
        context = min(int((self.prompt + self.output).sum()), CONTEXT_TABLE)
        self._attention_table_ms = self.cost.attention_ms(np.arange(context + 1.0), check=False)
        self._view: SlotView | None = None
        self.generated = np.zeros(n, dtype=np.int64)
        self.finish_s = np.full(n, np.inf)
        self.clock_s = 0.0
        self.iterations = 0
        self.last_iteration_ms = 0.0
        self.last_batch = np.zeros(0, dtype=np.int64)
        self.last_unique = 0.0
        self.unique_history: list[float] = []
        self._unique = np.empty(min(self.params.max_iterations, 4095) + 1)
        """``unique_history`` as an array (its mean without a list conversion per step),
        doubled when full"""
        self._finishes = 0
        """iterations that finished a request (a version of ``finish_s``)"""
        self._stats: tuple[int, int, tuple[float, float, float]] | None = None
        """(``_finishes``, finished requests, their latency statistics): ``latency_stats``"""

    @property
    def done(self) -> bool:
        """All requests served."""
        return bool((self.generated >= self.output).all())

    def queued(self) -> np.ndarray:
        """Indices of arrived, unfinished requests, oldest first."""
        return np.flatnonzero((self.arrival_s <= self.clock_s) & (self.generated < self.output))

    def slots(self) -> SlotView:
        """The visible queue (``n_slots`` oldest queued requests); cached until the next step."""
        if self._view is None:
            requests = self.queued()[: self.params.n_slots]
            is_prefill = self.generated[requests] == 0
            tokens = np.where(is_prefill, self.prompt[requests], 1)
            rows = self.start[requests] + self.prompt[requests] + self.generated[requests] - 1
            next_expert = self.experts[np.where(is_prefill, 0, rows), 0, 0]
            primary = np.where(is_prefill, self.prompt_primary[requests], next_expert)
            self._view = SlotView(requests, is_prefill, tokens, primary, self.arrival_s[requests])
        return self._view

    # ------------------------------------------------------------------ one iteration
    def batch_from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Requests of the next batch from per-slot scores (score > 0 = candidate).

        Candidates join in descending score (ties: older first). The first always joins, even
        a prefill longer than the budget (prefills are not chunked); later ones join while
        their tokens fit what is left, and one that does not fit is skipped. With no candidate
        the highest-scoring visible request runs alone (every iteration makes progress).
        """
        view = self.slots()
        valid = scores[: len(view.requests)]
        # descending score, ties to the older slot (a stable sort of the negated scores)
        order = np.argsort(-valid, kind="stable").tolist()
        values, tokens = valid.tolist(), view.tokens.tolist()  # Python numbers: a fast loop
        budget = self.params.max_batch_tokens
        chosen: list[int] = []
        for j in order:
            if values[j] <= 0:
                break
            if not chosen or tokens[j] <= budget:
                chosen.append(j)
                budget -= int(tokens[j])
        if not chosen:
            chosen = [order[0]]
        return view.requests[np.sort(np.asarray(chosen))]

    def loads(self, batch: np.ndarray) -> np.ndarray:
        """(layers, experts) tokens each expert processes in an iteration of ``batch``."""
        loads = np.empty((self.n_layers, self.n_experts))
        batch_loads(
            np.asarray(batch, dtype=np.int64),
            self.generated,
            self.start,
            self.prompt,
            self.prompt_hist,
            self.experts,
            loads,
        )
        return loads

    def iteration_ms(self, batch: np.ndarray, loads: np.ndarray) -> float:
        """Time of one iteration of ``batch`` with per-layer ``loads``."""
        generated, prompt = self.generated[batch], self.prompt[batch]
        prefill = generated == 0
        context = int(np.where(prefill, prompt, prompt + generated).sum())
        n_tokens = int(np.where(prefill, prompt, 1).sum())
        cost = self.cost
        # the cost model's values, tabulated at reset for every count the sim can produce
        if context < len(self._attention_table_ms):
            attention = self._attention_table_ms[context]
        else:
            attention = cost.attention_ms(float(context), check=False)
        per_layer = attention + self._shared_table_ms[n_tokens]
        counts = loads.astype(np.int64)
        if (counts == loads).all() and counts.max() < len(self._expert_table_ms):
            expert_ms = self._expert_table_ms[counts]  # the same t_exp values, tabulated
        else:
            expert_ms = cost.expert_ms(loads)
        return float(self.n_layers * per_layer + np.sum(expert_ms))

    def step(self, batch: np.ndarray) -> float:
        """Run one iteration of ``batch``; returns minus the request-seconds spent in the system
        from the decision to the next decision (idle gaps, with nobody waiting, cost 0)."""
        loads = self.loads(batch)
        duration_ms = self.iteration_ms(batch, loads)
        start_s = self.clock_s
        self.clock_s = start_s + duration_ms / 1e3
        self.generated[batch] += 1
        self._view = None
        finished = batch[self.generated[batch] >= self.output[batch]]
        self.finish_s[finished] = self.clock_s
        self._finishes += len(finished) > 0
        self.iterations += 1
        self.last_iteration_ms = duration_ms
        self.last_batch = batch
        self.last_unique = float((loads > 0).sum(axis=1).mean())
        if len(self.unique_history) == len(self._unique):
            self._unique = np.concatenate([self._unique, np.empty(len(self._unique))])
        self._unique[len(self.unique_history)] = self.last_unique
        self.unique_history.append(self.last_unique)
        cost_s = self.system_seconds(start_s, self.clock_s)
        if not self.done and len(self.queued()) == 0:  # idle until the next arrival
            self.clock_s = float(self.arrival_s[self.arrival_s > self.clock_s].min())
        self._view = None
        return -cost_s

    def system_seconds(self, begin_s: float, end_s: float) -> float:
        """Request-seconds spent in the system during ``(begin_s, end_s]``."""
        overlap = np.minimum(end_s, self.finish_s) - np.maximum(begin_s, self.arrival_s)
        return float(np.maximum(overlap, 0.0, out=overlap).sum())  # np.clip(overlap, 0, None)

    # ------------------------------------------------------------------ metrics
    def mean_unique_experts(self) -> float:
        """Mean of ``unique_history`` (0 before the first iteration)."""
        n = len(self.unique_history)
        return float(self._unique[:n].mean()) if n else 0.0

    def latency_stats(self) -> tuple[int, tuple[float, float, float]]:
        """Finished requests and the mean, p95 and p99 of their normalised latency (zeros
        when none finished), recomputed only after an iteration that finished a request."""
        if self._stats is None or self._stats[0] != self._finishes:
            latency = self.normalised_latency_ms()
            stats = (
                (float(latency.mean()), *np.percentile(latency, [95, 99]).tolist())
                if len(latency)
                else (0.0, 0.0, 0.0)
            )
            self._stats = (self._finishes, len(latency), stats)
        return self._stats[1], self._stats[2]

    def normalised_latency_ms(self) -> np.ndarray:
        """E2E latency / output tokens of every finished request, ms per token."""
        done = np.isfinite(self.finish_s)
        return (self.finish_s[done] - self.arrival_s[done]) / self.output[done] * 1e3

    def observation(self) -> np.ndarray:
        """float32 in [0, 1]: per slot (n_slots rows) valid, is_prefill, tokens / budget,
        wait ``w / (w + 1 s)``, generated ``g / (g + 128)``, then the slot's expert histogram at
        layer 0 (sums to 1); then per expert the share of visible requests whose primary expert
        it is, the visible queue length / n_slots and the share of requests finished."""
        p = self.params
        view = self.slots()
        out = np.empty(self.observation_size(), dtype=np.float32)
        queue_observation(
            view.requests,
            self.clock_s,
            self.arrival_s,
            self.generated,
            self.output,
            self.start,
            self.prompt,
            self.prompt_hist,
            self.experts,
            view.primary_expert,
            p.max_batch_tokens,
            p.n_slots,
            out,
        )
        return out

    def observation_size(self) -> int:
        """Length of the observation."""
        return self.params.n_slots * (N_SLOT_FEATURES + self.n_experts) + self.n_experts + 2
