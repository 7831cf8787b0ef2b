"""Parameters of ``netgym/MoeGliderRouting-v0`` (``GliderParams``) and its presets.

One step routes a batch of ``batch_size`` queries, each from one task, over a pool of LoRA
experts (one expert per training task, as in PHATGOOSE and Glider). The pool structure, the
embeddings and the success model are in ``pool.py``; reference/seeds-more.md sections 3 and
6b give the sources. Values marked "calibrated" are our choices, set so that the published
margins hold (``tests/test_moe_glider_calibration.py``), not numbers from the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_numbers, check_range, set_field

POOLS = ("t0", "flan")
GLIDER_ACTION_MODES = ("glider", "assign")
SUCCESS_MODES = ("expected", "bernoulli")
MAX_STEPS = 2**62
"""the longest episode (steps are int64)"""
MAX_BATCH = 4096
"""the most queries per step"""
MAX_EMBED_DIM = 4096
"""the largest embedding dimension"""
MAX_BLOCKS = 64
"""the most routed layer blocks"""
MAX_SCALE = 1e6
"""the largest mix scale (larger ones only make the global signal one-hot)"""


@dataclass(frozen=True)
class GliderParams(EnvParams):
    """All parameters of ``netgym/MoeGliderRouting-v0``; presets 'default' (T0 pool, 35
    experts), 'flan' (166 experts) and 'small' (fast tests)."""

    ENV_NAME: ClassVar[str] = "MoeGliderRouting"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "flan": "flan",
        "small": "small",
    }

    pool: str = "t0"
    """expert pool: 't0' (35 experts, the T0 held-in tasks by category) or 'flan' (166
    experts: P3 36, FLAN v2 36, NIv2 75, extra 19); held-out tasks are the 11 T0 held-out
    tasks in both"""
    action_mode: str = "glider"
    """'glider' (per query: pay for the global signal, mix scale, k) or 'assign' (per query:
    up to two experts named directly, equal weights; the action space of the oracles)"""
    batch_size: int = 16
    """queries routed per step"""
    max_steps: int = 64
    """episode length in steps (truncation)"""
    held_in_fraction: float = 0.5
    """probability that a query comes from a held-in task (one with its own expert)"""
    scales: tuple[float, ...] = (0.0, 3.0, 10.0, 100.0, 1000.0)
    """the mix scales the agent chooses from (Glider's ``paper-eval.sh`` uses 0 = PHATGOOSE,
    3, 100 and 1000)"""
    max_k: int = 3
    """most LoRA experts per query and block (top-k after the softmax, renormalised)"""
    global_cost: float = 0.02
    """reward cost of one global instruction signal (an LLM call plus an embedding), in
    accuracy units (our choice: the latency concern of the reviews, reference 3)"""
    expert_cost: float = 0.002
    """reward cost per LoRA expert used (k), in accuracy units (our choice)"""
    success: str = "expected"
    """'expected' (the reward counts each query's success probability) or 'bernoulli' (a
    0/1 draw per query)"""
    pool_seed: int = 0
    """seed of the synthetic embeddings and gains: one pool is one benchmark, the same for
    every episode; the reset seed draws the queries"""
    embed_dim: int = 64
    """dimension d of the task, instruction and gate vectors"""
    n_blocks: int = 4
    """routed layer blocks; each has its own local (PHATGOOSE) logits"""
    within_category_std: float = 0.55
    """spread of a task's skill vector around its category centroid (calibrated)"""
    description_weight: float = 1.5
    """weight of the task-specific description component in an instruction embedding: shared by
    an expert's and its own task's instructions, unrelated to every other task (calibrated)"""
    description_specificity: float = 0.4
    """size of the task-specific part of a description around its category's (calibrated)"""
    instruction_noise: float = 0.95
    """noise between two generated instructions of one task (Glider's v3 vs v4 prompts)"""
    gate_noise: float = 0.6
    """noise of a PHATGOOSE gate vector around its expert's skill vector (calibrated)"""
    token_noise: float = 1.0
    """noise of a query's hidden state around its task's skill vector, per block"""
    local_sharpness: float = 10.0
    """local logits = sharpness * cos(hidden state, gate) (logit units)"""
    own_gain: float = 0.28
    """accuracy gained from a held-in task's own expert at full weight (calibrated)"""
    transfer_gain: float = 0.15
    """accuracy gained from another expert at full weight and skill cosine 1 (calibrated)"""
    transfer_power: float = 2.0
    """transfer gain = transfer_gain * max(0, cos)^power"""
    composition_gain: float = 0.01
    """held-out tasks: accuracy bonus of spreading weight over two experts (full at equal
    weights)"""
    base_accuracy: tuple[float, float] = (0.35, 0.55)
    """range of a task's accuracy without experts (drawn uniformly per task)"""

    def __post_init__(self) -> None:
        owner = "GliderParams"
        check_choice(owner, "pool", self.pool, POOLS)
        check_choice(owner, "action_mode", self.action_mode, GLIDER_ACTION_MODES)
        check_choice(owner, "success", self.success, SUCCESS_MODES)
        check_int(self, owner, "batch_size", low=1, high=MAX_BATCH)
        check_int(self, owner, "max_steps", low=1, high=MAX_STEPS)
        check_range(owner, "held_in_fraction", self.held_in_fraction, low=0.0, high=1.0)
        scales = check_numbers(owner, "scales", self.scales, low=0.0, high=MAX_SCALE)
        set_field(self, "scales", scales)
        check_int(self, owner, "max_k", low=1, high=8)
        check_range(owner, "global_cost", self.global_cost, low=0.0, high=1.0)
        check_range(owner, "expert_cost", self.expert_cost, low=0.0, high=1.0)
        check_int(self, owner, "pool_seed", low=0, high=2**32 - 1)
        check_int(self, owner, "embed_dim", low=2, high=MAX_EMBED_DIM)
        check_int(self, owner, "n_blocks", low=1, high=MAX_BLOCKS)
        for name in (
            "within_category_std",
            "description_weight",
            "description_specificity",
            "instruction_noise",
            "gate_noise",
            "token_noise",
        ):
            check_range(owner, name, getattr(self, name), low=0.0, high=100.0)
        check_range(owner, "local_sharpness", self.local_sharpness, low=0.0, high=1e4)
        for name in ("own_gain", "transfer_gain", "composition_gain"):
            check_range(owner, name, getattr(self, name), low=0.0, high=1.0)
        check_range(owner, "transfer_power", self.transfer_power, low=0.0, high=100.0)
        base = check_numbers(owner, "base_accuracy", self.base_accuracy, length=2, low=0, high=1)
        if base[0] > base[1]:
            raise ValueError(
                f"{owner}.base_accuracy must be (low, high) with low <= high, got {base}"
            )
        set_field(self, "base_accuracy", base)

    @classmethod
    def default(cls, **changes: object) -> GliderParams:
        """The T0 pool: 35 experts, 16 queries per step, 64 steps."""
        return cls(**changes)  # type: ignore[arg-type]

    @classmethod
    def flan(cls, **changes: object) -> GliderParams:
        """The FLAN pool: 166 experts (P3 36, FLAN v2 36, NIv2 75, extra 19)."""
        return cls(**{"pool": "flan", **changes})  # type: ignore[arg-type]

    @classmethod
    def small(cls, **changes: object) -> GliderParams:
        """Fast tests: 4 queries per step, 8 steps, the T0 pool."""
        return cls(**{"batch_size": 4, "max_steps": 8, **changes})  # type: ignore[arg-type]


__all__ = ["GLIDER_ACTION_MODES", "POOLS", "SUCCESS_MODES", "GliderParams"]
