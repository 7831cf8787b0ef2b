"""Where a result came from: the netgym version and the git commit of its source tree.

Training runs and leaderboard results record both, so that a number can be traced back to the
code that produced it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def netgym_version() -> str:
    """The installed netgym version (``0.0.0+unknown`` in a source tree without an install)."""
    from netgym import __version__

    return __version__


def git_commit(path: str | Path | None = None) -> str | None:
    """The commit of the git checkout holding ``path`` (default: netgym's own source tree).

    Args:
        path: a file or folder inside the checkout (default: this package's folder).

    Returns:
        The commit hash, with ``+dirty`` when tracked files have local changes; None when
        ``path`` is not in a git checkout or git is not available.
    """
    here = Path(__file__).resolve().parent if path is None else Path(path).resolve()
    if here.is_file():
        here = here.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


__all__ = ["git_commit", "netgym_version"]
