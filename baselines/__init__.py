"""Non-learning policies and oracles, one subpackage per env family.

``make_policy(env_id, name, seed=0)`` builds a baseline by name; ``BASELINES[env_id]`` lists
the names with a one-line description. Every policy follows the protocol
``policy.reset(env)`` then ``policy.act(obs, info) -> action``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import abr, uav
from .moe import batching as moe_batching
from .moe import eviction as moe_eviction
from .moe import routing as moe_routing
from .quantum import chain as quantum_chain
from .quantum import scheduling as quantum_scheduling

_ABR = "netgym/AbrStreaming-v0"
_UAV = "netgym/UavOffload-v0"
_QCHAIN = "netgym/RepeaterChain-v0"
_QSCHED = "netgym/QuantumNetworkScheduling-v0"
_MOE_ROUTING = "netgym/MoeRouting-v0"
_MOE_BATCHING = "netgym/MoeBatching-v0"
_MOE_CACHE = "netgym/MoeExpertCache-v0"

# name -> (factory(seed) -> policy, description)
BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    _ABR: {
        "bba": (lambda seed: abr.BBA(), "buffer-based, reservoir 5 s, cushion 10 s"),
        "rb": (lambda seed: abr.RateBased(), "rate-based, harmonic mean of the last 5 chunks"),
        "bola": (lambda seed: abr.BOLA(), "BOLA-BASIC, dash.js parameters (10 s / 30 s)"),
        "mpc": (lambda seed: abr.RobustMPC(), "robustMPC, horizon 5, all plans"),
        "mpc-jump1": (
            lambda seed: abr.RobustMPC(max_jump=1),
            "robustMPC restricted to +-1 level per chunk (NetLLM's MPC)",
        ),
        "random": (lambda seed: abr.RandomPolicy(seed), "uniformly random level"),
        "lowest": (lambda seed: abr.FixedQuality(0), "always the lowest level"),
        "highest": (lambda seed: abr.FixedQuality(-1), "always the highest level"),
        "oracle": (
            lambda seed: abr.OfflineOptimal(),
            "offline optimum (DP over quantised buffer and clock, knows the trace)",
        ),
    },
    _UAV: {
        "hover": (lambda seed: uav.Hover(), "every UAV hovers at its start"),
        "random": (lambda seed: uav.RandomMoves(seed), "uniformly random move per UAV"),
        "kmeans": (
            lambda seed: uav.KMeansPlacement(seed),
            "k-means centroids of the users, greedy moves toward them",
        ),
        "greedy-grid": (
            lambda seed: uav.GreedyGridPlacement(),
            "successive greedy lattice placement, greedy moves toward it",
        ),
        "pso-static": (
            lambda seed: uav.PsoStatic(seed),
            "PSO placement (30 particles, 100 iterations), greedy moves toward it",
        ),
        "pso-step": (
            lambda seed: uav.PsoStep(seed),
            "best joint move in the reachable set each step (exhaustive, PSO when large)",
        ),
    },
    _QCHAIN: {
        "random": (
            lambda seed: quantum_chain.RandomChainPolicy(seed),
            "uniformly random valid action per node",
        ),
        "swap-asap": (lambda seed: quantum_chain.SwapAsap(), "swap at every repeater that can"),
        "swap-asap-cutoff": (
            lambda seed: quantum_chain.SwapAsap(cutoff=2),
            "swap-asap, discarding links that reach age 2 steps",
        ),
        "nested": (
            lambda seed: quantum_chain.NestedDoubling(),
            "nested doubling: a repeater joins only the two halves of its level",
        ),
        "nested-inesta": (
            lambda seed: quantum_chain.NestedDoubling(inesta=True),
            "Iñesta et al.'s nested: swap-asap except first level only in full states",
        ),
        "purify-swap": (
            lambda seed: quantum_chain.PurifySwap(),
            "purify parallel pairs below F 0.9 (2 memories per side), else swap-asap",
        ),
        "optimal": (
            lambda seed: quantum_chain.OptimalChainPolicy(),
            "exact min-E[T] policy (policy iteration; abstract, 1 memory, cutoff, n <= 5)",
        ),
    },
    _QSCHED: {
        "idle": (lambda seed: quantum_scheduling.Idle(), "never starts a demand"),
        "random": (
            lambda seed: quantum_scheduling.RandomMasked(seed),
            "uniformly random valid action (masked, idle included)",
        ),
        "edf": (
            lambda seed: quantum_scheduling.EarliestDeadlineFirst(),
            "online non-preemptive earliest-deadline-first, fastest feasible protocol",
        ),
        "pts": (
            lambda seed: quantum_scheduling.PeriodicTaskSchedule(),
            "QoS paper's periodic task schedule: offline NP-EDF timetable, expected durations",
        ),
    },
    _MOE_ROUTING: {
        # bias mode (the default) runs topk, topk-capacity, aux-free and random; the others
        # need action_mode="assign" (their rule is not a per-expert bias) and say so at reset
        "topk": (lambda seed: moe_routing.TopK(), "top-k, unaware of capacity"),
        "topk-capacity": (
            lambda seed: moe_routing.TopKCapacity(),
            "top-k with Switch/GShard capacity-factor drop in token order",
        ),
        "expert-choice": (
            lambda seed: moe_routing.ExpertChoice(),
            "expert choice (top-C tokens per expert), capped at k per token; assign mode",
        ),
        "balanced": (
            lambda seed: moe_routing.Balanced(),
            "BASE balanced assignment (LP, equal loads); assign mode",
        ),
        "aux-free": (
            lambda seed: moe_routing.AuxLossFree(),
            "DeepSeek-V3 auxiliary-loss-free bias updates, gamma 0.1",
        ),
        "hash": (lambda seed: moe_routing.HashRouting(), "hash of the token id; assign mode"),
        "lp": (
            lambda seed: moe_routing.LpOptimal(),
            "exact optimum of the step's linear objective (the upper bound); assign mode",
        ),
        "random": (lambda seed: moe_routing.RandomRouting(seed), "random biases / experts"),
    },
    _MOE_BATCHING: {
        "fcfs": (lambda seed: moe_batching.FCFS(), "first come, first served under the budget"),
        "decode-first": (
            lambda seed: moe_batching.DecodeFirst(),
            "decode steps first, then prefills (DeepSpeed-Inference)",
        ),
        "prefill-first": (
            lambda seed: moe_batching.PrefillFirst(),
            "prefills first, then decode steps (vLLM, TGI)",
        ),
        "readme": (
            lambda seed: moe_batching.ReadMeBatching(),
            "Read-ME Algorithm 1: largest expert queue first",
        ),
        "random": (lambda seed: moe_batching.RandomBatching(seed), "random order, filled"),
    },
    _MOE_CACHE: {
        name: (lambda seed, cls=cls: cls(seed=seed), description)
        for name, (cls, description) in moe_eviction.EVICTION_POLICIES.items()
    },
}


def make_policy(env_id: str, name: str, seed: int = 0) -> Any:
    """Build the baseline ``name`` for ``env_id``; ``ValueError`` lists the known names."""
    env_id = env_id.split(":", 1)[-1]
    family = BASELINES.get(env_id)
    if family is None:
        raise ValueError(
            f"no baselines for env {env_id!r}; envs with baselines: {sorted(BASELINES)}"
        )
    if name not in family:
        raise ValueError(f"unknown policy {name!r} for {env_id}; known: {sorted(family)}")
    return family[name][0](seed)


__all__ = ["BASELINES", "make_policy"]
