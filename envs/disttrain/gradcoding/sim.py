"""The batched sim of ``netgym/SeqGradCoding-v0`` (the ``BatchSim`` protocol).

An env step is one epoch: ``epoch_jobs`` new jobs under the chosen arm, one round each. When
the arm changes, the old scheme first drains: it runs ``T_old`` more rounds at its load so that
its in-flight jobs decode, and the new scheme starts with an empty straggler history. After
the last epoch the final scheme drains ``T`` rounds. A fixed arm thus runs ``J + T`` rounds, as
in the paper's evaluation. Round durations follow ``rounds.play_round``; the reward is minus
the epoch's time over ``c_comp + median base delay``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.budget import check_memory, format_bytes
from ...core.sim import Rows, rows
from .observe import OBS_SIZE, WINDOW, observe
from .params import SeqGradCodingParams
from .rounds import BURST_CAP, RoundRule, clairvoyant_floor, play_segment
from .schemes import ArmTable, build_menu
from .stragglers import draw_delays
from .traces import load_trace


def round_rule(params: SeqGradCodingParams) -> RoundRule:
    """The rule's constants from ``params``."""
    return RoundRule(
        mu=params.mu,
        c_comp=params.c_comp,
        profile_load=params.trace_load if params.trace_path else 0.0,
        gc_strict=params.gc_strict,
        charge_full_wait=params.charge_full_wait,
    )


BIT_WEIGHTS = 1 << np.arange(WINDOW)
"""bit r marks round r back in the ``seen`` window"""


class GradCodingSim:
    """N SeqGradCoding episodes (see the module docstring)."""

    def __init__(self, params: SeqGradCodingParams, num_envs: int) -> None:
        self.params, self.num_envs = params, num_envs
        n = params.n_workers
        self.table = ArmTable.of(build_menu(n, params.max_window), n)
        self.rule = round_rule(params)
        self.max_rounds = params.jobs + params.epochs * int(self.table.delay.max())
        self.trace = None if params.trace_path is None else load_trace(params.trace_path)
        if self.trace is not None:
            rows_, cols = self.trace.shape
            if rows_ < n or cols < self.max_rounds:
                raise ValueError(
                    f"delay trace {params.trace_path} has {rows_} workers x {cols} rounds; an "
                    f"episode needs {n} workers and up to {self.max_rounds} rounds (J + epochs "
                    "x the longest decoding delay of the menu); use fewer jobs or workers, or a "
                    "smaller max_window"
                )
        self.reward_scale = params.c_comp + (
            params.base_s if self.trace is None else float(np.median(self.trace[:n]))
        )
        """c_comp + the median base delay (synthetic: base_s; a trace: its median), seconds"""
        per_env = self.bytes_per_env(params)
        check_memory("SeqGradCoding", per_env * num_envs, f"{num_envs} x {format_bytes(per_env)}")
        m, r = num_envs, self.max_rounds
        self.d0 = np.zeros((m, r, n)).transpose(0, 2, 1)
        """(N, n, rounds) base delays, stored round-major (each round's delays contiguous)"""
        self.late_log = np.zeros((m, r, n), dtype=bool)
        self.round_log = np.zeros((m, r, 3))
        """per round: duration, fastest delay, arm"""
        self.erased: list[list[int]] = [[] for _ in range(m)]
        """per env, the erased straggler sets of the past rounds (bit sets), newest first"""
        self.burst = np.zeros((m, n), dtype=np.uint8)
        self._last_conform = 0
        self.seen = np.zeros((m, n), dtype=np.uint8)
        self.recent_late = np.zeros((m, WINDOW))
        self.recent_duration = np.zeros((m, WINDOW))
        self.t = np.zeros(m, dtype=np.int64)
        self.jobs_started = np.zeros(m, dtype=np.int64)
        self.arm = np.full(m, -1, dtype=np.int64)
        self.runtime = np.zeros(m)
        self.floor = np.ones(m)
        self.norm = np.ones(m)
        self.epoch_time = np.zeros(m)
        self.epoch_rounds = np.zeros(m, dtype=np.int64)
        self.epoch_conform = np.zeros(m)
        self.switches = np.zeros(m, dtype=np.int64)
        self.regime = np.zeros((m, r), dtype=np.int64)
        self.done = np.zeros(m, dtype=bool)
        self.reward = np.zeros(m)

    @staticmethod
    def bytes_per_env(params: SeqGradCodingParams) -> float:
        """Bytes of one env's delays and logs."""
        rounds = params.jobs + params.epochs * (params.max_window * 2 - 3)
        return float(rounds * params.n_workers * (8 + 1) + rounds * 40 + params.n_workers * 4)

    # ------------------------------------------------------------------ BatchSim
    @property
    def terminated(self) -> np.ndarray:
        """(N,) every job decoded."""
        return self.done

    @property
    def truncated(self) -> np.ndarray:
        """(N,) all False."""
        return np.zeros(self.num_envs, dtype=bool)

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """New delays and an empty history in envs ``idx``."""
        p = self.params
        for m in rows(idx, self.num_envs):
            rng = rngs[m]
            if self.trace is None:
                draw = draw_delays(p.straggler_model, p.n_workers, self.max_rounds, rng)
                d0 = draw.d0
                self.regime[m] = draw.regime
            else:
                last = self.trace.shape[1] - self.max_rounds
                start = (
                    p.trace_offset if p.trace_offset is not None else int(rng.integers(last + 1))
                )
                start = min(start, last)
                d0 = self.trace[: p.n_workers, start : start + self.max_rounds]
                self.regime[m] = 0
            self.d0[m] = d0
            self.floor[m] = clairvoyant_floor(d0, self.rule, p.n_workers, p.jobs)
            self.norm[m] = self.reward_scale
        every = rows(idx, self.num_envs)
        self.late_log[every] = False
        self.round_log[every] = 0.0
        for m in every:
            self.erased[m] = []
        self.burst[every] = 0
        self.seen[every] = 0
        self.recent_late[every] = 0.0
        self.recent_duration[every] = 0.0
        for array in (self.t, self.jobs_started, self.switches, self.epoch_rounds):
            array[every] = 0
        for array in (self.runtime, self.epoch_time, self.epoch_conform, self.reward):
            array[every] = 0.0
        self.arm[every] = -1
        self.done[every] = False

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """One epoch in each env of ``idx`` under arms ``actions``."""
        p = self.params
        delay = self.table.delay
        arms = np.asarray(actions, dtype=np.int64).reshape(-1)
        for m, new in zip(rows(idx, self.num_envs), arms.tolist(), strict=True):
            old = int(self.arm[m])
            k = min(p.epoch_jobs, p.jobs - int(self.jobs_started[m]))
            last = int(self.jobs_started[m]) + k >= p.jobs
            self.epoch_time[m] = 0.0
            rounds = conform = 0
            if old >= 0 and old != new:
                rounds += self._segment(m, old, int(delay[old]))
                conform += self._last_conform
                self.switches[m] += 1
            if old != new:
                self.erased[m] = []  # the new scheme starts without a history
            rounds += self._segment(m, new, k + (int(delay[new]) if last else 0))
            conform += self._last_conform
            self.arm[m] = new
            self.jobs_started[m] += k
            self.done[m] = last
            self.epoch_rounds[m] = rounds
            self.epoch_conform[m] = conform / rounds
            self.reward[m] = -self.epoch_time[m] / self.norm[m]

    def _segment(self, m: int, arm: int, count: int) -> int:
        """``count`` rounds of env m under ``arm``; returns ``count``."""
        self._last_conform = 0
        if count == 0:
            return 0
        t0 = int(self.t[m])
        d0 = self.d0[m, :, t0 : t0 + count]
        seg = play_segment(d0, arm, self.table, self.rule, self.erased[m])
        late = seg.late.T  # (count, n)
        self.late_log[m, t0 : t0 + count] = late
        log = self.round_log[m, t0 : t0 + count]
        log[:, 0] = seg.duration
        log[:, 1] = seg.fastest
        log[:, 2] = arm
        # burst lengths: the trailing run of late rounds, continued if late all along
        reverse = late[::-1]
        run = np.argmin(reverse, axis=0)
        always = reverse.all(axis=0)
        if always.any():
            run = np.where(always, count + self.burst[m].astype(np.int64), run)
        self.burst[m] = np.minimum(run, BURST_CAP)
        tail = min(count, WINDOW)
        recent = reverse[:tail]
        bits = BIT_WEIGHTS[:tail] @ recent
        late_counts = recent.sum(axis=1)
        newest = seg.duration[::-1][:tail]
        if tail == WINDOW:  # the window holds this segment's rounds only
            self.seen[m] = bits
            self.recent_late[m] = late_counts
            self.recent_duration[m] = newest
        else:
            self.seen[m] = ((self.seen[m].astype(np.int64) << tail) | bits) & 0xFF
            self.recent_late[m] = np.concatenate(
                [late_counts, self.recent_late[m, : WINDOW - tail]]
            )
            self.recent_duration[m] = np.concatenate(
                [newest, self.recent_duration[m, : WINDOW - tail]]
            )
        total = float(seg.duration.sum())
        self.runtime[m] += total
        self.epoch_time[m] += total
        self._last_conform = int(seg.conform.sum())
        self.t[m] = t0 + count
        return count

    def observation(self) -> np.ndarray:
        """(N, OBS_SIZE) float32 observations."""
        return observe(self)

    def observation_size(self) -> int:
        """Length of one env's observation."""
        return OBS_SIZE

    def info(self) -> dict[str, np.ndarray]:
        """Per-env arrays."""
        late_now = self.late_log[np.arange(self.num_envs), np.maximum(self.t - 1, 0)].sum(axis=1)
        arm = np.maximum(self.arm, 0)
        return {
            "iteration_time": self.runtime.copy(),
            "lower_bound": self.floor.copy(),
            "epoch_time": self.epoch_time.copy(),
            "rounds": self.t.copy(),
            "conforming": self.epoch_conform.copy(),
            "arm": self.arm.copy(),
            "load": np.where(self.arm >= 0, self.table.load[arm], 0.0),
            "switches": self.switches.copy(),
            "jobs_started": self.jobs_started.copy(),
            "stragglers": late_now.astype(np.int64),
        }


__all__ = ["GradCodingSim", "round_rule"]
