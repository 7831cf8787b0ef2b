"""``CellSim``: N wireless video cells as arrays (env axis first, then users), the
``BatchSim`` protocol of ``envs/core/sim.py``; pure numpy, no gymnasium.

One step is one scheduling epoch: the action's PRB shares are applied, the channel gives
each user's full-cell rate (``channel.py``), the download engine (``engine.py``) plays the
epoch in continuous time, each completed chunk is accounted as in Pensieve and its user's ABR
client (``clients.py``: netgym's ABR baselines) picks the next level; then satisfaction
(``personas.py``), the reward vector and the bounds (``bounds.py``) are computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..abr.model import build_model
from ..abr.sim import MIN_DELAY_MS, as_trace_indices, chunk_qoe, draw_episode
from ..core.validation import check_choice
from .bounds import GRID_PER_LEVEL, concave_bound, count_bound, envelope_segments
from .channel import (
    CQI_SE,
    LZG_RATE,
    SosFading,
    cqi_se,
    db_to_linear,
    lzg_goodput,
    phasor_gains,
    phasor_table,
    uma_path_loss_db,
)
from .clients import ClientView, make_client
from .engine import (
    AWAITING,
    DOWNLOADING,
    FINISHED,
    SLEEPING,
    FadingCurve,
    TraceCurve,
    advance_awaiting,
    advance_downloads,
    advance_waits,
    sleep_quanta,
)
from .observe import cell_info, cell_observation
from .params import CLIENT_NAMES, VideoCellParams
from .personas import PERSONAS, satisfaction, utility_of_kbps

_STATE = ("phase", "rem", "wait", "dl_ms", "pos", "link", "delivered", "busy", "trace")


class CellSim:
    """State of ``num_envs`` cells of ``params.n_users`` users and the epoch kernel."""

    def __init__(self, params: VideoCellParams, num_envs: int) -> None:
        p = self.params = params
        self.num_envs = b = num_envs
        n = p.n_users
        self.persona_names = tuple(dict.fromkeys(p.personas))
        self.views_params = [p.persona_abr(name) for name in self.persona_names]
        self.models = [build_model(ap) for ap in self.views_params]
        model = self.models[0]
        self.n_chunks = model.n_chunks
        self.sizes = model.video_sizes.astype(np.float64)
        self.ladder = np.asarray(p.abr.ladder_kbps, dtype=np.float64)
        self.n_levels = len(self.ladder)
        self.utility = np.array([m.utility for m in self.models])  # (P, L)
        self.mu = np.array([ap.rebuffer_penalty_value for ap in self.views_params])
        self._fading = SosFading(p.doppler_hz, p.n_sinusoids)
        factor = (1.0 - p.overhead) * ((1.0 - p.bler) if p.link == "cqi" else 1.0)
        self._coef = p.prbs_per_subband * p.prb_hz * factor / 8.0 / 1000.0  # B/ms per bit/s/Hz
        top_se = CQI_SE[-1] if p.link == "cqi" else LZG_RATE[-1]
        self.max_rate_mbps = self._coef * p.n_subbands * top_se * 8.0 / 1000.0
        self._curve_trace = TraceCurve(model.table) if p.channel == "trace" else None
        self._table: np.ndarray | None = None
        if p.mode == "exact" and p.channel == "fading":
            self._table = np.zeros(
                (b, n, p.n_subbands, p.n_sinusoids, p.epoch_ttis), dtype=np.complex64
            )
        shape = (b, n)
        self.phase = np.full(shape, FINISHED, dtype=np.int64)
        for name in _STATE[1:]:
            setattr(self, name, np.zeros(shape, dtype=np.int64 if name == "trace" else float))
        self.buffer_ms = np.zeros(shape)
        self.chunk = np.zeros(shape, dtype=np.int64)
        self.level = np.zeros(shape, dtype=np.int64)
        self.last_q = np.zeros(shape, dtype=np.int64)
        self.persona = np.zeros(shape, dtype=np.int64)
        self.adequate = np.ones(shape)
        self.desired = np.full(shape, 2.0)
        self.adequate_kbps = np.zeros(shape)
        self.desired_kbps = np.zeros(shape)
        self.mean_snr = np.ones(shape)
        self.history = np.zeros(shape + (p.sat_window,))
        self.total_qoe = np.zeros(shape)
        self.total_rebuf_s = np.zeros(shape)
        self.sat = np.zeros(shape)
        self.rate_mbps = np.zeros(shape)
        self.avg_mbps = np.zeros(shape)
        self.clock_ms = np.zeros(b)
        self.steps = np.zeros(b, dtype=np.int64)
        self.used = np.zeros(b)
        self.reward = np.zeros(b)
        self.reward_vec = np.zeros((b, 3))
        self.upper_bound = np.zeros(b)
        self.count_bound = np.zeros(b)
        n_seg = 1 + (self.n_levels - 1) * GRID_PER_LEVEL
        self.seg0 = np.zeros(shape)
        self.seg_w = np.zeros(shape + (n_seg,))
        self.seg_s = np.zeros(shape + (n_seg,))
        self.amp = np.zeros(shape + (p.n_subbands, p.n_sinusoids), dtype=complex)
        self.omega = np.zeros(shape + (p.n_subbands, p.n_sinusoids))
        self.z = np.zeros_like(self.amp)
        """each sinusoid's phasor at the clock, ``amp exp(j omega t)``, advanced by ``rot``"""
        self.rot = np.zeros_like(self.amp)
        self._ones_m = np.ones(p.n_sinusoids, dtype=complex)
        """one epoch's rotation of each phasor, ``exp(j omega epoch)``"""
        self.clients: list[list[Any]] = [[None] * n for _ in range(b)]
        self.views: list[list[ClientView]] = [[None] * n for _ in range(b)]  # type: ignore[list-item]
        self.client_name = p.client
        self.external_clients = False
        """True (the PettingZoo variant): completed chunks wait for ``levels`` from outside"""
        self.last_delay_s = np.zeros(shape)
        self.last_tput_mbps = np.zeros(shape)
        self.epoch_qoe = np.zeros(shape)
        """QoE of the chunks each user completed in the last step"""
        self.chunk_log: list[list[dict[str, Any]]] | None = None
        """set to a list per env to record every completed chunk (tests, render)"""

    # ------------------------------------------------------------------ BatchSim protocol
    def reset(self, idx: Any, rngs: Sequence[np.random.Generator], options: dict[str, Any]) -> None:
        """Draw new cells in envs ``idx``: personas, zones, positions, fading (or traces)."""
        p = self.params
        n = p.n_users
        rows = np.arange(self.num_envs)[idx] if isinstance(idx, slice) else np.asarray(idx)
        traces = options.get("trace_index")
        if traces is not None:
            if p.channel != "trace":
                raise ValueError("reset option trace_index needs channel='trace'")
            traces = as_trace_indices(traces, n)
        for i in rows:
            rng = rngs[i]
            persona = rng.integers(len(p.personas), size=n)
            spread = np.exp(rng.uniform(-p.zot_spread, p.zot_spread, n))
            self._draw_users(i, [p.personas[k] for k in persona], spread)
            if p.channel == "fading":
                self._draw_radio(i, rng)
            else:
                for u in range(n):
                    tr, pointer, _ = draw_episode(
                        rng, self.models[0], None if traces is None else int(traces[u])
                    )
                    table = self.models[0].table
                    self.trace[i, u] = tr
                    self.link[i, u] = table.time[table.offset[tr] + pointer - 1]
            self._start(i)
        if self.chunk_log is not None:
            for i in rows:
                self.chunk_log[i] = []
        self._observe(rows)
        self._refresh_rates(rows)

    def step(
        self, idx: Any, actions: np.ndarray, rngs: Any = None, levels: np.ndarray | None = None
    ) -> None:
        """Play one epoch of envs ``idx`` with PRB shares ``actions`` (rows of ``n_users``);
        with external clients, ``levels`` (rows of ``n_users``, -1 = none) are the next levels
        of the users that await a decision."""
        p = self.params
        rows = np.arange(self.num_envs)[idx] if isinstance(idx, slice) else np.asarray(idx)
        self.epoch_qoe[rows] = 0.0
        if levels is not None:
            self._decide(rows, np.asarray(levels))
        share = np.clip(np.asarray(actions, dtype=np.float64), 0.0, 1.0)
        share = share / np.maximum(share.sum(axis=1, keepdims=True), 1.0)
        epoch_ms = p.epoch_ms
        full = rows.size == self.num_envs  # every env, in order: work on views, no copies
        sel = slice(None) if full else rows
        if p.channel == "trace":
            curve: Any = self._curve_trace
        else:
            curve = FadingCurve(
                self._epoch_rates(sel).reshape(rows.size * p.n_users, -1),
                epoch_ms / (p.epoch_ttis if p.mode == "exact" else 1),
            )
        if full:
            state = {name: getattr(self, name).reshape(-1) for name in _STATE}
        else:
            state = {name: getattr(self, name)[rows].ravel() for name in _STATE}
        state["pos"][:] = 0.0
        state["delivered"][:] = 0.0
        state["busy"][:] = 0.0
        flat_share = share.ravel()
        rtt_ms = p.abr.rtt_s * 1000.0
        while True:
            live = np.flatnonzero((state["pos"] < epoch_ms) & (state["phase"] != FINISHED))
            if not live.size:
                break
            advance_awaiting(state, live, epoch_ms)
            rtt_done, _ = advance_waits(state, live, epoch_ms)
            if rtt_done.size:
                self._complete(rows, state, rtt_done)
            live = np.flatnonzero((state["pos"] < epoch_ms) & (state["phase"] == DOWNLOADING))
            advance_downloads(state, live, flat_share, curve, epoch_ms, rtt_ms)
        if not full:
            for name in _STATE:
                getattr(self, name)[rows] = state[name].reshape(rows.size, p.n_users)
        self.clock_ms[sel] += epoch_ms
        if p.channel == "fading":
            self.z[sel] *= self.rot[sel]
        self.steps[sel] += 1
        self.used[sel] = np.minimum(self.busy[sel].sum(axis=1) / epoch_ms, 1.0)  # rounding
        got_mbps = self.delivered[sel] * 8.0 / epoch_ms / 1000.0
        self.avg_mbps[sel] += (got_mbps - self.avg_mbps[sel]) / 10.0  # EWMA, 1 s at 100 ms
        self._observe(sel)
        self._refresh_rates(sel)

    @property
    def terminated(self) -> np.ndarray:
        """(N,) every user has played its whole video."""
        return np.all(self.phase == FINISHED, axis=1)

    @property
    def truncated(self) -> np.ndarray:
        """(N,) the episode reached ``max_epochs``."""
        return (self.steps >= self.params.max_epochs) & ~self.terminated

    def observation(self) -> np.ndarray:
        """(N, n_users * 10 + 2) float32 observations (see the env's docstring)."""
        return cell_observation(self)

    def info(self) -> dict[str, np.ndarray]:
        """Per-env arrays: the reward vector, satisfaction, bounds and the users' state."""
        return cell_info(self)

    def _decide(self, rows: np.ndarray, levels: np.ndarray) -> None:
        """Start the next chunk of every awaiting user of ``rows`` that got a level."""
        for r, e in enumerate(rows):
            for u in np.flatnonzero((self.phase[e] == AWAITING) & (levels[r] >= 0)):
                level = int(levels[r, u])
                if level >= self.n_levels:
                    raise ValueError(
                        f"client_{u} chose level {level}, outside [0, {self.n_levels - 1}]"
                    )
                self.level[e, u] = level
                self.rem[e, u] = self.sizes[level, self.chunk[e, u]]
                self.phase[e, u] = SLEEPING if self.wait[e, u] > 0 else DOWNLOADING

    def set_client(self, name: str) -> None:
        """Use the ABR client ``name`` for every user, now (fresh, reset) and at every reset."""
        check_choice("WirelessVideoCell", "client", name, CLIENT_NAMES)
        self.client_name = name
        for i in range(self.num_envs):
            for u, view in enumerate(self.views[i]):
                if view is None:
                    continue
                client = make_client(name)
                client.reset(view)
                self.clients[i][u] = client

    # ------------------------------------------------------------------ internals
    def _draw_users(self, i: int, personas: list[str], spread: np.ndarray) -> None:
        index = [self.persona_names.index(name) for name in personas]
        self.persona[i] = index
        for u, name in enumerate(personas):
            persona = PERSONAS[name]
            k = index[u]
            a_kbps = persona.adequate_kbps * spread[u]
            d_kbps = persona.desired_kbps * spread[u]
            util = self.utility[k]
            a, d = utility_of_kbps(np.array([a_kbps, d_kbps]), self.ladder, util)
            if d <= a:  # a zone squeezed by the ladder's ends: keep it open
                d = a + 1e-3 * max(abs(a), 1.0)
            self.adequate_kbps[i, u], self.desired_kbps[i, u] = a_kbps, d_kbps
            self.adequate[i, u], self.desired[i, u] = a, d
            self.seg0[i, u], w, s = envelope_segments(self.ladder, util, a, d)
            self.seg_w[i, u] = 0.0
            self.seg_s[i, u] = 0.0
            self.seg_w[i, u, : w.size] = w
            self.seg_s[i, u, : s.size] = s
            view = ClientView(self.views_params[k], self.models[k])
            client = make_client(self.client_name)
            client.reset(view)
            self.views[i][u] = view
            self.clients[i][u] = client

    def _draw_radio(self, i: int, rng: np.random.Generator) -> None:
        p = self.params
        n = p.n_users
        r2 = rng.uniform(p.min_distance_m**2, p.max_distance_m**2, n)
        shadow = rng.normal(0.0, p.shadowing_db, n)
        self.amp[i], self.omega[i] = self._fading.draw(rng, (n, p.n_subbands))
        self.z[i] = self.amp[i]
        self.rot[i] = np.exp(1j * self.omega[i] * (p.epoch_ms / 1000.0))
        if self._table is not None:
            self._table[i] = phasor_table(self.omega[i], p.tti_s, p.epoch_ttis)
        if p.fixed_snr_db is not None:
            snr_db = np.full(n, float(p.fixed_snr_db))
        else:
            power = p.tx_power_dbm - 10.0 * math.log10(p.n_prbs)
            noise = -174.0 + 10.0 * math.log10(p.prb_hz) + p.noise_figure_db + p.interference_db
            pl = uma_path_loss_db(np.sqrt(r2), p.carrier_ghz)
            snr_db = np.clip(power - pl - shadow - noise, p.min_snr_db, p.max_snr_db)
        self.mean_snr[i] = db_to_linear(snr_db)

    def _start(self, i: int) -> None:
        q0 = self.params.abr.default_quality
        self.phase[i] = DOWNLOADING
        self.rem[i] = self.sizes[q0, 0]
        self.wait[i] = self.dl_ms[i] = 0.0
        self.buffer_ms[i] = 0.0
        self.chunk[i] = 0
        self.level[i] = self.last_q[i] = q0
        self.history[i] = 0.0
        self.total_qoe[i] = self.total_rebuf_s[i] = self.sat[i] = 0.0
        self.avg_mbps[i] = self.used[i] = 0.0
        self.clock_ms[i] = 0.0
        self.steps[i] = 0
        self.reward[i] = 0.0
        self.reward_vec[i] = 0.0
        for view in self.views[i]:
            view.chunk_index = 0

    def _se_rate(self, sinr: np.ndarray) -> np.ndarray:
        """Bytes per ms of one subband's PRBs at linear SINRs."""
        if self.params.link == "cqi":
            return self._coef * cqi_se(sinr)
        return self._coef * lzg_goodput(sinr, self.params.lzg_target_per)

    def _epoch_rates(self, rows: np.ndarray | slice) -> np.ndarray:
        """(rows, users, T) full-cell bytes per ms in each TTI (T = 1 in the fluid mode)."""
        p = self.params
        if p.mode == "fluid":  # the rate the observation showed, held for the epoch
            return self.rate_mbps[rows][..., None] * (1000.0 / 8.0)
        g = phasor_gains(self.z[rows], self._table[rows])  # float32
        snr = self.mean_snr[rows].astype(np.float32)[..., None, None]
        return self._se_rate(snr * g).sum(axis=2)

    def _refresh_rates(self, rows: np.ndarray | slice) -> None:
        """Each user's full-cell rate now (Mbps), the channel state the observation shows."""
        p = self.params
        if p.channel == "trace":
            curve = self._curve_trace
            tr, link = self.trace[rows], self.link[rows]
            dt = 1e-3
            got = curve.at(tr, link + dt) - curve.at(tr, link)
            self.rate_mbps[rows] = got * 8.0 / dt / 1e6
        else:
            h = self.z[rows] @ self._ones_m  # the sum over sinusoids, 3x faster than sum()
            g = h.real**2 + h.imag**2
            rate = self._se_rate(self.mean_snr[rows][..., None] * g).sum(axis=2)
            self.rate_mbps[rows] = rate * 8.0 / 1000.0
        if p.bounds:  # finished users keep their satisfaction and need no PRBs
            rate_kbps = self.rate_mbps[rows] * 1000.0
            done = self.phase[rows] == FINISHED
            sat = self.sat[rows]
            need = self.adequate_kbps[rows] / np.maximum(rate_kbps, 1e-12)
            need[done] = np.where(sat[done] >= 0.5, 0.0, np.inf)
            self.count_bound[rows] = count_bound(need)
            self.upper_bound[rows] = concave_bound(
                np.where(done, sat, self.seg0[rows]),
                np.where(done[..., None], 0.0, self.seg_w[rows]),
                self.seg_s[rows],
                rate_kbps,
                p.resource_weight,
            )

    def _observe(self, rows: np.ndarray | slice) -> None:
        """Satisfaction, the reward vector and the scalar reward of envs ``rows``."""
        p = self.params
        filled = np.minimum(self.chunk[rows], p.sat_window)
        mean = self.history[rows].sum(axis=2) / np.maximum(filled, 1)
        sat = satisfaction(mean, self.adequate[rows], self.desired[rows])
        self.sat[rows] = np.where(filled > 0, sat, 0.0)
        n = p.n_users
        share = self.sat[rows].sum(axis=1) / n
        count = (self.sat[rows] >= 0.5).sum(axis=1) / n
        vec = self.reward_vec
        vec[rows, 0], vec[rows, 1], vec[rows, 2] = share, -self.used[rows], count
        value = share if p.objective == "satisfaction" else count
        self.reward[rows] = value - p.resource_weight * self.used[rows]

    def _complete(self, rows: np.ndarray, state: dict[str, np.ndarray], users: np.ndarray) -> None:
        """Account the chunks of ``users`` (flat indices) that just completed; ask their
        clients for the next level."""
        p = self.params
        ab = p.abr
        n = p.n_users
        env, user = rows[users // n], users % n
        delay = np.maximum(state["dl_ms"][users] + ab.rtt_s * 1000.0, MIN_DELAY_MS)
        buffer = self.buffer_ms[env, user]
        rebuf = np.maximum(delay - buffer, 0.0)
        buffer = np.maximum(buffer - delay, 0.0) + ab.chunk_s * 1000.0
        sleep = sleep_quanta(buffer, ab.buffer_cap_s * 1000.0, ab.drain_s * 1000.0)
        buffer = buffer - sleep
        persona = self.persona[env, user]
        level, last = self.level[env, user], self.last_q[env, user]
        util = self.utility[persona]
        rows_u = np.arange(users.size)
        qoe = chunk_qoe(
            util[rows_u, level], util[rows_u, last], rebuf, self.mu[persona], ab.smooth_penalty
        )
        chunk = self.chunk[env, user]
        size = self.sizes[level, chunk]
        self.history[env, user, chunk % p.sat_window] = qoe
        self.epoch_qoe[env, user] += qoe
        self.last_delay_s[env, user] = delay / 1000.0
        self.last_tput_mbps[env, user] = size * 8.0 / delay / 1000.0
        self.total_qoe[env, user] += qoe
        self.total_rebuf_s[env, user] += rebuf / 1000.0
        self.buffer_ms[env, user] = buffer
        self.chunk[env, user] = chunk + 1
        self.last_q[env, user] = level
        for j in range(users.size):
            e, u, c = int(env[j]), int(user[j]), int(chunk[j]) + 1
            info = {
                "bitrate_kbps": float(self.ladder[level[j]]),
                "quality": int(level[j]),
                "rebuffer_s": float(rebuf[j]) / 1000.0,
                "buffer_s": float(buffer[j]) / 1000.0,
                "download_time_s": float(delay[j]) / 1000.0,
                "chunk_bytes": float(size[j]),
                "throughput_mbps": float(size[j]) * 8.0 / (float(delay[j]) / 1000.0) / 1e6,
                "sleep_s": float(sleep[j]) / 1000.0,
                "chunk_index": c - 1,
                "qoe": float(qoe[j]),
            }
            if self.chunk_log is not None:
                self.chunk_log[e].append({"user": u, **info})
            flat = users[j]
            if c >= self.n_chunks:
                state["phase"][flat] = FINISHED
                continue
            self.views[e][u].chunk_index = c
            if self.external_clients:
                state["dl_ms"][flat] = 0.0
                state["wait"][flat] = float(sleep[j])
                state["phase"][flat] = AWAITING
                continue
            nxt = self.clients[e][u].act(None, info)
            if not 0 <= int(nxt) < self.n_levels:
                raise ValueError(
                    f"the ABR client of user {u} chose level {nxt}, outside [0, "
                    f"{self.n_levels - 1}]"
                )
            self.level[e, u] = int(nxt)
            state["rem"][flat] = self.sizes[int(nxt), c]
            state["dl_ms"][flat] = 0.0
            state["wait"][flat] = float(sleep[j])
            state["phase"][flat] = SLEEPING if sleep[j] > 0 else DOWNLOADING


__all__ = ["CellSim"]
