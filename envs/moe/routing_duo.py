"""Moved to ``.routing.duo``; this re-export keeps the old import path for one release."""

from .routing.duo import N_TOKEN_FEATURES, SMALL_EFFECT, DuoSim, duo_lp

__all__ = ["DuoSim", "N_TOKEN_FEATURES", "SMALL_EFFECT", "duo_lp"]
