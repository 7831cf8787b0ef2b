"""The Mixture-of-Experts serving family: token routing, batching and the expert cache
(``docs/moe.md``, ``docs/moe_routing.md``)."""

from ..core.family import EnvSpec, Family

FAMILY = Family(
    name="moe",
    title="Mixture-of-Experts serving",
    envs=(
        EnvSpec(
            id="netgym/MoeRouting-v0",
            summary="MoE token-to-expert routing of one layer call: per-expert biases",
            entry_point="netgym.envs.moe.routing.env:MoeRoutingEnv",
            vector_entry_point="netgym.envs.moe.routing.env:MoeRoutingVectorEnv",
            parallel="netgym.envs.moe.moe_routing_v0",
        ),
        EnvSpec(
            id="netgym/MoeBatching-v0",
            summary="MoE serving: which pre-gated requests join the next iteration",
            # no vector env: decisions are irregular (one per serving iteration)
            entry_point="netgym.envs.moe.batching.env:MoeBatchingEnv",
        ),
        EnvSpec(
            id="netgym/MoeExpertCache-v0",
            summary="MoE expert-cache eviction with pre-gated lookahead (Read-ME)",
            # no vector env: decisions come at irregular misses
            entry_point="netgym.envs.moe.cache.env:MoeExpertCacheEnv",
        ),
        EnvSpec(
            id="netgym/MoeGliderRouting-v0",
            summary="Glider LoRA-expert routing per query: global signal, mix scale, k",
            entry_point="netgym.envs.moe.glider.env:MoeGliderRoutingEnv",
        ),
    ),
    baselines="netgym.baselines.moe",
    protocols="netgym.leaderboard.protocols_moe",
    docs="docs/moe.md",
)
