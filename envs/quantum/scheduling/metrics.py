"""QoS metrics of the multi-user scheduling env, defined as in the QoS paper's code.

Skrzypczyk & Wehner (arXiv:2111.13124), ``mdskrzypczyk/LinkScheduling``,
``simulations/common.py::schedule_taskset`` and ``simulations/analysis.py``:

* throughput = pairs delivered by the admitted tasks in the schedule / its duration (ebit/s);
  here: pairs that completed a job (fidelity >= F_min, before the deadline) / elapsed time;
* worst-case response time ``get_wcrt_in_slots``: max over jobs of (end slot - release slot)
  x slot, max over demands; here the end slot is the slot after the one the pair was delivered
  in (the paper's schedule intervals are [start, end));
* jitter ``get_start_jitter_in_slots``: per demand, the population variance (``np.var``) of
  (s_{k+1} - s_k - period) x slot over consecutive job starts, in s^2; the max over demands;
  here s_k is the slot the execution that completed job k was started in;
* satisfied demands: the paper's admitted tasks, whose schedule meets every deadline; here a
  demand is satisfied when it completed at least one job and missed none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class JobRecord:
    """One completed job: when it was released, when its service started, when it ended.

    Attributes:
        release_slot: slot the job was released in.
        start_slot: slot the execution that served it was started in.
        end_slot: first slot after the delivery (the paper's exclusive end).
    """

    release_slot: int
    start_slot: int
    end_slot: int


def qos_metrics(
    periods_slots: Sequence[int],
    completed: Sequence[Sequence[JobRecord]],
    missed: Sequence[int],
    elapsed_slots: int,
    slot_s: float,
) -> dict[str, float]:
    """Throughput, worst-case response time, jitter and satisfied fraction (module docstring).

    Args:
        periods_slots: period of each demand, in slots.
        completed: per demand, its completed jobs in completion order.
        missed: per demand, the number of jobs whose deadline passed uncompleted.
        elapsed_slots: slots simulated so far.
        slot_s: slot duration.

    Returns:
        ``throughput_ebit_s``, ``wcrt_s``, ``jitter_s2``, ``satisfied_fraction`` (all 0 before
        anything happened; never NaN).
    """
    n = len(periods_slots)
    if len(completed) != n or len(missed) != n:
        raise ValueError("periods_slots, completed and missed need one entry per demand")
    pairs = sum(len(jobs) for jobs in completed)
    throughput = pairs / (elapsed_slots * slot_s) if elapsed_slots > 0 else 0.0
    wcrt_slots = max(
        (job.end_slot - job.release_slot for jobs in completed for job in jobs), default=0
    )
    jitter = 0.0
    for period, jobs in zip(periods_slots, completed, strict=True):
        starts = np.array([job.start_slot for job in jobs], dtype=float)
        if len(starts) >= 2:
            change = (np.diff(starts) - period) * slot_s
            jitter = max(jitter, float(np.var(change)))
    satisfied = sum(1 for jobs, miss in zip(completed, missed, strict=True) if jobs and miss == 0)
    return {
        "throughput_ebit_s": float(throughput),
        "wcrt_s": float(wcrt_slots * slot_s),
        "jitter_s2": jitter,
        "satisfied_fraction": satisfied / n if n else 0.0,
    }


__all__ = ["JobRecord", "qos_metrics"]
