"""Parameters of ``netgym/MoeExpertCache-v0`` (``CacheParams``).

The defaults are Read-ME's setting (reference/moe.md sections 1 and 6): its pre-gated model
(``readme``: one expert path per token, cached whole) on an A100 with PCIe Gen4, a cache of 4
expert paths, 8 requests decoding together and Azure-conversation-like output lengths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range, set_field
from ..arrivals import LengthDistribution
from ..cost import MoeCostModel
from ..traces import RoutingTrace, SyntheticRouting, load_trace
from .stream import UNITS

REWARDS = ("stall", "miss")
MAX_POSITIONS = 2**62
"""the largest window or lookahead (access positions are int64)"""
TOKEN_MARGIN = 1.25
"""drawn lengths above their mean, in the memory estimate (a sum of many draws stays close)"""
BYTES_PER_ROUTED_ID = 2
"""per token, layer and choice of the trace (int16)"""
BYTES_PER_STREAM_ID = 160
"""per token, cached layer and choice while the access stream is built (the int64 keys,
steps and ids, and the dense counts or the sort of ``decode_stream``)"""
BYTES_PER_ACCESS = 512
"""per access of the stream: its arrays and the sim's per-access lists and feature tables"""
BYTES_PER_KEY = 64
"""per cache key: the sim's per-key lists"""

OWNER = "MoeExpertCacheEnv"
"""the name validation errors give (the env's keyword arguments were checked there first)"""


@dataclass(frozen=True)
class CacheParams(EnvParams):
    """All parameters of ``netgym/MoeExpertCache-v0`` (the keyword arguments of the env)."""

    ENV_NAME: ClassVar[str] = "MoeExpertCache"
    PRESETS: ClassVar[dict[str, str | None]] = {"default": None}

    model: Any = "readme"
    """a model preset name (with ``hardware``), a ``MoeCostModel``, or a ``MoeModel`` or dict
    of its fields (with ``hardware``)"""
    hardware: Any = "a100_pcie4"
    """a hardware preset name, a ``MoeHardware`` or a dict of its fields (ignored when
    ``model`` is a ``MoeCostModel``)"""
    capacity: int = 4
    """cache slots (fewer than the cache keys, else no eviction is ever needed)"""
    batch_size: int = 8
    """requests decoding together (continuous batching)"""
    n_requests: int = 32
    """requests per episode"""
    max_tokens: int = 256
    """longest output of a request (Azure-conversation-like lengths: median 129, p99 601,
    clipped here)"""
    window: int = 64
    """accesses ahead a policy may see"""
    lookahead_iterations: int | None = 0
    """iterations after the running one whose experts are visible (pre-gated); None = no
    limit"""
    oracle: bool = False
    """show the whole trace (no window, no iteration limit)"""
    prefetch: bool = False
    """issue each copy one layer call early (pre-gated prefetch)"""
    reward: str = "stall"
    """'stall' (minus the stall in ms since the last decision) or 'miss' (-1 per decision)"""
    routing: dict[str, Any] | None = None
    """overrides of ``SyntheticRouting`` fields (the generator of the synthetic episodes)"""
    trace: Any = None
    """a ``RoutingTrace``, or the path of a ``.npz`` one (loaded here), replayed every episode
    instead of synthetic traces; None = synthetic"""
    unit: str | None = None
    """'layer' ((layer, expert) keys) or 'path' (expert keys: a slot holds a whole expert
    path); None = 'path' for models whose choice holds in every layer, else 'layer'"""
    freq_half_life: float = 256.0
    """half-life, in accesses, of the decayed use frequency"""
    pin: int | None = 1
    """keys of the running layer call that cannot be evicted: the ``pin`` most recent (None:
    all it used)"""
    prefetch_head: int = 0
    """prefetch candidates offered per decision (0: no prefetch head)"""

    def __post_init__(self) -> None:
        owner = OWNER
        spec = self.cost_model().model
        for name in ("capacity", "batch_size", "n_requests"):
            check_int(self, owner, name, low=1)
        check_int(self, owner, "max_tokens", low=2)
        check_int(self, owner, "window", low=0, high=MAX_POSITIONS)
        if self.lookahead_iterations is not None:
            check_int(self, owner, "lookahead_iterations", low=0, high=MAX_POSITIONS)
        check_range(owner, "freq_half_life", self.freq_half_life, low=0, low_inclusive=False)
        set_field(self, "freq_half_life", float(self.freq_half_life))
        if self.pin is not None:
            check_int(self, owner, "pin", low=0)
        check_int(self, owner, "prefetch_head", low=0, high=self.n_keys)
        check_choice(owner, "reward", self.reward, REWARDS)
        for name in ("oracle", "prefetch"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{owner}.{name} must be a bool, got {getattr(self, name)!r}")
        check_choice(owner, "unit", self.resolved_unit, UNITS)
        if isinstance(self.trace, (str, os.PathLike)):
            set_field(self, "trace", load_trace(self.trace))
        if self.trace is not None and not isinstance(self.trace, RoutingTrace):
            raise ValueError(
                f"{owner}.trace must be a RoutingTrace, the path of a .npz trace or None, got "
                f"{type(self.trace).__name__}"
            )
        trace = self.trace
        if trace is not None and trace.n_experts != spec.n_experts:
            raise ValueError(
                f"{owner}: the trace has {trace.n_experts} experts but model {spec.name!r} has "
                f"{spec.n_experts}"
            )
        if trace is not None and trace.n_layers != spec.n_layers:
            raise ValueError(
                f"{owner}: the trace has {trace.n_layers} layers but model {spec.name!r} has "
                f"{spec.n_layers} (cache keys and copy costs follow the model)"
            )
        routing = self.synthetic_routing()
        for name in ("n_experts", "n_layers"):
            drawn, modelled = getattr(routing, name), getattr(spec, name)
            if drawn != modelled:
                label = name.removeprefix("n_")
                raise ValueError(
                    f"{owner}: routing overrides give {drawn} {label} but model {spec.name!r} "
                    f"has {modelled} (cache keys and copy costs follow the model)"
                )
        n_keys = self.n_keys
        if self.capacity >= n_keys:
            raise ValueError(
                f"{owner}.capacity ({self.capacity}) must be < the {n_keys} cache keys, "
                "else no eviction is ever needed"
            )

    def memory_estimate(self) -> tuple[float, str]:
        """Bytes an episode holds at most (the trace, then the larger of the access stream's
        build scratch and the sim's per-access state) and the parameters behind them.

        Accesses are bounded by every serving iteration using ``min(batch k, E)`` experts in
        every cached layer; a synthetic trace's tokens by the mean request length.
        """
        routing = self.synthetic_routing()
        layers, k, experts = routing.n_layers, routing.top_k, routing.n_experts
        if self.trace is not None:
            tokens = float(self.trace.n_tokens)
            requests = int(np.unique(self.trace.request_ids).size)
            k, longest = self.trace.top_k, float(np.bincount(self.trace.request_ids).max())
        else:
            lengths = LengthDistribution(median=129.0, p99=601.0, max_tokens=self.max_tokens)
            mean = min(lengths.mean_upper() * TOKEN_MARGIN, self.max_tokens)
            tokens, requests, longest = self.n_requests * mean, self.n_requests, self.max_tokens
        cached = 1 if self.resolved_unit == "path" else layers
        iterations = tokens / min(self.batch_size, requests) + longest
        accesses = min(tokens * k, iterations * min(self.batch_size * k, experts)) * cached
        # the stream's build scratch is freed before the sim builds its per-access state
        building = tokens * BYTES_PER_STREAM_ID * cached * k
        total = tokens * (BYTES_PER_ROUTED_ID * layers * k + 16) + self.n_keys * BYTES_PER_KEY
        total += max(building, accesses * BYTES_PER_ACCESS)
        source = "the trace" if self.trace is not None else f"n_requests={self.n_requests}"
        detail = (
            f"{source} with about {tokens:.3g} tokens and {accesses:.3g} cache accesses "
            f"({layers} layers, top-{k}, unit {self.resolved_unit!r}, "
            f"batch_size={self.batch_size})"
        )
        return float(total), detail

    def cost_model(self) -> MoeCostModel:
        """The ``MoeCostModel`` of ``model`` and ``hardware``."""
        if isinstance(self.model, MoeCostModel):
            return self.model
        if isinstance(self.model, str):
            return MoeCostModel.preset(self.model, self.hardware)
        return MoeCostModel.coerce({"model": self.model, "hardware": self.hardware})

    @property
    def resolved_unit(self) -> str:
        """``unit``, or the model's default when it is None."""
        same_path = self.cost_model().model.same_expert_all_layers
        return self.unit or ("path" if same_path else "layer")

    @property
    def n_keys(self) -> int:
        """Distinct cache keys: experts (unit 'path') or (layer, expert) pairs."""
        spec = self.cost_model().model
        return spec.n_experts * (1 if self.resolved_unit == "path" else spec.n_layers)

    def synthetic_routing(self) -> SyntheticRouting:
        """The generator of the synthetic episodes (the model's, with the ``routing``
        overrides)."""
        return SyntheticRouting.for_model(self.cost_model().model, **(self.routing or {}))


__all__ = ["MAX_POSITIONS", "REWARDS", "CacheParams"]
