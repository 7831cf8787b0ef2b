"""The numpy shortcuts of the vector kernels (issue #21) compute exactly what they replace."""

from __future__ import annotations

import numpy as np
from netgym.envs.disttrain.collective.observe import gather_links, hop_min


def test_hop_min_equals_the_reduction_over_the_hops_and_its_sign_says_all_alive():
    rng = np.random.default_rng(0)
    for hops in (1, 2, 4):
        factors = rng.choice([0.0, 0.25, 0.5, 1.0], size=(7, 5, hops))
        smallest = hop_min(factors)
        np.testing.assert_array_equal(smallest, factors.min(axis=-1))
        np.testing.assert_array_equal(smallest > 0, (factors > 0).all(axis=-1))


def test_gather_links_equals_the_broadcast_fancy_index():
    rng = np.random.default_rng(1)
    table = rng.random((6, 11))
    envs = np.array([0, 2, 5])
    links = rng.integers(11, size=(3, 4, 2))
    np.testing.assert_array_equal(
        gather_links(table, envs, links), table[envs[:, None, None], links]
    )


def _gate_draws(params, num_envs, batched, steps=3):
    from netgym.envs.moe.routing.gates import GateSource

    rngs = [np.random.default_rng(seed) for seed in range(num_envs)]
    if batched:
        sources = [GateSource(params, num_envs)]
        groups = [np.arange(num_envs)]
    else:
        sources = [GateSource(params, 1) for _ in range(num_envs)]
        groups = [np.array([0])] * num_envs
    outputs = []
    for step in range(steps + 1):
        for source, group, first in zip(sources, groups, range(len(sources)), strict=True):
            own = rngs if batched else [rngs[first]]
            (source.reset if step == 0 else source.draw)(group, own)
        names = ("logits", "shift", "totals", "column_mass", "token_ids", "popularity", "probs")
        outputs.append(
            {name: np.concatenate([getattr(s, name) for s in sources]) for name in names}
        )
    return outputs


def test_moe_routing_batched_gate_draw_equals_one_sub_env_at_a_time():
    from netgym.envs.moe.routing.params import RoutingParams

    # the defaults (no softmax shift) and large hidden states (some sub-envs shifted)
    for params in (RoutingParams(n_tokens=16), RoutingParams(n_tokens=16, token_std=14.0)):
        batched = _gate_draws(params, 5, batched=True)
        alone = _gate_draws(params, 5, batched=False)
        for got, want in zip(batched, alone, strict=True):
            for name in want:
                np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    shifted = _gate_draws(RoutingParams(n_tokens=16, token_std=14.0), 5, batched=True)
    per_env = (shifted[-1]["shift"] != 0).any(axis=1)
    assert per_env.any() and not per_env.all()  # both paths taken in one batched draw
