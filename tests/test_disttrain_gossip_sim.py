"""The DADAO event simulator of netgym/AsyncGossip-v0 (envs/disttrain/gossip): graphs and
their constants, the closed-form propagator, the event loop against a naive sequential
implementation, conservation laws, linear convergence and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from netgym.envs.disttrain.gossip.dadao import (
    DadaoConstants,
    DadaoSim,
    Propagator,
    plain_eig_propagator,
)
from netgym.envs.disttrain.gossip.graphs import (
    build_graph,
    gossip_graph,
    is_connected,
    rate_table,
    spectrum,
)
from netgym.envs.disttrain.gossip.losses import Logistic, Quadratic, draw_loss

# reference/disttrain.md section 3, "Numbers to reproduce" (DADAO, ADOM+, ADOM+ MC, MSDA)
REFERENCE_RATES = {
    ("star", 300): (299, 299, 62192, 5083),
    ("complete", 300): (211, 44850, 44850, 44850),
    ("cycle", 16): (39.7, 16, 304, 80),
    ("path", 16): (76.5, 15, 1080, 150),
    ("grid", 16): (26.3, 24, 216, 72),
    ("barbell", 16): (126, 57, 1938, 342),
}


@pytest.mark.parametrize(("kind", "n"), list(REFERENCE_RATES))
def test_rate_table_matches_the_reference_exactly(kind: str, n: int) -> None:
    rates = rate_table(n, build_graph(kind, n))
    dadao, adom, adom_mc, msda = REFERENCE_RATES[(kind, n)]
    digits = 0 if dadao == int(dadao) else 1
    assert round(rates["DADAO"], digits) == dadao
    assert rates["Continuized"] == rates["DADAO"]
    assert (rates["ADOM+"], rates["ADOM+ multi-consensus"], rates["MSDA"]) == (
        adom,
        adom_mc,
        msda,
    )


def test_two_node_and_complete_graph_constants_are_the_hand_derived_ones() -> None:
    s = spectrum(2, np.array([[0, 1]]))
    assert s.chi1 == pytest.approx(0.5) and s.chi2 == pytest.approx(0.5)
    assert s.rate == pytest.approx(math.sqrt(0.5))
    for n in (5, 12):
        s = spectrum(n, build_graph("complete", n))
        # Lambda = L / |E| has lambda_min^+ = 2 / (n - 1); every edge resistance is 2 / n
        assert s.chi1 == pytest.approx((n - 1) / 2) and s.chi2 == pytest.approx((n - 1) / 2)


def test_weighted_edges_change_chi1_and_a_zero_weight_bridge_is_an_error() -> None:
    edges = build_graph("path", 4)
    uniform = spectrum(4, edges)
    heavy_middle = spectrum(4, edges, np.array([0.25, 0.5, 0.25]))
    assert heavy_middle.chi1 != pytest.approx(uniform.chi1)
    with pytest.raises(ValueError, match="disconnected"):
        spectrum(4, edges, np.array([0.5, 0.0, 0.5]))


def test_graph_families_have_their_sizes_and_bad_sizes_are_errors() -> None:
    assert len(build_graph("star", 8)) == 7
    assert len(build_graph("cycle", 8)) == 8
    assert len(build_graph("grid", 16)) == 24
    assert len(build_graph("barbell", 8)) == 2 * 6 + 1
    with pytest.raises(ValueError, match="square"):
        build_graph("grid", 12)
    with pytest.raises(ValueError, match="even"):
        build_graph("barbell", 7)
    with pytest.raises(ValueError, match="unknown graph"):
        build_graph("torus", 8)


def test_time_varying_random_geometric_graphs_are_connected_and_worst_case() -> None:
    g = gossip_graph("random_geometric", 12, np.random.default_rng(3), radius=0.3, count=6)
    assert len(g.graphs) == 6 and all(is_connected(12, e) for e in g.graphs)
    assert len({e.tobytes() for e in g.graphs}) > 1
    chis = [spectrum(12, e) for e in g.graphs]
    assert g.chi1 == max(s.chi1 for s in chis) and g.chi2 == max(s.chi2 for s in chis)
    assert g.period == pytest.approx(1 / g.chi1)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 1000.0])
@pytest.mark.parametrize("t", [0.003, 1.0, 37.0, 800.0])
def test_closed_form_propagator_equals_expm(kappa: float, t: float) -> None:
    m = DadaoConstants(1.3, 1.3 * kappa).generator()
    assert np.allclose(Propagator(m)(t), scipy.linalg.expm(m * t), rtol=1e-9, atol=1e-11)


def test_propagator_equals_a_fine_runge_kutta_integration_of_the_ode() -> None:
    m = DadaoConstants(1.0, 20.0).generator()
    s0 = np.random.default_rng(0).standard_normal(6)
    s, h = s0.copy(), 1e-3
    for _ in range(5000):  # t = 5
        k1 = m @ s
        k2 = m @ (s + h / 2 * k1)
        k3 = m @ (s + h / 2 * k2)
        k4 = m @ (s + h * k3)
        s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    assert np.allclose(Propagator(m)(5.0) @ s0, s, atol=1e-10)


def test_null_space_propagator_is_exact_where_the_plain_eigendecomposition_diverges() -> None:
    cases = []
    for mu in np.geomspace(1e-3, 10, 25):
        for kappa in np.geomspace(1.5, 1e4, 40):
            m = DadaoConstants(float(mu), float(mu * kappa)).generator()
            if np.linalg.cond(np.linalg.eig(m)[1]) > 1e8:
                cases.append(m)
    if not cases:
        pytest.skip("this platform's LAPACK never returns parallel eigenvectors on the grid")
    for m in cases[:5]:
        exact = scipy.linalg.expm(m * 50.0)
        assert np.allclose(Propagator(m)(50.0), exact, atol=1e-10)
        assert not np.allclose(plain_eig_propagator(m, 50.0), exact, atol=1e-3)


def _sim(loss, edges, seed: int = 0, x0: np.ndarray | None = None) -> DadaoSim:
    n, d = len(np.unique(edges)), loss.x_star.shape[0]
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal((n, d)) if x0 is None else x0
    return DadaoSim(loss, [edges], math.inf, x0, rng, np.random.default_rng(seed + 1))


def _naive(loss, x0: np.ndarray, events, t_end: float, beta_tilde: float) -> np.ndarray:
    """One event at a time in time order, every propagator by scipy's expm."""
    c = DadaoConstants(loss.mu, loss.L)
    m = c.generator()
    n, d = x0.shape
    s = np.zeros((n, 6, d))
    s[:, 0] = x0
    last = np.zeros(n)
    seq = [(t, i, -1) for t, i in zip(events.grad_times, events.grad_nodes, strict=True)]
    seq += [(t, i, j) for t, (i, j) in zip(events.gossip_times, events.gossip_pairs, strict=True)]
    for t, i, j in sorted(seq):
        for k in (i,) if j < 0 else (i, j):
            s[k] = scipy.linalg.expm(m * (t - last[k])) @ s[k]
            last[k] = t
        if j < 0:
            r = loss.grad(i, s[i, 0]) - c.nu * s[i, 0] - s[i, 3]
            s[i, 0] -= c.gamma * r
            s[i, 1] -= c.gamma_tilde * r
            s[i, 3] += c.delta_sum * r
        else:
            mix = s[i, 2] + s[i, 4] - s[j, 2] - s[j, 4]
            s[i, 4] -= c.beta * mix
            s[j, 4] += c.beta * mix
            s[i, 5] -= beta_tilde * mix
            s[j, 5] += beta_tilde * mix
    for k in range(n):
        s[k] = scipy.linalg.expm(m * (t_end - last[k])) @ s[k]
    return s


@pytest.mark.parametrize("kind", ["quadratic", "logistic"])
def test_batched_event_loop_equals_a_naive_sequential_simulation(kind: str) -> None:
    edges = build_graph("cycle", 6)
    loss = draw_loss(kind, 6, 3, 10.0, np.random.default_rng(1))
    sim = _sim(loss, edges, seed=4)
    x0 = sim.x.copy()
    events = sim.draw(6.0, 9.0)
    assert len(events.grad_times) > 20 and len(events.gossip_times) > 30
    sim.run(events, 6.0, 0.7)
    assert np.allclose(sim.state, _naive(loss, x0, events, 6.0, 0.7), atol=1e-9)


def _levels_by_hand(order, kg, tg, node, tm, pairs, last):
    """The level rule written out in Python: an event's level is one more than the last level
    at any of its nodes; per level the gradients and the gossips in time order."""
    last, depth, levels, dts = list(last), [0] * len(last), [], []
    for k in order:
        nodes = (node[k],) if k < kg else tuple(pairs[k - kg])
        t = tg[k] if k < kg else tm[k - kg]
        lev = max(depth[i] for i in nodes)
        if lev == len(levels):
            levels.append(([], []))
        levels[lev][0 if k < kg else 1].append((*nodes, len(dts)))
        for i in nodes:
            depth[i] = lev + 1
            dts.append(t - last[i])
            last[i] = t
    return levels, dts, last


def test_compiled_event_levels_equal_the_level_rule_by_hand() -> None:
    from netgym.envs.disttrain.gossip.levels import event_levels

    rng = np.random.default_rng(5)
    for trial in range(20):
        n, kg, km = int(rng.integers(2, 12)), int(rng.integers(0, 40)), int(rng.integers(0, 60))
        tg, tm = np.sort(rng.random(kg)) + trial, np.sort(rng.random(km)) + trial
        node = rng.integers(0, n, kg)
        first = rng.integers(0, n, km)
        pairs = np.stack([first, (first + rng.integers(1, n, km)) % n], axis=1)
        last = rng.random(n) * 0.5 + trial - 0.5
        order = np.argsort(np.concatenate([tg, tm]), kind="stable")
        levels, dts, moved = _levels_by_hand(order.tolist(), kg, tg, node, tm, pairs, last)
        compiled_last = last.copy()
        gp, grows, mp, mrows, cdts = event_levels(order, kg, tg, node, tm, pairs, compiled_last)
        assert cdts.tolist() == dts and compiled_last.tolist() == moved
        assert len(gp) == len(mp) == len(levels) + 1
        for lev, (grads, gossips) in enumerate(levels):
            assert grows[gp[lev] : gp[lev + 1]].tolist() == [list(g) for g in grads]
            assert mrows[mp[lev] : mp[lev + 1]].tolist() == [list(g) for g in gossips]


@pytest.mark.parametrize("kind", ["quadratic", "logistic"])
def test_runs_batched_together_equal_each_run_alone_bit_for_bit(kind: str) -> None:
    from netgym.envs.disttrain.gossip.batchrun import run_batch

    edges = build_graph("cycle", 6)
    alone, batched = [], []
    for seed in range(12):
        loss = draw_loss(kind, 6, 3, 10.0, np.random.default_rng(seed))
        alone.append(_sim(loss, edges, seed=seed))
        batched.append(_sim(loss, edges, seed=seed))
    for t_end in (1.0, 2.0, 3.0):
        drawn = [sim.draw(t_end, 3.0 + seed % 4) for seed, sim in enumerate(batched)]
        run_batch(batched, drawn, [t_end] * 12, [0.5 + 0.1 * e for e in range(12)])
        for e, sim in enumerate(alone):
            events = sim.draw(t_end, 3.0 + e % 4)
            assert np.array_equal(events.gossip_pairs, drawn[e].gossip_pairs)
            sim.run(events, t_end, 0.5 + 0.1 * e)
    # 12 runs of ~6 gradient and ~3-6 gossip events per unit: most levels stack several runs
    for one, many in zip(alone, batched, strict=True):
        assert np.array_equal(one.coords, many.coords) and np.array_equal(one.last, many.last)


def test_a_gossip_preserves_the_sums_and_averages_y_plus_z_on_its_edge() -> None:
    edges = build_graph("path", 5)
    loss = draw_loss("quadratic", 5, 2, 10.0, np.random.default_rng(0))
    sim = _sim(loss, edges)
    sim.advance(3.0, 4.0, 0.9)
    before = sim.state
    sim.gossip(1, 2, 0.9)
    after = sim.state
    for row in (4, 5):
        assert np.allclose(before[:, row].sum(axis=0), after[:, row].sum(axis=0), atol=1e-12)
    yz = after[:, 2] + after[:, 4]
    assert np.allclose(yz[1], yz[2], atol=1e-12)
    assert np.allclose((before[:, 2] + before[:, 4]).sum(0), yz.sum(0), atol=1e-12)
    untouched = [0, 3, 4]
    assert np.allclose(before[untouched], after[untouched], atol=1e-12)


def test_z_and_z_tilde_sum_to_zero_over_the_nodes_during_a_run() -> None:
    edges = build_graph("grid", 9)
    loss = draw_loss("quadratic", 9, 3, 50.0, np.random.default_rng(2))
    sim = _sim(loss, edges)
    for t in range(1, 30):
        sim.advance(float(t), 12.0, 2.0)
    s = sim.state
    scale = np.abs(s[:, 4:6]).max()
    assert scale > 1e-3
    assert np.abs(s[:, 4].sum(axis=0)).max() < 1e-10 * max(scale, 1.0) * 10
    assert np.abs(s[:, 5].sum(axis=0)).max() < 1e-10 * max(scale, 1.0) * 10


def test_dadao_converges_linearly_on_the_reference_cycle() -> None:
    # reference: cycle n = 16, 5-dim quadratics, mean |x_i - x*|^2 from 9e-2 (t = 69) to
    # 1.3e-6 (t = 284) with mu = 1.2, L = 9.95; ours: kappa = 10, the same clocks and rates
    g = gossip_graph("cycle", 16, np.random.default_rng(0))
    loss = Quadratic.draw(16, 5, 10.0, np.random.default_rng(0))
    sim = _sim(loss, g.graphs[0], seed=7)
    beta_tilde = sim.const.beta_tilde(g.chi1 / g.rate)
    errors = []
    for t in range(1, 301):
        sim.advance(float(t), g.rate, beta_tilde)
        errors.append(sim.error())
    e = np.array(errors)
    slope = np.polyfit(np.arange(100, 300), np.log(e[99:299]), 1)[0]
    assert e[-1] < 1e-4 * e[0]
    assert -0.1 < slope < -0.03  # the reference's run: ln(9e-2 / 1.3e-6) / 215 = 0.052
    assert np.all(e[150::30] < e[120:-30:30])


def test_same_seeds_give_identical_runs_and_different_seeds_differ() -> None:
    edges = build_graph("star", 8)
    loss = draw_loss("logistic", 8, 4, 100.0, np.random.default_rng(5))
    runs = []
    for seed in (3, 3, 4):
        sim = _sim(loss, edges, seed=seed, x0=np.ones((8, 4)))
        for t in range(1, 6):
            sim.advance(float(t), 10.0, 1.0)
        runs.append(sim.state)
    assert np.array_equal(runs[0], runs[1]) and not np.allclose(runs[0], runs[2])


def test_the_budget_drops_gossips_past_it_and_charges_edge_costs() -> None:
    edges = build_graph("cycle", 8)
    loss = draw_loss("quadratic", 8, 2, 10.0, np.random.default_rng(0))
    costs = np.zeros((1, 8, 8))
    costs[0, edges[:, 0], edges[:, 1]] = np.arange(1.0, 9.0)
    sim = _sim(loss, edges)
    stats = sim.advance(2.0, 20.0, 1.0, costs=costs, budget=25.0)
    assert stats.cost <= 25.0 and stats.dropped > 0 and stats.gossips > 0
    free = _sim(loss, edges).advance(2.0, 20.0, 1.0, budget=0.0)
    assert free.gossips == 0 and free.cost == 0.0 and free.dropped > 0


def test_losses_have_the_requested_condition_number_and_their_optimum() -> None:
    rng = np.random.default_rng(0)
    for kappa in (10.0, 1000.0):
        q = Quadratic.draw(6, 4, kappa, rng)
        assert q.L / q.mu == pytest.approx(kappa)
        g = sum(q.grad(i, q.x_star) for i in range(6))
        assert np.abs(g).max() < 1e-9
        lg = Logistic.draw(6, 4, kappa, rng)
        assert lg.L / lg.mu == pytest.approx(kappa)
        g = lg.grad_batch(np.arange(6), np.repeat(lg.x_star[None], 6, axis=0)).sum(axis=0)
        assert np.abs(g).max() < 1e-9


def test_a_non_convex_local_loss_is_an_error_naming_the_node() -> None:
    a = np.repeat(np.eye(2)[None], 3, axis=0)
    a[2] = np.diag([1.0, -0.5])
    with pytest.raises(ValueError, match="node 2.*not strongly convex"):
        Quadratic(a, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="mu must be > 0"):
        Logistic(np.ones((2, 3, 2)), np.ones((2, 3)), 0.0)
