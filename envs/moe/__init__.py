"""Mixture-of-Experts serving and routing environments.

Shared core: ``MoeCostModel`` (per-layer time costs, reference/moe.md section 6), model and
hardware presets, routing traces (``traces``) and request arrivals (``arrivals``).
"""

from .arrivals import ARRIVAL_PRESETS, ArrivalProcess, LengthDistribution, Requests
from .cost import CopyQueue, MoeCostModel, layer_stall_ms
from .params import HARDWARE_PRESETS, MODEL_PRESETS, MoeHardware, MoeModel
from .traces import RoutingTables, RoutingTrace, SyntheticRouting, load_trace, routing_statistics

__all__ = [
    "ARRIVAL_PRESETS",
    "HARDWARE_PRESETS",
    "MODEL_PRESETS",
    "ArrivalProcess",
    "CopyQueue",
    "LengthDistribution",
    "MoeCostModel",
    "MoeHardware",
    "MoeModel",
    "Requests",
    "RoutingTables",
    "RoutingTrace",
    "SyntheticRouting",
    "layer_stall_ms",
    "load_trace",
    "routing_statistics",
]
