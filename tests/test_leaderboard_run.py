"""Leaderboard runs: rows and anchors, workers, resume after interruption, entries, reports."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from netgym.cli.main import main
from netgym.leaderboard import evaluate, get_protocol, stats
from netgym.leaderboard.board import run_leaderboard
from netgym.leaderboard.entries import class_entry, parse_entry
from netgym.leaderboard.report import CSV_COLUMNS, REPORT_FILES, ZOO_COLUMNS, write_reports

QUICK = [get_protocol("abr-synthetic-quick").with_episodes(3), get_protocol("uav-paper-quick")]
POLICIES = ["bba", "oracle", "hover"]
"""ABR: bba, oracle (+ the anchors random, mpc); UAV: hover (+ random, kmeans)"""


def small_board(**kwargs):
    """abr-synthetic-quick (3 episodes) and uav-paper-quick, a few baselines each."""
    return run_leaderboard(QUICK, policies=POLICIES, suite_reps=500, **kwargs)


def comparable(board) -> list[dict]:
    """The rows without their wall times (the only field that may differ between runs)."""
    return [{k: v for k, v in asdict(row).items() if k != "wall_s"} for row in board.rows]


@pytest.fixture(scope="module")
def board():
    return small_board()


def test_rows_pool_seeds_and_normalise_by_the_anchors(board):
    uav = get_protocol("uav-paper-quick")
    rows = {(row.protocol, row.entry): row for row in board.rows}
    assert rows[("uav-paper-quick", "random")].normalised == 0.0
    assert rows[("uav-paper-quick", "kmeans")].normalised == pytest.approx(1.0)
    hover = rows[("uav-paper-quick", "hover")]
    assert hover.eval_seeds == list(uav.eval_seeds) and hover.episodes == 2
    direct = [
        evaluate("hover", uav.env_id, 1, seed, uav.env_kwargs()).mean_rewards[0]
        for seed in uav.eval_seeds
    ]
    assert hover.scores == pytest.approx(direct)
    assert hover.mean == pytest.approx(np.mean(direct))
    random, kmeans = rows[("uav-paper-quick", "random")], rows[("uav-paper-quick", "kmeans")]
    assert hover.normalised == pytest.approx(
        (hover.mean - random.mean) / (kmeans.mean - random.mean)
    )
    assert hover.ci_low <= hover.mean <= hover.ci_high
    names = {(row.protocol, row.entry) for row in board.rows}
    assert names == {  # the anchors run: ABR's floor (lowest), mpc, and random beside the floor
        ("abr-synthetic-quick", name) for name in ("bba", "oracle", "lowest", "random", "mpc")
    } | {("uav-paper-quick", name) for name in ("hover", "random", "kmeans")}


def test_every_baseline_of_each_family_is_planned_by_default():
    from netgym.baselines import BASELINES
    from netgym.leaderboard.runner import plan_tasks

    tasks = plan_tasks(QUICK)
    for protocol in QUICK:
        planned = [t for t in tasks if t.protocol == protocol.name]
        assert {t.entry.name for t in planned} == set(BASELINES[protocol.env_id])
        assert len(planned) == len(BASELINES[protocol.env_id]) * len(protocol.eval_seeds)
    with pytest.raises(ValueError, match="unknown policy 'nope'"):
        plan_tasks(QUICK, policies=["bba", "nope"])


def test_suite_iqm_and_improvement(board):
    suite = {score.entry: score for score in board.suite}
    # the floor (ABR's 0 anchor): its seed blocks' normalised scores average 0 on its one task
    assert suite["lowest"].iqm == pytest.approx(0.0, abs=1e-12)
    assert len(suite["lowest"].tasks) == 1
    # random: below the floor on ABR, UAV's per-seed runs whose mean is 0 (its 0 anchor there)
    rows = {(row.protocol, row.entry): row for row in board.rows}
    assert max(rows[("abr-synthetic-quick", "random")].block_normalised) < 0
    assert np.mean(rows[("uav-paper-quick", "random")].block_normalised) == pytest.approx(0.0)
    runs = np.concatenate([rows[(p.name, "random")].block_normalised for p in QUICK])
    assert suite["random"].iqm == pytest.approx(stats.iqm(runs)) and suite["random"].iqm < 0
    assert len(suite["random"].tasks) == 2
    # the UAV runs are its 2 evaluation seeds
    assert suite["kmeans"].runs == 2 and suite["kmeans"].ci_low <= suite["kmeans"].iqm
    pairs = {(p["x"], p["y"]): p for p in board.improvement}
    assert pairs[("oracle", "random")]["p"] == 1.0
    assert pairs[("random", "oracle")]["p"] == 0.0
    assert pairs[("oracle", "random")]["tasks"] == [f"{QUICK[0].label}"]
    assert ("oracle", "kmeans") not in pairs  # no shared task


def test_two_workers_give_the_same_rows_as_one(board):
    assert comparable(small_board(workers=2)) == comparable(board)


def test_interrupted_run_resumes_to_the_same_table(board, tmp_path):
    calls = []

    def stop_after_five(done, total, task):
        calls.append(task)
        if len(calls) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        small_board(out_dir=tmp_path, progress=stop_after_five)
    cached = list((tmp_path / "cache").glob("*.json"))
    assert len(cached) == 5
    seen = []
    resumed = small_board(out_dir=tmp_path, progress=lambda d, t, task: seen.append((d, task)))
    assert seen[0] == (5, None)  # the cached tasks, reported at once
    assert len(seen) == 1 + seen[-1][0] - 5  # only the others ran
    assert comparable(resumed) == comparable(board)


def test_a_corrupt_cache_file_is_run_again(board, tmp_path):
    small_board(out_dir=tmp_path)
    victim = sorted((tmp_path / "cache").glob("*.json"))[0]
    victim.write_text('{"format": 1, "task"')
    assert comparable(small_board(out_dir=tmp_path)) == comparable(board)


def test_policy_class_entries_and_their_errors(tmp_path):
    entry = parse_entry("my-bba=netgym.baselines.abr:BBA")
    assert entry.name == "my-bba" and entry.kind == "class" and entry.env_id is None
    board = run_leaderboard(QUICK[:1], [entry], policies=["bba"], suite_reps=100)
    rows = {row.entry: row for row in board.rows}
    assert rows["my-bba"].scores == rows["bba"].scores
    write_reports(board, tmp_path / "report")
    markdown = (tmp_path / "report" / "leaderboard.md").read_text()
    assert "| my-bba | bba | 1 | 0.500 | [0.500, 0.500] |" in markdown  # identical: all ties
    assert "| my-bba | random | 1 | 1.000 |" in markdown
    html = (tmp_path / "report" / "report.html").read_text()
    assert "<h2>Probability of improvement</h2>" in html and "<td>my-bba</td>" in html
    with pytest.raises(ValueError, match="entry 'my-bba' .* failed on protocol uav-paper-quick"):
        run_leaderboard(QUICK[1:], [entry], policies=["hover"], suite_reps=10)
    with pytest.raises(ValueError, match="has no class 'Nope'"):
        class_entry("netgym.baselines.abr:Nope")
    with pytest.raises(FileNotFoundError, match="neither a run folder"):
        parse_entry(str(tmp_path / "absent"))


def test_run_folder_entries_are_loaded_and_carry_their_seed(tmp_path):
    from netgym.cli.train import main as train_main

    run = tmp_path / "run"
    args = ["--env", "netgym/AbrStreaming-v0", "--agent", "qlearning", "--timesteps", "200"]
    assert train_main(args + ["--out", str(run), "--eval-episodes", "0", "--no-progress"]) == 0
    entry = parse_entry(str(run))
    assert (entry.kind, entry.name, entry.train_seed) == ("run", "qlearning", 0)
    assert entry.n_timesteps >= 200
    board = run_leaderboard(QUICK, [entry], policies=["bba", "hover"], suite_reps=100)
    (row,) = [row for row in board.rows if row.entry == "qlearning"]
    assert row.protocol == "abr-synthetic-quick" and row.train_seed == 0  # not on UAV
    with pytest.raises(ValueError, match="none of the protocols"):
        run_leaderboard(QUICK[1:], [entry])


# ---------------------------------------------------------------------------------- reports
class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]


def test_reports_are_written_and_well_formed(board, tmp_path):
    paths = write_reports(board, tmp_path)
    assert [path.name for path in paths] == list(REPORT_FILES)

    with open(tmp_path / "results.csv", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert tuple(records[0]) == CSV_COLUMNS
    assert len(records) == len(board.rows)
    for record, row in zip(records, board.rows, strict=True):
        assert record["entry"] == row.entry and record["protocol_version"] == row.version
        assert float(record["mean"]) == row.mean
        assert record["eval_seeds"] == " ".join(map(str, row.eval_seeds))
        assert "numpy=" in record["package_versions"]

    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["format"] == 1 and len(payload["rows"]) == len(board.rows)
    assert {p["label"] for p in payload["protocols"]} == {p.label for p in QUICK}
    uav = next(p for p in payload["protocols"] if p["name"] == "uav-paper-quick")
    assert uav["measured_anchors"]["bound"] == 0.6

    markdown = (tmp_path / "leaderboard.md").read_text()
    header = next(line for line in markdown.splitlines() if line.startswith("| algo"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == list(ZOO_COLUMNS)

    text = (tmp_path / "report.html").read_text()
    parser = _Collector()
    parser.feed(text)
    parser.close()
    # per task: normalised, raw and per-episode charts; the ABR task's reference timelines;
    # the suite (random, the one entry on both tasks): IQM and profiles; no family suite (one
    # task per family)
    timelines = sum(len(t) for t in board.timelines.values())
    assert board.timelines.get(QUICK[0].label) and timelines
    assert parser.tags.count("svg") == 3 * len(QUICK) + timelines + 2
    assert {"script", "link", "img", "iframe"}.isdisjoint(parser.tags)
    assert not [link for link in parser.links if link.startswith(("http:", "https:", "//"))]
    assert "http://" not in text and "https://" not in text


def test_cli_run_writes_reports_and_prints_tables(capsys, tmp_path: Path):
    argv = ["leaderboard", "run", "--quick", "--protocols", "uav-paper", "--policies", "hover"]
    assert main(argv + ["--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "uav-paper-quick@" in out and "iqm" in out
    for name in REPORT_FILES:
        assert (tmp_path / name).is_file() and f"wrote {tmp_path / name}" in out
    assert main(["leaderboard", "run", "--workers", "0"]) == 2
    assert "--workers must be >= 1" in capsys.readouterr().err


def test_bar_chart_keeps_outliers_inside_the_drawing():
    import re

    from netgym.leaderboard.svg import Bar, bar_chart

    bars = [Bar("a", 0.5, 0.4, 0.6, "#111"), Bar("b", -50.0, -60.0, 10.0, "#222")]
    svg = bar_chart(bars, "t", "score", width=640)
    xs = [float(v) for v in re.findall(r' x[12]?="([-0-9.]+)"', svg)]
    assert min(xs) >= 0 and max(xs) <= 640
    assert "b: -50 [-60, 10]" in svg  # exact values (4 significant digits) in the tooltip


def test_cache_is_keyed_by_protocol_version_seed_and_episodes(tmp_path):
    from dataclasses import replace

    from netgym.leaderboard.runner import TaskCache, plan_tasks

    task = plan_tasks(QUICK[1:], policies=["hover"])[0]
    assert task.version == QUICK[1].version  # which covers the env's behaviour
    cache = TaskCache(tmp_path)
    cache.put(task, {"scores": [1.0], "returns": [1.0], "lengths": [1], "wall_s": 0.0})
    assert cache.get(task)["scores"] == [1.0]
    for change in ({"version": "0" * 12}, {"seed": task.seed + 1}, {"episodes": 2}):
        assert cache.get(replace(task, **change)) is None
    assert TaskCache(None).get(task) is None


def test_ray_backend_without_ray_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ValueError, match=r"pip install 'netgym\[ray\]'"):
        run_leaderboard(QUICK[1:], policies=["hover"], backend="ray", suite_reps=10)
    with pytest.raises(ValueError, match="unknown backend 'dask'"):
        run_leaderboard(QUICK[1:], policies=["hover"], backend="dask")
