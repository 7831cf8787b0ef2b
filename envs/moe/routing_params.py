"""Moved to ``.routing.params``; this re-export keeps the old import path for one release."""

from .routing.params import ACTION_MODES, GATE_SOURCES, RoutingParams

make_routing_params = RoutingParams.coerce

__all__ = ["ACTION_MODES", "GATE_SOURCES", "RoutingParams", "make_routing_params"]
