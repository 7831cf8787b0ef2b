"""Closed forms of ``netgym.envs.quantum.physics`` against hand values (reference/quantum.md
sections 1 and 2), and the parameter presets of ``netgym.envs.quantum.params``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from netgym.envs.quantum import physics as ph
from netgym.envs.quantum.chain.params import ChainParams
from netgym.envs.quantum.nv2019 import NV2019_LINK_TABLE, nv2019_link


# ------------------------------------------------------------------------------ fibre
def test_transmissivity_is_ten_percent_at_50_km_and_matches_attenuation_length() -> None:
    assert ph.fibre_transmissivity(50.0) == pytest.approx(0.1)
    l_att_km = 10.0 / (0.2 * math.log(10.0))
    assert l_att_km == pytest.approx(21.71, abs=0.01)
    assert ph.fibre_transmissivity(33.0) == pytest.approx(math.exp(-33.0 / l_att_km))
    assert ph.fibre_transmissivity(0.0) == 1.0


def test_attempt_time_midpoint_and_round_trip() -> None:
    assert ph.attempt_time_s(50.0) == pytest.approx(250e-6)
    assert ph.attempt_time_s(50.0, heralding="round_trip") == pytest.approx(500e-6)
    assert ph.attempt_time_s(50.0, 5.5e-6) == pytest.approx(255.5e-6)


def test_generation_schemes() -> None:
    assert ph.double_click(0.5) == (pytest.approx(0.125), 1.0)
    p, fid = ph.single_click(0.1, 0.5)
    assert (p, fid) == (pytest.approx(0.1), pytest.approx(0.9))
    assert ph.multiplexed_success_prob(0.1, 3) == pytest.approx(1 - 0.9**3)
    assert ph.multiplexed_success_prob(1.0, 2) == pytest.approx(1.0)
    eta = ph.arm_efficiency(20.0, eta_emit=0.5, eta_det=0.8)
    assert eta == pytest.approx(0.4 * 10 ** (-0.2))


# ---------------------------------------------------------------------------- states
def test_werner_conversions() -> None:
    assert ph.werner_param(1.0) == 1.0
    assert ph.werner_param(0.25) == 0.0
    assert ph.werner_fidelity(ph.werner_param(0.7)) == pytest.approx(0.7)
    assert np.allclose(ph.werner_bds(0.7), [0.7, 0.1, 0.1, 0.1])


def test_hashing_yield_values_and_threshold() -> None:
    assert ph.hashing_yield(0.9) == pytest.approx(0.373, abs=5e-4)
    assert ph.hashing_yield(0.95) == pytest.approx(0.634, abs=5e-4)
    assert ph.hashing_yield(1.0) == pytest.approx(1.0)
    assert ph.hashing_yield(0.81) == 0.0
    assert ph.hashing_yield(0.812) > 0.0
    # a pure Phi+/Phi- mixture (1/2, 1/2): entropy 1 bit, yield 0
    assert ph.hashing_yield_bds([0.5, 0.0, 0.0, 0.5]) == pytest.approx(0.0)


# ----------------------------------------------------------------------- decoherence
def test_depolarising_decay() -> None:
    assert ph.depolarised_fidelity(1.0, 1.0, 1.0) == pytest.approx(0.25 + 0.75 * math.exp(-2))
    one_half = ph.depolarised_fidelity(1.0, 1.0, 1.0, both_halves=False)
    assert one_half == pytest.approx(0.25 + 0.75 * math.exp(-1))
    assert ph.depolarised_fidelity(0.9, 1e6, 1.0) == pytest.approx(0.25)
    assert ph.depolarised_fidelity(0.9, 5.0, math.inf) == pytest.approx(0.9)
    assert ph.sequence_werner_factor(0.3, 1.3) == pytest.approx(math.exp(-0.4 / 1.3))
    bds = ph.depolarise_bds(ph.werner_bds(0.9), math.exp(-1))
    assert bds[0] == pytest.approx(ph.depolarised_fidelity(0.9, 1.0, 1.0, both_halves=False))


def test_dephasing_tends_to_one_half_and_matches_formula() -> None:
    lam = np.array([0.8, 0.05, 0.05, 0.1])
    e = math.exp(-0.5)
    out = ph.dephase_bds(lam, e)
    assert out[0] == pytest.approx(0.8 * (1 + e) / 2 + 0.1 * (1 - e) / 2)
    assert out.sum() == pytest.approx(1.0)
    assert ph.dephase_bds([1.0, 0, 0, 0], 0.0)[0] == pytest.approx(0.5)


# -------------------------------------------------------------------------- swapping
def test_swap_werner_perfect_matches_density_matrix_value() -> None:
    assert ph.swap_werner(0.9, 0.8) == pytest.approx(0.726667, abs=1e-6)
    out = ph.swap_bds(ph.werner_bds(0.9), ph.werner_bds(0.8))
    assert np.allclose(out, ph.werner_bds(0.726666666666))


def test_swap_with_noise_matches_sequence_form_and_bdcz() -> None:
    lam1 = np.array([0.85, 0.05, 0.07, 0.03])
    lam2 = np.array([0.9, 0.02, 0.03, 0.05])
    p_g, eta = 0.97, 0.95
    # SeQUeNCe's BDS fidelity: c_I, c_X (Psi+), c_Y (Psi-), c_Z (Phi-) of the composed errors
    i1, y1, x1, z1 = lam1
    i2, y2, x2, z2 = lam2
    c_i = i1 * i2 + y1 * y2 + x1 * x2 + z1 * z2
    c_x = i1 * x2 + x1 * i2 + y1 * z2 + z1 * y2
    c_z = i1 * z2 + z1 * i2 + x1 * y2 + y1 * x2
    c_y = i1 * y2 + y1 * i2 + x1 * z2 + z1 * x2
    expected = p_g * (eta**2 * c_i + eta * (1 - eta) * (c_x + c_z) + (1 - eta) ** 2 * c_y)
    expected += (1 - p_g) / 4
    out = ph.swap_bds(lam1, lam2, p_g, eta)
    assert out[0] == pytest.approx(expected)
    assert out.sum() == pytest.approx(1.0)
    w1, w2 = ph.werner_param(0.9), ph.werner_param(0.8)
    w_out = p_g * (4 * eta**2 - 1) / 3 * w1 * w2
    assert ph.swap_werner(0.9, 0.8, p_g, eta) == pytest.approx((1 + 3 * w_out) / 4)


def test_swap_never_raises_fidelity_above_inputs() -> None:
    grid = np.linspace(0.5, 1.0, 11)
    f1, f2 = np.meshgrid(grid, grid)
    assert np.all(ph.swap_werner(f1, f2) <= np.minimum(f1, f2) + 1e-12)


# ---------------------------------------------------------------------- purification
def test_bbpssw_hand_value() -> None:
    p, fid = ph.bbpssw(0.9, 0.9)
    assert p == pytest.approx(0.81 + 0.06 + 0.05 / 9)
    assert fid == pytest.approx((0.81 + 0.01 / 9) / p)
    assert fid == pytest.approx(0.92640, abs=1e-5)


def test_dejmps_equals_bbpssw_on_werner_inputs_and_hand_bds() -> None:
    for f1, f2 in ((0.9, 0.9), (0.7, 0.85)):
        p_b, f_b = ph.bbpssw(f1, f2)
        p_d, out = ph.dejmps(ph.werner_bds(f1), ph.werner_bds(f2))
        assert p_d == pytest.approx(p_b)
        assert out[0] == pytest.approx(f_b)
    p, out = ph.dejmps([0.8, 0.2, 0.0, 0.0], [0.8, 0.2, 0.0, 0.0])
    assert p == pytest.approx(1.0)
    assert np.allclose(out, [0.68, 0.0, 0.0, 0.32])


def test_purification_improves_identical_pairs_and_succeeds_half_the_time() -> None:
    fids = np.linspace(0.51, 0.99, 25)
    p, out = ph.bbpssw(fids, fids)
    assert np.all(out > fids)
    assert np.all((p >= 0.5) & (p <= 1.0))


# --------------------------------------------------------------------------- bounds
def test_plob_values_and_log1p_accuracy() -> None:
    assert ph.plob_capacity(0.1) == pytest.approx(0.152, abs=5e-4)
    assert ph.plob_capacity(1e-10) == pytest.approx(1e-10 / math.log(2), rel=1e-9)
    assert ph.plob_capacity(0.0) == 0.0


@pytest.mark.parametrize(
    ("length_km", "n_rep", "expected"),
    [
        (50, 0, 0.152),
        (50, 1, 0.548),
        (50, 3, 1.19),
        (50, 7, 2.00),
        (100, 1, 0.152),
        (200, 3, 0.152),
        (500, 3, 4.57e-3),
        (500, 7, 8.35e-2),
        (500, 1, 1.44e-5),
    ],
)
def test_repeater_chain_bound_table(length_km: float, n_rep: int, expected: float) -> None:
    assert ph.equal_spacing_chain_capacity(length_km, n_rep) == pytest.approx(expected, rel=6e-3)
    hop = ph.fibre_transmissivity(length_km / (n_rep + 1))
    assert ph.repeater_chain_capacity([hop] * (n_rep + 1)) == pytest.approx(expected, rel=6e-3)


def test_min_cut_of_two_disjoint_paths() -> None:
    edges = [("a", "b", 0.5), ("b", "d", 0.5), ("a", "c", 0.5), ("c", "d", 0.75)]
    assert ph.min_cut_capacity(edges, "a", "d") == pytest.approx(2.0)
    assert ph.min_cut_capacity([("a", "b", 0.5, 3)], "a", "b") == pytest.approx(3.0)
    with pytest.raises(ValueError, match="not connected"):
        ph.min_cut_capacity(edges + [("x", "y", 0.5)], "a", "x")


# ---------------------------------------------------------------------- waiting times
@pytest.mark.parametrize(
    ("p", "row"),
    [
        (0.3, (11.111, 6.574, 5.635, 5.246, 4.706)),
        (0.5, (4.000, 3.000, 2.800, 2.727, 2.667)),
        (0.9, (1.235, 1.214, 1.212, 1.212, 1.212)),
    ],
)
def test_two_link_waiting_time_table(p: float, row: tuple[float, ...]) -> None:
    for cutoff, expected in zip((0, 1, 2, 3, math.inf), row, strict=True):
        assert ph.two_link_swap_asap_mean_time(p, cutoff) == pytest.approx(expected, abs=1e-3)
    inesta = (2 * p**3 - 6 * p**2 + 4 * p + 1) / (2 * p**4 - 6 * p**3 + 5 * p**2)
    assert ph.two_link_swap_asap_mean_time(p, 2) == pytest.approx(inesta)


def test_n_link_waiting_time_and_decay_expectation() -> None:
    assert ph.n_link_swap_asap_mean_time(0.3, 2) == pytest.approx(4.7059, abs=1e-4)
    assert ph.n_link_swap_asap_mean_time(0.1, 4) == pytest.approx(20.273, abs=1e-3)
    assert ph.n_link_swap_asap_mean_time(0.4, 1) == pytest.approx(2.5)
    assert ph.two_link_decay_expectation(0.1, 0.95) == pytest.approx(0.6733, abs=1e-4)
    assert ph.elementary_link_active_prob(0.5, 2) == pytest.approx(0.75)


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ph.fibre_transmissivity(-1.0), "length_km must be >= 0"),
        (lambda: ph.attempt_time_s(10.0, heralding="x"), "heralding"),
        (lambda: ph.multiplexed_success_prob(1.5, 2), "p must be a probability"),
        (lambda: ph.multiplexed_success_prob(0.5, 0), "modes"),
        (lambda: ph.single_click(0.6, 0.5), "alpha"),
        (lambda: ph.werner_param(0.2), r"fidelity in \[1/4, 1\]"),
        (lambda: ph.swap_werner(0.9, 0.1), "fidelity2"),
        (lambda: ph.bbpssw(float("nan"), 0.9), "finite"),
        (lambda: ph.swap_bds([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0]), "sum to 1"),
        (lambda: ph.swap_bds([1, 0, 0], [1, 0, 0, 0]), "last axis"),
        (lambda: ph.swap_werner(0.9, 0.9, gate_fid=0.0), "gate_fid"),
        (lambda: ph.plob_capacity(1.0), r"\[0, 1\)"),
        (lambda: ph.two_link_swap_asap_mean_time(0.0), "p must be a probability"),
        (lambda: ph.two_link_swap_asap_mean_time(0.5, -1), "cutoff"),
        (lambda: ph.n_link_swap_asap_mean_time(0.5, 0), "n_links"),
        (lambda: ph.depolarised_fidelity(0.9, 1.0, 0.0), "memory_time_s"),
    ],
)
def test_bad_input_raises_clear_errors(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- params
def test_presets_build_and_derive_valid_links() -> None:
    abstract = ChainParams.abstract(p_gen=0.3, cutoff=2, n_nodes=5)
    assert np.allclose(abstract.link_success_prob(), 0.3)
    assert abstract.step_s == 1.0
    nv = ChainParams.nv2019()
    fid, rate = nv2019_link(5.0, 0)
    assert (fid, rate) == (0.8771, 14.158)
    assert nv.link_success_prob()[0] == pytest.approx(1 - math.exp(-14.158 * 0.01))
    assert nv.link_fidelity()[0] == pytest.approx(0.8771)
    assert len(NV2019_LINK_TABLE["rate_hz"][50]) == 10
    star = ChainParams.starlight()
    eta_arm = 0.75 * 0.8 * ph.fibre_transmissivity(5.0)
    assert star.link_success_prob()[0] == pytest.approx(eta_arm**2 / 2)
    assert star.step_s == pytest.approx(0.5e-3 + 10.0 / 2e5)
    assert ChainParams.preset("starlight").f_gen == 0.9349


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"p_gen": 0.0}, "p_gen must be > 0"),
        ({"p_gen": 1.2}, "p_gen must be <= 1"),
        ({"link_km": -5.0}, "link_km must be >= 0"),
        ({"f_gen": 0.2}, "f_gen must be >= 0.25"),
        ({"n_nodes": 12}, "n_nodes must be <= 9"),
        ({"link_km": (1.0, 2.0, 3.0)}, "one per link"),
        ({"scheme": "nv_table", "link_km": 7.0}, "NV link table has distances"),
        ({"obs_mode": "tabular"}, "finite MDP"),
        ({"reward_mode": "speed"}, "reward_mode must be one of"),
        ({"memory_time_s": 0.0}, "memory_time_s must be > 0"),
    ],
)
def test_bad_params_raise(changes: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ChainParams(**changes)
    with pytest.raises(ValueError, match="unknown ChainParams preset"):
        ChainParams.preset("ions")


def test_integer_valued_floats_are_accepted_as_ints_and_other_bad_types_raise_value_error() -> None:
    # n_nodes=3.0 used to pass validation and then fail deep inside numpy with a TypeError
    params = ChainParams(n_nodes=3.0, mem_per_side=2.0, cutoff=2.0, max_steps=50.0, modes=1.0)
    assert (params.n_nodes, params.mem_per_side, params.cutoff, params.max_steps) == (3, 2, 2, 50)
    assert all(type(v) is int for v in (params.n_nodes, params.cutoff, params.modes))
    assert params.link_success_prob().shape == (2,)
    assert ph.n_link_swap_asap_mean_time(0.5, 2.0) == pytest.approx(
        ph.two_link_swap_asap_mean_time(0.5)
    )
    assert ph.two_link_swap_asap_mean_time(0.5, None) == pytest.approx(8 / 3)
    with pytest.raises(ValueError, match="cutoff"):
        ph.two_link_swap_asap_mean_time(0.5, "2")
    with pytest.raises(ValueError, match="memory_time_s"):
        ChainParams(memory_time_s=True)
    # per-link lengths as a numpy array (used to raise a TypeError from float())
    arr = ChainParams(scheme="double_click", n_nodes=3, link_km=np.array([5.0, 20.0]))
    assert arr.link_km == (5.0, 20.0)
    np.testing.assert_allclose(arr.link_lengths_km(), [5.0, 20.0])
    with pytest.raises(ValueError, match="one per link"):
        ChainParams(n_nodes=4, link_km=np.array([5.0, 20.0]))


@pytest.mark.parametrize("modes", [0, -1, 1.5, True, float("nan")])
def test_min_cut_rejects_bad_mode_counts(modes: object) -> None:
    # modes 0 / -1 used to give a silent 0.0 bound and 1.5 was truncated to 1
    with pytest.raises(ValueError, match="modes must be an integer >= 1"):
        ph.min_cut_capacity([(0, 1, 0.5, modes)], 0, 1)
    assert ph.min_cut_capacity([(0, 1, 0.5, 3)], 0, 1) == pytest.approx(3.0)


def test_measurement_fidelity_below_one_half_is_rejected() -> None:
    # eta_m < 1/2 makes (4 eta_m^2 - 1) / 3 negative: a swap of two perfect pairs gave F = 0.16,
    # a stored link below 1/4 (the env's invariant); the scheduling params already required 1/2
    with pytest.raises(ValueError, match=r"meas_fid must be in \[0.5, 1\]"):
        ph.swap_werner(1.0, 1.0, 1.0, 0.4)
    with pytest.raises(ValueError, match=r"meas_fid must be in \[0.5, 1\]"):
        ph.swap_bds(ph.werner_bds(1.0), ph.werner_bds(1.0), 1.0, 0.4)
    with pytest.raises(ValueError, match="meas_fid must be >= 0.5"):
        ChainParams(meas_fid=0.4)
    assert ph.swap_werner(1.0, 1.0, 1.0, 0.5) == pytest.approx(0.25)
    assert ChainParams(meas_fid=0.5).meas_fid == 0.5
