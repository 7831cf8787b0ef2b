"""Parameters of ``netgym/MoeRouting-v0`` (``RoutingParams``) and its named presets.

One step of the env is one call of one MoE layer: ``n_tokens`` tokens, ``n_experts`` experts
spread evenly over ``n_devices`` expert-parallel devices, top-``top_k`` routing and the
Switch/GShard capacity ``C = ceil(top_k * capacity_factor * n_tokens / n_experts)`` per expert
(reference/moe.md section 6(B)). The layer latency uses the per-expert costs of the MoE cost
model (``model`` and ``hardware`` presets of ``envs/moe/cost.py``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range, set_field

ACTION_MODES = ("bias", "assign", "duo")
GATE_SOURCES = ("synthetic", "trace")
LP_BOUND_MAX_SIZE = 2**16
"""the largest LP the per-step bound solves: T E variables (bias and assign modes) or 2 T (duo).
HiGHS takes about 0.25 s at 65,536 variables and 80 s at T = 4096, E = 256 on a 2-core
machine; above this size ``lp_bound=True`` is switched off with a warning (``lp_active``)"""
MAX_STD = 1e4
"""the largest popularity, domain or token scale (logit units): larger ones only make the
router one-hot, and 1e300 overflows the float32 logits"""
BIAS_RANGE = (1e-6, 1e6)
"""the accepted ``bias_max`` (logit units): the Box is float32, where a bound below float32's
range rounds to 0, and smaller biases change no choice"""
MAX_PENALTY = 1e6
"""the largest reward weight: larger ones only push rewards towards overflow"""
MIN_LINK_GBYTES_PER_S = 1e-6
"""the slowest all-to-all link (1 kB/s): slower ones overflow the layer time"""
MAX_STEPS = 2**62
"""the longest episode (steps are int64)"""


@dataclass(frozen=True)
class RoutingParams(EnvParams):
    """All parameters of ``netgym/MoeRouting-v0`` and its PettingZoo env ``moe_routing_v0``.

    Presets: ``RoutingParams.default()`` (256 tokens, 16 experts, top-2, f = 1.25, 4 devices),
    ``RoutingParams.small()`` (fast tests) and the model-shaped ``mixtral`` (8 experts, top-2),
    ``deepseekmoe16b`` (64 experts, top-6) and ``qwen15moe`` (60 experts, top-4).
    """

    ENV_NAME: ClassVar[str] = "MoeRouting"
    PRESETS: ClassVar[dict[str, str | None]] = {
        name: name for name in ("default", "small", "mixtral", "deepseekmoe16b", "qwen15moe")
    }

    n_tokens: int = 256
    """tokens T routed in one layer call (one step)"""
    n_experts: int = 16
    """routed experts E"""
    top_k: int = 2
    """experts per token k (1 <= k <= E)"""
    capacity_factor: float | None = 1.25
    """capacity factor f: expert capacity C = ceil(k f T / E) (Switch/GShard); None = no
    capacity limit (C = T, nothing is dropped for capacity)"""
    n_devices: int = 4
    """expert-parallel devices; experts ``d * E / D ... (d + 1) * E / D - 1`` live on device d
    (E must be a multiple of D)"""
    action_mode: str = "bias"
    """'bias' (per-expert logit biases), 'assign' (per-token expert slots) or 'duo'
    (skip / small / big per token and layer, after Duo-LLM)"""
    bias_max: float = 4.0
    """bound of the bias action Box(-bias_max, bias_max, (E,)) (logit units)"""
    max_steps: int = 128
    """episode length in layer calls (truncation)"""
    popularity_std: float = 0.5
    """standard deviation of the per-expert popularity logit (the skew of expert load)"""
    popularity_drift: float = 0.05
    """per-step innovation of the AR(1) popularity: mu <- sqrt(1 - d^2) mu + d * std * noise"""
    n_domains: int = 8
    """latent token domains (requests); each tilts the router toward its own experts"""
    domain_std: float = 0.5
    """standard deviation of a domain's tilt of the hidden state"""
    token_std: float = 2.0
    """scale of the token embedding in the hidden state"""
    router_rank: int = 8
    """dimension of the synthetic hidden state fed to the linear router (logits = h W + mu)"""
    gates: str = "synthetic"
    """'synthetic' (the seeded router of ``gates.py``) or 'trace' (logits rebuilt from a
    routing trace: ``trace_path``, or the family's calibrated generator for ``model``; see
    ``trace_gates.py``)"""
    trace_path: str | None = None
    """gates='trace': a recorded ``.npz`` trace (``traces.load_trace`` format); None = generate"""
    trace_layer: int = 0
    """gates='trace': the layer of the trace whose choices are replayed"""
    trace_noise_std: float = 0.5
    """gates='trace': standard deviation of the logit noise of the experts a token did not choose"""
    vocab_size: int = 4096
    """token ids are drawn uniformly in [0, vocab_size); each id has a fixed random embedding
    per episode (hash routing reads the ids)"""
    drop_penalty: float = 0.5
    """lambda_d: weight of the dropped fraction drops / (T k)"""
    imbalance_penalty: float = 0.05
    """lambda_i: weight of the imbalance max_e n_e / mean_e n_e - 1"""
    latency_penalty: float = 0.1
    """lambda_c: weight of the layer latency over the balanced reference latency"""
    model: str = "mixtral"
    """cost-model preset giving the expert size and d_model (``envs/moe/cost.py``)"""
    hardware: str = "h100_pcie5"
    """hardware preset of the cost model (HBM bandwidth, FLOPS)"""
    link_gbytes_per_s: float = 64.0
    """all-to-all link bandwidth per device, GB/s (an assumption: PCIe Gen5 x16 per direction)"""
    lp_bound: bool = False
    """solve the per-step LP upper bound (``info["upper_bound"]``, the exact optimum of the
    step's linear objective). Off by default: the LP costs about 100 times the rest of a step
    (43 vs 6,500 steps/s at the defaults), and without it ``info`` has no ``upper_bound`` key
    (never a NaN or a stale value). True asks for it; it is then switched off, with a warning,
    above ``LP_BOUND_MAX_SIZE`` variables (``lp_active``)"""
    duo_layers: int = 12
    """duo mode: layers per forward pass; one step is one layer, a new token batch every
    ``duo_layers`` steps"""
    duo_small_cost: float = 0.25
    """duo mode: compute cost of the small module (big = 1, skip = 0)"""
    duo_small_share: float = 0.5
    """duo mode: at most ceil(share * T) tokens may take the small module per layer"""
    duo_big_share: float = 0.25
    """duo mode: at most ceil(share * T) tokens may take the big module per layer"""
    duo_cost_penalty: float = 0.1
    """duo mode: weight of the mean compute cost per token in the reward"""

    def __post_init__(self) -> None:
        owner = "RoutingParams"
        for name in ("n_tokens", "n_experts", "top_k", "n_devices"):
            check_int(self, owner, name, low=1)
        check_int(self, owner, "max_steps", low=1, high=MAX_STEPS)
        if self.top_k > self.n_experts:
            raise ValueError(
                f"{owner}.top_k must be <= n_experts ({self.n_experts}), got {self.top_k}"
            )
        if self.capacity_factor is not None:
            check_range(owner, "capacity_factor", self.capacity_factor, low=0, low_inclusive=False)
        if self.n_experts % self.n_devices:
            raise ValueError(
                f"{owner}.n_experts ({self.n_experts}) must be a multiple of n_devices "
                f"({self.n_devices}): every device holds the same number of experts"
            )
        check_choice(owner, "action_mode", self.action_mode, ACTION_MODES)
        check_range(owner, "bias_max", self.bias_max, low=0, low_inclusive=False)
        check_range(owner, "bias_max", self.bias_max, low=BIAS_RANGE[0], high=BIAS_RANGE[1])
        check_range(owner, "popularity_std", self.popularity_std, low=0, high=MAX_STD)
        check_range(owner, "popularity_drift", self.popularity_drift, low=0, high=1)
        check_int(self, owner, "n_domains", low=1)
        check_range(owner, "domain_std", self.domain_std, low=0, high=MAX_STD)
        check_range(owner, "token_std", self.token_std, low=0, high=MAX_STD)
        check_int(self, owner, "router_rank", low=1)
        check_int(self, owner, "vocab_size", low=1)
        check_choice(owner, "gates", self.gates, GATE_SOURCES)
        if self.trace_path is not None:
            if not isinstance(self.trace_path, (str, os.PathLike)):
                raise ValueError(f"{owner}.trace_path must be a path, got {self.trace_path!r}")
            if self.gates != "trace":
                raise ValueError(f"{owner}.trace_path needs gates='trace', got {self.gates!r}")
            set_field(self, "trace_path", os.fspath(self.trace_path))
        check_int(self, owner, "trace_layer", low=0)
        check_range(owner, "trace_noise_std", self.trace_noise_std, low=0)
        for name in ("drop_penalty", "imbalance_penalty", "latency_penalty", "duo_cost_penalty"):
            check_range(owner, name, getattr(self, name), low=0, high=MAX_PENALTY)
        for name in ("model", "hardware"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(
                    f"{owner}.{name} must be a preset name, got {getattr(self, name)!r}"
                )
        check_range(owner, "link_gbytes_per_s", self.link_gbytes_per_s, low=0, low_inclusive=False)
        check_range(owner, "link_gbytes_per_s", self.link_gbytes_per_s, low=MIN_LINK_GBYTES_PER_S)
        if not isinstance(self.lp_bound, bool):
            raise ValueError(f"{owner}.lp_bound must be True or False, got {self.lp_bound!r}")
        check_int(self, owner, "duo_layers", low=1)
        check_range(owner, "duo_small_cost", self.duo_small_cost, low=0, high=1)
        check_range(owner, "duo_small_share", self.duo_small_share, low=0, high=1)
        check_range(owner, "duo_big_share", self.duo_big_share, low=0, high=1)

    # ------------------------------------------------------------------ derived values
    @property
    def capacity(self) -> int:
        """Expert capacity C = ceil(k f T / E), or T without a capacity factor."""
        if self.capacity_factor is None:
            return self.n_tokens
        # round first so that float noise (1.25 * 512 = 640.0000001) cannot add a slot; cap at
        # T before the ceiling (a huge factor gives inf, which has no ceiling)
        raw = round(self.top_k * self.capacity_factor * self.n_tokens / self.n_experts, 9)
        return max(1, math.ceil(min(raw, self.n_tokens)))

    @property
    def lp_size(self) -> int:
        """Variables of the per-step LP bound: T E (bias, assign) or 2 T (duo)."""
        if self.action_mode == "duo":
            return 2 * self.n_tokens
        return self.n_tokens * self.n_experts

    @property
    def lp_active(self) -> bool:
        """Whether the LP bound is solved: ``lp_bound`` and at most ``LP_BOUND_MAX_SIZE``
        variables (the sims warn when they switch a requested bound off)."""
        return self.lp_bound and self.lp_size <= LP_BOUND_MAX_SIZE

    @property
    def experts_per_device(self) -> int:
        """E / D."""
        return self.n_experts // self.n_devices

    @property
    def duo_small_capacity(self) -> int:
        """Tokens that may take the small module in one layer (duo mode)."""
        return math.ceil(round(self.duo_small_share * self.n_tokens, 9))

    @property
    def duo_big_capacity(self) -> int:
        """Tokens that may take the big module in one layer (duo mode)."""
        return math.ceil(round(self.duo_big_share * self.n_tokens, 9))

    # ------------------------------------------------------------------ presets
    @classmethod
    def default(cls, **changes: Any) -> RoutingParams:
        """256 tokens, 16 experts on 4 devices, top-2, f = 1.25, Mixtral-sized experts."""
        return cls(**changes)

    @classmethod
    def small(cls, **changes: Any) -> RoutingParams:
        """32 tokens, 8 experts on 2 devices, top-2, 16-step episodes: fast tests."""
        base = dict(n_tokens=32, n_experts=8, top_k=2, n_devices=2, max_steps=16, duo_layers=4)
        return cls(**{**base, **changes})

    @classmethod
    def mixtral(cls, **changes: Any) -> RoutingParams:
        """Mixtral-8x7B's layer: 8 experts, top-2, 512 tokens, 8 devices (one expert each)."""
        base = dict(n_tokens=512, n_experts=8, top_k=2, n_devices=8, model="mixtral")
        return cls(**{**base, **changes})

    @classmethod
    def deepseekmoe16b(cls, **changes: Any) -> RoutingParams:
        """DeepSeekMoE-16B's routed experts: 64 experts, top-6, 512 tokens, 8 devices."""
        base = dict(n_tokens=512, n_experts=64, top_k=6, n_devices=8, model="deepseekmoe16b")
        return cls(**{**base, **changes})

    @classmethod
    def qwen15moe(cls, **changes: Any) -> RoutingParams:
        """Qwen1.5-MoE-A2.7B's routed experts: 60 experts, top-4, 512 tokens, 4 devices."""
        base = dict(n_tokens=512, n_experts=60, top_k=4, n_devices=4, model="qwen15moe")
        return cls(**{**base, **changes})


__all__ = [
    "ACTION_MODES",
    "GATE_SOURCES",
    "LP_BOUND_MAX_SIZE",
    "BIAS_RANGE",
    "MAX_PENALTY",
    "MAX_STD",
    "MAX_STEPS",
    "MIN_LINK_GBYTES_PER_S",
    "RoutingParams",
]
