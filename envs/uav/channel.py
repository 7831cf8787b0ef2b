"""Radio channel models of the multi-UAV env as swappable components (pure numpy, vectorised).

Link models (``ChannelModel``; ``make_channel(name, **options)``):

- ``al_hourani``: Al-Hourani et al. 2014 air-to-ground LoS-probability model (the default).
- ``free_space``: free-space path loss over the 3-D distance.
- ``tr25942_macro``: 3GPP TR 25.942 macro-cell model of the terrestrial base station.

The outdoor-to-indoor penetration add-ons live in ``penetration.py`` and the link-budget helpers
(``db_to_linear``, ``linear_to_db``, ``dbm_to_watt``, ``noise_power_dbm``, ``sinr_db``,
``fspl_db``, ``elevation_deg``) in ``linkbudget.py``; this module re-exports both, so that
``netgym.envs.uav.channel`` stays the one place to import the radio models from.

All formulas and sanity numbers come from ``shared/reference/uav.md`` sections 2 and 3.
Path losses are positive dB; arrays broadcast with numpy rules, the user axis first.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core.validation import check_choice, check_range
from .linkbudget import (
    INTERFERENCE_MODES,
    ArrayLike,
    _above_clamp,
    _distance_m,
    _elevation_deg,
    _fspl_db,
    build_named,
    check_fc,
    db_to_linear,
    dbm_to_watt,
    elevation_deg,
    finite_array,
    fspl_db,
    linear_to_db,
    noise_power_dbm,
    sinr_db,
)
from .penetration import (
    PENETRATIONS,
    O2I3gpp,
    OtIManhattan,
    PenetrationModel,
    apply_indoor,
    indoor_mask,
    make_penetration,
)

# Al-Hourani et al. 2014 (IEEE WCL 3(6):569-572) constants (a, b, eta_LoS dB, eta_NLoS dB) per
# environment, as reproduced in zhangxiaochen95/uav_bs_ctrl envs/common.py (reference/uav.md
# section 3). The reproduction was not checked against the paper's own table here.
AL_HOURANI_ENVIRONMENTS: dict[str, tuple[float, float, float, float]] = {
    "suburban": (4.88, 0.43, 0.1, 21.0),
    "urban": (9.61, 0.16, 1.0, 20.0),
    "dense_urban": (12.08, 0.11, 1.6, 23.0),
    "highrise_urban": (27.23, 0.08, 2.3, 34.0),
}


# ---------------------------------------------------------------------------------- link models
class ChannelModel(abc.ABC):
    """Mean (large-scale, deterministic) path loss of a link; subclasses are frozen dataclasses."""

    name: ClassVar[str]

    def path_loss_db(
        self, horizontal_m: ArrayLike, height_m: ArrayLike, fc_hz: float
    ) -> np.ndarray:
        """Mean path loss (dB, positive) of links with the given geometry; no randomness.

        Args:
            horizontal_m: horizontal transmitter-receiver distance in m (>= 0), any shape.
            height_m: height difference in m (>= 0), broadcasting against ``horizontal_m``.
            fc_hz: carrier frequency in Hz (> 0).

        Returns:
            Float array of the broadcast shape.
        """
        return self._path_loss_db(*self._geometry(horizontal_m, height_m, fc_hz), fc_hz)

    @abc.abstractmethod
    def _path_loss_db(
        self, horizontal_m: np.ndarray, height_m: np.ndarray | float, fc_hz: float
    ) -> np.ndarray:
        """``path_loss_db`` without input validation, for callers whose geometry is valid by
        construction (the simulator's per-step hot path); the same arithmetic."""

    def _path_loss_into(
        self,
        horizontal_m: np.ndarray,
        height_m: float,
        fc_hz: float,
        out: np.ndarray,
        scratch: np.ndarray,
    ) -> np.ndarray:
        """``_path_loss_db`` written into ``out`` (an array of ``horizontal_m``'s shape), with
        ``scratch`` (the same shape) free to overwrite, so that the simulator's per-step hot
        path allocates no large temporaries; neither may be ``horizontal_m``. This default
        copies ``_path_loss_db``; the built-in link models compute in place (same values)."""
        out[...] = self._path_loss_db(horizontal_m, height_m, fc_hz)
        return out

    def _geometry(
        self, horizontal_m: ArrayLike, height_m: ArrayLike, fc_hz: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Validate the inputs; return the broadcast horizontal and height arrays."""
        owner = f"{type(self).__name__}.path_loss_db"
        check_fc(owner, fc_hz)
        horizontal = finite_array(owner, "horizontal_m", horizontal_m, low=0.0)
        height = finite_array(owner, "height_m", height_m, low=0.0)
        return np.broadcast_arrays(horizontal, height)


@dataclass(frozen=True)
class FreeSpace(ChannelModel):
    """Free-space path loss over the 3-D distance (``fspl_db``)."""

    name: ClassVar[str] = "free_space"

    def _path_loss_db(
        self, horizontal_m: np.ndarray, height_m: np.ndarray | float, fc_hz: float
    ) -> np.ndarray:
        return _fspl_db(_distance_m(horizontal_m, height_m), fc_hz)

    def _path_loss_into(
        self,
        horizontal_m: np.ndarray,
        height_m: float,
        fc_hz: float,
        out: np.ndarray,
        scratch: np.ndarray,
    ) -> np.ndarray:
        distance_m = _distance_m(horizontal_m, height_m, out=out)
        return _fspl_db(distance_m, fc_hz, out=out, clamped=_above_clamp(height_m))


@dataclass(frozen=True)
class AlHourani(ChannelModel):
    """Al-Hourani, Kandeepan, Lardner, "Optimal LAP Altitude for Maximum Coverage", IEEE WCL 2014.

    ``theta = (180/pi) atan(h/r)`` (degrees), ``P_LoS = 1 / (1 + a exp(-b (theta - a)))`` and
    ``PL = FSPL(d_3D, fc) + P_LoS eta_LoS + (1 - P_LoS) eta_NLoS`` (reference/uav.md section 3).
    The elevation angle enters the sigmoid in degrees: passing radians (as uav_bs_ctrl does) makes
    a 45-degree link look almost surely NLoS in urban areas.

    Args:
        environment: ``"suburban"``, ``"urban"``, ``"dense_urban"`` or ``"highrise_urban"``
            (hyphens are accepted too, e.g. ``"dense-urban"``).
    """

    name: ClassVar[str] = "al_hourani"
    environment: str = "urban"

    def __post_init__(self) -> None:
        if isinstance(self.environment, str):
            object.__setattr__(self, "environment", self.environment.replace("-", "_"))
        check_choice("AlHourani", "environment", self.environment, AL_HOURANI_ENVIRONMENTS)

    @property
    def constants(self) -> tuple[float, float, float, float]:
        """(a, b, eta_LoS dB, eta_NLoS dB) of the environment."""
        return AL_HOURANI_ENVIRONMENTS[self.environment]

    def los_probability(self, horizontal_m: ArrayLike, height_m: ArrayLike) -> np.ndarray:
        """Probability of line of sight, increasing with the elevation angle."""
        return self._los_probability(elevation_deg(horizontal_m, height_m))

    def _los_probability(self, theta_deg: np.ndarray, out: np.ndarray | None = None) -> Any:
        """``1 / (1 + a exp(-b (theta - a)))``, in place in ``out`` when given (which may be
        ``theta_deg``)."""
        a, b, _, _ = self.constants
        if out is None:
            return 1.0 / (1.0 + a * np.exp(-b * (theta_deg - a)))
        np.subtract(theta_deg, a, out=out)
        np.multiply(out, -b, out=out)
        np.exp(out, out=out)
        np.multiply(out, a, out=out)
        np.add(out, 1.0, out=out)
        return np.divide(1.0, out, out=out)

    def _path_loss_db(
        self, horizontal_m: np.ndarray, height_m: np.ndarray | float, fc_hz: float
    ) -> np.ndarray:
        shape = np.broadcast_shapes(np.shape(horizontal_m), np.shape(height_m))
        loss_db = self._path_loss_into(
            horizontal_m, height_m, fc_hz, np.empty(shape), np.empty(shape)
        )
        return loss_db if loss_db.ndim else loss_db[()]

    def _path_loss_into(
        self,
        horizontal_m: np.ndarray,
        height_m: float,
        fc_hz: float,
        out: np.ndarray,
        scratch: np.ndarray,
    ) -> np.ndarray:
        _, _, eta_los_db, eta_nlos_db = self.constants
        p_los = self._los_probability(_elevation_deg(horizontal_m, height_m, scratch), scratch)
        # excess = p_los eta_LoS + (1 - p_los) eta_NLoS, its second term first (in ``out``)
        np.subtract(1.0, p_los, out=out)
        np.multiply(out, eta_nlos_db, out=out)
        excess_db = np.multiply(p_los, eta_los_db, out=p_los)
        np.add(excess_db, out, out=excess_db)
        distance_m = _distance_m(horizontal_m, height_m, out=out)
        fspl_db = _fspl_db(distance_m, fc_hz, out=out, clamped=_above_clamp(height_m))
        return np.add(fspl_db, excess_db, out=out)


@dataclass(frozen=True)
class Tr25942Macro(ChannelModel):
    """3GPP TR 25.942 section 4.1.1.1 macro-cell model of the terrestrial base station.

    Default (``general_form=False``): ``L = 128.1 + 37.6 log10(R_km)``, the form used for the
    macro BS in linhhoang-ex/uavbs-placement-marl (reference/uav.md 4.2). It is the general form
    below at fc = 2 GHz with the BS antenna 15 m above the rooftops, and ignores ``fc_hz``.

    ``general_form=True``: ``L = 40 (1 - 4e-3 Dhb) log10(R_km) - 18 log10(Dhb) + 21 log10(f_MHz)
    + 80`` with ``Dhb = rooftop_height_m``; this uses ``fc_hz``. The general form is written
    from memory of the spec and was not checked against its text here (unverified); at 2 GHz and
    Dhb = 15 m it gives 128.15 + 37.6 log10(R_km), matching the fixed form.

    Both forms use the 3-D distance, clamped below at ``min_distance_m`` (35 m, the minimum
    UE-to-site distance of 3GPP macro system simulations; the model is fitted for km ranges),
    and never return less than free-space loss (TR 25.942 states the model is NLoS only and
    must not go below free space).

    Args:
        min_distance_m: distance clamp in m (> 0).
        general_form: use the frequency- and antenna-height-dependent form.
        rooftop_height_m: BS antenna height above the mean rooftop (Dhb, m), general form only.
    """

    name: ClassVar[str] = "tr25942_macro"
    min_distance_m: float = 35.0
    general_form: bool = False
    rooftop_height_m: float = 15.0

    def __post_init__(self) -> None:
        check_range(
            "Tr25942Macro", "min_distance_m", self.min_distance_m, low=0, low_inclusive=False
        )
        # 1 - 4e-3 Dhb must stay positive for the loss to grow with distance.
        check_range(
            "Tr25942Macro",
            "rooftop_height_m",
            self.rooftop_height_m,
            low=0,
            high=250,
            low_inclusive=False,
            high_inclusive=False,
        )
        if not isinstance(self.general_form, bool):
            raise ValueError(
                f"Tr25942Macro.general_form must be True or False, got {self.general_form!r}"
            )

    def _path_loss_db(
        self, horizontal_m: np.ndarray, height_m: np.ndarray | float, fc_hz: float
    ) -> np.ndarray:
        distance_m = np.maximum(_distance_m(horizontal_m, height_m), self.min_distance_m)
        log_r_km = np.log10(distance_m / 1000.0)
        if self.general_form:
            dhb = self.rooftop_height_m
            loss_db = (
                40.0 * (1.0 - 4e-3 * dhb) * log_r_km
                - 18.0 * math.log10(dhb)
                + 21.0 * math.log10(fc_hz / 1e6)
                + 80.0
            )
        else:
            loss_db = 128.1 + 37.6 * log_r_km
        free_space_fc_hz = fc_hz if self.general_form else 2e9
        return np.maximum(loss_db, _fspl_db(distance_m, free_space_fc_hz))


CHANNELS: dict[str, type[ChannelModel]] = {
    cls.name: cls for cls in (AlHourani, FreeSpace, Tr25942Macro)
}


def make_channel(name: str, **options: Any) -> ChannelModel:
    """Build a link model by name (``al_hourani``, ``free_space``, ``tr25942_macro``)."""
    if name in PENETRATIONS:
        raise ValueError(
            f"channel {name!r} is an indoor penetration add-on, not a link model; build it with "
            f"make_penetration({name!r}) and apply it with apply_indoor"
        )
    return build_named("channel", CHANNELS, name, options)


__all__ = [
    "AL_HOURANI_ENVIRONMENTS",
    "CHANNELS",
    "INTERFERENCE_MODES",
    "PENETRATIONS",
    "AlHourani",
    "ChannelModel",
    "FreeSpace",
    "O2I3gpp",
    "OtIManhattan",
    "PenetrationModel",
    "Tr25942Macro",
    "apply_indoor",
    "db_to_linear",
    "dbm_to_watt",
    "elevation_deg",
    "fspl_db",
    "indoor_mask",
    "linear_to_db",
    "make_channel",
    "make_penetration",
    "noise_power_dbm",
    "sinr_db",
]
