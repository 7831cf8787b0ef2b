"""DD-LRNA training data and steps: return-to-go windows from an experience pool.

NetLLM's recipe (reference ``abr.md`` section 4.2): rewards min-max normalised to [0, 1] over
the pool, returns-to-go with gamma = 1 divided by ``return_scale``, windows of
``context_window`` steps, AdamW with linear warm-up, gradient clipping and gradient
accumulation, cross-entropy on the behaviour action. Windows here never span two episodes:
a window ends at a uniformly drawn step and reaches back at most to its episode's first step
(shorter windows are right-padded and masked), which is exactly the context the agent has when
it acts, where NetLLM's windows may cross episode boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .encoders import ActionCodec
from .pool import ExperiencePool


@dataclass
class RewardScale:
    """The pool's reward normalisation, kept with the agent for inference."""

    reward_min: float
    reward_max: float
    return_scale: float

    def normalise(self, reward: np.ndarray | float) -> np.ndarray | float:
        """Rewards min-max normalised to [0, 1] over the pool (values outside may leave it);
        a pool of one reward value r keeps r / |r| (so a -1 per step return counts steps)."""
        span = self.reward_max - self.reward_min
        if abs(span) < 1e-12:
            return reward - self.reward_min
        return (reward - self.reward_min) / span

    @classmethod
    def from_pool(cls, pool: ExperiencePool, return_scale: float) -> RewardScale:
        if not return_scale > 0:
            raise ValueError(f"return_scale must be > 0, got {return_scale}")
        low, high = float(pool.rewards.min()), float(pool.rewards.max())
        if high - low < 1e-9:  # one reward value (e.g. -1 per step): keep its sign, scale 1
            low, high = 0.0, max(abs(low), 1e-9)
        return cls(low, high, float(return_scale))


class WindowData:
    """A pool prepared for window sampling: per-row returns-to-go, episode step and start."""

    def __init__(
        self, pool: ExperiencePool, codec: ActionCodec, scale: RewardScale, window: int
    ) -> None:
        if window < 1:
            raise ValueError(f"context_window must be >= 1, got {window}")
        self.window = window
        self.observations = torch.as_tensor(pool.observations)
        self.actions = torch.as_tensor(codec.to_model(pool.actions))
        self.targets = torch.as_tensor(codec.targets(pool.actions))
        n = pool.num_steps
        returns = np.empty(n, dtype=np.float64)
        timesteps = np.empty(n, dtype=np.int64)
        starts = np.empty(n, dtype=np.int64)
        normalised = np.asarray(scale.normalise(pool.rewards.astype(np.float64)))
        for a, b in pool.episode_bounds():
            returns[a:b] = np.cumsum(normalised[a:b][::-1])[::-1]
            timesteps[a:b] = np.arange(b - a)
            starts[a:b] = a
        self.returns = torch.as_tensor(returns / scale.return_scale, dtype=torch.float32)
        self.timesteps = torch.as_tensor(timesteps)
        self.starts = starts
        self.num_rows = n
        self.max_return = float(
            max(returns[pool.episode_bounds()[i][0]] for i in range(pool.num_episodes))
        )
        """largest normalised (unscaled) episode return in the pool"""

    def batch(self, ends: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
        """Windows ending at rows ``ends``: tensors of shape (B, W, ...) and the mask.

        A window holds the last ``min(W, steps so far in the episode)`` steps up to its end row,
        from position 0 on, and is right-padded: the real steps sit at the positions they have
        when the agent acts (a padded step never reaches a real one through causal attention).
        """
        lengths = np.minimum(self.window, ends - self.starts[ends] + 1)
        positions = np.arange(self.window)
        rows = (ends - lengths + 1)[:, None] + positions[None, :]
        valid = positions[None, :] < lengths[:, None]
        rows = torch.as_tensor(np.where(valid, rows, ends[:, None]))
        mask = torch.as_tensor(valid)
        zero = mask.float()
        batch = {
            "returns": self.returns[rows] * zero,
            "observations": self.observations[rows] * zero[..., None],
            "actions": self.actions[rows] * zero[..., None],
            "timesteps": self.timesteps[rows] * mask.long(),
            "mask": zero,
            "targets": self.targets[rows],
        }
        return {key: value.to(device) for key, value in batch.items()}


def window_loss(
    model: torch.nn.Module, codec: ActionCodec, batch: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Mean per-step loss over the real (unpadded) steps of a batch of windows."""
    output = model(
        batch["returns"], batch["observations"], batch["actions"], batch["timesteps"], batch["mask"]
    )
    per_step = codec.loss(output, batch["targets"])
    return (per_step * batch["mask"]).sum() / batch["mask"].sum().clamp_min(1.0)


def warmup_factor(update: int, warmup_steps: int) -> float:
    """Linear warm-up of the learning rate over the first ``warmup_steps`` updates."""
    if warmup_steps <= 0:
        return 1.0
    return min(1.0, (update + 1) / warmup_steps)


@torch.no_grad()
def evaluation_loss(
    model: torch.nn.Module,
    codec: ActionCodec,
    data: WindowData,
    ends: np.ndarray,
    device: torch.device,
    batch_size: int,
) -> float:
    """Mean loss of ``model`` on windows ending at ``ends`` (e.g. held-out pool episodes)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(ends), batch_size):
        batch = data.batch(ends[i : i + batch_size], device)
        output = model(
            batch["returns"],
            batch["observations"],
            batch["actions"],
            batch["timesteps"],
            batch["mask"],
        )
        per_step = codec.loss(output, batch["targets"]) * batch["mask"]
        total += float(per_step.sum())
        count += int(batch["mask"].sum())
    model.train(was_training)
    return total / max(count, 1)


def split_episodes(pool: ExperiencePool, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Episode indices for training and for the held-out validation loss (every policy keeps
    at least one training episode)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(pool.num_episodes)
    n_val = int(round(fraction * pool.num_episodes))
    if n_val >= pool.num_episodes:
        n_val = pool.num_episodes - 1
    return sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())


__all__ = [
    "RewardScale",
    "WindowData",
    "evaluation_loss",
    "split_episodes",
    "warmup_factor",
    "window_loss",
]
