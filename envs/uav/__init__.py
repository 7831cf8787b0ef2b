"""Multi-UAV cellular offloading: ``netgym/UavOffload-v0`` (centralised) and the PettingZoo
parallel env ``uav_offload_v0`` (one agent per UAV), after arXiv 2402.02957."""

from ..core.lazy import lazy_exports

# Imported eagerly, in this order: importing the submodule ``env.py`` binds the package name
# ``env`` to that module, so it is loaded first and ``env`` then names the AEC factory (loaded
# later, the submodule would shadow it).
from . import env as _env_module  # noqa: F401
from .uav_offload_v0 import env as env
from .uav_offload_v0 import parallel_env as parallel_env
from .uav_offload_v0 import raw_env as raw_env

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".association": "greedy_association",
        ".env": "UavOffloadEnv UavOffloadVectorEnv",
        ".parallel": "UavOffloadParallelEnv",
        ".params": "UavParams",
        ".radio": "UavRadio",
        ".sim": "UavSim",
    },
)
__all__ += ["env", "parallel_env", "raw_env"]
