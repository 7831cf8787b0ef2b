"""Baselines and oracles of the MoE serving and routing envs."""

from collections.abc import Callable
from typing import Any

from ..policy import RandomPolicy
from . import batching, eviction, glider, routing

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/MoeRouting-v0": {
        # bias mode (the default) runs topk, topk-capacity, aux-free and random; the others
        # need action_mode="assign" (their rule is not a per-expert bias) and say so at reset
        "topk": (lambda seed: routing.TopK(), "top-k, unaware of capacity"),
        "topk-capacity": (
            lambda seed: routing.TopKCapacity(),
            "top-k with Switch/GShard capacity-factor drop in token order",
        ),
        "expert-choice": (
            lambda seed: routing.ExpertChoice(),
            "expert choice (top-C tokens per expert), capped at k per token; assign mode",
        ),
        "balanced": (
            lambda seed: routing.Balanced(),
            "BASE balanced assignment (LP, equal loads); assign mode",
        ),
        "aux-free": (
            lambda seed: routing.AuxLossFree(),
            "DeepSeek-V3 auxiliary-loss-free bias updates, gamma 0.1",
        ),
        "hash": (lambda seed: routing.HashRouting(), "hash of the token id; assign mode"),
        "lp": (
            lambda seed: routing.LpOptimal(),
            "exact optimum of the step's linear objective (the upper bound); assign mode",
        ),
        "random": (lambda seed: routing.RandomRouting(seed), "random biases / experts"),
    },
    "netgym/MoeBatching-v0": {
        "fcfs": (lambda seed: batching.FCFS(), "first come, first served under the budget"),
        "decode-first": (
            lambda seed: batching.DecodeFirst(),
            "decode steps first, then prefills (DeepSpeed-Inference)",
        ),
        "prefill-first": (
            lambda seed: batching.PrefillFirst(),
            "prefills first, then decode steps (vLLM, TGI)",
        ),
        "readme": (
            lambda seed: batching.ReadMeBatching(),
            "Read-ME Algorithm 1: largest expert queue first",
        ),
        "random": (lambda seed: batching.RandomBatching(seed), "random order, filled"),
    },
    "netgym/MoeExpertCache-v0": {
        name: (lambda seed, cls=cls: cls(seed=seed), description)
        for name, (cls, description) in eviction.EVICTION_POLICIES.items()
    },
    "netgym/MoeGliderRouting-v0": {
        # glider mode (the default) runs the first four and random; the oracles need
        # action_mode="assign" and say so at reset
        "phatgoose": (lambda seed: glider.LocalOnly(), "PHATGOOSE: local gates only, top-2"),
        "global-only": (
            lambda seed: glider.GlobalOnly(),
            "global instruction signal at the largest scale, top-1 (retrieval)",
        ),
        "glider": (lambda seed: glider.GliderFixed(), "Glider, scale 100 for every query, top-2"),
        "glider-oracle-scale": (
            lambda seed: glider.GliderOracleScale(),
            "Glider, scale 100 on held-in / 3 on held-out queries (knows the split)",
        ),
        "own-expert": (
            lambda seed: glider.OwnExpert(),
            "a held-in query's own expert (held-out: PHATGOOSE's two); assign mode",
        ),
        "pair-oracle": (
            lambda seed: glider.PairOracle(),
            "the exhaustive pair bound's experts (the upper bound); assign mode",
        ),
        "random": (lambda seed: RandomPolicy(seed), "uniformly random actions"),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""

__all__ = ["BASELINES", "batching", "eviction", "glider", "routing"]
