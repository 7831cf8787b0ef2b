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
