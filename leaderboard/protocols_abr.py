"""The leaderboard protocols of the ABR video streaming family (``netgym.envs.abr``).

The score is ``mean_reward``: the mean QoE per chunk of each trace, averaged over traces.
Anchors: the lowest bitrate throughout = 0 (a floor: the random policy stalls so often that it
scores -18.6 on fcc100, which would squash BBA, robustMPC and trained agents into [0.99, 1]),
robustMPC (Pensieve's strongest heuristic) = 1, the offline optimum above.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocol_data import dataset_files
from .protocols import Anchors, define_protocol
from .timeline import abr_timelines, register_timeline

ENV_ID = "netgym/AbrStreaming-v0"
ANCHORS = Anchors(
    reference="mpc",
    random="lowest",
    oracle="oracle",
    note="floor: the lowest bitrate throughout (no stall after the first chunk); the random "
    "policy stalls so often (-18.6 on fcc100 against robustMPC's 0.954) that with it as 0 every "
    "sensible policy lands in [0.99, 1]",
)


def synthetic(data_dir: Path | None, n_traces: int = 50, **changes: Any) -> dict[str, Any]:
    """``n_traces`` embedded synthetic test traces (data-set seed 1000 keeps them apart from the
    default seed-0 training set), in order, from their start, no noise; ``changes`` override
    the settings (the data protocols' settings on these traces, for their fingerprint)."""
    from netgym.envs.abr import AbrParams, SyntheticTraces

    settings = dict(trace_order="sequential", start="beginning", noise=None) | changes
    traces = SyntheticTraces(seed=1000, n_traces=n_traces)
    return {"params": AbrParams(traces="synthetic", synthetic_traces=traces, **settings)}


def published_traces(name: str, data_dir: Path) -> tuple[Path, ...]:
    """The trace files that the manifest lists for data set ``name`` in the data folder, in
    sorted order: files beside them (notes, other copies) are never read."""
    from netgym.envs.abr.traces import NOT_TRACE_SUFFIXES

    files = dataset_files(name, data_dir)
    return tuple(path for path in files if path.suffix not in NOT_TRACE_SUFFIXES)


def hsdpa142(data_dir: Path | None) -> dict[str, Any]:
    """Pensieve's test set: the published files of ``hsdpa-test/`` and ``video1/`` under the
    data folder (the data root's ``abr/`` unless one is given)."""
    from netgym.envs.abr import AbrParams

    traces = published_traces("abr/hsdpa-test", data_dir)
    return {"params": AbrParams.hsdpa142(data_dir, traces=traces)}


def fcc100(data_dir: Path | None) -> dict[str, Any]:
    """NetLLM's test set: the published files of ``fcc-test/`` (start pointers from NetLLM's
    ``mahimahi_ptrs.pkl``, read without unpickling) and ``video1/``."""
    from netgym.envs.abr import AbrParams

    traces = published_traces("abr/fcc-test", data_dir)
    return {"params": AbrParams.fcc100(data_dir, traces=traces)}


define_protocol(
    "abr-synthetic",
    ENV_ID,
    synthetic,
    ANCHORS,
    seeds=1,
    episodes=50,
    quick=(1, 8),
    quick_kwargs=lambda data_dir: synthetic(data_dir, n_traces=8),
    description="ABR on 50 embedded synthetic traces (data-set seed 1000), in order, "
    "from their start, no noise, linear QoE; no data needed",
)
define_protocol(
    "hsdpa142",
    ENV_ID,
    hsdpa142,
    ANCHORS,
    seeds=1,
    episodes=142,
    datasets=("abr/hsdpa-test", "abr/video1"),
    fingerprint_kwargs=lambda data_dir: synthetic(data_dir, 8, default_quality=1, qoe="linear"),
    description="ABR, Pensieve test protocol: 142 Norway HSDPA traces, video1, "
    "first chunk at level 1, linear QoE",
)
define_protocol(
    "fcc100",
    ENV_ID,
    fcc100,
    ANCHORS,
    seeds=1,
    episodes=100,
    datasets=("abr/fcc-test", "abr/video1"),
    fingerprint_kwargs=lambda data_dir: synthetic(data_dir, 8, default_quality=0, qoe="linear"),
    description="ABR, NetLLM test protocol: 100 FCC traces from their start pointers, "
    "video1, first chunk at level 0, linear QoE",
)
for _name in ("abr-synthetic", "hsdpa142", "fcc100"):
    register_timeline(_name, abr_timelines)  # the report's per-trace timelines of robustMPC
