"""The compiled event loop of ``netgym/AsyncGossip-v1`` (numba): events, DADAO jumps, losses,
gradient steps, the unit's accounting and the observation, for every stepped env of a batch.

**Modal coordinates.** DADAO's generator has eta = eta~ = alpha~ = alpha / 2 exactly, so its
linear ODE (``dadao.py``) splits in closed form, in real arithmetic, with no eigensolver:
S = (x + x~) / 2 and C = (z + 2 z~) / 3 are constant; D = (x - x~) / 2 decays at rate a
(= alpha) and F = z - z~ at rate 3a / 2; the (y, y~) pair is a particular part driven by
nu x~ + z plus a homogeneous part h = (h_y, h_y~) with ``h' = H h``, H = [[-a, a], [-th, 0]]
(th = theta), whose exponential is e^{-a t / 2} (cos(b t) I + sin(b t) / b (H + a / 2 I)),
b = sqrt(a th - a^2 / 4). Reading the state off the six modes (per dimension):

    x = S + D,  x~ = S - D,  z = C + 2/3 F,  z~ = C - 1/3 F,
    y = -(nu S + C) + nu D + pF F + h_y,  y~ = -(nu S + C) + pF~ F + h_y~,

with pF = -(2/3) a th / (3/4 a^2 + a th) and pF~ = -pF / 2. A node's modes are stored
(``modal``, order ``MODES``) at the start of the time unit, pulled back within it (u = E(tau)^-1
w), so that one factor set per event, q = e^{-a tau / 2} (D: q^2, F: q^3, h: q times the
rotation), serves both nodes of a gossip; at the unit's end every node is brought to it.

**Events.** The two Poisson clocks (gradients at rate n, gossips at rate lambda_mix) are merged:
exponential gaps at the total rate, each event a gradient at node floor(v) when
v = U (n + lambda_mix) < n, else a gossip on the edge that (v - n) / lambda_mix picks (uniformly,
or by the cumulative edge probabilities). Random numbers come from a counter-based generator:
SplitMix64's finaliser of (key + counter x golden gamma), two streams per env (gaps, choices)
whose keys the reset draws from the env's generator; each env advances its own counters, so a
sub-env of a vector env and the scalar env draw the same numbers. Every sum is a sequential loop
in a fixed order; no BLAS, no complex numbers, no fastmath: a sub-env's arithmetic does not
depend on the batch it runs in.
"""

from __future__ import annotations

import math

import numpy as np

from ...core.compiled import kernel
from ...core.streams import uniform

MODES = ("S", "C", "D", "F", "h_y", "h_y~")
"""the six modal coordinates of a node, in ``modal``'s order"""

# columns of the per-env float table ``fs`` (N, F_COLUMNS)
MU, LL, GRATE, CHI1, PERIOD = 0, 1, 2, 3, 4
NU, AA, TH, BROT, SQLN = 5, 6, 7, 8, 9
J_S, J_D, J_HY, J_HYT, PF, PFT = 10, 11, 12, 13, 14, 15
ERR0, GRAD0, ERROR, CONS, GRAD, COST = 16, 17, 18, 19, 20, 21
UGOS, UGRAD, RATE, REWARD, THEORY = 22, 23, 24, 25, 26
STATIC = 27
"""the six static observation values: columns STATIC .. STATIC + 5"""
F_COLUMNS = STATIC + 6

# columns of the per-env integer table ``ints`` (N, I_COLUMNS)
T, GRADS, GOSSIPS, DROPPED, KEY_GAP, KEY_PICK, CTR_GAP, CTR_PICK = 0, 1, 2, 3, 4, 5, 6, 7
DONE, DIVERGED, CUT = 8, 9, 10
I_COLUMNS = 11

# entries of the configuration vector ``cfg``
C_N, C_D, C_LOGISTIC, C_BUDGET, C_COST_WEIGHT, C_TARGET, C_HORIZON = 0, 1, 2, 3, 4, 5, 6
C_LOG_TARGET, C_DIVERGED, C_PER_ROUND = 7, 8, 9
CFG_SIZE = 10

OBS = 14


@kernel
def logistic_grad(
    m: int, i: int, x: np.ndarray, out: np.ndarray, mu: float, ld: np.ndarray, ly: np.ndarray
) -> None:  # pragma: no cover - compiled by numba
    """``out`` = grad f_i(x) of env ``m``'s logistic node ``i``: -1/s sum_k y_k a_k
    sigmoid(-y_k a_k.x) + mu x, sigmoid(z) = (1 + tanh(z / 2)) / 2."""
    d, samples = x.shape[0], ly.shape[2]
    for k in range(d):
        out[k] = 0.0
    for s in range(samples):
        dot = 0.0
        for k in range(d):
            dot += ld[m, i, s, k] * x[k]
        y = ly[m, i, s]
        weight = y * (0.5 * (1.0 + math.tanh(0.5 * (-(y * dot)))))
        for k in range(d):
            out[k] += ld[m, i, s, k] * weight
    for k in range(d):
        out[k] = -out[k] / samples + mu * x[k]


@kernel
def measure(
    m: int,
    cfg: np.ndarray,
    fs: np.ndarray,
    modal: np.ndarray,
    qa: np.ndarray,
    qb: np.ndarray,
    ld: np.ndarray,
    ly: np.ndarray,
    xstar: np.ndarray,
    scratch: np.ndarray,
) -> tuple[float, float, float]:  # pragma: no cover - compiled by numba
    """(error, consensus, gradient-norm proxy) of env ``m`` with every node at the same time:
    mean_i |x_i - x*|^2, mean_i |x_i - x_bar|^2 and |sum_i grad f_i(x_bar)| (quadratic:
    (sum_i A_i) x_bar - sum_i b_i, the sums kept at ``qa[m, n]``, ``qb[m, n]``), clipped to
    [1e-300, 1e300], 1e300 when not a number; ``scratch``: (3, d) work space."""
    n, d = modal.shape[1], modal.shape[3]
    xbar, total, g = scratch[0], scratch[1], scratch[2]
    for k in range(d):
        xbar[k] = 0.0
        total[k] = 0.0
    error = 0.0
    for i in range(n):
        for k in range(d):
            x = modal[m, i, 0, k] + modal[m, i, 2, k]
            diff = x - xstar[m, k]
            error += diff * diff
            xbar[k] += x
    for k in range(d):
        xbar[k] = xbar[k] / n
    consensus = 0.0
    for i in range(n):
        for k in range(d):
            diff = modal[m, i, 0, k] + modal[m, i, 2, k] - xbar[k]
            consensus += diff * diff
    if cfg[C_LOGISTIC] > 0.5:
        for i in range(n):
            logistic_grad(m, i, xbar, g, fs[m, MU], ld, ly)
            for k in range(d):
                total[k] += g[k]
    else:
        for k in range(d):
            acc = 0.0
            for col in range(d):
                acc += qa[m, n, k, col] * xbar[col]
            total[k] = acc - qb[m, n, k]
    square = 0.0
    for k in range(d):
        v = total[k] * total[k]
        if v > 1e300:
            v = 1e300
        square += v
    norm = math.sqrt(square)
    if norm != norm:
        norm = 1e300
    norm = min(max(norm, 1e-300), 1e300)
    return error / n, consensus / n, norm


@kernel
def observe(
    m: int, cfg: np.ndarray, fs: np.ndarray, ints: np.ndarray, obs: np.ndarray, row: np.ndarray
) -> None:  # pragma: no cover - compiled by numba
    """Env ``m``'s observation row (``AsyncGossipEnv``'s 14 values, clipped to [-1, 2];
    ``row``: OBS float64 of work space)."""
    budget = cfg[C_BUDGET]
    left = 1.0
    if budget >= 0.0:
        left = 1.0 - fs[m, COST] / budget if budget > 0 else 0.0
    ug, ugrad = fs[m, UGOS], fs[m, UGRAD]
    row[0] = math.log(fs[m, ERR0] / fs[m, ERROR]) / cfg[C_LOG_TARGET]
    row[1] = fs[m, CONS] / fs[m, ERROR]
    row[2] = math.log(max(fs[m, GRAD0], 1e-300) / fs[m, GRAD]) / cfg[C_LOG_TARGET]
    row[3] = ints[m, T] / cfg[C_HORIZON]
    row[4] = left
    row[5] = math.log2(fs[m, RATE]) / 4 + 0.5
    row[6] = ug / (ug + fs[m, GRATE])
    row[7] = ugrad / (ugrad + cfg[C_N])
    for k in range(6):
        row[8 + k] = fs[m, STATIC + k]
    for k in range(OBS):
        v = row[k]
        if v < -1.0:
            v = -1.0
        elif v > 2.0:
            v = 2.0
        obs[m, k] = np.float32(v)


@kernel
def init_envs(
    idx: np.ndarray,
    cfg: np.ndarray,
    fs: np.ndarray,
    ints: np.ndarray,
    modal: np.ndarray,
    x0: np.ndarray,
    qa: np.ndarray,
    qb: np.ndarray,
    ld: np.ndarray,
    ly: np.ndarray,
    xstar: np.ndarray,
    obs: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba
    """Start envs ``idx`` (their problem, mu, L, graph constants and keys written by the
    caller): DADAO's constants in modal form, the nodes' modes from x(0) = ``x0[m]`` (the
    other five vectors 0), the quadratic losses' sums over the nodes, the initial error and
    the observation."""
    n, d = modal.shape[1], modal.shape[3]
    scratch = np.empty((3, d))
    row = np.empty(OBS)
    for m in idx:
        mu, big_l = fs[m, MU], fs[m, LL]
        nu = mu / 2
        s = math.sqrt(nu / big_l)
        a = 0.25 * s
        th = 0.5 * math.sqrt(big_l / nu)
        gamma = 1.0 / (4 * big_l)
        gamma_t = 1.0 / (4 * math.sqrt(big_l * nu))
        delta = 0.25 * s + 1.0
        pf = -(2.0 / 3.0) * (a * th) / (0.75 * a * a + a * th)
        fs[m, NU], fs[m, AA], fs[m, TH] = nu, a, th
        fs[m, BROT] = math.sqrt(a * th - 0.25 * a * a)
        fs[m, SQLN] = math.sqrt(big_l / nu)
        fs[m, J_S] = -(gamma + gamma_t) / 2
        fs[m, J_D] = -(gamma - gamma_t) / 2
        fs[m, J_HY] = -nu * gamma_t
        fs[m, J_HYT] = delta + nu * fs[m, J_S]
        fs[m, PF], fs[m, PFT] = pf, -0.5 * pf
        for i in range(n):
            for k in range(d):
                half = 0.5 * x0[m, i, k]
                modal[m, i, 0, k] = half
                modal[m, i, 1, k] = 0.0
                modal[m, i, 2, k] = half
                modal[m, i, 3, k] = 0.0
                modal[m, i, 4, k] = 0.0
                modal[m, i, 5, k] = nu * half
        if cfg[C_LOGISTIC] < 0.5:
            for k in range(d):
                qb[m, n, k] = 0.0
                for col in range(d):
                    qa[m, n, k, col] = 0.0
            for i in range(n):
                for k in range(d):
                    qb[m, n, k] += qb[m, i, k]
                    for col in range(d):
                        qa[m, n, k, col] += qa[m, i, k, col]
        error, consensus, norm = measure(m, cfg, fs, modal, qa, qb, ld, ly, xstar, scratch)
        fs[m, ERR0], fs[m, ERROR], fs[m, CONS] = error, error, consensus
        fs[m, GRAD0], fs[m, GRAD] = norm, norm
        fs[m, COST] = fs[m, UGOS] = fs[m, UGRAD] = fs[m, REWARD] = fs[m, THEORY] = 0.0
        fs[m, RATE] = 1.0
        for c in (T, GRADS, GOSSIPS, DROPPED, CTR_GAP, CTR_PICK, DONE, DIVERGED, CUT):
            ints[m, c] = 0
        observe(m, cfg, fs, ints, obs, row)


@kernel
def step_envs(
    idx: np.ndarray,
    mode: int,
    menu: np.ndarray,
    actions: np.ndarray,
    rates: np.ndarray,
    betas: np.ndarray,
    cum: np.ndarray,
    cfg: np.ndarray,
    fs: np.ndarray,
    ints: np.ndarray,
    modal: np.ndarray,
    qa: np.ndarray,
    qb: np.ndarray,
    ld: np.ndarray,
    ly: np.ndarray,
    xstar: np.ndarray,
    edges: np.ndarray,
    ecount: np.ndarray,
    ecost: np.ndarray,
    obs: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba
    """One time unit of every env ``idx[r]``: its clock (``mode`` 0: rate ``menu[actions[r]]``
    x sqrt(2 chi1 chi2), beta~ = 2 chi1 / rate sqrt(L / nu), uniform edges; ``mode`` 1:
    ``rates[r]``, ``betas[r]`` and the cumulative edge probabilities ``cum[r]``, or uniform
    edges where ``cum[r, 0]`` < 0), its events, the budget, the unit's accounting (reward,
    counters, episode end) and its observation.

    An event at ``tau`` into the unit uses q = e^{-a tau / 2}, c = cos(b tau),
    sn = sin(b tau) / b: the modes' values are (S, C, q^2 D, q^3 F, E (h_y, h_y~)) with
    E = q (c I + sn (H + a / 2 I)), and a jump is pulled back through 1 / q^2, 1 / q^3 and
    E^-1 = (c I - sn (H + a / 2 I)) / q. The event code is written out here, not called:
    numba's calls with array arguments cost more than the arithmetic of an event.
    """
    n, d = modal.shape[1], modal.shape[3]
    budget = cfg[C_BUDGET]
    logistic = cfg[C_LOGISTIC] > 0.5
    graphs = ecount.shape[1]
    scratch = np.empty((3, d))
    row = np.empty(OBS)
    x, yt, g = scratch[0], scratch[1], scratch[2]
    for r in range(idx.shape[0]):
        m = idx[r]
        unit = fs[m, GRATE]
        if mode == 0:
            rate = menu[actions[r]] * unit
            beta_tilde = 2.0 * (fs[m, CHI1] / rate) * fs[m, SQLN]
        else:
            rate, beta_tilde = rates[r], betas[r]
        left = math.inf
        if budget >= 0.0:
            left = max(budget * unit - fs[m, COST] * unit, 0.0)
        nu, a, th, b = fs[m, NU], fs[m, AA], fs[m, TH], fs[m, BROT]
        pf, pft, mu = fs[m, PF], fs[m, PFT], fs[m, MU]
        j_s, j_d, j_hy, j_hyt = fs[m, J_S], fs[m, J_D], fs[m, J_HY], fs[m, J_HYT]
        k_c = -(0.5 + 2.0 * beta_tilde) / 3.0
        k_f = -(0.5 - beta_tilde)
        k_hy, k_hyt = k_c - pf * k_f, k_c - pft * k_f
        c_yz = pf + 2.0 / 3.0
        start = float(ints[m, T])
        period = fs[m, PERIOD]
        varying = graphs > 1 and math.isfinite(period)
        total = n + rate
        key_gap, key_pick = ints[m, KEY_GAP], ints[m, KEY_PICK]
        ctr_gap, ctr_pick = ints[m, CTR_GAP], ints[m, CTR_PICK]
        tau, spent = 0.0, 0.0
        grads, gossips, dropped = np.int64(0), np.int64(0), np.int64(0)
        exhausted = False
        while True:
            u = uniform(key_gap, ctr_gap)
            ctr_gap += 1
            tau += -math.log(1.0 - u) / total
            if tau >= 1.0:
                break
            v = uniform(key_pick, ctr_pick) * total
            ctr_pick += 1
            i = j = -1
            if v < n:
                i = min(int(v), n - 1)
            else:
                gi = int((start + tau) // period) % graphs if varying else 0
                count = ecount[m, gi]
                w = (v - n) / rate
                e = count - 1
                if mode == 1 and cum[r, 0] >= 0.0:
                    for k in range(count):
                        if w < cum[r, k]:
                            e = k
                            break
                else:
                    e = min(int(w * count), count - 1)
                cost = ecost[m, gi, e]
                if exhausted or not spent + cost <= left + 1e-12:
                    exhausted = True
                    dropped += 1
                    continue
                spent += cost
                i, j = edges[m, gi, e, 0], edges[m, gi, e, 1]
            q = math.exp(-0.5 * a * tau)
            c = math.cos(b * tau)
            sn = math.sin(b * tau) / b
            q2 = q * q
            q3 = q2 * q
            iq = 1.0 / q
            e21, e22 = -q * th * sn, q * (c + 0.5 * a * sn)
            i11, i12 = iq * (c + 0.5 * a * sn), -iq * (a * sn)
            i21, i22 = iq * (th * sn), iq * (c - 0.5 * a * sn)
            if j < 0:  # a gradient step at node i
                for k in range(d):
                    s_k = modal[m, i, 0, k]
                    x[k] = s_k + q2 * modal[m, i, 2, k]
                    yt[k] = (
                        -(nu * s_k + modal[m, i, 1, k])
                        + pft * (q3 * modal[m, i, 3, k])
                        + (e21 * modal[m, i, 4, k] + e22 * modal[m, i, 5, k])
                    )
                if logistic:
                    logistic_grad(m, i, x, g, mu, ld, ly)
                else:
                    for k in range(d):
                        acc = 0.0
                        for col in range(d):
                            acc += qa[m, i, k, col] * x[col]
                        g[k] = acc - qb[m, i, k]
                g1, g2 = i11 * j_hy + i12 * j_hyt, i21 * j_hy + i22 * j_hyt
                jd = j_d * (iq * iq)
                for k in range(d):
                    res = g[k] - nu * x[k] - yt[k]
                    modal[m, i, 0, k] += j_s * res
                    modal[m, i, 2, k] += jd * res
                    modal[m, i, 4, k] += g1 * res
                    modal[m, i, 5, k] += g2 * res
                grads += 1
                continue
            # a gossip on edge (i, j)
            e11, e12 = q * (c - 0.5 * a * sn), q * (a * sn)
            g1, g2 = i11 * k_hy + i12 * k_hyt, i21 * k_hy + i22 * k_hyt
            cf = k_f * (iq * iq * iq)
            for k in range(d):
                d_s = modal[m, i, 0, k] - modal[m, j, 0, k]
                d_d = modal[m, i, 2, k] - modal[m, j, 2, k]
                d_f = modal[m, i, 3, k] - modal[m, j, 3, k]
                d_h = modal[m, i, 4, k] - modal[m, j, 4, k]
                d_ht = modal[m, i, 5, k] - modal[m, j, 5, k]
                mm = -nu * d_s + nu * (q2 * d_d) + c_yz * (q3 * d_f) + (e11 * d_h + e12 * d_ht)
                modal[m, i, 1, k] += k_c * mm
                modal[m, j, 1, k] -= k_c * mm
                modal[m, i, 3, k] += cf * mm
                modal[m, j, 3, k] -= cf * mm
                modal[m, i, 4, k] += g1 * mm
                modal[m, j, 4, k] -= g1 * mm
                modal[m, i, 5, k] += g2 * mm
                modal[m, j, 5, k] -= g2 * mm
            gossips += 1
        ints[m, CTR_GAP], ints[m, CTR_PICK] = ctr_gap, ctr_pick
        # bring every node to the unit's end
        q = math.exp(-0.5 * a)
        c = math.cos(b)
        sn = math.sin(b) / b
        q2 = q * q
        q3 = q2 * q
        e11, e12 = q * (c - 0.5 * a * sn), q * (a * sn)
        e21, e22 = -q * th * sn, q * (c + 0.5 * a * sn)
        for i in range(n):
            for k in range(d):
                modal[m, i, 2, k] *= q2
                modal[m, i, 3, k] *= q3
                h, ht = modal[m, i, 4, k], modal[m, i, 5, k]
                modal[m, i, 4, k] = e11 * h + e12 * ht
                modal[m, i, 5, k] = e21 * h + e22 * ht
        account(m, rate, spent, grads, gossips, dropped, cfg, fs, ints, modal, qa, qb, ld, ly,
                xstar, scratch)  # fmt: skip
        observe(m, cfg, fs, ints, obs, row)


@kernel
def account(
    m: int,
    rate: float,
    spent: float,
    grads: int,
    gossips: int,
    dropped: int,
    cfg: np.ndarray,
    fs: np.ndarray,
    ints: np.ndarray,
    modal: np.ndarray,
    qa: np.ndarray,
    qb: np.ndarray,
    ld: np.ndarray,
    ly: np.ndarray,
    xstar: np.ndarray,
    scratch: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba
    """Env ``m``'s reward, counters and episode end after its unit (v0's ``_account``)."""
    error, consensus, norm = measure(m, cfg, fs, modal, qa, qb, ld, ly, xstar, scratch)
    err0 = fs[m, ERR0]
    cap = cfg[C_DIVERGED] * err0
    diverged = not error <= cap
    error = cap if diverged else min(max(error, 1e-300), cap)
    unit = fs[m, GRATE]
    charged = spent / unit
    fs[m, REWARD] = -(math.log(error) - math.log(fs[m, ERROR])) - cfg[C_COST_WEIGHT] * charged
    fs[m, ERROR] = error
    fs[m, CONS] = error if diverged else min(consensus, error)
    fs[m, GRAD] = norm
    fs[m, COST] += charged
    ints[m, GRADS] += grads
    ints[m, GOSSIPS] += gossips
    ints[m, DROPPED] += dropped
    fs[m, UGOS], fs[m, UGRAD] = gossips, grads
    fs[m, RATE] = rate / unit
    ints[m, T] += 1
    done = diverged or error <= cfg[C_TARGET] * err0
    ints[m, DIVERGED], ints[m, DONE] = diverged, done
    ints[m, CUT] = (not done) and ints[m, T] >= cfg[C_HORIZON]
    fs[m, THEORY] = max(math.log(err0 / error), 0.0) / cfg[C_PER_ROUND]


__all__ = ["CFG_SIZE", "F_COLUMNS", "I_COLUMNS", "MODES", "init_envs", "step_envs", "uniform"]
