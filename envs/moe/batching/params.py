"""Parameters of ``netgym/MoeBatching-v0`` (``BatchingParams``) and its presets.

The serving setting of Read-ME section 4.2 (reference/moe.md sections 1 and 6(A), mode
"batch"): one accelerator, continuous batching under a token budget per iteration, pre-gated
routing (the experts of every queued token are known when it is queued). The default workload
is Chatbot-Arena-like (short prompts, a few hundred output tokens; Read-ME replays Chatbot
Arena conversations and gives no arrival rate, so the rate here is our choice, set so that the
token budget binds); ``arrivals='azure_conv'`` or ``'azure_code'`` switches to the Azure-like
presets of ``arrivals.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range
from ..arrivals import ARRIVAL_PRESETS, MAX_LENGTH, ArrivalProcess, LengthDistribution
from ..hardware import HARDWARE_PRESETS, MODEL_PRESETS, model_preset

BATCHING_ACTION_MODES = ("priority", "select")
MIN_RATE_PER_S = 1e-9
"""the lowest arrival rate (one request in 30 years): lower ones overflow the arrival times"""
CV_RANGE = (1e-3, 1e3)
"""the accepted inter-arrival coefficients of variation (the Gamma shape 1 / cv^2 must stay a
finite positive number)"""
MAX_ITERATIONS = 2**62
"""the longest episode in iterations"""
TOKEN_MARGIN = 1.25
"""drawn lengths above their mean, in the memory estimate (a sum of many draws stays close)"""
BYTES_PER_ROUTED_ID = 10
"""per token, layer and choice: the int16 trace and its int64 copy"""
BYTES_PER_TOKEN = 64
"""per token besides its ids: request ids and generation scratch"""
BYTES_PER_REQUEST = 256
"""per request besides its prompt histogram (layers x experts float64)"""
BYTES_PER_SLOT_FEATURE = 32
"""per observation entry of a slot: the float64 rows, their float32 copy and the action"""


@dataclass(frozen=True)
class BatchingParams(EnvParams):
    """All parameters of ``netgym/MoeBatching-v0``; presets 'default' and 'small'."""

    ENV_NAME: ClassVar[str] = "MoeBatching"
    PRESETS: ClassVar[dict[str, str | None]] = {"default": None, "small": "small"}

    model: str = "readme"
    """cost-model and routing preset (``hardware.MODEL_PRESETS``)"""
    hardware: str = "a100_pcie4"
    """hardware preset (Read-ME serves on one A100)"""
    n_requests: int = 200
    """requests per episode; the episode terminates when all are served (at the default rate
    the queue builds up to a few budgets' worth, where batch composition matters)"""
    rate_per_s: float = 20.0
    """mean arrival rate (ignored with ``arrivals``)"""
    arrival_cv: float = 1.0
    """coefficient of variation of inter-arrival times: 1 = Poisson, > 1 bursty"""
    prompt_median: float = 24.0
    """median prompt tokens (log-normal; ignored with ``arrivals``)"""
    prompt_p99: float = 128.0
    """99th-percentile prompt tokens"""
    output_median: float = 96.0
    """median output tokens"""
    output_p99: float = 384.0
    """99th-percentile output tokens"""
    arrivals: str | None = None
    """None (the fields above) or an ``arrivals.ARRIVAL_PRESETS`` name"""
    max_batch_tokens: int = 64
    """token budget of one iteration (Read-ME's MaxTokenLen): a prefill costs its prompt, a
    decode step 1 token; a prefill longer than the budget runs alone"""
    n_slots: int = 64
    """queued requests visible to the agent (the oldest ones); the rest wait unseen"""
    action_mode: str = "priority"
    """'priority' (Box(-1, 1) score per slot; score > 0 = candidate, admitted in descending
    score while the budget allows) or 'select' (MultiDiscrete([2] * n_slots): 1 = candidate,
    admitted oldest first while the budget allows; for MaskablePPO)"""
    max_iterations: int = 20000
    """truncation in iterations"""
    routing_seed: int = 0
    """seed of the synthetic routing tables (popularity, domains); token draws follow the env
    seed"""

    def __post_init__(self) -> None:
        owner = "BatchingParams"
        check_choice(owner, "model", self.model, sorted(MODEL_PRESETS))
        check_choice(owner, "hardware", self.hardware, sorted(HARDWARE_PRESETS))
        for name in ("n_requests", "max_batch_tokens", "n_slots"):
            check_int(self, owner, name, low=1)
        check_int(self, owner, "max_iterations", low=1, high=MAX_ITERATIONS)
        check_int(self, owner, "routing_seed", low=0)
        check_range(owner, "rate_per_s", self.rate_per_s, low=0, low_inclusive=False)
        check_range(owner, "rate_per_s", self.rate_per_s, low=MIN_RATE_PER_S)
        check_range(owner, "arrival_cv", self.arrival_cv, low=0, low_inclusive=False)
        check_range(owner, "arrival_cv", self.arrival_cv, low=CV_RANGE[0], high=CV_RANGE[1])
        for name in ("prompt_median", "output_median"):
            check_range(owner, name, getattr(self, name), low=1, high=MAX_LENGTH)
        check_range(owner, "prompt_p99", self.prompt_p99, low=self.prompt_median, high=MAX_LENGTH)
        check_range(owner, "output_p99", self.output_p99, low=self.output_median, high=MAX_LENGTH)
        check_choice(owner, "action_mode", self.action_mode, BATCHING_ACTION_MODES)
        if self.arrivals is not None:
            check_choice(owner, "arrivals", self.arrivals, sorted(ARRIVAL_PRESETS))

    def arrival_process(self) -> ArrivalProcess:
        """The ``ArrivalProcess`` of these parameters."""
        if self.arrivals is not None:
            return ArrivalProcess.preset(self.arrivals)
        return ArrivalProcess(
            rate_per_s=self.rate_per_s,
            cv=self.arrival_cv,
            prompt=LengthDistribution(median=self.prompt_median, p99=self.prompt_p99),
            output=LengthDistribution(median=self.output_median, p99=self.output_p99),
        )

    def memory_estimate(self) -> tuple[float, str]:
        """Bytes an episode holds (its routed tokens, prompt histograms and visible slots, with
        the per-item sizes measured by ``tracemalloc``) and the parameters behind them."""
        model = model_preset(self.model)
        process = self.arrival_process()
        per_request = process.prompt.mean_upper() + process.output.mean_upper()
        tokens = TOKEN_MARGIN * self.n_requests * per_request
        per_token = BYTES_PER_ROUTED_ID * model.n_layers * model.top_k + BYTES_PER_TOKEN
        histograms = 8 * model.n_layers * model.n_experts + BYTES_PER_REQUEST
        slots = BYTES_PER_SLOT_FEATURE * self.n_slots * (5 + model.n_experts)
        total = tokens * per_token + self.n_requests * histograms + slots
        detail = (
            f"n_requests={self.n_requests} with about {tokens:.3g} tokens of model "
            f"{self.model!r} ({model.n_layers} layers, top-{model.top_k} of {model.n_experts} "
            f"experts), n_slots={self.n_slots}"
        )
        return float(total), detail

    @classmethod
    def small(cls, **changes: Any) -> BatchingParams:
        """24 requests with short outputs: fast tests."""
        base = dict(n_requests=24, output_median=16.0, output_p99=64.0, n_slots=16)
        return cls(**{**base, **changes})


__all__ = [
    "BATCHING_ACTION_MODES",
    "CV_RANGE",
    "MAX_ITERATIONS",
    "MIN_RATE_PER_S",
    "BatchingParams",
]
