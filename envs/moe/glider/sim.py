"""The routing and success model of ``netgym/MoeGliderRouting-v0``, as pure functions of a
``Pool`` and arrays with the query axis first.

Glider's combined routing [reference 3, ``layers.py``]: per block, logits ``z + scale * b``,
softmax, top-k, renormalisation. A query's success probability is

    a = clip(base_t + mean_l [sum_k w_lk G[t, k] + c_t min(1, 2 (1 - max_k w_lk))], 0, 1)

with ``c_t`` the composition bonus (held-out tasks; full when two experts share the weight).
Its reward is ``a`` (or a Bernoulli(a) draw) minus ``global_cost`` if it paid for the global
signal and ``expert_cost * k``.

The bound: for weights whose largest entry is ``m``, ``sum w G <= m G1 + (1 - m) G2`` (G1 >= G2
the two best gains of the task) and the bonus is ``c min(1, 2 (1 - m))``, which is linear in
``m`` on [1/2, 1] and constant below, so the best of any weights over any number of experts is
reached by one expert (m = 1) or two at equal weights (m = 1/2): the exhaustive search over
expert pairs (``pair_bound_exhaustive``) equals the closed form ``pair_bound`` and no action
beats it. It needs no global signal, so it pays no ``global_cost``.
"""

from __future__ import annotations

import numpy as np

from .pool import Pool


def local_logits(
    pool: Pool,
    tasks: np.ndarray,
    rng: np.random.Generator,
    n_blocks: int,
    token_noise: float,
    sharpness: float,
) -> np.ndarray:
    """(B, L, K) PHATGOOSE logits of queries of ``tasks``: ``sharpness * cos(h, g_k)`` with the
    hidden state ``h = v_t + noise`` drawn per block (float32, as a model's activations)."""
    d = pool.skill.shape[1]
    noise = rng.standard_normal((len(tasks), n_blocks, d), dtype=np.float32)
    noise *= np.float32(token_noise / np.sqrt(d))
    hidden = pool.skill32[tasks][:, None, :] + noise
    scale = np.float32(sharpness) / np.sqrt(np.einsum("bld,bld->bl", hidden, hidden))
    logits = hidden @ pool.gates32.T
    logits *= scale[..., None]
    return logits


def route(logits: np.ndarray, k: np.ndarray, max_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k routing of (B, L, K) ``logits`` with a per-query ``k`` (B,) <= ``max_k``.

    Returns:
        (B, L, max_k) expert ids in descending logit order and their renormalised softmax
        weights (0 beyond rank k).
    """
    batch, blocks, n_experts = logits.shape
    top = min(max_k, n_experts)
    flat = logits.reshape(-1, n_experts)
    rows = np.arange(flat.shape[0])[:, None]
    if top < n_experts:
        idx = np.argpartition(-flat, top - 1, axis=1)[:, :top]
    else:
        idx = np.broadcast_to(np.arange(n_experts), flat.shape)
    values = flat[rows, idx]
    order = np.argsort(-values, axis=1, kind="stable")
    idx = idx[rows, order]
    values = values[rows, order]
    keep = np.arange(top) < np.repeat(np.minimum(k, top), blocks)[:, None]
    weights = np.where(keep, np.exp(values - values[:, :1]), 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    if top < max_k:  # pad to max_k columns
        pad = max_k - top
        idx = np.concatenate([idx, np.repeat(idx[:, :1], pad, axis=1)], axis=1)
        weights = np.concatenate([weights, np.zeros((len(weights), pad))], axis=1)
    return idx.reshape(batch, blocks, max_k), weights.reshape(batch, blocks, max_k)


def success_probability(
    pool: Pool, tasks: np.ndarray, experts: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """(B,) success probability ``a`` of queries of ``tasks`` routed to (B, L, m) ``experts``
    with (B, L, m) ``weights`` (rows summing to 1, the largest first, as ``route`` gives them;
    see the module docstring)."""
    gains = pool.gain[tasks[:, None, None], experts]
    mixed = (weights * gains).sum(axis=-1)
    spread = np.minimum(1.0, 2.0 * (1.0 - weights[..., 0]))
    per_block = mixed + pool.composition[tasks][:, None] * spread
    gain = per_block.sum(axis=1) / per_block.shape[1]
    return np.clip(pool.base[tasks] + gain, 0.0, 1.0)


def pair_bound(pool: Pool, tasks: np.ndarray, expert_cost: float) -> tuple[np.ndarray, ...]:
    """The best expected reward of each query over every routing (closed form).

    Returns:
        (reward, first, second): (B,) the bound, and the experts that reach it (``second ==
        first`` when one expert is best; else the two share the weight equally).
    """
    gains = pool.gain[tasks]
    order = np.argsort(-gains, axis=1, kind="stable")[:, :2]
    best = np.take_along_axis(gains, order, axis=1)
    base = pool.base[tasks]
    single = np.clip(base + best[:, 0], 0.0, 1.0) - expert_cost
    pair = (
        np.clip(base + np.maximum(best[:, 0], best.mean(axis=1) + pool.composition[tasks]), 0, 1)
        - 2 * expert_cost
    )
    use_pair = pair > single
    second = np.where(use_pair, order[:, 1], order[:, 0])
    return np.maximum(single, pair), order[:, 0], second


def pair_bound_exhaustive(pool: Pool, task: int, expert_cost: float) -> float:
    """The same bound for one query of ``task`` by trying every expert and every pair of
    experts at the weights where the optimum lies (m = 1 and m = 1/2): K + K (K - 1) / 2
    evaluations of the success model (630 at K = 35). For tests and for checking the closed
    form; the env reports ``pair_bound``."""
    n = pool.n_experts
    tasks = np.full(n, task)
    singles = success_probability(
        pool, tasks, np.arange(n)[:, None, None], np.ones((n, 1, 1))
    ).max()
    first, second = np.triu_indices(n, k=1)
    experts = np.stack([first, second], axis=-1)[:, None, :]
    tasks = np.full(len(first), task)
    pairs = success_probability(pool, tasks, experts, np.full(experts.shape, 0.5)).max()
    return float(max(singles - expert_cost, pairs - 2 * expert_cost))


__all__ = ["local_logits", "pair_bound", "pair_bound_exhaustive", "route", "success_probability"]
