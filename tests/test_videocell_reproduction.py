"""netgym/WirelessVideoCell-v0 against the ABR env and against the literature's formulas.

- One user with every PRB and an ABR throughput trace as its channel streams exactly as
  netgym/AbrStreaming-v0 does, for BBA and robustMPC clients.
- The LZG AMC's mean rate over Rayleigh fading at 5 / 10 / 15 / 20 dB, against the closed
  form derived here (and the reference note's 0.663 / 1.407 / 2.314 / 3.317).
- Max-C/I over N users of equal mean SNR picks a mean SNR of H_N times the mean.
- The fading's autocorrelation is J0(2 pi f_D tau) (Clarke/Jakes), its power exponential.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from netgym.baselines.abr import BBA, RobustMPC
from netgym.envs.abr import AbrParams
from netgym.envs.videocell.channel import (
    CQI_SE,
    LZG_RATE,
    SosFading,
    bessel_j0,
    complex_gains_at,
    cqi_se,
    db_to_linear,
    epoch_gains,
    gains_at,
    lzg_goodput,
    lzg_rate,
    lzg_thresholds_db,
    max_ci_pick,
    phasor_table,
)

ENV_ID = "netgym/WirelessVideoCell-v0"


def abr_chunks(policy, abr, trace_index):
    env = gym.make("netgym/AbrStreaming-v0", params=abr).unwrapped
    obs, info = env.reset(seed=0, options={"trace_index": trace_index})
    policy.reset(env)
    chunks = [(info["quality"], info["qoe"], info["rebuffer_s"], info["buffer_s"])]
    done = False
    while not done:
        obs, reward, done, _, info = env.step(policy.act(obs, info))
        chunks.append((info["quality"], reward, info["rebuffer_s"], info["buffer_s"]))
    return chunks


def cell_chunks(client, abr, trace_index, epoch_ttis=100):
    env = gym.make(
        ENV_ID,
        n_users=1,
        channel="trace",
        personas=("standard",),
        client=client,
        abr=abr,
        epoch_ttis=epoch_ttis,
        max_epochs=10**9,
    ).unwrapped
    env.sim.chunk_log = [[]]
    env.reset(seed=0, options={"trace_index": trace_index})
    done = False
    while not done:
        _, _, term, trunc, _ = env.step(np.ones(1))
        done = term or trunc
    return [(c["quality"], c["qoe"], c["rebuffer_s"], c["buffer_s"]) for c in env.sim.chunk_log[0]]


@pytest.mark.parametrize(("client", "policy"), [("bba", BBA), ("mpc", RobustMPC)])
@pytest.mark.parametrize("trace_index", [0, 1, 2, 7])
def test_one_user_with_every_prb_on_a_trace_streams_as_the_abr_env(client, policy, trace_index):
    abr = AbrParams(trace_order="sequential", start="beginning")
    ours = cell_chunks(client, abr, trace_index)
    theirs = abr_chunks(policy(), abr, trace_index)
    assert len(ours) == len(theirs) == 48
    assert [c[0] for c in ours] == [c[0] for c in theirs]  # the same level for every chunk
    np.testing.assert_allclose(np.array(ours)[:, 1:], np.array(theirs)[:, 1:], rtol=0, atol=1e-9)
    assert sum(c[1] for c in ours[1:]) == pytest.approx(sum(c[1] for c in theirs[1:]), abs=1e-8)


def test_the_equivalence_holds_for_any_epoch_length():
    abr = AbrParams(trace_order="sequential", start="beginning")
    theirs = abr_chunks(BBA(), abr, 3)
    for epoch_ttis in (53, 1000):
        ours = cell_chunks("bba", abr, 3, epoch_ttis=epoch_ttis)
        np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=0, atol=1e-9)


def test_the_equivalence_holds_on_the_hsdpa_test_traces(abr_data):
    abr = AbrParams.hsdpa142(abr_data)
    for trace_index in (0, 50, 141):
        ours = cell_chunks("mpc", abr, trace_index)
        theirs = abr_chunks(RobustMPC(), abr, trace_index)
        np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------- AMC
def lzg_mean_rate_closed_form(mean_snr_db: float, target_per: float) -> float:
    """Independent derivation: over Rayleigh fading the SINR is exponential with mean g, so
    mode n (threshold t_n = ln(a_n / P0) / g_n) is used with probability
    exp(-t_n / g) - exp(-t_{n+1} / g); the mean rate is sum R_n of those."""
    a = [274.7229, 90.2514, 67.6181, 50.1222, 53.3987, 35.3508]
    g = [7.9932, 3.4998, 1.6883, 0.6644, 0.3756, 0.0900]
    rates = [0.5, 1.0, 1.5, 2.25, 3.0, 4.5]
    mean = 10 ** (mean_snr_db / 10)
    thresholds = [math.log(a_n / target_per) / g_n for a_n, g_n in zip(a, g, strict=True)]
    total = 0.0
    for n, rate in enumerate(rates):
        upper = math.exp(-thresholds[n + 1] / mean) if n + 1 < len(rates) else 0.0
        total += rate * (math.exp(-thresholds[n] / mean) - upper)
    return total


@pytest.mark.parametrize(
    ("snr_db", "published"), [(5, 0.663), (10, 1.407), (15, 2.314), (20, 3.317)]
)
def test_lzg_mean_rate_over_rayleigh_matches_the_closed_form(snr_db, published):
    exact = lzg_mean_rate_closed_form(snr_db, 1e-2)
    assert exact == pytest.approx(published, abs=6e-4)  # the reference note's [C] values
    fading = SosFading(doppler_hz=5.56, n_sinusoids=8)
    amp, omega = fading.draw(np.random.default_rng(snr_db), (20000,))
    times = np.random.default_rng(1).uniform(0, 100, (20000, 10))
    gains = gains_at(amp[:, None], omega[:, None], times)  # 200k draws of the env's fading
    monte_carlo = lzg_rate(db_to_linear(snr_db) * gains, 1e-2).mean()
    assert monte_carlo == pytest.approx(exact, rel=0.02)


def test_lzg_thresholds_and_goodput():
    np.testing.assert_allclose(
        lzg_thresholds_db(1e-2), [1.07, 4.15, 7.18, 11.08, 13.59, 19.58], atol=0.01
    )
    sinr = db_to_linear(np.linspace(-10, 40, 501))
    goodput = lzg_goodput(sinr, 1e-2)
    assert np.all(goodput <= lzg_rate(sinr, 1e-2)) and np.all(goodput >= 0)
    above = lzg_rate(sinr, 1e-2) > 0  # every used mode meets the PER target
    assert np.all(goodput[above] >= 0.99 * lzg_rate(sinr, 1e-2)[above] - 1e-12)
    assert goodput.max() <= LZG_RATE[-1]


def test_cqi_table_is_monotone_and_bounded():
    sinr = db_to_linear(np.linspace(-20, 40, 601))
    se = cqi_se(sinr)
    assert np.all(np.diff(se) >= 0)
    assert se[0] == 0.0 and se[-1] == CQI_SE[-1] == 5.5547
    assert cqi_se(db_to_linear(np.array([10.3, 10.29])))[0] == 2.4063  # CQI 9 from 10.3 dB
    # bits per PRB per 1 ms TTI at the top CQI, 25 % overhead: 5.5547 * 180e3 * 1e-3 * 0.75
    assert 5.5547 * 180e3 * 1e-3 * 0.75 == pytest.approx(749.88, abs=0.01)


# ----------------------------------------------------------------------------- multi-user
@pytest.mark.parametrize(("n_users", "harmonic"), [(2, 1.5), (4, 2.0833), (10, 2.9290)])
def test_max_ci_picks_h_n_times_the_mean_snr(n_users, harmonic):
    assert sum(1 / k for k in range(1, n_users + 1)) == pytest.approx(harmonic, abs=1e-4)
    fading = SosFading(doppler_hz=5.56, n_sinusoids=8)
    amp, omega = fading.draw(np.random.default_rng(n_users), (n_users, 4000))
    times = np.random.default_rng(0).uniform(0, 50, (1, 4000, 20))
    gains = gains_at(amp[:, :, None], omega[:, :, None], times)  # (users, links, times)
    picked = np.take_along_axis(gains, max_ci_pick(gains, axis=0)[None], axis=0)
    assert picked.mean() == pytest.approx(harmonic, rel=0.02)


# ----------------------------------------------------------------------------- fading
def test_fading_autocorrelation_is_j0_of_2_pi_fd_tau():
    doppler = 5.56
    fading = SosFading(doppler, n_sinusoids=8)
    amp, omega = fading.draw(np.random.default_rng(0), (40000,))
    start = np.random.default_rng(1).uniform(0, 100, 40000)
    h0 = complex_gains_at(amp, omega, start)
    assert np.mean(np.abs(h0) ** 2) == pytest.approx(1.0, abs=0.02)
    for lag in (0.001, 0.01, 0.03, 0.05, 0.069, 0.1, 0.2):
        h = complex_gains_at(amp, omega, start + lag)
        measured = np.mean(h * np.conj(h0)).real
        assert measured == pytest.approx(float(bessel_j0(2 * np.pi * doppler * lag)), abs=0.02)


def test_fading_power_is_exponential():
    amp, omega = SosFading(5.56, 4).draw(np.random.default_rng(2), (200000,))
    power = gains_at(amp, omega, 3.0)
    for x in (0.1, 1.0, 3.0):
        assert np.mean(power > x) == pytest.approx(math.exp(-x), abs=0.01)


def test_bessel_j0_known_values():
    np.testing.assert_allclose(
        bessel_j0(np.array([0.0, 1.0, 2.404825557695773, 5.0, 25.0])),
        [1.0, 0.7651976866, 0.0, -0.1775967713, 0.0962667833],
        atol=2e-6,
    )


def test_exact_mode_phasor_table_gives_the_same_gains_as_direct_evaluation():
    amp, omega = SosFading(50.0, 8).draw(np.random.default_rng(0), (3, 4))
    table = phasor_table(omega, 1e-3, 100)
    t0 = np.array([0.0, 12.345, 100.0])
    fast = epoch_gains(amp, omega, table, t0)
    times = t0[:, None, None] + 1e-3 * np.arange(100)
    direct = gains_at(amp[..., None, :], omega[..., None, :], times)
    np.testing.assert_allclose(fast, direct, rtol=1e-4, atol=1e-5)
