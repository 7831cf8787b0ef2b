"""ABR video streaming: the Pensieve simulator as ``netgym/AbrStreaming-v0``."""

from .env import AbrStreamingEnv, AbrStreamingVectorEnv
from .params import AbrParams, SyntheticTraces, SyntheticVideo
from .traces import TraceSet, load_start_pointers, load_trace_file, load_traces, synthetic_traces
from .video import load_video, synthetic_video

__all__ = [
    "AbrParams",
    "AbrStreamingEnv",
    "AbrStreamingVectorEnv",
    "SyntheticTraces",
    "SyntheticVideo",
    "TraceSet",
    "load_start_pointers",
    "load_trace_file",
    "load_traces",
    "load_video",
    "synthetic_traces",
    "synthetic_video",
]
