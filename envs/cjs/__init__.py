"""Cluster job scheduling: Decima's Spark scheduler as ``netgym/SparkScheduling-v0``.

``params.py`` (``SparkParams``), ``templates.py`` (job DAGs and recorded task durations),
``tpch.py`` (the TPC-H traces, read with an allow-list unpickler), ``synthetic.py`` (the
embedded seeded job library), ``pools.py``, ``sim.py`` and ``executors.py`` (the
event-driven cluster), ``observe.py`` (observations and masks), ``bound.py`` (lower bounds on
the mean JCT) and ``env.py`` (``SparkSchedulingEnv``).
"""

from ..core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".bound": "jct_lower_bound srpt_mean_flow_s",
        ".env": "SparkSchedulingEnv",
        ".observe": "STAGE_FEATURES",
        ".params": "SparkParams",
        ".sim": "SparkSim",
        ".synthetic": "SyntheticDags synthetic_library",
        ".templates": "JobLibrary JobTemplate StageTemplate",
        ".tpch": "load_npy load_tpch",
    },
)
