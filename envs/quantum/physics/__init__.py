"""Closed forms of quantum-network physics (``shared/reference/quantum.md`` sections 1 and 2).

Pure numpy, no state: every function takes floats or arrays (broadcast together) and returns a
float or an array. Names carry units (``_km``, ``_s``, ``_db_per_km``). Checked functions raise
``ValueError`` naming the argument and the bad value; the ``*_bds`` kernels used in the
simulators' hot loops skip the checks when told (``check=False``).

One namespace, four modules: ``checks`` (argument checks), ``links`` (fibre and timing 1.1,
heralded generation 1.2), ``states`` (Werner and Bell-diagonal states 1.3, memory decoherence
1.4, swapping 1.5, purification 1.6) and ``bounds`` (capacity bounds 2.1, exact waiting times
of swap-asap chains 2.3).
"""

from .bounds import (
    elementary_link_active_prob,
    equal_spacing_chain_capacity,
    min_cut_capacity,
    n_link_swap_asap_mean_time,
    plob_capacity,
    repeater_chain_capacity,
    two_link_decay_expectation,
    two_link_swap_asap_mean_time,
)
from .checks import (
    ArrayLike,
    check_bds,
    check_fidelity,
    check_meas_fid,
    check_nonnegative,
    check_probability,
)
from .links import (
    SPEED_OF_LIGHT_FIBRE_KM_PER_S,
    arm_efficiency,
    attempt_time_s,
    double_click,
    fibre_transmissivity,
    multiplexed_success_prob,
    single_click,
)
from .states import (
    bbpssw,
    decay_werner,
    dejmps,
    dephase_bds,
    depolarise_bds,
    depolarised_fidelity,
    hashing_yield,
    hashing_yield_bds,
    sequence_werner_factor,
    swap_bds,
    swap_werner,
    twirl_bds,
    werner_bds,
    werner_fidelity,
    werner_param,
)

__all__ = [
    "SPEED_OF_LIGHT_FIBRE_KM_PER_S",
    "ArrayLike",
    "arm_efficiency",
    "attempt_time_s",
    "bbpssw",
    "check_bds",
    "check_fidelity",
    "check_meas_fid",
    "check_nonnegative",
    "check_probability",
    "decay_werner",
    "dejmps",
    "dephase_bds",
    "depolarise_bds",
    "depolarised_fidelity",
    "double_click",
    "elementary_link_active_prob",
    "equal_spacing_chain_capacity",
    "fibre_transmissivity",
    "hashing_yield",
    "hashing_yield_bds",
    "min_cut_capacity",
    "multiplexed_success_prob",
    "n_link_swap_asap_mean_time",
    "plob_capacity",
    "repeater_chain_capacity",
    "sequence_werner_factor",
    "single_click",
    "swap_bds",
    "swap_werner",
    "twirl_bds",
    "two_link_decay_expectation",
    "two_link_swap_asap_mean_time",
    "werner_bds",
    "werner_fidelity",
    "werner_param",
]
