"""Per-layer time costs of MoE serving (``MoeCostModel``) and the serial copy queue.

The model is reference/moe.md section 6, in milliseconds:

- expert compute ``t_exp(n) = max(bytes_e / HBM_BW, 2 P_e n / FLOPS) + t_launch`` for ``n > 0``
  tokens (memory-bound for small ``n``, compute-bound above ``FLOPS / HBM_BW`` tokens per byte);
  an expert that gets no token costs nothing;
- expert load ``t_load = bytes_e / PCIe_eff + t_overhead``, through **one serial copy queue**:
  a copy starts when it is issued and the previous copy has finished;
- attention ``t_attn = (attention weight bytes + context tokens x KV bytes) / HBM_BW``;
- a layer call starts with attention, the shared experts and the resident (hit) experts, then
  runs each missing expert as soon as its copy is ready; the stall is the time the compute
  stream waits for copies, ``sum_e max(0, ready(e) - cursor)``.

Prefetching is only a matter of issue times: a copy issued during the previous layer's compute
(Read-ME's pre-gated prefetch) is ready earlier and stalls less.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .hardware import (
    DEFAULT_HARDWARE,
    GB,
    MoeHardware,
    MoeModel,
    hardware_preset,
    model_preset,
)


@dataclass(frozen=True)
class MoeCostModel:
    """Time costs of one MoE model on one accelerator (all results in milliseconds).

    Example::

        cost = MoeCostModel.preset("mixtral", "h100_pcie5")
        cost.load_ms            # one expert copy: 352 MB / 50 GB/s + 10 us = 7.06 ms
        cost.expert_ms(1)       # one decode token: 352 MB / 3350 GB/s + 5 us = 0.110 ms
    """

    model: MoeModel = field(default_factory=lambda: model_preset("readme"))
    """the model's shape (``hardware.MoeModel``)"""
    hardware: MoeHardware = field(default_factory=lambda: hardware_preset(DEFAULT_HARDWARE))
    """the accelerator and host link (``hardware.MoeHardware``)"""

    def __post_init__(self) -> None:
        if not isinstance(self.model, MoeModel):
            raise ValueError(f"MoeCostModel.model must be a MoeModel, got {self.model!r}")
        if not isinstance(self.hardware, MoeHardware):
            raise ValueError(f"MoeCostModel.hardware must be a MoeHardware, got {self.hardware!r}")

    @classmethod
    def preset(cls, model: str = "readme", hardware: str = DEFAULT_HARDWARE) -> MoeCostModel:
        """Cost model of a named model preset on a named hardware preset.

        Raises:
            ValueError: an unknown name (the message lists the known presets).
        """
        return cls(model=model_preset(model), hardware=hardware_preset(hardware))

    @classmethod
    def coerce(cls, value: Any) -> MoeCostModel:
        """Accept a ``MoeCostModel``, a model preset name, or a dict ``{model:, hardware:}``."""
        if isinstance(value, MoeCostModel):
            return value
        if isinstance(value, str):
            return cls.preset(value)
        if isinstance(value, dict):
            unknown = set(value) - {"model", "hardware"}
            if unknown:
                raise ValueError(f"cost dict has unknown keys {sorted(unknown)}")
            model = value.get("model", "readme")
            hardware = value.get("hardware", DEFAULT_HARDWARE)
            if isinstance(model, str):
                model = model_preset(model)
            elif not isinstance(model, MoeModel):
                model = _build(MoeModel, model)
            if isinstance(hardware, str):
                hardware = hardware_preset(hardware)
            elif not isinstance(hardware, MoeHardware):
                hardware = _build(MoeHardware, hardware)
            return cls(model=model, hardware=hardware)
        raise ValueError(
            f"cost must be a MoeCostModel, a preset name or a dict, got {type(value).__name__}"
        )

    # ------------------------------------------------------------------ per-expert costs
    @property
    def expert_bytes(self) -> float:
        """Bytes of one routed expert in one layer."""
        return self.model.expert_bytes

    @property
    def load_ms(self) -> float:
        """Host-to-device copy time of one expert (one layer's slice)."""
        hw = self.hardware
        return self.expert_bytes / (hw.pcie_gbps * GB) * 1e3 + hw.load_overhead_us * 1e-3

    @property
    def compute_bound_tokens(self) -> float:
        """Tokens above which an expert GEMM is compute-bound (``FLOPS / HBM_BW`` x bytes/FLOP)."""
        hw = self.hardware
        flops_per_byte = 2.0 / self.model.bytes_per_param
        return hw.tflops * 1e12 / (hw.hbm_gbps * GB) / flops_per_byte

    def expert_ms(self, n_tokens: Any, check: bool = True) -> Any:
        """Compute time of one routed expert on ``n_tokens`` tokens (0 for no token).

        Accepts a number or an array of token counts; returns the same shape. ``check=False``
        skips the validation of counts the caller knows to be finite and >= 0 (a simulator's
        own loads): the same numbers, without two passes over them.
        """
        return self._matmul_ms(self.model.expert_params, n_tokens, check)

    def shared_ms(self, n_tokens: Any, check: bool = True) -> Any:
        """Compute time of the shared / permanent experts of one layer (0 when there are none);
        ``check`` as in ``expert_ms``."""
        if self.model.shared_params == 0:
            return np.zeros_like(np.asarray(n_tokens, dtype=float))[()]
        return self._matmul_ms(self.model.shared_params, n_tokens, check)

    def _matmul_ms(self, params: float, n_tokens: Any, check: bool = True) -> Any:
        tokens = np.asarray(n_tokens, dtype=float)
        if check and (np.any(tokens < 0) or not np.all(np.isfinite(tokens))):
            raise ValueError(f"token counts must be finite and >= 0, got {n_tokens!r}")
        hw = self.hardware
        memory_s = params * self.model.bytes_per_param / (hw.hbm_gbps * GB)
        compute_s = 2.0 * params * tokens / (hw.tflops * 1e12)
        busy_ms = np.maximum(memory_s, compute_s) * 1e3 + hw.launch_us * 1e-3
        return np.where(tokens > 0, busy_ms, 0.0)[()]

    def attention_ms(self, context_tokens: Any, check: bool = True) -> Any:
        """Attention time of one layer: read its weights and ``context_tokens`` of KV cache;
        ``check`` as in ``expert_ms``."""
        context = np.asarray(context_tokens, dtype=float)
        if check and (np.any(context < 0) or not np.all(np.isfinite(context))):
            raise ValueError(f"context_tokens must be finite and >= 0, got {context_tokens!r}")
        model = self.model
        weight_bytes = model.attention_params * model.bytes_per_param
        kv_bytes = context * model.kv_bytes_per_token
        return ((weight_bytes + kv_bytes) / (self.hardware.hbm_gbps * GB) * 1e3)[()]

    @property
    def miss_to_compute_ratio(self) -> float:
        """One copy over one single-token expert compute (~HBM_BW / PCIe_BW, reference 6 [D])."""
        return float(self.load_ms / self.expert_ms(1))

    def layer_ms(self, tokens_per_expert: Any, context_tokens: float = 0.0) -> float:
        """Compute time of one layer call without stalls.

        Args:
            tokens_per_expert: tokens routed to each expert (zeros allowed), any 1-d sequence.
            context_tokens: KV-cache tokens read by attention in this call.
        """
        tokens = np.asarray(tokens_per_expert, dtype=float)
        n_tokens = float(tokens.sum()) / self.model.top_k
        return float(
            self.attention_ms(context_tokens)
            + self.shared_ms(n_tokens)
            + np.sum(self.expert_ms(tokens))
        )


def _build(kind: type, values: Any) -> Any:
    """``kind(**values)`` for a dict of its fields; unknown fields are a ``ValueError``."""
    if not isinstance(values, dict):
        raise ValueError(
            f"{kind.__name__} must be given as a preset name, an object or a dict, got {values!r}"
        )
    known = [f.name for f in fields(kind)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown {kind.__name__} field(s) {unknown}; known: {known}")
    return kind(**values)


class CopyQueue:
    """The single host-to-device copy queue: copies run one after another in issue order."""

    def __init__(self, load_ms: float) -> None:
        if not load_ms >= 0:
            raise ValueError(f"CopyQueue.load_ms must be >= 0, got {load_ms!r}")
        self.load_ms = float(load_ms)
        self.free_at_ms = 0.0
        """time at which the last queued copy finishes"""

    def reset(self) -> None:
        """Empty the queue (time 0)."""
        self.free_at_ms = 0.0

    def issue(self, issue_ms: float) -> float:
        """Queue one copy issued at ``issue_ms``; return the time it is ready."""
        start_ms = max(self.free_at_ms, issue_ms)
        self.free_at_ms = start_ms + self.load_ms
        return self.free_at_ms

    def backlog_ms(self, now_ms: float) -> float:
        """Copy time still pending at ``now_ms``."""
        return max(0.0, self.free_at_ms - now_ms)


def layer_stall_ms(
    start_ms: float,
    base_ms: float,
    miss_ready_ms: Sequence[float],
    miss_compute_ms: Sequence[float],
) -> tuple[float, float]:
    """Stall and end time of one layer call.

    The call starts at ``start_ms`` and first runs ``base_ms`` of work that needs no copy
    (attention, shared experts, resident experts); then each missing expert, in the order of
    ``miss_ready_ms`` (ascending, as a serial queue delivers them), starts when both the compute
    stream is free and its copy is ready.

    Returns:
        ``(stall_ms, end_ms)``: time the compute stream waited for copies, and when the call ends.
    """
    cursor = start_ms + base_ms
    stall = 0.0
    for ready, busy in zip(miss_ready_ms, miss_compute_ms, strict=True):
        if ready > cursor:
            stall += ready - cursor
            cursor = ready
        cursor += busy
    return stall, cursor
