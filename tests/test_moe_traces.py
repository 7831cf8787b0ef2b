"""Routing traces and arrivals (netgym.envs.moe.traces / arrivals): the generator reproduces the
statistics it is calibrated to, recorded traces load and bad ones fail clearly, arrival processes
match their rate, burstiness and length percentiles."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.envs.moe.arrivals import ArrivalProcess, LengthDistribution
from netgym.envs.moe.traces import (
    RoutingTrace,
    SyntheticRouting,
    load_trace,
    routing_statistics,
)


def _trace(generator: SyntheticRouting, n_requests: int = 150, seed: int = 1) -> RoutingTrace:
    rng = np.random.default_rng(seed)
    return generator.generate(rng.integers(50, 400, size=n_requests), rng)


def test_readme_preset_repeats_the_previous_expert_like_read_me():
    generator = SyntheticRouting.for_model("readme")
    trace = _trace(generator)
    assert trace.experts.shape[1:] == (32, 1)
    stats = routing_statistics(trace)
    pairs = trace.n_tokens - 150
    # Read-ME: 2921 / 4096 tokens keep the previous token's expert. Repeats come in runs, so
    # allow 6 naive binomial standard deviations (~0.013 for ~33k pairs).
    tolerance = 6 * np.sqrt(0.713 * 0.287 / pairs)
    assert stats["repeat_rate"][0] == pytest.approx(2921 / 4096, abs=tolerance)
    # one choice holds for every layer
    assert np.all(trace.experts == trace.experts[:, :1, :])


def test_mixtral_preset_matches_layer0_repeat_load_balance_and_transitions():
    generator = SyntheticRouting.for_model("mixtral", n_layers=4)
    stats = routing_statistics(_trace(generator))
    # Mixtral Table 5: 13.6-14.9% same first choice at layer 0 (random would be 12.5%)
    assert 0.125 < stats["repeat_rate"][0] < 0.16
    # more than 70% of tokens follow the preferred successor (Read-ME Fig. 2, >70%)
    assert np.all(stats["top_transition_share"] >= 0.7 - 0.01)
    assert np.all(stats["top_transition_share"] < 0.8)


@pytest.mark.parametrize(
    ("model", "published"), [("mixtral", 2.70), ("deepseekmoe16b", 2.03), ("qwen15moe", 0.58)]
)
def test_load_balance_sd_over_table_seeds_is_near_the_published_lb(model, published):
    # LB of Liang et al. (arXiv 2505.16056); the Dirichlet draw varies per seed, so average 6
    values = [
        routing_statistics(_trace(SyntheticRouting.for_model(model, seed=s, n_layers=2), 60))[
            "lb_sd_pct"
        ].mean()
        for s in range(6)
    ]
    assert np.mean(values) == pytest.approx(published, rel=0.25)


def test_repeat_rate_target_is_met_in_every_layer_regime():
    for target in (0.3, 0.6):
        generator = SyntheticRouting(n_experts=16, n_layers=2, top_k=2, repeat_rate=target)
        stats = routing_statistics(_trace(generator))
        assert stats["repeat_rate"][0] == pytest.approx(target, abs=0.02)
        assert generator.tables().repeat_prob < target  # chance collisions make up the rest


def test_generator_is_seeded_and_rows_are_distinct_valid_ids():
    generator = SyntheticRouting(n_experts=10, n_layers=3, top_k=3, repeat_rate=0.4)
    a, b = _trace(generator, 20, seed=5), _trace(generator, 20, seed=5)
    assert np.array_equal(a.experts, b.experts) and np.array_equal(a.request_ids, b.request_ids)
    assert not np.array_equal(a.experts, _trace(generator, 20, seed=6).experts)
    assert a.experts.min() >= 0 and a.experts.max() < 10
    ordered = np.sort(a.experts, axis=2)
    assert np.all(ordered[:, :, 1:] != ordered[:, :, :-1])
    # a different table seed changes the popularity
    other = generator.replace(seed=3).tables().popularity
    assert not np.allclose(other, generator.tables().popularity)


def test_saved_trace_loads_back_identically(tmp_path):
    trace = _trace(SyntheticRouting(n_experts=6, n_layers=2, top_k=2), 5)
    path = tmp_path / "t.npz"
    trace.save(path)
    loaded = load_trace(path)
    assert np.array_equal(loaded.experts, trace.experts)
    assert np.array_equal(loaded.request_ids, trace.request_ids)
    assert loaded.n_experts == 6


def test_top1_trace_without_k_axis_loads(tmp_path):
    path = tmp_path / "top1.npz"
    np.savez(path, experts=np.array([[0, 1], [2, 3]]), request_ids=np.array([0, 0]))
    trace = load_trace(path)
    assert trace.experts.shape == (2, 2, 1) and trace.n_experts == 4


def test_bad_trace_files_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_trace(tmp_path / "missing.npz")
    path = tmp_path / "bad.npz"
    np.savez(path, experts=np.zeros((3, 2, 1), dtype=int))
    with pytest.raises(ValueError, match=r"missing key\(s\) \['request_ids'\]"):
        load_trace(path)
    np.savez(path, experts=np.array([[[0], [9]]]), request_ids=np.array([0]), n_experts=8)
    with pytest.raises(ValueError, match=r"expert id 9 at \(token 0, layer 1, slot 0\) is out of"):
        load_trace(path)
    np.savez(path, experts=np.array([[[1, 1]]]), request_ids=np.array([0]), n_experts=4)
    with pytest.raises(ValueError, match="repeats an expert"):
        load_trace(path)
    np.savez(path, experts=np.zeros((3, 2, 1), dtype=int), request_ids=np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match=r"request_ids must be an array of shape \(3,\)"):
        load_trace(path)
    np.savez(path, experts=np.zeros(3, dtype=int), request_ids=np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="3-d array"):
        load_trace(path)
    np.savez(path, experts=np.zeros((2, 1, 1)), request_ids=np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="integer ids"):
        load_trace(path)
    # ids are stored as int16: a larger id must not wrap round into a misleading negative one
    np.savez(path, experts=np.array([[[40000]]]), request_ids=np.array([0]), n_experts=50000)
    with pytest.raises(ValueError, match="at most 32767 experts"):
        load_trace(path)
    for stored in (4.7, np.array([4, 5])):  # not truncated to 4, not a TypeError
        np.savez(path, experts=np.array([[[1]]]), request_ids=np.array([0]), n_experts=stored)
        with pytest.raises(ValueError, match="n_experts must be one integer"):
            load_trace(path)
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_trace(tmp_path / "junk.npz")


def test_bad_generator_settings_raise():
    with pytest.raises(ValueError, match="top_k must be <= n_experts"):
        SyntheticRouting(n_experts=4, top_k=5)
    with pytest.raises(ValueError, match="repeat_prob must be <= 1|repeat_prob must be < 1"):
        SyntheticRouting(repeat_prob=1.0)
    with pytest.raises(ValueError, match="request_lengths"):
        SyntheticRouting().generate([0, 3], np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown MoE model preset"):
        SyntheticRouting.for_model("llama")


def test_poisson_and_bursty_arrivals_match_rate_and_cv():
    rng = np.random.default_rng(0)
    conv = ArrivalProcess.preset("azure_conv").sample(100_000, rng)
    gaps = np.diff(conv.arrival_s)
    assert 1 / gaps.mean() == pytest.approx(5.53, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.09, rel=0.03)
    code = ArrivalProcess.preset("azure_code").sample(200_000, rng)
    gaps = np.diff(code.arrival_s)
    # Gamma(shape 1/13.2^2) is extremely skewed: the sample mean and sd converge slowly
    assert 1 / gaps.mean() == pytest.approx(2.57, rel=0.15)
    assert gaps.std() / gaps.mean() == pytest.approx(13.2, rel=0.15)
    assert np.all(np.diff(code.arrival_s) >= 0) and code.arrival_s[0] == 0


def test_length_percentiles_match_the_azure_statistics():
    rng = np.random.default_rng(1)
    sample = ArrivalProcess.preset("azure_code").sample(100_000, rng)
    assert np.median(sample.prompt_tokens) == pytest.approx(1469, rel=0.03)
    assert np.percentile(sample.prompt_tokens, 99) == pytest.approx(7436, rel=0.05)
    assert np.median(sample.output_tokens) == pytest.approx(13, abs=1)
    assert np.percentile(sample.output_tokens, 99) == pytest.approx(249, rel=0.08)
    assert sample.output_tokens.min() >= 1
    assert len(ArrivalProcess.poisson(2.0).sample(3, rng)) == 3


def test_bad_arrival_settings_raise():
    with pytest.raises(ValueError, match="unknown arrival preset 'x'.*azure_code"):
        ArrivalProcess.preset("x")
    with pytest.raises(ValueError, match="rate_per_s must be > 0"):
        ArrivalProcess(rate_per_s=0)
    with pytest.raises(ValueError, match="p99 must be >= "):
        LengthDistribution(median=10, p99=5)
