"""The toy family's declaration: its envs, its baselines module and its protocols module."""

from netgym.envs.core.family import EnvSpec, Family

FAMILY = Family(
    name="toy",
    title="toy walk",
    envs=(
        EnvSpec(
            id="netgym/ToyWalk-v0",
            summary="a walker on a line that must reach the goal",
            entry_point="toy_family.env:ToyWalkEnv",
            vector_entry_point="toy_family.env:ToyWalkVectorEnv",
        ),
    ),
    baselines="toy_family.baselines",
    protocols="toy_family.protocols",
    docs="docs/adding_an_env.md",
)
