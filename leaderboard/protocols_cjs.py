"""The leaderboard protocols of the cluster job scheduling family (``netgym.envs.cjs``).

The score is the return, minus the sum of the jobs' completion times (seconds): divide by the
protocol's job count for the mean JCT. Anchors: random = 0 (spark-sched-sim's random
scheduler: a random job's stage, a random cap) and Fair = 1 (spark-sched-sim's, free of
randomness). FIFO, the issue's first choice of reference, is no better than the random
scheduler in these settings (91.6 vs 77.9 s mean JCT under ``cjs-default``, 78.6 vs 80.9 s
under ``cjs-tpch``), so with it as 1 the normalised scores would divide by about nothing or
flip sign.

``cjs-default`` is NetLLM's default setting on the embedded synthetic jobs, ``cjs-tpch`` the
same on the TPC-H traces (``netgym data fetch cjs/tpch``), and the other three are NetLLM-style
unseen settings: 30 executors, 450 jobs, a 50 % higher arrival rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocols import Anchors, define_protocol

ENV_ID = "netgym/SparkScheduling-v0"
ANCHORS = Anchors(reference="fair")
ENTRY_KWARGS = ("action_format", "mask_none")
"""what an entry keeps from its training env: how it acts (the flat MultiDiscrete action of
MaskablePPO and PPO, and whether its masks rule out 'none' while a stage is schedulable),
never the jobs, the cluster or the score"""


def default(data_dir: Path | None, **changes: Any) -> dict[str, Any]:
    """200 jobs, a mean gap of 25 s, 50 executors, synthetic DAGs; ``changes`` override."""
    from netgym.envs.cjs import SparkParams

    return {"params": SparkParams(**changes)}


def tpch(data_dir: Path | None) -> dict[str, Any]:
    """The default setting on the TPC-H traces in ``tpch/`` under the data folder."""
    from netgym.envs.cjs import SparkParams

    return {"params": SparkParams(dag_source="tpch", data=str(Path(data_dir) / "tpch"))}


def quick(data_dir: Path | None, **changes: Any) -> dict[str, Any]:
    """A quarter of the jobs (50) for the ``--quick`` variants."""
    return default(data_dir, **{"n_jobs": 50, **changes})


SETTINGS = {
    "cjs-default": ({}, "NetLLM's default setting"),
    "cjs-fewer-executors": ({"n_executors": 30}, "unseen setting: 30 executors instead of 50"),
    "cjs-more-jobs": ({"n_jobs": 450}, "unseen setting: 450 jobs instead of 200"),
    "cjs-higher-rate": (
        {"interarrival_s": 25.0 / 1.5},
        "unseen setting: a 50 % higher arrival rate (mean gap 16.7 s)",
    ),
}
"""protocol name -> (SparkParams changes, what it is)"""


def _define(name: str, changes: dict[str, Any], what: str) -> None:
    jobs = changes.get("n_jobs", 200)
    define_protocol(
        name,
        ENV_ID,
        lambda data_dir: default(data_dir, **changes),
        ANCHORS,
        seeds=5,
        episodes=2,
        quick=(1, 2),
        quick_kwargs=lambda data_dir: quick(data_dir, **{**changes, "n_jobs": jobs // 4}),
        metric="mean",
        entry_kwargs=ENTRY_KWARGS,
        description=f"Spark cluster scheduling, {what}: {jobs} jobs on "
        f"{changes.get('n_executors', 50)} executors, synthetic DAGs; score = return = "
        f"-(sum of JCTs, s); mean JCT = -score / {jobs}",
    )


for _name, (_changes, _what) in SETTINGS.items():
    _define(_name, _changes, _what)

define_protocol(
    "cjs-tpch",
    ENV_ID,
    tpch,
    ANCHORS,
    seeds=5,
    episodes=2,
    metric="mean",
    datasets=("cjs/tpch",),
    entry_kwargs=ENTRY_KWARGS,
    fingerprint_kwargs=lambda data_dir: default(data_dir),
    description="Spark cluster scheduling on the TPC-H traces (NetLLM's default setting: 200 "
    "jobs, 50 executors); score = return = -(sum of JCTs, s); mean JCT = -score / 200",
)
