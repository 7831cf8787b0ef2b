"""Q-tables of the tabular agents: epsilon-greedy choice and the batched SARSA / Q-learning update.

``QTables`` knows states and actions as integers from 0 (the agent discretises observations and
shifts actions); it updates all transitions of one env step at once, averaging the TD errors of
transitions that hit the same cell (``td_update``). The rules are derived in
``docs/training.md`` ("Tabular agents").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ALGORITHMS = ("sarsa", "qlearning")


class QTables:
    """Dense float64 tables ``Q[state, action]``, one per table id, and their seeded RNG.

    Args:
        algorithm: ``'sarsa'`` (target ``r + gamma * Q[s', a']``, with ``a'`` the action taken
            next) or ``'qlearning'`` (target ``r + gamma * max_b Q[s', b]``).
        gamma: discount factor.
        n_states: states of each table.
        action_counts: actions of each table.
        initial_q: initial value of every cell.
        seed: seed of the exploration RNG (``rng``).
    """

    def __init__(
        self,
        algorithm: str,
        gamma: float,
        n_states: Sequence[int],
        action_counts: Sequence[int],
        initial_q: float,
        seed: int,
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {list(ALGORITHMS)}, got {algorithm!r}")
        self.algorithm = algorithm
        self.gamma = gamma
        self.action_counts = np.asarray(action_counts, dtype=np.int64)
        self.tables = [
            np.full((int(states), int(n)), initial_q, dtype=np.float64)
            for states, n in zip(n_states, self.action_counts, strict=True)
        ]
        """the tables, ``(n_states, n_actions)`` each"""
        self.rng = np.random.default_rng(seed)
        """the generator of every exploration draw"""

    def greedy(self, table: int, state: int) -> int:
        """The best action index of ``state`` in ``table`` (the lowest index on ties)."""
        return int(np.argmax(self.tables[table][state]))

    def choose(self, table_ids: np.ndarray, states: np.ndarray, epsilon: float) -> np.ndarray:
        """Epsilon-greedy action indices (from 0) of a batch; draws the same random numbers
        whatever epsilon is, so the RNG stream depends only on the number of choices."""
        explore = self.rng.random(len(states)) < epsilon
        random_actions = self.rng.integers(self.action_counts[table_ids])
        greedy = np.empty(len(states), dtype=np.int64)
        for table in table_groups(table_ids):
            rows = table_ids == table
            greedy[rows] = np.argmax(self.tables[table][states[rows]], axis=1)
        return np.where(explore, random_actions, greedy)

    def learn(
        self,
        table_ids: np.ndarray,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
        learn_mask: np.ndarray,
        learning_rate: float,
        epsilon: float,
    ) -> np.ndarray:
        """Update the tables from a batch of transitions (rows where ``learn_mask``) and
        return the epsilon-greedy next actions for ``next_states``.

        A terminated transition bootstraps with 0; a truncated one with the value of ``s'``.
        """
        sarsa = self.algorithm == "sarsa"
        # SARSA's target needs the action it will really take next, drawn before the update
        next_actions = self.choose(table_ids, next_states, epsilon) if sarsa else None
        for table in table_groups(table_ids):
            rows = np.flatnonzero((table_ids == table) & learn_mask)
            if rows.size == 0:
                continue
            q = self.tables[table]
            if sarsa:
                next_values = q[next_states[rows], next_actions[rows]]
            else:
                next_values = q[next_states[rows]].max(axis=1)
            targets = rewards[rows] + self.gamma * np.where(terminated[rows], 0.0, next_values)
            td_update(q, states[rows], actions[rows], targets, learning_rate)
        if not sarsa:
            # Q-learning acts on the updated table, as in the textbook loop
            next_actions = self.choose(table_ids, next_states, epsilon)
        return next_actions


def td_update(
    table: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    targets: np.ndarray,
    learning_rate: float,
) -> None:
    """``Q[s, a] += lr * mean TD error`` per distinct cell, TD errors from the table as it was."""
    flat = table.reshape(-1)  # a view: the table is C-contiguous
    cells = states * table.shape[1] + actions
    errors = targets - flat[cells]
    if len(cells) == 1:
        flat[cells] += learning_rate * errors
        return
    # averaging, not summing, repeated cells: summing would take k * lr steps for a cell k
    # sub-envs visit together, overshooting the target once k * lr > 1
    unique_cells, inverse = np.unique(cells, return_inverse=True)
    flat[unique_cells] += (
        learning_rate * np.bincount(inverse, weights=errors) / np.bincount(inverse)
    )


def table_groups(table_ids: np.ndarray) -> Sequence[int]:
    """The distinct tables of a batch (one for Gymnasium envs, so skip ``np.unique``)."""
    if len(table_ids) == 0:
        return ()
    first = int(table_ids[0])
    if (table_ids == first).all():
        return (first,)
    return [int(t) for t in np.unique(table_ids)]


__all__ = ["QTables", "table_groups", "td_update"]
