"""Moved to ``.hardware``; this re-export keeps the old import path for one release."""

from .hardware import (
    DEFAULT_HARDWARE,
    GB,
    HARDWARE_PRESETS,
    MODEL_PRESETS,
    MoeHardware,
    MoeModel,
    hardware_preset,
    model_preset,
)

__all__ = [
    "DEFAULT_HARDWARE",
    "GB",
    "HARDWARE_PRESETS",
    "MODEL_PRESETS",
    "MoeHardware",
    "MoeModel",
    "hardware_preset",
    "model_preset",
]
