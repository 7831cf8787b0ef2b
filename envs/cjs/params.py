"""Parameters of ``netgym/SparkScheduling-v0`` (``SparkParams``) and its named presets.

The defaults are spark-sched-sim's as NetLLM runs it (reference/netllm.md 3.1): 200 jobs
arriving as a Poisson process with a mean gap of 25 s on 50 executors, 2 s to move an executor
between jobs and 1 s of warm-up. The presets are NetLLM-style unseen settings: 30 executors,
450 jobs, or a 50 % higher arrival rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..core.params import EnvParams
from ..core.validation import check_choice, check_int, check_range, set_field
from .synthetic import SyntheticDags, synthetic_library
from .templates import JobLibrary
from .tpch import QUERY_SIZES, load_tpch

DAG_SOURCES = ("synthetic", "tpch")
ACTION_FORMATS = ("dict", "flat")
INVALID_ACTIONS = ("decline", "raise")
OBSERVATIONS = ("padded", "graph")
OWNER = "SparkParams"


def default_tpch_folder() -> Path:
    """``cjs/tpch`` under netgym's data root (``$NETGYM_DATA``, else ``~/.cache/netgym/data``;
    ``netgym data fetch cjs/tpch`` puts the traces there)."""
    from netgym.data import data_root

    return data_root() / "cjs" / "tpch"


@dataclass(frozen=True)
class SparkParams(EnvParams):
    """All parameters of ``netgym/SparkScheduling-v0`` (the keyword arguments of the env)."""

    ENV_NAME: ClassVar[str] = "SparkScheduling"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "fewer_executors": "fewer_executors",
        "more_jobs": "more_jobs",
        "higher_rate": "higher_rate",
        "small": "small",
        "tpch": "tpch",
    }

    n_jobs: int = 200
    """jobs per episode (spark-sched-sim's ``job_arrival_cap``)"""
    n_executors: int = 50
    """executors of the cluster"""
    interarrival_s: float = 25.0
    """mean gap between job arrivals (exponential; job 0 arrives at t = 0)"""
    moving_delay_s: float = 2.0
    """time an executor takes to move to another job"""
    warmup_delay_s: float = 1.0
    """added to the first task of an idle or moved executor where no fresh duration is
    recorded"""
    dag_source: str = "synthetic"
    """'synthetic' (embedded, seeded: ``synthetic``) or 'tpch' (the TPC-H traces in ``data``)"""
    data: Any = None
    """the TPC-H folder (holding ``2g/`` ... ``100g/``) for dag_source='tpch'; None:
    ``$NETGYM_DATA/cjs/tpch``"""
    tpch_sizes: tuple[str, ...] = QUERY_SIZES
    """input sizes of the TPC-H queries a job may have"""
    synthetic: SyntheticDags = field(default_factory=SyntheticDags)
    """the synthetic job library's settings (a ``SyntheticDags`` or a dict of its fields)"""
    max_stages: int = 128
    """rows of the observation: incomplete stages a decision shows (jobs beyond them wait)"""
    max_edges: int | None = None
    """rows of the observation's edge list; None = 2 x max_stages"""
    max_decisions: int = 100_000
    """decisions after which an episode is truncated"""
    action_format: str = "dict"
    """'dict' (``Dict(stage, n_exec)``) or 'flat' (``MultiDiscrete``, for SB3 and MaskablePPO)"""
    mask_none: bool = False
    """mask the 'none' stage while some stage is schedulable (Decima's agent never declines;
    for masked training)"""
    invalid_action: str = "decline"
    """a masked-out stage: 'decline' (taken as no stage; ``info['invalid_action']``) or
    'raise' (``ValueError``)"""
    observation: str = "padded"
    """'padded' (fixed-shape ``Dict`` of arrays) or 'graph' (a ``gymnasium.spaces.Graph`` of
    the shown stages plus the same per-decision numbers)"""

    def __post_init__(self) -> None:
        owner = OWNER
        for name in ("n_jobs", "n_executors", "max_stages", "max_decisions"):
            check_int(self, owner, name, low=1)
        for name in ("interarrival_s", "moving_delay_s", "warmup_delay_s"):
            check_range(owner, name, getattr(self, name), low=0, low_inclusive=False)
        check_choice(owner, "dag_source", self.dag_source, DAG_SOURCES)
        check_choice(owner, "action_format", self.action_format, ACTION_FORMATS)
        check_choice(owner, "invalid_action", self.invalid_action, INVALID_ACTIONS)
        check_choice(owner, "observation", self.observation, OBSERVATIONS)
        if not isinstance(self.mask_none, bool):
            raise ValueError(f"{owner}.mask_none must be True or False, got {self.mask_none!r}")
        if self.max_edges is not None:
            check_int(self, owner, "max_edges", low=1)
        if isinstance(self.synthetic, dict):
            try:
                set_field(self, "synthetic", SyntheticDags(**self.synthetic))
            except TypeError as err:
                raise ValueError(f"{owner}.synthetic: {err}") from None
        elif not isinstance(self.synthetic, SyntheticDags):
            raise ValueError(
                f"{owner}.synthetic must be a SyntheticDags or a dict of its fields, "
                f"got {type(self.synthetic).__name__}"
            )
        if isinstance(self.tpch_sizes, str) or not all(s in QUERY_SIZES for s in self.tpch_sizes):
            raise ValueError(
                f"{owner}.tpch_sizes must be some of {QUERY_SIZES}, got {self.tpch_sizes!r}"
            )
        set_field(self, "tpch_sizes", tuple(self.tpch_sizes))
        if not self.tpch_sizes:
            raise ValueError(f"{owner}.tpch_sizes must name at least one size")
        if self.data is not None:
            if not isinstance(self.data, (str, os.PathLike)):
                raise ValueError(f"{owner}.data must be a folder path, got {self.data!r}")
            set_field(self, "data", str(self.data))
        if self.dag_source == "synthetic" and self.data is not None:
            raise ValueError(f"{owner}.data is only read with dag_source='tpch'")

    # ------------------------------------------------------------------ derived values
    @property
    def edge_rows(self) -> int:
        """Rows of the observation's edge list."""
        return 2 * self.max_stages if self.max_edges is None else self.max_edges

    def library(self) -> JobLibrary:
        """The job library of ``dag_source`` (cached per process).

        Raises:
            FileNotFoundError: dag_source='tpch' and the folder (``data``, else ``cjs/tpch``
                under the data root) does not hold the traces.
        """
        if self.dag_source == "synthetic":
            return synthetic_library(self.synthetic)
        if self.data is not None:
            return load_tpch(self.data, self.tpch_sizes)
        folder = default_tpch_folder()
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{OWNER}: dag_source='tpch' reads the TPC-H traces from data=<folder> or from "
                f"{folder} (the data root's cjs/tpch), which does not exist; run "
                "`netgym data fetch cjs/tpch` to get them"
            )
        return load_tpch(folder, self.tpch_sizes)

    # ------------------------------------------------------------------ presets
    @classmethod
    def fewer_executors(cls, **changes: Any) -> SparkParams:
        """NetLLM-style unseen setting: 30 executors instead of 50."""
        return cls(**{"n_executors": 30, **changes})

    @classmethod
    def more_jobs(cls, **changes: Any) -> SparkParams:
        """NetLLM-style unseen setting: 450 jobs instead of 200."""
        return cls(**{"n_jobs": 450, **changes})

    @classmethod
    def higher_rate(cls, **changes: Any) -> SparkParams:
        """A 50 % higher arrival rate: mean gap 25 / 1.5 s."""
        return cls(**{"interarrival_s": 25.0 / 1.5, **changes})

    @classmethod
    def small(cls, **changes: Any) -> SparkParams:
        """A small cluster for tests and quick runs: 20 jobs on 10 executors, a job every
        100 s on average (about the default's load), 64 stage rows."""
        settings = {"n_jobs": 20, "n_executors": 10, "interarrival_s": 100.0, "max_stages": 64}
        return cls(**{**settings, **changes})

    @classmethod
    def tpch(cls, **changes: Any) -> SparkParams:
        """The TPC-H traces (from ``data`` or ``$NETGYM_DATA/cjs/tpch``)."""
        return cls(**{"dag_source": "tpch", **changes})


__all__ = ["ACTION_FORMATS", "DAG_SOURCES", "SparkParams", "default_tpch_folder"]
