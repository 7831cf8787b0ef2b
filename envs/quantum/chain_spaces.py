"""Moved to ``chain/`` (spaces, observations); this re-export keeps the old path for one release."""

from .chain.observations import *  # noqa: F403
from .chain.params import ChainParams
from .chain.spaces import *  # noqa: F403

make_params = ChainParams.coerce
"""``make_params(params, overrides)`` is ``ChainParams.coerce``"""
