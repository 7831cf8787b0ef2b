"""MoE cost model (netgym.envs.moe.cost): hand-computed costs of the presets, the serial copy
queue, layer stalls, and clear errors for unknown presets and bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from netgym.envs.moe.cost import CopyQueue, MoeCostModel, layer_stall_ms
from netgym.envs.moe.hardware import (
    HARDWARE_PRESETS,
    MODEL_PRESETS,
    MoeHardware,
    MoeModel,
    model_preset,
)

MIXTRAL_EXPERT_BYTES = 3 * 4096 * 14336 * 2  # 352,321,536 B


def test_mixtral_on_h100_matches_hand_computed_load_and_compute_times():
    cost = MoeCostModel.preset("mixtral", "h100_pcie5")
    assert cost.expert_bytes == MIXTRAL_EXPERT_BYTES
    # 352,321,536 B / 50 GB/s = 7.04643 ms, + 10 us copy overhead
    assert cost.load_ms == pytest.approx(7.046431 + 0.010, abs=1e-6)
    # memory-bound decode: 352,321,536 B / 3,350 GB/s = 0.105171 ms, + 5 us launch
    assert cost.expert_ms(1) == pytest.approx(0.105171 + 0.005, abs=1e-6)
    # 1000 tokens are compute-bound: 2 x 176,160,768 x 1000 / 989e12 = 0.356240 ms
    assert cost.expert_ms(1000) == pytest.approx(0.356240 + 0.005, abs=1e-6)
    assert cost.expert_ms(0) == 0.0


def test_compute_bound_knee_is_flops_over_hbm_bandwidth():
    assert MoeCostModel.preset("mixtral", "a100_pcie4").compute_bound_tokens == pytest.approx(
        312e12 / 2039e9
    )  # ~153 tokens (reference 6 [D])
    assert MoeCostModel.preset("mixtral", "h100_pcie5").compute_bound_tokens == pytest.approx(
        295.2, abs=0.1
    )
    cost = MoeCostModel.preset("mixtral", "a100_pcie4")
    # below the knee the time does not depend on the token count, above it grows linearly
    assert cost.expert_ms(1) == pytest.approx(cost.expert_ms(150))
    assert cost.expert_ms(600) - 0.005 == pytest.approx(2 * (cost.expert_ms(300) - 0.005))


def test_miss_costs_about_hbm_over_pcie_single_token_computes():
    # reference 6, consequence 1: ~80x on A100 + Gen4, ~67x on H100 + Gen5 (launch costs aside)
    a100 = MoeCostModel.preset("mixtral", "a100_pcie4").miss_to_compute_ratio
    h100 = MoeCostModel.preset("mixtral", "h100_pcie5").miss_to_compute_ratio
    assert 70 < a100 < 82 and 60 < h100 < 68
    assert a100 == pytest.approx(
        (MIXTRAL_EXPERT_BYTES / 25e6 + 0.01) / (MIXTRAL_EXPERT_BYTES / 2039e6 + 0.005)
    )


def test_expert_sizes_of_all_presets_match_the_reference_table():
    sizes_mb = {name: model.expert_bytes / 1e6 for name, model in MODEL_PRESETS.items()}
    assert sizes_mb["mixtral"] == pytest.approx(352.3, abs=0.1)
    assert sizes_mb["deepseekmoe16b"] == pytest.approx(17.3, abs=0.1)
    assert sizes_mb["qwen15moe"] == pytest.approx(17.3, abs=0.1)
    assert sizes_mb["readme"] == pytest.approx(129.0, abs=0.5)
    readme = model_preset("readme")
    assert (readme.n_experts, readme.top_k, readme.n_layers) == (7, 1, 32)
    assert readme.same_expert_all_layers
    ds = model_preset("deepseekmoe16b")
    assert (ds.n_experts, ds.top_k, ds.n_layers) == (64, 6, 27)
    qwen = model_preset("qwen15moe")
    assert (qwen.n_experts, qwen.top_k, qwen.n_layers) == (60, 4, 24)
    # Qwen1.5-MoE at 25 GB/s: 17.3 MB -> 0.69 ms (+10 us)
    assert MoeCostModel.preset("qwen15moe").load_ms == pytest.approx(0.692 + 0.010, abs=1e-3)


def test_attention_reads_weights_and_kv_cache():
    cost = MoeCostModel.preset("mixtral", "a100_pcie4")
    # 83,886,080 B of weights + 1000 x 4,096 B of KV, at 2,039 GB/s
    assert cost.attention_ms(1000) == pytest.approx((83_886_080 + 4_096_000) / 2039e6)
    assert cost.attention_ms(np.array([0, 1000])).shape == (2,)


def test_layer_ms_sums_attention_shared_and_used_experts():
    cost = MoeCostModel.preset("qwen15moe", "a100_pcie4")
    tokens = np.zeros(60)
    tokens[[3, 7]] = [2, 2]  # 1 token x top-4 would use 4 experts; here 4 assignments = 1 token
    expected = cost.attention_ms(10) + cost.shared_ms(1) + 2 * cost.expert_ms(2)
    assert cost.layer_ms(tokens, context_tokens=10) == pytest.approx(expected)
    assert MoeCostModel.preset("mixtral").shared_ms(5) == 0.0


def test_copy_queue_serialises_copies_in_issue_order():
    queue = CopyQueue(load_ms=2.0)
    assert queue.issue(0.0) == 2.0
    assert queue.issue(1.0) == 4.0  # waits for the first copy
    assert queue.issue(10.0) == 12.0  # idle queue starts at once
    assert queue.backlog_ms(11.0) == 1.0 and queue.backlog_ms(20.0) == 0.0
    queue.reset()
    assert queue.issue(0.5) == 2.5


def test_layer_stall_waits_only_for_copies_not_ready_when_needed():
    # base work ends at 1; first copy ready at 0.5 (no wait), second at 3 (waits 1 ms)
    stall, end = layer_stall_ms(0.0, 1.0, [0.5, 3.0], [1.0, 1.0])
    assert (stall, end) == (1.0, 4.0)
    assert layer_stall_ms(5.0, 2.0, [], []) == (0.0, 7.0)
    # prefetched copies (ready before the layer starts) never stall
    assert layer_stall_ms(10.0, 0.1, [4.0, 8.0], [0.1, 0.1])[0] == 0.0


def test_unknown_presets_name_the_known_ones():
    with pytest.raises(ValueError, match="unknown MoE model preset 'gpt5'.*mixtral"):
        MoeCostModel.preset("gpt5")
    with pytest.raises(ValueError, match="unknown MoE hardware preset 'tpu'.*a100_pcie4"):
        MoeCostModel.preset("mixtral", "tpu")
    assert set(HARDWARE_PRESETS) == {"a100_pcie4", "h100_pcie5"}
    assert set(MODEL_PRESETS) == {"readme", "mixtral", "deepseekmoe16b", "qwen15moe"}


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(ValueError, match="MoeModel.top_k must be <= n_experts"):
        MoeModel(n_experts=4, top_k=5)
    with pytest.raises(ValueError, match="MoeModel.n_experts must be >= 1"):
        MoeModel(n_experts=0)
    with pytest.raises(ValueError, match="MoeHardware.pcie_gbps must be > 0"):
        MoeHardware(pcie_gbps=0)
    with pytest.raises(ValueError, match="MoeModel.expert_params must be finite"):
        MoeModel(expert_params=math.inf)
    with pytest.raises(ValueError, match="token counts must be finite and >= 0"):
        MoeCostModel().expert_ms(-1)
    with pytest.raises(ValueError, match="cost must be a MoeCostModel"):
        MoeCostModel.coerce(3)


def test_coerce_accepts_names_and_dicts():
    assert MoeCostModel.coerce("mixtral").model.name == "mixtral"
    cost = MoeCostModel.coerce({"model": "qwen15moe", "hardware": "h100_pcie5"})
    assert cost.hardware.pcie_gbps == 50.0
    custom = MoeCostModel.coerce({"model": {"n_experts": 4, "top_k": 1}, "hardware": "a100_pcie4"})
    assert custom.model.n_experts == 4
    objects = MoeCostModel.coerce({"model": model_preset("mixtral"), "hardware": "h100_pcie5"})
    assert objects.model.name == "mixtral"
    with pytest.raises(ValueError, match="unknown keys"):
        MoeCostModel.coerce({"model": "mixtral", "gpu": "x"})
    with pytest.raises(ValueError, match=r"unknown MoeModel field\(s\) \['experts'\]"):
        MoeCostModel.coerce({"model": {"experts": 4}})  # was a TypeError
    with pytest.raises(ValueError, match=r"unknown MoeHardware field\(s\) \['pcie'\]"):
        MoeCostModel.coerce({"hardware": {"pcie": 4}})
