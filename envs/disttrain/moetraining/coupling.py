"""The coupling of ``netgym/MoeTrainingOverlap-v0`` to ``netgym/CollectivePath-v0``.

The MoE layer's inter-node all-to-all runs on a CollectivePath fabric as a pairwise all-to-all
(N - 1 shifted permutations) over every NIC, random placement. Its flows are routed by a
load-balancing scheme: ``ecmp`` (one random alive equal-cost path per flow), ``spray`` (ideal
oblivious spraying over the alive paths) or ``optimal`` (the fractional min-congestion split,
``oracle.min_congestion_lp``). The analytic congestion of each step over its NIC bound (the
time the same bytes need when only the NICs limit them) gives the factor by which the
all-to-all is slower than the profile's beta assumes; the env multiplies ``beta_A2A`` by it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import cost, oracle
from ..collective.episode import build_fabric
from ..collective.params import CollectivePathParams
from ..collectives import build_collective
from ..placement import draw_failures, place_ranks

FABRICS = {
    "small": {"leaves": 4, "spines": 4, "hosts_per_leaf": 4},
    "degraded_small": {"leaves": 4, "spines": 4, "hosts_per_leaf": 4, "failed_links": 1},
    "default": {},
    "degraded": {"failed_links": 1},
}
"""the coupling's fabrics as CollectivePath parameter changes (failed links at 50 %)"""
LP_MAX_NICS = 64
"""the largest fabric the 'optimal' scheme solves (one LP per step)"""


@lru_cache(maxsize=32)
def a2a_congestion_factor(scheme: str, fabric_name: str, seed: int = 0) -> float:
    """The all-to-all's time on the fabric under ``scheme`` over its NIC-bound time (>= 1;
    1.0 for ``scheme='none'``).

    Raises:
        ValueError: an unknown scheme or fabric, or 'optimal' on a fabric larger than
            ``LP_MAX_NICS`` NICs.
    """
    if scheme == "none":
        return 1.0
    if fabric_name not in FABRICS:
        raise ValueError(f"unknown all-to-all fabric {fabric_name!r}; known: {list(FABRICS)}")
    params = CollectivePathParams(collective="alltoall_pairwise", **FABRICS[fabric_name])
    rng = np.random.default_rng(seed)
    fabric = build_fabric(params)
    if params.failed_links:
        factors = draw_failures(
            fabric, params.failed_links, params.failure_factor, params.failure_scope, rng
        )
        fabric = fabric.with_factors(factors)
    if scheme == "optimal" and fabric.n_nics > LP_MAX_NICS:
        raise ValueError(
            f"a2a_scheme='optimal' solves one LP per all-to-all step, too slow on the "
            f"{fabric.n_nics}-NIC fabric {fabric_name!r}; use a small fabric ('small', "
            "'degraded_small') or the 'ecmp' or 'spray' scheme"
        )
    n = fabric.n_nics
    coll = build_collective("alltoall_pairwise", n, 2.0**20)
    nic = place_ranks(fabric, n, "random", rng)
    total = bound = 0.0
    for k in range(coll.n_steps):
        src, dst, size = coll.step(k)
        src, dst = nic[src], nic[dst]
        bound += cost.congestion(cost.nic_loads(fabric, src, dst, size), fabric.capacity)
        if scheme == "spray":
            total += cost.spraying_congestion(fabric, src, dst, size)
        elif scheme == "optimal":
            total += oracle.min_congestion_lp(fabric, src, dst, size)[0]
        elif scheme == "ecmp":
            a, b = fabric.nic_switch[src], fabric.nic_switch[dst]
            alive = fabric.path_alive(a, b)
            pick = rng.random(alive.shape) * alive
            path = np.argmax(pick, axis=1)
            total += cost.single_path_congestion(fabric, src, dst, size, path)
        else:
            raise ValueError(f"unknown a2a_scheme {scheme!r}; known: none ecmp spray optimal")
    return max(total / bound, 1.0)


__all__ = ["FABRICS", "LP_MAX_NICS", "a2a_congestion_factor"]
