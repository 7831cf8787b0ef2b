"""The success model of ``netgym/MoeGliderRouting-v0`` against the published margins
(reference/seeds-more.md 6b; ``envs/moe/glider/calibration.py`` says which are published)."""

from __future__ import annotations

import pytest
from netgym.envs.moe.glider.calibration import (
    HELD_IN_GAIN,
    HELD_IN_TOLERANCE,
    HELD_OUT_GAINS,
    MIN_LOCAL_WIN_HELD_OUT,
    margins,
)
from netgym.envs.moe.glider.params import GliderParams

POOLS = [GliderParams(), GliderParams(pool_seed=1), GliderParams(pool_seed=2), GliderParams.flan()]
IDS = ["t0", "t0-seed1", "t0-seed2", "flan"]


@pytest.fixture(scope="module", params=POOLS, ids=IDS)
def measured(request):
    return margins(request.param)


def test_global_routing_wins_on_held_in_tasks_by_the_published_margin(measured):
    assert measured["glider_gain_in"] == pytest.approx(HELD_IN_GAIN, abs=HELD_IN_TOLERANCE)


def test_glider_on_held_out_tasks_stays_within_the_published_gains(measured):
    assert min(HELD_OUT_GAINS) <= measured["glider_gain_out"] <= max(HELD_OUT_GAINS)


def test_local_routing_beats_the_global_signal_alone_on_held_out_tasks(measured):
    assert measured["local_win_out"] >= MIN_LOCAL_WIN_HELD_OUT


def test_the_own_expert_stays_above_glider_on_held_in_tasks(measured):
    assert measured["oracle_gap_in"] > 0.0


def test_the_global_signal_helps_held_in_more_than_held_out(measured):
    assert measured["glider_gain_in"] > measured["glider_gain_out"] + 4.0
