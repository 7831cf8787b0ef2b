"""Baselines of the toy family: the table ``netgym.baselines`` reads lazily."""

from __future__ import annotations

from typing import Any

from netgym.baselines.policy import RandomPolicy


class AlwaysRight:
    """Walks right every step (optimal without slips)."""

    name = "right"

    def reset(self, env: Any) -> None:
        """Nothing to prepare."""

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        return 1


BASELINES = {
    "netgym/ToyWalk-v0": {
        "right": (lambda seed: AlwaysRight(), "always right"),
        "random": (lambda seed: RandomPolicy(seed), "uniformly random moves"),
    }
}
