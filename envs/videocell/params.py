"""Parameters of ``netgym/WirelessVideoCell-v0`` (``VideoCellParams``) and its presets.

Defaults follow ``seeds-more.md`` section 6c: a 10 MHz LTE cell (50 PRBs of 180 kHz in 10
subbands), 1 ms TTIs, 100 ms scheduling epochs, TR 38.901 UMa NLOS path loss at 2 GHz with
6 dB shadowing, users uniform over a 50-500 m annulus, 46 dBm over 50 PRBs, a 9 dB noise
figure, pedestrian Doppler (3 km/h at 2 GHz, 5.56 Hz), the CQI link with 25 % overhead, and
Pensieve's video (``AbrParams``) for every user's ABR client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..abr.params import AbrParams
from ..core.params import EnvParams, as_scalars
from ..core.validation import (
    check_choice,
    check_int,
    check_range,
    check_sequence,
    set_field,
)
from .personas import PERSONAS

MODES = ("fluid", "exact")
CHANNELS = ("fading", "trace")
LINKS = ("cqi", "lzg")
OBJECTIVES = ("satisfaction", "count")
PERSONALIZATION = ("known", "latent")
CLIENT_NAMES = ("bba", "mpc", "rb", "bola", "lowest")
"""the ABR clients a user can run (``clients.py``: netgym's ABR baselines, by dotted path)"""
MAX_USERS = 64
MAX_SUBBANDS = 100
MAX_EPOCH_TTIS = 1000


@dataclass(frozen=True)
class VideoCellParams(EnvParams):
    """All parameters of ``netgym/WirelessVideoCell-v0``."""

    ENV_NAME: ClassVar[str] = "WirelessVideoCell"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "exact": "exact",
        "vehicular": "vehicular",
        "count": "count",
    }

    n_users: int = 8
    """users in the cell (1 .. 64)"""
    n_subbands: int = 10
    """subbands, each with its own fading (1 .. 100)"""
    prbs_per_subband: int = 5
    """PRBs per subband (10 x 5 = 50 PRBs, LTE 10 MHz)"""
    prb_hz: float = 180e3
    """bandwidth of one PRB"""
    tti_s: float = 1e-3
    """transmission time interval"""
    epoch_ttis: int = 100
    """TTIs per agent step (the scheduling epoch, 1 .. 1000)"""
    mode: str = "fluid"
    """'fluid': the channel is sampled once per epoch and held; 'exact': every TTI has its own
    fading sample (slower, see docs/videocell.md)"""
    channel: str = "fading"
    """'fading' (path loss, shadowing, Jakes Rayleigh per subband) or 'trace' (each user's
    full-cell rate is an ABR throughput trace of ``abr.traces``, replayed on Pensieve's clock)"""
    link: str = "cqi"
    """'cqi' (CQI table, 10 % BLER) or 'lzg' (Liu-Zhou-Giannakis AMC, expected goodput)"""
    overhead: float = 0.25
    """share of each PRB lost to control and reference signals"""
    bler: float = 0.1
    """block error rate the CQI link runs at (its goodput is multiplied by 1 - bler)"""
    lzg_target_per: float = 0.01
    """packet error rate target of the LZG mode thresholds"""
    doppler_hz: float = 5.56
    """maximum Doppler shift (3 km/h at 2 GHz)"""
    n_sinusoids: int = 8
    """sinusoids per fading link (the sum-of-sinusoids generator, 1 .. 64)"""
    carrier_ghz: float = 2.0
    min_distance_m: float = 50.0
    max_distance_m: float = 500.0
    shadowing_db: float = 6.0
    """standard deviation of the log-normal shadowing"""
    tx_power_dbm: float = 46.0
    """base-station power over all PRBs"""
    noise_figure_db: float = 9.0
    interference_db: float = 16.0
    """interference over thermal from neighbouring cells (netgym's choice: cell-edge SINR
    near 0 dB)"""
    fixed_snr_db: float | None = None
    """if set, every user's mean SINR (dB) instead of the geometry (for tests and studies)"""
    max_snr_db: float = 40.0
    """mean SINRs from the geometry are capped here"""
    min_snr_db: float = -5.0
    """and floored here (a user further in outage would be served by a neighbouring cell)"""
    personas: tuple[str, ...] = ("casual", "standard", "hd")
    """personas users are drawn from, uniformly (``personas.PERSONAS``)"""
    zot_spread: float = 0.2
    """each user's zone is its persona's times exp(U(-spread, spread))"""
    personalization: str = "known"
    """'known': zones in the observation; 'latent': zeroed there"""
    sat_window: int = 5
    """chunks in the moving mean QoE that satisfaction is computed from"""
    objective: str = "satisfaction"
    """scalar reward: 'satisfaction' (mean s_u) or 'count' (share of satisfied users), minus
    ``resource_weight`` x share of PRBs used"""
    resource_weight: float = 0.2
    """lambda, the price of the whole cell's PRBs for one epoch"""
    client: str = "bba"
    """the users' ABR client: 'bba', 'mpc' (robustMPC), 'rb', 'bola' or 'lowest'"""
    bounds: bool = False
    """compute ``info['upper_bound']`` and ``info['count_bound']`` every step; off by default
    (they cost about 30 % of a step), and then the keys are absent from ``info``"""
    max_epochs: int = 3000
    """truncation (300 s at 100 ms epochs)"""
    abr: Any = field(default_factory=AbrParams)
    """the video and the clients' player (``AbrParams`` or a dict of its fields); its ``qoe``
    is replaced by each user's persona"""

    def __post_init__(self) -> None:
        owner = "VideoCellParams"
        check_int(self, owner, "n_users", low=1, high=MAX_USERS)
        check_int(self, owner, "n_subbands", low=1, high=MAX_SUBBANDS)
        check_int(self, owner, "prbs_per_subband", low=1, high=100)
        check_range(owner, "prb_hz", self.prb_hz, low=1e3, high=1e8)
        check_range(owner, "tti_s", self.tti_s, low=1e-5, high=1.0)
        check_int(self, owner, "epoch_ttis", low=1, high=MAX_EPOCH_TTIS)
        check_choice(owner, "mode", self.mode, MODES)
        check_choice(owner, "channel", self.channel, CHANNELS)
        check_choice(owner, "link", self.link, LINKS)
        check_range(owner, "overhead", self.overhead, low=0.0, high=0.9)
        check_range(owner, "bler", self.bler, low=0.0, high=0.9)
        check_range(owner, "lzg_target_per", self.lzg_target_per, low=1e-6, high=0.5)
        check_range(owner, "doppler_hz", self.doppler_hz, low=0.0, high=2000.0)
        check_int(self, owner, "n_sinusoids", low=1, high=64)
        check_range(owner, "carrier_ghz", self.carrier_ghz, low=0.5, high=100.0)
        check_range(owner, "min_distance_m", self.min_distance_m, low=1.0, high=1e5)
        check_range(owner, "max_distance_m", self.max_distance_m, low=self.min_distance_m, high=1e5)
        check_range(owner, "shadowing_db", self.shadowing_db, low=0.0, high=20.0)
        check_range(owner, "tx_power_dbm", self.tx_power_dbm, low=-30.0, high=80.0)
        check_range(owner, "noise_figure_db", self.noise_figure_db, low=0.0, high=30.0)
        check_range(owner, "interference_db", self.interference_db, low=0.0, high=60.0)
        check_range(owner, "max_snr_db", self.max_snr_db, low=-20.0, high=60.0)
        check_range(owner, "min_snr_db", self.min_snr_db, low=-20.0, high=self.max_snr_db)
        if self.fixed_snr_db is not None:
            check_range(owner, "fixed_snr_db", self.fixed_snr_db, low=-20.0, high=60.0)
        personas = check_sequence(owner, "personas", self.personas)
        for index, name in enumerate(personas):
            check_choice(owner, f"personas[{index}]", name, tuple(PERSONAS))
        set_field(self, "personas", tuple(personas))
        check_range(owner, "zot_spread", self.zot_spread, low=0.0, high=0.4)
        check_choice(owner, "personalization", self.personalization, PERSONALIZATION)
        check_int(self, owner, "sat_window", low=1, high=1000)
        check_choice(owner, "objective", self.objective, OBJECTIVES)
        check_range(owner, "resource_weight", self.resource_weight, low=0.0, high=100.0)
        check_choice(owner, "client", self.client, CLIENT_NAMES)
        if not isinstance(self.bounds, bool):
            raise ValueError(f"{owner}.bounds must be True or False, got {self.bounds!r}")
        check_int(self, owner, "max_epochs", low=1, high=10**9)
        abr = self.abr
        if isinstance(abr, dict):
            abr = AbrParams(**as_scalars(abr))
        if not isinstance(abr, AbrParams):
            raise ValueError(
                f"{owner}.abr must be an AbrParams or a dict of its fields, got {type(abr)}"
            )
        if abr.noise is not None:
            raise ValueError(
                f"{owner}.abr.noise must be None: the cell models the download delays itself "
                f"(got {abr.noise})"
            )
        set_field(self, "abr", abr)

    # ------------------------------------------------------------------ derived values
    @property
    def n_prbs(self) -> int:
        """PRBs of the cell."""
        return self.n_subbands * self.prbs_per_subband

    @property
    def epoch_ms(self) -> float:
        """Length of one agent step in ms."""
        return self.epoch_ttis * self.tti_s * 1000.0

    def persona_abr(self, persona: str) -> AbrParams:
        """The ``AbrParams`` a user of ``persona`` streams with (its QoE variant)."""
        return self.abr.replace(qoe=PERSONAS[persona].qoe, rebuffer_penalty=None)

    # ------------------------------------------------------------------ presets
    @classmethod
    def exact(cls, **changes: Any) -> VideoCellParams:
        """Per-TTI fading (``mode='exact'``)."""
        return cls(**{"mode": "exact", **changes})

    @classmethod
    def vehicular(cls, **changes: Any) -> VideoCellParams:
        """60 km/h at 2 GHz: 111 Hz Doppler."""
        return cls(**{"doppler_hz": 111.0, **changes})

    @classmethod
    def count(cls, **changes: Any) -> VideoCellParams:
        """The scalar reward counts satisfied users (``objective='count'``)."""
        return cls(**{"objective": "count", **changes})


__all__ = ["CLIENT_NAMES", "VideoCellParams"]
