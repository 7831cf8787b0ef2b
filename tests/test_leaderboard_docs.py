"""The generated tables of docs/leaderboard.md are current: every documented version is today's."""

from __future__ import annotations

from pathlib import Path

import pytest
from netgym.cli.main import main
from netgym.leaderboard import get_protocol
from netgym.leaderboard.docs import (
    REGENERATE,
    begin_marker,
    end_marker,
    protocol_table,
    replace_block,
    stale_labels,
)

PAGE = Path(__file__).resolve().parents[1] / "docs" / "leaderboard.md"
QUICK_RUN = (
    "netgym leaderboard run --quick --workers 2 --out leaderboard-quick && "
    "netgym leaderboard docs --write --results leaderboard-quick"
)


def test_documented_protocol_table_is_current():
    text = PAGE.read_text(encoding="utf-8")
    assert replace_block(text, "protocols", protocol_table()) == text, (
        f"the protocol table of {PAGE.name} is out of date: run `{REGENERATE}`"
    )


def test_every_documented_protocol_version_is_current():
    stale = stale_labels(PAGE.read_text(encoding="utf-8"))
    assert not stale, (
        f"{PAGE.name} documents protocol versions that are no longer current: {stale}; run "
        f"`{REGENERATE}` (protocol table) and `{QUICK_RUN}` (quick leaderboard)"
    )


def test_protocol_table_names_every_protocol_and_quick_variant():
    table = protocol_table()
    for name in ("abr-synthetic", "hsdpa142", "uav-paper-quick", "moe-expert-cache-quick"):
        protocol = get_protocol(name)
        assert f"| `{name}` |" in table and f"`{protocol.version}`" in table
    assert "| 5 x 2 |" in table and "random / kmeans / bound 0.6" in table


def test_stale_labels_and_missing_markers_are_reported():
    current = get_protocol("uav-paper-quick").label
    assert stale_labels(f"see {current} and my-own-task@0123456789ab") == []
    assert stale_labels("uav-paper-quick@0123456789ab") == ["uav-paper-quick@0123456789ab"]
    with pytest.raises(ValueError, match="no generated block 'protocols'"):
        replace_block("no markers here", "protocols", "table")


def test_docs_command_prints_and_rewrites_the_table(tmp_path, capsys, monkeypatch):
    assert main(["leaderboard", "docs"]) == 0
    assert capsys.readouterr().out.strip() == protocol_table()
    page = tmp_path / "leaderboard.md"
    stale = f"intro\n{begin_marker('protocols')}\n| old |\n{end_marker('protocols')}\nend\n"
    page.write_text(stale)
    assert main(["leaderboard", "docs", "--write", "--file", str(page)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {page}"
    assert page.read_text() == replace_block(stale, "protocols", protocol_table())
    assert main(["leaderboard", "docs", "--write", "--file", str(page)]) == 0
    assert "is up to date" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert main(["leaderboard", "docs", "--write", "--file", "absent.md"]) == 2
    assert "no absent.md here" in capsys.readouterr().err


def test_docs_command_renders_the_quick_leaderboard_from_results(tmp_path, capsys):
    import json

    row = {
        "protocol": "uav-paper-quick",
        "version": get_protocol("uav-paper-quick").version,
        "entry": "kmeans",
        "train_seed": None,
        "mean": 0.5215,
        "std": 0.0732,
        "ci_low": 0.448,
        "ci_high": 0.595,
        "normalised": 1.0,
        "episodes": 2,
    }
    suite = {
        "entry": "kmeans",
        "iqm": 1.0,
        "ci_low": 0.6,
        "ci_high": 1.4,
        "tasks": ["t"],
        "runs": 2,
    }
    (tmp_path / "results.json").write_text(
        json.dumps({"rows": [row], "suite": [suite], "wall_s": 1})
    )
    page = tmp_path / "leaderboard.md"
    blocks = [
        f"{begin_marker(name)}\n{end_marker(name)}" for name in ("protocols", "quick-leaderboard")
    ]
    page.write_text("\n".join(blocks) + "\n")
    args = ["leaderboard", "docs", "--write", "--file", str(page), "--results", str(tmp_path)]
    assert main(args) == 0
    text = page.read_text()
    assert "```text\nprotocol " in text and f"{row['protocol']}@{row['version']}  kmeans" in text
    assert "1 rows in 1.0 s" in text and stale_labels(text) == []
