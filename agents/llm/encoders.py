"""State encoders, action embeddings and networking heads of the LLM-adapted agents.

A state encoder turns one flattened pool observation into a few tokens of the backbone's width:
``AbrStateEncoder`` (NetLLM's multimodal ABR encoder, 6 tokens), ``CjsStateEncoder`` (per-stage
tokens of the cluster-scheduling env, with its own masked heads; ``cjs_encoder``) or
``GenericStateEncoder`` (a standardised MLP token per Dict key, else one), chosen from the
registry ``ENCODERS`` by env and spaces or by the ``encoder`` hyperparameter. ``ActionCodec``
and ``ActionHead`` match a Discrete, MultiDiscrete or bounded Box action space. Layer by layer
in ``docs/llm.md`` ("2. The model").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from .cjs_encoder import CjsStateEncoder, is_cjs_observation, make_cjs_encoder

ABR_ROWS = 6
"""rows of Pensieve's ABR state matrix"""
ABR_CONV_WINDOW = 6
"""past chunks of throughput and download time that NetLLM's convolutions read"""


def is_abr_observation(env_id: str, observation_space: spaces.Space) -> bool:
    """True for netgym's ABR env with its (6, history) observation (NetLLM's encoder applies)."""
    return (
        env_id.split(":", 1)[-1] == "netgym/AbrStreaming-v0"
        and isinstance(observation_space, spaces.Box)
        and len(observation_space.shape) == 2
        and observation_space.shape[0] == ABR_ROWS
        and observation_space.shape[1] >= ABR_CONV_WINDOW
    )


class AbrStateEncoder(nn.Module):
    """NetLLM's ABR state encoder: (B, 6 * history) flat observations -> (B, 6, embed_dim)."""

    n_tokens = 6

    def __init__(self, history_len: int, n_levels: int, embed_dim: int, feature_dim: int) -> None:
        super().__init__()
        self.history_len = history_len
        self.n_levels = n_levels
        f = feature_dim
        self.last_bitrate = nn.Sequential(nn.Linear(1, f), nn.LeakyReLU())
        self.buffer = nn.Sequential(nn.Linear(1, f), nn.LeakyReLU())
        self.chunks_left = nn.Sequential(nn.Linear(1, f), nn.LeakyReLU())
        conv_out = ABR_CONV_WINDOW - 4 + 1
        self.throughput = nn.Sequential(nn.Conv1d(1, f, 4), nn.LeakyReLU(), nn.Flatten())
        self.download_time = nn.Sequential(nn.Conv1d(1, f, 4), nn.LeakyReLU(), nn.Flatten())
        self.next_sizes = nn.Sequential(nn.Conv1d(1, f, n_levels), nn.LeakyReLU(), nn.Flatten())
        self.tokens = nn.ModuleList(
            [nn.Linear(width, embed_dim) for width in (f, f, f * conv_out, f * conv_out, f, f)]
        )

    def forward(self, flat_obs: torch.Tensor) -> torch.Tensor:
        obs = flat_obs.reshape(*flat_obs.shape[:-1], ABR_ROWS, self.history_len)
        lead = obs.shape[:-2]
        obs = obs.reshape(-1, ABR_ROWS, self.history_len)
        recent = obs[:, :, -ABR_CONV_WINDOW:]
        features = (
            self.last_bitrate(obs[:, 0, -1:]),
            self.buffer(obs[:, 1, -1:]),
            self.throughput(recent[:, 2:3, :]),
            self.download_time(recent[:, 3:4, :]),
            self.next_sizes(obs[:, 4:5, : self.n_levels]),
            self.chunks_left(obs[:, 5, -1:]),
        )
        tokens = torch.stack(
            [layer(feature) for layer, feature in zip(self.tokens, features, strict=True)], dim=1
        )
        return tokens.reshape(*lead, self.n_tokens, tokens.shape[-1])


class GenericStateEncoder(nn.Module):
    """Standardised flat observation -> one token per segment (per Dict key, else one)."""

    def __init__(
        self,
        segments: list[tuple[int, int]],
        embed_dim: int,
        feature_dim: int,
        mean: np.ndarray,
        std: np.ndarray,
    ) -> None:
        super().__init__()
        self.segments = [(int(a), int(b)) for a, b in segments]
        self.n_tokens = len(self.segments)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.mlps = nn.ModuleList(
            nn.Sequential(
                nn.Linear(b - a, feature_dim), nn.LeakyReLU(), nn.Linear(feature_dim, embed_dim)
            )
            for a, b in self.segments
        )

    def forward(self, flat_obs: torch.Tensor) -> torch.Tensor:
        x = (flat_obs - self.mean) / self.std
        return torch.stack(
            [mlp(x[..., a:b]) for mlp, (a, b) in zip(self.mlps, self.segments, strict=True)],
            dim=-2,
        )


def observation_segments(observation_space: spaces.Space) -> list[tuple[int, int]]:
    """Flat index ranges of the tokens of ``GenericStateEncoder``: one per Dict key, else one."""
    if isinstance(observation_space, spaces.Dict):
        segments, start = [], 0
        for sub in observation_space.spaces.values():
            width = int(spaces.flatdim(sub))
            segments.append((start, start + width))
            start += width
        return segments
    return [(0, int(spaces.flatdim(observation_space)))]


@dataclass(frozen=True)
class EncoderEntry:
    """One state encoder of the registry: when it applies, its tokens per step, how to build it."""

    name: str
    matches: Callable[[str, spaces.Space, spaces.Space], bool]
    """(env id, observation space, action space) -> whether the encoder reads this env"""
    n_tokens: Callable[[spaces.Space, spaces.Space], int]
    """(observation space, action space) -> backbone tokens per step"""
    build: Callable[..., nn.Module]
    """keyword arguments: observation_space, action_space, embed_dim, feature_dim, obs_mean,
    obs_std"""


def _build_abr(observation_space: spaces.Space, action_space: spaces.Space, **kw: Any) -> nn.Module:
    history_len = observation_space.shape[1]
    n_levels = action_space.n if isinstance(action_space, spaces.Discrete) else history_len
    return AbrStateEncoder(history_len, int(n_levels), kw["embed_dim"], kw["feature_dim"])


def _build_generic(observation_space: spaces.Space, action_space: spaces.Space, **kw: Any):
    return GenericStateEncoder(
        observation_segments(observation_space),
        kw["embed_dim"],
        kw["feature_dim"],
        kw["obs_mean"],
        kw["obs_std"],
    )


def _build_cjs(observation_space: spaces.Space, action_space: spaces.Space, **kw: Any):
    return make_cjs_encoder(observation_space, action_space, kw["embed_dim"], kw["feature_dim"])


ENCODERS: dict[str, EncoderEntry] = {
    "abr": EncoderEntry(
        "abr",
        lambda env_id, obs, act: is_abr_observation(env_id, obs),
        lambda obs, act: AbrStateEncoder.n_tokens,
        _build_abr,
    ),
    "cjs": EncoderEntry(
        "cjs", is_cjs_observation, lambda obs, act: CjsStateEncoder.n_tokens, _build_cjs
    ),
    "generic": EncoderEntry(
        "generic",
        lambda env_id, obs, act: True,
        lambda obs, act: len(observation_segments(obs)),
        _build_generic,
    ),
}
"""the state encoders by name; ``encoder: auto`` takes the first that matches, in this order
(``generic`` matches every flattenable space)"""


def select_encoder(
    env_id: str,
    observation_space: spaces.Space,
    action_space: spaces.Space | None = None,
    name: str = "auto",
) -> EncoderEntry:
    """The registry entry for this env: the named one, or with ``"auto"`` the first that matches.

    Raises:
        ValueError: an unknown name, or a named encoder that cannot read these spaces.
    """
    if name == "auto":
        for entry in ENCODERS.values():
            if entry.matches(env_id, observation_space, action_space):
                return entry
    if name not in ENCODERS:
        raise ValueError(
            f"unknown state encoder {name!r} (hyperparameter 'encoder'); known: "
            f"auto, {', '.join(ENCODERS)}"
        )
    entry = ENCODERS[name]
    if not entry.matches(env_id, observation_space, action_space):
        raise ValueError(
            f"the {name!r} state encoder cannot read {env_id} with observation space "
            f"{observation_space} and action space {action_space}; use encoder: auto or generic"
        )
    return entry


def state_token_count(
    env_id: str,
    observation_space: spaces.Space,
    action_space: spaces.Space | None = None,
    encoder: str = "auto",
) -> int:
    """Tokens per state of the encoder ``make_state_encoder`` builds for this env."""
    entry = select_encoder(env_id, observation_space, action_space, encoder)
    return entry.n_tokens(observation_space, action_space)


def make_state_encoder(
    env_id: str,
    observation_space: spaces.Space,
    action_space: spaces.Space,
    embed_dim: int,
    feature_dim: int,
    obs_mean: np.ndarray,
    obs_std: np.ndarray,
    encoder: str = "auto",
) -> nn.Module:
    """The registry's encoder for this env (``ENCODERS``): NetLLM's for the ABR observation,
    the per-stage one for the cluster-scheduling env, the generic one for any other space."""
    entry = select_encoder(env_id, observation_space, action_space, encoder)
    return entry.build(
        observation_space=observation_space,
        action_space=action_space,
        embed_dim=embed_dim,
        feature_dim=feature_dim,
        obs_mean=obs_mean,
        obs_std=obs_std,
    )


def unsupported_action_reason(action_space: spaces.Space) -> str | None:
    """None for the action spaces the heads support, else why not."""
    if isinstance(action_space, (spaces.Discrete, spaces.MultiDiscrete)):
        return None
    if isinstance(action_space, spaces.Box):
        if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
            return "a Box action space needs finite bounds (the head outputs tanh-scaled actions)"
        return None
    return f"the action space {type(action_space).__name__} is not Discrete, MultiDiscrete or Box"


class ActionCodec:
    """The action space's conversions between env actions and the model's tensors."""

    def __init__(self, action_space: spaces.Space) -> None:
        reason = unsupported_action_reason(action_space)
        if reason is not None:
            raise ValueError(reason)
        self.space = action_space
        if isinstance(action_space, spaces.Discrete):
            self.kind, self.nvec = "discrete", np.array([action_space.n])
            self.start = np.array([action_space.start])
        elif isinstance(action_space, spaces.MultiDiscrete):
            self.kind, self.nvec = "multidiscrete", action_space.nvec.reshape(-1).astype(np.int64)
            self.start = np.asarray(action_space.start).reshape(-1)
        else:
            self.kind = "box"
            self.low = action_space.low.reshape(-1).astype(np.float32)
            self.high = action_space.high.reshape(-1).astype(np.float32)
        self.dim = len(self.nvec) if self.kind != "box" else len(self.low)
        self.head_size = int(self.nvec.sum()) if self.kind != "box" else self.dim

    def to_model(self, actions: np.ndarray) -> np.ndarray:
        """Pool actions (N,) or (N, k) -> model inputs (N, k) float32: levels (a + 1) / n,
        Box actions scaled to [-1, 1]."""
        a = np.asarray(actions, dtype=np.float64).reshape(len(actions), self.dim)
        if self.kind == "box":
            return (2.0 * (a - self.low) / (self.high - self.low) - 1.0).astype(np.float32)
        return ((a - self.start + 1.0) / self.nvec).astype(np.float32)

    def targets(self, actions: np.ndarray) -> np.ndarray:
        """Training targets: class indices (N, k) int64, or scaled Box actions (N, k)."""
        if self.kind == "box":
            return self.to_model(actions)
        a = np.asarray(actions).reshape(len(actions), self.dim)
        return (a - self.start).astype(np.int64)

    def to_env(self, output: torch.Tensor, rng: np.random.Generator | None) -> Any:
        """One decision's head output (head_size,) -> an env action (sampled with ``rng``,
        else the most likely level)."""
        if self.kind == "box":
            scaled = output.detach().cpu().numpy().astype(np.float64)
            action = self.low + (scaled + 1.0) * 0.5 * (self.high - self.low)
            return action.astype(self.space.dtype).reshape(self.space.shape)
        levels = []
        for logits in torch.split(output.detach().cpu(), self.nvec.tolist()):
            if rng is None:
                levels.append(int(torch.argmax(logits)))
            else:
                p = torch.softmax(logits.double(), dim=0).numpy()
                levels.append(int(rng.choice(len(p), p=p / p.sum())))
        values = np.asarray(levels, dtype=np.int64) + self.start
        if self.kind == "discrete":
            return int(values[0])
        return values.astype(self.space.dtype).reshape(self.space.shape)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-step loss (...,): cross-entropy summed over dimensions, or Box MSE."""
        if self.kind == "box":
            return ((output - target) ** 2).mean(dim=-1)
        total = torch.zeros(output.shape[:-1], device=output.device)
        for i, logits in enumerate(torch.split(output, self.nvec.tolist(), dim=-1)):
            total = total + nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target[..., i].reshape(-1), reduction="none"
            ).reshape(total.shape)
        return total


class ActionHead(nn.Module):
    """Networking head: hidden state -> logits (Discrete, MultiDiscrete) or tanh actions (Box)."""

    def __init__(self, embed_dim: int, codec: ActionCodec, hidden: int = 0) -> None:
        super().__init__()
        if hidden > 0:  # LaMo's two-layer MLP head (the study switch head_mlp)
            self.linear: nn.Module = nn.Sequential(
                nn.Linear(embed_dim, hidden), nn.GELU(), nn.Linear(hidden, codec.head_size)
            )
        else:
            self.linear = nn.Linear(embed_dim, codec.head_size)
        self.box = codec.kind == "box"

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.linear(hidden)
        return torch.tanh(out) if self.box else out


__all__ = [
    "ENCODERS",
    "AbrStateEncoder",
    "ActionCodec",
    "ActionHead",
    "EncoderEntry",
    "GenericStateEncoder",
    "is_abr_observation",
    "make_state_encoder",
    "observation_segments",
    "select_encoder",
    "state_token_count",
    "unsupported_action_reason",
]
