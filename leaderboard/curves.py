"""Learning curves of ``train.py`` run folders: read, group by agent, aggregate over seeds, draw.

A run folder's ``progress.csv`` has one row per progress report: ``steps``, ``wall_s`` and the
agent's metrics, among them ``episode_return`` (the mean return of the last finished training
episodes) for every agent that plays episodes. Runs of the same env and agent (or given the
same label) are one *group*: their seeds are aggregated on a common grid of steps (or of wall
time) from the largest first point to the smallest last point of the runs, by linear
interpolation; the curve is the mean over seeds and the band the range (min to max) over
seeds. The env's baselines, from the runs' ``eval.json`` (their mean return on held-out seeds,
averaged over the runs), are drawn as horizontal lines in the same units.

``netgym plot`` and the leaderboard report (for run-folder entries) both draw with
``curve_charts``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .svg import RefLine, entry_colours
from .svg_plots import Curve, curve_chart

METRIC = "episode_return"
"""the progress.csv column drawn by default"""
X_AXES = {"steps": "env steps", "wall_s": "wall time (s)"}
"""the x axes of the learning curves: progress.csv column -> axis label"""
GRID_POINTS = 200
"""points of the common grid that seeds are interpolated on"""


@dataclass
class RunCurve:
    """One run's curve: the metric at each progress report."""

    folder: Path
    env: str
    agent: str
    seed: int
    steps: np.ndarray
    wall_s: np.ndarray
    values: np.ndarray
    baselines: dict[str, float] = field(default_factory=dict)
    """mean return of each baseline in the run's eval.json (none without it)"""
    agent_eval: float | None = None
    """the trained agent's mean return in eval.json"""


def _float(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def read_run(folder: str | Path, metric: str = METRIC) -> RunCurve:
    """The curve of ``metric`` in the run folder ``folder``.

    Raises:
        FileNotFoundError: not a run folder (no config.yaml) or no progress.csv in it.
        ValueError: progress.csv has no ``metric`` column, or no row with a value in it (the
            message lists the columns it has).
    """
    from netgym.agents.training import RunConfig

    run = Path(folder)
    config = RunConfig.from_folder(run)
    path = run / "progress.csv"
    if not path.is_file():
        raise FileNotFoundError(f"run folder {run} has no progress.csv (has it trained yet?)")
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if metric not in columns:
        raise ValueError(
            f"{path} has no column {metric!r}; its columns: {columns} (choose one with --metric)"
        )
    table = np.array([[_float(r.get(k)) for k in ("steps", "wall_s", metric)] for r in rows])
    table = table[np.isfinite(table).all(axis=1)] if table.size else table.reshape(0, 3)
    if not len(table):
        raise ValueError(f"{path} has no row with a value of {metric!r} yet")
    curve = RunCurve(
        folder=run,
        env=config.env,
        agent=config.agent,
        seed=int(config.seed),
        steps=table[:, 0],
        wall_s=table[:, 1],
        values=table[:, 2],
    )
    evaluation = run / "eval.json"
    if evaluation.is_file():
        payload = json.loads(evaluation.read_text(encoding="utf-8"))
        curve.baselines = {
            name: float(item["mean"]) for name, item in (payload.get("baselines") or {}).items()
        }
        if payload.get("agent"):
            curve.agent_eval = float(payload["agent"]["mean"])
    return curve


def expand_runs(path: str | Path) -> list[Path]:
    """``path`` itself when it is a run folder (it has config.yaml), else the run folders
    below it (e.g. ``runs/<env>/ppo`` gives every ``seed-<S>``), sorted.

    Raises:
        FileNotFoundError: ``path`` does not exist or holds no run folder.
    """
    root = Path(path)
    if (root / "config.yaml").is_file():
        return [root]
    found = sorted(p.parent for p in root.rglob("config.yaml")) if root.is_dir() else []
    if not found:
        what = "does not exist" if not root.exists() else "holds no run folder (no config.yaml)"
        raise FileNotFoundError(f"{root} {what}; give train.py run folders")
    return found


@dataclass
class CurveGroup:
    """Runs drawn as one curve: the seeds of one agent on one env (or of one label)."""

    label: str
    env: str
    runs: list[RunCurve]
    highlight: bool = True

    def aggregate(self, x: str = "steps", points: int = GRID_POINTS) -> tuple[np.ndarray, ...]:
        """(grid, mean, low, high) over the seeds on a common grid of ``x`` ('steps' or
        'wall_s'); one run gives its own points."""
        series = [(getattr(run, x), run.values) for run in self.runs]
        if len(series) == 1:
            xs, ys = series[0]
            return xs, ys, ys, ys
        start = max(xs[0] for xs, _ in series)
        stop = min(xs[-1] for xs, _ in series)
        if not stop > start:  # seeds that do not overlap: each at its own points, no band
            xs = np.concatenate([xs for xs, _ in series])
            order = np.argsort(xs)
            ys = np.concatenate([ys for _, ys in series])[order]
            return xs[order], ys, ys, ys
        grid = np.linspace(start, stop, points)
        stacked = np.array([np.interp(grid, xs, ys) for xs, ys in series])
        return grid, stacked.mean(axis=0), stacked.min(axis=0), stacked.max(axis=0)

    def baselines(self) -> dict[str, float]:
        """Each baseline's mean return, averaged over the runs whose eval.json has it."""
        names = dict.fromkeys(name for run in self.runs for name in run.baselines)
        return {
            name: float(
                np.mean([run.baselines[name] for run in self.runs if name in run.baselines])
            )
            for name in names
        }


def group_runs(runs: Sequence[tuple[str | None, RunCurve]]) -> list[CurveGroup]:
    """Groups in order of first appearance: runs with the same label, or (unlabelled) the same
    env and agent."""
    groups: dict[tuple[str, str], CurveGroup] = {}
    for label, run in runs:
        name = label or run.agent
        key = (run.env, name)
        if key not in groups:
            groups[key] = CurveGroup(label=name, env=run.env, runs=[])
        groups[key].runs.append(run)
    return list(groups.values())


def curve_charts(
    groups: Sequence[CurveGroup],
    colours: dict[str, str] | None = None,
    baselines: bool = True,
    metric: str = METRIC,
) -> list[tuple[str, str]]:
    """(env, SVG) pairs: for each env, return against env steps and against wall time, with
    the baselines of its runs as labelled horizontal lines."""
    colours = colours or entry_colours(
        [g.label for g in groups] + [n for g in groups for n in g.baselines()]
    )
    charts = []
    for env in dict.fromkeys(group.env for group in groups):
        chosen = [group for group in groups if group.env == env]
        lines: dict[str, float] = {}
        if baselines:
            for group in chosen:
                for name, value in group.baselines().items():
                    lines.setdefault(name, value)
        hlines = [RefLine(value, name, colours.get(name, "#555")) for name, value in lines.items()]
        for x, x_label in X_AXES.items():
            curves = []
            for group in chosen:
                grid, mean, low, high = group.aggregate(x)
                curves.append(
                    Curve(
                        name=group.label,
                        xs=grid.tolist(),
                        mean=mean.tolist(),
                        low=low.tolist(),
                        high=high.tolist(),
                        colour=colours.get(group.label, "#4e79a7"),
                        highlight=group.highlight,
                        seeds=len(group.runs),
                    )
                )
            y_label = "training episode return" if metric == METRIC else metric
            title = f"{env}: {y_label} vs {x_label} (mean over seeds, band: range)"
            charts.append((env, curve_chart(curves, title, x_label, y_label, hlines)))
    return charts


__all__ = [
    "GRID_POINTS",
    "METRIC",
    "X_AXES",
    "CurveGroup",
    "RunCurve",
    "curve_charts",
    "expand_runs",
    "group_runs",
    "read_run",
]
