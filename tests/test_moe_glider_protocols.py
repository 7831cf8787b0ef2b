"""The leaderboard protocols of ``netgym/MoeGliderRouting-v0``."""

from __future__ import annotations

from netgym.leaderboard import evaluate, get_protocol


def test_glider_protocols_pin_pool_mode_and_anchors():
    expected = {
        "moe-glider": ("t0", "glider", "glider-oracle-scale", None),
        "moe-glider-flan": ("flan", "glider", "glider-oracle-scale", None),
        "moe-glider-assign": ("t0", "assign", "own-expert", "pair-oracle"),
    }
    for name, (pool, mode, reference, oracle) in expected.items():
        protocol = get_protocol(name)
        params = protocol.env_kwargs(None)["params"]
        assert (params.pool, params.action_mode, params.max_steps) == (pool, mode, 64)
        assert (protocol.anchors.reference, protocol.anchors.oracle) == (reference, oracle)
        assert protocol.metric == "mean_reward" and not protocol.needs_data
        quick = get_protocol(f"{name}-quick").env_kwargs(None)["params"]
        assert quick.replace(max_steps=64) == params
    # the oracles need assign mode: they are not run under the glider-mode protocols
    assert "pair-oracle" not in get_protocol("moe-glider").baselines
    assert set(get_protocol("moe-glider-assign").baselines) == {
        "own-expert",
        "pair-oracle",
        "random",
    }


def test_quick_protocol_scores_the_reference_above_random():
    protocol = get_protocol("moe-glider-quick")
    scores = {
        name: evaluate(
            name,
            protocol.env_id,
            episodes=1,
            seed=protocol.eval_seeds[0],
            env_kwargs=protocol.env_kwargs(None),
        ).mean_reward
        for name in ("random", "glider-oracle-scale")
    }
    assert scores["glider-oracle-scale"] > scores["random"] + 0.005
