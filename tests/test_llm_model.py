"""Encoders, heads, backbones and the decision model of the LLM-adapted agents (tiny sizes)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from gymnasium import spaces
from netgym.agents.llm.backbones import ScratchGPT, make_backbone
from netgym.agents.llm.encoders import (
    AbrStateEncoder,
    ActionCodec,
    GenericStateEncoder,
    make_state_encoder,
    unsupported_action_reason,
)
from netgym.agents.llm.model import DecisionModel

HAS_LLM_EXTRA = all(importlib.util.find_spec(m) for m in ("transformers", "peft"))
needs_llm_extra = pytest.mark.skipif(
    not HAS_LLM_EXTRA, reason="the llm extra (transformers, peft) is not installed"
)
ABR = "netgym/AbrStreaming-v0"
ABR_OBS = spaces.Box(0.0, np.inf, (6, 8), np.float32)
OBSERVATION_SPACES = {
    "box": spaces.Box(-1.0, 1.0, (5,), np.float32),
    "multidiscrete": spaces.MultiDiscrete([4, 3]),
    "dict": spaces.Dict({"a": spaces.Box(0.0, 1.0, (3,), np.float32), "b": spaces.Discrete(4)}),
}
ACTION_SPACES = {
    "discrete": spaces.Discrete(6),
    "multidiscrete": spaces.MultiDiscrete([9, 9, 9]),
    "box": spaces.Box(np.array([-2.0, 0.0]), np.array([2.0, 1.0]), dtype=np.float32),
}
D = 16


pytestmark = pytest.mark.usefixtures("one_torch_thread")
"""tiny networks: torch on one thread (``conftest.one_torch_thread``)"""


def _generic(space: spaces.Space, action_space: spaces.Space) -> torch.nn.Module:
    dim = spaces.flatdim(space)
    return make_state_encoder("x/Other-v0", space, action_space, D, 8, np.zeros(dim), np.ones(dim))


def test_abr_encoder_is_netllm_shape() -> None:
    encoder = make_state_encoder(ABR, ABR_OBS, spaces.Discrete(6), D, 8, np.zeros(1), np.ones(1))
    assert isinstance(encoder, AbrStateEncoder) and encoder.n_levels == 6
    assert encoder.next_sizes[0].kernel_size == (6,) and encoder.throughput[0].kernel_size == (4,)
    out = encoder(torch.rand(3, 4, 48))
    assert out.shape == (3, 4, 6, D)
    # the encoder reads only the last column of the scalar rows: older history is ignored
    x = torch.rand(2, 48)
    y = x.clone().reshape(2, 6, 8)
    y[:, 0, 0] += 5.0
    torch.testing.assert_close(encoder(x), encoder(y.reshape(2, 48)))


@pytest.mark.parametrize("name", list(OBSERVATION_SPACES))
def test_generic_encoder_tokens(name: str) -> None:
    space = OBSERVATION_SPACES[name]
    encoder = _generic(space, spaces.Discrete(2))
    assert isinstance(encoder, GenericStateEncoder)
    assert encoder.n_tokens == (2 if name == "dict" else 1)
    flat = torch.as_tensor(np.stack([spaces.flatten(space, space.sample()) for _ in range(5)]))
    assert encoder(flat.float()).shape == (5, encoder.n_tokens, D)


@pytest.mark.parametrize("name", list(ACTION_SPACES))
def test_codec_and_head_for_every_action_space(name: str) -> None:
    space = ACTION_SPACES[name]
    space.seed(0)
    codec = ActionCodec(space)
    actions = np.array([space.sample() for _ in range(7)])
    assert codec.to_model(actions).shape == (7, codec.dim)
    assert np.all(np.abs(codec.to_model(actions)) <= 1.0 + 1e-6)
    model = DecisionModel(
        _generic(OBSERVATION_SPACES["box"], space), codec, ScratchGPT(D, 1, 2, 60, 0.0), D, 50
    )
    out = model(
        torch.zeros(2, 4),
        torch.rand(2, 4, 5),
        torch.as_tensor(codec.to_model(actions[:4]))[None].expand(2, 4, codec.dim),
        torch.arange(4)[None].expand(2, 4),
        torch.ones(2, 4),
    )
    assert out.shape == (2, 4, codec.head_size)
    loss = codec.loss(out, torch.as_tensor(codec.targets(actions[:4]))[None].expand(2, 4, -1))
    assert loss.shape == (2, 4) and torch.all(torch.isfinite(loss))
    action = codec.to_env(out[0, -1], None)
    assert space.contains(action)
    assert space.contains(codec.to_env(out[0, -1], np.random.default_rng(0)))


def test_box_action_without_bounds_is_unsupported() -> None:
    assert "finite bounds" in unsupported_action_reason(spaces.Box(-np.inf, np.inf, (2,)))
    assert "not Discrete" in unsupported_action_reason(spaces.MultiBinary(3))


def test_decision_model_is_causal_and_hides_the_own_action() -> None:
    torch.manual_seed(0)
    codec = ActionCodec(spaces.Discrete(6))
    encoder = make_state_encoder(ABR, ABR_OBS, spaces.Discrete(6), D, 8, np.zeros(1), np.ones(1))
    model = DecisionModel(encoder, codec, ScratchGPT(D, 2, 2, 200, 0.0), D, 50).eval()
    inputs = [torch.rand(1, 5), torch.rand(1, 5, 48), torch.rand(1, 5, 1)]
    steps, mask = torch.arange(5)[None], torch.ones(1, 5)
    base = model(*inputs, steps, mask)
    changed = [x.clone() for x in inputs]
    changed[2][0, 2] += 1.0  # the action of step 2
    changed[1][0, 3] += 1.0  # the state of step 3
    out = model(*changed, steps, mask)
    torch.testing.assert_close(out[0, :3], base[0, :3])  # steps 0..2 see neither
    assert not torch.allclose(out[0, 3:], base[0, 3:])
    # right padding: padded steps do not change the outputs of the real ones
    padded = model(
        *[torch.cat([x, torch.rand_like(x[:, :2])], 1) for x in inputs],
        torch.cat([steps, torch.zeros(1, 2, dtype=torch.long)], 1),
        torch.cat([mask, torch.zeros(1, 2)], 1),
    )
    torch.testing.assert_close(padded[0, :5], base[0], atol=1e-5, rtol=1e-5)


def test_behaviour_cloning_model_uses_only_the_state() -> None:
    codec = ActionCodec(spaces.Discrete(6))
    encoder = make_state_encoder(ABR, ABR_OBS, spaces.Discrete(6), D, 8, np.zeros(1), np.ones(1))
    model = DecisionModel(encoder, codec, None, D, 50).eval()
    obs = torch.rand(2, 3, 48)
    out = model(
        torch.rand(2, 3),
        obs,
        torch.rand(2, 3, 1),
        torch.zeros(2, 3, dtype=torch.long),
        torch.ones(2, 3),
    )
    again = model(
        torch.rand(2, 3),
        obs,
        torch.rand(2, 3, 1),
        torch.ones(2, 3, dtype=torch.long),
        torch.ones(2, 3),
    )
    assert out.shape == (2, 3, 6)
    torch.testing.assert_close(out, again)


def test_scratch_backbone_rejects_long_windows() -> None:
    backbone = make_backbone(
        "scratch", {"scratch_width": 8, "scratch_layers": 1, "scratch_heads": 2, "dropout": 0.0}, 16
    )
    with pytest.raises(ValueError, match="exceed max_tokens"):
        backbone(torch.zeros(1, 17, 8), torch.ones(1, 17))


def test_missing_backbone_folder_is_reported(tmp_path) -> None:
    config = {"lora_rank": 2, "lora_alpha": 4, "lora_dropout": 0.0}
    with pytest.raises(FileNotFoundError, match="no such folder"):
        make_backbone(str(tmp_path / "nothing"), config, 16)


def save_tiny_bert(path) -> None:
    """A 2-layer, 32-wide BERT written with save_pretrained (random weights)."""
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    BertModel(config).save_pretrained(path)


@needs_llm_extra
@pytest.mark.parametrize("kind", ["bert", "gpt2"])
def test_pretrained_backbone_from_folder_is_frozen_with_lora(tmp_path, kind: str) -> None:
    if kind == "bert":
        save_tiny_bert(tmp_path)
        targets = ["query", "value"]
    else:
        from transformers import GPT2Config, GPT2Model

        GPT2Model(
            GPT2Config(vocab_size=50, n_embd=32, n_layer=2, n_head=2, n_positions=256)
        ).save_pretrained(tmp_path)
        targets = ["c_attn"]
    config = {"lora_rank": 4, "lora_alpha": 8, "lora_dropout": 0.0}
    backbone = make_backbone(str(tmp_path), config, 160)
    assert backbone.hidden_size == 32 and backbone.lora_targets == targets
    trainable = [n for n, p in backbone.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    codec = ActionCodec(spaces.Discrete(6))
    encoder = make_state_encoder(ABR, ABR_OBS, spaces.Discrete(6), 32, 8, np.zeros(1), np.ones(1))
    model = DecisionModel(encoder, codec, backbone, 32, 50)
    for name, p in model.named_parameters():
        is_own = not name.startswith("backbone.")
        assert p.requires_grad == (is_own or "lora_" in name), name
    out = model(
        torch.rand(2, 20),
        torch.rand(2, 20, 48),
        torch.rand(2, 20, 1),
        torch.arange(20)[None].expand(2, 20),
        torch.ones(2, 20),
    )
    assert out.shape == (2, 20, 6)
    out.sum().backward()  # gradients reach the adapters through the frozen model
    assert any(
        p.grad is not None and p.grad.abs().sum() > 0
        for n, p in backbone.named_parameters()
        if "lora_" in n
    )


@needs_llm_extra
def test_minilm_backbone_is_packaged_and_causal() -> None:
    config = {"lora_rank": 8, "lora_alpha": 32, "lora_dropout": 0.0}
    backbone = make_backbone("minilm", config, 160).eval()
    assert backbone.hidden_size == 384
    counts = {"trainable": 0, "total": 0}
    for p in backbone.parameters():
        counts["total"] += p.numel()
        counts["trainable"] += p.numel() if p.requires_grad else 0
    assert counts["trainable"] == 73_728  # LoRA r=8 on query/value of 6 layers
    assert 22_000_000 < counts["total"] < 23_000_000
    x = torch.rand(1, 16, 384)
    y = x.clone()
    y[0, 10:] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(
            backbone(x, torch.ones(1, 16))[0, :10], backbone(y, torch.ones(1, 16))[0, :10]
        )
