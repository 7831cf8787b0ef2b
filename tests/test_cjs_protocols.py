"""The leaderboard protocols of the cluster job scheduling family."""

from __future__ import annotations

import pytest
from cjs_common import tpch_folder  # noqa: F401  (a fixture)
from netgym.leaderboard import evaluate, get_protocol

NAMES = ("cjs-default", "cjs-fewer-executors", "cjs-more-jobs", "cjs-higher-rate", "cjs-tpch")


def test_the_protocols_are_netllms_default_and_unseen_settings():
    settings = {}
    for name in NAMES[:-1]:
        protocol = get_protocol(name)
        assert (protocol.anchors.random, protocol.anchors.reference) == ("random", "fair")
        assert protocol.metric == "mean"
        assert not protocol.needs_data
        settings[name] = protocol.env_kwargs(None)["params"]
    assert (settings["cjs-default"].n_jobs, settings["cjs-default"].n_executors) == (200, 50)
    assert settings["cjs-fewer-executors"].n_executors == 30
    assert settings["cjs-more-jobs"].n_jobs == 450
    assert settings["cjs-higher-rate"].interarrival_s == pytest.approx(25.0 / 1.5)
    assert all(p.dag_source == "synthetic" for p in settings.values())


def test_quick_variants_keep_the_setting_with_a_quarter_of_the_jobs():
    for name in NAMES[:-1]:
        full = get_protocol(name).env_kwargs(None)["params"]
        quick = get_protocol(f"{name}-quick").env_kwargs(None)["params"]
        assert quick.n_jobs == full.n_jobs // 4
        assert quick.replace(n_jobs=full.n_jobs) == full


def test_the_tpch_protocol_needs_the_tpch_folder(tmp_path):
    protocol = get_protocol("cjs-tpch")
    assert protocol.needs_data and protocol.data_folders == ("tpch",)
    with pytest.raises(FileNotFoundError, match="tpch"):
        protocol.env_kwargs(tmp_path)
    with pytest.raises(ValueError, match="no --quick variant"):
        protocol.quick()


def test_the_tpch_protocol_reads_the_shared_traces(tpch_folder):  # noqa: F811
    kwargs = get_protocol("cjs-tpch").env_kwargs(tpch_folder.parent)
    assert kwargs["params"].dag_source == "tpch" and kwargs["params"].data == str(tpch_folder)


def test_a_quick_protocol_scores_fifo_as_minus_the_summed_jct():
    protocol = get_protocol("cjs-default-quick")
    result = evaluate(
        "fifo",
        protocol.env_id,
        episodes=1,
        seed=protocol.eval_seeds[0],
        env_kwargs=protocol.env_kwargs(None),
    )
    assert result.mean < 0 and result.lengths[0] > 0
