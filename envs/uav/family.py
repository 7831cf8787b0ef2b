"""The multi-UAV cellular offloading family (``docs/uav.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="uav",
    title="multi-UAV cellular offloading",
    envs=(
        EnvSpec(
            id="netgym/UavOffload-v0",
            summary="multi-UAV cellular offloading, centralised: every UAV's move",
            entry_point="netgym.envs.uav.env:UavOffloadEnv",
            vector_entry_point="netgym.envs.uav.env:UavOffloadVectorEnv",
            parallel="netgym.envs.uav.uav_offload_v0",
        ),
    ),
    baselines="netgym.baselines.uav",
    protocols="netgym.leaderboard.protocols_uav",
    docs="docs/uav.md",
)
