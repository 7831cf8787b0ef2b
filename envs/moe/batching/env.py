"""``netgym/MoeBatching-v0``: expert-aware batch composition for MoE serving (Read-ME 4.2)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.budget import check_memory
from ...core.scalar import SimEnv
from .params import BatchingParams
from .sim import BatchingSim, SlotView


class MoeBatchingEnv(SimEnv):
    """Which queued requests join the next serving iteration of a pre-gated MoE model.

    ## Description

    Requests arrive (Poisson or bursty, ``arrivals.py``), each with a prompt and an output
    length; a pre-gating router (Read-ME) has fixed the experts of every queued token, in every
    layer (``traces.SyntheticRouting``, calibrated per model preset). Each step is one
    continuous-batching iteration: the agent picks the requests whose tokens (a whole prompt
    for a prefill, one token for a decode step) fit the budget ``max_batch_tokens``; the
    iteration takes ``sum_l [t_attn + t_shared + sum_{e used} t_exp(n_le)]`` from
    ``MoeCostModel`` (memory-bound experts: every unique expert in the batch costs a full
    weight read), then every batched request gains one output token. Fewer unique experts per
    batch means shorter iterations (Read-ME's Algorithm 1; reference/moe.md sections 1, 6(A)).

    ## Action Space

    ``action_mode="priority"`` (default): ``Box(-1, 1, (n_slots,))``, a score per visible slot
    (the oldest ``n_slots`` queued requests, oldest first). Slots with score > 0 are
    candidates and join in descending score while their tokens fit; empty slots are ignored
    (masked); scores outside [-1, 1] are refused (``ValueError``), not clipped.
    ``"select"``: ``MultiDiscrete([2] * n_slots)``, 1 = candidate, oldest first;
    ``action_masks()`` rules out empty slots (MaskablePPO). If nothing joins, the best-scored
    (select: the oldest) visible request runs alone.

    ## Observation Space

    ``Box(0, 1, (n_slots (5 + E) + E + 2,))``: per slot valid, is_prefill, tokens / budget,
    wait ``w / (w + 1 s)``, generated ``g / (g + 128)`` and the expert histogram at layer 0 of
    the tokens it would add (output lengths are unknown to a scheduler and not shown); then
    the share of visible requests per primary expert, queue length / n_slots, share finished.

    ## Rewards

    Minus the request-seconds spent in the system from one decision to the next (every
    arrived, unfinished request counts), so the return of a finished episode is minus the sum
    of end-to-end latencies (Little's law, reference 6(A)).

    ## Starting State

    ``reset`` draws ``n_requests`` requests and their routing; the first arrives at time 0.
    When the queue empties the clock jumps to the next arrival (no decision is asked).

    ## Episode End

    Terminates when every request has its output; truncates after ``max_iterations``.

    ## Arguments

    ``params`` (a ``BatchingParams``, a dict, 'default', 'small', or None) and/or any
    ``BatchingParams`` field, e.g. ``gym.make("netgym/MoeBatching-v0", model="readme",
    max_batch_tokens=128, rate_per_s=3.0)``. A configuration whose memory estimate
    (``BatchingParams.memory_estimate``: routed tokens, prompt histograms, visible slots)
    exceeds the memory budget is refused at construction.

    ``info``: ``clock_s``, ``iteration_ms``, ``batch_size``, ``batch_tokens``,
    ``unique_experts`` (mean over layers, this iteration), ``mean_unique_experts`` (over the
    episode), ``completed``, and over finished requests the normalised latency (E2E / output
    tokens, ms per token) ``mean_norm_latency_ms``, ``p95_norm_latency_ms``,
    ``p99_norm_latency_ms`` (0 before the first request finishes).

    ``render_mode``: "rgb_array" (a 400 x 640 frame: the queue by expert, the last batch and its
    layer x expert loads) or "ansi".

    Public attributes for policies: ``params``, ``slots()`` (a ``SlotView``: requests,
    is_prefill, tokens, primary_expert, arrival_s of the visible queue), ``n_experts``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}
    params_class = BatchingParams

    def setup(self) -> None:
        check_memory(type(self).__name__, *self.params.memory_estimate())
        self.sim = BatchingSim(self.params)
        self._last_batch: dict[str, Any] | None = None  # shown by render()
        n = self.params.n_slots
        if self.params.action_mode == "priority":
            self.action_space: spaces.Space = spaces.Box(-1.0, 1.0, (n,), dtype=np.float32)
        else:
            self.action_space = spaces.MultiDiscrete(np.full(n, 2, dtype=np.int64))
        self.observation_space = spaces.Box(
            0.0, 1.0, (self.sim.observation_size(),), dtype=np.float32
        )

    @property
    def n_experts(self) -> int:
        """Routed experts per layer."""
        return self.sim.n_experts

    def slots(self) -> SlotView:
        """The visible queue, oldest first (see ``SlotView``)."""
        return self.sim.slots()

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self.sim.reset(self.np_random)
        self._last_batch = None
        return self.sim.observation(), self._info()

    def step_sim(self, scores: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        batch = self.sim.batch_from_scores(scores)
        if self.render_mode is not None:
            self._last_batch = self._describe(batch)
        reward = self.sim.step(batch)
        terminated = self.sim.done
        truncated = not terminated and self.sim.iterations >= self.params.max_iterations
        return self.sim.observation(), reward, terminated, truncated, self._info()

    def render(self) -> np.ndarray | str | None:
        """The queue and the last batch: a 400 x 640 ``rgb_array`` frame (queued requests by
        expert, the batch outlined, its layer x expert loads; see ``render.py``) or ``ansi``
        text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame

        if self.render_mode == "ansi":
            return ansi(self, self._last_batch)
        return draw_frame(self, self._last_batch)

    def _describe(self, batch: np.ndarray) -> dict[str, Any]:
        """The batch about to run, for ``render``: members, tokens, (layer, expert) loads."""
        sim = self.sim
        tokens = np.where(sim.generated[batch] == 0, sim.prompt[batch], 1).sum()
        return {"batch": batch.copy(), "tokens": int(tokens), "loads": sim.loads(batch)}

    def action_masks(self) -> np.ndarray:
        """Select mode: (2 n_slots,) flat masks per slot [may be 0, may be 1]; an empty slot
        may only be 0. Priority mode has no masks (Box)."""
        if self.params.action_mode != "select":
            raise ValueError("action masks exist for action_mode='select' only")
        valid = np.zeros(self.params.n_slots, dtype=bool)
        valid[: len(self.sim.slots().requests)] = True
        return np.stack([np.ones_like(valid), valid], axis=1).ravel()

    def check_action(self, action: Any) -> np.ndarray:
        """The action as per-slot scores (see ``BatchingSim.batch_from_scores``)."""
        n = self.params.n_slots
        array = np.asarray(action)
        if array.shape != (n,):
            raise ValueError(f"action must have shape ({n},), got {array.shape}")
        if self.params.action_mode == "priority":
            if array.dtype.kind not in "iuf" or not np.isfinite(array).all():
                raise ValueError(f"priority scores must be finite numbers, got {action!r}")
            if array.size and (array.min() < -1.0 or array.max() > 1.0):
                raise ValueError(
                    f"priority scores must lie in the action space [-1, 1], got values in "
                    f"[{array.min():g}, {array.max():g}]; rescale them (only their order and "
                    "their sign matter)"
                )
            return array.astype(float)
        if array.dtype.kind not in "iub" or not np.isin(array, (0, 1)).all():
            raise ValueError(f"select actions must be 0 or 1 per slot, got {action!r}")
        # oldest first among the selected; nothing selected -> the oldest alone
        return np.where(array > 0, 1.0 - np.arange(n) / (2.0 * n), -1.0)

    def _info(self) -> dict[str, Any]:
        sim = self.sim
        batch = sim.last_batch
        tokens = (
            int(np.where(sim.generated[batch] == 1, sim.prompt[batch], 1).sum())
            if len(batch)
            else 0
        )
        completed, stats = sim.latency_stats()
        return {
            "clock_s": sim.clock_s,
            "iteration_ms": sim.last_iteration_ms,
            "batch_size": len(batch),
            "batch_tokens": tokens,
            "unique_experts": sim.last_unique,
            "mean_unique_experts": sim.mean_unique_experts(),
            "completed": completed,
            "mean_norm_latency_ms": stats[0],
            "p95_norm_latency_ms": stats[1],
            "p99_norm_latency_ms": stats[2],
        }


__all__ = ["MoeBatchingEnv"]
