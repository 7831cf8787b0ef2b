"""The quantum-network entanglement family: repeater chains and multi-user QoS scheduling
(``docs/quantum.md``, ``docs/quantum_scheduling.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="quantum",
    title="quantum-network entanglement",
    envs=(
        EnvSpec(
            id="netgym/RepeaterChain-v0",
            summary="quantum repeater chain: each node waits, swaps, purifies or discards",
            entry_point="netgym.envs.quantum.chain.env:RepeaterChainEnv",
            vector_entry_point="netgym.envs.quantum.chain.env:RepeaterChainVectorEnv",
            parallel="netgym.envs.quantum.repeater_chain_v0",
        ),
        EnvSpec(
            id="netgym/QuantumNetworkScheduling-v0",
            summary=(
                "multi-user quantum network QoS scheduling: which demand, path and protocol "
                "to start"
            ),
            # no vector env: the sim is scalar (irregular events)
            entry_point="netgym.envs.quantum.scheduling.env:QuantumNetworkSchedulingEnv",
        ),
    ),
    baselines="netgym.baselines.quantum",
    protocols="netgym.leaderboard.protocols_quantum",
    docs="docs/quantum.md",
)
