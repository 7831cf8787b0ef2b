"""Baselines and oracles of the distributed-training networking envs."""

from collections.abc import Callable
from typing import Any

from netgym.baselines.policy import RandomPolicy

from . import collective, gossip, gradcoding, moetraining

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/CollectivePath-v0": {
        "ecmp": (
            lambda seed: collective.Ecmp(qps=1, seed=seed),
            "ECMP, 1 QP per connection: one random alive path, kept",
        ),
        "ecmp-qp": (
            lambda seed: collective.Ecmp(qps=None, seed=seed),
            "ECMP with one QP per piece (NCCL QPS_PER_CONNECTION = pieces)",
        ),
        "flowlet": (
            lambda seed: collective.Ecmp(qps=1, rehash_per_pattern=True, seed=seed),
            "flowlet switching: a new random path at every step pattern",
        ),
        "spray": (
            lambda seed: collective.Spray(seed),
            "spraying at piece granularity: pieces round-robin over the alive paths",
        ),
        "greedy-1": (
            lambda seed: collective.Greedy(1, capacity_aware=False),
            "sequential greedy least-loaded path, no split (bytes)",
        ),
        "greedy-2": (
            lambda seed: collective.Greedy(2, capacity_aware=False),
            "sequential greedy least-loaded, 2 parts (bytes)",
        ),
        "greedy-4": (
            lambda seed: collective.Greedy(4, capacity_aware=False),
            "sequential greedy least-loaded, up to 4 parts (bytes)",
        ),
        "greedy-8": (
            lambda seed: collective.Greedy(8, capacity_aware=False),
            "sequential greedy least-loaded, up to 8 parts (bytes)",
        ),
        "greedy-cap-4": (
            lambda seed: collective.Greedy(4, capacity_aware=True),
            "capacity-aware greedy, up to 4 parts (Ethereal-like)",
        ),
        "greedy-cap-8": (
            lambda seed: collective.Greedy(8, capacity_aware=True),
            "capacity-aware greedy, up to 8 parts (Ethereal-like)",
        ),
        "greedy-cap": (
            lambda seed: collective.Greedy(64, capacity_aware=True),
            "capacity-aware greedy, every piece on its own (Ethereal-like)",
        ),
        "oracle": (
            lambda seed: collective.Oracle(seed),
            "edge-colouring (healthy non-blocking) or the rounded min-congestion LP",
        ),
        "random": (lambda seed: RandomPolicy(seed), "a random alive path per piece"),
    },
    "netgym/SeqGradCoding-v0": {
        "no-coding": (
            lambda seed: gradcoding.FixedArm(0, "no-coding"),
            "no coding: wait for every worker, load 1/n",
        ),
        "best-gc": (
            lambda seed: gradcoding.BestInHindsight("gc"),
            "the best fixed GC(s) on the episode's delays (hindsight, the paper's method)",
        ),
        "best-srsgc": (
            lambda seed: gradcoding.BestInHindsight("srsgc"),
            "the best fixed SR-SGC(B, W, lambda) in hindsight",
        ),
        "best-msgc": (
            lambda seed: gradcoding.BestInHindsight("msgc"),
            "the best fixed M-SGC(B, W, lambda) in hindsight",
        ),
        "best-fixed": (
            lambda seed: gradcoding.BestInHindsight(None),
            "the best fixed arm of the whole menu in hindsight (oracle)",
        ),
        "adaptive": (
            lambda seed: gradcoding.ModelBased(seed),
            "online model-based: fit (p, q), simulate every arm over the next epoch",
        ),
        "ucb": (lambda seed: gradcoding.Ucb(), "UCB1 over the arms"),
        "random": (lambda seed: RandomPolicy(seed), "a uniformly random arm per epoch"),
    },
    "netgym/MoeTrainingOverlap-v0": {
        "no-pipelining": (
            lambda seed: moetraining.FixedSchedule(1, 0, "no-pipelining"),
            "r = 1, the gradient all-reduce after the backward (DeepSpeed-MoE-like)",
        ),
        "fixed-2": (
            lambda seed: moetraining.FixedSchedule(2, 0, "fixed-2"),
            "r = 2 everywhere, no gradient overlap (Tutel-like)",
        ),
        "fixed-4": (
            lambda seed: moetraining.FixedSchedule(4, 0, "fixed-4"),
            "r = 4 everywhere, no gradient overlap (Tutel-like)",
        ),
        "fsmoe": (
            lambda seed: moetraining.FsmoeOptimizer(seed),
            "FSMoE's optimiser: continuous optimum rounded to {1, 2, 4, 8}, DE partitioning",
        ),
        "per-layer": (
            lambda seed: moetraining.PerLayerSearch(),
            "exhaustive per-layer search (myopic: pending gradient charged as exposed)",
        ),
        "oracle": (
            lambda seed: moetraining.DpOracle(),
            "dynamic programming over the backward layers on the pending gradient",
        ),
        "random": (lambda seed: RandomPolicy(seed), "a random degree and share per layer"),
    },
    "netgym/AsyncGossip-v0": {
        "dadao": (
            lambda seed: gossip.ConstantRate(gossip.DEFAULT, "dadao"),
            "DADAO's default rate sqrt(2 chi1 chi2) with uniform edges",
        ),
        "half-rate": (
            lambda seed: gossip.ConstantRate(1, "half-rate"),
            "half DADAO's rate throughout",
        ),
        "double-rate": (
            lambda seed: gossip.ConstantRate(3, "double-rate"),
            "twice DADAO's rate throughout",
        ),
        "consensus-feedback": (
            lambda seed: gossip.ConsensusFeedback(),
            "DADAO's rate, doubled while consensus error > half the error",
        ),
        "resistance-edges": (
            lambda seed: gossip.ResistanceEdges(),
            "edge weights ~ effective resistance / cost ('edges' mode; else DADAO's rate)",
        ),
        "best-constant": (
            lambda seed: gossip.BestConstant(),
            "the best constant intensity in hindsight on a copy of the episode (oracle)",
        ),
        "random": (lambda seed: RandomPolicy(seed), "a random intensity (or weights) per unit"),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""
# A v1 is its v0's model with other random streams (issue #21): v0's baselines, which use only
# the env's API, play it unchanged.
for _name in ("SeqGradCoding", "AsyncGossip"):
    BASELINES[f"netgym/{_name}-v1"] = dict(BASELINES[f"netgym/{_name}-v0"])

__all__ = ["BASELINES", "collective", "gossip", "gradcoding", "moetraining"]
