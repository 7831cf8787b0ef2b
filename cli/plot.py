"""``netgym plot``: learning curves of train.py run folders as SVG, HTML or PNG.

    netgym plot runs/netgym_AbrStreaming-v0/ppo                 # every seed-<S> below it
    netgym plot runs/netgym_AbrStreaming-v0/ppo/seed-0 runs/netgym_AbrStreaming-v0/dqn --out c.html
    netgym plot long=runs/a/seed-0 long=runs/a/seed-1 short=runs/b/seed-0 --out curves.png

For each env: the training episode return against env steps and against wall time, seeds of
one agent (or of one ``LABEL=``) aggregated as the mean and the range over seeds, and the env's
baselines (from the runs' ``eval.json``) as labelled horizontal lines
(``netgym.leaderboard.curves``). ``.svg`` writes one SVG, ``.html`` a self-contained page, and
``.png`` a screenshot of that page taken by a headless Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from .common import CliError

FORMATS = (".svg", ".html", ".png")


def add_command(commands: Any) -> None:
    """Add ``plot`` to ``commands`` (the sub-parsers of ``netgym``)."""
    parser = commands.add_parser(
        "plot",
        help="learning curves of train.py run folders (SVG, HTML or PNG)",
        description="Draw the training return of run folders against env steps and wall time, "
        "seeds aggregated (mean and range), the env's baselines as horizontal lines.",
    )
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="run folders (or folders holding them), each optionally as LABEL=FOLDER",
    )
    parser.add_argument(
        "--out", default="curves.svg", metavar="FILE", help="FILE.svg (default), .html or .png"
    )
    parser.add_argument(
        "--metric", default="episode_return", help="progress.csv column (default episode_return)"
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="leave the baselines' lines out"
    )
    parser.set_defaults(handler=run_command)


def _runs(items: list[str], metric: str) -> list[tuple[str | None, Any]]:
    from netgym.leaderboard.curves import expand_runs, read_run

    runs = []
    for item in items:
        label, sep, folder = item.partition("=")
        if not sep or Path(item).exists():
            label, folder = "", item
        for run in expand_runs(folder):
            runs.append((label or None, read_run(run, metric)))
    return runs


def run_command(args: argparse.Namespace) -> int:
    """Read the runs, draw and write ``--out``; print what was drawn."""
    from netgym.leaderboard.browser import html_page, screenshot, stack_svgs, svg_size
    from netgym.leaderboard.curves import curve_charts, group_runs

    out = Path(args.out)
    if out.suffix not in FORMATS:
        raise CliError(f"--out {out}: give a file ending in {', '.join(FORMATS)}")
    if out.is_dir():
        raise CliError(f"--out {out} is a folder; give the path of the file to write")
    groups = group_runs(_runs(args.runs, args.metric))
    charts = curve_charts(groups, baselines=not args.no_baselines, metric=args.metric)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".svg":
        out.write_text(stack_svgs([svg for _, svg in charts]), encoding="utf-8")
    else:
        envs = list(dict.fromkeys(env for env, _ in charts))
        body = "<h1>netgym learning curves</h1>" + "".join(
            f"<h2>{escape(env)}</h2>" + "".join(svg for e, svg in charts if e == env)
            for env in envs
        )
        page = html_page("netgym learning curves", body)
        height = 110 + 70 * len(envs) + sum(int(svg_size(svg)[1]) + 20 for _, svg in charts)
        if out.suffix == ".html":
            out.write_text(page, encoding="utf-8")
        else:
            with tempfile.TemporaryDirectory(prefix="netgym-plot-") as folder:
                source = Path(folder) / "curves.html"
                source.write_text(page, encoding="utf-8")
                screenshot(source, out, width=760, height=height)
    for group in groups:
        seeds = ", ".join(str(run.seed) for run in group.runs)
        last = [float(run.values[-1]) for run in group.runs]
        print(
            f"{group.label} on {group.env}: seeds {seeds}; last {args.metric} "
            f"{sum(last) / len(last):.4g} (range {min(last):.4g} .. {max(last):.4g})"
        )
    print(f"wrote {out}")
    return 0


__all__ = ["FORMATS", "add_command", "run_command"]
