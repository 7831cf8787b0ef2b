"""The distributed-training networking family: collective-traffic load balancing,
sequential gradient coding, MoE training overlap schedules and asynchronous gossip
(``docs/disttrain.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="disttrain",
    title="networking for distributed training",
    envs=(
        EnvSpec(
            id="netgym/CollectivePath-v0",
            summary="paths (and splits) of a collective's flows on a datacenter fabric",
            entry_point="netgym.envs.disttrain.collective.env:CollectivePathEnv",
            vector_entry_point="netgym.envs.disttrain.collective.env:CollectivePathVectorEnv",
            parallel="netgym.envs.disttrain.collective_path_v0",
        ),
        EnvSpec(
            id="netgym/SeqGradCoding-v0",
            summary="gradient-coding scheme per epoch against bursty stragglers",
            entry_point="netgym.envs.disttrain.gradcoding.env:SeqGradCodingEnv",
            vector_entry_point="netgym.envs.disttrain.gradcoding.env:SeqGradCodingVectorEnv",
        ),
        EnvSpec(
            id="netgym/SeqGradCoding-v1",
            summary="SeqGradCoding-v0 with lazily drawn counter-based delays (fast vector env)",
            entry_point="netgym.envs.disttrain.gradcoding.env_v1:SeqGradCodingV1Env",
            vector_entry_point=("netgym.envs.disttrain.gradcoding.env_v1:SeqGradCodingV1VectorEnv"),
        ),
        EnvSpec(
            id="netgym/MoeTrainingOverlap-v0",
            summary="MoE layer pipeline degrees and gradient all-reduce overlap in training",
            entry_point="netgym.envs.disttrain.moetraining.env:MoeTrainingOverlapEnv",
            vector_entry_point=(
                "netgym.envs.disttrain.moetraining.env:MoeTrainingOverlapVectorEnv"
            ),
        ),
        EnvSpec(
            id="netgym/AsyncGossip-v0",
            summary="gossip rate or edge sampling of DADAO's asynchronous decentralized optimiser",
            entry_point="netgym.envs.disttrain.gossip.env:AsyncGossipEnv",
            vector_entry_point="netgym.envs.disttrain.gossip.env:AsyncGossipVectorEnv",
            parallel="netgym.envs.disttrain.async_gossip_v0",
        ),
        EnvSpec(
            id="netgym/AsyncGossip-v1",
            summary="AsyncGossip-v0 with a compiled event loop and counter-based random streams",
            entry_point="netgym.envs.disttrain.gossip.v1env:AsyncGossipV1Env",
            vector_entry_point="netgym.envs.disttrain.gossip.v1env:AsyncGossipV1VectorEnv",
            parallel="netgym.envs.disttrain.async_gossip_v1",
        ),
    ),
    baselines="netgym.baselines.disttrain",
    protocols="netgym.leaderboard.protocols_disttrain",
    docs="docs/disttrain.md",
)
