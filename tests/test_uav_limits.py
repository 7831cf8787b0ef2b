"""The limits of netgym/UavOffload-v0 and uav_offload_v0: configurations too large for the
memory budget are refused before anything is allocated, absurd values are refused with the
field and its range, actions of the wrong shape or outside the Box are refused (never reshaped
or clipped), and every parameter at the edge of its range keeps observations and rewards
finite and inside their spaces (docs/uav.md, "Limits")."""

from __future__ import annotations

import math
import re
import tracemalloc

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgym.envs.uav import UavOffloadEnv, UavOffloadVectorEnv, UavParams, parallel_env

ENV_ID = "netgym/UavOffload-v0"
BUDGET = "NETGYM_MEMORY_BUDGET"


@pytest.fixture(autouse=True)
def default_budget(monkeypatch):
    monkeypatch.delenv(BUDGET, raising=False)


def refused_before_allocating(make, match: str) -> str:
    """Call ``make``; it must raise ``ValueError`` matching ``match`` having allocated little."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as err:
            make()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20
    return str(err.value)


# ----------------------------------------------------------------------------- memory
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"area_m": (2e5, 2e5)}, "move table of 16008001 cells x 9 actions"),
        ({"grid_cell_m": 1e-3, "speed_levels_mps": (1e-3,), "dt_s": 1.0}, "n_cells=1e+12"),
        ({"n_users": 10**9}, "n_users=1000000000"),
        ({"n_hotspots": 10**9}, "n_hotspots=1000000000"),
        ({"n_uavs": 10**6}, "n_uavs=1000000"),
        ({"n_uavs": 500, "n_users": 1000, "reward": "difference"}, "reward='difference'"),
        ({"layout_seed": 0, "area_m": (5e4, 5e4), "n_users": 1000}, "received-power table"),
    ],
    ids=["area", "grid", "n_users", "n_hotspots", "n_uavs", "difference", "layout-table"],
)
@pytest.mark.parametrize("make", [UavOffloadEnv, parallel_env], ids=["central", "pettingzoo"])
def test_a_configuration_over_the_budget_is_refused_naming_its_size(make, kwargs, named):
    message = refused_before_allocating(
        lambda: make(**kwargs), rf"UavOffload: .*{re.escape(named)}"
    )
    assert "over the memory budget of 4.0 GiB" in message and BUDGET in message


def test_the_vector_env_refuses_many_sub_envs_before_building_them():
    message = refused_before_allocating(
        lambda: gym.make_vec(ENV_ID, num_envs=10**5, n_users=1000),
        r"UavOffloadVectorEnv: .*num_envs=100000 x .* per sub-env",
    )
    assert BUDGET in message
    assert UavOffloadVectorEnv(num_envs=2).memory_per_env() > 0


def test_the_vector_env_counts_the_shared_lattice_once():
    with pytest.raises(ValueError, match=r"n_cells=1e\+12 lattice points"):
        UavOffloadVectorEnv(num_envs=2, grid_cell_m=1e-3, speed_levels_mps=(1e-3,), dt_s=1.0)


def test_the_budget_can_be_lowered_and_switched_off(monkeypatch):
    monkeypatch.setenv(BUDGET, "1MiB")
    with pytest.raises(ValueError, match=r"over the memory budget of 1.0 MiB"):
        UavOffloadEnv()
    monkeypatch.setenv(BUDGET, "0")
    UavOffloadEnv(params="small").reset(seed=0)


def test_the_interference_free_bound_checks_its_table_first(monkeypatch):
    from netgym.baselines.uav.bounds import interference_free_bound

    params = UavParams.small()
    users = np.zeros((params.n_users, 2))
    assert interference_free_bound(users, params) >= 0
    monkeypatch.setenv(BUDGET, "1KiB")
    with pytest.raises(ValueError, match=r"interference-free bound: .*20 users x 81 lattice"):
        interference_free_bound(users, params)


# ----------------------------------------------------------------------------- absurd values
@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"area_m": (1e300, 1e3)}, r"UavParams.area_m\[0\] must be <= 10000000.0"),
        ({"area_m": (1e3, "wide")}, r"UavParams.area_m\[1\] must be a number, got 'wide'"),
        ({"area_m": np.array([1e3, 1e3])}, r"UavParams.area_m must be a list or tuple"),
        ({"grid_cell_m": 1e-300}, r"UavParams.grid_cell_m must be >= 0.001"),
        (
            {"area_m": (1e7, 1e7), "grid_cell_m": 1e-3},
            r"has 1e\+20 points, more than a Discrete space can number",
        ),
        ({"uav_altitude_m": 1e300}, r"UavParams.uav_altitude_m must be <= 100000.0"),
        ({"bs_height_m": 1e300}, r"UavParams.bs_height_m must be <= 10000.0"),
        ({"bandwidth_hz": 1e-300}, r"UavParams.bandwidth_hz must be >= 1.0"),
        ({"dt_s": 1e300}, r"UavParams.dt_s must be <= 1000000.0"),
        ({"speed_levels_mps": (10.0, 1e300)}, r"speed_levels_mps\[1\] must be <= 100000.0"),
        ({"user_speed_mps": 1e300}, r"UavParams.user_speed_mps must be <= 100000.0"),
        ({"n_users": 10**400}, r"n_users must be <= 9223372036854775807, got an integer"),
        ({"n_uavs": float("nan")}, r"UavParams.n_uavs must be finite"),
        ({"capacity": np.array([1, 2])}, r"capacity must be a number, got an array"),
        ({"grid_cell_m": 1e300}, r"UavParams.grid_cell_m must be <= 10000000.0"),
        ({"hotspot_std_m": 10**19}, r"UavParams.hotspot_std_m must be <= 10000000.0"),
        ({"continuous": np.array([1, 2])}, r"UavParams.continuous must be True or False"),
    ],
)
def test_absurd_values_are_refused_with_the_field_and_its_range(changes, match):
    with pytest.raises(ValueError, match=match):
        UavParams(**changes)


# ----------------------------------------------------------------------------- actions
CONTINUOUS = {"params": "small", "continuous": True}


def test_continuous_actions_must_have_the_spaces_shape_and_are_never_reshaped():
    central = gym.make(ENV_ID, **CONTINUOUS).unwrapped
    central.reset(seed=0)
    central.step(np.zeros(4))  # Box(-1, 1, (2K,)) with K = 2
    with pytest.raises(ValueError, match=r"must have shape \(4,\) .* got \(2, 2\)"):
        central.step(np.zeros((2, 2)))
    vector = gym.make_vec(ENV_ID, num_envs=3, **CONTINUOUS)
    vector.reset(seed=0)
    vector.step(np.zeros((3, 4)))
    for shape in [(12,), (3, 2, 2), (4, 3)]:
        message = rf"must have shape \(3, 4\) .* got {re.escape(str(shape))}"
        with pytest.raises(ValueError, match=message):
            vector.step(np.zeros(shape))


@pytest.mark.parametrize("value", [1.5, -1.01, 1e300])
def test_continuous_actions_outside_the_box_are_refused_not_clipped(value):
    central = gym.make(ENV_ID, **CONTINUOUS).unwrapped
    central.reset(seed=0)
    action = np.zeros(4)
    action[1] = value
    with pytest.raises(ValueError, match=r"must lie in the action space's Box \[-1, 1\]"):
        central.step(action)
    vector = gym.make_vec(ENV_ID, num_envs=2, **CONTINUOUS)
    vector.reset(seed=0)
    with pytest.raises(ValueError, match=r"Box \[-1, 1\] .* clip them"):
        vector.step(np.full((2, 4), value))


def test_continuous_actions_on_the_box_edge_are_accepted_at_float32_precision():
    central = gym.make(ENV_ID, **CONTINUOUS).unwrapped
    central.reset(seed=0)
    before = central.uav_xy
    central.step(np.array([1.0 + 1e-12, 0.0, -1.0, 0.0]))  # rounds to 1.0 in the Box's float32
    moved = central.uav_xy - before
    step = central.params.max_step_m
    assert moved[0, 0] <= step + 1e-9 and moved[1, 0] >= -step - 1e-9


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_actions_are_refused(bad):
    central = gym.make(ENV_ID, **CONTINUOUS).unwrapped
    central.reset(seed=0)
    with pytest.raises(ValueError, match="must be finite"):
        central.step(np.array([bad, 0.0, 0.0, 0.0]))
    discrete = gym.make(ENV_ID, params="small").unwrapped
    discrete.reset(seed=0)
    with pytest.raises(ValueError, match="must be integers"):
        discrete.step(np.array([bad, 0.0]))
    with pytest.raises(ValueError, match=r"must be in \[0, 8\]"):
        discrete.step(np.array([1e300, 0.0]))


def test_pettingzoo_actions_are_checked_per_agent_and_name_it():
    penv = parallel_env(**CONTINUOUS)
    penv.reset(seed=0)
    penv.step({"uav_0": np.zeros(2), "uav_1": np.zeros(2, dtype=np.float32)})
    with pytest.raises(ValueError, match=r"the action of uav_1 must be a velocity of shape"):
        penv.step({"uav_0": np.zeros(2), "uav_1": np.zeros(4)})
    with pytest.raises(ValueError, match=r"the action of uav_0 must lie in .* got 2.0"):
        penv.step({"uav_0": np.array([2.0, 0.0]), "uav_1": np.zeros(2)})
    discrete = parallel_env(params="small")
    discrete.reset(seed=0)
    discrete.step({"uav_0": 0, "uav_1": np.int64(3)})
    with pytest.raises(ValueError, match=r"the action of uav_1 must be one integer level"):
        discrete.step({"uav_0": 0, "uav_1": [1, 2]})
    with pytest.raises(ValueError, match=r"the action of uav_0 must be in \[0, 8\]"):
        discrete.step({"uav_0": 9, "uav_1": 0})
    with pytest.raises(ValueError, match=r"the action of uav_0 must be integers"):
        discrete.step({"uav_0": 0.5, "uav_1": 0})


# ----------------------------------------------------------------------------- the edges
@st.composite
def edge_params(draw) -> dict:
    """Every parameter at an edge of its accepted range (or a typical value); the lattice
    stays small (n_cells <= 25 x 25) so that an example runs in milliseconds."""
    grid = draw(st.sampled_from([1e-3, 50.0, 1e5]))
    cells_per_axis = draw(st.sampled_from([1, 4, 24]))
    side = min(grid * cells_per_axis, 1e7)
    continuous = draw(st.booleans())
    dt = draw(st.sampled_from([1e-300, 5.0, 1e6]))
    levels = (grid / dt, 2 * grid / dt) if grid / dt <= 5e4 else (1e5,)
    if continuous:
        levels = (draw(st.sampled_from([1e-300, 10.0, 1e5])),)
    elif levels == (1e5,):  # a move of whole cells is impossible here: no speed level works
        continuous = True
    low_height = draw(st.sampled_from([5e-324, 1e-3]))
    return dict(
        area_m=(side, draw(st.sampled_from([side, min(side * 2, 1e7)]))),
        grid_cell_m=grid,
        n_uavs=draw(st.sampled_from([1, 3])),
        n_users=draw(st.sampled_from([1, 40])),
        user_layout=draw(st.sampled_from(["hotspot", "uniform", "clusters"])),
        n_hotspots=draw(st.sampled_from([1, 50])),
        hotspot_share=draw(st.sampled_from([0.0, 1.0])),
        hotspot_std_m=draw(st.sampled_from([5e-324, 60.0, 1e7])),
        layout_seed=draw(st.sampled_from([None, 0, 10**30])),
        user_speed_mps=draw(st.sampled_from([0.0, 1e5])),
        n_bs=draw(st.sampled_from([0, 3])),
        bs_tx_dbm=draw(st.sampled_from([-50.0, 80.0])),
        bs_height_m=draw(st.sampled_from([low_height, 1e4])),
        bs_interference=draw(st.booleans()),
        uav_altitude_m=draw(st.sampled_from([low_height, 1e5])),
        fc_hz=draw(st.sampled_from([1e6, 3e11])),
        bandwidth_hz=draw(st.sampled_from([1.0, 1e12])),
        uav_tx_dbm=draw(st.sampled_from([-50.0, 80.0])),
        noise_psd_dbm_hz=draw(st.sampled_from([-250.0, 0.0])),
        noise_figure_db=draw(st.sampled_from([0.0, 50.0])),
        interference=draw(st.sampled_from(["co_channel", "none"])),
        sinr_threshold_db=draw(st.sampled_from([-50.0, 5.0, 100.0])),
        capacity=draw(st.sampled_from([1, 10**6])),
        dt_s=dt,
        speed_levels_mps=levels,
        directions=draw(st.sampled_from([4, 8])),
        max_steps=draw(st.sampled_from([1, 6])),
        reward=draw(st.sampled_from(["global", "local", "mixed", "difference"])),
        mixed_weight=draw(st.sampled_from([0.0, 1.0])),
        obs_mode=draw(st.sampled_from(["tabular", "vector", "image"])),
        heatmap_size=draw(st.sampled_from([1, 64])),
        continuous=continuous,
        indoor_ratio=draw(st.sampled_from([0.0, 1.0])),
        uav_start=draw(st.sampled_from(["random", "center"])),
    )


def finite_info(info: dict) -> bool:
    return all(np.isfinite(np.asarray(value, dtype=float)).all() for value in info.values())


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=edge_params(), seed=st.integers(0, 2**16))
def test_observations_and_rewards_stay_finite_and_in_their_spaces_at_the_edges(params, seed):
    # no overflow, division by zero or NaN anywhere (underflow to 0 is harmless)
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        central = UavOffloadEnv(**params)
        central.action_space.seed(seed)
        obs, info = central.reset(seed=seed)
        for _ in range(7):
            assert central.observation_space.contains(obs), obs
            assert finite_info(info) and not np.isnan(central.sinr_db).any()
            obs, reward, _, truncated, info = central.step(central.action_space.sample())
            assert math.isfinite(reward) and 0.0 <= reward <= 1.0
            if truncated:
                obs, info = central.reset()
        penv = parallel_env(**params)
        observations, _ = penv.reset(seed=seed)
        while penv.agents:
            for agent, agent_obs in observations.items():
                assert penv.observation_space(agent).contains(agent_obs)
            actions = {agent: penv.action_space(agent).sample() for agent in penv.agents}
            observations, rewards, *_ = penv.step(actions)
            assert all(-1.0 <= r <= 1.0 for r in rewards.values())
        vector = UavOffloadVectorEnv(num_envs=2, **params)
        vector.action_space.seed(seed)
        vobs, _ = vector.reset(seed=seed)
        for _ in range(3):
            assert vector.observation_space.contains(vobs)
            vobs, vreward, *_ = vector.step(vector.action_space.sample())
            assert np.isfinite(vreward).all()


def test_a_lattice_spacing_that_is_not_exact_in_binary_takes_the_batched_step():
    """With grid_cell_m=0.3, 0.6 + 0.3 != 3 * 0.3 in floating point: the one-env fast path
    (moves on cell indices) would leave the lattice, so the env takes the batched step, and
    the central env still equals the vector env of one."""
    kwargs = dict(area_m=(3.0, 3.0), grid_cell_m=0.3, speed_levels_mps=(0.06, 0.12), n_users=15)
    central = UavOffloadEnv(**kwargs)
    assert not central.sim._fast_one
    vector = UavOffloadVectorEnv(num_envs=1, **kwargs)
    obs, _ = central.reset(seed=5)
    vobs, _ = vector.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(30):
        action = rng.integers(0, central.params.n_actions, central.params.n_uavs)
        obs, reward, *_ = central.step(action)
        vobs, vreward, *_ = vector.step(action[None])
        np.testing.assert_array_equal(vobs[0], obs)
        assert vreward[0] == reward
