"""Mixture-of-Experts serving and routing environments.

Shared core: ``MoeCostModel`` (per-layer time costs, reference/moe.md section 6), model and
hardware presets, routing traces (``traces``) and request arrivals (``arrivals``).
"""

from .cost import CopyQueue, MoeCostModel, layer_stall_ms
from .params import HARDWARE_PRESETS, MODEL_PRESETS, MoeHardware, MoeModel

__all__ = [
    "HARDWARE_PRESETS",
    "MODEL_PRESETS",
    "CopyQueue",
    "MoeCostModel",
    "MoeHardware",
    "MoeModel",
    "layer_stall_ms",
]
