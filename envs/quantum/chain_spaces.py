"""Moved to ``chain/`` (spaces, observations); this re-export keeps the old path for one release."""

from .chain.observations import (
    age_scale,
    dict_obs,
    mdp_state,
    pair_index,
    step_info,
    tabular_action_masks,
    tabular_obs,
)
from .chain.params import ChainParams
from .chain.spaces import central_spaces, check_actions, n_pairs, swap_masks_to_actions

make_params = ChainParams.coerce
"""``make_params(params, overrides)`` is ``ChainParams.coerce``"""

__all__ = [
    "age_scale",
    "central_spaces",
    "check_actions",
    "dict_obs",
    "make_params",
    "mdp_state",
    "n_pairs",
    "pair_index",
    "step_info",
    "swap_masks_to_actions",
    "tabular_action_masks",
    "tabular_obs",
]
