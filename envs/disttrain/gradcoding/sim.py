"""The batched sim of ``netgym/SeqGradCoding-v0`` (the ``BatchSim`` protocol).

An env step is one epoch: ``epoch_jobs`` new jobs under the chosen arm, one round each. When
the arm changes, the old scheme first drains: it runs ``T_old`` more rounds at its load so that
its in-flight jobs decode, and the new scheme starts with an empty straggler history. After
the last epoch the final scheme drains ``T`` rounds. A fixed arm thus runs ``J + T`` rounds, as
in the paper's evaluation. Round durations follow the round rule (``rounds.py``); the reward is
minus the epoch's time over ``c_comp + median base delay``. A step plays every env's epoch in
one compiled kernel (``kernels.play_epochs``); a reset draws each env's delays in numpy from
its own generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.budget import check_memory, format_bytes
from ...core.sim import Rows, rows
from .kernels import play_epochs
from .observe import OBS_SIZE, WINDOW, observe
from .params import SeqGradCodingParams
from .rounds import RoundRule, clairvoyant_floor, rule_arrays
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
        self.rules = rule_arrays(self.table, self.rule)
        self.kinds = np.ascontiguousarray(self.table.kind, dtype=np.int64)
        self.episode = np.array([params.jobs, params.epoch_jobs], dtype=np.int64)
        self.delays = np.zeros((m, r, n))
        """(N, rounds, n) base delays, round-major (what the kernel reads)"""
        self.d0 = self.delays.transpose(0, 2, 1)
        """(N, n, rounds) the same base delays, as ``delay_profile`` returns them"""
        self.late_log = np.zeros((m, r, n), dtype=bool)
        self.round_log = np.zeros((m, r, 3))
        """per round: duration, fastest delay, arm"""
        self.per_worker = np.zeros((m, 3, n), dtype=np.uint8)
        """per env and worker: erased-straggler history (bit i: round r-1-i), burst length,
        late bits of the last 8 rounds"""
        self.burst = self.per_worker[:, 1]
        self.seen = self.per_worker[:, 2]
        self.recent = np.zeros((m, 2, WINDOW))
        """late counts and durations of the last 8 rounds, newest first"""
        self.recent_late = self.recent[:, 0]
        self.recent_duration = self.recent[:, 1]
        self.counters = np.zeros((m, 5), dtype=np.int64)
        """rounds played, jobs started, arm (-1: none), switches, the last epoch's rounds"""
        self.t, self.jobs_started, self.arm, self.switches, self.epoch_rounds = self.counters.T
        self.times = np.zeros((m, 5))
        """runtime, the last epoch's time, its conforming share, reward, reward scale"""
        self.runtime, self.epoch_time, self.epoch_conform, self.reward, self.norm = self.times.T
        self.floor = np.ones(m)
        self.regime = np.zeros((m, r), dtype=np.int64)
        self.done = np.zeros(m, dtype=bool)
        self._scratch = np.zeros(r)

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
        model = p.straggler_model
        for m in rows(idx, self.num_envs):
            rng = rngs[m]
            if self.trace is None:
                draw = draw_delays(model, p.n_workers, self.max_rounds, rng, self.delays[m])
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
        every = rows(idx, self.num_envs)
        self.norm[every] = self.reward_scale
        self.late_log[every] = False
        self.round_log[every] = 0.0
        self.per_worker[every] = 0
        self.recent[every] = 0.0
        self.counters[every] = (0, 0, -1, 0, 0)
        self.times[every, :4] = 0.0
        self.done[every] = False

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """One epoch in each env of ``idx`` under arms ``actions`` (one ``play_epochs`` call)."""
        play_epochs(
            np.ascontiguousarray(rows(idx, self.num_envs), dtype=np.int64),
            np.ascontiguousarray(actions, dtype=np.int64).reshape(-1),
            self.episode,
            self.rules,
            self.delays,
            self.late_log,
            self.round_log,
            self.per_worker,
            self.recent,
            self.counters,
            self.times,
            self.done,
            self._scratch,
        )

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

    def info_of(self, m: int) -> dict[str, Any]:
        """Env ``m``'s ``info`` as Python scalars (the scalar env's; the values of ``info()``)."""
        arm, t = int(self.arm[m]), int(self.t[m])
        return {
            "iteration_time": float(self.runtime[m]),
            "lower_bound": float(self.floor[m]),
            "epoch_time": float(self.epoch_time[m]),
            "rounds": t,
            "conforming": float(self.epoch_conform[m]),
            "arm": arm,
            "load": float(self.table.load[arm]) if arm >= 0 else 0.0,
            "switches": int(self.switches[m]),
            "jobs_started": int(self.jobs_started[m]),
            "stragglers": int(np.count_nonzero(self.late_log[m, max(t - 1, 0)])),
        }


__all__ = ["GradCodingSim", "round_rule"]
