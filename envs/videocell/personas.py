"""Personas and the zone-of-tolerance (ZoT) satisfaction of ``netgym/WirelessVideoCell-v0``.

Alkurd, Abualhaol and Yanikomeroglu (IEEE Commun. Mag. 2020; IEEE Access 2020) model each
user's satisfaction with the service-marketing zone of tolerance: flat below the *adequate*
service level, rising across the zone, saturated at the *desired* level. Their exact curve,
user classes and numbers could not be read (``seeds-more.md`` section 4), so the three personas
below are netgym's own, documented choice, grounded in netgym's three Pensieve QoE variants:

| persona | QoE | rebuffer penalty | adequate | desired |
|---|---|---|---|---|
| casual | log (ln R / R_min) | 2.66 | 750 kbps | 1850 kbps |
| standard | linear (Mbps) | 4.3 | 1200 kbps | 2850 kbps |
| hd | hd utilities | 8 | 1850 kbps | 4300 kbps |

A zone is given in kbps and turned into per-chunk QoE with the persona's utility (a chunk at
that bitrate, no stall, no switch). Each user's zone is the persona's scaled by one factor
``exp(U(-spread, spread))``. Satisfaction is logistic in the user's mean per-chunk QoE over
its last ``sat_window`` chunks: 0.05 at adequate, 0.5 at the middle, 0.95 at desired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Persona:
    """A class of users: its QoE variant and its zone of tolerance in kbps."""

    name: str
    qoe: str
    """'linear', 'log' or 'hd' (``AbrParams.qoe``)"""
    adequate_kbps: float
    desired_kbps: float


PERSONAS: dict[str, Persona] = {
    "casual": Persona("casual", "log", 750.0, 1850.0),
    "standard": Persona("standard", "linear", 1200.0, 2850.0),
    "hd": Persona("hd", "hd", 1850.0, 4300.0),
}
"""the documented personas (see the module docstring)"""

LOGIT_95 = math.log(19.0)
"""logit(0.95): the satisfaction curve reaches 0.05 / 0.95 at the zone's ends"""


def utility_of_kbps(kbps: np.ndarray, ladder_kbps: np.ndarray, utilities: np.ndarray) -> np.ndarray:
    """Per-chunk utility of bitrates ``kbps`` under a persona whose ladder has ``utilities``:
    linear interpolation between ladder levels, flat outside the ladder."""
    return np.interp(np.asarray(kbps, dtype=np.float64), ladder_kbps, utilities)


def satisfaction(qoe: np.ndarray, adequate: np.ndarray, desired: np.ndarray) -> np.ndarray:
    """Logistic ZoT satisfaction in [0, 1] of mean per-chunk QoE ``qoe``: 0.05 at ``adequate``,
    0.95 at ``desired`` (``desired > adequate``)."""
    slope = 2.0 * LOGIT_95 / (desired - adequate)
    middle = 0.5 * (adequate + desired)
    z = np.clip(slope * (np.asarray(qoe, dtype=np.float64) - middle), -60.0, 60.0)
    return 1.0 / (1.0 + np.exp(-z))


__all__ = ["LOGIT_95", "PERSONAS", "Persona", "satisfaction", "utility_of_kbps"]
