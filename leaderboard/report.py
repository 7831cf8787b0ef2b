"""Leaderboard reports: results.csv, results.json, leaderboard.md and a self-contained report.html.

* ``results.csv``: one row per entry, task and training seed (rl-baselines3-zoo / Open RL
  Benchmark style): entry, protocol and version, env id, train seed, eval seeds, episodes, mean,
  std, 95% CI, normalised score, wall time, netgym version, git commit, package versions.
* ``results.json``: the same rows with their per-episode scores, the protocols, the measured
  anchors, the suite IQMs, the probabilities of improvement and the environment fingerprint.
* ``leaderboard.md``: Markdown tables, the per-task one in rl-baselines3-zoo column order
  (``algo | env_id | mean_reward | std_reward | n_timesteps | eval_timesteps | eval_episodes``,
  then protocol and normalised score).
* ``report.html``: one self-contained page (``report_html``): the suite of the entries that
  ran on two tasks or more, a section per family with normalised and raw scores, per-episode
  distributions, learning curves and timelines; it has no script and loads nothing.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape
from pathlib import Path
from typing import Any

from .board import PROFILE_TAUS, Leaderboard


def fmt(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, never as '-0.000'."""
    return f"{round(value, digits) + 0.0:.{digits}f}"


RESULTS_FORMAT = 1
"""version of the results.json layout"""
CSV_COLUMNS = (
    "entry",
    "kind",
    "protocol",
    "protocol_version",
    "env_id",
    "train_seed",
    "eval_seeds",
    "episodes",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "normalised",
    "normalised_ci_low",
    "normalised_ci_high",
    "n_timesteps",
    "eval_timesteps",
    "wall_s",
    "netgym_version",
    "git_commit",
    "package_versions",
)
ZOO_COLUMNS = (
    "algo",
    "env_id",
    "mean_reward",
    "std_reward",
    "n_timesteps",
    "eval_timesteps",
    "eval_episodes",
    "protocol",
    "normalised",
    "normalised 95% CI",
)
"""rl-baselines3-zoo's benchmark.md columns, then netgym's"""


def results_payload(board: Leaderboard) -> dict[str, Any]:
    """The content of results.json."""
    return {
        "format": RESULTS_FORMAT,
        "protocols": [
            {
                **p.to_dict(),
                "measured_anchors": board.anchors(p),
                "behaviour_sha256": p.behaviour,
            }
            for p in board.protocols
        ],
        "rows": [row.to_dict() for row in board.rows],
        "suite": [vars(score) for score in board.suite],
        "profile_taus": list(PROFILE_TAUS),
        "improvement": board.improvement,
        "family_suite": {
            title: [vars(score) for score in scores] for title, scores in board.family_suite.items()
        },
        "run_folders": board.run_folders,
        "timelines": board.timelines,
        "environment": board.environment,
        "data_checksums": board.data_checksums,
        "wall_s": board.wall_s,
    }


def results_csv(board: Leaderboard) -> str:
    """The text of results.csv."""
    env = board.environment
    packages = ";".join(f"{name}={version}" for name, version in env["packages"].items())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in board.rows:
        writer.writerow(
            [
                row.entry,
                row.kind,
                row.protocol,
                row.version,
                row.env_id,
                "" if row.train_seed is None else row.train_seed,
                " ".join(str(seed) for seed in row.eval_seeds),
                row.episodes,
                repr(row.mean),
                repr(row.std),
                repr(row.ci_low),
                repr(row.ci_high),
                repr(row.normalised),
                repr(row.normalised_ci_low),
                repr(row.normalised_ci_high),
                "" if row.n_timesteps is None else row.n_timesteps,
                row.eval_timesteps,
                f"{fmt(row.wall_s)}",
                env["netgym_version"],
                env["git_commit"] or "",
                packages,
            ]
        )
    return buffer.getvalue()


def _md_table(headers: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def markdown(board: Leaderboard) -> str:
    """The text of leaderboard.md: the per-task table (zoo order) and the suite IQM table."""
    task_rows = [
        [
            row.entry if row.train_seed is None else f"{row.entry} (seed {row.train_seed})",
            row.env_id,
            f"{fmt(row.mean)}",
            f"{fmt(row.std)}",
            "-" if row.n_timesteps is None else str(row.n_timesteps),
            str(row.eval_timesteps),
            str(row.episodes),
            f"{row.protocol}@{row.version}",
            f"{fmt(row.normalised)}",
            f"[{fmt(row.normalised_ci_low)}, {fmt(row.normalised_ci_high)}]",
        ]
        for row in board.rows
    ]
    suite_rows = [
        [
            score.entry,
            f"{fmt(score.iqm)}",
            f"[{fmt(score.ci_low)}, {fmt(score.ci_high)}]",
            str(len(score.tasks)),
            str(score.runs),
        ]
        for score in board.suite
    ]
    anchors = [
        [
            p.label,
            p.anchors.random + (" (floor)" if p.anchors.floor else ""),
            p.anchors.reference,
            p.anchors.oracle or "-",
            "-" if p.anchors.bound is None else f"{p.anchors.bound:.4g} ({p.anchors.bound_note})",
        ]
        for p in board.protocols
    ]
    return (
        "\n\n".join(
            [
                "# netgym leaderboard",
                "Per task (mean and std over episodes of the protocol's score; normalised: the "
                "protocol's 0 anchor (random, or a floor where random is catastrophic) = 0, "
                "reference = 1; 95% percentile bootstrap CI over episodes):",
                _md_table(ZOO_COLUMNS, task_rows),
                "Suite (IQM of the normalised scores of all runs x tasks, 95% stratified "
                "bootstrap CI):",
                _md_table(("entry", "IQM", "95% CI", "tasks", "runs"), suite_rows),
                "Anchors:",
                _md_table(("protocol", "0", "1 (reference)", "oracle", "bound"), anchors),
                *_improvement_section(board),
            ]
        )
        + "\n"
    )


IMPROVEMENT_COLUMNS = ("X", "Y", "tasks", "P(X > Y)", "95% CI")


def _improvement_rows(board: Leaderboard) -> list[list[str]]:
    """P(entry > baseline) for every entry that is not a baseline."""
    entries = {row.entry for row in board.rows if row.kind != "baseline"}
    return [
        [
            p["x"],
            p["y"],
            str(len(p["tasks"])),
            fmt(p["p"]),
            f"[{fmt(p['ci_low'])}, {fmt(p['ci_high'])}]",
        ]
        for p in board.improvement
        if p["x"] in entries and p["y"] not in entries
    ]


def _improvement_section(board: Leaderboard) -> list[str]:
    """The Markdown section of ``_improvement_rows`` (none without entries)."""
    rows = _improvement_rows(board)
    if not rows:
        return []
    return [
        "Probability of improvement P(X > Y) over shared tasks (95% stratified bootstrap CI):",
        _md_table(IMPROVEMENT_COLUMNS, rows),
    ]


def _html_table(headers: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>" for cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html(board: Leaderboard) -> str:
    """The text of report.html (``report_html``): charts, the table, the improvements."""
    from . import report_html

    task_table = _html_table(
        ZOO_COLUMNS,
        [
            [
                row.entry if row.train_seed is None else f"{row.entry} (seed {row.train_seed})",
                row.env_id,
                f"{row.mean:.4f}",
                f"{row.std:.4f}",
                "-" if row.n_timesteps is None else str(row.n_timesteps),
                str(row.eval_timesteps),
                str(row.episodes),
                f"{row.protocol}@{row.version}",
                f"{fmt(row.normalised)}",
                f"[{fmt(row.normalised_ci_low)}, {fmt(row.normalised_ci_high)}]",
            ]
            for row in board.rows
        ],
    )
    improvement_rows = _improvement_rows(board)
    improvement = (
        "<h2>Probability of improvement</h2>" + _html_table(IMPROVEMENT_COLUMNS, improvement_rows)
        if improvement_rows
        else ""
    )
    return report_html.html(board, f"<h2>Table</h2>{task_table}{improvement}")


REPORT_FILES = ("results.csv", "results.json", "leaderboard.md", "report.html")


def write_reports(board: Leaderboard, out_dir: str | Path) -> list[Path]:
    """Write ``REPORT_FILES`` into ``out_dir`` (created if needed); return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = {
        "results.csv": results_csv(board),
        "results.json": json.dumps(results_payload(board), indent=2) + "\n",
        "leaderboard.md": markdown(board),
        "report.html": html(board),
    }
    paths = []
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    return paths


__all__ = [
    "CSV_COLUMNS",
    "REPORT_FILES",
    "RESULTS_FORMAT",
    "ZOO_COLUMNS",
    "html",
    "markdown",
    "results_csv",
    "results_payload",
    "write_reports",
]
