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


UNSEEN_PROTOCOLS = ("abr-unseen-wide", "abr-unseen-volatile", "fcc100-video2")
"""the protocols of the settings where NetLLM says pre-training pays (issue #20)"""
UNSEEN_BASELINES = ("bba", "mpc-jump1", "mpc", "oracle", "lowest", "random")
"""the baselines of the unseen-setting protocols (issue #20): BBA, robustMPC max_jump=1
(NetLLM's MPC), full robustMPC, the offline oracle, and the floor and random beside them"""
UNSEEN_SETTINGS = dict(trace_order="sequential", start="beginning", noise=None, default_quality=0)
"""NetLLM's test settings (as fcc100): traces in order from their start, no noise, first chunk
at level 0, linear QoE"""
GENET_WIDE = dict(seed=2000, low_mbps=0.2, high_mbps=8.0, hold_min=1, hold_max=5)
"""abr-unseen-wide's traces: Genet-style levels uniform in 0.2-8 Mbps held 1-5 samples, gaps
0.1-3.5 s, 320 s (data-set seed 2000: apart from abr-synthetic's 1000 and training's 0)"""
GENET_VOLATILE = dict(
    seed=3000,
    low_mbps=0.2,
    high_mbps=8.0,
    hold_min=1,
    hold_max=2,
    fade_prob=0.25,
    fade_low_mbps=0.02,
    fade_high_mbps=0.2,
)
"""abr-unseen-volatile's traces: as wide, but levels held 1-2 samples and a quarter of them
deep fades uniform in 0.02-0.2 Mbps (below the lowest rung, 0.3 Mbps)"""


def genet(data_dir: Path | None, settings: dict[str, Any], video: bool = True) -> dict[str, Any]:
    """100 Genet-style traces (``GenetTraces`` with ``settings``) played under NetLLM's test
    settings with the video ``video1`` of the data folder; ``video=False``: the embedded
    synthetic video instead (the data-free fingerprint)."""
    from netgym.envs.abr import AbrParams, GenetTraces

    traces = GenetTraces(n_traces=100, **settings)
    if video:
        (folder,) = {path.parent for path in dataset_files("abr/video1", data_dir)}
        changes = {"video": folder}
    else:
        changes = {}
    params = AbrParams(
        traces="synthetic", synthetic_traces=traces, qoe="linear", **UNSEEN_SETTINGS, **changes
    )
    return {"params": params}


def fcc100_video2(data_dir: Path | None) -> dict[str, Any]:
    """FCC-test-100 as ``fcc100`` (NetLLM's start pointers, level 0 first, no noise), with the
    larger encode ``video2`` instead of ``video1``."""
    from netgym.envs.abr import AbrParams

    traces = published_traces("abr/fcc-test", data_dir)
    (folder,) = {path.parent for path in dataset_files("abr/video2", data_dir)}
    return {"params": AbrParams.fcc100(data_dir, traces=traces, video=folder)}


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
define_protocol(
    "abr-unseen-wide",
    ENV_ID,
    lambda data_dir: genet(data_dir, GENET_WIDE),
    ANCHORS,
    seeds=1,
    episodes=100,
    baselines=UNSEEN_BASELINES,
    datasets=("abr/video1",),
    fingerprint_kwargs=lambda data_dir: genet(data_dir, GENET_WIDE, video=False),
    description="ABR, unseen traces (issue #20): 100 Genet-style piecewise-constant traces "
    "(data-set seed 2000), levels uniform in 0.2-8 Mbps held 1-5 samples, gaps 0.1-3.5 s; "
    "video1, first chunk at level 0, no noise, linear QoE",
)
define_protocol(
    "abr-unseen-volatile",
    ENV_ID,
    lambda data_dir: genet(data_dir, GENET_VOLATILE),
    ANCHORS,
    seeds=1,
    episodes=100,
    baselines=UNSEEN_BASELINES,
    datasets=("abr/video1",),
    fingerprint_kwargs=lambda data_dir: genet(data_dir, GENET_VOLATILE, video=False),
    description="ABR, volatile unseen traces (issue #20): as abr-unseen-wide (seed 3000) but "
    "levels held 1-2 samples and a quarter of them fades uniform in 0.02-0.2 Mbps; video1, "
    "first chunk at level 0, no noise, linear QoE",
)
define_protocol(
    "fcc100-video2",
    ENV_ID,
    fcc100_video2,
    ANCHORS,
    seeds=1,
    episodes=100,
    baselines=UNSEEN_BASELINES,
    datasets=("abr/fcc-test", "abr/video2"),
    fingerprint_kwargs=lambda data_dir: synthetic(data_dir, 8, default_quality=0, qoe="linear"),
    description="ABR, unseen video (issue #20): fcc100's 100 FCC traces from NetLLM's start "
    "pointers with the larger encode video2, first chunk at level 0, linear QoE",
)
for _name in ("abr-synthetic", "hsdpa142", "fcc100", *UNSEEN_PROTOCOLS):
    register_timeline(_name, abr_timelines)  # the report's per-trace timelines of robustMPC
