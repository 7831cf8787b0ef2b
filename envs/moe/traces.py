"""Routing traces: which experts each token uses in each layer.

A ``RoutingTrace`` holds ``experts`` (int16, tokens x layers x k, first choice first) and
``request_ids`` (one per token). Traces come from two places:

- ``SyntheticRouting``, a seeded generator calibrated to published routing statistics
  (reference/moe.md section 3): a skewed popularity per layer (Dirichlet), a latent domain per
  request that tilts it, a probability that a token repeats the previous token's experts, a
  sparse cross-layer transition (the expert chosen at layer l-1 points to a preferred successor
  at layer l), and Read-ME's mode where one choice holds for every layer;
- ``load_trace``, for traces recorded from real models, stored as ``.npz``::

      np.savez(path, experts=ids, request_ids=req, n_experts=64)

  ``experts`` is an integer array shaped (tokens, layers, k) of expert ids in ``[0, n_experts)``,
  distinct within a (token, layer) row, first choice first; ``request_ids`` an integer array
  (tokens,) whose tokens appear in generation order; ``n_experts`` is optional (default: largest
  id + 1). FLAME-MoE's parquet traces convert to this by stacking per-layer ``indices`` columns.

``routing_statistics`` measures a trace the way the papers do (first-choice repeat rate between
consecutive tokens of a request, load-balance standard deviation, cross-layer transition share).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any, Union

import numpy as np

from ..core.budget import check_memory
from ..core.validation import check_range
from .hardware import MoeModel, model_preset
from .trace_archive import inspect_npz, trace_read_bytes

PathLike = Union[str, os.PathLike]  # noqa: UP007 (a runtime alias)

_CHUNK_TOKENS = 1 << 15
"""tokens sampled per vectorised chunk (bounds the tokens x experts scratch arrays)"""


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class RoutingTrace:
    """Expert ids of every token and layer, with the request each token belongs to."""

    experts: np.ndarray
    """int16 (tokens, layers, k): expert ids, first choice first"""
    request_ids: np.ndarray
    """int64 (tokens,): request of each token; a request's tokens are in generation order"""
    n_experts: int
    """number of routed experts per layer (ids are in [0, n_experts))"""
    domains: np.ndarray | None = None
    """int64 (requests,): latent domain of each request (synthetic traces only)"""

    def __post_init__(self) -> None:
        _validate(self.experts, self.request_ids, self.n_experts, "RoutingTrace")

    @property
    def n_tokens(self) -> int:
        """Number of tokens."""
        return int(self.experts.shape[0])

    @property
    def n_layers(self) -> int:
        """Number of MoE layers."""
        return int(self.experts.shape[1])

    @property
    def top_k(self) -> int:
        """Experts per token and layer."""
        return int(self.experts.shape[2])

    def save(self, path: PathLike) -> None:
        """Write the trace as ``.npz`` in the format ``load_trace`` reads."""
        np.savez(path, experts=self.experts, request_ids=self.request_ids, n_experts=self.n_experts)


def _validate(experts: Any, request_ids: Any, n_experts: Any, where: str) -> None:
    if not isinstance(experts, np.ndarray) or experts.ndim != 3:
        shape = getattr(experts, "shape", None)
        raise ValueError(f"{where}: experts must be a 3-d array (tokens, layers, k), got {shape}")
    if not np.issubdtype(experts.dtype, np.integer):
        raise ValueError(f"{where}: experts must hold integer ids, got dtype {experts.dtype}")
    if min(experts.shape) < 1:
        raise ValueError(f"{where}: experts must be non-empty, got shape {experts.shape}")
    check_range(where, "n_experts", n_experts, low=1, integer=True)
    if experts.shape[2] > n_experts:
        raise ValueError(f"{where}: top-k ({experts.shape[2]}) exceeds n_experts ({n_experts})")
    low, high = int(experts.min()), int(experts.max())
    if low < 0 or high >= n_experts:
        bad = np.argwhere((experts < 0) | (experts >= n_experts))[0]
        raise ValueError(
            f"{where}: expert id {int(experts[tuple(bad)])} at (token {bad[0]}, layer {bad[1]}, "
            f"slot {bad[2]}) is out of range [0, {n_experts})"
        )
    if experts.shape[2] > 1:
        ordered = np.sort(experts, axis=2)
        dup = np.argwhere(np.any(ordered[:, :, 1:] == ordered[:, :, :-1], axis=2))
        if len(dup):
            raise ValueError(
                f"{where}: token {dup[0][0]} layer {dup[0][1]} repeats an expert "
                f"{experts[dup[0][0], dup[0][1]].tolist()}; the k ids of a row must be distinct"
            )
    if not isinstance(request_ids, np.ndarray) or request_ids.shape != (experts.shape[0],):
        shape = getattr(request_ids, "shape", None)
        raise ValueError(
            f"{where}: request_ids must be an array of shape ({experts.shape[0]},), got {shape}"
        )
    if not np.issubdtype(request_ids.dtype, np.integer):
        raise ValueError(f"{where}: request_ids must be integers, got dtype {request_ids.dtype}")


def load_trace(path: PathLike, n_experts: int | None = None) -> RoutingTrace:
    """Load a recorded routing trace from ``.npz`` (format in the module docstring).

    The archive is checked before any array is read (``trace_archive.inspect_npz``): a regular
    file, a zip of ``.npy`` members only, integer arrays (never Python objects: nothing is
    unpickled), and the memory of reading and validating them within the memory budget.

    Args:
        path: the ``.npz`` file.
        n_experts: experts per layer; overrides the file's ``n_experts`` (default: the file's
            value, else the largest id + 1).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a regular file or not an ``.npz`` archive (a plain ``.npy``, another
            format), a member that is not a ``.npy`` array or holds objects, a missing key, a
            bad shape or dtype, an id out of range, a repeated id, or a trace too large for the
            memory budget; every message starts with the file name.
    """
    where = f"routing trace {path}"
    headers = inspect_npz(path, "routing trace")
    missing = [key for key in ("experts", "request_ids") if key not in headers]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}; found {sorted(headers)}")
    check_memory(
        "routing trace loader",
        trace_read_bytes(headers),
        f"{where}: experts {headers['experts'].shape} of {headers['experts'].dtype}, "
        f"request_ids {headers['request_ids'].shape}",
    )
    try:
        with np.load(path, allow_pickle=False) as data:
            experts = data["experts"]
            request_ids = data["request_ids"]
            raw = data["n_experts"] if "n_experts" in headers else None
    except Exception as error:  # np.load raises several types for corrupt members
        raise ValueError(f"{where}: not a readable .npz file ({error})") from error
    stored = None
    if raw is not None:
        if raw.ndim != 0 or not np.issubdtype(raw.dtype, np.integer):
            raise ValueError(f"{where}: n_experts must be one integer, got {raw.tolist()!r}")
        stored = int(raw)
    if experts.ndim == 2:  # top-1 traces may omit the k axis
        experts = experts[:, :, None]
    if n_experts is None:
        if stored is None and (experts.size == 0 or not np.issubdtype(experts.dtype, np.integer)):
            n_experts = 1  # _validate names what is wrong with experts
        else:
            n_experts = stored if stored is not None else int(experts.max()) + 1
    _validate(experts, request_ids, n_experts, where)
    if n_experts > np.iinfo(np.int16).max:
        raise ValueError(
            f"{where}: at most 32767 experts (ids are stored as int16), got n_experts={n_experts}"
        )
    return RoutingTrace(
        experts=experts.astype(np.int16),
        request_ids=request_ids.astype(np.int64),
        n_experts=int(n_experts),
    )


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class RoutingTables:
    """The distributions a ``SyntheticRouting`` draws from (fixed by its ``seed``)."""

    popularity: np.ndarray
    """float (layers, domains, experts): fresh-draw probabilities per layer and domain"""
    successor: np.ndarray
    """int (layers, experts): preferred expert at layer l after expert e at layer l-1"""
    repeat_prob: float
    """probability that a token copies the previous token's whole routing path"""


@dataclass(frozen=True)
class SyntheticRouting:
    """Seeded routing generator (reference/moe.md section 3, "Synthetic generator").

    A request draws a domain ``z``. Its first token, and every later token with probability
    ``1 - repeat_prob``, draws a fresh path: at layer 0 the first choice comes from
    ``popularity[0, z]``; at layer l > 0 it is the preferred successor of the layer l-1 choice
    with probability ``transition_share``, else a draw from ``popularity[l, z]``. The other k-1
    experts are drawn without replacement from ``popularity[l, z]``. Otherwise the token repeats
    the previous token's experts in every layer. ``popularity[l, z]`` is a per-layer
    Dirichlet(``popularity_alpha``) skew, tilted towards domain z by
    ``exp(domain_strength x N(0, 1))`` factors. With ``same_expert_all_layers`` the layer-0
    choice holds for every layer (Read-ME).

    With ``repeat_rate`` set, ``repeat_prob`` is solved so that the expected first-choice repeat
    rate between consecutive tokens at layer 0 equals it (chance collisions included).
    """

    n_experts: int = 8
    """routed experts per layer"""
    n_layers: int = 32
    """MoE layers"""
    top_k: int = 2
    """experts per token and layer"""
    n_domains: int = 7
    """latent request domains (RedPajama has 7)"""
    popularity_alpha: float = 20.0
    """Dirichlet concentration of each layer's popularity (smaller = more skewed)"""
    domain_strength: float = 0.5
    """standard deviation of the log-tilt of a domain's popularity"""
    repeat_prob: float = 0.0
    """probability that a token repeats the previous token's experts (ignored if repeat_rate)"""
    repeat_rate: float | None = None
    """target first-choice repeat rate at layer 0; sets repeat_prob when given"""
    transition_share: float = 0.7
    """probability that a fresh layer-l choice is the preferred successor of layer l-1's"""
    same_expert_all_layers: bool = False
    """Read-ME mode: the layer-0 choice holds for every layer"""
    seed: int = 0
    """seed of the tables (popularity, domains, successors), not of the token draws"""

    def __post_init__(self) -> None:
        owner = "SyntheticRouting"
        for name in ("n_experts", "n_layers", "top_k", "n_domains"):
            check_range(owner, name, getattr(self, name), low=1, integer=True)
        if self.top_k > self.n_experts:
            raise ValueError(
                f"{owner}.top_k must be <= n_experts ({self.n_experts}), got {self.top_k}"
            )
        check_range(owner, "popularity_alpha", self.popularity_alpha, low=0, low_inclusive=False)
        check_range(owner, "domain_strength", self.domain_strength, low=0)
        check_range(owner, "repeat_prob", self.repeat_prob, low=0, high=1, high_inclusive=False)
        if self.repeat_rate is not None:
            check_range(owner, "repeat_rate", self.repeat_rate, low=0, high=1, high_inclusive=False)
        check_range(owner, "transition_share", self.transition_share, low=0, high=1)
        check_range(owner, "seed", self.seed, low=0, integer=True)

    @classmethod
    def for_model(cls, model: MoeModel | str, **changes: Any) -> SyntheticRouting:
        """Generator calibrated for a model preset (or a ``MoeModel``).

        Calibration (reference/moe.md section 3): ``readme`` repeats the previous token's expert
        for 2921/4096 = 71.3% of tokens; ``mixtral`` ~14% same first choice at layer 0 with a
        load-balance sd near 2.7 points; ``deepseekmoe16b`` and ``qwen15moe`` are flatter
        (LB 2.03 and 0.58) with little locality (SRP 36.9 and 30.7).
        """
        if isinstance(model, str):
            model = model_preset(model)
        settings: dict[str, Any] = dict(
            n_experts=model.n_experts,
            n_layers=model.n_layers,
            top_k=model.top_k,
            same_expert_all_layers=model.same_expert_all_layers,
        )
        settings.update(_CALIBRATION.get(model.name, {}))
        unknown = sorted(set(changes) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(
                f"unknown SyntheticRouting field(s) {unknown}; known: "
                f"{[f.name for f in fields(cls)]}"
            )
        settings.update(changes)
        return cls(**settings)

    def replace(self, **changes: Any) -> SyntheticRouting:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def tables(self) -> RoutingTables:
        """The popularity, successor map and repeat probability fixed by ``seed``."""
        rng = np.random.default_rng(self.seed)
        n_layers = 1 if self.same_expert_all_layers else self.n_layers
        base = rng.dirichlet(np.full(self.n_experts, self.popularity_alpha), size=n_layers)
        tilt = rng.normal(
            0.0, self.domain_strength, size=(n_layers, self.n_domains, self.n_experts)
        )
        popularity = base[:, None, :] * np.exp(tilt)
        popularity /= popularity.sum(axis=2, keepdims=True)
        successor = np.stack([rng.permutation(self.n_experts) for _ in range(n_layers)])
        tables = RoutingTables(popularity, successor, self.repeat_prob)
        if self.repeat_rate is None:
            return tables
        # E[same first choice] = p + (1 - p) c, with c the chance collision of two fresh draws.
        collision = float(np.mean(np.sum(popularity[0] ** 2, axis=1)))
        repeat_prob = max(0.0, (self.repeat_rate - collision) / (1.0 - collision))
        return RoutingTables(popularity, successor, repeat_prob)

    def generate(
        self,
        request_lengths: Any,
        rng: np.random.Generator,
        domains: Any = None,
    ) -> RoutingTrace:
        """Draw the routing of requests with the given token counts.

        Args:
            request_lengths: tokens of each request (ints >= 1).
            rng: source of every token-level draw.
            domains: optional domain of each request (default: uniform draws).
        """
        lengths = np.asarray(request_lengths, dtype=np.int64).reshape(-1)
        if lengths.size == 0 or np.any(lengths < 1):
            raise ValueError(
                f"request_lengths must be a non-empty list of ints >= 1, got {lengths}"
            )
        if domains is None:
            domains = rng.integers(self.n_domains, size=lengths.size)
        domains = np.asarray(domains, dtype=np.int64).reshape(-1)
        if domains.shape != lengths.shape or domains.min() < 0 or domains.max() >= self.n_domains:
            raise ValueError(
                f"domains must hold one id in [0, {self.n_domains}) per request, got {domains}"
            )
        tables = self.tables()
        n_tokens = int(lengths.sum())
        request_ids = np.repeat(np.arange(lengths.size), lengths)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        fresh = rng.random(n_tokens) >= tables.repeat_prob
        fresh[starts] = True
        source = np.maximum.accumulate(np.where(fresh, np.arange(n_tokens), 0))
        fresh_index = np.flatnonzero(fresh)
        paths = self._fresh_paths(tables, domains[request_ids[fresh_index]], rng)
        slot = np.cumsum(fresh) - 1  # position of each token's source among fresh tokens
        experts = paths[slot[source]]
        if self.same_expert_all_layers:
            experts = np.repeat(experts, self.n_layers, axis=1)
        return RoutingTrace(experts, request_ids, self.n_experts, domains)

    def _fresh_paths(
        self, tables: RoutingTables, token_domains: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        n_fresh = token_domains.size
        n_layers = tables.popularity.shape[0]
        out = np.empty((n_fresh, n_layers, self.top_k), dtype=np.int16)
        log_pop = np.log(tables.popularity)
        for begin in range(0, n_fresh, _CHUNK_TOKENS):
            doms = token_domains[begin : begin + _CHUNK_TOKENS]
            previous = None
            for layer in range(n_layers):
                # Gumbel-top-k: the first pick is a categorical draw, the rest without replacement.
                scores = log_pop[layer, doms] + rng.gumbel(size=(doms.size, self.n_experts))
                if previous is not None and self.transition_share > 0:
                    follow = rng.random(doms.size) < self.transition_share
                    forced = tables.successor[layer, previous[follow]]
                    scores[np.flatnonzero(follow), forced] = np.inf
                if self.top_k == 1:
                    chosen = np.argmax(scores, axis=1)[:, None]
                else:
                    top = np.argpartition(-scores, self.top_k - 1, axis=1)[:, : self.top_k]
                    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
                    chosen = np.take_along_axis(top, order, axis=1)
                out[begin : begin + doms.size, layer] = chosen
                previous = chosen[:, 0]
        return out


_CALIBRATION: dict[str, dict[str, Any]] = {
    # Read-ME: 2921 of 4096 tokens keep the previous token's expert (section 1).
    "readme": dict(n_domains=7, popularity_alpha=5.0, domain_strength=3.0, repeat_rate=2921 / 4096),
    # Mixtral: 13.6-14.9% same first choice at layer 0 (Table 5), LB sd 2.70, >70% top transition.
    "mixtral": dict(popularity_alpha=42.0, domain_strength=0.15, repeat_rate=0.14),
    "deepseekmoe16b": dict(popularity_alpha=21.0, domain_strength=0.3, repeat_rate=0.05),
    "qwen15moe": dict(popularity_alpha=250.0, domain_strength=0.2, repeat_rate=0.03),
}


def routing_statistics(trace: RoutingTrace) -> dict[str, np.ndarray]:
    """Measure a trace as the papers do.

    Returns:
        ``repeat_rate`` (layers,): share of consecutive token pairs of one request with the same
        first choice (Mixtral Table 5, Read-ME's 2921/4096); ``lb_sd_pct`` (layers,): standard
        deviation over experts of the share of tokens that select each expert, in percentage
        points (Liang et al.'s LB); ``top_transition_share`` (layers - 1,): share of tokens whose
        layer-l first choice is the most common successor of their layer l-1 first choice.
    """
    first = trace.experts[:, :, 0].astype(np.int64)
    same_request = trace.request_ids[1:] == trace.request_ids[:-1]
    if not same_request.any():
        raise ValueError("routing_statistics needs a request with at least 2 tokens")
    repeat = np.mean(first[1:][same_request] == first[:-1][same_request], axis=0)
    counts = np.zeros((trace.n_layers, trace.n_experts))
    for layer in range(trace.n_layers):
        counts[layer] = np.bincount(trace.experts[:, layer, :].ravel(), minlength=trace.n_experts)
    lb_sd = np.std(counts / trace.n_tokens * 100.0, axis=1)
    shares = np.empty(max(trace.n_layers - 1, 0))
    for layer in range(1, trace.n_layers):
        pair = first[:, layer - 1] * trace.n_experts + first[:, layer]
        table = np.bincount(pair, minlength=trace.n_experts**2).reshape(trace.n_experts, -1)
        shares[layer - 1] = table.max(axis=1).sum() / trace.n_tokens
    return {"repeat_rate": repeat, "lb_sd_pct": lb_sd, "top_transition_share": shares}
