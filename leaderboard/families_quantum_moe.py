"""Protocols of the quantum and MoE families (each block registers only when its env exists).

| protocol | env | seeds x episodes | metric | anchors (0 / 1 / best) |
|---|---|---|---|---|
| ``repeater-chain`` | RepeaterChain, 4 nodes | 5 x 20 | return | random / swap-asap / optimal |
| ``quantum-scheduling`` | QNetworkScheduling, 10 demands | 5 x 1 | per slot | random / edf / - |
| ``moe-routing`` | MoeRouting, assign mode | 3 x 1 | per step | random / balanced / lp |
| ``moe-routing-bias`` | MoeRouting, bias mode | 3 x 1 | per step | random / aux-free / - |
| ``moe-batching`` | MoeBatching, 200 requests | 3 x 1 | return | random / prefill-first / - |
| ``moe-expert-cache`` | MoeExpertCache | 5 x 1 | return | random / belady-window / belady |

Adding a family is one ``_family`` call: the env id, a kwargs builder, the anchors and the sizes
(see docs/leaderboard.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .families import SEEDS
from .protocols import Anchors, Protocol, register_protocol


def _family(
    name: str,
    env_id: str,
    kwargs: Callable[[Path | None], dict[str, Any]],
    quick_kwargs: Callable[[Path | None], dict[str, Any]],
    anchors: Anchors,
    seeds: int,
    episodes: int,
    quick: tuple[int, int],
    description: str,
    metric: str = "mean_reward",
    baselines: tuple[str, ...] | None = None,
) -> None:
    """Register a protocol when ``env_id`` is registered (its baselines are checked by
    tests/test_leaderboard_protocols.py; importing them here would slow every import)."""
    from netgym.envs import ENV_IDS

    if env_id not in ENV_IDS:
        return
    register_protocol(
        Protocol(
            name=name,
            env_id=env_id,
            build_env_kwargs=kwargs,
            episodes=episodes,
            eval_seeds=SEEDS[:seeds],
            anchors=anchors,
            metric=metric,
            description=description,
            baselines=baselines,
            quick_seeds=quick[0],
            quick_episodes=quick[1],
            quick_env_kwargs=quick_kwargs,
        )
    )


# ---------------------------------------------------------------------------------- quantum
def _chain(data_dir: Path | None, max_steps: int = 200) -> dict[str, Any]:
    from netgym.envs.quantum.params import ChainParams

    return {"params": ChainParams.abstract(n_nodes=4, cutoff=4, p_swap=0.5, max_steps=max_steps)}


def _scheduling(data_dir: Path | None, horizon_slots: int = 2000) -> dict[str, Any]:
    from netgym.envs.quantum.scheduling_params import SchedulingParams

    # 10 demands: with the default 6, random scheduling serves as many as EDF on the star
    return {"params": SchedulingParams(topology="star", n_demands=10, horizon_slots=horizon_slots)}


_family(
    "repeater-chain",
    "netgym/RepeaterChain-v0",
    _chain,
    _chain,
    Anchors(reference="swap-asap", oracle="optimal"),
    seeds=5,
    episodes=20,
    quick=(2, 10),
    metric="mean",
    description="quantum repeater chain, abstract model: 4 nodes, p_gen 0.5, p_swap 0.5, "
    "cutoff 4 slots, at most 200 slots; score = return = -(slots to an end-to-end link)",
)
_family(
    "quantum-scheduling",
    "netgym/QuantumNetworkScheduling-v0",
    _scheduling,
    lambda data_dir: _scheduling(data_dir, horizon_slots=1000),
    Anchors(reference="edf"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    description="multi-user quantum network QoS scheduling, star topology, 10 demands, 2000 slots "
    "(quick: 1000); score = mean reward per slot",
)


# ---------------------------------------------------------------------------------- MoE
def _routing(mode: str, quick: bool) -> Callable[[Path | None], dict[str, Any]]:
    def build(data_dir: Path | None) -> dict[str, Any]:
        from netgym.envs.moe.routing_params import RoutingParams

        sizes = {"max_steps": 16, "n_tokens": 64} if quick else {"max_steps": 128, "n_tokens": 256}
        return {"params": RoutingParams(action_mode=mode, **sizes)}

    build.__qualname__ = f"routing_{mode}{'_quick' if quick else ''}"
    return build


def _cache(data_dir: Path | None, n_requests: int = 32) -> dict[str, Any]:
    return {
        "model": "readme",
        "hardware": "a100_pcie4",
        "capacity": 4,
        "batch_size": 8,
        "n_requests": n_requests,
        "max_tokens": 256,
        "window": 64,
    }


_family(
    "moe-routing",
    "netgym/MoeRouting-v0",
    _routing("assign", quick=False),
    _routing("assign", quick=True),
    Anchors(reference="balanced", oracle="lp"),
    seeds=3,
    episodes=1,
    quick=(2, 1),
    description="MoE token-to-expert routing, assign mode: 256 tokens, 16 experts, top-2, 128 "
    "layer calls (quick: 64 tokens, 16 calls); score = mean reward per call",
)
_family(
    "moe-routing-bias",
    "netgym/MoeRouting-v0",
    _routing("bias", quick=False),
    _routing("bias", quick=True),
    Anchors(reference="aux-free"),
    seeds=3,
    episodes=1,
    quick=(2, 1),
    baselines=("topk", "topk-capacity", "aux-free", "random"),
    description="MoE routing, bias mode (the env's default action space): per-expert biases, "
    "sizes as moe-routing; the assign-mode baselines do not apply",
)


def _batching(data_dir: Path | None, n_requests: int = 200) -> dict[str, Any]:
    from netgym.envs.moe.batching_params import BatchingParams

    return {"params": BatchingParams(n_requests=n_requests)}


_family(
    "moe-batching",
    "netgym/MoeBatching-v0",
    _batching,
    lambda data_dir: _batching(data_dir, n_requests=40),
    Anchors(reference="prefill-first"),
    seeds=3,
    episodes=1,
    quick=(2, 1),
    metric="mean",
    description="MoE continuous batching (Read-ME model, A100 PCIe 4, 64-token budget, 200 "
    "Poisson requests; quick: 40); score = return",
)
_family(
    "moe-expert-cache",
    "netgym/MoeExpertCache-v0",
    _cache,
    lambda data_dir: _cache(data_dir, n_requests=8),
    Anchors(reference="belady-window", oracle="belady"),
    seeds=5,
    episodes=1,
    quick=(2, 1),
    metric="mean",
    description="MoE expert-cache eviction (Read-ME model, A100 PCIe 4, 4 slots, 32 requests; "
    "quick: 8); score = return = -(stall time)",
)
