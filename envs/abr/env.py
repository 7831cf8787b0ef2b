"""``netgym/AbrStreaming-v0``: the scalar Gymnasium env and its native vector env."""

from __future__ import annotations

import operator
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ..core.seeding import reseed_vector
from ..core.vector import check_vector_args, same_step_reset
from .params import AbrParams
from .sim import OBS_ROWS, AbrModel, BatchSim, ScalarSim, build_model, draw_episode

_RESET_OPTIONS = {"trace_index"}


def _make_params(params: AbrParams | dict | None, overrides: dict[str, Any]) -> AbrParams:
    if params is not None and not isinstance(params, (AbrParams, dict)):
        raise ValueError(f"params must be an AbrParams, a dict or None, got {type(params)}")
    given = {**(params if isinstance(params, dict) else {}), **overrides}
    unknown = set(given) - set(AbrParams.field_names())
    if unknown:
        raise ValueError(
            f"unknown AbrStreaming parameters {sorted(unknown)}; known: {AbrParams.field_names()}"
        )
    if isinstance(params, AbrParams):
        return params.replace(**overrides) if overrides else params
    return AbrParams(**given)


def _spaces(model: AbrModel) -> tuple[spaces.Discrete, spaces.Box]:
    high = model.obs_high()
    observation = spaces.Box(low=np.zeros_like(high), high=high, dtype=np.float32)
    return spaces.Discrete(model.n_levels), observation


class AbrStreamingEnv(gym.Env):
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

    ``params`` (an ``AbrParams``, a dict, or None) and/or any ``AbrParams`` field as a keyword,
    e.g. ``gym.make("netgym/AbrStreaming-v0", traces="path/to/traces", qoe="log")``.

    Public attributes that policies may read: ``video_sizes`` (levels x lines, bytes),
    ``ladder_kbps``, ``chunk_s``, ``n_chunks``, ``chunk_index`` (chunks downloaded so far =
    index of the next chunk), ``buffer_s``, ``last_quality``, ``trace_name``,
    ``trace_index``, ``params`` and ``model`` (the shared traces and video); oracles may also
    read ``trace_position_s`` and ``episode_noise``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        params: AbrParams | dict | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.params = _make_params(params, overrides)
        self.model = build_model(self.params)
        self.action_space, self.observation_space = _spaces(self.model)
        self._sim = ScalarSim(self.model)
        self._next_trace = 0
        self._done = True
        self._rebuffer_history: list[float] = []

    # ----------------------------------------------------------------- public attributes
    @property
    def video_sizes(self) -> np.ndarray:
        """Chunk sizes in bytes, (levels, lines); read-only."""
        return self.model.video_sizes

    @property
    def ladder_kbps(self) -> np.ndarray:
        """Bitrate of each level in kbps."""
        return np.asarray(self.params.ladder_kbps)

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

    # ----------------------------------------------------------------- gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self._next_trace = 0
        trace_index = _trace_option(options)
        if trace_index is not None:
            trace_index = _as_trace_indices(trace_index, None)
        elif self.params.trace_order == "sequential":
            trace_index = self._next_trace % len(self.model.table)
            self._next_trace += 1
        trace, pointer, noise = draw_episode(self.np_random, self.model, trace_index)
        self._sim.reset(trace, pointer, noise)
        self._done = False
        self._rebuffer_history = [self._sim.rebuf_s]
        return self._sim.obs.copy(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        try:
            level = operator.index(action)
        except TypeError:
            raise ValueError(
                f"action must be an integer level in [0, {self.action_space.n - 1}], got {action!r}"
            ) from None
        if not 0 <= level < self.action_space.n:
            raise ValueError(f"action must be in [0, {self.action_space.n - 1}], got {level}")
        if self._done:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        sim = self._sim
        sim.download(level)
        self._done = sim.chunk >= self.model.n_chunks
        if self.render_mode is not None:
            self._rebuffer_history.append(sim.rebuf_s)
        return sim.obs.copy(), sim.reward, self._done, False, self._info()

    def action_masks(self) -> np.ndarray:
        """Valid levels (all of them: every level can be requested at every chunk), for
        masked-action agents such as MaskablePPO."""
        return np.ones(self.action_space.n, dtype=bool)

    def render(self) -> np.ndarray | None:
        """An ``rgb_array`` frame of the last chunks (see ``render.py``); None without a mode."""
        if self.render_mode is None:
            return None
        from .render import draw

        obs = self._sim.obs
        columns = obs.shape[1]
        stalls = np.zeros(columns)
        recent = self._rebuffer_history[-columns:]
        if recent:
            stalls[columns - len(recent) :] = recent
        return draw(
            obs[0],
            obs[1] * 10.0 / self.params.buffer_cap_s,
            stalls / self.params.chunk_s,
        )

    def _info(self) -> dict[str, Any]:
        sim = self._sim
        delay_s = sim.delay_ms / 1000.0
        return {
            "bitrate_kbps": self.params.ladder_kbps[sim.last_q],
            "quality": sim.last_q,
            "rebuffer_s": sim.rebuf_s,
            "buffer_s": sim.buffer_ms / 1000.0,
            "download_time_s": delay_s,
            "chunk_bytes": sim.size_b,
            "throughput_mbps": sim.size_b * 8.0 / delay_s / 1e6,
            "sleep_s": sim.sleep_ms / 1000.0,
            "chunk_index": sim.chunk - 1,
            "qoe": sim.reward,
            "trace": self.model.table.names[sim.trace],
            "trace_index": sim.trace,
        }


def _trace_option(options: dict[str, Any] | None) -> Any:
    """The ``trace_index`` reset option (None when absent); unknown options raise."""
    if not options:
        return None
    unknown = set(options) - _RESET_OPTIONS
    if unknown:
        raise ValueError(
            f"unknown reset options {sorted(unknown)}; allowed: {sorted(_RESET_OPTIONS)}"
        )
    return options.get("trace_index")


def _as_trace_indices(value: Any, count: int | None) -> Any:
    """Validate ``trace_index`` as one integer (``count=None``) or one per sub-env."""
    array = np.asarray(value)
    if array.dtype.kind not in "iu" or (count is None and array.ndim != 0):
        raise ValueError(f"reset option trace_index must be an integer, got {value!r}")
    if count is None:
        return int(array)
    try:
        return np.broadcast_to(array.astype(np.int64), (count,))
    except ValueError:
        raise ValueError(
            f"reset option trace_index must be one integer or {count} of them, got {value!r}"
        ) from None


class AbrStreamingVectorEnv(VectorEnv):
    """N ABR envs stepped together in numpy (``gym.make_vec``, autoreset NEXT_STEP).

    Sub-env ``i`` has its own generator seeded ``seed + i``, so with ``trace_order='random'``
    it plays exactly the episodes of a scalar env seeded ``seed + i``. With
    ``trace_order='sequential'``, sub-env ``i`` plays traces ``i, i + N, i + 2N, ...``. The
    trace and video arrays are shared by all sub-envs (never copied per env).

    ``info`` is a dict of arrays (bitrate_kbps, quality, rebuffer_s, buffer_s, download_time_s,
    chunk_bytes, throughput_mbps, sleep_s, chunk_index, qoe, trace_index), each with its
    ``_key`` mask, describing the chunk just downloaded (for a sub-env that was just
    auto-reset, its first chunk). ``autoreset_mode`` is NEXT_STEP (the default, Gymnasium's)
    or SAME_STEP (finished sub-envs reset inside the step; their last observation and info are
    in ``info["final_obs"]`` and ``info["final_info"]``), which is what SB3's VecEnv expects.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        params: AbrParams | dict | None = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **overrides: Any,
    ) -> None:
        self.num_envs, self.autoreset_mode = check_vector_args(
            "AbrStreamingVectorEnv", num_envs, render_mode, autoreset_mode
        )
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.params = _make_params(params, overrides)
        self.model = build_model(self.params)
        self.single_action_space, self.single_observation_space = _spaces(self.model)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.render_mode = None
        self._sim = BatchSim(self.model, self.num_envs)
        self._rngs: list[np.random.Generator] | None = None
        self._next_trace = np.arange(self.num_envs, dtype=np.int64)
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._started = False
        self._all = np.arange(self.num_envs)
        self._mask = np.ones(self.num_envs, dtype=bool)
        self._mask.setflags(write=False)
        self._needs_rng = (
            self.params.trace_order == "random"
            or self.params.start == "random"
            or self.params.noise is not None
        )

    @property
    def video_sizes(self) -> np.ndarray:
        """Chunk sizes in bytes, (levels, lines); read-only and shared."""
        return self.model.video_sizes

    @property
    def ladder_kbps(self) -> np.ndarray:
        """Bitrate of each level in kbps."""
        return np.asarray(self.params.ladder_kbps)

    @property
    def chunk_index(self) -> np.ndarray:
        """Chunks downloaded so far in each sub-env."""
        return self._sim.chunk.copy()

    @property
    def buffer_s(self) -> np.ndarray:
        """Buffer of each sub-env after its last chunk, in seconds."""
        return self._sim.buffer_ms / 1000.0

    def action_masks(self) -> np.ndarray:
        """Valid levels of each sub-env, (num_envs, levels): all True (see the scalar env)."""
        return np.ones((self.num_envs, self.model.n_levels), dtype=bool)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        reseeded = reseed_vector(seed, self.num_envs, self._rngs)
        if reseeded is not None:
            self._rngs, self._np_random_seed = reseeded
            self._np_random = self._rngs[0]
            self._next_trace = self._all.copy()
        traces = _trace_option(options)
        if traces is not None:
            traces = _as_trace_indices(traces, self.num_envs)
        self._reset_envs(self._all, traces)
        self._prev_done[:] = False
        self._started = True
        return self._sim.obs.copy(), self._info()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        levels = np.asarray(actions)
        if levels.shape != (self.num_envs,):
            raise ValueError(f"actions must have shape ({self.num_envs},), got {levels.shape}")
        if levels.dtype.kind not in "iu":
            raise ValueError(f"actions must be integer levels, got dtype {levels.dtype}")
        n_levels = self.model.n_levels
        if levels.min() < 0 or levels.max() >= n_levels:
            bad = levels[(levels < 0) | (levels >= n_levels)][0]
            raise ValueError(f"actions must be in [0, {n_levels - 1}], got {bad}")
        sim = self._sim
        levels = levels.astype(np.int64, copy=False)
        done = self._prev_done
        any_done = self.autoreset_mode == AutoresetMode.NEXT_STEP and done.any()
        if any_done:  # NEXT_STEP: finished envs only reset, so step just the others
            live = np.flatnonzero(~done)
            sim.download(live, levels[live])
        else:
            sim.download(slice(None), levels)
        reward = sim.reward.copy()
        terminated = sim.chunk >= self.model.n_chunks
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            info = self._same_step_reset(terminated)  # before copying obs: it resets envs
            return sim.obs.copy(), reward, terminated, truncated, info
        if any_done:
            idx = np.flatnonzero(done)
            self._reset_envs(idx, None)
            reward[idx] = 0.0
            terminated[idx] = False
        self._prev_done = terminated.copy()
        return sim.obs.copy(), reward, terminated, truncated, self._info()

    def _same_step_reset(self, terminated: np.ndarray) -> dict[str, Any]:
        return same_step_reset(
            terminated, self._sim.obs, self._info, lambda idx: self._reset_envs(idx, None)
        )

    def _reset_envs(self, idx: np.ndarray, traces: np.ndarray | None) -> None:
        table_size = len(self.model.table)
        if traces is None and self.params.trace_order == "sequential":
            traces = self._next_trace[idx] % table_size
            self._next_trace[idx] += self.num_envs
        elif traces is not None:
            traces = traces[idx]
        if self._needs_rng:
            draws = [
                draw_episode(self._rngs[i], self.model, None if traces is None else int(traces[j]))
                for j, i in enumerate(idx)
            ]
            trace = np.array([d[0] for d in draws], dtype=np.int64)
            pointer = np.array([d[1] for d in draws], dtype=np.int64)
            noise = np.array([d[2] for d in draws]) if self.params.noise is not None else None
        else:
            trace = traces.astype(np.int64)
            if trace.size and (trace.min() < 0 or trace.max() >= table_size):
                raise ValueError(f"trace_index must be in [0, {table_size - 1}]")
            pointer = np.ones(len(idx), dtype=np.int64)
            if isinstance(self.params.start, tuple):
                pointer = np.asarray(self.params.start, dtype=np.int64)[trace]
            noise = None
        self._sim.reset(idx, trace, pointer, noise)

    def _info(self) -> dict[str, Any]:
        sim = self._sim
        delay_s = sim.delay_ms / 1000.0
        info = {
            "bitrate_kbps": np.asarray(self.params.ladder_kbps)[sim.last_q],
            "quality": sim.last_q.copy(),
            "rebuffer_s": sim.rebuf_s.copy(),
            "buffer_s": sim.buffer_ms / 1000.0,
            "download_time_s": delay_s,
            "chunk_bytes": sim.size_b.copy(),
            "throughput_mbps": sim.size_b * 8.0 / delay_s / 1e6,
            "sleep_s": sim.sleep_ms / 1000.0,
            "chunk_index": sim.chunk - 1,
            "qoe": sim.reward.copy(),
            "trace_index": sim.trace.copy(),
        }
        for key in list(info):
            info["_" + key] = self._mask
        return info


__all__ = ["AbrStreamingEnv", "AbrStreamingVectorEnv", "OBS_ROWS"]
