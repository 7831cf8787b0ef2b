"""Pages into pictures: stacking SVG charts, a self-contained HTML page, and a PNG screenshot
taken by a headless Chromium (the real browser people read the reports in).

Chromium is not a Python dependency: ``find_chromium`` looks for Debian's ``chromium`` (or
``chromium-browser``, ``google-chrome``) on the PATH, or takes ``$NETGYM_CHROMIUM``; without one,
``screenshot`` raises ``FileNotFoundError`` saying how to get it. The browser runs with no
network (``--no-proxy-server`` and a blocking host resolver), on a page that loads nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""executables tried in turn (after ``$NETGYM_CHROMIUM``)"""
SCREENSHOT_TIMEOUT_S = 120
"""the longest a screenshot may take"""
_SIZE = re.compile(r'<svg[^>]*?width="([0-9.]+)"[^>]*?height="([0-9.]+)"')

PAGE_CSS = (
    "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}"
    "h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #ccc;padding-bottom:2px;"
    "margin-top:2em}h3{font-size:1.1em;margin-top:1.6em}p.note{color:#555;font-size:0.9em}"
    "svg{display:block;margin:0.6em 0;max-width:100%;height:auto}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "font-size:12px;text-align:right}th{background:#eee}td:first-child{text-align:left}"
    ".row{display:flex;flex-wrap:wrap;gap:0 1em}"
)
"""the style of every page netgym writes (inline: the page loads nothing)"""


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) of an ``<svg>`` written by ``netgym.leaderboard.svg``."""
    match = _SIZE.search(svg)
    if match is None:
        raise ValueError("not an SVG chart with a width and a height")
    return float(match.group(1)), float(match.group(2))


def stack_svgs(svgs: Sequence[str], gap: int = 12) -> str:
    """One SVG document holding ``svgs`` one below the other."""
    sizes = [svg_size(svg) for svg in svgs]
    width = max(w for w, _ in sizes)
    height = sum(h for _, h in sizes) + gap * (len(svgs) - 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" style="background:#fff">'
    ]
    y = 0.0
    for svg, (_, h) in zip(svgs, sizes, strict=True):
        parts.append(svg.replace("<svg ", f'<svg x="0" y="{y:.0f}" ', 1))
        y += h + gap
    parts.append("</svg>")
    return "".join(parts) + "\n"


SVG_NAMESPACE = ' xmlns="http://www.w3.org/2000/svg"'
"""what a standalone .svg file declares; inline SVG in HTML needs no namespace"""


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page: inline CSS, no script, nothing loaded from anywhere (the
    inline charts lose their namespace declaration, so the page names no URL at all)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{PAGE_CSS}</style></head>"
        f"<body>{body.replace(SVG_NAMESPACE, '')}</body></html>\n"
    )


def find_chromium() -> str | None:
    """The headless-capable Chromium to use: ``$NETGYM_CHROMIUM`` or one of ``BROWSERS``."""
    given = os.environ.get("NETGYM_CHROMIUM")
    if given:
        return given if shutil.which(given) or Path(given).is_file() else None
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(page: str | Path, png: str | Path, width: int = 1200, height: int = 900) -> Path:
    """Render the HTML or SVG file ``page`` in headless Chromium and save a PNG of
    ``width`` x ``height`` pixels to ``png``.

    Raises:
        FileNotFoundError: no Chromium (the message says how to install one) or no ``page``.
        RuntimeError: Chromium failed or wrote no picture (its output is in the message).
    """
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError(
            "a PNG needs a headless Chromium and none was found (apt-get install chromium, or "
            "set NETGYM_CHROMIUM to its path); write .svg or .html instead"
        )
    source = Path(page).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"no page to screenshot at {source}")
    target = Path(png).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="netgym-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-proxy-server",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={target}",
            source.as_uri(),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=SCREENSHOT_TIMEOUT_S, check=False
        )
    if done.returncode != 0 or not target.is_file():
        raise RuntimeError(
            f"{browser} did not write {target} (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-600:]}"
        )
    return target


__all__ = [
    "BROWSERS",
    "PAGE_CSS",
    "find_chromium",
    "html_page",
    "screenshot",
    "stack_svgs",
    "svg_size",
]
