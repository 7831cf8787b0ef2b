"""Statistics, learning curves and the table of the reference agents (``reference_agents.py``).

The statistics are the leaderboard's (``netgym.leaderboard.stats``: IQM over seeds with a
stratified bootstrap 95 % interval), the curves its SVG drawing (``netgym.leaderboard.svg_plots``,
as ``netgym plot``), the table a generated block of ``docs/benchmark.md`` between marker
comments, as ``docs/leaderboard.md``'s.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np

TABLE = "reference-table"
"""the generated block of docs/benchmark.md"""
REGENERATE = "python benchmarks/reference_agents.py --table"
GRID_POINTS = 60


def best_heuristic(result: dict[str, Any], scores: dict[str, float]) -> tuple[str, float]:
    """(name, score) of the best of the row's heuristics in ``scores``."""
    name = max(result["heuristics"], key=lambda h: scores[h])
    return name, float(scores[name])


def time_to_heuristic(result: dict[str, Any]) -> dict[str, Any]:
    """Per seed, the training CPU seconds and env steps at the first validation that beats the
    best heuristic on the validation episodes (None: not within the budget); and their median
    over the seeds (None when fewer than half reach it)."""
    name, target = best_heuristic(result, result["validation"]["baselines"])
    per_seed = []
    for seed in result["seeds"]:
        hit = next((p for p in seed["curve"] if p["score"] > target), None)
        per_seed.append(None if hit is None else {"cpu_s": hit["cpu_s"], "steps": hit["steps"]})
    cpu = [math.inf if hit is None else hit["cpu_s"] for hit in per_seed]
    return {
        "heuristic": name,
        "validation_score": target,
        "per_seed": per_seed,
        "reached": sum(hit is not None for hit in per_seed),
        "median_cpu_s": None if math.isinf(median := statistics.median(cpu)) else float(median),
    }


def protocol_stats(result: dict[str, Any], name: str) -> dict[str, Any]:
    """IQM [95 % CI] of the seeds' scores under protocol ``name``, against the best heuristic,
    the references and the oracle or bound."""
    from netgym.leaderboard.stats import iqm_interval

    entry = result["protocols"][name]
    scores = entry["agent_per_seed"]
    value, low, high = iqm_interval([scores], seed=0)
    baselines = entry["baselines"]
    best_name, best = best_heuristic(result, baselines)
    out: dict[str, Any] = {
        "label": entry["label"],
        "iqm": value,
        "ci": [low, high],
        "per_seed": scores,
        "best_heuristic": best_name,
        "best_heuristic_score": best,
        "beats_best_heuristic": low > best,
        "iqm_above_best_heuristic": value > best,
        "baselines": baselines,
    }
    bound = result.get("bound")
    if bound and bound in baselines:
        out["bound_score"] = baselines[bound]
        out["gap_to_bound_abs"] = baselines[bound] - value
        # relative to the bound's size; undefined where the bound scores 0 (CollectivePath's
        # optimum, return 0): then only the absolute gap is given
        relative = baselines[bound] != 0
        out["gap_to_bound"] = (baselines[bound] - value) / abs(baselines[bound]) if relative \
            else None  # fmt: skip
    gaps = {}
    for low_name in result["heuristics"]:
        for high_name in [*result["references"], *([bound] if bound else [])]:
            lo, hi = baselines.get(low_name), baselines.get(high_name)
            if lo is not None and hi is not None and hi > lo:
                gaps[f"{low_name}->{high_name}"] = (value - lo) / (hi - lo)
    out["gap_closed"] = gaps
    return out


def row_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The row's numbers for the table."""
    seeds = result["seeds"]
    return {
        "row": result["row"],
        "protocols": {name: protocol_stats(result, name) for name in result["protocols"]},
        "time_to_heuristic": time_to_heuristic(result),
        "train_cpu_s": [s["train_cpu_s"] for s in seeds],
        "steps_done": [s["steps_done"] for s in seeds],
        "seeds": len(seeds),
    }


def _held(curve: list[dict[str, float]], key: str, grid: np.ndarray) -> np.ndarray:
    """The validation score at each grid x: the last point at or before x (the first before
    it), held after the seed's last point (its final model)."""
    xs = np.array([p[key] for p in curve])
    ys = np.array([p["score"] for p in curve])
    idx = np.clip(np.searchsorted(xs, grid, side="right") - 1, 0, len(xs) - 1)
    return ys[idx]


def curves_svg(result: dict[str, Any], key: str, label: str) -> str:
    """The row's validation curve (mean over seeds, band: range) against ``key``."""
    from netgym.leaderboard.svg import PALETTE, RefLine
    from netgym.leaderboard.svg_plots import Curve, curve_chart

    seeds = result["seeds"]
    end = max(p[key] for s in seeds for p in s["curve"])
    grid = np.linspace(0.0, end, GRID_POINTS)
    values = np.array([_held(s["curve"], key, grid) for s in seeds])
    curve = Curve(
        name=result["agent"],
        xs=grid.tolist(),
        mean=values.mean(axis=0).tolist(),
        low=values.min(axis=0).tolist(),
        high=values.max(axis=0).tolist(),
        colour=PALETTE[0],
        highlight=True,
        seeds=len(seeds),
    )
    lines = [
        RefLine(score, name, PALETTE[(i + 1) % len(PALETTE)])
        for i, (name, score) in enumerate(result["validation"]["baselines"].items())
    ]
    title = f"{result['env_id']}: validation score vs {label} (mean over seeds, band: range)"
    return curve_chart([curve], title, label, result["validation"]["metric"], lines)


def write_plots(result: dict[str, Any], out: Path) -> list[Path]:
    """``<row>-steps.svg`` and ``<row>-cpu.svg`` in ``out``."""
    paths = []
    for key, suffix, label in (
        ("steps", "steps", "env steps"),
        ("cpu_s", "cpu", "training CPU seconds"),
    ):
        path = out / f"{result['row']}-{suffix}.svg"
        path.write_text(curves_svg(result, key, label), encoding="utf-8")
        paths.append(path)
    return paths


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 100 else f"{value:.1f}"


def table_rows(results: list[dict[str, Any]]) -> str:
    """The Markdown table of the rows' JSON records."""
    lines = [
        "| row | protocol | budget per seed (used: mean) | agent IQM [95% CI], seeds | best "
        "heuristic | oracle / bound | beats it (CI) | time to heuristic (validation) | "
        "command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        summary = result["summary"]
        budget = result["budget"]
        cpu = budget["cpu_seconds"]
        used_cpu = statistics.mean(summary["train_cpu_s"])
        used_steps = statistics.mean(summary["steps_done"])
        tth = summary["time_to_heuristic"]
        if tth["reached"] == 0:
            when = "not within budget"
        elif tth["median_cpu_s"] is None:
            when = f"{tth['reached']}/{summary['seeds']} seeds (median: not within budget)"
        else:
            when = f"{tth['median_cpu_s']:.0f} CPU s (median; {tth['reached']}/{summary['seeds']})"
        when += f" vs {tth['heuristic']}"
        for stats in summary["protocols"].values():
            bound = stats.get("bound_score")
            cells = [
                f"`{result['row']}`: {result['agent']} on "
                f"{result['env_id'].removeprefix('netgym/')}"
                + (", best-validation model" if result.get("select") == "best" else ""),
                f"`{stats['label']}`",
                f"{budget['timesteps']:,} steps / "
                f"{'-' if cpu is None else f'{cpu:g} CPU s'} "
                f"({used_steps:,.0f} steps, {used_cpu:.0f} CPU s)",
                f"{_fmt(stats['iqm'])} [{_fmt(stats['ci'][0])}, {_fmt(stats['ci'][1])}], "
                f"{summary['seeds']}",
                f"{stats['best_heuristic']} {_fmt(stats['best_heuristic_score'])}",
                "-" if bound is None else f"{result['bound']} {_fmt(bound)}",
                "yes" if stats["beats_best_heuristic"] else "no",
                when,
                f"`{result['command']}`",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


BEGIN = f"<!-- BEGIN generated: {TABLE} (by `{REGENERATE}`; do not edit) -->"
END = f"<!-- END generated: {TABLE} -->"


def replace_table(text: str, block: str) -> str:
    """``text`` with the generated table between ``BEGIN`` and ``END`` replaced by ``block``.

    Raises:
        ValueError: the markers are missing (the message names them).
    """
    start = text.find(BEGIN)
    stop = text.find(END, start + 1)
    if start < 0 or stop < 0:
        raise ValueError(f"the page has no generated table: expected {BEGIN} ... {END}")
    return text[: start + len(BEGIN)] + "\n" + block.strip("\n") + "\n" + text[stop:]


def write_table(out: Path, docs: Path) -> None:
    """Rewrite the generated table of ``docs`` from every ``<row>.json`` in ``out``, in the
    order of ``ROWS``."""
    from reference_rows import ROWS

    found = {path.stem: path for path in out.glob("*.json")}
    order = [name for name in ROWS if name in found] + sorted(set(found) - set(ROWS))
    results = [json.loads(found[name].read_text(encoding="utf-8")) for name in order]
    text = docs.read_text(encoding="utf-8")
    block = table_rows(results) if results else "(no rows yet)"
    docs.write_text(replace_table(text, block), encoding="utf-8")


__all__ = [
    "best_heuristic",
    "curves_svg",
    "protocol_stats",
    "replace_table",
    "row_summary",
    "table_rows",
    "time_to_heuristic",
    "write_plots",
    "write_table",
]
