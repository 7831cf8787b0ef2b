"""``netgym/QuantumNetworkScheduling-v0``: which demand to serve, on which path, with how many
pumping rounds, in a multi-user quantum network (Skrzypczyk & Wehner's QoS setting).

``params`` (``SchedulingParams``, the link table), ``demands`` (demands and job releases),
``purification`` (the pumping scheme of each action), ``sim`` (the slot-level dynamics),
``metrics`` (the QoS paper's metrics) and ``env`` (the Gymnasium env).
"""

from ...core.lazy import lazy_exports

_EXPORTS = {
    "Demand": ".demands",
    "PumpingScheme": ".purification",
    "QuantumNetworkSchedulingEnv": ".env",
    "SchedulingParams": ".params",
    "SchedulingSim": ".sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
