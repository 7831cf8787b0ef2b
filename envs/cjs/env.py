"""``netgym/SparkScheduling-v0``: which DAG stage of which Spark job runs next, with how many
executors (Decima's cluster scheduling problem, NetLLM's third task)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.scalar import SimEnv
from .bound import jct_lower_bound
from .observe import Observer, action_space, observation_space
from .params import SparkParams
from .sim import SparkSim
from .templates import JobTemplate


class SparkSchedulingEnv(SimEnv):
    """Schedule Spark jobs, DAGs of stages, on a cluster of executors (Decima's simulator).

    ## Description

    ``n_jobs`` jobs arrive as a Poisson process (job 0 at t = 0, mean gap ``interarrival_s``)
    on ``n_executors`` executors. A job is a DAG of stages drawn from a job library (embedded
    synthetic DAGs, or the 22 TPC-H queries x 7 input sizes of Decima's traces); a stage has
    identical tasks whose durations depend on the wave (an executor's first task after idling
    or moving, its first task on a new stage, or the following ones) and on the job's executor
    count. Moving an executor to another job takes ``moving_delay_s``. Whenever a pool has free
    executors and some stage is schedulable, the agent is asked, one decision at a time, for a
    stage and a parallelism cap: each decision promises ``min(cap, demand)`` executors to that
    stage, until no executor or stage is left or the agent picks no stage; the simulation then
    runs to the next such moment. The semantics are spark-sched-sim's (as NetLLM vendors it;
    ``sim.py``, ``docs/cjs.md``).

    ## Action Space

    ``Dict(stage=Discrete(max_stages + 1), n_exec=Discrete(n_executors, start=1))``: the row
    of the stage to run (``max_stages``: none, which ends the round) and the most executors to
    give it; with ``action_format='flat'``, ``MultiDiscrete([max_stages + 1, n_executors])``
    (the second entry is ``n_exec - 1``). ``action_masks()`` gives the valid entries,
    concatenated, for MaskablePPO: the schedulable rows and 'none' (masked while a stage is
    schedulable with ``mask_none=True``), then the caps 1 .. committable executors. A
    masked-out stage is taken as 'none' (``info["invalid_action"]``) or, with
    ``invalid_action='raise'``, raises ``ValueError``; a cap above the committable executors is
    lowered to it (or raises). Values outside the space always raise ``ValueError``.

    ## Observation Space

    ``Dict`` of fixed shapes, rows = the shown incomplete stages (job by job in arrival order,
    padding after them): ``stages`` ``(max_stages, 9)`` float32 features (see
    ``observe.STAGE_FEATURES``: tasks not started, last task duration, remaining work,
    schedulable, all parents complete, executors at the stage, job's executor supply, source
    job, job age); ``stage_job`` ``(max_stages,)`` the job slot of each row (-1: padding);
    ``edges`` ``(2 max_stages, 2)`` parent row -> child row (-1 padding);
    ``job_executors`` ``(max_stages,)`` each job slot's executor supply; ``committable``
    executors the decision may promise; ``source_job`` the slot of the job whose executors are
    free (-1: the common pool); ``active_jobs`` jobs in the system (shown or not). With
    ``observation='graph'``: ``graph``, a ``gymnasium.spaces.Graph`` of the shown stages (the
    9 features plus the job slot; edges parent -> child), and the three scalars.

    ## Rewards

    Minus the job-time accumulated since the last decision, in seconds: the sum over the jobs
    in the system of the time that passed. The return of a finished episode is minus the sum
    of the jobs' completion times, so it ranks policies by mean JCT (= -return / n_jobs).

    ## Starting State

    ``reset`` draws the job sequence (per job a query, an input size and the gap to the next
    arrival, in spark-sched-sim's order, so a seed gives the anchor's sequence) and runs to
    the first decision: job 0 has arrived and all executors are free in the common pool.

    ## Episode End

    Terminates when every job has completed; truncated after ``max_decisions`` decisions.

    ``info``: ``time_s`` (simulated clock), ``completed_jobs``, ``active_jobs``,
    ``mean_jct_s`` (of the completed jobs, 0 before any), ``makespan_s`` (last completion),
    ``job_time_s`` (minus the return so far), ``committable``, ``hidden_stages`` (incomplete
    stages not shown: beyond ``max_stages``), ``invalid_action``.

    ## Arguments

    ``params``: a ``SparkParams``, a dict of its fields, a preset name ('default',
    'fewer_executors', 'more_jobs', 'higher_rate', 'small', 'tpch') or None; keyword overrides
    of any field, e.g. ``gym.make("netgym/SparkScheduling-v0", dag_source="tpch",
    data="shared/data/cjs/tpch", n_executors=30)``.

    Public attributes that policies may read: ``params``, ``rows`` (the sim's stage id of each
    row), ``jobs`` (the episode's ``JobTemplate`` of each job), ``arrival_s``, ``now_s`` and
    ``lower_bound()``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": []}
    params_class = SparkParams

    params: SparkParams

    def setup(self) -> None:
        p = self.params
        self.library = p.library()
        if p.max_stages < self.library.max_stages:
            raise ValueError(
                f"SparkParams.max_stages must be >= {self.library.max_stages} (the most stages "
                f"of a job in the {self.library.source} library), got {p.max_stages}"
            )
        self.sim = SparkSim(
            self.library,
            p.n_jobs,
            p.n_executors,
            p.interarrival_s,
            p.moving_delay_s,
            p.warmup_delay_s,
            p.max_stages,
        )
        self.observer = Observer(p)
        self.action_space = action_space(p)
        self.observation_space = observation_space(p, self.library)
        self._flat = p.action_format == "flat"
        self._decisions = 0
        self._job_time = 0.0
        self._invalid = False

    # ------------------------------------------------------------------ public attributes
    @property
    def rows(self) -> list[int]:
        """The sim's stage id shown in each row of the last observation."""
        return list(self.observer.rows)

    @property
    def jobs(self) -> list[JobTemplate]:
        """The template (DAG and durations) of each job of the episode."""
        return list(self.sim.job_templates)

    @property
    def arrival_s(self) -> list[float]:
        """Arrival time of each job of the episode."""
        return list(self.sim.arrival_s)

    @property
    def now_s(self) -> float:
        """The simulated clock."""
        return self.sim.now

    def lower_bound(self) -> dict[str, float]:
        """Lower bounds on this episode's mean JCT (``bound.jct_lower_bound``)."""
        p = self.params
        return jct_lower_bound(
            self.sim.job_templates, self.sim.arrival_s, p.n_executors, p.moving_delay_s
        )

    # ------------------------------------------------------------------ SimEnv hooks
    def reset_sim(self, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        self.sim.reset(self.np_random)
        self._decisions = 0
        self._job_time = self.sim.job_time_s
        self._invalid = False
        return self.observer.observe(self.sim), self._info()

    def check_action(self, action: Any) -> tuple[int, int]:
        p = self.params
        if self._flat:
            values = np.asarray(action)
            if values.shape != (2,) or values.dtype.kind not in "iu":
                raise ValueError(
                    f"action must be 2 integers [stage row, n_exec - 1], got {action!r}"
                )
            row, n_exec = int(values[0]), int(values[1]) + 1
        else:
            if type(action) is dict:  # the common case, without the ABC check
                keys_ok = len(action) == 2 and "stage" in action and "n_exec" in action
            else:
                keys_ok = isinstance(action, Mapping) and set(action) == {"stage", "n_exec"}
            if not keys_ok:
                raise ValueError(f"action must be a dict with 'stage' and 'n_exec', got {action!r}")
            try:
                row, n_exec = operator.index(action["stage"]), operator.index(action["n_exec"])
            except TypeError:
                raise ValueError(f"action entries must be integers, got {action!r}") from None
        if not 0 <= row <= p.max_stages:
            raise ValueError(
                f"action stage must be a row in [0, {p.max_stages - 1}] or {p.max_stages} "
                f"(none), got {row}"
            )
        if not 1 <= n_exec <= p.n_executors:
            raise ValueError(
                f"action n_exec (the executor cap) must be in [1, {p.n_executors}], got {n_exec}"
            )
        return row, n_exec

    def step_sim(self, action: tuple[int, int]) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        row, n_exec = action
        sim, p = self.sim, self.params
        stage = None if row == p.max_stages else self._checked_stage(row)
        committable = sim.pools.committable()
        if stage is not None and n_exec > committable:
            if p.invalid_action == "raise":
                raise ValueError(
                    f"action n_exec={n_exec} exceeds the {committable} executors this decision "
                    "may promise (see action_masks())"
                )
            n_exec = committable
        sim.act(stage, n_exec)
        self._decisions += 1
        job_time = sim.job_time_s
        reward = self._job_time - job_time
        self._job_time = job_time
        truncated = not sim.done and self._decisions >= p.max_decisions
        return self.observer.observe(sim), reward, sim.done, truncated, self._info()

    def action_masks(self) -> np.ndarray:
        """Valid action entries, concatenated: ``max_stages + 1`` stage entries (the last is
        'none': valid unless ``mask_none`` and a stage is schedulable) then ``n_executors``
        caps 1 .. n_executors (up to the committable executors)."""
        stage_mask, exec_mask = self.observer.masks(self.sim)
        if not exec_mask.any():
            exec_mask[0] = True  # at the end of an episode: keep one valid cap
        return np.concatenate([stage_mask, exec_mask])

    def render(self) -> None:
        """No render modes."""
        return None

    # ------------------------------------------------------------------ helpers
    def _checked_stage(self, row: int) -> int | None:
        rows = self.observer.rows
        stage = rows[row] if row < len(rows) else None
        self._invalid = stage is None or stage not in self.sim.round_schedulable
        if not self._invalid:
            return stage
        if self.params.invalid_action == "raise":
            what = (
                "is padding (no stage)"
                if stage is None
                else "holds a stage that is not schedulable"
            )
            raise ValueError(
                f"action stage row {row} {what}; pick a row whose action_masks() entry is True "
                f"or {self.params.max_stages} for none"
            )
        return None

    def _info(self) -> dict[str, Any]:
        sim = self.sim
        completed = sim.completed_jobs
        shown = len(self.observer.rows)
        incomplete = sim.incomplete_stages
        info = {
            "time_s": sim.now,
            "completed_jobs": completed,
            "active_jobs": len(sim.active_jobs),
            "mean_jct_s": sim.total_jct_s / completed if completed else 0.0,
            "makespan_s": sim.makespan_s,
            "job_time_s": sim.job_time_s,
            "committable": 0 if sim.done else sim.pools.committable(),
            "hidden_stages": incomplete - shown,
            "invalid_action": self._invalid,
        }
        self._invalid = False
        return info


__all__ = ["SparkSchedulingEnv"]
