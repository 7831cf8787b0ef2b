"""ABR video streaming: the Pensieve simulator as ``netgym/AbrStreaming-v0``."""

from ..core.lazy import lazy_exports

_EXPORTS = {
    "AbrStreamingEnv": ".env",
    "AbrStreamingVectorEnv": ".env",
    "AbrParams": ".params",
    "SyntheticTraces": ".params",
    "SyntheticVideo": ".params",
    "TraceSet": ".traces",
    "load_start_pointers": ".traces",
    "load_trace_file": ".traces",
    "load_traces": ".traces",
    "synthetic_traces": ".traces",
    "load_video": ".video",
    "synthetic_video": ".video",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
