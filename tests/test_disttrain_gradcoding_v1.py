"""``netgym/SeqGradCoding-v1``: its counter-based generator, scalar == vector sub-env bit for
bit, determinism, lazy draws, and the same delay distributions as v0. (v0's env, baseline and
reproduction tests run on v1 too: ``test_disttrain_gradcoding.py``, parametrised by id.)"""

from __future__ import annotations

import math

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from netgym.envs.core.streams import (
    ZIG_R,
    ZIG_V,
    ZIG_X,
    bits,
    geometric,
    mix,
    normals_of,
)
from netgym.envs.disttrain.gradcoding.env_v1 import SeqGradCodingV1Env, SeqGradCodingV1VectorEnv
from netgym.envs.disttrain.gradcoding.lazy import floor_term
from netgym.envs.disttrain.gradcoding.params import SeqGradCodingParams
from netgym.envs.disttrain.gradcoding.rounds import clairvoyant_floor, evaluate_arms
from netgym.envs.disttrain.gradcoding.sim_v1 import GradCodingSimV1
from netgym.envs.disttrain.gradcoding.stragglers import draw_delays

V1_ID = "netgym/SeqGradCoding-v1"
SMALL = SeqGradCodingParams.small()
MASK = (1 << 64) - 1


def _splitmix_finaliser(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


# ------------------------------------------------------------------ the generator
def test_mix_is_splitmix64s_finaliser():
    for z in (0, 1, 12345, 2**63 + 17, MASK):
        assert int(mix(np.uint64(z))) == _splitmix_finaliser(z)


def test_ziggurat_layers_have_equal_areas_and_close_at_the_mode():
    x = ZIG_X
    assert x[1] == ZIG_R and x[-1] == 0.0 and np.all(np.diff(x[1:]) < 0)
    f = np.exp(-0.5 * x * x)
    areas = x[1:-2] * (f[2:-1] - f[1:-2])
    assert np.allclose(areas, ZIG_V, rtol=1e-12)
    assert abs(ZIG_V / x[-2] + f[-2] - 1.0) < 1e-9  # the top layer ends at the mode


def test_ziggurat_normals_are_standard_normal():
    """200,000 normals of one key: moments, tail share beyond R, and a Kolmogorov distance
    well inside the 1 % critical value (1.63 / sqrt(N))."""
    count = 200_000
    out = np.empty(count)
    normals_of(np.uint64(2024), count, ZIG_X, out)
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1.0) < 0.01
    assert abs((out**4).mean() - 3.0) < 0.06
    tail = np.mean(np.abs(out) > ZIG_R)
    assert tail == pytest.approx(math.erfc(ZIG_R / math.sqrt(2.0)), rel=0.2)
    values = np.sort(out)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(values / math.sqrt(2.0)))
    ranks = np.arange(1, count + 1) / count
    assert np.max(np.abs(cdf - ranks)) < 1.63 / math.sqrt(count)


@pytest.mark.parametrize("rate", [0.04, 0.5, 0.96])
def test_geometric_sojourns_have_the_geometric_mean_and_variance(rate):
    draws = np.array(
        [
            geometric(np.uint64(bits(np.uint64(3), 2, i, 0)), rate, math.log1p(-rate))
            for i in range(100_000)
        ]
    )
    assert draws.min() >= 1
    assert draws.mean() == pytest.approx(1 / rate, rel=0.02)
    assert draws.var() == pytest.approx((1 - rate) / rate**2, rel=0.06, abs=0.002)
    assert (
        geometric(np.uint64(5), 1.0, -math.inf) == 1
        and geometric(np.uint64(5), 0.0, 0.0) >= 1 << 40
    )


# ------------------------------------------------------------------ the contracts
def _replay(params, n, steps, seed, actions_seed=1):
    """Step a v1 vector env of ``n`` sub-envs and ``n`` scalar envs with the same random arms;
    assert equal observations, rewards, ends and infos (autoresets included)."""
    venv = SeqGradCodingV1VectorEnv(num_envs=n, params=params)
    scalars = [SeqGradCodingV1Env(params) for _ in range(n)]
    obs, info = venv.reset(seed=seed)
    for i, env in enumerate(scalars):
        row, scalar_info = env.reset(seed=seed + i)
        assert np.array_equal(obs[i], row)
        assert scalar_info == {key: info[key][i].item() for key in scalar_info}
    rng = np.random.default_rng(actions_seed)
    done = np.zeros(n, dtype=bool)
    episodes = 0
    for _ in range(steps):
        actions = rng.integers(0, len(scalars[0].arms), n)
        obs, reward, terminated, _, info = venv.step(actions)
        for i, env in enumerate(scalars):
            if done[i]:
                row, scalar_info = env.reset()
                episodes += 1
            else:
                row, r, term, _, scalar_info = env.step(int(actions[i]))
                assert reward[i] == r and terminated[i] == term
            assert np.array_equal(obs[i], row)
            assert scalar_info == {key: info[key][i].item() for key in scalar_info}
        done = terminated
    return episodes


def test_v1_scalar_env_equals_the_vector_sub_env_bit_for_bit_across_autoresets():
    assert _replay(SMALL, 4, 30, seed=11) >= 4 * 4  # several episodes per sub-env
    params = SeqGradCodingParams(jobs=20, epoch_jobs=5)  # 256 workers, default regimes
    assert _replay(params, 2, 12, seed=3, actions_seed=2) >= 2


def test_v1_scalar_equals_vector_with_groups_iid_and_stationary_chains():
    grouped = SeqGradCodingParams.small(group_size=8, group_p=0.1, group_q=0.3, regimes=())
    _replay(grouped, 3, 12, seed=7)
    _replay(SeqGradCodingParams.iid(n_workers=32, jobs=20, epoch_jobs=5), 2, 10, seed=0)


def test_v1_trace_replay_scalar_equals_vector_and_draws_offsets_per_episode(tmp_path):
    delays = np.random.default_rng(0).uniform(0.1, 1.0, (32, 200))
    np.save(tmp_path / "t.npy", delays)
    params = SeqGradCodingParams.small(trace_path=str(tmp_path / "t.npy"))
    _replay(params, 3, 12, seed=5)
    env = SeqGradCodingV1Env(params)
    starts = set()
    for seed in range(6):
        env.reset(seed=seed)
        start = int(env.sim.starts[0])
        starts.add(start)
        assert np.array_equal(env.delay_profile(), delays[:, start : start + env.sim.max_rounds])
    assert len(starts) > 1


def test_v1_is_deterministic_under_a_seed_and_seeds_differ():
    def trajectory(seed, reseed_env=None):
        env = reseed_env or gym.make(V1_ID, params=SMALL)
        obs, _ = env.reset(seed=seed)
        rows, rewards = [obs], []
        for step in range(10):
            obs, reward, done, _, _ = env.step(step % 7)
            rows.append(obs)
            rewards.append(reward)
            if done:
                obs, _ = env.reset()
                rows.append(obs)
        return np.array(rows), np.array(rewards)

    first = trajectory(4)
    env = gym.make(V1_ID, params=SMALL)
    trajectory(9, env)
    again = trajectory(4, env)  # reseeding the same env replays the episodes
    other = trajectory(5)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_v1_vector_env_reseeded_replays_its_episodes():
    venv = SeqGradCodingV1VectorEnv(num_envs=3, params=SMALL)
    runs = []
    for _ in range(2):
        obs, _ = venv.reset(seed=21)
        rewards = [venv.step(np.array([1, 50, 100]))[1] for _ in range(6)]
        runs.append((obs, np.array(rewards)))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])


def test_v1_resets_draw_nothing_from_the_numpy_generator_after_the_base_key():
    """Lazy draws: the first reset after seeding takes one number (the base key) from the
    env's generator, later resets and steps none (each episode's key is counter-based)."""
    env = SeqGradCodingV1Env(SMALL)
    env.reset(seed=3)
    state = env.np_random.bit_generator.state
    for _ in range(3):
        env.reset()
        env.step(2)
    assert env.np_random.bit_generator.state == state


def test_v1_draws_only_the_rounds_a_step_plays():
    env = SeqGradCodingV1Env(SMALL)
    env.reset(seed=0)
    untouched = env.sim.delays[0].copy()
    env.sim.delays[0] = -1.0
    _, _, _, _, info = env.step(3)
    drawn = info["rounds"]
    assert (env.sim.delays[0, :drawn] > 0).all() and (env.sim.delays[0, drawn:] == -1.0).all()
    assert untouched.shape[0] > drawn


def test_v1_delay_profile_holds_the_rounds_played_and_the_future():
    """The step draws only the delays the round rule reads (stragglers, the healthy workers'
    minimum and top order statistics) and gives the other healthy workers the round's fastest
    delay; ``delay_profile`` draws them too. Every arm then plays the same rounds on both."""
    env = SeqGradCodingV1Env(SMALL)
    env.reset(seed=8)
    profile = env.delay_profile()
    done = False
    while not done:
        _, _, done, _, info = env.step(int(env.arms.of_kind("msgc")[3]))
    rounds = info["rounds"]
    played = env.sim.d0[0][:, :rounds]
    fastest = played.min(axis=0)
    assert np.array_equal(profile[:, :rounds].min(axis=0), fastest)
    assert np.array_equal(profile[:, :rounds].max(axis=0), played.max(axis=0))
    placeholder = played != profile[:, :rounds]
    assert placeholder.any() and np.all(
        played[placeholder] == np.broadcast_to(fastest, played.shape)[placeholder]
    )
    assert np.all(
        profile[:, :rounds][placeholder]
        < (1 + SMALL.mu) * np.broadcast_to(fastest, played.shape)[placeholder]
    )
    arms = np.arange(len(env.arms))
    jobs = rounds - int(env.arms.delay.max())
    on_profile = evaluate_arms(profile[:, :rounds], arms, env.arms, env.rule, jobs)
    on_played = evaluate_arms(played, arms, env.arms, env.rule, jobs)
    assert np.array_equal(on_profile, on_played)
    assert np.array_equal(env.delay_profile(), profile)  # drawn again, the same numbers
    assert profile.shape == (SMALL.n_workers, env.sim.max_rounds)


def test_v1_lower_bound_grows_to_the_whole_clairvoyant_floor():
    env = SeqGradCodingV1Env(SMALL)
    _, info = env.reset(seed=2)
    assert info["lower_bound"] == 0.0
    profile = env.delay_profile()
    bounds, done = [], False
    while not done:
        _, _, done, _, info = env.step(0)
        bounds.append(info["lower_bound"])
    assert np.all(np.diff(bounds) >= 0)
    floor = clairvoyant_floor(profile, env.rule, SMALL.n_workers, SMALL.jobs)
    assert info["lower_bound"] == pytest.approx(floor, rel=1e-12)
    extra, total = env.sim.model[8], 0.0  # round by round, from the rounds' extremes
    for t in range(SMALL.jobs):
        total += floor_term(np.ascontiguousarray(env.sim.delays[0, t]), extra, SMALL.mu)
    assert info["lower_bound"] == total
    assert info["iteration_time"] >= info["lower_bound"]


# ------------------------------------------------------------------ same distributions
def _pooled(draws):
    """Straggling share per regime, healthy log-delay mean and spread, mean burst length,
    regime shares, and the rounds' mean fastest and slowest healthy log-delays, pooled over
    the episodes of the iterator ``draws``."""
    bad_rounds, rounds = np.zeros(4), np.zeros(4)
    logs, ends, inside, shares, extremes = [], 0, 0, [], []
    for draw in draws:
        bad = draw.straggling
        for regime in range(4):
            chosen = draw.regime == regime
            bad_rounds[regime] += bad[:, chosen].sum()
            rounds[regime] += chosen.sum() * bad.shape[0]
        healthy = np.log(draw.d0[~bad])
        logs.append((healthy.mean(), healthy.std()))
        masked = np.where(bad, np.nan, np.log(draw.d0))
        extremes.append((np.nanmin(masked, axis=0).mean(), np.nanmax(masked, axis=0).mean()))
        inside += int(bad[:, 1:].sum())
        ends += int((bad[:, :-1] & ~bad[:, 1:]).sum())
        shares.append(np.bincount(draw.regime, minlength=4) / len(draw.regime))
    share = np.divide(bad_rounds, rounds, out=np.full(4, np.nan), where=rounds > 0)
    return (
        share,
        np.mean(logs, axis=0),
        inside / max(ends, 1),
        np.mean(shares, axis=0),
        np.mean(extremes, axis=0),
    )


@pytest.mark.parametrize(
    "params",
    [
        SeqGradCodingParams(),
        SeqGradCodingParams.bursty(),
        SeqGradCodingParams.iid(group_size=16, group_p=0.02, group_q=0.3),
    ],
    ids=["default-regimes", "bursty", "iid-groups"],
)
def test_v1_draws_the_same_delay_distributions_as_v0(params):
    """Per regime the straggling share (p / (p + q) without groups), the healthy log-delay
    mean and spread (log base_s and jitter_sigma), the mean burst length and the regime shares
    and the mean fastest and slowest healthy delay of a round (v1 draws them as order
    statistics) agree between v0's numpy draws and v1's kernels, 150 episodes each."""
    n, rounds, episodes = params.n_workers, 136, 150
    rng = np.random.default_rng(0)
    v0 = _pooled(draw_delays(params.straggler_model, n, rounds, rng) for _ in range(episodes))
    sim = GradCodingSimV1(params, 1)
    v1 = _pooled(sim.draw_episode(int(mix(np.uint64(e + 1))), rounds) for e in range(episodes))
    seen = ~np.isnan(v0[0])
    assert np.array_equal(seen, ~np.isnan(v1[0]))
    assert np.allclose(v1[0][seen], v0[0][seen], rtol=0.06)
    if not params.group_size:
        pairs = params.regimes or ((params.p_enter, params.q_leave),)
        expected = np.array([p / (p + q) for p, q in pairs])
        assert np.allclose(v1[0][seen], expected, rtol=0.06)
    assert v1[1][0] == pytest.approx(math.log(params.base_s), abs=0.002)
    assert v1[1][0] == pytest.approx(v0[1][0], abs=0.002)
    assert v1[1][1] == pytest.approx(params.jitter_sigma, rel=0.01)
    assert v1[1][1] == pytest.approx(v0[1][1], rel=0.01)
    assert v1[2] == pytest.approx(v0[2], rel=0.06)
    assert np.allclose(v1[3], v0[3], atol=0.1)
    assert np.allclose(v1[4], v0[4], atol=0.003)  # E[min], E[max] of ~250 normals x 0.1


def test_v1_checks_params_like_v0():
    for make in (
        lambda: gym.make(V1_ID, epoch_jobs=0),
        lambda: gym.make_vec(V1_ID, num_envs=2, vectorization_mode="vector_entry_point", mu=-1),
    ):
        with pytest.raises(ValueError, match="SeqGradCodingParams"):
            make()


@pytest.mark.parametrize(
    "changes",
    [
        {"mu": 0.0},
        {"mu": 100.0},
        {"regimes": (), "p_enter": 1.0, "q_leave": 0.0},
        {"regimes": (), "p_enter": 0.0},
        {"jitter_sigma": 0.0},
        {"jitter_sigma": 2.0},
        {"n_workers": 2, "max_window": 2},
        {"group_size": 32, "group_p": 0.5, "group_q": 0.5},
    ],
    ids=["mu0", "mu100", "all-straggle", "none-straggle", "no-jitter", "jitter2", "n2", "groups"],
)
def test_v1_edge_params_keep_scalar_equal_vector_and_the_profile_exact(changes):
    """Where the order statistics run through every healthy worker (mu = 0), none (all
    straggle), or the jitter is 0 or 2: scalar == vector, and a fixed arm's runtime equals its
    evaluation on ``delay_profile()``."""
    params = SeqGradCodingParams.small(**changes)
    _replay(params, 3, 10, seed=1)
    env = SeqGradCodingV1Env(params)
    for arm in (0, 3, len(env.arms) - 1):
        env.reset(seed=arm)
        profile = env.delay_profile()
        done = False
        while not done:
            _, _, done, _, info = env.step(arm)
        expected = evaluate_arms(profile, np.array([arm]), env.arms, env.rule, params.jobs)[0]
        assert info["iteration_time"] == pytest.approx(expected, rel=1e-12)
        assert info["iteration_time"] >= info["lower_bound"] * (1 - 1e-12)
