"""The ABR video streaming family: the Pensieve simulator (``docs/abr.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="abr",
    title="ABR video streaming",
    envs=(
        EnvSpec(
            id="netgym/AbrStreaming-v0",
            summary="ABR video streaming (Pensieve simulator): bitrate of each chunk",
            entry_point="netgym.envs.abr.env:AbrStreamingEnv",
            vector_entry_point="netgym.envs.abr.env:AbrStreamingVectorEnv",
        ),
    ),
    baselines="netgym.baselines.abr",
    protocols="netgym.leaderboard.protocols_abr",
    docs="docs/abr.md",
)
