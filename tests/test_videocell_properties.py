"""Properties of netgym/WirelessVideoCell-v0 under random actions and at the edges of every
parameter's range: rates never above their bounds, satisfaction in [0, 1], PRBs conserved,
the bounds' optimality on small instances, finite observations inside the space."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest
from netgym.envs.videocell.bounds import concave_bound, count_bound, envelope_segments
from netgym.envs.videocell.personas import satisfaction, utility_of_kbps

ENV_ID = "netgym/WirelessVideoCell-v0"


def make(**kwargs):
    """The unwrapped env, with its per-step bounds unless ``bounds=False`` is given."""
    return gym.make(ENV_ID, **{"bounds": True, **kwargs}).unwrapped


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"mode": "exact", "epoch_ttis": 50}, {"link": "lzg"}, {"channel": "trace"},
     {"n_users": 2, "fixed_snr_db": 30.0}, {"objective": "count", "params": "vehicular"}],
)  # fmt: skip
def test_rates_satisfaction_and_prbs_stay_inside_their_bounds(kwargs):
    env = make(**kwargs)
    n = env.n_users
    sim = env.sim
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=5)
    epoch_ms = env.params.epoch_ms
    for step in range(300):
        shares = rng.uniform(0, 1, n) * (rng.uniform() < 0.8)
        if step % 7 == 0:
            shares = np.zeros(n)
        rate_before = info["rate_mbps"].copy()
        obs, reward, term, trunc, info = env.step(shares)
        used_share = shares / max(shares.sum(), 1.0)
        delivered = sim.delivered[0]  # bytes of each user in this epoch
        if env.params.channel == "fading":
            assert np.all(info["rate_mbps"] <= sim.max_rate_mbps + 1e-9)
            cell = sim.max_rate_mbps * 1000.0 / 8.0 * epoch_ms  # peak bytes of the cell
            assert delivered.sum() <= cell * used_share.sum() + 1e-6
            if env.params.mode == "fluid":  # each user gets at most its share of its rate
                cap = used_share * rate_before * 1000.0 / 8.0 * epoch_ms
                assert np.all(delivered <= cap * (1 + 1e-9) + 1e-6)
        assert 0.0 <= info["prb_used"] <= used_share.sum() + 1e-9  # PRBs conserved
        assert np.all((info["satisfaction"] >= 0) & (info["satisfaction"] <= 1))
        vec = info["reward_vec"]
        assert 0 <= vec[0] <= 1 and -1 <= vec[1] <= 0 and 0 <= vec[2] <= 1
        assert info["n_satisfied"] == round(vec[2] * n)
        assert 0 <= info["count_bound"] <= 1 and 0 <= info["upper_bound"] <= 1
        assert np.isfinite(reward) and env.observation_space.contains(obs)
        assert np.all(info["buffer_s"] <= env.params.abr.buffer_cap_s + 1e-9)
        if term or trunc:
            obs, info = env.reset()


def test_zero_shares_deliver_nothing_and_stall_every_user():
    env = make(n_users=3)
    env.reset(seed=0)
    for _ in range(30):
        _, reward, _, _, info = env.step(np.zeros(3))
    assert np.all(env.sim.delivered == 0) and list(info["chunks"]) == [0, 0, 0]
    assert reward == 0.0 and np.all(info["satisfaction"] == 0)


def test_satisfaction_crosses_the_zone_as_documented():
    s = satisfaction(np.array([-100.0, 1.0, 2.0, 3.0, 100.0]), np.full(5, 1.0), np.full(5, 3.0))
    np.testing.assert_allclose(s[1:4], [0.05, 0.5, 0.95])
    assert s[0] >= 0 and s[-1] <= 1 and np.all(np.diff(s) > 0)


def fluid_objective(ladder, utilities, zones, rates, shares, price):
    """The true (non-concave) fluid objective of ``bounds.py`` at ``shares``."""
    total = 0.0
    for (a, d), r, x in zip(zones, rates, shares, strict=True):
        kbps = x * r
        if kbps > 0:
            util = utility_of_kbps(np.array([min(kbps, ladder[-1])]), ladder, utilities)[0]
            total += satisfaction(np.array([util]), np.array([a]), np.array([d]))[0]
    return total / len(rates) - price * sum(shares)


@pytest.mark.parametrize("seed", range(4))
def test_concave_bound_is_above_the_fluid_optimum_and_tight_on_its_envelope(seed):
    rng = np.random.default_rng(seed)
    ladder = np.array([300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0])
    utilities = ladder / 1000.0
    zones = [(1.0, 2.5), (0.6, 1.9)]
    rates = rng.uniform(1500, 9000, 2)
    price = 0.2
    intercepts, widths, slopes = [], [], []
    for a, d in zones:
        c, w, s = envelope_segments(ladder, utilities, a, d)
        intercepts.append(c)
        widths.append(np.pad(w, (0, 90 - w.size)))
        slopes.append(np.pad(s, (0, 90 - s.size)))
    bound = concave_bound(
        np.array([intercepts]), np.array([widths]), np.array([slopes]), rates[None], price
    )[0]
    grid = np.linspace(0, 1, 201)
    best = max(
        fluid_objective(ladder, utilities, zones, rates, (x, y), price)
        for x, y in itertools.product(grid, grid)
        if x + y <= 1
    )
    assert bound >= best - 1e-9
    assert bound <= best + 0.15  # the envelope only fills the non-concave dips


def test_count_bound_equals_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(200):
        need = rng.uniform(0, 0.7, 5)
        best = max(
            len(c)
            for k in range(6)
            for c in itertools.combinations(range(5), k)
            if need[list(c)].sum() <= 1
        )
        assert count_bound(need[None])[0] * 5 == best


LIMITS = [
    {"n_users": 1},
    {"n_users": 64},
    {"n_subbands": 1, "prbs_per_subband": 1},
    {"n_subbands": 100, "prbs_per_subband": 100},
    {"epoch_ttis": 1},
    {"mode": "exact", "epoch_ttis": 1000, "n_users": 2, "n_subbands": 2},
    {"doppler_hz": 0.0},
    {"doppler_hz": 2000.0, "mode": "exact"},
    {"fixed_snr_db": -20.0},
    {"fixed_snr_db": 60.0, "max_snr_db": 60.0},
    {"min_snr_db": -20.0, "max_snr_db": -20.0},
    {"min_snr_db": 60.0, "max_snr_db": 60.0},
    {"overhead": 0.9, "bler": 0.9},
    {"lzg_target_per": 1e-6, "link": "lzg"},
    {"lzg_target_per": 0.5, "link": "lzg"},
    {"n_sinusoids": 1},
    {"n_sinusoids": 64},
    {"min_distance_m": 1.0, "max_distance_m": 1.0},
    {"max_distance_m": 1e5, "shadowing_db": 20.0},
    {"tx_power_dbm": -30.0},
    {"tx_power_dbm": 80.0, "interference_db": 0.0},
    {"zot_spread": 0.0},
    {"zot_spread": 0.4, "personas": ("hd",)},
    {"sat_window": 1},
    {"sat_window": 1000},
    {"resource_weight": 0.0},
    {"resource_weight": 100.0},
    {"max_epochs": 1},
    {"tti_s": 1e-5},
    {"tti_s": 1.0, "epoch_ttis": 3},
    {"client": "mpc"},
    {"client": "lowest"},
    {"bounds": False},
    {"prb_hz": 1e3},
    {"prb_hz": 1e8},
]


@pytest.mark.parametrize("changes", LIMITS, ids=[str(c) for c in LIMITS])
def test_every_parameter_at_its_limits_keeps_the_env_finite(changes):
    env = make(**changes)
    n = env.n_users
    obs, info = env.reset(seed=1)
    rng = np.random.default_rng(1)
    for _ in range(20):
        assert env.observation_space.contains(obs)
        obs, reward, term, trunc, info = env.step(rng.uniform(0, 1, n))
        assert np.isfinite(reward) and np.all(np.isfinite(info["reward_vec"]))
        if term or trunc:
            obs, info = env.reset()


def test_finished_users_keep_their_satisfaction_in_the_bounds_and_need_no_prbs():
    env = make(n_users=3, max_epochs=100000, abr={"n_chunks": 4})
    env.reset(seed=0)
    assert env.params.bounds
    term = False
    while not term:
        _, _, term, _, info = env.step(np.ones(3))
    assert info["upper_bound"] == pytest.approx(info["satisfaction"].mean())
    assert info["count_bound"] == pytest.approx(info["n_satisfied"] / 3)


def test_bounds_are_opt_in_and_absent_from_info_without_them():
    default = gym.make(ENV_ID, n_users=3).unwrapped
    assert default.params.bounds is False
    _, info = default.reset(seed=0)
    _, _, _, _, info = default.step(np.ones(3))
    assert "upper_bound" not in info and "count_bound" not in info
    with_bounds = gym.make(ENV_ID, n_users=3, bounds=True).unwrapped
    with_bounds.reset(seed=0)
    _, _, _, _, info_b = with_bounds.step(np.ones(3))
    assert 0 <= info_b["count_bound"] <= 1 and 0 <= info_b["upper_bound"] <= 1
    assert info_b["reward_vec"] == pytest.approx(info["reward_vec"])  # same dynamics
