"""Batched numpy simulator of a repeater chain (``RepeaterChain-v0``): a ``BatchSim``
(``envs/core/sim.py``) with no gymnasium import.

State of B chains with n nodes and k memories per node side ("lanes"): a link between nodes
i < j in lane s occupies node i's right memory s and node j's left memory s. ``right[b, i, s]``
is j (or -1 when that memory is free), ``left[b, j, s]`` is i; the link's Bell-diagonal state
``bds[b, i, s]`` (``physics`` order Phi+, Psi-, Psi+, Phi-) and age in steps ``age[b, i, s]``
are stored at its left end. Swaps keep the lane; purification merges lane 1 into lane 0.

One step (``ChainSim.step``), in this order:

1. actions, checked against the state before the step (invalid ones are no-ops and counted):
   discards, then purifications (every purify-right, then every purify-left; two requests on
   the same pair purify once; DEJMPS, success with its probability, a failure loses both
   links), then swaps (every lane where the node holds a left and a right link; a run of
   adjacent swaps merges its links into one with the oldest age, which is lost unless every
   swap in the run succeeds with ``p_swap``);
2. delivery: an end-to-end link with F >= ``f_target`` is consumed;
3. cutoff: links with age >= ``cutoff`` are discarded;
4. ageing: age + 1 and memory decoherence over one step (depolarising, dephasing);
5. generation: one attempt on every elementary link and lane whose two memories are free.

``reset`` clears the chains and runs one generation (5), so an episode starts right after the
first slot's attempts. In the abstract scheme (no decoherence) this is exactly Iñesta et al.'s
slot: generation, swaps, cutoff, ageing (``mdp`` documents the same model).

After ``step(idx, ...)`` the outcome arrays (``reward``, ``delivered``, ``delivered_fidelity``,
``delivered_yield``, ``invalid``, ``terminated``, ``truncated``; one entry per chain) hold the
step of chains ``idx``; ``reset(idx, ...)`` zeroes them for chains ``idx`` (a new episode has
delivered nothing yet) unless told to keep them.

Randomness: every step draws a fixed number of uniforms per chain from that chain's own
generator (n for purification, n k for swaps, (n - 1) k for generation), so a chain's
trajectory does not depend on the other chains in the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.sim import Rows, rows
from .. import physics
from .mdp import ChainMdp
from .observations import dict_obs, pair_index, step_info, tabular_action_masks, tabular_obs
from .params import ChainParams

STATE = (
    "right",
    "left",
    "bds",
    "age",
    "steps",
    "gen_count",
    "deliveries",
    "yield_total",
    "last_fidelity",
)
"""the per-chain state arrays (env axis first) that a step reads and writes"""
OUTCOME = {
    "reward": np.float64,
    "delivered": np.int64,
    "delivered_fidelity": np.float64,
    "delivered_yield": np.float64,
    "invalid": np.int64,
}
"""the per-chain results of a step (name: dtype), in the order ``_step`` returns them"""


def bytes_per_chain(params: ChainParams) -> float:
    """Memory one chain of a ``ChainSim`` holds with its generator, outputs and step scratch:
    a fit of measurements (7.6 KB at n = 9 with 2 lanes, 1.9 KB at n = 3), rounded up."""
    n, k = params.n_nodes, params.mem_per_side
    pairs = n * (n - 1) // 2
    return 1536.0 + 160.0 * n * k + 48.0 * k * pairs + 32.0 * n


class _Rows:
    """Copies of the ``STATE`` arrays of some chains, stepped apart and written back."""

    def __init__(self, sim: ChainSim, idx: np.ndarray) -> None:
        for name in STATE:
            setattr(self, name, getattr(sim, name)[idx].copy())

    def put(self, sim: ChainSim, idx: np.ndarray) -> None:
        """Write the (stepped) arrays back into rows ``idx`` of ``sim``."""
        for name in STATE:
            getattr(sim, name)[idx] = getattr(self, name)


class ChainSim:
    """B repeater chains stepped together (see the module docstring).

    Args:
        params: the chain's parameters.
        num_envs: B.

    ``mdp`` is the finite MDP of the tabular observation (``obs_mode="tabular"``), else None.
    The outcome of the last step, one entry per chain: ``reward`` (for ``params.reward_mode``),
    ``delivered`` (end-to-end links delivered), ``delivered_fidelity`` (of the best one, 0 when
    none), ``delivered_yield`` (hashing yield, ebits), ``invalid`` (node actions that were
    no-ops), ``terminated`` (``time`` reward: a link was delivered) and ``truncated`` (the
    episode reached ``max_steps`` without terminating).
    """

    def __init__(self, params: ChainParams, num_envs: int) -> None:
        self.params = params
        self.num_envs = num_envs
        n, k = params.n_nodes, params.mem_per_side
        self.n_nodes, self.lanes = n, k
        self.mdp = (
            ChainMdp(n, params.p_gen, params.p_swap, int(params.cutoff))
            if params.obs_mode == "tabular"
            else None
        )
        self.pairs = pair_index(n)
        self.p_link = params.link_success_prob()
        self.fresh_bds = physics.werner_bds(params.link_fidelity())
        self.depolarising = params.depolarising_factor()
        self.dephasing = params.dephasing_factor()
        self.n_uniforms = n + n * k + (n - 1) * k
        self.right = np.full((num_envs, n, k), -1, dtype=np.int64)
        self.left = np.full((num_envs, n, k), -1, dtype=np.int64)
        self.bds = np.zeros((num_envs, n, k, 4))
        self.age = np.zeros((num_envs, n, k), dtype=np.int64)
        self.steps = np.zeros(num_envs, dtype=np.int64)
        self.gen_count = np.zeros((num_envs, n - 1), dtype=np.int64)
        self.deliveries = np.zeros(num_envs, dtype=np.int64)
        self.yield_total = np.zeros(num_envs)
        self.last_fidelity = np.zeros(num_envs)
        for name, dtype in OUTCOME.items():
            setattr(self, name, np.zeros(num_envs, dtype=dtype))
        self.terminated = np.zeros(num_envs, dtype=bool)
        self.truncated = np.zeros(num_envs, dtype=bool)

    # ------------------------------------------------------------------ BatchSim protocol
    def reset(
        self,
        idx: Rows,
        rngs: Sequence[np.random.Generator],
        options: dict[str, Any] | None = None,
        *,
        keep_outcome: bool = False,
    ) -> None:
        """Empty chains ``idx`` and run their first generation attempts (no options).

        ``keep_outcome`` leaves the outcome arrays of the step that ended the old episodes as
        they are (a SAME_STEP autoreset reports them in the step's info).
        """
        idx = rows(idx, self.num_envs)
        self.right[idx] = -1
        self.left[idx] = -1
        self.bds[idx] = 0.0
        self.age[idx] = 0
        for name in ("steps", "gen_count", "deliveries", "yield_total", "last_fidelity"):
            getattr(self, name)[idx] = 0
        if not keep_outcome:
            for name in (*OUTCOME, "terminated", "truncated"):
                getattr(self, name)[idx] = 0
        uniforms = self._uniforms(idx, rngs, (self.n_nodes - 1) * self.lanes)
        if len(idx) == self.num_envs:
            self._generate(self, np.arange(self.num_envs), uniforms)
        else:
            sub = _Rows(self, idx)
            self._generate(sub, np.arange(len(idx)), uniforms)
            sub.put(self, idx)

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Advance chains ``idx`` by one step with ``actions`` (len(idx), n) node actions."""
        idx = rows(idx, self.num_envs)
        uniforms = self._uniforms(idx, rngs, self.n_uniforms)
        if len(idx) == self.num_envs:
            outcome = self._step(self, actions, uniforms)
            for name, value in zip(OUTCOME, outcome, strict=True):
                setattr(self, name, value)
        else:
            sub = _Rows(self, idx)
            outcome = self._step(sub, actions, uniforms)
            sub.put(self, idx)
            for name, value in zip(OUTCOME, outcome, strict=True):
                getattr(self, name)[idx] = value
        params = self.params
        self.terminated = (
            self.delivered > 0
            if params.reward_mode == "time"
            else np.zeros(self.num_envs, dtype=bool)
        )
        self.truncated = (self.steps >= params.max_steps) & ~self.terminated

    def observation(self, idx: Any = slice(None)) -> Any:
        """Observations of chains ``idx``: a dict of batched arrays, or the tabular state
        indices (``obs_mode="tabular"``)."""
        if self.mdp is not None:
            return tabular_obs(self, self.mdp, idx)
        return dict_obs(self, self.pairs, idx)

    def info(self, idx: Any = slice(None)) -> dict[str, np.ndarray]:
        """Info arrays of chains ``idx`` (``observations.step_info``)."""
        return step_info(self, idx)

    # ------------------------------------------------------------------ masks, fidelities
    def valid_actions(self, idx: Any = slice(None)) -> np.ndarray:
        """Valid env actions of chains ``idx``: node by node (``action_masks``) or, in tabular
        mode, the valid swap masks."""
        if self.mdp is not None:
            return tabular_action_masks(self, self.mdp, idx)
        return self.action_masks(idx)

    def action_masks(self, idx: Any = slice(None)) -> np.ndarray:
        """(B, sum of per-node action counts) valid node actions, node by node (MaskablePPO's
        MultiDiscrete layout): end nodes (wait, discard), repeaters (wait, swap, purify-left,
        purify-right, discard-left, discard-right)."""
        valid = self._valid(self.right[idx], self.left[idx])
        n = self.n_nodes
        ones = np.ones(valid["swap"].shape[0], dtype=bool)
        parts = [ones, valid["discard_right"][:, 0]]
        for m in range(1, n - 1):
            parts += [
                ones,
                valid["swap"][:, m],
                valid["purify_left"][:, m],
                valid["purify_right"][:, m],
                valid["discard_left"][:, m],
                valid["discard_right"][:, m],
            ]
        parts += [ones, valid["discard_left"][:, n - 1]]
        return np.stack(parts, axis=1)

    def fidelity(self) -> np.ndarray:
        """(B, n, k) fidelity of the link stored at each left end (0 where none)."""
        return np.where(self.right >= 0, self.bds[..., 0], 0.0)

    # --------------------------------------------------------------------- internals
    @staticmethod
    def _uniforms(idx: np.ndarray, rngs: Sequence[np.random.Generator], count: int) -> np.ndarray:
        """(len(idx), count) uniforms, row r from chain idx[r]'s own generator."""
        uniforms = np.stack([rngs[i].random(count) for i in idx] or [np.empty((0,))])
        return uniforms.reshape(len(idx), count)

    def _valid(self, right: np.ndarray, left: np.ndarray) -> dict[str, np.ndarray]:
        has_left = (left >= 0).any(axis=2)
        has_right = (right >= 0).any(axis=2)
        swap = ((left >= 0) & (right >= 0)).any(axis=2)
        swap[:, 0] = swap[:, -1] = False
        if self.lanes == 2:
            purify_left = (left[:, :, 0] >= 0) & (left[:, :, 0] == left[:, :, 1])
            purify_right = (right[:, :, 0] >= 0) & (right[:, :, 0] == right[:, :, 1])
            purify_left[:, 0] = purify_left[:, -1] = False
            purify_right[:, 0] = purify_right[:, -1] = False
        else:
            purify_left = purify_right = np.zeros_like(swap)
        return {
            "swap": swap,
            "purify_left": purify_left,
            "purify_right": purify_right,
            "discard_left": has_left,
            "discard_right": has_right,
        }

    def _decode(self, state: Any, actions: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Boolean request arrays (B, n) per action kind, and the invalid count per chain."""
        valid = self._valid(state.right, state.left)
        n = self.n_nodes
        codes = np.asarray(actions, dtype=np.int64)
        # end nodes: 1 = discard (the only side they have)
        full = codes.copy()
        full[:, 0] = np.where(codes[:, 0] == 1, 5, 0)
        full[:, n - 1] = np.where(codes[:, n - 1] == 1, 4, 0)
        wanted = {
            "swap": full == 1,
            "purify_left": full == 2,
            "purify_right": full == 3,
            "discard_left": full == 4,
            "discard_right": full == 5,
        }
        invalid = np.zeros(codes.shape[0], dtype=np.int64)
        for key, request in wanted.items():
            invalid += (request & ~valid[key]).sum(axis=1)
            wanted[key] = request & valid[key]
        return wanted, invalid

    @staticmethod
    def _free(state: Any, rows: np.ndarray, left_end: np.ndarray, lane: Any) -> None:
        """Free the links whose left ends are (rows, left_end) in ``lane`` (an int or array)."""
        if rows.size == 0:
            return
        right_end = state.right[rows, left_end, lane]
        state.left[rows, right_end, lane] = -1
        state.right[rows, left_end, lane] = -1

    def _step(
        self, state: Any, actions: np.ndarray, uniforms: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """Advance the chains of ``state`` (``self`` or a ``_Rows`` copy); the outcome arrays
        in ``OUTCOME`` order."""
        params = self.params
        n, k = self.n_nodes, self.lanes
        batch = np.arange(state.right.shape[0])
        wanted, invalid = self._decode(state, actions)
        u_purify = uniforms[:, :n]
        u_swap = uniforms[:, n : n + n * k]
        u_gen = uniforms[:, n + n * k :]

        # 1a. discards
        discarding = np.flatnonzero((wanted["discard_left"] | wanted["discard_right"]).any(axis=0))
        for m in discarding:
            for s in range(k):
                rows = np.flatnonzero(wanted["discard_left"][:, m] & (state.left[:, m, s] >= 0))
                self._free(state, rows, state.left[rows, m, s], s)
                rows = np.flatnonzero(wanted["discard_right"][:, m] & (state.right[:, m, s] >= 0))
                self._free(state, rows, np.full(rows.size, m), s)
        # 1b. purification (lanes 0 and 1 of the same node pair)
        if k == 2:
            for side in ("purify_right", "purify_left"):
                for m in np.flatnonzero(wanted[side].any(axis=0)):
                    memory = state.right if side == "purify_right" else state.left
                    ok = (memory[:, m, 0] >= 0) & (memory[:, m, 0] == memory[:, m, 1])
                    rows = np.flatnonzero(wanted[side][:, m] & ok)
                    ends = np.full(rows.size, m) if side == "purify_right" else memory[rows, m, 0]
                    self._purify(state, rows, ends, u_purify[rows, m])
        # 1c. swaps, left to right (a run of adjacent swaps merges into one link)
        broken = np.zeros(state.right.shape, dtype=bool)
        for m in np.flatnonzero(wanted["swap"].any(axis=0)):  # increasing m
            for s in range(k):
                has_both = (state.left[:, m, s] >= 0) & (state.right[:, m, s] >= 0)
                rows = np.flatnonzero(wanted["swap"][:, m] & has_both)
                if rows.size == 0:
                    continue
                i = state.left[rows, m, s]
                j = state.right[rows, m, s]
                state.bds[rows, i, s] = physics.swap_bds(
                    state.bds[rows, i, s],
                    state.bds[rows, m, s],
                    params.gate_fid,
                    params.meas_fid,
                    check=False,
                )
                state.age[rows, i, s] = np.maximum(state.age[rows, i, s], state.age[rows, m, s])
                failed = u_swap[rows, m * k + s] >= params.p_swap
                broken[rows, i, s] |= broken[rows, m, s] | failed
                broken[rows, m, s] = False
                state.right[rows, i, s] = j
                state.left[rows, j, s] = i
                state.right[rows, m, s] = -1
                state.left[rows, m, s] = -1
        if broken.any():
            rows, ends, lanes = np.nonzero(broken & (state.right >= 0))
            self._free(state, rows, ends, lanes)

        # 2. delivery
        delivered = np.zeros(batch.size, dtype=np.int64)
        fid_out = np.zeros(batch.size)
        yield_out = np.zeros(batch.size)
        fid_reward = np.zeros(batch.size)
        for s in range(k):
            fid = state.bds[:, 0, s, 0]
            ok = (state.right[:, 0, s] == n - 1) & (fid >= params.f_target - 1e-12)
            if not ok.any():
                continue
            rows = np.flatnonzero(ok)
            delivered[rows] += 1
            fid_out[rows] = np.maximum(fid_out[rows], fid[rows])
            yield_out[rows] += physics.hashing_yield_bds(state.bds[rows, 0, s], check=False)
            fid_reward[rows] += 1.0 + params.beta * (fid[rows] - params.f_target)
            self._free(state, rows, np.zeros(rows.size, dtype=np.int64), s)
        state.deliveries += delivered
        state.yield_total += yield_out
        state.last_fidelity = np.where(delivered > 0, fid_out, state.last_fidelity)

        # 3. cutoff
        exists = state.right >= 0
        if params.cutoff is not None:
            old = exists & (state.age >= params.cutoff)
            if old.any():
                rows, ends, lanes = np.nonzero(old)
                self._free(state, rows, ends, lanes)
                exists = state.right >= 0
        # 4. ageing and decoherence
        state.age += exists
        if self.depolarising < 1.0:
            state.bds = np.where(
                exists[..., None],
                physics.depolarise_bds(state.bds, self.depolarising, check=False),
                state.bds,
            )
        if self.dephasing < 1.0:
            state.bds = np.where(
                exists[..., None],
                physics.dephase_bds(state.bds, self.dephasing, check=False),
                state.bds,
            )
        # 5. generation
        self._generate(state, batch, u_gen)
        state.steps += 1

        penalty = params.invalid_action_penalty * invalid
        if params.reward_mode == "time":
            reward = -1.0 - penalty
        elif params.reward_mode == "rate":
            reward = yield_out - penalty
        else:
            reward = fid_reward - params.step_cost - penalty
        return reward, delivered, fid_out, yield_out, invalid

    def _purify(self, state: Any, rows: np.ndarray, ends: np.ndarray, u: np.ndarray) -> None:
        """DEJMPS on the lane-0 and lane-1 links with left ends (rows, ends)."""
        if rows.size == 0:
            return
        p_ok, out = physics.dejmps(
            state.bds[rows, ends, 0], state.bds[rows, ends, 1], self.params.gate_fid, check=False
        )
        success = u < np.asarray(p_ok)
        good, bad = rows[success], rows[~success]
        state.bds[good, ends[success], 0] = out[success]
        state.age[good, ends[success], 0] = np.maximum(
            state.age[good, ends[success], 0], state.age[good, ends[success], 1]
        )
        self._free(state, good, ends[success], 1)
        self._free(state, bad, ends[~success], 0)
        self._free(state, bad, ends[~success], 1)

    def _generate(self, state: Any, batch: np.ndarray, u_gen: np.ndarray) -> None:
        """One attempt on every elementary link m (nodes m, m + 1) and lane s whose two
        memories are free; uniform ``u_gen[:, m * k + s]``."""
        n, k = self.n_nodes, self.lanes
        free = (state.right[:, : n - 1, :] < 0) & (state.left[:, 1:, :] < 0)
        made = free & (u_gen.reshape(-1, n - 1, k) < self.p_link[None, :, None])
        rows, links, lanes = np.nonzero(made)
        if rows.size == 0:
            return
        rows = batch[rows]
        state.right[rows, links, lanes] = links + 1
        state.left[rows, links + 1, lanes] = links
        state.bds[rows, links, lanes] = self.fresh_bds[links]
        state.age[rows, links, lanes] = 0
        np.add.at(state.gen_count, (rows, links), 1)


__all__ = ["OUTCOME", "STATE", "ChainSim"]
