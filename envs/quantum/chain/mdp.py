"""The finite MDP of a small homogeneous repeater chain in the abstract scheme (Iñesta, Vardoyan,
Scavuzzo, Wehner, npj QI 9, 46 (2023)) and its exact solution.

Model (the same as ``RepeaterChain-v0`` with ``scheme="abstract"``, ``mem_per_side=1`` and a
cutoff): one memory per node side, so the links are non-overlapping node intervals ``(i, j)``,
each with an age in slots. A decision state is the set of links after the slot's generation
attempts. The action is a set of repeaters that swap (a bitmask: bit ``r`` = node ``r + 1``);
a repeater can swap when it holds a left and a right link. Within a slot: swaps (a run of
adjacent swaps merges its links into one, which exists with probability p_swap^(swaps) and
otherwise all of them are lost; the merged link takes the oldest age), delivery (an end-to-end
link ends the episode), cutoff (links with age >= cutoff are discarded), ageing (+1), then
generation on every elementary link whose two memories are free (probability p each).
The cost is one per slot, so the value of the initial distribution is E[T], the mean delivery
time in slots, comparable with reference/quantum.md 2.3 and 2.4.

``ChainMdp.solve()`` finds the optimal policy by policy iteration with exact (sparse linear)
policy evaluation; ``ChainMdp.evaluate(policy)`` gives E[T] of any deterministic policy.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from ...core.budget import check_memory

MDP_BYTES_PER_STATE = 4096
"""memory of one explored state (its links, index entry and transition arrays): an upper
estimate, about 2.8 KB measured at n = 5"""
MDP_SECONDS_PER_STATE = 2e-4
"""exploration time of one state at n = 5 (about 150 us measured), for the error message"""

Link = tuple[int, int, int]
"""(left node, right node, age in slots)"""
State = tuple[Link, ...]
"""links sorted by left node"""


def swappable_nodes(state: State) -> tuple[int, ...]:
    """Repeaters holding both a left and a right link in ``state``."""
    rights = {link[1] for link in state}
    return tuple(link[0] for link in state if link[0] in rights)


def state_count_bound(n_nodes: int, cutoff: int) -> int:
    """An upper bound on the reachable decision states: the sets of non-overlapping links,
    each with one of ``cutoff + 2`` ages (counted by a recursion over the left end of the
    first link). It grows as cutoff^(n - 1): n = 5 with cutoff 20 reaches 273,816 states."""
    ages = cutoff + 2
    count = [0] * n_nodes
    count[-1] = 1
    for left in range(n_nodes - 2, -1, -1):
        count[left] = count[left + 1] + ages * sum(count[left + 1 :])
    return count[0]


def nested_pairs(n_nodes: int) -> dict[int, tuple[int, int]]:
    """Nested doubling: repeater ``m`` -> the (left, right) nodes it joins.

    The chain [0, n - 1] is split at its middle node, which joins the two halves; each half is
    split the same way (for 2^k + 1 nodes this is the classic doubling scheme).
    """
    pairs: dict[int, tuple[int, int]] = {}

    def split(left: int, right: int) -> None:
        if right - left < 2:
            return
        middle = (left + right) // 2
        pairs[middle] = (left, right)
        split(left, middle)
        split(middle, right)

    split(0, n_nodes - 1)
    return pairs


class ChainMdp:
    """Exact finite MDP of a homogeneous chain (see the module docstring).

    Args:
        n_nodes: nodes including the end nodes (2-6).
        p_gen: link generation probability per slot, in (0, 1].
        p_swap: swap success probability, in (0, 1].
        cutoff: cutoff in slots (>= 0).
    """

    def __init__(self, n_nodes: int, p_gen: float, p_swap: float, cutoff: int) -> None:
        if isinstance(n_nodes, bool) or int(n_nodes) != n_nodes or not 2 <= n_nodes <= 6:
            raise ValueError(f"ChainMdp n_nodes must be an integer in [2, 6], got {n_nodes!r}")
        for name, value in (("p_gen", p_gen), ("p_swap", p_swap)):
            if not 0.0 < float(value) <= 1.0:
                raise ValueError(f"ChainMdp {name} must be in (0, 1], got {value!r}")
        if isinstance(cutoff, bool) or int(cutoff) != cutoff or cutoff < 0:
            raise ValueError(f"ChainMdp cutoff must be an integer >= 0, got {cutoff!r}")
        self.n_nodes = int(n_nodes)
        self.p_gen = float(p_gen)
        self.p_swap = float(p_swap)
        self.cutoff = int(cutoff)
        self.n_actions = 2 ** max(self.n_nodes - 2, 0)
        bound = state_count_bound(self.n_nodes, self.cutoff)
        check_memory(
            "ChainMdp",
            bound * MDP_BYTES_PER_STATE,
            f"n_nodes={self.n_nodes}, cutoff={self.cutoff}: up to {bound} states, explored in "
            f"about {bound * MDP_SECONDS_PER_STATE:.0f} s",
        )
        self.initial = self._generate(())
        self.states: list[State] = []
        self.index: dict[State, int] = {}
        self.transitions: list[dict[int, tuple[np.ndarray, np.ndarray, float]]] = []
        self._explore()

    # ---------------------------------------------------------------- one-slot dynamics
    def _generate(self, links: State) -> dict[State, float]:
        """Generation attempts on every free elementary link: outcome -> probability."""
        busy_right = {link[0] for link in links}
        busy_left = {link[1] for link in links}
        free = [
            m for m in range(self.n_nodes - 1) if m not in busy_right and m + 1 not in busy_left
        ]
        out: dict[State, float] = {}
        for made in product((False, True), repeat=len(free)):
            prob = 1.0
            new = list(links)
            for m, ok in zip(free, made, strict=True):
                prob *= self.p_gen if ok else 1.0 - self.p_gen
                if ok:
                    new.append((m, m + 1, 0))
            if prob > 0.0:
                key = tuple(sorted(new))
                out[key] = out.get(key, 0.0) + prob
        return out

    def step(self, state: State, action: int) -> tuple[dict[State, float], float]:
        """Next decision states of ``state`` under swap mask ``action``.

        Returns:
            (next state -> probability, probability of delivery this slot).
        """
        swapping = {r + 1 for r in range(self.n_nodes - 2) if action >> r & 1}
        swapping &= set(swappable_nodes(state))
        # every node side holds at most one link, so a link is known by either end node; a run
        # of swaps starts at a link whose left end does not swap and follows the right ends
        by_left = {link[0]: link for link in state}
        groups: list[list[Link]] = []
        for link in state:
            if link[0] in swapping:
                continue
            group = [link]
            while group[-1][1] in swapping:
                group.append(by_left[group[-1][1]])
            groups.append(group)
        options = []
        for group in groups:
            merged = (group[0][0], group[-1][1], max(link[2] for link in group))
            success = self.p_swap ** (len(group) - 1)
            options.append([(merged, success)] + ([(None, 1.0 - success)] if success < 1 else []))
        out: dict[State, float] = {}
        delivered = 0.0
        for outcome in product(*options):
            prob = float(np.prod([o[1] for o in outcome]))
            links = [o[0] for o in outcome if o[0] is not None]
            if any(link[0] == 0 and link[1] == self.n_nodes - 1 for link in links):
                delivered += prob
                continue
            kept = tuple(sorted((i, j, age + 1) for i, j, age in links if age < self.cutoff))
            for nxt, p_gen in self._generate(kept).items():
                out[nxt] = out.get(nxt, 0.0) + prob * p_gen
        return out, delivered

    def valid_actions(self, state: State) -> list[int]:
        """Swap masks using only swappable repeaters (0 = no swap is always valid)."""
        nodes = swappable_nodes(state)
        masks = []
        for chosen in product((False, True), repeat=len(nodes)):
            masks.append(sum(1 << (m - 1) for m, c in zip(nodes, chosen, strict=True) if c))
        return masks

    def _explore(self) -> None:
        frontier = list(self.initial)
        for state in frontier:
            self.index.setdefault(state, len(self.states))
            if len(self.states) < len(self.index):
                self.states.append(state)
        cursor = 0
        while cursor < len(self.states):
            state = self.states[cursor]
            table: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
            for action in self.valid_actions(state):
                nxt, delivered = self.step(state, action)
                cols = []
                for s in nxt:
                    if s not in self.index:
                        self.index[s] = len(self.states)
                        self.states.append(s)
                    cols.append(self.index[s])
                table[action] = (
                    np.asarray(cols, dtype=np.int64),
                    np.fromiter(nxt.values(), float),
                    delivered,
                )
            self.transitions.append(table)
            cursor += 1

    # ------------------------------------------------------------------------ solving
    @property
    def n_states(self) -> int:
        """Reachable decision states."""
        return len(self.states)

    def evaluate(self, policy: Callable[[State], int] | np.ndarray) -> np.ndarray:
        """Expected remaining slots V(s) (delivery slot included) of a deterministic policy,
        given as a function state -> swap mask or an array of masks per state index."""
        actions = self._as_actions(policy)
        rows, cols, vals = [], [], []
        for s, action in enumerate(actions):
            nxt, probs, _ = self.transitions[s][int(action)]
            rows.extend([s] * len(nxt))
            cols.extend(nxt.tolist())
            vals.extend(probs.tolist())
        n = self.n_states
        matrix = sp.identity(n, format="csr") - sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
        return np.asarray(spsolve(matrix.tocsc(), np.ones(n)), dtype=float)

    def mean_delivery_time(self, values: np.ndarray) -> float:
        """E[T] from the empty chain: the initial generation outcome averaged over ``values``."""
        return float(sum(p * values[self.index[s]] for s, p in self.initial.items()))

    def solve(self, max_iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
        """Optimal policy by policy iteration (start: swap-asap).

        Returns:
            (values per state, optimal swap mask per state).
        """
        actions = self._as_actions(self.swap_asap)
        for _ in range(max_iterations):
            values = self.evaluate(actions)
            improved = actions.copy()
            for s, table in enumerate(self.transitions):
                best = actions[s]
                nxt, probs, _ = table[int(best)]
                best_q = 1.0 + probs @ values[nxt]
                for action, (nxt, probs, _) in table.items():
                    q = 1.0 + probs @ values[nxt]
                    if q < best_q - 1e-12:
                        best, best_q = action, q
                improved[s] = best
            if np.array_equal(improved, actions):
                return values, actions
            actions = improved
        raise RuntimeError(f"policy iteration did not converge in {max_iterations} iterations")

    def _as_actions(self, policy: Callable[[State], int] | np.ndarray) -> np.ndarray:
        if callable(policy):
            actions = np.array([policy(state) for state in self.states], dtype=np.int64)
        else:
            actions = np.asarray(policy, dtype=np.int64)
        for s, action in enumerate(actions):
            if int(action) not in self.transitions[s]:
                nodes = swappable_nodes(self.states[s])
                allowed = sum(1 << (m - 1) for m in nodes)
                actions[s] = int(action) & allowed
        return actions

    # ---------------------------------------------------------------- reference policies
    def swap_asap(self, state: State) -> int:
        """Swap at every repeater that can."""
        return sum(1 << (m - 1) for m in swappable_nodes(state))

    def nested(self, state: State) -> int:
        """Nested doubling: repeater m swaps only the two links of its level."""
        pairs = nested_pairs(self.n_nodes)
        ends = {(link[0], link[1]) for link in state}
        mask = 0
        for m, (left, right) in pairs.items():
            if (left, m) in ends and (m, right) in ends:
                mask |= 1 << (m - 1)
        return mask

    def nested_full_state(self, state: State) -> int:
        """Iñesta et al.'s "nested" policy (their ``policy_eval_swapasap(nested=True)``):
        swap-asap, except in a full state (every elementary link present) where only the
        first-level repeaters of the doubling scheme swap (nodes 1 and 3 of a 5-node chain)."""
        ends = {(link[0], link[1]) for link in state}
        if len(ends) == self.n_nodes - 1 and all((m, m + 1) in ends for m in range(len(ends))):
            return first_level_mask(self.n_nodes)
        return self.swap_asap(state)


def first_level_mask(n_nodes: int) -> int:
    """Swap mask of the nested scheme's first level: repeaters joining two elementary links."""
    pairs = nested_pairs(n_nodes)
    return sum(1 << (m - 1) for m, (left, right) in pairs.items() if right - left == 2)


__all__ = [
    "MDP_BYTES_PER_STATE",
    "ChainMdp",
    "Link",
    "State",
    "first_level_mask",
    "nested_pairs",
    "state_count_bound",
    "swappable_nodes",
]
