"""Baselines of ``netgym/AsyncGossip-v0`` (reference/disttrain.md section 6, E4 "Baselines"
and "Oracle / bound").

- ``ConstantRate``: one intensity throughout; index 2 (rho = 1, uniform edges) is DADAO's
  default rate sqrt(2 chi1 chi2). In the 'edges' mode every constant is uniform weights.
- ``BestConstant``: the best constant intensity in hindsight (the bound of the issue): every
  rho of the menu is played on a copy of the episode (same problem, same gradient clock) and
  the one with the highest return is kept; an oracle.
- ``ConsensusFeedback``: a causal rule: DADAO's rate, doubled while the consensus error is
  more than half the error (the nodes disagree more than they are off the optimum).
- ``ResistanceEdges`` ('edges' mode): edge weights proportional to each edge's effective
  resistance over its cost (bridges and bottlenecks gossip more, costly edges less).

The other decentralized optimisers of the rate table (ADOM+, ADOM+ with multi-consensus, MSDA,
Continuized) are separate algorithms, not policies of this env: ``gossip_methods.py`` runs them
on an episode's problem with the same reward accounting.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from netgym.envs.disttrain.gossip.graphs import laplacian
from netgym.envs.disttrain.gossip.params import RHOS

DEFAULT = RHOS.index(1.0)
"""the index of DADAO's default rate in the intensity menu"""


def _unwrap(env: Any) -> Any:
    return getattr(env, "unwrapped", env)


def _uniform(env: Any) -> np.ndarray:
    return np.ones(env.action_space.shape, dtype=np.float32)


class ConstantRate:
    """Always intensity ``RHOS[index]`` (uniform edge weights in the 'edges' mode)."""

    def __init__(self, index: int = DEFAULT, name: str = "dadao") -> None:
        if not 0 <= index < len(RHOS):
            raise ValueError(f"intensity index {index} is outside the menu {list(RHOS)}")
        self.index, self.name = index, name
        self._action: Any = index

    def reset(self, env: Any) -> None:
        """Pick the action form of the env's mode."""
        env = _unwrap(env)
        edges = env.params.action_mode == "edges"
        self._action = _uniform(env) if edges else self.index

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The constant action."""
        return self._action


class BestConstant:
    """The best constant intensity in hindsight (see the module docstring)."""

    name = "best-constant"

    def __init__(self) -> None:
        self.index = DEFAULT
        self.returns: list[float] = []
        self._action: Any = DEFAULT

    def reset(self, env: Any) -> None:
        """Play every constant on a copy of the freshly reset episode; keep the best (the
        'edges' mode has one constant: uniform weights)."""
        env = _unwrap(env)
        if env.params.action_mode == "edges":
            self.index, self.returns, self._action = DEFAULT, [], _uniform(env)
            return
        self.returns = [episode_return(env, index) for index in range(len(RHOS))]
        self.index = self._action = int(np.argmax(self.returns))

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The chosen intensity."""
        return self._action


def episode_return(env: Any, index: int) -> float:
    """Return of intensity ``index`` held from the env's current state to the episode's end,
    on a deep copy (the env itself is untouched)."""
    trial = copy.deepcopy(_unwrap(env))
    total = 0.0
    while True:
        _, reward, terminated, truncated, _ = trial.step(index)
        total += reward
        if terminated or truncated:
            return total


class ConsensusFeedback:
    """DADAO's rate, doubled while consensus error > ``share`` x error (causal)."""

    name = "consensus-feedback"

    def __init__(self, share: float = 0.5) -> None:
        self.share = share
        self._edges: np.ndarray | None = None

    def reset(self, env: Any) -> None:
        """Note the env's mode (the 'edges' mode has no rate to set: uniform weights)."""
        env = _unwrap(env)
        self._edges = _uniform(env) if env.params.action_mode == "edges" else None

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """rho = 2 while the nodes disagree more than ``share`` of the error, else 1."""
        if self._edges is not None:
            return self._edges
        return DEFAULT + 1 if float(obs[1]) > self.share else DEFAULT


class ResistanceEdges:
    """Edge weights proportional to effective resistance over cost ('edges' mode)."""

    name = "resistance-edges"

    def __init__(self) -> None:
        self._action: Any = DEFAULT

    def reset(self, env: Any) -> None:
        """Compute the weights from the episode's graph and costs."""
        env = _unwrap(env)
        if env.params.action_mode != "edges":
            self._action = DEFAULT
            return
        ep = env.episode
        edges, n = ep.graph.graphs[0], ep.graph.n
        pinv = np.linalg.pinv(laplacian(n, edges))
        diff = pinv[edges[:, 0]] - pinv[edges[:, 1]]
        resistance = (
            diff[np.arange(len(edges)), edges[:, 0]] - diff[np.arange(len(edges)), edges[:, 1]]
        )
        score = resistance / ep.costs[0, edges[:, 0], edges[:, 1]]
        self._action = (score / score.max()).astype(np.float32)

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The weights."""
        return self._action


__all__ = [
    "DEFAULT",
    "BestConstant",
    "ConsensusFeedback",
    "ConstantRate",
    "ResistanceEdges",
    "episode_return",
]
