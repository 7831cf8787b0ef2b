"""The per-agent rewards and the info of the multi-UAV env, for one env (Python scalars) or a
batch (arrays): the formulas that the batched kernel (``sim.py``) and the single-env fast path
(``single.py``) share."""

from __future__ import annotations

from typing import Any

import numpy as np

from .params import UavParams


def agent_rewards(params: UavParams, global_reward: Any, load: np.ndarray) -> Any:
    """Per-agent rewards of the modes 'global' (A_t / N), 'local' (load_k / N) and 'mixed'
    (w global + (1 - w) local), for one env (``global_reward`` a float, ``load`` (K,)) or a batch
    (``global_reward`` (M, 1), ``load`` (M, K)); the result broadcasts to the rewards' shape.

    'difference' needs the association without each UAV: the batched kernel computes it.
    """
    mode = params.reward
    if mode == "global":
        return global_reward
    if mode == "local":
        return load / params.n_users
    if mode == "mixed":
        weight = params.mixed_weight
        return weight * global_reward + (1.0 - weight) * (load / params.n_users)
    raise ValueError(f"agent_rewards has no formula for reward={mode!r}")


def step_info(
    params: UavParams, n_assoc: Any, load: np.ndarray, coverable: Any, step: Any
) -> dict[str, Any]:
    """The info of a step: n_assoc, load, coverage, upper_bound, assoc_fraction,
    bound_interference_free, assoc_fraction_interference_free, step.

    For one env (``n_assoc``, ``coverable`` and ``step`` Python ints, ``load`` (K,)) the values
    are Python scalars; for a batch (int arrays of one entry per env, ``load`` (B, K)) arrays.
    """
    batched = isinstance(n_assoc, np.ndarray)
    bound = params.upper_bound
    at_least = np.maximum if batched else max
    return {
        "n_assoc": n_assoc,
        "load": load,
        "coverage": n_assoc / params.n_users,
        "upper_bound": np.full(n_assoc.shape, bound, dtype=np.int64) if batched else bound,
        "assoc_fraction": n_assoc / bound,
        "bound_interference_free": coverable,
        "assoc_fraction_interference_free": n_assoc / at_least(coverable, 1),
        "step": step,
    }


__all__ = ["agent_rewards", "step_info"]
