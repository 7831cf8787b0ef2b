"""The committed leaderboard entries of the reference rows (docs/benchmark/leaderboard/<row>/)
are their rows' models: the five training seeds of the row, scored under the row's protocols at
their current versions, with the per-seed scores the row's JSON reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from netgym.leaderboard.protocols import get_protocol, load_family_protocols

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmark"
ENTRIES = sorted(path for path in (DOCS / "leaderboard").iterdir() if path.is_dir())


def test_there_are_entries():
    assert len(ENTRIES) >= 2


@pytest.mark.parametrize("folder", ENTRIES, ids=[path.name for path in ENTRIES])
def test_an_entry_is_its_rows_five_seeds_with_the_rows_scores(folder):
    name = folder.name
    row_file = DOCS / f"{name}.json"
    assert row_file.exists(), f"{folder} has no reference row {row_file.name}"
    row = json.loads(row_file.read_text())
    assert {"leaderboard.md", "results.csv", "results.json"} <= {p.name for p in folder.iterdir()}
    with open(folder / "results.csv", newline="") as handle:
        runs = [line for line in csv.DictReader(handle) if line["entry"] == name]
    assert runs and all(line["kind"] == "run" for line in runs)
    load_family_protocols()
    for protocol, scored in row["summary"]["protocols"].items():
        lines = [line for line in runs if line["protocol"] == protocol]
        seeds = sorted(int(line["train_seed"]) for line in lines)
        assert seeds == list(range(row["summary"]["seeds"])), (name, protocol, seeds)
        current = get_protocol(protocol).version
        assert {line["protocol_version"] for line in lines} == {current}, (
            f"{name}: the entry was scored under another version of {protocol} than the "
            f"current {current}: rerun `netgym leaderboard run` for it"
        )
        assert scored["label"] == f"{protocol}@{current}"
        by_seed = {int(line["train_seed"]): float(line["mean"]) for line in lines}
        for seed, expected in enumerate(scored["per_seed"]):
            assert by_seed[seed] == pytest.approx(expected, rel=1e-12, abs=1e-12), (name, seed)
