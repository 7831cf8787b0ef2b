"""Multi-UAV cellular offloading: ``netgym/UavOffload-v0`` (centralised) and the PettingZoo
parallel env ``uav_offload_v0`` (one agent per UAV), after arXiv 2402.02957."""

from ..core.lazy import lazy_exports

# Imported eagerly: the name ``env`` (the AEC factory) would otherwise be shadowed by the
# submodule ``env.py`` once that is imported.
from .uav_offload_v0 import env as env
from .uav_offload_v0 import parallel_env as parallel_env
from .uav_offload_v0 import raw_env as raw_env

_EXPORTS = {
    "UavOffloadEnv": ".env",
    "UavOffloadParallelEnv": ".env",
    "UavOffloadVectorEnv": ".env",
    "UavParams": ".params",
    "UavSim": ".sim",
    "greedy_association": ".sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted([*_EXPORTS, "env", "parallel_env", "raw_env"])
