"""``netgym/SeqGradCoding-v0``: the schemes' formulas, the round rule, the env, trace replay,
bad input, the baselines and the reproduction of reference/disttrain.md section 2. The env's
tests (and the reproduction, on its delay process) run on ``netgym/SeqGradCoding-v1`` too
(``test_disttrain_gradcoding_v1.py`` has v1's own)."""

from __future__ import annotations

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.baselines import make_policy
from netgym.baselines.disttrain import BASELINES
from netgym.envs.disttrain.gradcoding.env import SeqGradCodingEnv, SeqGradCodingVectorEnv
from netgym.envs.disttrain.gradcoding.env_v1 import SeqGradCodingV1Env, SeqGradCodingV1VectorEnv
from netgym.envs.disttrain.gradcoding.params import SeqGradCodingParams
from netgym.envs.disttrain.gradcoding.rounds import (
    RoundRule,
    RoundState,
    evaluate_arms,
    play_round,
    play_segment,
)
from netgym.envs.disttrain.gradcoding.schemes import (
    Arm,
    ArmTable,
    build_menu,
    gc_load,
    msgc_load,
    srsgc_load,
)
from netgym.envs.disttrain.gradcoding.sim import round_rule
from netgym.envs.disttrain.gradcoding.sim_v1 import GradCodingSimV1
from netgym.envs.disttrain.gradcoding.stragglers import (
    StragglerModel,
    _chain,
    _sojourns,
    draw_delays,
)
from netgym.envs.disttrain.gradcoding.traces import load_trace

ENV_ID = "netgym/SeqGradCoding-v0"
V1_ID = "netgym/SeqGradCoding-v1"
SMALL = SeqGradCodingParams.small()
CLASSES = {
    ENV_ID: (SeqGradCodingEnv, SeqGradCodingVectorEnv),
    V1_ID: (SeqGradCodingV1Env, SeqGradCodingV1VectorEnv),
}
"""id -> (scalar env, vector env)"""
BOTH = pytest.mark.parametrize("env_id", [ENV_ID, V1_ID])


def _table(n=8, arms=None):
    return ArmTable.of(tuple(arms or build_menu(n, 5)), n)


# ------------------------------------------------------------------ formulas
def test_load_formulas_match_the_reference_table_exactly():
    """n = 256: GC s = 15 -> 0.0625; SR-SGC (2, 3, 23) -> 0.0508; M-SGC (1, 2, 27) -> 0.00754."""
    assert gc_load(256, 15) == 0.0625
    assert srsgc_load(256, 2, 3, 23) == 13 / 256
    assert round(srsgc_load(256, 2, 3, 23), 4) == 0.0508
    assert msgc_load(256, 1, 2, 27) == 28 * 2 / (256 * 29)
    assert round(msgc_load(256, 1, 2, 27), 5) == 0.00754
    assert msgc_load(256, 2, 3, 256) == 4 / (256 * 2)
    assert Arm("none").load(256) == 1 / 256


def test_delays_and_tolerances_of_the_schemes():
    assert Arm("gc", s=3).delay == 0 and Arm("gc", s=3).tolerance == 3
    assert Arm("srsgc", b=2, w=3, lam=23).delay == 2
    assert Arm("msgc", b=1, w=2, lam=27).delay == 1
    assert Arm("msgc", b=3, w=5, lam=4).delay == 6
    assert Arm("msgc", b=1, w=2, lam=27).name == "M-SGC(1,2,27)"


@pytest.mark.parametrize(
    ("arm", "message"),
    [
        (dict(kind="srsgc", b=2, w=4, lam=3), "B to divide W - 1"),
        (dict(kind="msgc", b=3, w=3, lam=3), "1 <= B < W"),
        (dict(kind="msgc", b=1, w=9, lam=3), "W <= 8"),
        (dict(kind="msgc", b=1, w=2, lam=0), "lambda >= 1"),
        (dict(kind="lt"), "unknown scheme kind"),
    ],
)
def test_bad_arms_are_clear_errors(arm, message):
    with pytest.raises(ValueError, match=message):
        Arm(**arm)


def test_the_menu_has_about_150_arms_of_every_scheme():
    table = _table(256)
    assert 140 <= len(table) <= 170
    assert table.arms[0] == Arm("none")
    for kind in ("gc", "srsgc", "msgc"):
        assert len(table.of_kind(kind)) >= 10
    assert len(set(table.names())) == len(table)
    assert max(arm.w for arm in table.arms) == 5


# ------------------------------------------------------------------ the round rule
def test_every_round_lasts_at_least_the_fastest_worker_and_at_most_the_slowest():
    rng = np.random.default_rng(0)
    table = _table(32)
    rule = RoundRule()
    state = RoundState.empty(len(table), 32)
    arms = np.arange(len(table))
    for _ in range(20):
        d0 = np.broadcast_to(rng.lognormal(0, 0.8, 32), (len(table), 32))
        result = play_round(d0, arms, table, rule, state)
        delay = d0 + (table.load[arms] * rule.c_comp)[:, None]
        assert (result.duration >= delay.min(axis=1)).all()
        assert (result.duration <= delay.max(axis=1) + 1e-12).all()
        assert (result.duration[0] == delay[0].max()) or not result.stragglers[0].any()


def test_bursty_model_checks_window_repeats_and_forgets_waited_rounds():
    arm = Arm("msgc", b=1, w=2, lam=2)
    table = _table(4, [arm])
    rule = RoundRule(c_comp=0.0)
    slow, fast = 10.0, 1.0

    def rounds(pattern):
        d0 = np.where(np.array(pattern).T, slow, fast).astype(float)  # (n, R)
        return play_segment(d0, 0, table, rule, []).conform.tolist()

    # worker 0 late twice in a row: the second round breaks the temporal condition; that round
    # waited for everyone, so the third round (late again) conforms
    assert rounds([[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]) == [True, False, True]
    # three distinct late workers within a window of two rounds (lambda = 2)
    assert rounds([[1, 1, 0, 0], [0, 0, 1, 0]]) == [True, False]
    # the batched rule agrees, round by round
    pattern = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    state = RoundState.empty(1, 4)
    batched = [
        bool(
            play_round(
                np.where(row, slow, fast)[None], np.zeros(1, int), table, rule, state
            ).conform[0]
        )
        for row in pattern
    ]
    assert batched == rounds(pattern.tolist())


def test_gc_checks_at_most_s_or_fewer_than_s_in_strict_mode():
    table = _table(4, [Arm("gc", s=1)])
    d0 = np.array([[1.0], [1.0], [1.0], [5.0]])  # one straggler
    assert play_segment(d0, 0, table, RoundRule(c_comp=0.0), []).conform.tolist() == [True]
    strict = RoundRule(c_comp=0.0, gc_strict=True)
    assert play_segment(d0, 0, table, strict, []).conform.tolist() == [False]


def test_conforming_rounds_last_the_wait_or_the_slowest_and_others_the_slowest():
    table = _table(3, [Arm("none"), Arm("gc", s=1)])
    d0 = np.array([[1.0, 1.0], [1.5, 1.2], [4.0, 1.4]])
    rule = RoundRule(mu=1.0, c_comp=0.0)
    assert play_segment(d0, 0, table, rule, []).duration.tolist() == [4.0, 1.4]
    assert play_segment(d0, 1, table, rule, []).duration.tolist() == [2.0, 1.4]
    full = RoundRule(mu=1.0, c_comp=0.0, charge_full_wait=True)
    assert play_segment(d0, 1, table, full, []).duration.tolist() == [2.0, 2.0]


def test_segments_and_batched_rounds_agree_on_random_delays():
    rng = np.random.default_rng(3)
    table = _table(16)
    rule = RoundRule()
    d0 = draw_delays(StragglerModel(p_enter=0.1, q_leave=0.5), 16, 30, rng).d0
    arms = np.arange(len(table))
    batched = evaluate_arms(d0, arms, table, rule, jobs=20)
    for arm in arms:
        rounds = 20 + int(table.delay[arm])
        seg = play_segment(d0[:, :rounds], int(arm), table, rule, [])
        assert seg.duration.sum() == pytest.approx(batched[arm], rel=1e-12)


def test_segments_on_round_major_delays_equal_those_on_worker_major_delays():
    rng = np.random.default_rng(5)
    table = _table(16)
    rule = RoundRule()
    d0 = draw_delays(StragglerModel(p_enter=0.1, q_leave=0.5), 16, 30, rng).d0
    round_major = np.ascontiguousarray(d0.T).T  # the sim's layout: each round contiguous
    for arm in range(len(table)):
        erased_a, erased_b = [], []
        a = play_segment(d0[:, :12], arm, table, rule, erased_a)
        b = play_segment(round_major[:, :12], arm, table, rule, erased_b)
        assert np.array_equal(a.duration, b.duration) and np.array_equal(a.conform, b.conform)
        assert np.array_equal(a.late, b.late) and np.array_equal(a.fastest, b.fastest)
        assert erased_a == erased_b


# ------------------------------------------------------------------ the env
@BOTH
def test_env_passes_gymnasium_checker(env_id):
    check_env(gym.make(env_id, params=SMALL).unwrapped, skip_render_check=True)


@BOTH
def test_a_fixed_arm_runs_j_plus_t_rounds_and_matches_the_hindsight_evaluation(env_id):
    env = CLASSES[env_id][0]()
    for arm in (0, 5, 20, 100, len(env.arms) - 1):
        env.reset(seed=arm)
        d0 = env.delay_profile()
        done = False
        while not done:
            _, _, done, _, info = env.step(arm)
        assert info["rounds"] == env.params.jobs + int(env.arms.delay[arm])
        expected = evaluate_arms(d0, np.array([arm]), env.arms, env.rule, env.params.jobs)[0]
        assert info["iteration_time"] == pytest.approx(expected, rel=1e-12)
        assert info["iteration_time"] >= info["lower_bound"]


@BOTH
def test_switching_drains_the_old_scheme(env_id):
    env = CLASSES[env_id][0](SMALL)
    msgc = int(env.arms.of_kind("msgc")[-1])  # the longest delay
    delay = int(env.arms.delay[msgc])
    env.reset(seed=0)
    _, _, _, _, info = env.step(msgc)
    assert info["rounds"] == SMALL.epoch_jobs
    _, _, _, _, info = env.step(0)  # no coding: first drain the M-SGC jobs
    assert info["rounds"] == 2 * SMALL.epoch_jobs + delay and info["switches"] == 1
    _, _, _, _, info = env.step(0)
    assert info["rounds"] == 3 * SMALL.epoch_jobs + delay


@BOTH
def test_vector_env_replays_scalar_envs_across_autoresets(env_id):
    n = 3
    scalar_class, vector_class = CLASSES[env_id]
    venv = vector_class(num_envs=n, params=SMALL)
    scalars = [scalar_class(SMALL) for _ in range(n)]
    obs, _ = venv.reset(seed=5)
    assert np.array_equal(
        obs, np.stack([env.reset(seed=5 + i)[0] for i, env in enumerate(scalars)])
    )
    rng = np.random.default_rng(1)
    done = np.zeros(n, dtype=bool)
    for _ in range(14):
        actions = rng.integers(0, len(scalars[0].arms), n)
        obs, reward, terminated, _, info = venv.step(actions)
        for i, env in enumerate(scalars):
            if done[i]:
                row, _ = env.reset()
            else:
                row, r, term, _, scalar_info = env.step(int(actions[i]))
                assert reward[i] == r and terminated[i] == term
                assert info["iteration_time"][i] == scalar_info["iteration_time"]
            assert np.array_equal(obs[i], row)
        done = terminated


def _draw(env_id, model, n, rounds, rng):
    """v0's ``draw_delays``, or the same process drawn by v1's kernels (key from ``rng``)."""
    if env_id == ENV_ID:
        return draw_delays(model, n, rounds, rng)
    fields = {name: getattr(model, name) for name in model.__dataclass_fields__}
    sim = GradCodingSimV1(SeqGradCodingParams(n_workers=n, **fields), 1)
    return sim.draw_episode(int(rng.integers(2**63)), rounds)


@BOTH
def test_regimes_switch_and_groups_straggle_together(env_id):
    rng = np.random.default_rng(0)
    model = StragglerModel(regimes=((0.0, 1.0), (1.0, 0.0)), regime_rounds=5)
    draw = _draw(env_id, model, 8, 60, rng)
    assert set(draw.regime.tolist()) == {0, 1}
    assert (draw.straggling[:, draw.regime == 0] == False).all()  # noqa: E712
    grouped = _draw(
        env_id, StragglerModel(p_enter=0.0, group_size=4, group_p=0.3, group_q=0.3), 8, 40, rng
    )
    assert (grouped.straggling[:4] == grouped.straggling[0]).all()
    assert grouped.straggling.any()


# ------------------------------------------------------------------ traces
@BOTH
def test_npy_and_csv_traces_replay_the_same_delays(tmp_path, env_id):
    delays = np.random.default_rng(0).uniform(0.1, 1.0, (32, 60))
    np.save(tmp_path / "t.npy", delays)
    lines = ["# worker delays, seconds"] + [",".join(repr(float(v)) for v in row) for row in delays]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    assert np.array_equal(load_trace(tmp_path / "t.npy"), delays)
    assert np.array_equal(load_trace(tmp_path / "t.csv"), delays)
    env = CLASSES[env_id][0](SMALL, trace_path=str(tmp_path / "t.csv"), trace_offset=3)
    env.reset(seed=0)
    assert np.array_equal(env.delay_profile(), delays[:, 3 : 3 + env.sim.max_rounds])
    _, _, done, _, info = env.step(0)
    assert info["iteration_time"] > 0 and not done


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", "0.1,0.2\n0.1,abc\n", r"bad.csv line 2: .*'abc'"),
        ("ragged.csv", "0.1,0.2\n\n0.3\n", r"ragged.csv line 3: 1 rounds"),
        ("nan.csv", "0.1,nan\n", r"nan.csv line 1: delays must be finite"),
        ("neg.csv", "# c\n0.1,-2\n", r"neg.csv line 2: delays must be finite"),
        ("empty.csv", "# nothing\n", "holds no delays"),
        ("t.pkl", "x", "pickles are never loaded"),
    ],
)
def test_malformed_traces_name_the_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_trace(path)


def test_npy_traces_refuse_pickles_nan_and_bad_shapes(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="not a plain numeric"):
        load_trace(tmp_path / "obj.npy")
    np.save(tmp_path / "cube.npy", np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="2-D numeric"):
        load_trace(tmp_path / "cube.npy")
    values = np.ones((4, 5))
    values[2, 3] = np.nan
    np.save(tmp_path / "nan.npy", values)
    with pytest.raises(ValueError, match="worker 2, round 3"):
        load_trace(tmp_path / "nan.npy")
    with pytest.raises(FileNotFoundError):
        load_trace(tmp_path / "missing.npy")
    np.save(tmp_path / "short.npy", np.ones((32, 10)))
    with pytest.raises(ValueError, match="an episode needs 32 workers and up to"):
        SeqGradCodingEnv(SMALL, trace_path=str(tmp_path / "short.npy"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epoch_jobs": 30}, "epoch_jobs must be <= 20"),
        ({"p_enter": 1.5}, "p_enter must be <= 1.0"),
        ({"regimes": ((0.1, float("nan")),)}, r"regimes\[0\].q must be finite"),
        ({"regimes": ((0.1,),)}, r"regimes\[0\] must have 2 entries"),
        ({"slowdown": 0.5}, "slowdown must be >= 1.0"),
        ({"max_window": 9}, "max_window must be <= 8"),
        ({"n_workers": 1}, "n_workers must be >= 2"),
    ],
)
@BOTH
def test_bad_params_are_clear_errors(changes, message, env_id):
    with pytest.raises(ValueError, match=message):
        CLASSES[env_id][0](SMALL, **changes)
    with pytest.raises(ValueError, match=message):
        CLASSES[env_id][1](num_envs=2, params=SMALL, **changes)


@BOTH
def test_arms_outside_the_menu_are_errors(env_id):
    env = CLASSES[env_id][0](SMALL)
    env.reset(seed=0)
    for action in (len(env.arms), -1, 2.5, np.array([1, 2])):
        with pytest.raises(ValueError, match="SeqGradCoding"):
            env.step(action)


# ------------------------------------------------------------------ baselines
@BOTH
def test_every_baseline_plays_and_no_policy_beats_the_clairvoyant_floor(env_id):
    env = gym.make(env_id, params=SMALL)
    totals = {}
    assert set(BASELINES[env_id]) == set(BASELINES[ENV_ID])
    for name in BASELINES[env_id]:
        policy = make_policy(env_id, name, seed=2)
        obs, info = env.reset(seed=4)
        policy.reset(env)
        done = False
        while not done:
            obs, _, done, _, info = env.step(policy.act(obs, info))
        assert info["iteration_time"] >= info["lower_bound"], name
        totals[name] = info["iteration_time"]
    for kind in ("best-gc", "best-srsgc", "best-msgc", "no-coding"):
        assert totals["best-fixed"] <= totals[kind] + 1e-9


@BOTH
def test_model_based_rule_fits_the_straggler_chain(env_id):
    policy = make_policy(env_id, "adaptive")
    late = _draw(
        env_id, StragglerModel(p_enter=0.05, q_leave=0.4), 256, 200, np.random.default_rng(0)
    )
    policy.memory = 200
    p, q = policy.fit(late.straggling.T)
    assert p == pytest.approx(0.05, abs=0.01) and q == pytest.approx(0.4, abs=0.05)


@BOTH
def test_adaptive_rule_beats_no_coding_and_comes_near_the_best_fixed_arm(env_id):
    names = ("adaptive", "no-coding", "best-fixed")
    result = {name: np.mean([_runtime(name, seed, env_id) for seed in range(2)]) for name in names}
    assert result["adaptive"] < 0.8 * result["no-coding"]
    assert result["adaptive"] < 1.25 * result["best-fixed"]


def _runtime(name, seed, env_id=ENV_ID):
    env = gym.make(env_id)
    policy = make_policy(env_id, name, seed=seed)
    obs, info = env.reset(seed=seed)
    policy.reset(env)
    done = False
    while not done:
        obs, _, done, _, info = env.step(policy.act(obs, info))
    return info["iteration_time"]


# ------------------------------------------------------------------ reproduction
def _best_runtimes(params, episodes=8, seed=0, env_id=ENV_ID):
    n, jobs = params.n_workers, params.jobs
    table = ArmTable.of(build_menu(n, params.max_window), n)
    rule = round_rule(params)
    gc, msgc = table.of_kind("gc"), table.of_kind("msgc")
    rng = np.random.default_rng(seed)
    best_gc, best_msgc = [], []
    for _ in range(episodes):
        d0 = _draw(env_id, params.straggler_model, n, jobs + int(table.delay.max()), rng).d0
        totals = evaluate_arms(d0, np.concatenate([gc, msgc]), table, rule, jobs)
        best_gc.append(totals[: len(gc)].min())
        best_msgc.append(totals[len(gc) :].min())
    return float(np.mean(best_gc)), float(np.mean(best_msgc))


@BOTH
@pytest.mark.parametrize("p", [0.04, 0.06, 0.08])
def test_msgc_beats_gc_by_ten_percent_under_iid_stragglers(p, env_id):
    """Reference T3 (i.i.d.): best-in-hindsight M-SGC at least 10 % faster than the best GC,
    n = 256, J = 80, mu = 1, c_comp = 2.2."""
    gc, msgc = _best_runtimes(SeqGradCodingParams.iid(p_enter=p, q_leave=1 - p), env_id=env_id)
    assert msgc <= 0.9 * gc


@BOTH
@pytest.mark.parametrize(("p", "q"), [(0.02, 0.5), (0.01, 0.2)])
def test_msgc_loses_to_gc_under_bursty_stragglers(p, q, env_id):
    """Reference T3 (bursty, q <= 0.5): the order flips; bursts break M-SGC's temporal
    condition, so it waits for every worker in many rounds."""
    gc, msgc = _best_runtimes(SeqGradCodingParams.bursty(p_enter=p, q_leave=q), env_id=env_id)
    assert msgc > gc


def _chain_by_counting(p, q, start, rounds, rng):
    """The chain expansion before the XOR-accumulate one: switch times counted per round
    (bincount, cumsum, parity), from the same sojourn draws."""
    rows = len(start)
    switches, state = [], start.copy()
    clock = np.full(rows, -1, dtype=np.int64)
    pairs = max(4, int(rounds / (1.0 / max(p, 1e-9) + 1.0 / max(q, 1e-9)) * 2) + 4)
    while (clock < rounds).any():
        bad = _sojourns(q, (rows, pairs), rng)
        good = _sojourns(p, (rows, pairs), rng)
        first = np.where(state[:, None], bad, good)
        second = np.where(state[:, None], good, bad)
        runs = np.stack([first, second], axis=2).reshape(rows, 2 * pairs)
        times = clock[:, None] + np.cumsum(runs, axis=1)
        switches.append(times)
        clock = times[:, -1]
    times = np.concatenate(switches, axis=1)
    flat = (np.arange(rows)[:, None] * (rounds + 1) + np.minimum(times, rounds)).ravel()
    marks = np.bincount(flat, minlength=rows * (rounds + 1)).reshape(rows, rounds + 1)
    return (np.cumsum(marks[:, :rounds], axis=1) % 2 == 1) ^ start[:, None]


@pytest.mark.parametrize(
    ("p", "q", "rounds"),
    [
        (0.04, 0.96, 40),
        (0.01, 0.2, 136),
        (0.5, 0.5, 7),
        (0.0, 0.3, 20),
        (0.2, 0.0, 20),
        (1.0, 1.0, 9),
    ],
)
def test_chain_expansion_equals_counting_the_switches(p, q, rounds):
    start = np.random.default_rng(9).random(300) < 0.3
    fast = _chain(p, q, start, rounds, np.random.default_rng(4))
    slow = _chain_by_counting(p, q, start, rounds, np.random.default_rng(4))
    assert fast.dtype == bool and np.array_equal(fast, slow)


# ------------------------------------------------------------------ the compiled kernels
def test_compiled_pairwise_sum_equals_numpys_sum_bit_for_bit():
    """The kernel's segment sums follow numpy's pairwise order (blocks of 8 partial sums up to
    128 values, halving beyond), so a segment's time is numpy's ``sum`` exactly."""
    from netgym.envs.disttrain.kernels import pairwise_sum

    rng = np.random.default_rng(0)
    for n in [*range(1, 300), 511, 1000, 4097]:
        values = rng.lognormal(0.0, 2.0, n)
        assert pairwise_sum(values, n) == values.sum()
        # signed zeros and infinities too, compared as bits: numpy's sum of -0.0s is +0.0
        # from 8 values on (it adds to its identity 0.0)
        special = rng.choice([-0.0, 0.0, 1.5, -np.inf], n, p=[0.7, 0.1, 0.1, 0.1])
        for edge in (special, np.full(n, -0.0)):
            assert np.float64(pairwise_sum(edge, n)).tobytes() == edge.sum().tobytes()


def test_delays_drawn_into_a_round_major_buffer_equal_a_fresh_draw():
    model = SeqGradCodingParams().straggler_model
    fresh = draw_delays(model, 64, 90, np.random.default_rng(3))
    buffer = np.zeros((90, 64))
    into = draw_delays(model, 64, 90, np.random.default_rng(3), buffer)
    assert np.array_equal(fresh.d0, into.d0) and np.shares_memory(into.d0, buffer)
    assert np.array_equal(fresh.straggling, into.straggling)


@BOTH
def test_scalar_info_equals_the_vector_envs_info_row(env_id):
    env = CLASSES[env_id][0](params=SMALL)
    _, scalar = env.reset(seed=4)
    rows = env.sim.info()
    assert scalar == {key: value[0].item() for key, value in rows.items()}
    for arm in (3, 3, 40, 0):
        _, _, _, _, scalar = env.step(arm)
        rows = env.sim.info()
        assert scalar == {key: value[0].item() for key, value in rows.items()}
        assert all(type(scalar[key]) is type(value[0].item()) for key, value in rows.items())
