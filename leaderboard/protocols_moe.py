"""The leaderboard protocols of the MoE serving family (``netgym.envs.moe``).

Routing (assign mode): mean reward per layer call, anchors plain top-k = 0 (a floor: random
routing drops most tokens), capacity-balanced = 1, the LP optimum above; routing (bias mode):
anchors top-k / aux-loss-free. Batching: the return, anchors FCFS / prefill-first (random is
within 2% of prefill-first, too close to be the 0). Expert cache: the return, -(stall time),
anchors random / Belady over a look-ahead window, Belady's MIN above. Glider expert routing
(``netgym/MoeGliderRouting-v0``): mean reward per batch of 16 queries (success probability minus
the global-signal and expert costs), anchors random / Glider at the scale the paper's scripts
pick per benchmark (100 held-in, 3 held-out: what a router that knew each query's split would
do; Glider at one fixed scale is barely above random here, because random also pays for the
global signal on half the held-in queries); in assign mode random / the own-expert oracle, the
exhaustive pair oracle above.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol


def routing(data_dir: Path | None, mode: str = "assign", quick: bool = False) -> dict[str, Any]:
    """256 tokens, 16 experts, top-2, 128 layer calls (quick: 64 tokens, 16 calls)."""
    from netgym.envs.moe import RoutingParams

    sizes = {"max_steps": 16, "n_tokens": 64} if quick else {"max_steps": 128, "n_tokens": 256}
    # lp_bound=True: the protocols keep the per-step LP bound (info["upper_bound"]) that the
    # env computed by default when they were defined, so their versions do not change
    return {"params": RoutingParams(action_mode=mode, lp_bound=True, **sizes)}


def batching(data_dir: Path | None, n_requests: int = 200) -> dict[str, Any]:
    """The Read-ME model on an A100 PCIe 4, 64-token budget, Poisson requests."""
    from netgym.envs.moe import BatchingParams

    return {"params": BatchingParams(n_requests=n_requests)}


def cache(data_dir: Path | None, n_requests: int = 32) -> dict[str, Any]:
    """The Read-ME model on an A100 PCIe 4 with 4 expert slots."""
    return {
        "model": "readme",
        "hardware": "a100_pcie4",
        "capacity": 4,
        "batch_size": 8,
        "n_requests": n_requests,
        "max_tokens": 256,
        "window": 64,
    }


def glider(
    data_dir: Path | None, pool: str = "t0", mode: str = "glider", quick: bool = False
) -> dict[str, Any]:
    """16 queries per step, half of them held-in, 64 steps (quick: 16) on the ``pool``."""
    from netgym.envs.moe import GliderParams

    steps = 16 if quick else 64
    return {"params": GliderParams(pool=pool, action_mode=mode, max_steps=steps)}


GLIDER_BASELINES = ("phatgoose", "global-only", "glider", "glider-oracle-scale", "random")
"""the baselines of the glider action mode (the oracles need assign mode)"""

define_protocol(
    "moe-routing",
    "netgym/MoeRouting-v0",
    routing,
    Anchors(
        reference="balanced",
        random="topk",
        oracle="lp",
        note="floor: plain top-k routing, the default router; random routing drops most tokens "
        "(about 0 against 0.42 to 0.50 for the rules), which would squash the rules into [0.8, 1]",
    ),
    seeds=3,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: routing(data_dir, quick=True),
    description="MoE token-to-expert routing, assign mode: 256 tokens, 16 experts, top-2, 128 "
    "layer calls (quick: 64 tokens, 16 calls); score = mean reward per call",
)
define_protocol(
    "moe-routing-bias",
    "netgym/MoeRouting-v0",
    lambda data_dir: routing(data_dir, mode="bias"),
    Anchors(
        reference="aux-free",
        random="topk",
        note="floor: top-k with zero biases (what the biases improve on); random biases score "
        "-0.1 against 0.39 to 0.43 for the rules",
    ),
    seeds=3,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: routing(data_dir, mode="bias", quick=True),
    baselines=("topk", "topk-capacity", "aux-free", "random"),
    description="MoE routing, bias mode (the env's default action space): per-expert biases, "
    "sizes as moe-routing; the assign-mode baselines do not apply",
)
define_protocol(
    "moe-batching",
    "netgym/MoeBatching-v0",
    batching,
    Anchors(
        reference="prefill-first",
        random="fcfs",
        note="floor: first-come first-served, the serving default; the random policy is within "
        "2% of prefill-first, so with it as 0 a 5% worse schedule would score -20",
    ),
    seeds=3,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: batching(data_dir, n_requests=40),
    metric="mean",
    description="MoE continuous batching (Read-ME model, A100 PCIe 4, 64-token budget, 200 "
    "Poisson requests; quick: 40); score = return",
)
define_protocol(
    "moe-expert-cache",
    "netgym/MoeExpertCache-v0",
    cache,
    Anchors(reference="belady-window", oracle="belady"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: cache(data_dir, n_requests=8),
    metric="mean",
    description="MoE expert-cache eviction (Read-ME model, A100 PCIe 4, 4 slots, 32 requests; "
    "quick: 8); score = return = -(stall time)",
)
define_protocol(
    "moe-glider",
    "netgym/MoeGliderRouting-v0",
    glider,
    Anchors(reference="glider-oracle-scale"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: glider(data_dir, quick=True),
    baselines=GLIDER_BASELINES,
    description="Glider LoRA-expert routing on the T0 pool (35 experts), half the queries "
    "held-in: per query global signal, mix scale, k; 64 steps of 16 queries (quick: 16); "
    "score = mean reward per step (success - costs)",
)
define_protocol(
    "moe-glider-flan",
    "netgym/MoeGliderRouting-v0",
    lambda data_dir: glider(data_dir, pool="flan"),
    Anchors(reference="glider-oracle-scale"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: glider(data_dir, pool="flan", quick=True),
    baselines=GLIDER_BASELINES,
    description="Glider routing as moe-glider on the FLAN pool (166 experts)",
)
define_protocol(
    "moe-glider-assign",
    "netgym/MoeGliderRouting-v0",
    lambda data_dir: glider(data_dir, mode="assign"),
    Anchors(reference="own-expert", oracle="pair-oracle"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    quick_kwargs=lambda data_dir: glider(data_dir, mode="assign", quick=True),
    baselines=("own-expert", "pair-oracle", "random"),
    description="Glider routing, assign mode (T0 pool): up to two experts per query by name; "
    "the pair oracle reaches the exhaustive pair bound; score = mean reward per step",
)
