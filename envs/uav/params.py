"""Parameters of the multi-UAV offloading environment (``UavParams``) and its named presets.

The defaults are the proposal of ``shared/reference/uav.md`` section 6.2: a 1 km x 1 km area on a
50 m lattice, 3 UAVs at 100 m over 100 users (4 hotspots + 20 % uniform), one terrestrial macro
BS in the centre, the Al-Hourani urban air-to-ground channel at 2 GHz, 20 MHz per UAV with 30 dBm,
co-channel interference among the UAVs, a 5 dB SINR threshold and 20 users per UAV. The seed
paper's own parameter table (arXiv 2402.02957) is not public, so none of these is its value.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from ..core.params import EnvParams
from ..core.validation import (
    MAX_INT64,
    check_choice,
    check_int,
    check_numbers,
    check_range,
    set_field,
)
from .channel import make_channel, make_penetration
from .linkbudget import INTERFERENCE_MODES

USER_LAYOUTS = ("hotspot", "uniform", "clusters")
REWARD_MODES = ("global", "local", "mixed", "difference")
OBS_MODES = ("tabular", "vector", "image")
ASSOCIATION_RULES = ("greedy_sinr",)
UAV_STARTS = ("random", "center", "fixed")

# Limits of the accepted ranges (docs/uav.md, "Limits"): far beyond any deployment, and small
# enough that every distance, power, SINR and position stays finite.
MAX_AREA_M = 1e7
"""largest side of the area, 10,000 km"""
MIN_GRID_CELL_M = 1e-3
"""smallest lattice spacing, 1 mm"""
MAX_UAV_ALTITUDE_M = 1e5
"""highest UAV, 100 km"""
MAX_BS_HEIGHT_M = 1e4
"""highest BS antenna, 10 km"""
BANDWIDTH_RANGE_HZ = (1.0, 1e12)
"""bandwidth of a UAV, 1 Hz to 1 THz"""
MAX_SPEED_MPS = 1e5
"""fastest UAV speed level or user walk, 100 km/s"""
MAX_DT_S = 1e6
"""longest step, about 11.6 days"""


@dataclass(frozen=True)
class UavParams(EnvParams):
    """All parameters of ``netgym/UavOffload-v0`` and ``netgym.envs.uav.parallel_env``.

    Presets: ``UavParams.paper()`` (reference section 6.2; the seed paper's parameter table is
    not public, so these are our documented proposal, not the paper's numbers; also named
    ``"default"``) and ``UavParams.small()`` (a small map for fast tests).
    """

    ENV_NAME: ClassVar[str] = "UavOffload"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "paper": "paper",
        "default": "paper",
        "small": "small",
    }

    area_m: tuple[float, float] = (1000.0, 1000.0)
    """width and height of the square area (x, y), metres"""
    grid_cell_m: float = 50.0
    """lattice spacing: UAVs move between lattice points (discrete actions) and the tabular
    observation is the index of the lattice point (cell)"""
    n_uavs: int = 3
    """number of UAVs K (one agent each)"""
    n_users: int = 100
    """number of ground users N"""
    user_layout: str = "hotspot"
    """'hotspot' (n_hotspots Gaussian hotspots + a uniform share), 'uniform' or 'clusters'"""
    n_hotspots: int = 4
    """hotspots ('hotspot') or clusters ('clusters') per layout"""
    hotspot_share: float = 0.8
    """share of users in hotspots for 'hotspot' (the rest is uniform)"""
    hotspot_std_m: float = 60.0
    """standard deviation of a hotspot (for 'clusters': the largest cluster spread)"""
    layout_seed: int | None = None
    """None (default): every episode draws a new user layout from its own seed. An integer: the
    user layout, the indoor users and their O2I losses (and, with ``uav_start="fixed"``, the UAV
    starts) are drawn from ``default_rng(layout_seed)`` and are the same in every episode and for
    every env seed; the rest (random UAV starts, user mobility) still follows the episode seed.
    The BS positions never depend on a seed. The seed paper's finite MDP (state = UAV cells) is
    only learnable over a fixed layout: use e.g. ``UavParams.paper(layout_seed=0)``."""
    user_speed_mps: float = 0.0
    """random-walk speed of the users; 0 = static users (the default)"""
    n_bs: int = 1
    """terrestrial macro BSs: the first in the centre, the others evenly on a ring"""
    bs_tx_dbm: float = 46.0
    """macro BS transmit power"""
    bs_height_m: float = 25.0
    """macro BS antenna height"""
    bs_interference: bool = False
    """whether the BSs share the UAVs' spectrum (their signal counts as interference)"""
    uav_altitude_m: float = 100.0
    """fixed UAV altitude"""
    uav_start: str = "random"
    """UAV start positions: 'random' lattice points (from the episode seed), all at the
    'center', or 'fixed' random lattice points drawn once from ``layout_seed`` (needs it)"""
    fc_hz: float = 2e9
    """carrier frequency"""
    bandwidth_hz: float = 20e6
    """bandwidth of each UAV"""
    uav_tx_dbm: float = 30.0
    """UAV transmit power"""
    noise_psd_dbm_hz: float = -174.0
    """thermal noise density"""
    noise_figure_db: float = 9.0
    """receiver noise figure (noise = psd + 10 log10(bandwidth) + figure = -92 dBm at 20 MHz)"""
    interference: str = "co_channel"
    """'co_channel' (every other UAV interferes) or 'none' (SNR)"""
    sinr_threshold_db: float = 5.0
    """QoS threshold: a user can be served by a UAV only at SINR >= this"""
    capacity: int = 20
    """users one UAV can serve"""
    association: str = "greedy_sinr"
    """association rule: pairs by SINR descending, ties by user then UAV index"""
    dt_s: float = 5.0
    """duration of one step"""
    speed_levels_mps: tuple[float, ...] = (10.0, 20.0)
    """non-zero speed levels (hover is action 0); speed * dt must be a whole number of cells"""
    directions: int = 4
    """move directions: 4 (E, N, W, S) or 8 (also diagonals, one level step along each axis)"""
    max_steps: int = 100
    """episode length (truncation)"""
    reward: str = "global"
    """per-agent reward: 'global', 'local', 'mixed' or 'difference' (see the env docstring)"""
    mixed_weight: float = 0.8
    """weight w of the global term in 'mixed': w * global + (1 - w) * local"""
    obs_mode: str = "tabular"
    """'tabular' (own cell index), 'vector' (Box [0, 1]) or 'image' (channel stack)"""
    heatmap_size: int = 10
    """G of the G x G heatmap of not-UAV-served users in the vector and image observations"""
    continuous: bool = False
    """continuous actions: Box(-1, 1, (2,)) per UAV (velocity / top speed), not lattice moves"""
    channel: str = "al_hourani"
    """air-to-ground path-loss model (``envs/uav/channel.py``)"""
    channel_options: Any = (("environment", "urban"),)
    """keyword options of the channel model (a dict or (key, value) pairs)"""
    bs_channel: str = "tr25942_macro"
    """path-loss model of the terrestrial BS links"""
    indoor_ratio: float = 0.0
    """share of indoor users (they get the O2I penetration loss on every link)"""
    o2i: str = "o2i_3gpp"
    """O2I penetration add-on used for indoor users"""
    o2i_options: Any = (("glass", "low"),)
    """keyword options of the O2I add-on"""

    def __post_init__(self) -> None:
        owner = "UavParams"
        area = check_numbers(
            owner, "area_m", self.area_m, length=2, low=0, low_inclusive=False, high=MAX_AREA_M
        )
        set_field(self, "area_m", area)
        check_range(owner, "grid_cell_m", self.grid_cell_m, low=0, low_inclusive=False)
        check_range(owner, "grid_cell_m", self.grid_cell_m, low=MIN_GRID_CELL_M, high=MAX_AREA_M)
        if min(self.area_m) < self.grid_cell_m:
            raise ValueError(
                f"{owner}.area_m {self.area_m} is smaller than one grid cell "
                f"({self.grid_cell_m} m): the lattice needs at least 2 points per axis"
            )
        if self.n_cells > MAX_INT64:
            raise ValueError(
                f"{owner}: the lattice of area_m {self.area_m} / grid_cell_m {self.grid_cell_m} "
                f"has {self.n_cells:.3g} points, more than a Discrete space can number; use a "
                "larger grid_cell_m"
            )
        check_int(self, owner, "n_uavs", low=1, high=MAX_INT64)
        check_int(self, owner, "n_users", low=1, high=MAX_INT64)
        check_choice(owner, "user_layout", self.user_layout, USER_LAYOUTS)
        check_int(self, owner, "n_hotspots", low=1, high=MAX_INT64)
        check_range(owner, "hotspot_share", self.hotspot_share, low=0, high=1)
        check_range(owner, "hotspot_std_m", self.hotspot_std_m, low=0, low_inclusive=False)
        check_range(owner, "hotspot_std_m", self.hotspot_std_m, high=MAX_AREA_M)
        if self.layout_seed is not None:
            check_int(self, owner, "layout_seed", low=0)
        check_range(owner, "user_speed_mps", self.user_speed_mps, low=0, high=MAX_SPEED_MPS)
        check_int(self, owner, "n_bs", low=0, high=MAX_INT64)
        check_range(owner, "bs_tx_dbm", self.bs_tx_dbm, low=-50, high=80)
        check_range(owner, "bs_height_m", self.bs_height_m, low=0, low_inclusive=False)
        check_range(owner, "bs_height_m", self.bs_height_m, high=MAX_BS_HEIGHT_M)
        _check_bool(owner, "bs_interference", self.bs_interference)
        check_range(owner, "uav_altitude_m", self.uav_altitude_m, low=0, low_inclusive=False)
        check_range(owner, "uav_altitude_m", self.uav_altitude_m, high=MAX_UAV_ALTITUDE_M)
        check_choice(owner, "uav_start", self.uav_start, UAV_STARTS)
        if self.uav_start == "fixed" and self.layout_seed is None:
            raise ValueError(
                f"{owner}.uav_start='fixed' draws the starts from layout_seed: set layout_seed "
                "(an integer) or use uav_start='random' or 'center'"
            )
        check_range(owner, "fc_hz", self.fc_hz, low=1e6, high=3e11)
        check_range(owner, "bandwidth_hz", self.bandwidth_hz, low=0, low_inclusive=False)
        check_range(
            owner,
            "bandwidth_hz",
            self.bandwidth_hz,
            low=BANDWIDTH_RANGE_HZ[0],
            high=BANDWIDTH_RANGE_HZ[1],
        )
        check_range(owner, "uav_tx_dbm", self.uav_tx_dbm, low=-50, high=80)
        check_range(owner, "noise_psd_dbm_hz", self.noise_psd_dbm_hz, low=-250, high=0)
        check_range(owner, "noise_figure_db", self.noise_figure_db, low=0, high=50)
        check_choice(owner, "interference", self.interference, INTERFERENCE_MODES)
        check_range(owner, "sinr_threshold_db", self.sinr_threshold_db, low=-50, high=100)
        check_int(self, owner, "capacity", low=1, high=MAX_INT64)
        check_choice(owner, "association", self.association, ASSOCIATION_RULES)
        check_range(owner, "dt_s", self.dt_s, low=0, low_inclusive=False, high=MAX_DT_S)
        levels = check_numbers(
            owner,
            "speed_levels_mps",
            self.speed_levels_mps,
            low=0,
            low_inclusive=False,
            high=MAX_SPEED_MPS,
        )
        set_field(self, "speed_levels_mps", levels)
        if any(
            b <= a
            for a, b in zip(self.speed_levels_mps[:-1], self.speed_levels_mps[1:], strict=True)
        ):
            raise ValueError(
                f"{owner}.speed_levels_mps must be increasing, got {self.speed_levels_mps}"
            )
        check_choice(owner, "directions", self.directions, (4, 8))
        _check_bool(owner, "continuous", self.continuous)
        if not self.continuous:
            for speed in self.speed_levels_mps:
                cells = speed * self.dt_s / self.grid_cell_m
                if abs(cells - round(cells)) > 1e-9:
                    raise ValueError(
                        f"{owner}.speed_levels_mps entry {speed} moves {cells:g} cells per step "
                        f"(speed * dt_s / grid_cell_m); discrete moves need a whole number"
                    )
        check_int(self, owner, "max_steps", low=1, high=MAX_INT64)
        check_choice(owner, "reward", self.reward, REWARD_MODES)
        check_range(owner, "mixed_weight", self.mixed_weight, low=0, high=1)
        check_choice(owner, "obs_mode", self.obs_mode, OBS_MODES)
        check_int(self, owner, "heatmap_size", low=1, high=256)
        set_field(
            self, "channel_options", _as_options(owner, "channel_options", self.channel_options)
        )
        set_field(self, "o2i_options", _as_options(owner, "o2i_options", self.o2i_options))
        _check_model(owner, "channel", make_channel, self.channel, self.channel_kwargs)
        _check_model(owner, "bs_channel", make_channel, self.bs_channel, {})
        check_range(owner, "indoor_ratio", self.indoor_ratio, low=0, high=1)
        _check_model(owner, "o2i", make_penetration, self.o2i, self.o2i_kwargs)

    # ------------------------------------------------------------------ derived values
    @property
    def lattice_shape(self) -> tuple[int, int]:
        """Lattice points along x and y: ``floor(side / grid_cell_m) + 1``."""
        return tuple(int(math.floor(side / self.grid_cell_m + 1e-9)) + 1 for side in self.area_m)

    @property
    def n_cells(self) -> int:
        """Number of lattice points (tabular states per UAV)."""
        nx, ny = self.lattice_shape
        return nx * ny

    @property
    def n_actions(self) -> int:
        """Discrete actions per UAV: hover + directions x speed levels."""
        return 1 + self.directions * len(self.speed_levels_mps)

    @property
    def max_speed_mps(self) -> float:
        """The fastest speed level."""
        return self.speed_levels_mps[-1]

    @property
    def max_step_m(self) -> float:
        """Longest displacement of one step: v_max * dt (diagonal lattice moves are shortened
        to stay within it, see ``sim.move_table``)."""
        return self.max_speed_mps * self.dt_s

    @property
    def noise_dbm(self) -> float:
        """Noise power over the UAV bandwidth."""
        return self.noise_psd_dbm_hz + 10.0 * math.log10(self.bandwidth_hz) + self.noise_figure_db

    @property
    def upper_bound(self) -> int:
        """min(N, K * capacity): no association can exceed it (reference 5, bound 1)."""
        return min(self.n_users, self.n_uavs * self.capacity)

    @property
    def channel_kwargs(self) -> dict[str, Any]:
        """The channel options as a dict."""
        return dict(self.channel_options)

    @property
    def o2i_kwargs(self) -> dict[str, Any]:
        """The O2I add-on options as a dict."""
        return dict(self.o2i_options)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict of the fields (options as dicts, tuples as lists)."""
        out = asdict(self)
        out["channel_options"] = self.channel_kwargs
        out["o2i_options"] = self.o2i_kwargs
        out["area_m"] = list(self.area_m)
        out["speed_levels_mps"] = list(self.speed_levels_mps)
        return out

    # ------------------------------------------------------------------ presets
    @classmethod
    def paper(cls, **changes: Any) -> UavParams:
        """Reference section 6.2 defaults (the seed paper's parameter table is not public).

        For the paper's tabular SARSA / Q-learning (state = UAV cells) pass a fixed layout,
        ``UavParams.paper(layout_seed=0)``: with a new layout every episode the cell state does
        not determine the reward and the tables cannot learn a placement."""
        return cls(**changes)

    @classmethod
    def small(cls, **changes: Any) -> UavParams:
        """A 400 m map, 2 UAVs, 20 users, 25-step episodes: for fast tests and smoke training."""
        base = dict(
            area_m=(400.0, 400.0),
            grid_cell_m=50.0,
            n_uavs=2,
            n_users=20,
            n_hotspots=2,
            hotspot_std_m=40.0,
            capacity=8,
            uav_altitude_m=60.0,
            max_steps=25,
            heatmap_size=4,
        )
        return cls(**{**base, **changes})


def _check_bool(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{owner}.{name} must be True or False, got {value!r}")


def _check_model(owner: str, name: str, factory: Any, model: Any, options: dict) -> None:
    """Build the channel / add-on once so that an unknown name or option fails here."""
    if not isinstance(model, str):
        raise ValueError(f"{owner}.{name} must be a model name, got {model!r}")
    try:
        factory(model, **options)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{owner}.{name}: {err}") from None


def _as_options(owner: str, name: str, value: Any) -> tuple[tuple[str, Any], ...]:
    """Options as sorted (key, value) pairs, so that the frozen params stay hashable."""
    if value is None:
        return ()
    if isinstance(value, dict):
        items = list(value.items())
    else:
        try:
            items = [tuple(pair) for pair in value]
        except TypeError:
            raise ValueError(f"{owner}.{name} must be a dict, got {value!r}") from None
    if any(len(pair) != 2 or not isinstance(pair[0], str) for pair in items):
        raise ValueError(f"{owner}.{name} must be a dict of keyword options, got {value!r}")
    return tuple(sorted((key, val) for key, val in items))
