"""Baselines and oracles of ``netgym/MoeGliderRouting-v0`` (reference/seeds-more.md 6b,
"Baselines").

Glider mode (per query: global signal, scale, k):

* ``LocalOnly``: PHATGOOSE, local gates only (scale 0), top-2.
* ``GlobalOnly``: the global signal at the largest scale, top-1: retrieval of the expert whose
  instruction is most similar.
* ``GliderFixed``: Glider with one scale for every query (100, top-2: the held-in setting of
  ``paper-eval.sh``).
* ``GliderOracleScale``: Glider with the scale the scripts pick per benchmark, 100 on held-in
  and 3 on held-out queries; it knows each query's split (``env.held_in``), which a deployed
  router does not.

Assign mode (per query: up to two experts by name):

* ``OwnExpert``: the "Oracle Expert" row: a held-in query's own expert alone; a held-out
  query has none and gets PHATGOOSE's two experts (block-mean local logits) at equal weights.
* ``PairOracle``: the exhaustive pair bound's experts (``env.best_experts()``): its reward is
  the bound.

``random`` is the generic ``RandomPolicy`` in either mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...envs.moe.glider.env import MoeGliderRoutingEnv


class _GliderPolicy:
    """Shared plumbing: check the env and its action mode."""

    name = "glider-policy"
    mode = "glider"

    def supports(self, env: Any) -> bool:
        """Whether the policy can act on ``env`` (a glider env in its action mode)."""
        core = getattr(env, "unwrapped", env)
        return isinstance(core, MoeGliderRoutingEnv) and core.params.action_mode == self.mode

    def reset(self, env: Any) -> None:
        core = getattr(env, "unwrapped", env)
        if not isinstance(core, MoeGliderRoutingEnv):
            raise ValueError(
                f"{type(self).__name__} needs a netgym/MoeGliderRouting-v0 env, got {type(core)}"
            )
        if core.params.action_mode != self.mode:
            raise ValueError(
                f"{type(self).__name__} needs action_mode={self.mode!r}, the env has "
                f"{core.params.action_mode!r}: make it with action_mode={self.mode!r}"
            )
        self.env = core
        self.setup()

    def setup(self) -> None:
        """After ``reset``: read what the policy needs from ``self.env.params``."""

    def scale_index(self, scale: float) -> int:
        """The index of ``scale`` in the env's ``scales`` (``ValueError`` if absent)."""
        scales = self.env.params.scales
        if scale not in scales:
            raise ValueError(
                f"{type(self).__name__} needs the mix scale {scale:g} in GliderParams.scales, "
                f"got {scales}: add it"
            )
        return scales.index(scale)

    def glider_action(self, use_global: Any, scale_index: Any, k: int) -> np.ndarray:
        """The flat action of per-query (or shared) global flags, scale indices and k."""
        batch = self.env.params.batch_size
        if not 1 <= k <= self.env.params.max_k:
            raise ValueError(
                f"{type(self).__name__} uses k = {k}, above GliderParams.max_k = "
                f"{self.env.params.max_k}"
            )
        columns = [np.broadcast_to(v, batch) for v in (use_global, scale_index, k - 1)]
        return np.stack(columns, axis=1).astype(np.int64).ravel()


class LocalOnly(_GliderPolicy):
    """PHATGOOSE: local routing only, top-``k`` (default 2)."""

    name = "phatgoose"

    def __init__(self, k: int = 2) -> None:
        self.k = k

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return self.glider_action(0, 0, self.k)


class GlobalOnly(_GliderPolicy):
    """The global signal at the largest scale, top-1 (instruction retrieval)."""

    name = "global-only"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        scales = self.env.params.scales
        return self.glider_action(1, scales.index(max(scales)), 1)


class GliderFixed(_GliderPolicy):
    """Glider with one mix scale for every query (default 100) and top-``k`` (default 2)."""

    name = "glider"

    def __init__(self, scale: float = 100.0, k: int = 2) -> None:
        self.scale, self.k = scale, k

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return self.glider_action(1, self.scale_index(self.scale), self.k)


class GliderOracleScale(_GliderPolicy):
    """Glider with the per-benchmark scale of ``paper-eval.sh`` chosen per query from its
    split: ``held_in_scale`` (100) or ``held_out_scale`` (3); top-2."""

    name = "glider-oracle-scale"

    def __init__(self, held_in_scale: float = 100.0, held_out_scale: float = 3.0) -> None:
        self.held_in_scale, self.held_out_scale = held_in_scale, held_out_scale

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        index = np.where(
            self.env.held_in,
            self.scale_index(self.held_in_scale),
            self.scale_index(self.held_out_scale),
        )
        return self.glider_action(1, index, 2)


class _AssignPolicy(_GliderPolicy):
    mode = "assign"

    def assign_action(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """The flat assign action; ``second == first`` means one expert."""
        none = self.env.pool.n_experts
        second = np.where(second == first, none, second)
        return np.stack([first, second], axis=1).astype(np.int64).ravel()


class OwnExpert(_AssignPolicy):
    """The own-expert oracle: a held-in query's own expert; a held-out query gets PHATGOOSE's
    top two experts (block-mean local logits) at equal weights."""

    name = "own-expert"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        env = self.env
        local = env.logits.mean(axis=1)
        top = np.argsort(-local, axis=1, kind="stable")[:, :2]
        first = np.where(env.held_in, env.tasks, top[:, 0])
        second = np.where(env.held_in, env.tasks, top[:, -1])
        return self.assign_action(first, second)


class PairOracle(_AssignPolicy):
    """The exhaustive pair bound's experts: the best single expert or equally weighted pair
    under the true gains; its reward equals ``info['reward_bound']``."""

    name = "pair-oracle"

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return self.assign_action(*self.env.best_experts())


__all__ = [
    "GliderFixed",
    "GliderOracleScale",
    "GlobalOnly",
    "LocalOnly",
    "OwnExpert",
    "PairOracle",
]
