"""Channel models of the multi-UAV env: the sanity numbers of reference/uav.md section 3 (and
6.6 item 5), broadcasting, the SINR formula on a hand-computed case, and input validation."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from netgym.envs.uav.channel import (
    AL_HOURANI_ENVIRONMENTS,
    AlHourani,
    ChannelModel,
    FreeSpace,
    O2I3gpp,
    OtIManhattan,
    Tr25942Macro,
    apply_indoor,
    db_to_linear,
    dbm_to_watt,
    elevation_deg,
    fspl_db,
    indoor_mask,
    linear_to_db,
    make_channel,
    make_penetration,
    noise_power_dbm,
    sinr_db,
)

FC_2GHZ = 2e9
FC_28GHZ = 28e9


def _horizontal_for(elevation: float, height_m: float = 100.0) -> float:
    """Horizontal distance that puts a UAV at ``height_m`` at ``elevation`` degrees."""
    return height_m / math.tan(math.radians(elevation))


# ---------------------------------------------------------------------------------- helpers
def test_fspl_at_1km_2ghz_is_98_47_db():
    assert fspl_db(1000.0, FC_2GHZ) == pytest.approx(98.47, abs=0.005)
    assert FreeSpace().path_loss_db(600.0, 800.0, FC_2GHZ) == pytest.approx(98.47, abs=0.005)


def test_db_to_linear_is_a_power_ratio_over_10_not_20():
    assert db_to_linear(10.0) == pytest.approx(10.0)
    assert db_to_linear(20.0) == pytest.approx(100.0)
    assert db_to_linear(3.0) == pytest.approx(1.995, abs=1e-3)
    assert linear_to_db(db_to_linear(np.array([-7.5, 0.0, 42.0]))) == pytest.approx(
        [-7.5, 0.0, 42.0]
    )


def test_dbm_to_watt():
    assert dbm_to_watt(30.0) == pytest.approx(1.0)
    assert dbm_to_watt(46.0) == pytest.approx(39.81, abs=0.01)
    assert dbm_to_watt(0.0) == pytest.approx(1e-3)


def test_noise_power_over_20_mhz_with_9_db_figure_is_minus_92_dbm():
    assert noise_power_dbm(20e6) == pytest.approx(-92.0, abs=0.02)
    assert noise_power_dbm(20e6) == pytest.approx(-174 + 10 * math.log10(20e6) + 9)
    assert noise_power_dbm(180e3, noise_figure_db=0) == pytest.approx(-121.45, abs=0.01)


def test_elevation_angle_is_in_degrees():
    assert elevation_deg(100.0, 100.0) == pytest.approx(45.0)
    assert elevation_deg(0.0, 100.0) == pytest.approx(90.0)
    assert elevation_deg(_horizontal_for(30.0), 100.0) == pytest.approx(30.0)


# ---------------------------------------------------------------------------------- Al-Hourani
@pytest.mark.parametrize(
    ("environment", "elevation", "expected"),
    [
        ("urban", 45.0, 0.9677),
        ("urban", 30.0, 0.731),
        ("urban", 10.0, 0.0997),
        ("highrise_urban", 45.0, 0.1321),
    ],
)
def test_los_probability_matches_reference_numbers(environment, elevation, expected):
    model = AlHourani(environment)
    p_los = model.los_probability(_horizontal_for(elevation), 100.0)
    assert p_los == pytest.approx(expected, abs=2e-4)


def test_los_probability_uses_degrees_not_radians():
    # The uav_bs_ctrl bug feeds atan(h/r) in radians: 45 degrees would read as 0.785 and give a
    # near-zero LoS probability instead of 0.97.
    model = AlHourani("urban")
    a, b, _, _ = model.constants
    radians_bug = 1.0 / (1.0 + a * math.exp(-b * (math.atan(1.0) - a)))
    p_los = float(model.los_probability(100.0, 100.0))
    assert radians_bug < 0.03
    assert p_los > 0.96
    eta_los, eta_nlos = model.constants[2:]
    mean_excess = float(
        model.path_loss_db(100.0, 100.0, FC_2GHZ) - fspl_db(math.hypot(100, 100), FC_2GHZ)
    )
    assert mean_excess == pytest.approx(p_los * eta_los + (1 - p_los) * eta_nlos)
    assert mean_excess < 2.0  # with the radians bug it would be ~19.5 dB


@pytest.mark.parametrize("environment", sorted(AL_HOURANI_ENVIRONMENTS))
def test_los_probability_is_monotone_in_elevation(environment):
    elevations = np.linspace(0.5, 90.0, 400)
    horizontal = 100.0 / np.tan(np.radians(elevations))
    p_los = AlHourani(environment).los_probability(np.maximum(horizontal, 0.0), 100.0)
    # Non-decreasing everywhere, strictly increasing until the sigmoid saturates in float64.
    assert np.all(np.diff(p_los) >= 0)
    unsaturated = p_los[:-1] < 1 - 1e-9
    assert np.all(np.diff(p_los)[unsaturated] > 0)
    assert np.all((p_los > 0) & (p_los <= 1))


@pytest.mark.parametrize("environment", sorted(AL_HOURANI_ENVIRONMENTS))
def test_al_hourani_path_loss_is_at_least_free_space(environment):
    horizontal = np.linspace(0.0, 3000.0, 301)
    for height in (10.0, 100.0, 500.0):
        loss = AlHourani(environment).path_loss_db(horizontal, height, FC_2GHZ)
        free = FreeSpace().path_loss_db(horizontal, height, FC_2GHZ)
        _, _, eta_los, eta_nlos = AL_HOURANI_ENVIRONMENTS[environment]
        assert np.all(loss >= free + eta_los - 1e-12)
        assert np.all(loss <= free + eta_nlos + 1e-12)


def test_denser_environments_lose_more_at_low_elevation():
    horizontal = _horizontal_for(15.0)
    losses = [
        float(AlHourani(env).path_loss_db(horizontal, 100.0, FC_2GHZ))
        for env in ("suburban", "urban", "dense_urban", "highrise_urban")
    ]
    assert losses == sorted(losses)


def test_environment_names_accept_hyphens():
    assert AlHourani("dense-urban").environment == "dense_urban"


# ---------------------------------------------------------------------------------- TR 25.942
def test_tr25942_macro_fixed_form_and_clamp():
    model = Tr25942Macro()
    assert model.path_loss_db(1000.0, 0.0, FC_2GHZ) == pytest.approx(128.1)
    assert model.path_loss_db(2000.0, 0.0, FC_2GHZ) == pytest.approx(128.1 + 37.6 * math.log10(2))
    # Inside 35 m the loss stops falling.
    near = model.path_loss_db(np.array([0.0, 10.0, 35.0]), 0.0, FC_2GHZ)
    assert near == pytest.approx(np.full(3, 128.1 + 37.6 * math.log10(0.035)))
    # The fixed form ignores the carrier frequency.
    assert model.path_loss_db(500.0, 23.5, 28e9) == model.path_loss_db(500.0, 23.5, FC_2GHZ)


def test_tr25942_general_form_matches_fixed_form_at_2ghz_and_15m():
    distances = np.array([100.0, 500.0, 1000.0, 3000.0])
    fixed = Tr25942Macro().path_loss_db(distances, 0.0, FC_2GHZ)
    general = Tr25942Macro(general_form=True).path_loss_db(distances, 0.0, FC_2GHZ)
    assert general == pytest.approx(fixed, abs=0.1)
    higher = Tr25942Macro(general_form=True).path_loss_db(distances, 0.0, 3.5e9)
    assert np.all(higher > general)


def test_tr25942_never_below_free_space():
    distances = np.geomspace(1.0, 1e5, 200)
    loss = Tr25942Macro().path_loss_db(distances, 0.0, FC_2GHZ)
    assert np.all(loss >= fspl_db(np.maximum(distances, 35.0), FC_2GHZ) - 1e-12)


# ---------------------------------------------------------------------------------- broadcasting
@pytest.mark.parametrize("name", ["al_hourani", "free_space", "tr25942_macro"])
def test_path_loss_broadcasts_users_by_uavs(name):
    model = make_channel(name)
    rng = np.random.default_rng(0)
    horizontal = rng.uniform(0, 1000, size=(100, 3))
    assert model.path_loss_db(horizontal, 98.5, FC_2GHZ).shape == (100, 3)
    heights = np.array([80.0, 100.0, 120.0])
    loss = model.path_loss_db(horizontal, heights, FC_2GHZ)
    assert loss.shape == (100, 3)
    assert loss[:, 1] == pytest.approx(model.path_loss_db(horizontal[:, 1], 100.0, FC_2GHZ))
    assert model.path_loss_db(horizontal[:, :1], heights, FC_2GHZ).shape == (100, 3)
    assert np.ndim(model.path_loss_db(250.0, 100.0, FC_2GHZ)) == 0


def test_models_are_deterministic_picklable_values():
    model = make_channel("al_hourani", environment="suburban")
    assert isinstance(model, ChannelModel)
    assert model == AlHourani("suburban")
    assert pickle.loads(pickle.dumps(model)) == model
    assert model.name == "al_hourani"
    first = model.path_loss_db([10.0, 900.0], 100.0, FC_2GHZ)
    assert np.array_equal(first, model.path_loss_db([10.0, 900.0], 100.0, FC_2GHZ))


# ---------------------------------------------------------------------------------- SINR
def test_sinr_two_users_two_uavs_by_hand():
    noise_dbm = -90.0
    rx_dbm = np.array([[-60.0, -70.0], [-80.0, -80.0]])
    noise_mw = 1e-9
    p = 10 ** (rx_dbm / 10)
    expected = np.array(
        [
            [p[0, 0] / (p[0, 1] + noise_mw), p[0, 1] / (p[0, 0] + noise_mw)],
            [p[1, 0] / (p[1, 1] + noise_mw), p[1, 1] / (p[1, 0] + noise_mw)],
        ]
    )
    sinr = sinr_db(rx_dbm, noise_dbm)
    assert sinr == pytest.approx(10 * np.log10(expected))
    # By hand: user 0 on UAV 0 is 1e-6 / (1e-7 + 1e-9) = 9.9 -> 9.957 dB; user 1 equal powers
    # 1e-8 / (1e-8 + 1e-9) -> -0.414 dB.
    assert sinr[0, 0] == pytest.approx(9.957, abs=1e-3)
    assert sinr[1, 0] == pytest.approx(-0.414, abs=1e-3)
    assert sinr[1, 1] == pytest.approx(sinr[1, 0])


def test_sinr_without_interference_is_snr():
    rx_dbm = np.array([[-60.0, -70.0], [-80.0, -80.0]])
    assert sinr_db(rx_dbm, -90.0, interference="none") == pytest.approx(rx_dbm + 90.0)


def test_sinr_handles_silent_uavs_and_per_user_noise():
    rx_dbm = np.array([[-60.0, -np.inf], [-np.inf, -75.0]])
    sinr = sinr_db(rx_dbm, np.array([[-90.0], [-95.0]]))
    assert sinr[0, 0] == pytest.approx(30.0)
    assert sinr[1, 1] == pytest.approx(20.0)
    assert sinr[0, 1] == -np.inf


def test_sinr_shape_for_many_users():
    rx_dbm = np.random.default_rng(1).uniform(-110, -60, size=(100, 3))
    sinr = sinr_db(rx_dbm, noise_power_dbm(20e6))
    assert sinr.shape == (100, 3)
    assert np.all(sinr <= sinr_db(rx_dbm, noise_power_dbm(20e6), interference="none"))


# ---------------------------------------------------------------------------------- indoor
def test_o2i_wall_loss_at_28ghz_low_17_83_high_37_95_gap_20_db():
    low = O2I3gpp("low").wall_loss_db(FC_28GHZ)
    high = O2I3gpp("high").wall_loss_db(FC_28GHZ)
    assert low == pytest.approx(17.83, abs=0.005)
    assert high == pytest.approx(37.95, abs=0.005)
    assert high - low == pytest.approx(20.1, abs=0.05)


def test_o2i_mean_adds_mean_indoor_term_and_draws_average_to_it():
    model = O2I3gpp("low")
    mean = model.mean_loss_db(FC_28GHZ)
    assert mean == pytest.approx(17.83 + 0.5 * 25 / 3, abs=0.005)
    assert model.penetration_loss_db(4, FC_28GHZ) == pytest.approx(np.full(4, mean))
    draws = model.penetration_loss_db(20000, FC_28GHZ, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(mean, abs=0.1)
    expected_sd = math.sqrt(4.4**2 + 0.25 * 25**2 / 18)  # var of min of 2 U(0,L) = L^2/18
    assert draws.std() == pytest.approx(expected_sd, rel=0.03)


def test_oti_manhattan_mean_excess_30_db_beyond_50m():
    model = make_penetration("oti_manhattan")
    distances = np.array([60.0, 100.0, 200.0])
    link = FreeSpace().path_loss_db(distances, 0.0, FC_28GHZ)
    indoor = apply_indoor(link, np.ones(3, dtype=bool), model, FC_28GHZ)
    assert indoor - link == pytest.approx(np.full(3, 30.0))
    draws = model.penetration_loss_db(20000, FC_28GHZ, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(30.0, abs=0.3)
    assert draws.std() == pytest.approx(11.7, rel=0.03)


def test_oti_manhattan_glass_gap_is_20_db():
    low = OtIManhattan("low").mean_loss_db(FC_28GHZ)
    high = OtIManhattan("high").mean_loss_db(FC_28GHZ)
    assert (low, high) == (20.0, 40.0)
    assert OtIManhattan(excess_db=25.0).mean_loss_db(FC_28GHZ) == 25.0


def test_apply_indoor_only_touches_indoor_rows_of_every_uav():
    link = np.full((4, 3), 100.0)
    mask = np.array([True, False, True, False])
    out = apply_indoor(link, mask, O2I3gpp("high"), FC_28GHZ, np.random.default_rng(3))
    assert out.shape == (4, 3)
    assert np.array_equal(out[~mask], link[~mask])
    assert np.all(out[mask] != 100.0)
    assert np.all(out[mask] == out[mask][:, :1])  # one draw per user, shared by its links
    assert np.array_equal(apply_indoor(link, mask, None, FC_28GHZ), link)


def test_penetration_draws_reproducible_with_same_seed():
    model = O2I3gpp("low")
    mask = indoor_mask(50, 0.3, np.random.default_rng(7))
    first = model.penetration_loss_db(mask, FC_28GHZ, np.random.default_rng(11))
    second = model.penetration_loss_db(mask, FC_28GHZ, np.random.default_rng(11))
    assert np.array_equal(first, second)
    assert np.all(first[~mask] == 0.0)


def test_indoor_mask_has_the_requested_ratio():
    rng = np.random.default_rng(0)
    assert indoor_mask(100, 0.25, rng).sum() == 25
    assert not indoor_mask(10, 0.0, rng).any()
    assert indoor_mask(10, 1.0, rng).all()
    assert indoor_mask(0, 0.5, rng).shape == (0,)


# ---------------------------------------------------------------------------------- validation
def test_unknown_channel_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown channel 'hata'.*al_hourani.*free_space"):
        make_channel("hata")
    with pytest.raises(ValueError, match="penetration add-on"):
        make_channel("o2i_3gpp")
    with pytest.raises(ValueError, match="unknown penetration model"):
        make_penetration("al_hourani")


def test_unknown_environment_and_options_raise():
    with pytest.raises(ValueError, match=r"AlHourani.environment must be one of .*'jungle'"):
        AlHourani("jungle")
    with pytest.raises(ValueError, match=r"no options \['env'\].*environment"):
        make_channel("al_hourani", env="urban")
    with pytest.raises(ValueError, match="O2I3gpp.glass"):
        O2I3gpp("medium")
    with pytest.raises(ValueError, match="OtIManhattan.glass"):
        OtIManhattan("tinted")
    with pytest.raises(ValueError, match="OtIManhattan.sigma_db must be >= 0"):
        OtIManhattan(sigma_db=-1.0)
    with pytest.raises(ValueError, match="Tr25942Macro.min_distance_m must be > 0"):
        Tr25942Macro(min_distance_m=0.0)


@pytest.mark.parametrize("name", ["al_hourani", "free_space", "tr25942_macro"])
def test_bad_geometry_and_frequency_raise(name):
    model = make_channel(name)
    with pytest.raises(ValueError, match=r"horizontal_m must be >= 0.0, got -5.0"):
        model.path_loss_db(np.array([10.0, -5.0]), 100.0, FC_2GHZ)
    with pytest.raises(ValueError, match=r"height_m must be >= 0.0"):
        model.path_loss_db(10.0, -1.0, FC_2GHZ)
    with pytest.raises(ValueError, match=r"horizontal_m must be finite, got nan"):
        model.path_loss_db(np.array([1.0, np.nan]), 100.0, FC_2GHZ)
    for fc in (0.0, -2e9, float("nan")):
        with pytest.raises(ValueError, match="fc_hz"):
            model.path_loss_db(10.0, 100.0, fc)


def test_bad_helper_inputs_raise():
    with pytest.raises(ValueError, match="bandwidth_hz must be > 0"):
        noise_power_dbm(0.0)
    with pytest.raises(ValueError, match="interference must be one of"):
        sinr_db(np.zeros((2, 2)), -90.0, interference="all")
    with pytest.raises(ValueError, match="2-D"):
        sinr_db(np.zeros(3), -90.0)
    with pytest.raises(ValueError, match="NaN"):
        sinr_db(np.array([[np.nan, 0.0]]), -90.0)
    with pytest.raises(ValueError, match="indoor_ratio must be <= 1"):
        indoor_mask(10, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="boolean"):
        apply_indoor(np.zeros(3), np.array([1, 0, 1]), O2I3gpp(), FC_28GHZ)
    with pytest.raises(ValueError, match="one entry per user"):
        apply_indoor(np.zeros((3, 2)), np.ones(2, dtype=bool), O2I3gpp(), FC_28GHZ)
    with pytest.raises(ValueError, match="fc_hz must be > 0"):
        O2I3gpp().penetration_loss_db(3, 0.0)
