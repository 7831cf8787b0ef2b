"""``netgym/WirelessVideoCell-v0``: the scalar Gymnasium env and its native vector env."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..core.budget import check_memory
from ..core.scalar import SimEnv
from ..core.vector import NumpyVectorEnv
from .observe import FEATURES
from .params import VideoCellParams
from .sim import CellSim


def _spaces(p: VideoCellParams) -> tuple[spaces.Box, spaces.Box]:
    n = p.n_users
    high = np.ones((n, FEATURES), dtype=np.float32)
    high[:, 6:8] = 2.0
    high[:, 9] = 100.0
    high = np.concatenate([high.ravel(), np.ones(2, dtype=np.float32)])
    observation = spaces.Box(np.zeros_like(high), high, dtype=np.float32)
    return spaces.Box(0.0, 1.0, (n,), dtype=np.float32), observation


def bytes_per_env(p: VideoCellParams) -> float:
    """Estimated bytes of one cell's state (dominated by the exact mode's phasor table)."""
    n, k, m = p.n_users, p.n_subbands, p.n_sinusoids
    state = n * (60 * 8 + 24 * k * m + 8 * p.sat_window) + 4096 * n  # arrays, clients, views
    table = 8 * n * k * m * p.epoch_ttis if p.mode == "exact" else 0
    temporaries = 3 * 8 * n * k * (p.epoch_ttis if p.mode == "exact" else 1) * 4
    return float(state + table + temporaries)


def check_actions_of(actions: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``actions`` as float64 shares of ``shape``, finite and in [0, 1], else ``ValueError``."""
    try:
        shares = np.asarray(actions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"action must be {shape} PRB shares in [0, 1], got {actions!r}") from None
    if shares.shape != shape:
        raise ValueError(f"action must have shape {shape} (PRB shares), got {shares.shape}")
    if not np.all(np.isfinite(shares)) or shares.min() < 0.0 or shares.max() > 1.0:
        bad = shares[~(np.isfinite(shares) & (shares >= 0.0) & (shares <= 1.0))][0]
        raise ValueError(f"action entries are PRB shares and must be in [0, 1], got {bad}")
    return shares


class WirelessVideoCellEnv(SimEnv):
    """A base station schedules a wireless cell's PRBs among video users with personalised
    satisfaction (Alkurd et al.'s zone of tolerance; cross-layer AMC + ABR).

    ## Description

    ``n_users`` users stream Pensieve's video (``abr``) through one cell of ``n_subbands`` x
    ``prbs_per_subband`` PRBs. Every user's mean SINR comes from TR 38.901 UMa path loss,
    shadowing and interference; each subband fades independently (Rayleigh, Jakes-correlated,
    a sum of sinusoids); an SINR maps to bits through the CQI table (10 % BLER) or the
    Liu-Zhou-Giannakis AMC. Each user runs an ABR client (netgym's ABR baselines: BBA by
    default) and has a zone of tolerance (adequate, desired) from one of three personas. Each
    step is one scheduling epoch of ``epoch_ttis`` TTIs. ``channel='trace'`` replaces the
    radio by one ABR throughput trace per user (Pensieve's clock); ``mode='exact'`` samples the
    fading every TTI instead of once per epoch.

    ## Action Space

    ``Box(0, 1, (n_users,))``: the share of the cell's PRBs each user gets this epoch (in every
    subband and TTI). Shares summing above 1 are scaled down to sum 1; below 1 the rest stays
    idle. A share given to a user that has nothing to download (waiting an RTT, sleeping on a
    full buffer, finished) is idle too.

    ## Observation Space

    ``Box(0, high, (n_users * 10 + 2,), float32)``: per user (row-major) its full-cell rate
    for the coming epoch / the cell's peak rate, buffer / cap, bytes left of its chunk / the
    largest chunk, level / top level, downloading (0/1), chunks done / n_chunks, adequate and
    desired bitrate / top bitrate (0 with ``personalization='latent'``), satisfaction, EWMA
    of its delivered rate / top bitrate (<= 100); then the share of PRBs used last epoch and
    the elapsed share of ``max_epochs``.

    ## Rewards

    ``info['reward_vec'] = [mean satisfaction, -PRB share used, share of satisfied users]``;
    the scalar reward is ``mean satisfaction - resource_weight * PRB share used`` (or the
    satisfied share with ``objective='count'``). A user's satisfaction is the logistic ZoT
    curve of its mean per-chunk QoE over its last ``sat_window`` chunks (0 before its first);
    satisfied means >= 0.5. ``info['upper_bound']`` (concave relaxation of the epoch's
    scalar reward) and ``info['count_bound']`` (fluid count bound) are fluid bounds, see
    ``bounds.py``.

    ## Starting State

    Users draw personas, zones, positions and fading (or traces); every user requests its
    first chunk at ``abr.default_quality`` at t = 0 with an empty buffer.
    ``reset(options={"trace_index": i})`` (trace channel) picks the users' traces.

    ## Episode End

    Terminates when every user has played its video; truncates after ``max_epochs`` steps.

    ## Arguments

    ``params`` (a ``VideoCellParams``, a dict, a preset 'default', 'exact', 'vehicular',
    'count', or None) and/or any field as a keyword. ``render_mode``: 'rgb_array' (a 400 x
    640 frame: one row per user with its persona, zone, satisfaction, buffer, rate, level and
    progress) or 'ansi' (one line per user).

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 10}
    params_class = VideoCellParams
    reset_options = frozenset({"trace_index"})

    def setup(self) -> None:
        check_memory("WirelessVideoCellEnv", bytes_per_env(self.params), "one cell")
        self.sim = CellSim(self.params, 1)
        self.action_space, self.observation_space = _spaces(self.params)
        self._shape = (self.params.n_users,)
        self._rows = np.zeros(1, dtype=np.int64)

    @property
    def n_users(self) -> int:
        """Users in the cell."""
        return self.params.n_users

    @property
    def ladder_kbps(self) -> np.ndarray:
        """Bitrate of each video level in kbps."""
        return np.asarray(self.params.abr.ladder_kbps)

    def set_client(self, name: str) -> None:
        """Run every user's ABR client as ``name`` (``params.CLIENT_NAMES``) from now on, in
        this episode (fresh clients, reset now) and the next ones; for baselines that pair a
        base-station policy with a client, such as "proportional fair + robustMPC clients"."""
        self.sim.set_client(name)

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self.sim.reset(self._rows, [self.np_random], options)
        return self.sim.observation()[0], self._info()

    def check_action(self, action: Any) -> np.ndarray:
        return check_actions_of(action, self._shape)

    def step_sim(self, shares: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        sim.step(self._rows, shares[None, :])
        return (
            sim.observation()[0],
            float(sim.reward[0]),
            bool(sim.terminated[0]),
            bool(sim.truncated[0]),
            self._info(),
        )

    def render(self) -> np.ndarray | str | None:
        """'rgb_array': a 400 x 640 frame (one row per user: persona and zone, satisfaction,
        buffer, rate, level, progress; see ``render.py``); 'ansi': one line per user."""
        if self.render_mode is None:
            return None
        sim = self.sim
        if self.render_mode == "rgb_array":
            from .render import draw_frame

            return draw_frame(sim)
        lines = [
            f"WirelessVideoCell t = {sim.clock_ms[0] / 1000.0:.1f} s, PRBs used "
            f"{sim.used[0]:.0%}, reward {sim.reward[0]:+.3f}"
        ]
        for u in range(self.params.n_users):
            lines.append(
                f"user {u} {sim.persona_names[sim.persona[0, u]]:>8}: chunk {sim.chunk[0, u]:3d}"
                f" level {sim.level[0, u]} buffer {sim.buffer_ms[0, u] / 1000:5.1f} s"
                f" s={sim.sat[0, u]:.2f} rate {sim.rate_mbps[0, u]:5.1f} Mbps"
            )
        return "\n".join(lines) + "\n"

    def _info(self) -> dict[str, Any]:
        return {key: value[0] for key, value in self.sim.info().items()}


class WirelessVideoCellVectorEnv(NumpyVectorEnv):
    """N ``WirelessVideoCellEnv`` cells stepped together in numpy (``gym.make_vec``); sub-env
    ``i`` seeded ``seed + i`` replays a scalar env seeded ``seed + i``. ``info`` holds the
    scalar env's keys as arrays with an env axis first.

    ## Version History

    * v0: initial release.
    """

    params_class = VideoCellParams
    reset_options = frozenset({"trace_index"})

    def make_sim(self) -> CellSim:
        return CellSim(self.params, self.num_envs)

    def memory_per_env(self) -> float:
        """One cell's state (``bytes_per_env``)."""
        return bytes_per_env(self.params)

    def make_spaces(self) -> tuple[spaces.Box, spaces.Box]:
        return _spaces(self.params)

    def check_actions(self, actions: Any) -> np.ndarray:
        return check_actions_of(actions, (self.num_envs, self.params.n_users))


__all__ = ["WirelessVideoCellEnv", "WirelessVideoCellVectorEnv"]
