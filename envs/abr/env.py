"""``netgym/AbrStreaming-v0``: the scalar Gymnasium env and its native vector env."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from gymnasium import spaces

from ..core.scalar import SimEnv
from ..core.vector import NumpyVectorEnv
from .model import OBS_ROWS, AbrModel, build_model, bytes_per_env, synthetic_lines
from .params import AbrParams
from .sim import BatchSim, ScalarSim, as_trace_indices, draw_episode


def _spaces(model: AbrModel) -> tuple[spaces.Discrete, spaces.Box]:
    high = model.obs_high()
    observation = spaces.Box(low=np.zeros_like(high), high=high, dtype=np.float32)
    return spaces.Discrete(model.n_levels), observation


class _VideoViews:
    """Public attributes the scalar and the vector env share (the video is the same)."""

    model: AbrModel
    params: AbrParams

    @property
    def video_sizes(self) -> np.ndarray:
        """Chunk sizes in bytes, (levels, lines); read-only and shared."""
        return self.model.video_sizes

    @property
    def ladder_kbps(self) -> np.ndarray:
        """Bitrate of each level in kbps."""
        return np.asarray(self.params.ladder_kbps)


class AbrStreamingEnv(_VideoViews, SimEnv):
    """Adaptive-bitrate video streaming over a bandwidth trace (the Pensieve simulator).

    ## Description

    A video of ``n_chunks`` chunks of ``chunk_s`` seconds is streamed over a recorded or
    synthetic bandwidth trace. Before each chunk the agent picks its quality level; the chunk
    downloads over the trace (with ``payload_share`` of the rate and one RTT), the playback
    buffer drains during the download and gains ``chunk_s``, playback stalls (rebuffers) when
    the buffer runs dry, and when the buffer exceeds ``buffer_cap_s`` the player sleeps in
    ``drain_s`` quanta. The dynamics are hongzimao/pensieve ``sim/env.py`` exactly.

    ## Action Space

    ``Discrete(L)``: the quality level of the next chunk, 0 = lowest bitrate.

    ## Observation Space

    ``Box(0, high, (6, history_len), float32)``, Pensieve's state matrix; each column is one
    past chunk, the newest last:

    | row | content | unit |
    |---|---|---|
    | 0 | bitrate of the last chunk | / max bitrate |
    | 1 | buffer after the last chunk | 10 s |
    | 2 | throughput of the last chunk (size / delay incl. RTT) | MB/s |
    | 3 | download time of the last chunk | 10 s |
    | 4 | sizes of the next chunk at each level (columns ``0..L-1``, the rest 0) | MB |
    | 5 | chunks left | / n_chunks |

    ## Rewards

    The QoE of the chunk just downloaded: ``q(R_t) - mu * rebuffer_s - smooth * |q(R_t) -
    q(R_{t-1})|`` with ``q`` linear (Mbps, mu = 4.3), log (ln R / R_min, mu = 2.66) or hd
    (utilities [1,2,3,12,15,20], mu = 8). The mean reward of an episode is the anchors'
    per-trace score (chunks 2..n).

    ## Starting State

    ``reset`` picks a trace (in order or at random), a start pointer (1, random or the
    given list) and downloads the first chunk at ``default_quality`` (buffer 0, so its download
    time is start-up delay); it returns the observation after that chunk.
    ``reset(options={"trace_index": i})`` selects trace ``i``.

    ## Episode End

    Terminates after the last chunk: ``n_chunks - 1`` steps (47 for a 48-chunk video).
    No truncation.

    ## Arguments

    ``params`` (an ``AbrParams``, a dict, a preset name 'default' or 'pensieve', or None)
    and/or any ``AbrParams`` field as a keyword, e.g.
    ``gym.make("netgym/AbrStreaming-v0", traces="path/to/traces", qoe="log")``.
    ``render_mode``: "rgb_array" (a 400 x 640 frame: the trace's throughput, each chunk's
    bitrate, the buffer and the stalls against session time) or "ansi" (the last chunks as
    text).

    Public attributes that policies may read: ``video_sizes`` (levels x lines, bytes),
    ``ladder_kbps``, ``chunk_s``, ``n_chunks``, ``chunk_index`` (chunks downloaded so far =
    index of the next chunk), ``buffer_s``, ``last_quality``, ``trace_name``,
    ``trace_index``, ``params`` and ``model`` (the shared traces and video); oracles may also
    read ``trace_position_s`` and ``episode_noise``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}
    params_class = AbrParams
    reset_options = frozenset({"trace_index"})

    def setup(self) -> None:
        self.model = build_model(self.params)
        self.action_space, self.observation_space = _spaces(self.model)
        self._sim = ScalarSim(self.model)
        self._next_trace = 0
        self._timeline: Any = None  # the chunks of the episode, kept with a render mode
        # read on every step: one attribute each instead of a chain (and Python ints, which
        # compare faster than the space's numpy integer)
        self._n_levels = int(self.action_space.n)
        self._n_chunks = self.model.n_chunks
        self._ladder = self.params.ladder_kbps
        self._trace_names = self.model.table.names

    # ----------------------------------------------------------------- public attributes
    @property
    def chunk_s(self) -> float:
        """Seconds of video per chunk."""
        return self.params.chunk_s

    @property
    def n_chunks(self) -> int:
        """Chunks per episode."""
        return self.model.n_chunks

    @property
    def chunk_index(self) -> int:
        """Chunks downloaded so far, i.e. the index of the next chunk."""
        return self._sim.chunk

    @property
    def buffer_s(self) -> float:
        """Playback buffer after the last chunk, in seconds."""
        return self._sim.buffer_ms / 1000.0

    @property
    def last_quality(self) -> int:
        """Level of the last chunk downloaded."""
        return self._sim.last_q

    @property
    def trace_name(self) -> str:
        """Name (file name) of the trace of the current episode."""
        return self.model.table.names[self._sim.trace]

    @property
    def trace_index(self) -> int:
        """Index of the trace of the current episode."""
        return self._sim.trace

    @property
    def trace_position_s(self) -> float:
        """Position of the download clock inside the current trace, in seconds (for oracles)."""
        return self._sim.pos_s

    @property
    def episode_noise(self) -> np.ndarray | None:
        """Per-chunk delay noise factors of the current episode, or None (for oracles)."""
        return None if self._sim.noise is None else np.asarray(self._sim.noise)

    # ----------------------------------------------------------------- SimEnv hooks
    def on_reseed(self) -> None:
        self._next_trace = 0

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        trace_index = options.get("trace_index")
        if trace_index is not None:
            trace_index = as_trace_indices(trace_index, None)
        elif self.params.trace_order == "sequential":
            trace_index = self._next_trace % len(self.model.table)
            self._next_trace += 1
        trace, pointer, noise = draw_episode(self.np_random, self.model, trace_index)
        self._sim.reset(trace, pointer, noise)
        if self.render_mode is not None:
            from .render import Timeline

            self._timeline = Timeline.at_reset(self.model, trace, pointer, self._sim)
        return self._sim.obs.copy(), self._info()

    def check_action(self, action: Any) -> int:
        try:
            level = operator.index(action)
        except TypeError:
            raise ValueError(
                f"action must be an integer level in [0, {self.action_space.n - 1}], got {action!r}"
            ) from None
        if not 0 <= level < self._n_levels:
            raise ValueError(f"action must be in [0, {self._n_levels - 1}], got {level}")
        return level

    def step_sim(self, level: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self._sim
        sim.download(level)
        if self.render_mode is not None:
            self._timeline.add(sim)
        return sim.obs.copy(), sim.reward, sim.chunk >= self._n_chunks, False, self._info()

    def action_masks(self) -> np.ndarray:
        """Valid levels (all of them: every level can be requested at every chunk), for
        masked-action agents such as MaskablePPO."""
        return np.ones(self.action_space.n, dtype=bool)

    def render(self) -> np.ndarray | str | None:
        """The episode so far: a 400 x 640 ``rgb_array`` frame (throughput, bitrates, buffer,
        stalls; see ``render.py``) or ``ansi`` text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame

        if self.render_mode == "ansi":
            return ansi(self._timeline, self)
        return draw_frame(self._timeline, self)

    def _info(self) -> dict[str, Any]:
        sim = self._sim
        delay_s = sim.delay_ms / 1000.0
        return {
            "bitrate_kbps": self._ladder[sim.last_q],
            "quality": sim.last_q,
            "rebuffer_s": sim.rebuf_s,
            "buffer_s": sim.buffer_ms / 1000.0,
            "download_time_s": delay_s,
            "chunk_bytes": sim.size_b,
            "throughput_mbps": sim.size_b * 8.0 / delay_s / 1e6,
            "sleep_s": sim.sleep_ms / 1000.0,
            "chunk_index": sim.chunk - 1,
            "qoe": sim.reward,
            "trace": self._trace_names[sim.trace],
            "trace_index": sim.trace,
        }


class AbrStreamingVectorEnv(_VideoViews, NumpyVectorEnv):
    """N ``AbrStreamingEnv`` envs stepped together in numpy (``gym.make_vec``, autoreset
    NEXT_STEP); spaces, rewards and episodes are the scalar env's.

    Sub-env ``i`` has its own generator seeded ``seed + i``, so with ``trace_order='random'``
    it plays exactly the episodes of a scalar env seeded ``seed + i``. With
    ``trace_order='sequential'``, sub-env ``i`` plays traces ``i, i + N, i + 2N, ...``. The
    trace and video arrays are shared by all sub-envs (never copied per env).

    ``info`` is a dict of arrays (bitrate_kbps, quality, rebuffer_s, buffer_s, download_time_s,
    chunk_bytes, throughput_mbps, sleep_s, chunk_index, qoe, trace_index), each with its
    ``_key`` mask, describing the chunk just downloaded (for a sub-env that was just
    auto-reset, its first chunk). Autoreset: see ``NumpyVectorEnv``.
    ``reset(options={"trace_index": i})`` takes one trace for all sub-envs or one per sub-env.

    ## Version History

    * v0: initial release.
    """

    params_class = AbrParams
    reset_options = frozenset({"trace_index"})

    def make_sim(self) -> BatchSim:
        self.model = build_model(self.params)
        return BatchSim(self.model, self.num_envs)

    def memory_per_env(self) -> float:
        """One sub-env's observation buffers and spaces, state and noise factors
        (``model.bytes_per_env``); the shared traces and video are checked by the model."""
        p = self.params
        n_chunks = synthetic_lines(p) if p.video == "synthetic" else p.n_chunks or 0
        return bytes_per_env(p, n_chunks)

    def make_spaces(self) -> tuple[spaces.Discrete, spaces.Box]:
        return _spaces(self.model)

    def check_actions(self, actions: Any) -> np.ndarray:
        levels = np.asarray(actions)
        if levels.shape != (self.num_envs,):
            raise ValueError(f"actions must have shape ({self.num_envs},), got {levels.shape}")
        if levels.dtype.kind not in "iu":
            raise ValueError(f"actions must be integer levels, got dtype {levels.dtype}")
        n_levels = self.model.n_levels
        if levels.dtype == np.int64:  # seen as uint64 a negative level is huge: one max
            out_of_range = levels.view(np.uint64).max() >= n_levels
        else:
            out_of_range = levels.min() < 0 or levels.max() >= n_levels
        if out_of_range:
            bad = levels[(levels < 0) | (levels >= n_levels)][0]
            raise ValueError(f"actions must be in [0, {n_levels - 1}], got {bad}")
        return levels.astype(np.int64, copy=False)

    def on_reseed(self) -> None:
        self.sim.next_trace[:] = self._all

    @property
    def chunk_index(self) -> np.ndarray:
        """Chunks downloaded so far in each sub-env."""
        return self.sim.chunk.copy()

    @property
    def buffer_s(self) -> np.ndarray:
        """Buffer of each sub-env after its last chunk, in seconds."""
        return self.sim.buffer_ms / 1000.0

    def action_masks(self) -> np.ndarray:
        """Valid levels of each sub-env, (num_envs, levels): all True (see the scalar env)."""
        return np.ones((self.num_envs, self.model.n_levels), dtype=bool)


__all__ = ["AbrStreamingEnv", "AbrStreamingVectorEnv", "OBS_ROWS"]
