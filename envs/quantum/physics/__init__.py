"""Closed forms of quantum-network physics (``shared/reference/quantum.md`` sections 1 and 2).

Pure numpy, no state: every function takes floats or arrays (broadcast together) and returns a
float or an array. Names carry units (``_km``, ``_s``, ``_db_per_km``). Checked functions raise
``ValueError`` naming the argument and the bad value; the ``*_bds`` kernels used in the
simulators' hot loops skip the checks when told (``check=False``).

One namespace, six modules: ``checks`` (argument checks), ``links`` (fibre and timing 1.1,
heralded generation 1.2), ``states`` (Werner and Bell-diagonal states 1.3, memory decoherence
1.4, swapping 1.5, purification 1.6), ``bounds`` (capacity bounds 2.1, exact waiting times
of swap-asap chains 2.3), ``lossy`` (bounds with lossy repeater stations, Laurenza et al. 2022)
and ``dsti`` (the dual-species trapped-ion repeater of Dhara et al. 2022; both
``shared/reference/seeds-more.md``).
"""

from . import bounds, checks, dsti, links, lossy, states
from .bounds import *  # noqa: F403
from .checks import *  # noqa: F403
from .dsti import *  # noqa: F403
from .links import *  # noqa: F403
from .lossy import *  # noqa: F403
from .states import *  # noqa: F403

__all__ = [
    *checks.__all__,
    *links.__all__,
    *states.__all__,
    *bounds.__all__,
    *lossy.__all__,
    *dsti.__all__,
]
