"""Outdoor-to-indoor penetration add-ons of the multi-UAV env (``PenetrationModel``;
``make_penetration(name, **options)``), applied on top of any link model for the indoor users
(``indoor_mask`` + ``apply_indoor``):

- ``o2i_3gpp``: 3GPP TR 38.901 section 7.4.3 low-/high-loss building penetration.
- ``oti_manhattan``: the 28 GHz Manhattan outdoor-to-indoor measurements (excess over free space).

Formulas and sanity numbers come from ``shared/reference/uav.md`` section 2.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core.validation import check_choice, check_range
from .linkbudget import ArrayLike, bool_mask, build_named, check_fc


class PenetrationModel(abc.ABC):
    """Outdoor-to-indoor excess loss added to an indoor user's links (per user, all links)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def mean_loss_db(self, fc_hz: float) -> float:
        """Mean penetration loss in dB at ``fc_hz``."""

    @abc.abstractmethod
    def _deviation_db(self, n_users: int, fc_hz: float, rng: np.random.Generator) -> np.ndarray:
        """Zero-mean random part of the loss, one draw per user."""

    def penetration_loss_db(
        self, users: int | ArrayLike, fc_hz: float, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Penetration loss of each user in dB.

        Args:
            users: a number of users (every one is indoors) or a boolean indoor mask (outdoor
                users get 0 dB).
            fc_hz: carrier frequency in Hz (> 0).
            rng: draws the random part; ``None`` gives the mean (deterministic). Draws are made
                for every user, indoor or not, so the stream does not depend on the mask.

        Returns:
            Float array of shape (n_users,) or the mask's shape.
        """
        owner = f"{type(self).__name__}.penetration_loss_db"
        check_fc(owner, fc_hz)
        if isinstance(users, (int, np.integer)) and not isinstance(users, bool):
            if users < 0:
                raise ValueError(f"{owner}: the number of users must be >= 0, got {users}")
            mask = np.ones(int(users), dtype=bool)
        else:
            mask = bool_mask(owner, "users", users)
        loss_db = np.full(mask.shape, self.mean_loss_db(fc_hz))
        if rng is not None:
            loss_db += self._deviation_db(mask.size, fc_hz, rng).reshape(mask.shape)
        return np.where(mask, loss_db, 0.0)


O2I_GLASS = ("low", "high")


@dataclass(frozen=True)
class O2I3gpp(PenetrationModel):
    """3GPP TR 38.901 section 7.4.3.1 building penetration, low- or high-loss (reference/uav.md 2).

    Materials (f in GHz): ``L_glass = 2 + 0.2 f``, ``L_IRRglass = 23 + 0.3 f``,
    ``L_concrete = 5 + 4 f``. Through-wall loss:

    - low: ``PL_tw = 5 - 10 log10(0.3 10^(-L_glass/10) + 0.7 10^(-L_concrete/10))``, sd 4.4 dB
    - high: ``PL_tw = 5 - 10 log10(0.7 10^(-L_IRRglass/10) + 0.3 10^(-L_concrete/10))``, sd 6.5 dB

    Indoor term ``PL_in = 0.5 d_in`` with ``d_in`` the min of two U(0, ``max_indoor_m``) draws
    (25 m for UMa/UMi), mean ``max_indoor_m / 3``. A draw is ``PL_tw + PL_in + N(0, sd^2)``;
    the mean is ``PL_tw + 0.5 max_indoor_m / 3``. At 28 GHz ``PL_tw`` is 17.83 dB (low) and
    37.95 dB (high): the 20 dB glass gap of the Manhattan measurements.

    Args:
        glass: ``"low"`` or ``"high"``.
        max_indoor_m: upper end of the uniform indoor-distance draws (m, >= 0).
    """

    name: ClassVar[str] = "o2i_3gpp"
    glass: str = "low"
    max_indoor_m: float = 25.0

    def __post_init__(self) -> None:
        check_choice("O2I3gpp", "glass", self.glass, O2I_GLASS)
        check_range("O2I3gpp", "max_indoor_m", self.max_indoor_m, low=0)

    @property
    def sigma_db(self) -> float:
        """Standard deviation of the penetration loss (TR 38.901 Table 7.4.3-2)."""
        return 4.4 if self.glass == "low" else 6.5

    def wall_loss_db(self, fc_hz: float) -> float:
        """Through-wall loss ``PL_tw`` in dB (17.83 low / 37.95 high at 28 GHz)."""
        check_fc("O2I3gpp.wall_loss_db", fc_hz)
        f_ghz = fc_hz / 1e9
        glass_db = 2.0 + 0.2 * f_ghz
        irr_glass_db = 23.0 + 0.3 * f_ghz
        concrete_db = 5.0 + 4.0 * f_ghz
        if self.glass == "low":
            mix = 0.3 * 10.0 ** (-glass_db / 10.0) + 0.7 * 10.0 ** (-concrete_db / 10.0)
        else:
            mix = 0.7 * 10.0 ** (-irr_glass_db / 10.0) + 0.3 * 10.0 ** (-concrete_db / 10.0)
        return 5.0 - 10.0 * math.log10(mix)

    def mean_loss_db(self, fc_hz: float) -> float:
        return self.wall_loss_db(fc_hz) + 0.5 * self.max_indoor_m / 3.0

    def _deviation_db(self, n_users: int, fc_hz: float, rng: np.random.Generator) -> np.ndarray:
        d_in_m = rng.uniform(0.0, self.max_indoor_m, size=(2, n_users)).min(axis=0)
        indoor_db = 0.5 * (d_in_m - self.max_indoor_m / 3.0)
        return indoor_db + rng.normal(0.0, self.sigma_db, size=n_users)


# Mean excess loss over free space beyond 50 m: all data 30 dB with 11.7 dB RMS fitting error
# (abstract numbers, reference/uav.md 2); low/high glass differ by 20 dB, split 20/40 dB
# symmetrically about 30 dB as a placeholder [P] until the fitted coefficients are available.
OTI_MANHATTAN_EXCESS_DB: dict[str | None, float] = {None: 30.0, "low": 20.0, "high": 40.0}


@dataclass(frozen=True)
class OtIManhattan(PenetrationModel):
    """28 GHz outdoor-to-indoor excess loss measured in Manhattan (reference/uav.md section 2).

    ``PG_OtI(d) = PG_fs(d) - L_x + X``, ``X ~ N(0, sigma^2)``, fitted for d > 50 m; here ``L_x``
    is added as a distance-independent excess on top of the link model (meant for free space or
    a near-LoS link at 28 GHz; ``fc_hz`` is only validated).

    Verified (abstract numbers): the 30 dB mean excess and 11.7 dB RMS spread of all data, and
    the 20 dB gap between low- and high-loss glass. UNVERIFIED: the 20 / 40 dB split of that gap
    (our placeholder), and the use of 11.7 dB as the spread within each glass subset. Override
    them with ``excess_db`` / ``sigma_db`` once the paper's fitted coefficients are known.

    Args:
        glass: ``None`` (all data), ``"low"`` or ``"high"``.
        excess_db: mean excess loss in dB; ``None`` takes the table above.
        sigma_db: shadowing standard deviation in dB (>= 0).
    """

    name: ClassVar[str] = "oti_manhattan"
    glass: str | None = None
    excess_db: float | None = None
    sigma_db: float = 11.7

    def __post_init__(self) -> None:
        check_choice("OtIManhattan", "glass", self.glass, OTI_MANHATTAN_EXCESS_DB)
        if self.excess_db is not None:
            check_range("OtIManhattan", "excess_db", self.excess_db)
        check_range("OtIManhattan", "sigma_db", self.sigma_db, low=0)

    def mean_loss_db(self, fc_hz: float) -> float:
        check_fc("OtIManhattan.mean_loss_db", fc_hz)
        if self.excess_db is not None:
            return float(self.excess_db)
        return OTI_MANHATTAN_EXCESS_DB[self.glass]

    def _deviation_db(self, n_users: int, fc_hz: float, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(0.0, self.sigma_db, size=n_users)


PENETRATIONS: dict[str, type[PenetrationModel]] = {cls.name: cls for cls in (O2I3gpp, OtIManhattan)}


def indoor_mask(n_users: int, indoor_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask with exactly ``round(indoor_ratio * n_users)`` indoor users at random."""
    check_range("indoor_mask", "n_users", n_users, low=0, integer=True)
    check_range("indoor_mask", "indoor_ratio", indoor_ratio, low=0, high=1)
    n_users = int(n_users)
    mask = np.zeros(n_users, dtype=bool)
    mask[rng.permutation(n_users)[: round(indoor_ratio * n_users)]] = True
    return mask


def apply_indoor(
    link_pl_db: ArrayLike,
    indoor: ArrayLike,
    addon: PenetrationModel | None,
    fc_hz: float,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Add the penetration loss of each indoor user to all its links.

    Args:
        link_pl_db: path losses with the user axis first, shape (N,) or (N, K, ...).
        indoor: boolean mask of shape (N,).
        addon: the penetration model; ``None`` returns the link losses unchanged (a copy).
        fc_hz: carrier frequency in Hz.
        rng: random draws of the add-on; ``None`` for its mean.

    Returns:
        Float array shaped like ``link_pl_db``.
    """
    link = np.array(link_pl_db, dtype=float)
    mask = bool_mask("apply_indoor", "indoor", indoor)
    if mask.ndim != 1 or link.ndim == 0 or link.shape[0] != mask.shape[0]:
        raise ValueError(
            f"apply_indoor: indoor must be a 1-D mask with one entry per user (row of "
            f"link_pl_db), got mask shape {mask.shape} for link_pl_db shape {link.shape}"
        )
    if addon is None:
        return link
    loss_db = addon.penetration_loss_db(mask, fc_hz, rng)
    return link + loss_db.reshape(loss_db.shape + (1,) * (link.ndim - 1))


def make_penetration(name: str, **options: Any) -> PenetrationModel:
    """Build an outdoor-to-indoor add-on by name (``o2i_3gpp``, ``oti_manhattan``)."""
    return build_named("penetration model", PENETRATIONS, name, options)


__all__ = [
    "PENETRATIONS",
    "O2I3gpp",
    "OtIManhattan",
    "PenetrationModel",
    "apply_indoor",
    "indoor_mask",
    "make_penetration",
]
