"""netgym environments. Importing this package registers every env with Gymnasium.

``gym.make("netgym.envs:netgym/AbrStreaming-v0")`` imports it on demand, so the id works
wherever only a string can be passed.
"""

from gymnasium.envs.registration import register, registry

ENV_IDS: dict[str, str] = {
    "netgym/AbrStreaming-v0": "ABR video streaming (Pensieve simulator): bitrate of each chunk",
    "netgym/UavOffload-v0": "multi-UAV cellular offloading, centralised: every UAV's move",
    "netgym/RepeaterChain-v0": (
        "quantum repeater chain: each node waits, swaps, purifies or discards"
    ),
    "netgym/MoeRouting-v0": "MoE token-to-expert routing of one layer call: per-expert biases",
    "netgym/MoeBatching-v0": "MoE serving: which pre-gated requests join the next iteration",
    "netgym/MoeExpertCache-v0": "MoE expert-cache eviction with pre-gated lookahead (Read-ME)",
    "netgym/QuantumNetworkScheduling-v0": (
        "multi-user quantum network QoS scheduling: which demand, path and protocol to start"
    ),
}


def _register() -> None:
    if "netgym/AbrStreaming-v0" not in registry:
        register(
            id="netgym/AbrStreaming-v0",
            entry_point="netgym.envs.abr.env:AbrStreamingEnv",
            vector_entry_point="netgym.envs.abr.env:AbrStreamingVectorEnv",
        )

    if "netgym/UavOffload-v0" not in registry:
        register(
            id="netgym/UavOffload-v0",
            entry_point="netgym.envs.uav.env:UavOffloadEnv",
            vector_entry_point="netgym.envs.uav.env:UavOffloadVectorEnv",
        )

    if "netgym/RepeaterChain-v0" not in registry:
        register(
            id="netgym/RepeaterChain-v0",
            entry_point="netgym.envs.quantum.chain_env:RepeaterChainEnv",
            vector_entry_point="netgym.envs.quantum.chain_env:RepeaterChainVectorEnv",
        )

    if "netgym/MoeExpertCache-v0" not in registry:
        # no vector_entry_point: decisions come at irregular misses (scalar sim)
        register(
            id="netgym/MoeExpertCache-v0",
            entry_point="netgym.envs.moe.cache_env:MoeExpertCacheEnv",
        )

    if "netgym/MoeRouting-v0" not in registry:
        register(
            id="netgym/MoeRouting-v0",
            entry_point="netgym.envs.moe.routing_env:MoeRoutingEnv",
            vector_entry_point="netgym.envs.moe.routing_env:MoeRoutingVectorEnv",
        )

    if "netgym/MoeBatching-v0" not in registry:
        # no vector_entry_point: decisions are irregular (one per serving iteration)
        register(
            id="netgym/MoeBatching-v0",
            entry_point="netgym.envs.moe.batching_env:MoeBatchingEnv",
        )

    if "netgym/QuantumNetworkScheduling-v0" not in registry:
        # no vector_entry_point: the sim is scalar (see envs/quantum/scheduling_sim.py)
        register(
            id="netgym/QuantumNetworkScheduling-v0",
            entry_point="netgym.envs.quantum.scheduling_env:QuantumNetworkSchedulingEnv",
        )


_register()

__all__ = ["ENV_IDS"]
