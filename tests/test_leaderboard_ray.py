"""The Ray backend gives the same rows as the local one (skipped without the ray extra)."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from netgym.leaderboard import get_protocol
from netgym.leaderboard.board import run_leaderboard

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install ray)")

PROTOCOLS = [get_protocol("abr-synthetic-quick").with_episodes(2), get_protocol("uav-paper-quick")]
POLICIES = ["bba", "hover"]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def comparable(board) -> list[dict]:
    return [{k: v for k, v in asdict(row).items() if k != "wall_s"} for row in board.rows]


def test_ray_backend_equals_local_backend(local_ray, tmp_path):
    local = run_leaderboard(PROTOCOLS, policies=POLICIES, suite_reps=200)
    done = []
    remote = run_leaderboard(
        PROTOCOLS,
        policies=POLICIES,
        suite_reps=200,
        backend="ray",
        workers=2,
        out_dir=tmp_path,
        progress=lambda d, t, task: done.append(d),
    )
    assert comparable(remote) == comparable(local)
    assert done[-1] == len(list((tmp_path / "cache").glob("*.json")))
    assert ray.is_initialized()  # a Ray started by the caller stays up
