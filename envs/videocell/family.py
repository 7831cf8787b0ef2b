"""The wireless video cell family: a base station scheduling PRBs among personalised ABR
video users (``docs/videocell.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="videocell",
    title="personalised video over a wireless cell",
    envs=(
        EnvSpec(
            id="netgym/WirelessVideoCell-v0",
            summary="PRB shares of a wireless cell's video users with personal zones of tolerance",
            entry_point="netgym.envs.videocell.env:WirelessVideoCellEnv",
            vector_entry_point="netgym.envs.videocell.env:WirelessVideoCellVectorEnv",
            parallel="netgym.envs.videocell.wireless_video_cell_v0",
        ),
    ),
    baselines="netgym.baselines.videocell",
    protocols="netgym.leaderboard.protocols_videocell",
    docs="docs/videocell.md",
)
