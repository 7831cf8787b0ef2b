"""Issue #20 part 2: the Genet-style trace generator and the unseen-setting ABR protocols
(abr-unseen-wide, abr-unseen-volatile, fcc100-video2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import require_datasets
from netgym.envs.abr import AbrParams, GenetTraces, SyntheticTraces, genet_traces, load_traces
from netgym.envs.abr.model import check_before_loading
from netgym.leaderboard import get_protocol
from netgym.leaderboard.protocols import LEADERBOARD_SEED_BASE
from netgym.leaderboard.protocols_abr import (
    GENET_VOLATILE,
    GENET_WIDE,
    UNSEEN_BASELINES,
    UNSEEN_PROTOCOLS,
)

WIDE = GenetTraces(**GENET_WIDE)
VOLATILE = GenetTraces(**GENET_VOLATILE)


def _runs(mbps: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal consecutive samples of one trace."""
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(mbps) != 0) + 1, [len(mbps)]))
    return np.diff(bounds)


def _rates(spec: GenetTraces) -> np.ndarray:
    return np.concatenate([mbps[1:] for mbps in genet_traces(spec).mbps])


# ------------------------------------------------------------------------------ the generator
@pytest.mark.parametrize("spec", [WIDE, VOLATILE], ids=["wide", "volatile"])
def test_genet_traces_start_at_zero_with_gaps_in_range_and_end_at_the_duration(spec):
    traces = genet_traces(spec)
    assert len(traces) == 100
    for time_s in traces.time_s:
        gaps = np.diff(time_s)
        assert time_s[0] == 0.0
        assert gaps.min() >= spec.interval_low_s - 1e-9 and gaps.max() <= spec.interval_high_s
        assert time_s[-2] < spec.duration_s <= time_s[-1]  # Genet adds samples while t < duration


def test_genet_levels_lie_in_the_range_and_fades_below_it():
    wide = _rates(WIDE)
    assert wide.min() >= 0.2 and wide.max() <= 8.0
    assert wide.min() < 0.3 and wide.max() > 7.9  # the whole range is used
    volatile = _rates(VOLATILE)
    fades = volatile[volatile < 0.2]
    assert volatile.max() <= 8.0 and fades.min() >= 0.02
    assert 0.15 < len(fades) / len(volatile) < 0.35  # a quarter of the levels are fades


@pytest.mark.parametrize(
    ("spec", "mean_hold"), [(WIDE, 3.0), (VOLATILE, 1.5)], ids=["wide", "volatile"]
)
def test_genet_levels_switch_every_hold_min_to_hold_max_samples(spec, mean_hold):
    runs = np.concatenate([_runs(mbps)[:-1] for mbps in genet_traces(spec).mbps])
    assert runs.min() == spec.hold_min
    # two consecutive levels can draw the same rounded rate and merge into one longer run
    assert np.mean(runs <= spec.hold_max) > 0.97
    assert np.bincount(runs)[spec.hold_max] > 0
    assert abs(np.mean(runs[runs <= spec.hold_max]) - mean_hold) < 0.1


def test_genet_traces_are_seeded_and_deterministic():
    generate = genet_traces.__wrapped__  # not the cached set: generated anew each call
    first, again = generate(WIDE), generate(GenetTraces(**GENET_WIDE))
    assert first is not again
    assert first.names == again.names
    for a, b in zip(first.mbps + first.time_s, again.mbps + again.time_s, strict=True):
        np.testing.assert_array_equal(a, b)
    other = generate(GenetTraces(**{**GENET_WIDE, "seed": 2001}))
    assert not np.array_equal(other.mbps[0], first.mbps[0])
    # a smaller set is the first traces of the larger one
    three = generate(GenetTraces(**{**GENET_WIDE, "n_traces": 3}))
    np.testing.assert_array_equal(three.mbps[2], first.mbps[2])


def test_genet_traces_lie_outside_fcc_train_in_range_and_switching():
    """The claim of the protocols: levels and switching that FCC-train does not show."""
    fcc = load_traces(require_datasets("abr/fcc-train") / "abr" / "fcc-train")
    rates = np.concatenate([mbps[1:] for mbps in fcc.mbps])
    p1, p99 = np.percentile(rates, [1, 99])  # 0.116 and 4.16 Mbps

    def lag5(traces) -> float:  # median per-trace autocorrelation of log rate, 5 samples apart
        logs = [np.log(np.maximum(mbps[1:], 0.01)) for mbps in traces.mbps]
        return float(np.nanmedian([np.corrcoef(x[:-5], x[5:])[0, 1] for x in logs if x.std()]))

    fcc_lag5 = lag5(fcc)  # 0.27: FCC-train's rate keeps its level for many samples
    for spec in (WIDE, VOLATILE):
        genet = _rates(spec)
        assert np.mean(genet > p99) > 0.3  # FCC-train: 1 % above its 99th percentile
        assert lag5(genet_traces(spec)) < 0.1 < fcc_lag5 - 0.1
    assert np.mean(_rates(VOLATILE) < p1) > 0.1  # the fades: FCC-train 1 % below its 1st


def test_genet_parameters_are_validated_with_the_field_named():
    bad = [
        ({"hold_min": 3, "hold_max": 2}, "GenetTraces.hold_max must be >= 3"),
        ({"hold_min": 0}, "GenetTraces.hold_min"),
        ({"interval_low_s": 0.001}, "GenetTraces.interval_low_s"),
        ({"interval_high_s": 0.05}, "GenetTraces.interval_high_s"),
        ({"high_mbps": 0.1}, "GenetTraces.high_mbps"),
        ({"fade_prob": 1.5}, "GenetTraces.fade_prob"),
        ({"fade_low_mbps": 0.3, "fade_high_mbps": 0.2}, "GenetTraces.fade_high_mbps"),
        ({"generator": "markov"}, "GenetTraces.generator"),
        ({"n_traces": 0}, "GenetTraces.n_traces"),
    ]
    for changes, message in bad:
        with pytest.raises(ValueError, match=message):
            GenetTraces(**changes)


def test_abr_params_take_genet_traces_as_a_dict_with_the_generator_and_round_trip():
    params = AbrParams(synthetic_traces={"generator": "genet", "n_traces": 3, "seed": 7})
    assert params.synthetic_traces == GenetTraces(n_traces=3, seed=7)
    assert AbrParams(**params.to_dict()).synthetic_traces == params.synthetic_traces
    # a dict without the generator stays the Markov generator, whose defaults are unchanged
    assert AbrParams(synthetic_traces={"n_traces": 3}).synthetic_traces == SyntheticTraces(
        n_traces=3
    )
    with pytest.raises(ValueError, match="unknown fields"):
        AbrParams(synthetic_traces={"generator": "genet", "n_states": 3})


def test_the_memory_budget_refuses_a_huge_genet_set_naming_its_shortest_gap():
    huge = GenetTraces(n_traces=10**6, duration_s=1e6, interval_low_s=0.01)
    with pytest.raises(ValueError, match="interval_low_s=0.01"):
        check_before_loading(AbrParams(synthetic_traces=huge), (), ())


def test_an_env_plays_genet_traces():
    import gymnasium as gym

    params = AbrParams(synthetic_traces=GenetTraces(n_traces=2, seed=1))
    env = gym.make("netgym/AbrStreaming-v0", params=params)
    env.reset(seed=0)
    _, reward, terminated, truncated, _ = env.step(2)
    assert np.isfinite(reward) and not (terminated or truncated)


# ------------------------------------------------------------------------------ the protocols
@pytest.mark.parametrize("name", UNSEEN_PROTOCOLS)
def test_unseen_protocols_have_the_issue_baselines_held_out_seeds_and_floor(name):
    protocol = get_protocol(name)
    assert protocol.baselines == UNSEEN_BASELINES
    assert {"bba", "mpc-jump1", "mpc", "oracle"} <= set(protocol.baselines)
    assert set(protocol.anchors.baselines()) <= set(protocol.baselines)
    assert protocol.anchors.random == "lowest" and protocol.anchors.reference == "mpc"
    assert min(protocol.eval_seeds) >= LEADERBOARD_SEED_BASE
    assert protocol.episodes == 100 and protocol.needs_data
    fingerprint = protocol.fingerprint_env_kwargs()["params"]  # data-free
    assert fingerprint.video == "synthetic" and fingerprint.default_quality == 0


def test_unseen_trace_protocols_build_genet_traces_with_video1(abr_data):
    for name, spec in (("abr-unseen-wide", WIDE), ("abr-unseen-volatile", VOLATILE)):
        params = get_protocol(name).env_kwargs(abr_data)["params"]
        assert params.synthetic_traces == spec and params.traces == "synthetic"
        assert params.video == abr_data / "video1"
        assert (params.trace_order, params.start, params.noise) == ("sequential", "beginning", None)
        assert (params.default_quality, params.qoe) == (0, "linear")
    assert get_protocol("abr-unseen-wide").version != get_protocol("abr-unseen-volatile").version


def test_fcc100_video2_is_fcc100_with_video2():
    root = require_datasets("abr/fcc-test", "abr/video1", "abr/video2") / "abr"
    plain = get_protocol("fcc100").env_kwargs(root)["params"]
    params = get_protocol("fcc100-video2").env_kwargs(root)["params"]
    assert params.video == root / "video2"
    assert params.to_dict() == {**plain.to_dict(), "video": str(root / "video2")}


def test_leaderboard_runs_the_unseen_protocols_through_the_cli(capsys):
    from netgym.cli.main import main

    require_datasets("abr/fcc-test", "abr/video1", "abr/video2")
    capsys.readouterr()
    argv = ["leaderboard", "run", "--protocols", ",".join(UNSEEN_PROTOCOLS)]
    assert main([*argv, "--episodes", "2", "--json", "--no-progress"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    by = {(row["protocol"], row["entry"]): row for row in rows}
    assert {entry for _, entry in by} == set(UNSEEN_BASELINES)
    for name in UNSEEN_PROTOCOLS:
        assert by[(name, "mpc")]["normalised"] == pytest.approx(1.0)
        assert by[(name, "lowest")]["normalised"] == pytest.approx(0.0)
        assert by[(name, "oracle")]["mean"] >= by[(name, "mpc")]["mean"]
        assert all(by[(name, entry)]["episodes"] == 2 for entry in UNSEEN_BASELINES)
