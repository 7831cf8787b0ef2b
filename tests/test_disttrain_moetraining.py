"""``netgym/MoeTrainingOverlap-v0``: the list schedule, its bounds, the env's accounting, the
coupling to CollectivePath, bad inputs, and the baselines and oracle (the reproduced FSMoE
numbers are in ``test_disttrain_moetraining_reproduction.py``)."""

from __future__ import annotations

import itertools

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.baselines import make_policy
from netgym.baselines.disttrain import BASELINES
from netgym.baselines.disttrain.moetraining import DpOracle, differential_evolution
from netgym.envs.disttrain.moetraining.coupling import a2a_congestion_factor
from netgym.envs.disttrain.moetraining.env import (
    MoeTrainingOverlapEnv,
    MoeTrainingOverlapVectorEnv,
)
from netgym.envs.disttrain.moetraining.model import OverlapModel
from netgym.envs.disttrain.moetraining.params import MoeTrainingOverlapParams
from netgym.envs.disttrain.moetraining.pipeline import (
    DEGREES,
    SHARES,
    layer_bound,
    schedule,
    stage_costs,
)

ENV_ID = "netgym/MoeTrainingOverlap-v0"
SMALL = MoeTrainingOverlapParams.small()
RESOURCE = (0, 1, 2, 1, 0)
"""NIC, NVLink, GPU of the five stages"""


def generic_list_schedule(c, r: int, ar_chunks: int, ar_cost: float) -> float:
    """Greedy list scheduling by brute force: repeatedly start, over every task whose
    predecessor is scheduled, the one with the earliest possible start (ties: the lower stage;
    all-reduce chunks last)."""
    next_stage = [0] * r
    ready = [0.0] * r
    free = [0.0, 0.0, 0.0]
    left, end = ar_chunks, 0.0
    while any(s < 5 for s in next_stage) or left:
        best = None
        for i in range(r):
            s = next_stage[i]
            if s < 5:
                start = max(ready[i], free[RESOURCE[s]])
                key = (start, s, i)
                if best is None or key < best[0]:
                    best = (key, i, s)
        if left:
            key = (free[0], 5, 0)
            if best is None or key < best[0]:
                best = (key, None, 5)
        (start, _, _), i, s = best
        if i is None:
            free[0] = start + ar_cost
            left -= 1
            end = max(end, free[0])
            continue
        finish = start + c[s]
        free[RESOURCE[s]] = finish
        ready[i] = finish
        next_stage[i] += 1
        end = max(end, finish)
    return end


def _play(env, policy, seed: int = 0):
    obs, info = env.reset(seed=seed)
    policy.reset(env)
    total, done = 0.0, False
    while not done:
        obs, reward, done, _, info = env.step(policy.act(obs, info))
        total += reward
    return total, info


# ------------------------------------------------------------------ the schedule
def test_list_schedule_matches_a_generic_event_driven_list_scheduler():
    rng = np.random.default_rng(0)
    for _ in range(400):
        r = int(rng.choice(DEGREES))
        c = tuple(float(x) for x in rng.exponential(1.0, 5) * rng.choice([0.01, 1, 10], 5))
        chunks = int(rng.integers(0, r + 1))
        ar_cost = float(rng.exponential(2.0))
        fast = schedule(c, r, chunks, ar_cost)
        assert fast == pytest.approx(generic_list_schedule(c, r, chunks, ar_cost), rel=1e-12)


def test_makespan_is_never_below_the_per_resource_busy_time_bound():
    rng = np.random.default_rng(1)
    for _ in range(2000):
        r = int(rng.choice(DEGREES))
        c = tuple(float(x) for x in rng.exponential(1.0, 5) * rng.choice([0.01, 1, 10], 5))
        chunks = int(rng.integers(0, r + 1))
        ar_cost = float(rng.exponential(2.0))
        assert schedule(c, r, chunks, ar_cost) >= layer_bound(c, r, chunks, ar_cost) * (1 - 1e-12)


def test_one_chunk_runs_the_five_stages_back_to_back():
    c = (1.0, 2.0, 3.0, 4.0, 5.0)
    assert schedule(c, 1) == 15.0
    # an all-reduce chunk fills the NIC's gap between dispatch (ends at 1) and combine
    # (ready at 10) and delays the combine when it is longer than the gap
    assert schedule(c, 1, 1, 9.0) == 15.0
    assert schedule(c, 1, 1, 12.0) == 18.0


# ------------------------------------------------------------------ the env
def test_compiled_iteration_bound_is_the_per_layer_bounds_summed_in_layer_order():
    # the kernel's loop against the bound written out with the public per-layer functions
    model = OverlapModel.of(MoeTrainingOverlapParams(token_jitter=0.4, overlap_slowdown=1.2))
    works = model.work[None, :] * np.random.default_rng(0).uniform(0.2, 3.0, (12, 1))
    forward = tail = nic = 0.0
    for work in works:
        for backward, alpha, beta in (
            (0, model.alpha_f, model.beta_f),
            (1, model.alpha_b, model.beta_b),
        ):
            costs = [stage_costs(alpha, beta, work, r, model.gamma) for r in DEGREES]
            best = min(layer_bound(c, r) for c, r in zip(costs, DEGREES, strict=True))
            least = min(r * (c[0] + c[4]) for c, r in zip(costs, DEGREES, strict=True))
            if backward:
                tail, nic = tail + best, nic + least
            else:
                forward += best
    tail += model.allreduce(model.grad)
    nic += model.allreduce(model.grad * len(works))
    assert model.iteration_bound(works) == forward + max(tail, nic)


def test_the_layer_schedules_are_registered_compiled_kernels():
    from netgym.envs.core.compiled import KERNELS

    prefix = "netgym.envs.disttrain.moetraining."
    for name in ("pipeline.schedule_kernel", "pipeline.iteration_bound_kernel", "sim.step_kernel"):
        assert prefix + name in KERNELS
    # one argument type per kernel: the Python wrappers normalise what they pass
    schedule((1, 2, 3, 4, 5), np.int64(2), 1, 1)
    schedule((1.0, 2.0, 3.0, 4.0, 5.0), 2, np.int32(1), np.float32(1.0))
    assert len(KERNELS[prefix + "pipeline.schedule_kernel"].signatures) <= 2


def test_env_passes_gymnasium_checker():
    check_env(gym.make(ENV_ID, params=SMALL).unwrapped, skip_render_check=True)
    check_env(gym.make(ENV_ID, params="mixtral", token_jitter=0.2).unwrapped)


def test_iteration_is_layer_times_plus_the_exposed_allreduce():
    env = MoeTrainingOverlapEnv(SMALL, token_jitter=0.3)
    model, n = env.model, SMALL.layers
    rng = np.random.default_rng(3)
    for seed in range(5):
        env.reset(seed=seed)
        works = env.layer_works()
        actions = rng.integers(0, 5, (2 * n, 2))
        expected, pending = 0.0, 0.0
        for k, (d, s) in enumerate(actions):
            _, _, done, _, info = env.step(actions[k])
            if k < n:
                time = model.forward(works[k], DEGREES[d])
                assert info["launched"] == 0.0  # the share is ignored forward
            else:
                layer = 2 * n - 1 - k
                launched = SHARES[s] * pending
                time = model.backward(works[layer], DEGREES[d], launched)
                pending += model.grad - launched
                assert info["launched"] == pytest.approx(launched, rel=1e-12)
            assert info["layer_time"] * 1e3 == pytest.approx(time, rel=1e-12)
            expected += time
        assert done
        expected += model.allreduce(pending)
        assert info["exposed_allreduce"] * 1e3 == pytest.approx(model.allreduce(pending))
        assert info["iteration_time"] * 1e3 == pytest.approx(expected, rel=1e-12)
        assert info["iteration_time"] >= info["lower_bound"]


def test_no_pipelining_is_the_sum_of_unpipelined_layers_and_one_allreduce():
    env = MoeTrainingOverlapEnv(SMALL)
    model = env.model
    total, info = _play(env, make_policy(ENV_ID, "no-pipelining"))
    n = SMALL.layers
    expected = n * (model.forward(model.work, 1) + model.backward(model.work, 1))
    expected += model.allreduce(n * model.grad)
    assert info["iteration_time"] * 1e3 == pytest.approx(expected, rel=1e-12)
    assert total == pytest.approx(-info["iteration_time"] / info["lower_bound"], rel=1e-12)


@pytest.mark.parametrize(
    "changes",
    [{}, {"token_jitter": 0.5}, {"overlap_slowdown": 1.3}, {"a2a_scheme": "ecmp"}],
    ids=["plain", "jitter", "slowdown", "ecmp"],
)
def test_no_policy_beats_the_lower_bound(changes):
    env = MoeTrainingOverlapEnv(SMALL, **changes)
    for seed in range(6):
        _, info = _play(env, make_policy(ENV_ID, "random", seed=seed), seed)
        assert info["iteration_time"] >= info["lower_bound"]
    for name in ("oracle", "fsmoe"):
        _, info = _play(env, make_policy(ENV_ID, name), 1)
        assert info["iteration_time"] >= info["lower_bound"]


def test_same_seed_same_trajectory_and_jitter_redraws_the_tokens():
    def run(seed):
        env = MoeTrainingOverlapEnv(SMALL, token_jitter=0.4)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        rng = np.random.default_rng(0)
        for _ in range(2 * SMALL.layers):
            obs, reward, _, _, info = env.step(rng.integers(0, 5, 2))
            out += [obs, np.array([reward, info["iteration_time"]])]
        return np.concatenate(out), env.layer_works()

    a, works_a = run(7)
    b, works_b = run(7)
    c, works_c = run(8)
    assert np.array_equal(a, b) and np.array_equal(works_a, works_b)
    assert not np.array_equal(works_a, works_c)
    plain = MoeTrainingOverlapEnv(SMALL)
    plain.reset(seed=3)
    assert np.array_equal(plain.layer_works(), np.tile(plain.model.work, (SMALL.layers, 1)))


def test_vector_env_replays_scalar_envs_across_autoresets():
    n = 3
    params = SMALL.replace(token_jitter=0.3)
    venv = MoeTrainingOverlapVectorEnv(num_envs=n, params=params)
    scalars = [MoeTrainingOverlapEnv(params) for _ in range(n)]
    obs, _ = venv.reset(seed=5)
    assert np.array_equal(
        obs, np.stack([env.reset(seed=5 + i)[0] for i, env in enumerate(scalars)])
    )
    rng = np.random.default_rng(1)
    done = np.zeros(n, dtype=bool)
    for _ in range(20):
        actions = rng.integers(0, 5, (n, 2))
        obs, reward, terminated, _, info = venv.step(actions)
        for i, env in enumerate(scalars):
            if done[i]:
                row, _ = env.reset()
            else:
                row, r, term, _, scalar_info = env.step(actions[i])
                assert reward[i] == r and terminated[i] == term
                assert info["iteration_time"][i] == scalar_info["iteration_time"]
            assert np.array_equal(obs[i], row)
        done = terminated


def test_overlap_slowdown_slows_only_pipelined_layers():
    gemm_bound = SMALL.replace(ffn=65536)  # the GPU is the busiest resource
    plain = OverlapModel.of(gemm_bound)
    slow = OverlapModel.of(gemm_bound.replace(overlap_slowdown=1.3))
    work = plain.work
    assert slow.forward(work, 1) == plain.forward(work, 1)
    assert slow.backward(work, 1, 1e6) == plain.backward(work, 1, 1e6)
    for r in DEGREES[1:]:
        assert slow.forward(work, r) > plain.forward(work, r)
        assert slow.backward(work, r, 1e6) > plain.backward(work, r, 1e6)


def test_coupling_scales_the_all_to_all_by_collective_path_congestion():
    assert a2a_congestion_factor("none", "small") == 1.0
    assert a2a_congestion_factor("spray", "small") == pytest.approx(1.0)
    ecmp = a2a_congestion_factor("ecmp", "small")
    assert ecmp > 1.5
    degraded_spray = a2a_congestion_factor("spray", "degraded_small")
    degraded_optimal = a2a_congestion_factor("optimal", "degraded_small")
    assert degraded_spray > degraded_optimal >= 1.0
    plain = OverlapModel.of(SMALL)
    coupled = OverlapModel.of(SMALL.replace(a2a_scheme="ecmp"))
    assert coupled.a2a_factor == ecmp
    assert coupled.beta_f[0] == pytest.approx(plain.beta_f[0] * ecmp)
    assert coupled.beta_b[0] == pytest.approx(plain.beta_b[0] * ecmp)
    assert np.array_equal(coupled.beta_f[1:], plain.beta_f[1:])
    for r in DEGREES:
        assert coupled.forward(plain.work, r) > plain.forward(plain.work, r)
    obs, _ = MoeTrainingOverlapEnv(SMALL, a2a_scheme="ecmp").reset(seed=0)
    assert obs[12] == pytest.approx(1 - 1 / ecmp)


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"alpha": (0.1, -0.2, 0.3, 0.4, 0.5)}, r"negative entries for \['ag'\]"),
        ({"beta": (1e-6, 1e-7, -1e-11, 1e-7, -1e-6)}, r"negative entries for \['gemm', 'ar'\]"),
        ({"alpha": (0.1, 0.2, 0.3)}, "alpha must have 5 entries"),
        ({"beta": "fsmoe"}, "beta must be a list or tuple"),
        ({"alpha": (0.0,) * 5, "beta": (0.0,) * 5}, "all 0"),
        ({"layers": 0}, "layers must be >= 1"),
        ({"overlap_slowdown": 0.9}, "overlap_slowdown must be >= 1.0"),
        ({"a2a_scheme": "ethereal"}, "a2a_scheme must be one of"),
        ({"a2a_fabric": "huge"}, "a2a_fabric must be one of"),
        ({"grad_elements": -1.0}, "grad_elements must be >= 0"),
        ({"f": float("nan")}, "f must be finite"),
    ],
)
def test_bad_params_are_clear_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        MoeTrainingOverlapParams(**changes)


def test_the_optimal_scheme_on_a_large_fabric_is_refused():
    with pytest.raises(ValueError, match="use a small fabric"):
        MoeTrainingOverlapEnv(a2a_scheme="optimal", a2a_fabric="default")


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (np.array([5, 0]), r"degree index 5 is outside the menu \[1, 2, 4, 8, 16\]"),
        (np.array([-1, 0]), "degree index -1 is outside"),
        (np.array([0, 5]), "share index 5 is outside the menu"),
        (np.array([0.5, 0]), "integer indices"),
        (3, "shape"),
        (np.array([1, 2, 3]), "shape"),
    ],
)
def test_actions_outside_the_menu_are_errors(action, message):
    env = MoeTrainingOverlapEnv(SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


# ------------------------------------------------------------------ baselines and oracle
def test_every_baseline_plays_and_the_oracle_is_the_best():
    for preset, changes in (("small", {}), ("small", {"token_jitter": 0.4}), ("mixtral", {})):
        env = gym.make(ENV_ID, params=preset, **changes)
        times = {}
        for name in BASELINES[ENV_ID]:
            _, info = _play(env, make_policy(ENV_ID, name, seed=2), seed=4)
            assert info["iteration_time"] >= info["lower_bound"], name
            times[name] = info["iteration_time"]
        for name, time in times.items():
            assert times["oracle"] <= time * (1 + 1e-9), (preset, name)
        assert times["no-pipelining"] > times["fixed-2"] > times["fixed-4"] > times["fsmoe"]


def test_dp_oracle_equals_brute_force_over_every_schedule():
    env = MoeTrainingOverlapEnv(SMALL, layers=3, token_jitter=0.3)
    _, info = _play(env, DpOracle(), seed=2)
    model, works = env.model, env.layer_works()
    forward = sum(min(model.forward(w, r) for r in DEGREES) for w in works)
    best = np.inf
    for r2, (r1, s1), (r0, s0) in itertools.product(
        DEGREES, itertools.product(DEGREES, SHARES), itertools.product(DEGREES, SHARES)
    ):
        time = model.backward(works[2], r2)
        pending = model.grad
        time += model.backward(works[1], r1, s1 * pending)
        pending += model.grad - s1 * pending
        time += model.backward(works[0], r0, s0 * pending)
        pending += model.grad - s0 * pending
        best = min(best, time + model.allreduce(pending))
    assert info["iteration_time"] * 1e3 == pytest.approx(forward + best, rel=1e-12)


def test_fsmoe_optimiser_is_seeded_and_differential_evolution_minimises():
    env = MoeTrainingOverlapEnv(SMALL, token_jitter=0.3)
    first = _play(env, make_policy(ENV_ID, "fsmoe", seed=3), seed=1)
    again = _play(env, make_policy(ENV_ID, "fsmoe", seed=3), seed=1)
    assert first[0] == again[0]
    target = np.array([0.2, 0.9, 0.5])
    best = differential_evolution(
        lambda x: float(((x - target) ** 2).sum()), 3, np.random.default_rng(0), 20, 80
    )
    assert np.allclose(best, target, atol=1e-3)
