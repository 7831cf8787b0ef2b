"""The token draws of ``netgym/MoeRouting-v0``: each sub-env's T domains and T vocabulary ids
per layer call, from its own generator, the numbers of

    domains = rng.integers(n_domains, size=T); token_ids = rng.integers(vocab_size, size=T)

at a fraction of the cost. ``Generator.integers`` spends ~7 us per call on argument checks; the
draws themselves are Lemire's method on the 32-bit halves of the bit generator's 64-bit words
(low half first). ``draw_tokens`` takes the words with one ``random_raw`` call per sub-env and
turns them into integers in one compiled kernel (``kernels.draw_token_rows``) for all
sub-envs. It leaves the generator in the state ``integers`` would, or uses ``integers`` itself
where the words cannot reproduce it:

* a bit generator other than those whose 32-bit draws split 64-bit words (``SPLIT_WORDS``);
* a generator holding a buffered 32-bit half (``state["has_uint32"]``: only after outside code
  drew 32-bit values from it), or an odd number of halves to draw (the last one would stay
  buffered);
* a range over 2^32, or a rejected draw (Lemire's rare redraw, never for powers of two): the
  generator is put back to its state before the words and redrawn through ``integers``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .kernels import draw_token_rows

SPLIT_WORDS = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)
"""bit generators whose ``next_uint32`` returns the low, then the high half of one
``next_uint64`` word, buffering the high half (``has_uint32``)"""


def draw_tokens(
    rngs: Sequence[np.random.Generator],
    idx: np.ndarray,
    n_domains: int,
    vocab_size: int,
    domains: np.ndarray,
    token_ids: np.ndarray,
) -> None:
    """``domains[i]`` and ``token_ids[i]`` (int64, T each) of every sub-env ``i`` in ``idx``,
    drawn from ``rngs[i]`` as ``rng.integers(n_domains, size=T)`` then
    ``rng.integers(vocab_size, size=T)`` would."""
    n_tokens = domains.shape[1]
    halves = n_tokens * ((n_domains > 1) + (vocab_size > 1))
    n_words = halves // 2
    by_words = halves % 2 == 0 and max(n_domains, vocab_size) <= 2**32
    if by_words and len({id(rngs[i].bit_generator) for i in idx}) < len(idx):
        # one generator serving two rows: a rejected row's rollback would undo the other
        # row's words, so such batches draw through numpy, row after row
        by_words = False
    words = np.empty((len(idx), n_words), dtype=np.uint64)
    rows = np.empty(len(idx), dtype=np.int64)
    saved: list[tuple[int, dict]] = []
    through_numpy: list[int] = []
    for i in idx:
        bit_generator = rngs[i].bit_generator
        if by_words and type(bit_generator) in SPLIT_WORDS:
            state = bit_generator.state
            if not state["has_uint32"]:
                words[len(saved)] = bit_generator.random_raw(n_words)
                rows[len(saved)] = i
                saved.append((i, state))
                continue
        through_numpy.append(i)
    if saved:
        m = len(saved)
        failed = np.zeros(m, dtype=bool)
        draw_token_rows(words[:m], rows[:m], n_domains, vocab_size, domains, token_ids, failed)
        for j in np.flatnonzero(failed):  # a rejected draw: back to the state, through numpy
            i, state = saved[j]
            rngs[i].bit_generator.state = state
            through_numpy.append(i)
    for i in through_numpy:
        rng = rngs[i]
        domains[i] = rng.integers(n_domains, size=n_tokens)
        token_ids[i] = rng.integers(vocab_size, size=n_tokens)


__all__ = ["SPLIT_WORDS", "draw_tokens"]
