"""The distributed-training networking family: collective-traffic load balancing and
sequential gradient coding (``docs/disttrain.md``)."""

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
    ),
    baselines="netgym.baselines.disttrain",
    protocols="netgym.leaderboard.protocols_disttrain",
    docs="docs/disttrain.md",
)
