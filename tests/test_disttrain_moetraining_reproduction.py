"""The FSMoE numbers of reference/disttrain.md (sections 4 and 6, E3) reproduced by
``netgym/MoeTrainingOverlap-v0``'s layer model with FSMoE's alpha/beta profile."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from netgym.baselines.disttrain.moetraining import fsmoe_degree
from netgym.envs.disttrain.moetraining.model import OverlapModel
from netgym.envs.disttrain.moetraining.params import MoeTrainingOverlapParams
from netgym.envs.disttrain.moetraining.pipeline import (
    DEGREES,
    FSMOE_BETA,
    layer_bound,
    stage_costs,
)

REFERENCE_T = {
    "gpt2": (29.1, 24.5, 23.0, 22.6, 23.2),
    "mixtral": (86.2, 64.1, 59.7, 57.9, 57.7),
}
"""the reference's forward layer times (ms) for r = 1, 2, 4, 8, 16 ([C], one decimal)"""
REFERENCE_GAIN = {"gpt2": 1.29, "mixtral": 1.49}


def _model(preset: str) -> OverlapModel:
    return OverlapModel.of(MoeTrainingOverlapParams.preset(preset))


@pytest.mark.parametrize("preset", ["gpt2", "mixtral"])
def test_forward_layer_times_match_the_reference_table(preset):
    model = _model(preset)
    times = [model.forward(model.work, r) for r in DEGREES]
    assert times == pytest.approx(REFERENCE_T[preset], abs=0.1)


@pytest.mark.parametrize("preset", ["gpt2", "mixtral"])
def test_optimal_forward_degree_is_8_and_the_gain_over_r1_matches(preset):
    model = _model(preset)
    times = {r: model.forward(model.work, r) for r in (1, 2, 4, 8)}
    assert min(times, key=times.get) == 8
    gain = times[1] / times[8]
    assert gain == pytest.approx(REFERENCE_GAIN[preset], rel=0.02)


def test_gpt2_resource_bound_is_the_reference_value():
    model = _model("gpt2")
    bound = layer_bound(stage_costs(model.alpha_f, model.beta_f, model.work, 1), 1)
    nvlink = (model.alpha_f[1] + model.beta_f[1] * model.work[1]) + (
        model.alpha_f[3] + model.beta_f[3] * model.work[3]
    )
    assert nvlink == pytest.approx(20.4, abs=0.05)  # the reference's resource bound
    assert bound >= nvlink


@pytest.mark.parametrize("preset", ["gpt2", "mixtral"])
def test_fsmoe_optimiser_chooses_8_forward_and_backward_as_optim_py(preset):
    model = _model(preset)
    assert fsmoe_degree(model.alpha_f, model.beta_f, model.work) == 8
    assert fsmoe_degree(model.alpha_b, model.beta_b, model.work) == 8


def differing_degrees() -> tuple[int, int, int]:
    """Over the 1458-layer grid (b, s, m, h / m, f, e_s at 3 levels each, x 2 profiles: FSMoE's
    and one with twice the inter-node bandwidth), how often the optimal forward degree differs
    from the optimal backward degree (with the layer's own gradient all-reduce launched in its
    NIC gaps, and without). Returns (layers, differing with, differing without)."""
    faster = list(FSMOE_BETA)
    faster[0] /= 2
    faster[4] /= 2
    total = with_grad = without = 0
    levels = itertools.product(
        (2, 4, 8), (512, 1024, 2048), (1024, 2048, 4096), (2, 4, 8), (1.2, 2.4, 4.8), (2, 4, 8)
    )
    for (b, s, m, ratio, f, esp), beta in itertools.product(
        list(levels), (FSMOE_BETA, tuple(faster))
    ):
        params = MoeTrainingOverlapParams(
            batch=b, seq=s, hidden=m, ffn=m * ratio, f=f, esp=esp, layers=1, beta=beta
        )
        model = OverlapModel.of(params)
        work = model.work
        forward = int(np.argmin([model.forward(work, r) for r in DEGREES]))
        backward = int(np.argmin([model.backward(work, r, model.grad) for r in DEGREES]))
        bare = int(np.argmin([model.backward(work, r) for r in DEGREES]))
        total += 1
        with_grad += forward != backward
        without += forward != bare
    return total, with_grad, without


def test_optimal_forward_and_backward_degrees_often_differ_on_the_grid():
    total, with_grad, without = differing_degrees()
    assert total == 1458
    # the reference's third-party figure: 912 of 1458 (62.6 %) differ; netgym's model with
    # the layer's gradient overlapped: 1233 (84.6 %), without any gradient: 432 (29.6 %)
    assert (with_grad, without) == (1233, 432)
    assert with_grad / total > 0.25 and without / total > 0.25
