"""``netgym/MoeGliderRouting-v0``: per-query LoRA-expert routing with an optional global
instruction signal (Glider, Li et al., arXiv 2410.07172)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from .params import GliderParams
from .pool import Pool, build_pool
from .sim import local_logits, pair_bound, route, success_probability

TOP_FEATURES = 4
"""sorted top local probabilities in a query's observation"""
NAN = float("nan")
CHUNK_BATCHES = 32
"""batches whose queries, local logits and observations are drawn in one go"""
CHUNK_VALUES = 2**20
"""the most hidden-state values (batch x blocks x max(experts, dimension)) of one chunk"""


def observations(logits: np.ndarray) -> np.ndarray:
    """(Q, K + 5) float32 observations of queries with (Q, L, K) local logits: the block-mean
    softmax, its ``TOP_FEATURES`` largest entries sorted, and its entropy / log K."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    shifted /= shifted.sum(axis=-1, keepdims=True)
    probs = shifted.sum(axis=1) / shifted.shape[1]
    n = probs.shape[1]
    if n > TOP_FEATURES:
        top = -np.partition(-probs, TOP_FEATURES - 1, axis=1)[:, :TOP_FEATURES]
        top = -np.sort(-top, axis=1)
    else:
        top = np.pad(-np.sort(-probs, axis=1), ((0, 0), (0, TOP_FEATURES - n)))
    entropy = -(probs * np.log(np.where(probs > 0, probs, 1.0))).sum(axis=1)
    entropy = entropy / np.log(n) if n > 1 else np.zeros_like(entropy)
    obs = np.concatenate([probs, top, entropy[:, None]], axis=1)
    return np.clip(obs, 0.0, 1.0).astype(np.float32)


class MoeGliderRoutingEnv(SimEnv):
    """Route queries of seen and unseen tasks over a pool of LoRA experts, paying for a global
    instruction signal only where it helps.

    ## Description

    A pool of LoRA experts, one per held-in task (T0: 35 in 8 categories; FLAN: 166 in four
    collections), serves queries of held-in tasks and of the 11 T0 held-out tasks
    (``pool.py``). Every expert has a PHATGOOSE gate; every query's hidden state gives local
    logits per layer block. Glider adds a global signal: an LLM writes an instruction for the
    query's task, and its embedding's cosine with each expert's instruction, times a mix scale,
    is added to the local logits, then softmax, top-k and renormalisation
    (reference/seeds-more.md 3, 6b). The global signal finds a held-in task's own expert (about
    +6.6 accuracy points over PHATGOOSE, the reviews' figure) but says little about a held-out
    task, where local routing generalises (within a point either way). Each step routes
    ``batch_size`` queries. Success model and bound: ``sim.py``.

    ## Action Space

    ``action_mode="glider"`` (default): ``MultiDiscrete([2, S, max_k] * B)``, flat, three
    entries per query: pay for the global signal (1) or not (0); the index of the mix scale in
    ``params.scales`` (ignored without the global signal); k - 1 (experts per block).
    ``"assign"``: ``MultiDiscrete([K, K + 1] * B)``: two experts per query at equal weights,
    the second K meaning "none" (one expert; the same expert twice is one expert too).

    ## Observation Space

    ``Box(0, 1, (B (K + 5),))``: per query, the PHATGOOSE softmax over experts averaged over
    blocks (K), its four largest entries sorted, and its entropy / log K. The global signal is
    not observed: it is paid for with the action.

    ## Rewards

    Mean over the batch of the query's success (its probability, or a 0/1 draw with
    ``success='bernoulli'``) minus ``global_cost`` if it paid for the global signal and
    ``expert_cost * k``.

    ## Starting State

    ``reset`` draws the first batch; a query is held-in with probability
    ``held_in_fraction``, its task uniform within the split. The pool is fixed by
    ``pool_seed``.

    ## Episode End

    Never terminates; truncates after ``max_steps`` steps.

    ## Arguments

    ``params`` (a ``GliderParams``, a dict, 'default', 'flan', 'small' or None) and/or any
    field, e.g. ``gym.make("netgym/MoeGliderRouting-v0", pool="flan", held_in_fraction=0.2)``.

    ``info`` (of the batch just routed): ``accuracy`` (mean success probability),
    ``accuracy_held_in`` / ``accuracy_held_out`` (NaN without such queries),
    ``global_calls``, ``mean_k``, ``cost`` (mean per query), ``reward_bound`` (mean of the
    per-query exhaustive pair bound: the best expected reward of any routing, no global cost),
    ``own_expert_share`` (held-in queries whose top expert in block 0 is their own; NaN
    without held-in queries) and per query ``query_task``, ``query_held_in``,
    ``query_accuracy``, ``query_bound``.

    ``render_mode``: "rgb_array" (a 320 x 640 frame of the last batch: per query its success
    probability against the bound's, and its routing) or "ansi".

    Public attributes for policies: ``params``, ``pool`` (a ``Pool``), ``tasks`` and
    ``held_in`` (the current batch's, oracle knowledge), ``logits`` (B, L, K local logits),
    ``best_experts()`` (the experts that reach the bound).

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}
    params_class = GliderParams

    def setup(self) -> None:
        params = self.params
        self.pool: Pool = build_pool(params)
        batch, n_experts = params.batch_size, self.pool.n_experts
        if params.action_mode == "glider":
            nvec = [2, len(params.scales), params.max_k]
        else:
            nvec = [n_experts, n_experts + 1]
        self._nvec = np.tile(np.array(nvec, dtype=np.int64), batch)
        self.action_space: spaces.Space = spaces.MultiDiscrete(self._nvec)
        self.observation_space = spaces.Box(
            0.0, 1.0, (batch * (n_experts + TOP_FEATURES + 1),), dtype=np.float32
        )
        self._scales = np.asarray(params.scales)
        # the bound depends on the task only: once per task, not per step
        every_task = np.arange(self.pool.n_tasks)
        self._bound, self._first, self._second = pair_bound(
            self.pool, every_task, params.expert_cost
        )
        cost = np.where(self._first == self._second, 1, 2) * params.expert_cost
        self._bound_accuracy = self._bound + cost
        self._steps = 0
        self._drawn = 0
        self._cursor = 0
        self._chunk_obs = np.zeros((0, 0), dtype=np.float32)
        self.last_batch: dict[str, Any] | None = None
        """the last routed batch, kept for ``render`` (None without a render mode)"""

    # ------------------------------------------------------------------ state
    def _draw_batch(self) -> None:
        """Make the next batch current: its queries, local logits and observation (drawn in
        chunks of up to ``CHUNK_BATCHES`` batches, which amortises numpy's per-call cost; a
        chunk never reaches past the episode, so the draws depend on the seed only)."""
        if self._cursor == len(self._chunk_obs):
            self._refill()
        index, batch = self._cursor, self.params.batch_size
        rows = slice(index * batch, (index + 1) * batch)
        self.held_in = self._chunk_held_in[rows]
        self.tasks = self._chunk_tasks[rows]
        self.logits = self._chunk_logits[rows]
        self._obs = self._chunk_obs[index]
        self._cursor += 1

    def _refill(self) -> None:
        params, pool, rng = self.params, self.pool, self.np_random
        batch = params.batch_size
        values = batch * params.n_blocks * max(pool.n_experts, params.embed_dim)
        count = min(CHUNK_BATCHES, params.max_steps + 1 - self._drawn, CHUNK_VALUES // values)
        count = max(1, count)
        self._drawn += count
        split, which = rng.random((2, count * batch))  # the split, then the task within it
        held_in = split < params.held_in_fraction
        n_in, n_out = pool.n_held_in, pool.n_held_out
        tasks = np.where(
            held_in, (which * n_in).astype(np.int64), n_in + (which * n_out).astype(np.int64)
        )
        logits = local_logits(
            pool, tasks, rng, params.n_blocks, params.token_noise, params.local_sharpness
        )
        self._chunk_held_in, self._chunk_tasks, self._chunk_logits = held_in, tasks, logits
        self._chunk_obs = observations(logits).reshape(count, -1)
        self._cursor = 0

    def best_experts(self) -> tuple[np.ndarray, np.ndarray]:
        """(B,) first and second experts of the current batch's bound (equal weights; the
        same expert twice when one is best)."""
        return self._first[self.tasks], self._second[self.tasks]

    # ------------------------------------------------------------------ SimEnv
    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._steps = 0
        self.last_batch = None
        self._drawn = 0
        self._refill()
        self._draw_batch()
        return self._obs.copy(), {}

    def check_action(self, action: Any) -> np.ndarray:
        """The action as an int array of shape (B, 2 or 3); ``ValueError`` naming the query,
        the field and its range otherwise."""
        array = np.asarray(action)
        if array.shape != self._nvec.shape:
            raise ValueError(
                f"MoeGliderRouting action must have shape {self._nvec.shape} "
                f"({self.params.batch_size} queries x {self._per_query()} entries), "
                f"got shape {array.shape}"
            )
        if array.dtype.kind not in "iu":
            if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
                raise ValueError(f"MoeGliderRouting action must hold integers, got {action!r}")
            if not np.all(array == np.round(array)):
                raise ValueError("MoeGliderRouting action must hold whole numbers")
        bad = np.flatnonzero((array < 0) | (array >= self._nvec))
        if len(bad):
            index = int(bad[0])
            query, entry = divmod(index, self._per_query())
            name = self._entry_names()[entry]
            raise ValueError(
                f"MoeGliderRouting action[{index}] (query {query}, {name}) must be in "
                f"[0, {int(self._nvec[index]) - 1}], got {array.flat[index]!r}"
            )
        return array.astype(np.int64).reshape(self.params.batch_size, self._per_query())

    def _per_query(self) -> int:
        return 3 if self.params.action_mode == "glider" else 2

    def _entry_names(self) -> tuple[str, ...]:
        if self.params.action_mode == "glider":
            return ("use_global", "scale index", "k - 1")
        return ("first expert", "second expert (K = none)")

    def step_sim(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        params, pool, tasks = self.params, self.pool, self.tasks
        if params.action_mode == "glider":
            use_global = action[:, 0].astype(bool)
            scale = np.where(use_global, self._scales[action[:, 1]], 0.0)
            k = action[:, 2] + 1
            logits = self.logits + scale[:, None, None] * pool.global_similarity[tasks][:, None]
            experts, weights = route(logits, k, params.max_k)
        else:
            use_global = np.zeros(len(tasks), dtype=bool)
            second = np.where(action[:, 1] == pool.n_experts, action[:, 0], action[:, 1])
            k = np.where(second == action[:, 0], 1, 2)
            experts = np.stack([action[:, 0], second], axis=1)[:, None, :]
            weights = np.where(k[:, None] == 1, [1.0, 0.0], [0.5, 0.5])[:, None, :]
        accuracy = success_probability(pool, tasks, experts, weights)
        if params.success == "bernoulli":
            success = (self.np_random.random(len(tasks)) < accuracy).astype(float)
        else:
            success = accuracy
        cost = params.global_cost * use_global + params.expert_cost * k
        reward = float((success - cost).sum()) / len(tasks)
        bound = self._bound[tasks]
        info = self._info(accuracy, bound, use_global, k, cost, experts)
        if self.render_mode is not None:
            self.last_batch = {
                "tasks": tasks,
                "assigned": params.action_mode == "assign",
                "experts": experts[:, 0] if params.action_mode == "assign" else None,
                "global": use_global,
                "scale": np.where(use_global, scale, 0.0)
                if params.action_mode == "glider"
                else None,
                "k": k,
                "accuracy": accuracy,
                "bound_accuracy": self._bound_accuracy[tasks],
                "reward": reward,
            }
        self._steps += 1
        self._draw_batch()
        truncated = self._steps >= params.max_steps
        return self._obs.copy(), reward, False, truncated, info

    def _info(
        self,
        accuracy: np.ndarray,
        bound: np.ndarray,
        use_global: np.ndarray,
        k: np.ndarray,
        cost: np.ndarray,
        experts: np.ndarray,
    ) -> dict[str, Any]:
        held_in, tasks = self.held_in, self.tasks

        batch = len(tasks)
        n_in = int(np.count_nonzero(held_in))
        total = float(accuracy.sum())
        total_in = float(accuracy @ held_in)

        def mean(values: np.ndarray) -> float:
            return float(values.sum()) / len(values) if len(values) else float("nan")

        return {
            "accuracy": total / batch,
            "accuracy_held_in": total_in / n_in if n_in else float("nan"),
            "accuracy_held_out": (total - total_in) / (batch - n_in) if n_in < batch else NAN,
            "global_calls": int(np.count_nonzero(use_global)),
            "mean_k": float(k.sum()) / batch,
            "cost": float(cost.sum()) / batch,
            "reward_bound": float(bound.sum()) / batch,
            "own_expert_share": mean((experts[:, 0, 0] == tasks)[held_in]),
            "query_task": tasks.copy(),
            "query_held_in": held_in.copy(),
            "query_accuracy": accuracy,
            "query_bound": bound,
        }

    @property
    def steps(self) -> int:
        """Steps taken in this episode."""
        return self._steps

    def render(self) -> np.ndarray | str | None:
        """The last routed batch: a 320 x 640 ``rgb_array`` frame (per query its success
        probability against the bound and the routing it got; see ``render.py``) or ``ansi``
        text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame

        return ansi(self) if self.render_mode == "ansi" else draw_frame(self)


__all__ = ["MoeGliderRoutingEnv"]
