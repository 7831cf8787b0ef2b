"""``netgym leaderboard export --rliable``: per-entry runs x tasks arrays in rliable's layout,
checked against the run's own results.json (rliable itself is not needed)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from netgym.cli.main import main
from netgym.leaderboard import get_protocol
from netgym.leaderboard.board import run_leaderboard
from netgym.leaderboard.export import load_results, rliable_arrays
from netgym.leaderboard.report import write_reports

ABR = get_protocol("abr-synthetic-quick").with_episodes(2)  # 1 seed block: 1 run per entry
UAV = get_protocol("uav-paper-quick")  # 2 seed blocks: 2 runs per entry


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lb")
    board = run_leaderboard([ABR, UAV], policies=["bba", "hover"], suite_reps=20)
    write_reports(board, out)
    return out


def _rows(payload: dict) -> dict[tuple[str, str], dict]:
    return {(r["entry"], f"{r['protocol']}@{r['version']}"): r for r in payload["rows"]}


def test_the_npz_holds_each_entrys_runs_by_tasks_normalised_scores(results, tmp_path, capsys):
    out = tmp_path / "scores.npz"
    assert main(["leaderboard", "export", str(results), "--rliable", str(out)]) == 0
    printed = capsys.readouterr().out
    payload = json.loads((results / "results.json").read_text())
    rows = _rows(payload)
    with zipfile.ZipFile(out) as archive:  # numbers and strings only: nothing to unpickle
        assert all(name.endswith(".npy") for name in archive.namelist())
    data = np.load(out)  # allow_pickle=False
    assert int(data["format"]) == 1
    entries = [str(name) for name in data["entries"]]
    assert entries == list(dict.fromkeys(r["entry"] for r in payload["rows"]))
    assert [str(t) for t in data["tasks"]] == [ABR.label, UAV.label]
    for i, name in enumerate(entries):
        tasks = [str(t) for t in data[f"tasks_{i}"]]
        scores, raw = data[f"scores_{i}"], data[f"raw_{i}"]
        assert scores.shape == raw.shape == (scores.shape[0], len(tasks))  # runs x tasks
        for column, task in enumerate(tasks):
            row = rows[(name, task)]
            runs = scores.shape[0]
            assert scores[:, column].tolist() == row["block_normalised"][:runs]
            blocks = np.split(np.asarray(row["scores"]), len(row["eval_seeds"]))[:runs]
            assert raw[:, column] == pytest.approx([b.mean() for b in blocks])
    # random plays both tasks (1 ABR run, 2 UAV runs): one run of each, the cut announced
    random = entries.index("random")
    assert data[f"scores_{random}"].shape == (1, 2)
    assert f"{UAV.label}: 1 runs left out" in printed and "random: 1 runs x 2 tasks" in printed
    hover = entries.index("hover")
    assert data[f"scores_{hover}"].shape == (2, 1)  # every UAV run kept
    assert f"wrote {out}" in printed


def test_the_layout_is_what_rliable_aggregates(results):
    export = rliable_arrays(load_results(results), protocols=["uav-paper-quick"])
    for name, scores in export.scores.items():
        runs = _rows(load_results(results))[(name, UAV.label)]["block_normalised"]
        # rliable's aggregate_mean(scores) = mean over runs of each task, then over tasks
        assert np.mean(np.mean(scores, axis=0)) == pytest.approx(np.mean(runs))
    assert export.cut == {}  # one protocol: every run kept


def test_common_tasks_gives_every_entry_the_same_columns(results):
    payload = load_results(results)
    export = rliable_arrays(payload, entries=["random", "kmeans"], common_tasks=True)
    assert export.entries == ["random", "kmeans"]
    assert export.tasks == {"random": [UAV.label], "kmeans": [UAV.label]}
    assert export.scores["random"].shape == export.scores["kmeans"].shape == (2, 1)


def test_export_errors_name_what_is_wrong(results, tmp_path, capsys):
    npz = str(tmp_path / "s.npz")
    assert main(["leaderboard", "export", str(results), "--rliable", npz, "--entries", "x"]) == 2
    assert "no entry x in the results" in capsys.readouterr().err
    assert main(["leaderboard", "export", str(results), "--rliable", str(tmp_path / "s.txt")]) == 2
    assert "give a file ending in .npz" in capsys.readouterr().err
    assert main(["leaderboard", "export", str(tmp_path), "--rliable", npz]) != 0
    assert "no leaderboard results at" in capsys.readouterr().err
    (tmp_path / "results.json").write_text("{}")
    assert main(["leaderboard", "export", str(tmp_path), "--rliable", npz]) != 0
    assert "not a leaderboard's results.json" in capsys.readouterr().err
