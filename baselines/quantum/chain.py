"""Baselines of ``netgym/RepeaterChain-v0``: random, swap-asap (with or without its own cutoff),
nested doubling, purify-then-swap (two memories per side), and the exact optimum of small
abstract chains (policy iteration on ``ChainMdp``).

Every policy follows the netgym protocol (``reset(env)``, then ``act(obs, info)``) and reads the
chain from the env's public ``sim`` (a ``ChainSim``) and ``params``. The ``*_actions`` functions
are the same decisions batched over the chains of a ``ChainSim`` (for the vector env and the
Monte Carlo validations); they return (B, n) node actions (0 wait, 1 swap, 5 discard-right,
end node 0: 1 discard).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...envs.quantum.chain.mdp import ChainMdp, first_level_mask, nested_pairs
from ...envs.quantum.chain.sim import ChainSim

WAIT, SWAP, PURIFY_LEFT, PURIFY_RIGHT, DISCARD_RIGHT = 0, 1, 2, 3, 5


def _can_swap(sim: ChainSim, idx: Any) -> np.ndarray:
    """(B, n) repeaters holding a left and a right link in some lane."""
    both = ((sim.left[idx] >= 0) & (sim.right[idx] >= 0)).any(axis=2)
    both[:, 0] = both[:, -1] = False
    return both


def _discard_below_target(sim: ChainSim, idx: Any, actions: np.ndarray) -> np.ndarray:
    """End node 0 discards an end-to-end link whose fidelity is below the env's ``f_target``
    (the env never consumes it, and it would block both end memories)."""
    right, fid = sim.right[idx], sim.bds[idx][..., 0]
    stuck = ((right[:, 0, :] == sim.n_nodes - 1) & (fid[:, 0, :] < sim.params.f_target)).any(1)
    actions[stuck, 0] = 1
    return actions


def swap_asap_actions(
    sim: ChainSim, idx: Any = slice(None), cutoff: int | None = None
) -> np.ndarray:
    """Swap at every repeater that can. With ``cutoff`` t, a link of age >= t that neither of
    its end nodes swaps is discarded by its left end (the policy's own memory cutoff, the same
    rule as the env's cutoff: a link is usable while its age is below t after the step).
    Every batched policy here also discards an end-to-end link below ``f_target``."""
    swap = _can_swap(sim, idx)
    actions = _discard_below_target(sim, idx, np.where(swap, SWAP, WAIT).astype(np.int64))
    if cutoff is None:
        return actions
    right, age = sim.right[idx], sim.age[idx]
    batch = np.arange(right.shape[0])
    old = (right >= 0) & (age >= cutoff)  # (B, n, k) stored at the left end
    for s in range(right.shape[2]):
        for i in range(sim.n_nodes - 1):
            partner = np.where(old[:, i, s], right[:, i, s], 0)
            drop = old[:, i, s] & ~swap[:, i] & ~swap[batch, partner]
            actions[drop, i] = 1 if i == 0 else DISCARD_RIGHT
    return actions


def nested_actions(sim: ChainSim, idx: Any = slice(None), inesta: bool = False) -> np.ndarray:
    """Nested doubling: repeater m swaps only when its lane-0 links join the two halves of its
    level ((left_m, m) and (m, right_m) of ``nested_pairs``). ``inesta=True``: Iñesta et al.'s
    variant, swap-asap except in full states, where only the first level swaps."""
    right, left = sim.right[idx][:, :, 0], sim.left[idx][:, :, 0]
    actions = np.zeros(right.shape, dtype=np.int64)
    if inesta:
        n = sim.n_nodes
        full = np.all(right[:, : n - 1] == np.arange(1, n), axis=1)
        asap = np.where(_can_swap(sim, idx), SWAP, WAIT)
        level_one = first_level_mask(n)
        first = np.array([(level_one >> (m - 1)) & 1 if 0 < m < n - 1 else 0 for m in range(n)])
        actions = np.where(full[:, None], first[None, :] * SWAP, asap).astype(np.int64)
        return _discard_below_target(sim, idx, actions)
    for m, (lo, hi) in nested_pairs(sim.n_nodes).items():
        actions[:, m] = np.where((left[:, m] == lo) & (right[:, m] == hi), SWAP, WAIT)
    return _discard_below_target(sim, idx, actions)


def purify_swap_actions(
    sim: ChainSim, idx: Any = slice(None), target_fidelity: float = 0.9
) -> np.ndarray:
    """Purify, then swap: a repeater holding two parallel links to the same neighbour
    (``mem_per_side=2``) whose lane-0 fidelity is below ``target_fidelity`` purifies them
    (left side first); otherwise it swaps when it can (swap-asap)."""
    masks = sim.action_masks(idx)
    right, left, fid = sim.right[idx], sim.left[idx], sim.bds[idx][..., 0]
    batch = np.arange(right.shape[0])
    actions = np.where(_can_swap(sim, idx), SWAP, WAIT).astype(np.int64)
    for m in range(sim.n_nodes - 2, 0, -1):
        start = 2 + 6 * (m - 1)
        left_fid = fid[batch, np.maximum(left[:, m, 0], 0), 0]
        right_fid = fid[:, m, 0]
        purify_right = masks[:, start + 3] & (right_fid < target_fidelity)
        purify_left = masks[:, start + 2] & (left_fid < target_fidelity)
        actions[purify_right, m] = PURIFY_RIGHT
        actions[purify_left, m] = PURIFY_LEFT
    return _discard_below_target(sim, idx, actions)


def random_actions(sim: ChainSim, rng: np.random.Generator, idx: Any = slice(None)) -> np.ndarray:
    """A uniformly random valid action per node."""
    masks = sim.action_masks(idx)
    nvec = sim.params.n_node_actions
    out = np.zeros((masks.shape[0], sim.n_nodes), dtype=np.int64)
    start = 0
    for m, count in enumerate(nvec):
        valid = masks[:, start : start + count]
        scores = rng.random(valid.shape) * valid
        out[:, m] = scores.argmax(axis=1)
        start += count
    return out


def _to_env_action(env: Any, node_actions: np.ndarray) -> Any:
    """Node actions (n,) -> the env's action (a swap mask in tabular mode)."""
    if env.params.obs_mode == "tabular":
        return int(
            sum(1 << (m - 1) for m in range(1, env.params.n_nodes - 1) if node_actions[m] == SWAP)
        )
    return node_actions


class _ChainPolicy:
    """Shared protocol: remember the env, act on its chain 0."""

    env: Any = None

    def reset(self, env: Any) -> None:
        """Use ``env`` (a RepeaterChain env, possibly wrapped) for the next episode."""
        self.env = env.unwrapped if hasattr(env, "unwrapped") else env
        if not hasattr(self.env, "sim") or not hasattr(self.env.sim, "right"):
            raise ValueError("chain baselines need a netgym/RepeaterChain-v0 env")

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The action for the current state of the env's chain."""
        if self.env is None:
            raise RuntimeError("call reset(env) before act()")
        return _to_env_action(self.env, self.node_actions(self.env.sim)[0])

    def node_actions(self, sim: ChainSim) -> np.ndarray:
        raise NotImplementedError


class RandomChainPolicy(_ChainPolicy):
    """A uniformly random valid action per node."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def node_actions(self, sim: ChainSim) -> np.ndarray:
        return random_actions(sim, self.rng, slice(0, 1))


class SwapAsap(_ChainPolicy):
    """Swap as soon as possible, optionally with the policy's own memory cutoff (in steps)."""

    def __init__(self, cutoff: int | None = None) -> None:
        if cutoff is not None and (int(cutoff) != cutoff or cutoff < 0):
            raise ValueError(f"SwapAsap cutoff must be an integer >= 0 or None, got {cutoff!r}")
        self.cutoff = cutoff

    def node_actions(self, sim: ChainSim) -> np.ndarray:
        return swap_asap_actions(sim, slice(0, 1), self.cutoff)


class NestedDoubling(_ChainPolicy):
    """Nested doubling (``inesta=True``: Iñesta et al.'s full-state variant)."""

    def __init__(self, inesta: bool = False) -> None:
        self.inesta = inesta

    def node_actions(self, sim: ChainSim) -> np.ndarray:
        return nested_actions(sim, slice(0, 1), self.inesta)


class PurifySwap(_ChainPolicy):
    """Purify parallel pairs below a target fidelity, otherwise swap-asap."""

    def __init__(self, target_fidelity: float = 0.9) -> None:
        if not 0.25 <= target_fidelity <= 1.0:
            raise ValueError(f"target_fidelity must be in [1/4, 1], got {target_fidelity!r}")
        self.target_fidelity = target_fidelity

    def node_actions(self, sim: ChainSim) -> np.ndarray:
        return purify_swap_actions(sim, slice(0, 1), self.target_fidelity)


class OptimalChainPolicy(_ChainPolicy):
    """The exact minimum-E[T] policy of an abstract chain (policy iteration on ``ChainMdp``).

    Needs ``scheme="abstract"``, ``mem_per_side=1``, a cutoff and ``n_nodes <= 5``; solved
    once per parameter set at ``reset``.
    """

    def __init__(self) -> None:
        self.mdp: ChainMdp | None = None
        self.policy: np.ndarray | None = None
        self.table: dict[tuple[int, ...], int] = {}
        self._key: tuple | None = None

    def reset(self, env: Any) -> None:
        super().reset(env)
        p = self.env.params
        if p.scheme != "abstract" or p.mem_per_side != 1 or p.cutoff is None or p.n_nodes > 5:
            raise ValueError(
                "the optimal chain policy needs scheme='abstract', mem_per_side=1, a cutoff and "
                f"n_nodes <= 5, got scheme={p.scheme!r}, mem_per_side={p.mem_per_side}, "
                f"cutoff={p.cutoff}, n_nodes={p.n_nodes}"
            )
        key = (p.n_nodes, p.p_gen, p.p_swap, p.cutoff)
        if key != self._key:
            self.mdp = ChainMdp(p.n_nodes, p.p_gen, p.p_swap, p.cutoff)
            _, self.policy = self.mdp.solve()
            self.table = policy_table(self.mdp, self.policy)
            self._key = key

    def node_actions(self, sim: ChainSim) -> np.ndarray:
        return optimal_actions(sim, self.table, slice(0, 1))


def policy_table(mdp: ChainMdp, policy: np.ndarray) -> dict[tuple[int, ...], int]:
    """Swap mask of a ``ChainMdp`` policy per chain state, keyed by the lane-0 right partner
    of every node followed by the age of every node's right link (0 where none)."""
    n = mdp.n_nodes
    table = {}
    for index, state in enumerate(mdp.states):
        right, age = [-1] * n, [0] * n
        for i, j, link_age in state:
            right[i], age[i] = j, link_age
        table[tuple(right + age)] = int(policy[index])
    return table


def optimal_actions(
    sim: ChainSim, table: dict[tuple[int, ...], int], idx: Any = slice(None)
) -> np.ndarray:
    """(B, n) node actions of a ``policy_table`` for chains ``idx``."""
    right = sim.right[idx][:, :, 0]
    age = np.where(right >= 0, sim.age[idx][:, :, 0], 0)
    keys = np.concatenate([right, age], axis=1)
    masks = np.array([table[key] for key in map(tuple, keys.tolist())], dtype=np.int64)
    out = np.zeros(right.shape, dtype=np.int64)
    for m in range(1, sim.n_nodes - 1):
        out[:, m] = (masks >> (m - 1)) & 1
    return out


__all__ = [
    "NestedDoubling",
    "OptimalChainPolicy",
    "PurifySwap",
    "RandomChainPolicy",
    "SwapAsap",
    "nested_actions",
    "optimal_actions",
    "policy_table",
    "purify_swap_actions",
    "random_actions",
    "swap_asap_actions",
]
