"""The decision model: NetLLM's token layout around a transformer backbone, or plain BC.

Each decision step contributes ``2 + k`` tokens ``[R_t, s_t^1 .. s_t^k, a_t]``; the backbone
reads the window causally and the head predicts ``a_t`` from the hidden state of the last state
token, so one forward pass gives one decision. With ``backbone=None`` the model is behaviour
cloning: the step's state tokens through a two-layer MLP. An encoder with ``make_head`` (the
cluster-scheduling one) brings its own head, which also reads the encoder's per-stage context and
masks, and predicts the cap given the stage: the pool's stage at training, its own most likely
stage when acting. ``ModelOptions`` holds the interface switches of the pre-training study
(``variants.py``). See ``docs/llm.md`` ("2. The model").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .encoders import ActionCodec, ActionHead
from .variants import ResidualMlp


@dataclass(frozen=True)
class ModelOptions:
    """Interface switches (defaults: NetLLM's layout, the shipped agent).

    Attributes:
        embed_norm: ``layernorm`` on the stacked tokens, ``none``, or ``scale`` (the LayerNorm,
            then scaled to ``embedding_norm``, the backbone's mean input-embedding norm).
        embed_mlp: residual two-layer MLP embeddings of the return and the action (LaMo).
        head_mlp: a two-layer MLP head (LaMo) instead of one Linear layer.
        attention: ``causal`` or ``block_causal`` (a step's tokens see earlier steps and the
            step's own non-action tokens).
        embedding_norm: the target norm of ``embed_norm: scale``.
    """

    embed_norm: str = "layernorm"
    embed_mlp: bool = False
    head_mlp: bool = False
    attention: str = "causal"
    embedding_norm: float | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], backbone: nn.Module | None) -> ModelOptions:
        """The options of an agent config for ``backbone`` (``scale`` needs a pre-trained one)."""
        norm = str(config.get("embed_norm", "layernorm"))
        target = getattr(backbone, "embedding_norm", None)
        if norm == "scale" and target is None:
            raise ValueError(
                "embed_norm: scale needs a pre-trained backbone (its input-embedding norm); "
                "use layernorm or none with the scratch backbone"
            )
        return cls(
            norm,
            bool(config.get("embed_mlp", False)),
            bool(config.get("head_mlp", False)),
            str(config.get("attention", "causal")),
            target,
        )


class DecisionModel(nn.Module):
    """Return-conditioned (Decision-Transformer style) policy, or BC when ``backbone`` is None."""

    def __init__(
        self,
        state_encoder: nn.Module,
        codec: ActionCodec,
        backbone: nn.Module | None,
        embed_dim: int,
        max_episode_steps: int,
        bc_hidden: int = 256,
        head_features: int = 128,
        options: ModelOptions | None = None,
    ) -> None:
        super().__init__()
        self.options = options = options or ModelOptions()
        self.state_encoder = state_encoder
        self.codec = codec
        self.backbone = backbone
        self.n_state_tokens = int(state_encoder.n_tokens)
        self.tokens_per_step = self.n_state_tokens + 2
        self.max_episode_steps = max_episode_steps
        make_head = getattr(state_encoder, "make_head", None)
        self.structured = make_head is not None
        """the encoder brings its own head, which reads the encoder's context (e.g. masks)"""
        if make_head is not None:
            self.head = make_head(embed_dim, head_features)
        else:
            self.head = ActionHead(embed_dim, codec, embed_dim if options.head_mlp else 0)
        if backbone is None:
            self.bc_mlp = nn.Sequential(
                nn.Linear(self.n_state_tokens * embed_dim, bc_hidden),
                nn.LeakyReLU(),
                nn.Linear(bc_hidden, embed_dim),
                nn.LeakyReLU(),
            )
        else:
            if options.embed_mlp:
                self.embed_return: nn.Module = ResidualMlp(1, embed_dim)
                self.embed_action: nn.Module = ResidualMlp(codec.dim, embed_dim)
            else:
                self.embed_return = nn.Linear(1, embed_dim)
                self.embed_action = nn.Linear(codec.dim, embed_dim)
            self.embed_timestep = nn.Embedding(max_episode_steps + 1, embed_dim)
            if options.embed_norm != "none":
                self.embed_ln = nn.LayerNorm(embed_dim)
            self.token_scale = 1.0
            if options.embed_norm == "scale":  # LayerNorm output has norm ~ sqrt(d)
                self.token_scale = float(options.embedding_norm) / embed_dim**0.5

    def forward(
        self,
        returns: torch.Tensor,
        observations: torch.Tensor,
        actions: torch.Tensor,
        timesteps: torch.Tensor,
        mask: torch.Tensor,
    ) -> torch.Tensor:
        """Head outputs for every step of a batch of windows.

        Args:
            returns: (B, W) scaled returns-to-go.
            observations: (B, W, obs_dim) flattened observations.
            actions: (B, W, action_dim) actions as ``ActionCodec.to_model`` gives them (the
                action of a step never reaches its own prediction, except the stage of a
                conditional structured head's cap: teacher forcing; zeros = unknown).
            timesteps: (B, W) episode step of each window step (clipped to the table).
            mask: (B, W) 1 for real steps, 0 for (right) padding.

        Returns:
            (B, W, head_size): logits or tanh-scaled actions.
        """
        context = None
        if self.structured:
            states, context = self.state_encoder.encode(observations)  # (B, W, k, d)
        else:
            states = self.state_encoder(observations)  # (B, W, k, d)
        if self.backbone is None:
            return self._head(self.bc_mlp(states.flatten(-2)), context, actions)
        b, w, k, d = states.shape
        time = self.embed_timestep(timesteps.clamp(0, self.max_episode_steps))[:, :, None]
        tokens = (
            torch.cat(
                [
                    self.embed_return(returns[..., None])[:, :, None],
                    states,
                    self.embed_action(actions)[:, :, None],
                ],
                dim=2,
            )
            + time
        )  # (B, W, k + 2, d)
        tokens = tokens.reshape(b, w * (k + 2), d)
        if self.options.embed_norm != "none":
            tokens = self.embed_ln(tokens)
        if self.options.embed_norm == "scale":
            tokens = tokens * self.token_scale
        token_mask = mask[:, :, None].expand(b, w, k + 2).reshape(b, w * (k + 2))
        if self.options.attention == "block_causal":
            hidden = self.backbone(tokens, token_mask, k + 2)
        else:
            hidden = self.backbone(tokens, token_mask)
        hidden = hidden.reshape(b, w, k + 2, -1)
        return self._head(hidden[:, :, k], context, actions)  # the last state token of each step

    def _head(
        self, hidden: torch.Tensor, context: dict | None, actions: torch.Tensor
    ) -> torch.Tensor:
        """The head's output; a structured head also gets the encoder's context and, where its
        cap depends on the stage (``conditional``), the step's own first action component
        (teacher forcing at training; zero, i.e. unknown, when acting)."""
        if not self.structured:
            return self.head(hidden)
        # ActionCodec.to_model: (index + 1) / n, so 0 (no action yet) gives -1
        given = torch.round(actions[..., 0] * float(self.codec.nvec[0])).long() - 1
        if not getattr(self.head, "conditional", False):
            given = torch.full_like(given, -1)
        return self.head(hidden, context, given)

    def trainable_parameters(self) -> list[nn.Parameter]:
        """The parameters the optimiser updates (LoRA, encoder, embeddings, head)."""
        return [p for p in self.parameters() if p.requires_grad]


__all__ = ["DecisionModel", "ModelOptions"]
