"""Parameters of ``netgym/MoeTrainingOverlap-v0`` (``MoeTrainingOverlapParams``) and presets.

The model follows reference/disttrain.md section 4 (FSMoE): the GPT-2-like default (b = 8,
s = 2048, m = 768, h = 3072, f = 1.2, e_s = 8, g = 2, 12 MoE layers) and the Mixtral-like
preset (b = 4, s = 1024, m = 4096, h = 14336, f = 2.4, e_s = 8, g = 3, 32 layers), with the
alpha/beta profile of FSMoE's optimiser (``tools/optim.py``) as the default. The gradient that
each layer all-reduces (``grad_elements``) is netgym's choice: the layer's attention weights
(4 m^2 for GPT-2's multi-head attention; for Mixtral's grouped-query attention with 8
key-value heads of 32, 2.5 m^2 split over the 8 GPUs of the ESP group by tensor
parallelism).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_numbers, check_range, set_field
from .pipeline import FSMOE_ALPHA, FSMOE_BETA, OPS, workloads

A2A_SCHEMES = ("none", "ecmp", "spray", "optimal")
"""how the all-to-all's flows are routed on the CollectivePath fabric ('none': no coupling)"""
A2A_FABRICS = ("small", "degraded_small", "default", "degraded")
"""CollectivePath fabrics the all-to-all runs on (``coupling.py``)"""


@dataclass(frozen=True)
class MoeTrainingOverlapParams(EnvParams):
    """All parameters of ``netgym/MoeTrainingOverlap-v0``.

    Presets: ``default`` / ``gpt2`` (the GPT-2-like model, 12 MoE layers), ``mixtral`` (the
    Mixtral-like model, 32 MoE layers) and ``small`` (GPT-2-like, 4 layers, for tests).
    ``alpha`` and ``beta`` are the profile of [A2A, AG, GEMM, RS, AR] (ms, ms per element);
    set both to a cluster's own fitted values to use a user profile.
    """

    ENV_NAME: ClassVar[str] = "MoeTrainingOverlap"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "gpt2": None,
        "mixtral": "mixtral",
        "small": "small",
    }

    batch: int = 8
    """b, sequences per micro-batch"""
    seq: int = 2048
    """s, tokens per sequence"""
    hidden: int = 768
    """m, the model width"""
    ffn: int = 3072
    """h, an expert's hidden width"""
    f: float = 1.2
    """top-k x capacity factor"""
    esp: int = 8
    """e_s, the expert-sharding (ESP) group size"""
    gemms: int = 2
    """g, GEMMs per expert"""
    layers: int = 12
    """MoE layers (an episode is their forward, then their backward)"""
    grad_elements: float | None = None
    """gradient elements each layer all-reduces (None: 4 m^2, the attention weights)"""
    alpha: tuple[float, ...] = FSMOE_ALPHA
    """per-operation latency (ms) of [A2A, AG, GEMM, RS, AR]"""
    beta: tuple[float, ...] = FSMOE_BETA
    """per-element time (ms) of [A2A, AG, GEMM, RS, AR]"""
    backward_gemm_factor: float = 2.0
    """the backward GEMM's alpha and beta over the forward's (FSMoE: 2)"""
    overlap_slowdown: float = 1.0
    """gamma_ov: the GEMM chunks of a pipelined layer (r > 1) run this much slower, since
    communication runs beside them (1 = no interference)"""
    token_jitter: float = 0.0
    """sigma of a per-layer lognormal factor on the tokens (routing imbalance), redrawn every
    episode (0 = every layer as configured)"""
    a2a_scheme: str = "none"
    """'none', or route the inter-node all-to-all on a CollectivePath fabric with 'ecmp',
    'spray' or 'optimal' (the min-congestion LP) and scale beta_A2A by its congestion"""
    a2a_fabric: str = "small"
    """the fabric of the coupling: 'small' (4 x 4 x 4 leaf-spine), 'degraded_small' (the same,
    one uplink at 50 %), 'default' (16 x 16 x 16) or 'degraded' (one uplink at 50 %)"""
    a2a_seed: int = 0
    """seed of the coupling's placement, failures and ECMP hashes"""

    def __post_init__(self) -> None:
        owner = "MoeTrainingOverlapParams"
        for name, high in (("batch", 4096), ("seq", 1 << 20), ("hidden", 1 << 17)):
            check_int(self, owner, name, low=1, high=high)
        check_int(self, owner, "ffn", low=1, high=1 << 20)
        check_range(owner, "f", self.f, low=0.0, low_inclusive=False, high=1024.0)
        check_int(self, owner, "esp", low=1, high=1024)
        check_int(self, owner, "gemms", low=1, high=16)
        check_int(self, owner, "layers", low=1, high=1024)
        if self.grad_elements is not None:
            check_range(owner, "grad_elements", self.grad_elements, low=0.0, high=1e13)
            set_field(self, "grad_elements", float(self.grad_elements))
        for name in ("alpha", "beta"):
            values = check_numbers(owner, name, getattr(self, name), length=len(OPS))
            negative = [OPS[i] for i, v in enumerate(values) if v < 0]
            if negative:
                raise ValueError(
                    f"{owner}.{name}: the profile has negative entries for {negative} "
                    f"(order {list(OPS)}); a time cannot be negative: fit the profile again "
                    f"or use FSMoE's default {name}"
                )
            check_numbers(owner, name, values, length=len(OPS), high=1e9)
            set_field(self, name, values)
        if max(self.beta[:4]) == 0 and max(self.alpha[:4]) == 0:
            raise ValueError(
                f"{owner}: alpha and beta of the layer's operations are all 0, so every "
                "layer takes no time; give the profile some positive entry"
            )
        check_range(owner, "backward_gemm_factor", self.backward_gemm_factor, low=1.0, high=10.0)
        check_range(owner, "overlap_slowdown", self.overlap_slowdown, low=1.0, high=2.0)
        check_range(owner, "token_jitter", self.token_jitter, low=0.0, high=1.0)
        check_choice(owner, "a2a_scheme", self.a2a_scheme, A2A_SCHEMES)
        check_choice(owner, "a2a_fabric", self.a2a_fabric, A2A_FABRICS)
        check_int(self, owner, "a2a_seed", low=0, high=2**32 - 1)

    # ------------------------------------------------------------------ derived
    @property
    def work(self) -> np.ndarray:
        """(4,) elements of [A2A, AG, GEMM, RS] of one layer at the configured tokens."""
        return workloads(self.batch, self.seq, self.hidden, self.ffn, self.f, self.esp, self.gemms)

    @property
    def layer_grad(self) -> float:
        """Gradient elements each layer all-reduces."""
        if self.grad_elements is None:
            return 4.0 * float(self.hidden) ** 2
        return float(self.grad_elements)

    # ------------------------------------------------------------------ presets
    @classmethod
    def mixtral(cls, **changes: object) -> MoeTrainingOverlapParams:
        """The Mixtral-like model of the reference (32 layers; the GQA attention's gradient,
        2.5 m^2, tensor-parallel over e_s = 8 GPUs)."""
        model = {
            "batch": 4,
            "seq": 1024,
            "hidden": 4096,
            "ffn": 14336,
            "f": 2.4,
            "esp": 8,
            "gemms": 3,
            "layers": 32,
            "grad_elements": 2.5 * 4096.0**2 / 8,
        }
        return cls(**{**model, **changes})

    @classmethod
    def small(cls, **changes: object) -> MoeTrainingOverlapParams:
        """GPT-2-like with 4 MoE layers (fast tests)."""
        return cls(**{"layers": 4, **changes})


__all__ = ["A2A_FABRICS", "A2A_SCHEMES", "MoeTrainingOverlapParams"]
