"""``report.html``: the leaderboard as one self-contained page a person can read.

Layout: a note on how to read the charts; the **suite**, restricted to the entries that ran on
two tasks or more (a single task says nothing about a suite), then the IQM of every entry
within each family; then **one section per family** and, inside it, per protocol: the
normalised scores, the raw scores in the protocol's own units, the per-episode distribution,
the learning curves of the run-folder entries that play its env and, for the ABR protocols,
per-trace timelines of the reference policy; last, the full table and the probabilities of
improvement. Every chart is inline SVG (``svg``, ``svg_plots``); the page has no script and
loads nothing. One colour per entry across every chart; the user's entries (run folders,
policy classes, SB3 models) are starred, bold and outlined.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from html import escape

from .board import PROFILE_TAUS, Leaderboard, SuiteScore, family_title
from .browser import html_page
from .protocols import Protocol
from .runner import Row
from .svg import Bar, RefLine, bar_chart, entry_colours, value_label
from .svg_plots import Series, Strip, profile_chart, strip_chart

logger = logging.getLogger(__name__)

NORMALISED_CLIP = (-1.0, 2.0)
"""axis range of the normalised charts; what lies beyond is marked at the edge"""
ANCHOR_COLOURS = {"zero": "#555", "reference": "#1a7f37", "oracle": "#8250df", "bound": "#8250df"}

HOW_TO_READ = (
    "<p class='note'>How to read: each entry has one colour in every chart; "
    "<b>\u2605 starred, bold, outlined</b> entries are yours (run folders, policy classes, "
    "SB3 models), the others netgym's baselines. Normalised score: the protocol's 0 anchor "
    "(the random policy, or a floor where random is catastrophic) = 0, its reference baseline "
    "= 1. Dashed lines are labelled at their top; a bar or interval that leaves the axis stops "
    "at its edge with an arrowhead and its value written there (hover for exact values). "
    "Whiskers and intervals are 95% bootstrap CIs.</p>"
)


def _label(row: Row) -> str:
    return row.entry if row.train_seed is None else f"{row.entry} (seed {row.train_seed})"


def _anchor_lines(
    protocol: Protocol, raw: dict[str, float | None], normalised: bool
) -> list[RefLine]:
    """The labelled lines of a protocol's chart: 0 and 1 anchors, oracle, bound, random."""
    a = protocol.anchors
    zero, one = raw.get("random"), raw.get("reference")
    if zero is None or one is None or one == zero:
        return []

    def place(value: float) -> float:
        return (value - zero) / (one - zero) if normalised else value

    zero_name = f"0: {a.random}" if normalised else a.random
    lines = [
        RefLine(place(zero), zero_name + (" (floor)" if a.floor else ""), ANCHOR_COLOURS["zero"]),
        RefLine(
            place(one),
            f"1: {a.reference}" if normalised else a.reference,
            ANCHOR_COLOURS["reference"],
        ),
    ]
    if raw.get("oracle") is not None:
        name = "oracle" if a.oracle == "oracle" else f"oracle: {a.oracle}"
        lines.append(RefLine(place(raw["oracle"]), name, ANCHOR_COLOURS["oracle"]))
    if a.bound is not None:
        lines.append(RefLine(place(a.bound), "bound", ANCHOR_COLOURS["bound"], "2 2"))
    if a.floor and raw.get("random_policy") is not None:
        lines.append(RefLine(place(raw["random_policy"]), "random", "#9d9d9d", "2 3"))
    return lines


def _raw_anchors(board: Leaderboard, protocol: Protocol) -> dict[str, float | None]:
    raw = dict(board.anchors(protocol))
    raw["random_policy"] = next(
        (
            row.mean
            for row in board.rows
            if row.protocol == protocol.name and row.kind == "baseline" and row.entry == "random"
        ),
        None,
    )
    return raw


def _raw_clip(raw: dict[str, float | None]) -> tuple[float, float] | None:
    """The raw-score window matching ``NORMALISED_CLIP`` (None without both anchors)."""
    zero, one = raw.get("random"), raw.get("reference")
    if zero is None or one is None:
        return None
    ends = [zero + c * (one - zero) for c in NORMALISED_CLIP]
    return min(ends), max(ends)


def protocol_section(
    board: Leaderboard, protocol: Protocol, colours: dict[str, str], user: set[str]
) -> str:
    """The charts of one protocol: normalised, raw, per episode, timelines."""
    rows = [row for row in board.rows if row.protocol == protocol.name]
    raw = _raw_anchors(board, protocol)
    a = protocol.anchors
    anchors_text = (
        f"0 = {a.random}{' (' + a.note + ')' if a.floor and a.note else ''}; "
        f"1 = {a.reference}"
        + (f"; oracle: {a.oracle}" if a.oracle else "")
        + (f"; bound {value_label(a.bound)} ({a.bound_note})" if a.bound is not None else "")
    )
    metric = "return" if protocol.metric == "mean" else "mean reward per step"
    parts = [
        f"<h3 id='{escape(protocol.name)}'>{escape(protocol.label)}</h3>",
        f"<p>{escape(protocol.description)}</p>",
        f"<p class='note'>Score: {metric} per episode. Anchors: {escape(anchors_text)}.</p>",
    ]
    normalised = [
        Bar(
            _label(row),
            row.normalised,
            row.normalised_ci_low,
            row.normalised_ci_high,
            colours[row.entry],
            row.entry in user,
            f"(raw {value_label(row.mean)})",
        )
        for row in rows
    ]
    parts.append(
        bar_chart(
            normalised,
            f"{protocol.name}: normalised score, 95% CI",
            f"normalised score (0 = {a.random}, 1 = {a.reference})",
            _anchor_lines(protocol, raw, True),
            NORMALISED_CLIP,
        )
    )
    raw_bars = [
        Bar(_label(row), row.mean, row.ci_low, row.ci_high, colours[row.entry], row.entry in user)
        for row in rows
    ]
    clip = _raw_clip(raw)
    raw_lines = _anchor_lines(protocol, raw, False)
    parts.append(
        bar_chart(
            raw_bars, f"{protocol.name}: raw score, 95% CI", metric, raw_lines, clip, points=True
        )
    )
    strips = [
        Strip(_label(row), row.scores, colours[row.entry], row.entry in user)
        for row in rows
        if row.scores
    ]
    if strips:
        parts.append(
            strip_chart(
                strips,
                f"{protocol.name}: score of each episode (box: quartiles, tick: median)",
                metric,
                raw_lines,
                clip,
            )
        )
    timelines = board.timelines.get(protocol.label) or []
    if timelines:
        from .timeline import timeline_chart

        parts.append(
            f"<p class='note'>The reference policy ({escape(a.reference)}) trace by trace: "
            "the best, median, first-quartile and worst traces of its first seed block.</p>"
            "<div class='row'>" + "".join(timeline_chart(t) for t in timelines) + "</div>"
        )
    return "".join(parts)


def _suite_bars(scores: Sequence[SuiteScore], colours: dict[str, str], user: set[str]) -> list[Bar]:
    return [
        Bar(
            s.entry,
            s.iqm,
            s.ci_low,
            s.ci_high,
            colours[s.entry],
            s.entry in user,
            f"({len(s.tasks)} tasks, {s.runs} runs)",
        )
        for s in scores
    ]


def _suite_lines() -> list[RefLine]:
    return [RefLine(0.0, "0 anchors", "#555"), RefLine(1.0, "1: references", "#1a7f37")]


def suite_charts(
    scores: Sequence[SuiteScore], title: str, colours: dict[str, str], user: set[str]
) -> str:
    """The IQM bars and the step-drawn performance profiles of ``scores``."""
    if not scores:
        return ""
    bars = bar_chart(
        _suite_bars(scores, colours, user),
        f"{title}: IQM of normalised scores, 95% stratified bootstrap CI",
        "IQM of normalised scores",
        _suite_lines(),
        NORMALISED_CLIP,
    )
    series = [
        Series(s.entry, s.profile, colours[s.entry], s.entry in user) for s in list(scores)[:12]
    ]
    profile = profile_chart(
        PROFILE_TAUS,
        series,
        f"{title}: performance profiles" + (" (12 best by IQM)" if len(scores) > 12 else ""),
        lines=_suite_lines(),
    )
    return bars + profile


def _curves_section(board: Leaderboard, env_id: str, colours: dict[str, str]) -> str:
    """Learning curves of the run-folder entries that play ``env_id`` (none: empty)."""
    from .curves import curve_charts, group_runs, read_run

    playing = {row.entry for row in board.rows if row.env_id == env_id and row.kind == "run"}
    runs = []
    for name in playing:
        for folder in board.run_folders.get(name, []):
            try:
                runs.append((name, read_run(folder)))
            except (OSError, ValueError) as err:
                logger.info("no learning curve for entry %s (%s): %s", name, folder, err)
    if not runs:
        return ""
    charts = curve_charts(group_runs(runs), colours)
    return (
        f"<h3>Learning curves on {escape(env_id)}</h3><p class='note'>Training return of the "
        "run-folder entries (mean over seeds, band: range over seeds); dashed lines: the "
        "baselines' mean return on the runs' held-out evaluation seeds.</p>"
        + "".join(svg for _, svg in charts)
    )


def family_sections(board: Leaderboard, colours: dict[str, str], user: set[str]) -> str:
    """One section per family: its suite, then its protocols and learning curves."""
    parts = []
    families: dict[str, list[Protocol]] = {}
    for protocol in board.protocols:
        families.setdefault(family_title(protocol.env_id), []).append(protocol)
    for title, protocols in families.items():
        parts.append(f"<h2>{escape(title)}</h2>")
        scores = [s for s in board.family_suite.get(title, []) if len(s.tasks) >= 2]
        if len(scores) >= 2:  # an IQM over one task ranks nothing that the task does not
            parts.append(
                "<p class='note'>The entries on two of this family's tasks or more: IQM over "
                "those tasks.</p>"
                + suite_charts(scores, f"{title} (two tasks or more)", colours, user)
            )
        for protocol in protocols:
            parts.append(protocol_section(board, protocol, colours, user))
        for env_id in dict.fromkeys(p.env_id for p in protocols):
            parts.append(_curves_section(board, env_id, colours))
    return "".join(parts)


def html(board: Leaderboard, tables: str) -> str:
    """The text of report.html; ``tables`` is the HTML of the full table and the
    probabilities of improvement (``report``)."""
    names = [row.entry for row in board.rows]
    colours = entry_colours(names + list(board.run_folders))
    user = {row.entry for row in board.rows if row.kind != "baseline"}
    wide = [score for score in board.suite if len(score.tasks) >= 2]
    if wide:
        suite = suite_charts(wide, "Suite (entries on two tasks or more)", colours, user)
    else:
        suite = (
            "<p>No entry ran on two tasks or more, so there is no suite ranking across "
            "families: compare entries within each family below.</p>"
        )
    env = board.environment
    body = (
        "<h1>netgym leaderboard</h1>"
        f"<p>netgym {escape(str(env['netgym_version']))}, commit "
        f"{escape(str(env['git_commit']))}, python {escape(env['python'])}; "
        f"{len(board.rows)} rows, {len(board.protocols)} protocols, in {board.wall_s:.1f} s.</p>"
        + HOW_TO_READ
        + "<h2>Suite</h2><p class='note'>IQM over every run x task of the entries that ran on "
        "two tasks or more; baselines mostly belong to one family and are ranked in its "
        "section, with the IQM over that family's tasks where it has two protocols or "
        "more.</p>" + suite + family_sections(board, colours, user) + tables
    )
    return html_page("netgym leaderboard", body)


__all__ = ["HOW_TO_READ", "NORMALISED_CLIP", "family_sections", "html", "protocol_section"]
