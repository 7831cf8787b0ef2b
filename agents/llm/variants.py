"""The study switches of the LLM-adapted agent (issue #20): what trains, at which rate, on what.

Each switch is a hyperparameter of ``--agent llm`` (``--hyperparams KEY=VALUE`` or a YAML block);
the defaults reproduce the shipped agent exactly. See ``docs/llm.md`` ("6. The pre-training
study"):

* ``backbone_init``: ``pretrained`` (the checkpoint's weights) or ``random`` (the same
  architecture from its config, randomly initialised with the run's seed: NetLLM's "no
  pre-training" ablation C1 with LoRA, or the random twin of full fine-tuning V4).
* ``finetune``: ``lora`` (frozen body + LoRA adapters) or ``full`` (every backbone weight trains).
* ``lora_targets``: ``qv`` (query/value, NetLLM) or ``all`` (query, key, value, attention output
  and the FFN projections: V2).
* ``train_layernorm`` / ``train_bias``: the backbone's LayerNorm weights / all its biases train
  (FPT, V2).
* ``lora_learning_rate`` / ``backbone_learning_rate``: the learning rates of the LoRA parameter
  group and of the other trainable backbone weights (None: ``learning_rate``, which the new
  modules, i.e. encoder, embeddings and head, always use: V1, V4).
* ``warmup_fraction``: warm-up over this fraction of the run's updates (None: ``warmup_steps``).
* ``embed_norm``: ``layernorm`` (NetLLM), ``none`` or ``scale`` (LayerNorm, then scaled to the
  backbone's mean input-embedding norm), ``embed_mlp`` (residual MLP return/action embeddings),
  ``head_mlp`` (two-layer MLP head): V3.
* ``attention``: ``causal`` or ``block_causal`` (tokens of step t see every earlier step and the
  non-action tokens of step t: V5b).
* ``pool_fraction``: train on this fraction of the pool's training episodes (low-data study).

No transformers here: the masks, groups and subsets can be tested with the scratch backbone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

VARIANT_DEFAULTS: dict[str, Any] = {
    "backbone_init": "pretrained",
    "finetune": "lora",
    "lora_targets": "qv",
    "train_layernorm": False,
    "train_bias": False,
    "lora_learning_rate": None,
    "backbone_learning_rate": None,
    "warmup_fraction": None,
    "embed_norm": "layernorm",
    "embed_mlp": False,
    "head_mlp": False,
    "attention": "causal",
    "pool_fraction": 1.0,
}
"""every study switch and its default (the shipped agent)"""
CHOICES: dict[str, tuple[str, ...]] = {
    "backbone_init": ("pretrained", "random"),
    "finetune": ("lora", "full"),
    "lora_targets": ("qv", "all"),
    "embed_norm": ("layernorm", "none", "scale"),
    "attention": ("causal", "block_causal"),
}
ALL_TARGETS = (
    # BERT / MiniLM: attention.self.{query,key,value}, attention.output.dense,
    # intermediate.dense, output.dense
    "query",
    "key",
    "value",
    "dense",
    # Llama / Mistral / SmolLM2 (OPT: out_proj, fc1, fc2)
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "out_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
    "fc1",
    "fc2",
    # GPT-2 (Conv1D), DistilBERT
    "c_attn",
    "c_proj",
    "c_fc",
    "q_lin",
    "k_lin",
    "v_lin",
    "out_lin",
    "lin1",
    "lin2",
)
"""projection names that ``lora_targets: all`` adapts when the model has them"""
GROUPS = ("new", "lora", "backbone")
"""parameter groups: new modules (encoder, embeddings, head), LoRA adapters, backbone weights"""


def check_variant(config: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the switch when a study switch has an invalid value."""
    for key, choices in CHOICES.items():
        if config.get(key, VARIANT_DEFAULTS[key]) not in choices:
            raise ValueError(
                f"llm hyperparameter {key}={config.get(key)!r}: choose one of {choices}"
            )
    fraction = float(config.get("pool_fraction", 1.0))
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"llm hyperparameter pool_fraction={fraction}: must be in (0, 1]")
    warmup = config.get("warmup_fraction")
    if warmup is not None and not 0.0 <= float(warmup) <= 1.0:
        raise ValueError(f"llm hyperparameter warmup_fraction={warmup}: must be in [0, 1]")
    for key in ("lora_learning_rate", "backbone_learning_rate"):
        value = config.get(key)
        if value is not None and not float(value) > 0:
            raise ValueError(f"llm hyperparameter {key}={value}: must be > 0 (or null)")


def all_lora_targets(model: nn.Module) -> list[str]:
    """The names of ``ALL_TARGETS`` found on the model's Linear / Conv1D leaves."""
    leaves = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if not list(module.children()) and hasattr(module, "weight")
    }
    return [name for name in ALL_TARGETS if name in leaves]


def unfreeze_backbone(model: nn.Module, layernorm: bool, bias: bool) -> int:
    """Make the LayerNorm (and RMSNorm) weights and/or every bias of ``model`` trainable;
    returns how many parameters were unfrozen."""
    count = 0
    for module_name, module in model.named_modules():
        is_norm = "norm" in type(module).__name__.lower() or module_name.endswith("LayerNorm")
        for name, param in module.named_parameters(recurse=False):
            if (layernorm and is_norm) or (bias and name == "bias"):
                if not param.requires_grad:
                    param.requires_grad_(True)
                    count += param.numel()
    return count


def parameter_groups(model: nn.Module, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The optimiser's parameter groups of a ``DecisionModel``.

    One group (the shipped agent's optimiser) when every group's learning rate is
    ``learning_rate``; otherwise one group per non-empty kind of ``GROUPS``: ``new`` (everything
    outside the backbone) at ``learning_rate``, ``lora`` (parameters named ``lora_``) at
    ``lora_learning_rate``, ``backbone`` (other trainable backbone weights) at
    ``backbone_learning_rate``. Each group keeps its base rate as ``base_lr`` and its kind as
    ``name``; the warm-up and schedule multiply ``base_lr``.
    """
    base = float(config["learning_rate"])
    rates = {
        "new": base,
        "lora": float(config.get("lora_learning_rate") or base),
        "backbone": float(config.get("backbone_learning_rate") or base),
    }
    members: dict[str, list[nn.Parameter]] = {kind: [] for kind in GROUPS}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if not name.startswith("backbone."):
            members["new"].append(param)
        elif "lora_" in name:
            members["lora"].append(param)
        else:
            members["backbone"].append(param)
    used = [kind for kind in GROUPS if members[kind]]
    if len({rates[kind] for kind in used}) <= 1:
        params = [p for p in model.parameters() if p.requires_grad]
        return [{"params": params, "lr": base, "base_lr": base, "name": "all"}]
    return [
        {"params": members[kind], "lr": rates[kind], "base_lr": rates[kind], "name": kind}
        for kind in used
    ]


def block_causal_allowed(n_tokens: int, step_tokens: int, device: torch.device) -> torch.Tensor:
    """(T, T) bool, True where query token i may attend key token j: j is in an earlier step,
    or in the same step and not its action token (the last of the step), or j = i."""
    index = torch.arange(n_tokens, device=device)
    step, slot = index // step_tokens, index % step_tokens
    earlier = step[None, :] < step[:, None]
    same = (step[None, :] == step[:, None]) & (slot[None, :] != step_tokens - 1)
    return earlier | same | torch.eye(n_tokens, dtype=torch.bool, device=device)


def attention_allowed(mask: torch.Tensor, step_tokens: int | None) -> torch.Tensor:
    """(B, T, T) bool pattern: causal (``step_tokens`` None) or block-causal, and no padded key."""
    n = mask.shape[1]
    if step_tokens is None:
        pattern = torch.ones(n, n, dtype=torch.bool, device=mask.device).tril()
    else:
        pattern = block_causal_allowed(n, step_tokens, mask.device)
    return pattern[None] & mask.bool()[:, None, :]


def warmup_updates(config: dict[str, Any], total_windows: int) -> int:
    """Warm-up length in optimiser updates: ``warmup_fraction`` of the run's updates when set,
    else ``warmup_steps``."""
    fraction = config.get("warmup_fraction")
    if fraction is None:
        return int(config["warmup_steps"])
    per_update = int(config["batch_size"]) * int(config["grad_accum_steps"])
    return int(math.ceil(float(fraction) * total_windows / per_update))


def subset_episodes(train: Sequence[int], fraction: float, seed: int) -> list[int]:
    """The first ``ceil(fraction * len(train))`` (at least one) of ``train`` in a seeded order:
    the same seed gives nested subsets (5 % within 10 % within 25 % within 100 %)."""
    if fraction >= 1.0:
        return list(train)
    order = np.random.default_rng([seed, 20]).permutation(len(train))
    keep = max(1, int(math.ceil(fraction * len(train))))
    return sorted(int(train[i]) for i in order[:keep])


class ResidualMlp(nn.Module):
    """LaMo's embedding: Linear(in -> d), then h + Linear(GELU(Linear(h)))."""

    def __init__(self, in_dim: int, width: int) -> None:
        super().__init__()
        self.first = nn.Linear(in_dim, width)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.first(x)
        return hidden + self.mlp(hidden)


__all__ = [
    "ALL_TARGETS",
    "CHOICES",
    "GROUPS",
    "VARIANT_DEFAULTS",
    "ResidualMlp",
    "all_lora_targets",
    "attention_allowed",
    "block_causal_allowed",
    "check_variant",
    "parameter_groups",
    "subset_episodes",
    "unfreeze_backbone",
    "warmup_updates",
]
