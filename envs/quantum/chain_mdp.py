"""Moved to ``chain.mdp``; this re-export keeps the old import path for one release."""

from .chain.mdp import ChainMdp, Link, State, first_level_mask, nested_pairs, swappable_nodes

__all__ = ["ChainMdp", "Link", "State", "first_level_mask", "nested_pairs", "swappable_nodes"]
