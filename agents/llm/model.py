"""The decision model: NetLLM's token layout around a transformer backbone, or plain BC.

Each decision step contributes ``2 + k`` tokens ``[R_t, s_t^1 .. s_t^k, a_t]``; the backbone
reads the window causally and the head predicts ``a_t`` from the hidden state of the last state
token, so one forward pass gives one decision. With ``backbone=None`` the model is behaviour
cloning: the step's state tokens through a two-layer MLP. See ``docs/llm.md`` ("2. The model").
"""

from __future__ import annotations

import torch
from torch import nn

from .encoders import ActionCodec, ActionHead


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
    ) -> None:
        super().__init__()
        self.state_encoder = state_encoder
        self.codec = codec
        self.backbone = backbone
        self.n_state_tokens = int(state_encoder.n_tokens)
        self.tokens_per_step = self.n_state_tokens + 2
        self.max_episode_steps = max_episode_steps
        self.head = ActionHead(embed_dim, codec)
        if backbone is None:
            self.bc_mlp = nn.Sequential(
                nn.Linear(self.n_state_tokens * embed_dim, bc_hidden),
                nn.LeakyReLU(),
                nn.Linear(bc_hidden, embed_dim),
                nn.LeakyReLU(),
            )
        else:
            self.embed_return = nn.Linear(1, embed_dim)
            self.embed_action = nn.Linear(codec.dim, embed_dim)
            self.embed_timestep = nn.Embedding(max_episode_steps + 1, embed_dim)
            self.embed_ln = nn.LayerNorm(embed_dim)

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
                action of a step never reaches its own prediction).
            timesteps: (B, W) episode step of each window step (clipped to the table).
            mask: (B, W) 1 for real steps, 0 for (right) padding.

        Returns:
            (B, W, head_size): logits or tanh-scaled actions.
        """
        states = self.state_encoder(observations)  # (B, W, k, d)
        if self.backbone is None:
            return self.head(self.bc_mlp(states.flatten(-2)))
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
        tokens = self.embed_ln(tokens.reshape(b, w * (k + 2), d))
        token_mask = mask[:, :, None].expand(b, w, k + 2).reshape(b, w * (k + 2))
        hidden = self.backbone(tokens, token_mask).reshape(b, w, k + 2, -1)
        return self.head(hidden[:, :, k])  # the last state token of each step

    def trainable_parameters(self) -> list[nn.Parameter]:
        """The parameters the optimiser updates (LoRA, encoder, embeddings, head)."""
        return [p for p in self.parameters() if p.requires_grad]


__all__ = ["DecisionModel"]
