"""The NV-centre numbers of the QoS paper (Skrzypczyk & Wehner, arXiv:2111.13124), shared by the
repeater chain (``ChainParams.nv2019()``, scheme ``nv_table``) and the scheduling env (its link
table): heralded-link (fidelity, rate) rows at 5-50 km and the device constants (reference 1.9).
"""

from __future__ import annotations

import numpy as np

NV2019_ALPHAS = tuple(float(a) for a in np.linspace(0.1, 0.5, 10))
"""bright-state populations of the NV link table rows (LinkScheduling ``data.json``)"""
NV2019_FIDELITIES = (0.8771, 0.8338, 0.7906, 0.7473, 0.7041, 0.6608, 0.6175, 0.5743, 0.5310, 0.4877)
"""heralded-link fidelity per table row (the same at every distance)"""
NV2019_RATES_HZ: dict[int, tuple[float, ...]] = {
    5: (14.158, 20.837, 27.834, 33.985, 39.176, 45.597, 51.258, 57.732, 61.605, 75.653),
    10: (7.787, 11.070, 14.826, 18.396, 22.625, 24.473, 29.213, 31.067, 38.260, 37.789),
    15: (5.334, 7.943, 10.103, 12.295, 14.491, 16.914, 20.393, 22.037, 24.456, 26.895),
    20: (3.917, 6.018, 7.394, 9.455, 11.259, 12.972, 14.627, 16.997, 18.183, 20.705),
    25: (3.234, 4.432, 6.534, 7.601, 9.714, 10.701, 12.266, 13.317, 14.463, 16.057),
    30: (2.782, 4.017, 5.113, 6.037, 7.271, 8.374, 10.372, 10.640, 11.897, 13.194),
    35: (2.190, 3.235, 4.337, 5.431, 6.535, 7.252, 8.180, 10.007, 10.761, 11.275),
    40: (2.026, 3.136, 3.912, 4.738, 5.297, 6.819, 7.633, 8.908, 9.469, 9.926),
    45: (1.768, 2.587, 3.535, 4.218, 5.111, 5.986, 6.691, 7.353, 8.092, 9.284),
    50: (1.662, 2.450, 3.166, 3.970, 4.479, 5.120, 5.715, 6.669, 7.200, 8.625),
}
"""entanglement rate (Hz) per distance (km) and table row, Humphreys et al. 2018 reproduction
in the QoS paper's code (``code/device_characteristics/data.json``, rounded to 3 decimals)"""
NV2019_LINK_TABLE = {
    "alpha": NV2019_ALPHAS,
    "fidelity": NV2019_FIDELITIES,
    "rate_hz": NV2019_RATES_HZ,
}
"""the three tables above in one dict"""
NV2019_DEVICE = {
    "carbon_t1_s": 36000.0,
    "carbon_t2_s": 1.0,
    "electron_t1_s": 3600.0,
    "electron_t2_s": 1.46,
    "ec_gate_depolar": 1.0 / 60.0,
    "readout_error_0": 0.05,
    "readout_error_1": 0.005,
    "slot_s": 0.01,
    "swap_duration_s": 0.01,
    "distill_duration_s": 0.01,
    "comm_qubits": 1,
    "storage_qubits": 3,
}
"""NV device numbers of reference 1.9 (NetSquid ``NVParameterSet2019Optimistic``) and the QoS
code's slot / operation durations"""


def nv2019_link(distance_km: float, row: int) -> tuple[float, float]:
    """(fidelity, rate_hz) of table ``row`` (0 = highest fidelity) at ``distance_km``.

    Raises:
        ValueError: a distance not in the table (5, 10, ..., 50 km) or a row outside 0-9.
    """
    if distance_km not in NV2019_RATES_HZ:
        raise ValueError(
            f"NV link table has distances {sorted(NV2019_RATES_HZ)} km, got {distance_km!r}"
        )
    if isinstance(row, bool) or int(row) != row or not 0 <= row < len(NV2019_FIDELITIES):
        raise ValueError(f"NV link table row must be an integer in [0, 9], got {row!r}")
    return NV2019_FIDELITIES[int(row)], NV2019_RATES_HZ[int(distance_km)][int(row)]


def nv2019_gate_fid() -> float:
    """Keep-probability of the NV electron-carbon gate, 1 - 1/60 (depolarising 1/60)."""
    return 1.0 - NV2019_DEVICE["ec_gate_depolar"]


def nv2019_meas_fid() -> float:
    """Bell-measurement bit fidelity of NV readout, 1 - (0.05 + 0.005) / 2."""
    device = NV2019_DEVICE
    return 1.0 - (device["readout_error_0"] + device["readout_error_1"]) / 2.0


__all__ = [
    "NV2019_ALPHAS",
    "NV2019_DEVICE",
    "NV2019_FIDELITIES",
    "NV2019_LINK_TABLE",
    "NV2019_RATES_HZ",
    "nv2019_gate_fid",
    "nv2019_link",
    "nv2019_meas_fid",
]
