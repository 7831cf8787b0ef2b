"""Model and hardware descriptions of the MoE family (``MoeModel``, ``MoeHardware``) and presets.

The numbers are those of ``shared/reference/moe.md`` sections 1, 2 and 6:

| model preset | routed experts | top-k | MoE layers | expert (bf16) | shared/permanent |
|---|---|---|---|---|---|
| ``readme`` | 7 (one per domain) | 1, same expert in every layer | 32 | ~129 MB | yes (derived) |
| ``mixtral`` | 8 | 2 | 32 | 352 MB | none |
| ``deepseekmoe16b`` | 64 (+2 shared) | 6 | 27 | 17.3 MB | 2 x 2048x1408 |
| ``qwen15moe`` | 60 (+shared) | 4 | 24 | 17.3 MB | 2048x5632 |

| hardware preset | HBM | dense bf16 | effective host-to-device |
|---|---|---|---|
| ``a100_pcie4`` | 2,039 GB/s | 312 TFLOPS | 25 GB/s |
| ``h100_pcie5`` | 3,350 GB/s | 989 TFLOPS | 50 GB/s |

Read-ME's per-layer expert size and its permanent expert are derived by arithmetic in the
reference (section 1, marked [D]); they are plain fields, so users can change them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..core.validation import check_int, check_range

GB = 1e9
"""bytes per GB (decimal, as bandwidths are quoted)"""


@dataclass(frozen=True)
class MoeModel:
    """Shape of one MoE transformer as the serving cost model sees it (per MoE layer)."""

    name: str = "custom"
    """label used in reports"""
    n_layers: int = 32
    """number of MoE layers (dense layers are not modelled)"""
    n_experts: int = 8
    """routed experts per layer"""
    top_k: int = 2
    """routed experts chosen per token and layer"""
    expert_params: float = 3 * 4096 * 14336
    """parameters of one routed expert in one layer (3 matrices of a SwiGLU FFN)"""
    shared_params: float = 0.0
    """parameters of the always-resident shared / permanent experts of one layer"""
    attention_params: float = 4096 * 4096 * 2 + 4096 * 1024 * 2
    """attention weights of one layer (always resident, read once per layer call)"""
    kv_bytes_per_token: float = 2 * 8 * 128 * 2
    """KV-cache bytes read per context token and layer (2 x kv_heads x head_dim x 2 B)"""
    bytes_per_param: float = 2.0
    """2 for bf16 / fp16"""
    same_expert_all_layers: bool = False
    """True for Read-ME's pre-gated router: a token uses one expert in every layer (eq. 2)"""

    def __post_init__(self) -> None:
        owner = "MoeModel"
        check_int(self, owner, "n_layers", low=1)
        check_int(self, owner, "n_experts", low=1)
        check_int(self, owner, "top_k", low=1)
        if self.top_k > self.n_experts:
            raise ValueError(
                f"{owner}.top_k must be <= n_experts ({self.n_experts}), got {self.top_k}"
            )
        check_range(owner, "expert_params", self.expert_params, low=0, low_inclusive=False)
        check_range(owner, "shared_params", self.shared_params, low=0)
        check_range(owner, "attention_params", self.attention_params, low=0)
        check_range(owner, "kv_bytes_per_token", self.kv_bytes_per_token, low=0)
        check_range(owner, "bytes_per_param", self.bytes_per_param, low=0, low_inclusive=False)
        if not isinstance(self.same_expert_all_layers, bool):
            raise ValueError(
                f"{owner}.same_expert_all_layers must be a bool, "
                f"got {self.same_expert_all_layers!r}"
            )

    @property
    def expert_bytes(self) -> float:
        """Bytes of one routed expert in one layer."""
        return self.expert_params * self.bytes_per_param

    def replace(self, **changes: Any) -> MoeModel:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class MoeHardware:
    """One accelerator and its host link."""

    name: str = "custom"
    """label used in reports"""
    hbm_gbps: float = 2039.0
    """device memory bandwidth (GB/s)"""
    tflops: float = 312.0
    """dense bf16 throughput (TFLOP/s)"""
    pcie_gbps: float = 25.0
    """effective host-to-device copy bandwidth (GB/s), one serial copy queue"""
    launch_us: float = 5.0
    """fixed cost of one expert kernel launch"""
    load_overhead_us: float = 10.0
    """fixed cost of one host-to-device expert copy"""

    def __post_init__(self) -> None:
        owner = "MoeHardware"
        for name in ("hbm_gbps", "tflops", "pcie_gbps"):
            check_range(owner, name, getattr(self, name), low=0, low_inclusive=False)
        check_range(owner, "launch_us", self.launch_us, low=0)
        check_range(owner, "load_overhead_us", self.load_overhead_us, low=0)

    def replace(self, **changes: Any) -> MoeHardware:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)


# Llama-2-7B attention: 4 x 4096 x 4096 weights, 32 KV heads of 128 (MHA).
_LLAMA2_ATTN = 4 * 4096 * 4096
_LLAMA2_KV = 2 * 32 * 128 * 2
# DeepSeekMoE-16B and Qwen1.5-MoE-A2.7B: d_model 2048, 16 heads of 128, MHA.
_D2048_ATTN = 4 * 2048 * 2048
_D2048_KV = 2 * 16 * 128 * 2

MODEL_PRESETS: dict[str, MoeModel] = {
    # Read-ME: each routed expert keeps ~5.2k of Llama-2-7B's 11,008 FFN channels (~129 MB per
    # layer, reference section 1 [D]); the permanent expert is what remains of the 4.7B activated
    # parameters after attention, embeddings and one routed path: ~0.23B / 32 layers [D].
    "readme": MoeModel(
        name="readme",
        n_layers=32,
        n_experts=7,
        top_k=1,
        expert_params=3 * 4096 * 5248,
        shared_params=7.2e6,
        attention_params=_LLAMA2_ATTN,
        kv_bytes_per_token=_LLAMA2_KV,
        same_expert_all_layers=True,
    ),
    "mixtral": MoeModel(
        name="mixtral",
        n_layers=32,
        n_experts=8,
        top_k=2,
        expert_params=3 * 4096 * 14336,
        shared_params=0.0,
        attention_params=4096 * 4096 * 2 + 4096 * 1024 * 2,
        kv_bytes_per_token=2 * 8 * 128 * 2,
    ),
    "deepseekmoe16b": MoeModel(
        name="deepseekmoe16b",
        n_layers=27,
        n_experts=64,
        top_k=6,
        expert_params=3 * 2048 * 1408,
        shared_params=2 * 3 * 2048 * 1408,
        attention_params=_D2048_ATTN,
        kv_bytes_per_token=_D2048_KV,
    ),
    "qwen15moe": MoeModel(
        name="qwen15moe",
        n_layers=24,
        n_experts=60,
        top_k=4,
        expert_params=3 * 2048 * 1408,
        shared_params=3 * 2048 * 5632,
        attention_params=_D2048_ATTN,
        kv_bytes_per_token=_D2048_KV,
    ),
}

HARDWARE_PRESETS: dict[str, MoeHardware] = {
    "a100_pcie4": MoeHardware(name="a100_pcie4", hbm_gbps=2039.0, tflops=312.0, pcie_gbps=25.0),
    "h100_pcie5": MoeHardware(name="h100_pcie5", hbm_gbps=3350.0, tflops=989.0, pcie_gbps=50.0),
}

DEFAULT_HARDWARE = "a100_pcie4"
"""every model preset runs on an A100 with PCIe Gen4 unless told otherwise (Read-ME's setup)"""


def model_preset(name: str) -> MoeModel:
    """Return the model preset ``name``; a ``ValueError`` lists the known names otherwise."""
    if name not in MODEL_PRESETS:
        raise ValueError(
            f"unknown MoE model preset {name!r}; known presets: {sorted(MODEL_PRESETS)}"
        )
    return MODEL_PRESETS[name]


def hardware_preset(name: str) -> MoeHardware:
    """Return the hardware preset ``name``; a ``ValueError`` lists the known names otherwise."""
    if name not in HARDWARE_PRESETS:
        raise ValueError(
            f"unknown MoE hardware preset {name!r}; known presets: {sorted(HARDWARE_PRESETS)}"
        )
    return HARDWARE_PRESETS[name]
