"""``netgym/MoeBatching-v0``: expert-aware batch composition for MoE serving (Read-ME 4.2).

``params.py`` (``BatchingParams``), ``sim.py`` (``BatchingSim``, one serving episode) and
``env.py`` (``MoeBatchingEnv``).
"""

from ...core.lazy import lazy_exports

_EXPORTS = {
    "BatchingParams": ".params",
    "BatchingSim": ".sim",
    "MoeBatchingEnv": ".env",
    "SlotView": ".sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
