"""netgym/MoeRouting-v0: the token draws from raw generator words (``routing/draws.py``) give
the numbers of ``Generator.integers`` and leave the generator where it would."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.envs.moe.routing.draws import draw_tokens

BIT_GENERATORS = [
    np.random.PCG64,
    np.random.PCG64DXSM,
    np.random.SFC64,
    np.random.Philox,
    np.random.MT19937,  # not word-split: drawn through numpy
]


def comparable(state: dict) -> str:
    """A bit generator's state; the buffered half is only meaningful while it is flagged."""
    state = dict(state)
    if not state.get("has_uint32", 1):
        state["uinteger"] = 0
    return repr(state)


@pytest.mark.parametrize("bit_generator", BIT_GENERATORS)
@pytest.mark.parametrize(
    ("n_domains", "vocab_size", "n_tokens"),
    [
        (8, 4096, 256),  # the defaults: powers of two, never a rejection
        (7, 1000, 33),  # odd ranges and an odd token count
        (1, 4096, 17),  # one domain draws nothing: an odd number of halves, through numpy
        (5, 1, 9),
        (3, 3 * 2**30, 64),  # ~25 % rejections: rows redrawn through numpy
        (2**32, 6, 8),  # the largest 32-bit range
        (5, 2**32 + 1, 4),  # a 64-bit range: through numpy
    ],
)
def test_token_draws_equal_generator_integers_and_leave_the_same_state(
    bit_generator, n_domains, vocab_size, n_tokens
):
    n = 5
    ours = [np.random.Generator(bit_generator(seed)) for seed in range(n)]
    reference = [np.random.Generator(bit_generator(seed)) for seed in range(n)]
    for rng in (ours[1], reference[1]):  # one generator with a buffered 32-bit half
        rng.integers(5, size=3, dtype=np.int32)
    domains = np.zeros((n, n_tokens), dtype=np.int64)
    token_ids = np.zeros((n, n_tokens), dtype=np.int64)
    for _ in range(3):
        draw_tokens(ours, np.arange(n), n_domains, vocab_size, domains, token_ids)
        for i in range(n):
            expected_domains = reference[i].integers(n_domains, size=n_tokens)
            expected_ids = reference[i].integers(vocab_size, size=n_tokens)
            np.testing.assert_array_equal(domains[i], expected_domains)
            np.testing.assert_array_equal(token_ids[i], expected_ids)
    for a, b in zip(ours, reference, strict=True):
        assert comparable(a.bit_generator.state) == comparable(b.bit_generator.state)
        np.testing.assert_array_equal(a.standard_normal(7), b.standard_normal(7))


def test_token_draws_of_a_subset_touch_only_its_rows_and_generators():
    n, t = 4, 16
    rngs = [np.random.default_rng(seed) for seed in range(n)]
    untouched = [rng.bit_generator.state for rng in rngs]
    domains = np.full((n, t), -1, dtype=np.int64)
    token_ids = np.full((n, t), -1, dtype=np.int64)
    draw_tokens(rngs, np.array([1, 3]), 8, 4096, domains, token_ids)
    assert (domains[[0, 2]] == -1).all() and (token_ids[[0, 2]] == -1).all()
    assert (domains[[1, 3]] >= 0).all() and (token_ids[[1, 3]] >= 0).all()
    for i in (0, 2):
        assert rngs[i].bit_generator.state == untouched[i]


def test_one_generator_serving_two_rows_draws_as_two_sequential_integer_calls():
    # A rejection-heavy range: the word path would roll back one row's state after the other
    # row consumed words from the same generator; such batches go through numpy row by row.
    from netgym.envs.moe.routing.draws import draw_tokens

    n = 3 * 2**30 + 7
    for seed in range(3):
        shared = np.random.default_rng(seed)
        domains = np.empty((2, 4), dtype=np.int64)
        tokens = np.empty((2, 4), dtype=np.int64)
        draw_tokens([shared, shared], np.arange(2), 5, n, domains, tokens)
        ref = np.random.default_rng(seed)
        for row in range(2):
            assert domains[row].tolist() == ref.integers(5, size=4).tolist()
            assert tokens[row].tolist() == ref.integers(n, size=4).tolist()
