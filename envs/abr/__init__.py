"""ABR video streaming: the Pensieve simulator as ``netgym/AbrStreaming-v0``."""

from ..core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".env": "AbrStreamingEnv AbrStreamingVectorEnv",
        ".params": "AbrParams SyntheticTraces SyntheticVideo",
        ".traces": (
            "TraceSet load_start_pointers load_trace_file load_traces read_pointer_pickle "
            "synthetic_traces"
        ),
        ".genet": "GenetTraces genet_traces",
        ".video": "load_video synthetic_video",
    },
)
