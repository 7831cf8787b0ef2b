"""The charts people read: round ticks, clipped bars marked at the edge, step-drawn profiles,
one colour per entry, the user's entries starred; ``netgym plot`` on run folders; SB3's own
CSV log in the run folder; report.html and ``netgym plot`` in a real (headless) browser."""

from __future__ import annotations

import math
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from netgym.cli.main import main
from netgym.leaderboard.browser import find_chromium
from netgym.leaderboard.svg import (
    RANDOM_COLOUR,
    Bar,
    RefLine,
    bar_chart,
    entry_colours,
    nice_ticks,
    tick_label,
)
from netgym.leaderboard.svg_plots import Series, profile_chart

ABR = "netgym/AbrStreaming-v0"
NO_BROWSER = "no headless Chromium (apt-get install chromium, or set NETGYM_CHROMIUM)"


# ---------------------------------------------------------------------------------- charts
@pytest.mark.parametrize(
    "low, high", [(-2.16, 1.3), (0.0, 1.0), (-20.0, 1.05), (3.1e4, 9.7e4), (0.981, 0.999)]
)
def test_ticks_are_round_multiples_of_1_2_or_5(low, high):
    ticks = nice_ticks(low, high)
    assert len(ticks) >= 2 and low - 1e-12 <= ticks[0] and ticks[-1] <= high + 1e-12
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1.0, 2.0, 2.5, 5.0))
    for tick in ticks:
        assert math.isclose(tick / step, round(tick / step), abs_tol=1e-6)
    labels = [tick_label(t, ticks) for t in ticks]
    assert all(len(label.split(".")[-1]) <= 3 or "." not in label for label in labels)


def test_the_odd_ticks_of_the_old_report_are_gone():
    labels = [tick_label(t, nice_ticks(-2.16, 0.6)) for t in nice_ticks(-2.16, 0.6)]
    assert labels == ["-2", "-1", "0"]


def test_a_bar_beyond_the_axis_stops_at_the_edge_with_an_arrow_and_its_value():
    bars = [Bar("bba", 0.76, 0.7, 0.8, "#111"), Bar("random", -20.0, -23.0, -17.5, "#222")]
    svg = bar_chart(bars, "t", "normalised score", clip=(-1.0, 2.0), width=640)
    xs = [float(v) for v in re.findall(r' (?:x|x1|x2|cx)="([-0-9.]+)"', svg)]
    assert min(xs) >= 0 and max(xs) <= 640
    arrows = re.findall(r'<path d="M([0-9.]+),[0-9.]+ L([0-9.]+),', svg)
    assert arrows and all(float(tip) < float(base) for base, tip in arrows)  # pointing left
    assert ">-20</text>" in svg  # the value written at the edge
    assert "random: -20 [-23, -17.5]" in svg  # and exact in the tooltip


def test_reference_lines_are_labelled_in_the_chart_not_only_in_tooltips():
    lines = [RefLine(0.0, "0: lowest (floor)"), RefLine(1.0, "1: mpc"), RefLine(-20.0, "random")]
    svg = bar_chart([Bar("bba", 0.8, 0.7, 0.9, "#111")], "t", "s", lines, clip=(-1.0, 2.0))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "0: lowest (floor)" in texts and "1: mpc" in texts
    assert "\u25c2 random -20" in texts  # off the axis: named at the edge with its value


def test_performance_profiles_are_drawn_as_steps():
    taus = [0.0, 0.5, 1.0, 1.5]
    svg = profile_chart(taus, [Series("bba", [1.0, 0.5, 0.5, 0.0], "#111")], "profiles")
    path = re.search(r'<path d="([^"]+)" fill="none"', svg).group(1)
    commands = re.findall(r"[MLHVZ]", path)
    assert commands[0] == "M" and set(commands[1:]) <= {"H", "V"}  # no slanted segment
    assert commands[1:] == ["H", "V", "H", "H", "V"]


def test_each_entry_keeps_one_colour_and_random_is_always_grey():
    first = entry_colours(["bba", "random", "mpc", "bba"])
    second = entry_colours(["random", "bba", "mpc"])
    assert first == second and first["random"] == RANDOM_COLOUR
    assert len(set(first.values())) == 3


def test_the_users_entry_is_starred_bold_and_outlined():
    svg = bar_chart(
        [Bar("mine", 0.9, 0.8, 1.0, "#111", highlight=True), Bar("bba", 0.7, 0.6, 0.8, "#222")],
        "t",
        "s",
    )
    assert 'font-weight="bold">\u2605 mine</text>' in svg
    assert ">bba</text>" in svg and "\u2605 bba" not in svg
    assert svg.count('stroke-width="2"/>') == 1


# ---------------------------------------------------------------------------------- plot
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seeds of a short Q-learning run on ABR with the bba and lowest baselines."""
    from netgym.cli.train import main as train_main

    root = tmp_path_factory.mktemp("plot") / "qlearning"
    for seed in (0, 1):
        args = ["--env", ABR, "--agent", "qlearning", "--timesteps", "3000", "--seed", str(seed)]
        args += ["--out", str(root / f"seed-{seed}"), "--eval-episodes", "1", "--no-progress"]
        assert train_main(args + ["--eval-baselines", "bba,lowest"]) == 0
    return root


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


def test_netgym_plot_draws_seeds_aggregated_with_the_baselines_as_lines(runs, tmp_path, capsys):
    out = tmp_path / "curves.svg"
    assert main(["plot", str(runs), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"qlearning on {ABR}: seeds 0, 1" in printed and f"wrote {out}" in printed
    svg = out.read_text()
    assert svg.startswith("<svg") and svg.count("<svg") == 3  # the stack: steps and wall time
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert any(t.startswith("bba") for t in texts) and any(t.startswith("lowest") for t in texts)
    assert "env steps" in " ".join(texts)
    assert 'fill-opacity="0.' in svg  # the band over the seeds


def test_netgym_plot_html_is_self_contained_and_labels_rename_groups(runs, tmp_path, capsys):
    out = tmp_path / "curves.html"
    argv = ["plot", f"short={runs / 'seed-0'}", f"short={runs / 'seed-1'}", "--out", str(out)]
    assert main(argv + ["--no-baselines"]) == 0
    assert f"short on {ABR}: seeds 0, 1" in capsys.readouterr().out
    text = out.read_text()
    parser = _Tags()
    parser.feed(text)
    assert {"script", "link", "img", "iframe"}.isdisjoint(parser.tags)
    assert "http" not in text and "lowest" not in text
    assert text.count("<h2>") == 1 and text.count("<svg") == 2  # one env: its two charts


def test_netgym_plot_refuses_unknown_formats_missing_runs_and_metrics(runs, tmp_path, capsys):
    assert main(["plot", str(runs), "--out", str(tmp_path / "c.pdf")]) == 2
    assert "give a file ending in .svg, .html, .png" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "nothing"), "--out", str(tmp_path / "c.svg")]) != 0
    assert "does not exist" in capsys.readouterr().err
    assert main(["plot", str(runs), "--metric", "nope", "--out", str(tmp_path / "c.svg")]) != 0
    assert "no column 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- SB3 log
def test_sb3_log_is_written_to_the_run_folder_and_a_resume_keeps_earlier_rows(tmp_path):
    import csv

    from netgym.agents.sb3_logger import STEPS_COLUMN, run_logger

    logger = run_logger(tmp_path, "ppo", steps_done=0)
    for steps in (64, 128, 192):
        logger.record(STEPS_COLUMN, steps)
        logger.record("train/approx_kl", steps / 1000)
        logger.dump(steps)
    logger.close()
    path = tmp_path / "sb3" / "progress.csv"
    with path.open(newline="") as file:
        assert [row[STEPS_COLUMN] for row in csv.DictReader(file)] == ["64", "128", "192"]
    again = run_logger(tmp_path, "ppo", steps_done=128)  # resumed from the 128-step checkpoint
    again.record(STEPS_COLUMN, 160)
    again.record("train/approx_kl", 0.5)
    again.dump(160)
    again.close()
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row[STEPS_COLUMN] for row in rows] == ["64", "128", "160"]
    assert rows[-1]["train/approx_kl"] == "0.5"


# ---------------------------------------------------------------------------------- browser
def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def report(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of abr-synthetic-quick (2 episodes) with the two Q-learning seeds as a
    run-folder entry of the user's, bba and the anchors."""
    from netgym.leaderboard import get_protocol
    from netgym.leaderboard.board import run_leaderboard
    from netgym.leaderboard.entries import parse_entry
    from netgym.leaderboard.report import write_reports

    out = tmp_path_factory.mktemp("report")
    protocol = get_protocol("abr-synthetic-quick").with_episodes(2)
    entries = [parse_entry(f"mine={runs / f'seed-{seed}'}") for seed in (0, 1)]
    board = run_leaderboard([protocol], entries, policies=["bba"], suite_reps=50)
    write_reports(board, out)
    return out / "report.html"


def test_the_report_has_a_family_section_the_users_entry_starred_and_its_curves(report):
    text = report.read_text()
    from netgym.leaderboard.board import family_title

    assert re.findall(r"<h2>([^<]*)</h2>", text)[:2] == ["Suite", family_title(ABR)]
    assert "\u2605 mine (seed 0)" in text and "\u2605 mine (seed 1)" in text  # starred
    assert "\u2605 bba" not in text
    assert f"Learning curves on {ABR}" in text  # the run-folder entry's training curves
    assert "0: lowest (floor)" in text and "1: mpc" in text  # labelled anchor lines
    assert ">random" in text  # random beside the floor, drawn and labelled
    parser = _Tags()
    parser.feed(text)
    assert {"script", "link", "img", "iframe"}.isdisjoint(parser.tags)
    assert "http" not in text


@pytest.mark.skipif(find_chromium() is None, reason=NO_BROWSER)
def test_report_html_renders_in_headless_chromium(report, tmp_path):
    from netgym.leaderboard.browser import screenshot

    png = screenshot(report, tmp_path / "report.png", width=1100, height=2400)
    assert _png_size(png) == (1100, 2400)
    assert png.stat().st_size > 20_000  # charts drawn, not a blank page


@pytest.mark.skipif(find_chromium() is None, reason=NO_BROWSER)
def test_netgym_plot_writes_a_png_through_headless_chromium(runs, tmp_path):
    out = tmp_path / "curves.png"
    assert main(["plot", str(runs), "--out", str(tmp_path / "c.svg")]) == 0
    assert main(["plot", str(runs), "--out", str(out)]) == 0
    width, height = _png_size(out)
    charts = re.findall(r'<svg[^>]*height="([0-9.]+)"', (tmp_path / "c.svg").read_text())[1:]
    assert width == 760 and height >= sum(float(h) for h in charts)  # both charts, whole
    assert out.stat().st_size > 10_000
