"""The cluster job scheduling family: Decima's Spark scheduler (``docs/cjs.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="cjs",
    title="cluster job scheduling",
    envs=(
        EnvSpec(
            id="netgym/SparkScheduling-v0",
            summary="Spark cluster job scheduling (Decima): which DAG stage runs next, on how "
            "many executors",
            # no vector env: the sim is an event heap (irregular decisions), as quantum scheduling
            entry_point="netgym.envs.cjs.env:SparkSchedulingEnv",
        ),
    ),
    baselines="netgym.baselines.cjs",
    protocols="netgym.leaderboard.protocols_cjs",
    docs="docs/cjs.md",
)
