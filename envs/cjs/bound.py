"""Lower bounds on an episode's mean job completion time (no scheduler can do better).

Two relaxations, both with every task at its stage's shortest recorded duration and no
warm-up delay:

- **critical path**: a job completes no earlier than its arrival plus the moving delay (every
  executor starts in the common pool, so the job's first executor has to move to it) plus its
  heaviest chain of stages, one task per stage (every stage's tasks in parallel: unlimited
  executors);
- **work**: the ``n_executors`` executors pooled into one machine ``n_executors`` times as
  fast that may pre-empt and split jobs at will (no DAG, no per-task granularity); on it,
  shortest-remaining-work-first minimises the sum of completion times (Schrage's rule), so its
  mean JCT is a lower bound.

``jct_lower_bound`` reports both and their maximum (``mean_jct_s``).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from .templates import JobTemplate


def srpt_mean_flow_s(work_s: Sequence[float], arrival_s: Sequence[float], speed: float) -> float:
    """Mean completion time minus arrival of jobs with ``work_s`` on one pre-emptive machine of
    ``speed`` serving the job with the least remaining work first."""
    order = sorted(range(len(work_s)), key=lambda j: arrival_s[j])
    pending: list[tuple[float, int]] = []
    t, index, total = 0.0, 0, 0.0
    while index < len(order) or pending:
        if not pending:
            t = max(t, arrival_s[order[index]])
        while index < len(order) and arrival_s[order[index]] <= t:
            job = order[index]
            heapq.heappush(pending, (work_s[job] / speed, job))
            index += 1
        left, job = heapq.heappop(pending)
        next_arrival = arrival_s[order[index]] if index < len(order) else float("inf")
        if t + left <= next_arrival:
            t += left
            total += t - arrival_s[job]
        else:
            heapq.heappush(pending, (left - (next_arrival - t), job))
            t = next_arrival
    return total / max(len(work_s), 1)


def jct_lower_bound(
    jobs: Sequence[JobTemplate],
    arrival_s: Sequence[float],
    n_executors: int,
    moving_delay_s: float = 0.0,
) -> dict[str, float]:
    """``critical_path_s``, ``work_s`` (see the module docstring) and ``mean_jct_s``, their
    maximum: lower bounds on the mean JCT of the episode with these jobs and arrivals."""
    if not jobs:
        return {"critical_path_s": 0.0, "work_s": 0.0, "mean_jct_s": 0.0}
    critical = moving_delay_s + sum(job.min_critical_path_s for job in jobs) / len(jobs)
    work = srpt_mean_flow_s([job.min_work_s for job in jobs], arrival_s, float(n_executors))
    return {"critical_path_s": critical, "work_s": work, "mean_jct_s": max(critical, work)}


__all__ = ["jct_lower_bound", "srpt_mean_flow_s"]
