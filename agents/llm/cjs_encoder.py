"""NetLLM's per-stage token encoder and masked heads for ``netgym/SparkScheduling-v0``.

The encoder reads the padded ``Dict`` observation of the cluster-scheduling env from the pool's
flattened layout and builds:

* one **stage token** per observation row: the row's nine features (``STAGE_FEATURES`` of
  ``netgym.envs.cjs.observe``; task counts, durations, work and the job's age on a log scale),
  its parents and children among the shown rows, its job's slot, size, remaining work and
  schedulable rows, the job's executor supply against the fair share ``1 / active jobs``; then
  one message from the row's children (Decima's DAG-level passing, one hop) and the mean token
  of its job (the job level). Padding rows are zero.
* an **executor token**: committable executors, whether the source is a job (and that job's
  supply), active jobs, the fair share, schedulable and shown rows.
* a **summary token**: the mean of the stage tokens and of the schedulable ones (the global
  level).

Per decision step the backbone (or BC's MLP) reads ``[summary, executor]`` (``n_tokens = 2``:
128 stage rows per step would make a 20-step window 2,600 tokens); the **stage head** scores every
stage token against the backbone's output at the executor token (a pointer over the rows, plus a
'none' logit) and the **executor head** reads the output and the chosen stage's token (at
training the pool's stage, at acting the most likely one) and scores the caps 1 .. N. Both are
masked from the observation: rows whose schedulable column is 0 and caps above the committable
executors get ``MASKED_LOGIT``, so the argmax never picks them. The output is the env's flat
``MultiDiscrete([max_stages + 1, n_executors])`` logits, which ``ActionCodec`` reads as it reads
any other head. See ``docs/llm.md`` and ``docs/cjs.md`` ("Training").
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from torch import nn

CJS_ENV = "netgym/SparkScheduling-v0"
KEYS = ("stages", "stage_job", "edges", "job_executors", "committable", "source_job", "active_jobs")
"""the keys of the padded observation the encoder reads"""
N_STAGE_FEATURES = 9
REMAINING, RECENT, WORK, SCHEDULABLE = 0, 1, 2, 3
JOB_EXECUTORS, AGE = 6, 8
LOG_COLUMNS = (REMAINING, RECENT, WORK, AGE)
"""stage features that span orders of magnitude, read as log1p"""
ROW_INPUTS = N_STAGE_FEATURES + 11
EXECUTOR_INPUTS = 7
MASKED_LOGIT = -1.0e4
"""logit of a masked stage row or cap (finite: softmax and cross-entropy stay defined)"""


def is_cjs_observation(
    env_id: str, observation_space: spaces.Space, action_space: spaces.Space
) -> bool:
    """True for the padded observation of ``netgym/SparkScheduling-v0`` with the flat action
    (``action_format="flat"``), which the per-stage encoder reads."""
    if env_id.split(":", 1)[-1] != CJS_ENV or not isinstance(observation_space, spaces.Dict):
        return False
    if any(key not in observation_space.spaces for key in KEYS):
        return False
    stages = observation_space["stages"]
    return (
        len(stages.shape) == 2
        and stages.shape[1] == N_STAGE_FEATURES
        and isinstance(action_space, spaces.MultiDiscrete)
        and action_space.nvec.shape == (2,)
        and int(action_space.nvec[0]) == stages.shape[0] + 1
    )


class CjsLayout:
    """Where each key of the padded observation lies in its flattened vector."""

    def __init__(self, observation_space: spaces.Dict, action_space: spaces.MultiDiscrete) -> None:
        self.slices: dict[str, tuple[int, int]] = {}
        start = 0
        for key, sub in observation_space.spaces.items():
            width = int(spaces.flatdim(sub))
            self.slices[key] = (start, start + width)
            start += width
        self.rows = int(observation_space["stages"].shape[0])
        self.edge_rows = int(observation_space["edges"].shape[0])
        self.n_executors = int(action_space.nvec[1])

    def split(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """(M, obs_dim) flat observations -> the keys' tensors (index arrays as int64)."""
        out = {}
        for key in KEYS:
            a, b = self.slices[key]
            out[key] = flat[:, a:b]
        out["stages"] = out["stages"].reshape(-1, self.rows, N_STAGE_FEATURES)
        out["edges"] = out["edges"].reshape(-1, self.edge_rows, 2).round().long()
        for key in ("stage_job", "job_executors", "committable", "source_job", "active_jobs"):
            out[key] = out[key].round().long()
        return out


def _mlp(width_in: int, hidden: int, width_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width_in, hidden), nn.LeakyReLU(), nn.Linear(hidden, width_out))


def _scatter_sum(values: torch.Tensor, index: torch.Tensor, size: int) -> torch.Tensor:
    """Sum ``values`` (M, K, C) into ``size`` bins per batch row by ``index`` (M, K); an index
    of -1 is dropped."""
    m, _, c = values.shape
    bins = torch.where(index >= 0, index, size)
    out = values.new_zeros(m, size + 1, c)
    out.scatter_add_(1, bins[..., None].expand(-1, -1, c), values)
    return out[:, :size]


def _gather(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values`` (M, S, C) at ``index`` (M, K) (clamped to 0 where -1)."""
    return values.gather(1, index.clamp_min(0)[..., None].expand(-1, -1, values.shape[-1]))


class CjsStateEncoder(nn.Module):
    """Flat CJS observations (..., obs_dim) -> 2 backbone tokens and the heads' context."""

    n_tokens = 2
    """backbone tokens per step: the summary token and the executor token"""

    def __init__(self, layout: CjsLayout, embed_dim: int, feature_dim: int) -> None:
        super().__init__()
        self.layout = layout
        f, d = feature_dim, embed_dim
        self.rows = _mlp(ROW_INPUTS, f, d)
        self.from_children = _mlp(d, f, d)
        self.jobs = nn.Sequential(nn.Linear(2 * d, d), nn.LeakyReLU())
        self.summary = _mlp(2 * d, f, d)
        self.executor = _mlp(EXECUTOR_INPUTS, f, d)

    def row_inputs(self, obs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-row input features (M, S, ROW_INPUTS) and the shown-row mask (M, S)."""
        stages, slots = obs["stages"], obs["stage_job"]
        m, s, _ = stages.shape
        shown = slots >= 0
        valid = shown.float()[..., None]
        x = stages.clone()
        x[..., LOG_COLUMNS] = torch.log1p(x[..., LOG_COLUMNS].clamp_min(0.0))
        edges = obs["edges"]
        ones = edges.new_ones(edges.shape[:2]).float()[..., None]
        linked = (edges[..., :1] >= 0).float()
        parents = _scatter_sum(ones * linked, torch.where(edges[..., 1] >= 0, edges[..., 1], -1), s)
        children = _scatter_sum(
            ones * linked, torch.where(edges[..., 0] >= 0, edges[..., 0], -1), s
        )
        job_slot = torch.where(shown, slots, -1)
        per_job = _scatter_sum(
            torch.stack([valid[..., 0], stages[..., WORK], stages[..., SCHEDULABLE]], -1),
            job_slot,
            s,
        )  # (M, S slots, 3): rows, remaining work, schedulable rows of each job
        of_row = _gather(per_job, job_slot)
        first = torch.arange(s, device=stages.device).expand(m, s)
        first_of_job = torch.full((m, s + 1), s, device=stages.device, dtype=torch.long)
        first_of_job.scatter_reduce_(
            1, torch.where(shown, slots, s), first, reduce="amin", include_self=True
        )
        position = (first - _gather(first_of_job[..., None], job_slot)[..., 0]).float()
        active = obs["active_jobs"].float().clamp_min(1.0)
        share = (1.0 / active).expand(m, s)
        n = float(self.layout.n_executors)
        committable = obs["committable"].float().expand(m, s) / n
        extra = torch.stack(
            [
                torch.log1p(parents[..., 0]),
                torch.log1p(children[..., 0]),
                torch.log1p(slots.clamp_min(0).float()),
                torch.log1p(position.clamp_min(0.0)),
                torch.log1p(of_row[..., 0]),
                torch.log1p(of_row[..., 1].clamp_min(0.0)),
                torch.log1p(of_row[..., 2]),
                share,
                stages[..., JOB_EXECUTORS] - share,
                committable,
                valid[..., 0],
            ],
            dim=-1,
        )
        return torch.cat([x, extra], dim=-1) * valid, shown

    def encode(self, flat_obs: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Backbone tokens (..., 2, d) and the heads' context: ``stage_tokens`` (..., S, d),
        ``stage_mask`` (..., S + 1; the last entry 'none', always allowed) and ``exec_mask``
        (..., N; caps 1 .. committable, at least the cap 1)."""
        lead = flat_obs.shape[:-1]
        obs = self.layout.split(flat_obs.reshape(-1, flat_obs.shape[-1]))
        inputs, shown = self.row_inputs(obs)
        m, s = shown.shape
        valid = shown.float()[..., None]
        base = self.rows(inputs) * valid
        edges = obs["edges"]
        from_children = _gather(base, edges[..., 1]) * (edges[..., :1] >= 0).float()
        message = _scatter_sum(from_children, torch.where(edges[..., 0] >= 0, edges[..., 0], -1), s)
        tokens = (base + self.from_children(message)) * valid
        job_slot = torch.where(shown, obs["stage_job"], -1)
        job_sum = _scatter_sum(tokens, job_slot, s)
        job_rows = _scatter_sum(valid, job_slot, s).clamp_min(1.0)
        job_mean = _gather(job_sum / job_rows, job_slot)
        tokens = self.jobs(torch.cat([tokens, job_mean], dim=-1)) * valid
        schedulable = (obs["stages"][..., SCHEDULABLE] > 0.5) & shown
        sched = schedulable.float()[..., None]
        mean_all = tokens.sum(1) / valid.sum(1).clamp_min(1.0)
        mean_sched = (tokens * sched).sum(1) / sched.sum(1).clamp_min(1.0)
        summary = self.summary(torch.cat([mean_all, mean_sched], dim=-1))
        n = float(self.layout.n_executors)
        committable = obs["committable"][:, 0]
        source = obs["source_job"][:, 0]
        source_supply = obs["job_executors"].gather(1, source.clamp_min(0)[:, None])[:, 0]
        active = obs["active_jobs"][:, 0].float()
        executor = self.executor(
            torch.stack(
                [
                    committable.float() / n,
                    (source >= 0).float(),
                    torch.where(source >= 0, source_supply.float() / n, 0.0),
                    torch.log1p(active),
                    1.0 / active.clamp_min(1.0),
                    torch.log1p(sched.sum((1, 2))),
                    torch.log1p(valid.sum((1, 2))),
                ],
                dim=-1,
            )
        )
        stage_mask = torch.cat([schedulable, schedulable.new_ones(m, 1)], dim=1)
        caps = torch.arange(1, self.layout.n_executors + 1, device=flat_obs.device)
        exec_mask = caps[None, :] <= committable.clamp_min(1)[:, None]
        d = tokens.shape[-1]
        context = {
            "stage_tokens": tokens.reshape(*lead, s, d),
            "stage_mask": stage_mask.reshape(*lead, s + 1),
            "exec_mask": exec_mask.reshape(*lead, -1),
        }
        return torch.stack([summary, executor], dim=1).reshape(*lead, 2, d), context

    def forward(self, flat_obs: torch.Tensor) -> torch.Tensor:
        """The backbone tokens only (..., 2, d)."""
        return self.encode(flat_obs)[0]

    def make_head(self, embed_dim: int, feature_dim: int) -> CjsHead:
        """The masked stage and executor heads that read this encoder's context."""
        return CjsHead(embed_dim, feature_dim, self.layout.n_executors)


class CjsHead(nn.Module):
    """Masked stage head (a score per stage token, plus 'none') and executor-count head."""

    conditional = True
    """the cap is predicted given the stage (``given_stage``)"""

    def __init__(self, embed_dim: int, feature_dim: int, n_executors: int) -> None:
        super().__init__()
        d, f = embed_dim, feature_dim
        self.stage = _mlp(2 * d, f, 1)
        self.none = _mlp(d, f, 1)
        self.none_token = nn.Parameter(torch.zeros(d))
        self.caps = _mlp(2 * d, f, n_executors)

    def forward(
        self, hidden: torch.Tensor, context: dict[str, Any], given_stage: torch.Tensor
    ) -> torch.Tensor:
        """Masked logits (..., S + 1 + N) of the flat action.

        Args:
            hidden: (..., d) the backbone's output at the executor token.
            context: ``CjsStateEncoder.encode``'s context of the same steps.
            given_stage: (...,) the stage row the cap is predicted for (the pool's action at
                training; -1 where unknown: the most likely allowed row or 'none' is used).
        """
        tokens, stage_mask = context["stage_tokens"], context["stage_mask"]
        s = tokens.shape[-2]
        pair = torch.cat([tokens, hidden[..., None, :].expand_as(tokens)], dim=-1)
        logits = torch.cat([self.stage(pair)[..., 0], self.none(hidden)], dim=-1)
        logits = logits.masked_fill(~stage_mask, MASKED_LOGIT)
        chosen = torch.where(given_stage >= 0, given_stage, logits.argmax(-1)).clamp(0, s)
        with_none = torch.cat([tokens, self.none_token.expand_as(tokens[..., :1, :])], dim=-2)
        index = chosen[..., None, None].expand(*chosen.shape, 1, tokens.shape[-1])
        stage_token = with_none.gather(-2, index)[..., 0, :]
        caps = self.caps(torch.cat([hidden, stage_token], dim=-1))
        caps = caps.masked_fill(~context["exec_mask"], MASKED_LOGIT)
        return torch.cat([logits, caps], dim=-1)


def make_cjs_encoder(
    observation_space: spaces.Space, action_space: spaces.Space, embed_dim: int, feature_dim: int
) -> CjsStateEncoder:
    """The per-stage encoder for ``observation_space`` (see ``is_cjs_observation``)."""
    return CjsStateEncoder(CjsLayout(observation_space, action_space), embed_dim, feature_dim)


__all__ = [
    "CJS_ENV",
    "MASKED_LOGIT",
    "CjsHead",
    "CjsLayout",
    "CjsStateEncoder",
    "is_cjs_observation",
    "make_cjs_encoder",
]
