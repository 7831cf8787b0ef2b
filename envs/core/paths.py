"""Checks of the data paths users pass to envs: an error that says what the path is.

``check_file`` and ``check_folder`` tell apart a path that does not exist
(``FileNotFoundError``) from one that exists but is the wrong kind of thing: a folder where a
file is expected, a file where a folder is, or a FIFO, socket or device, which would block or
stream forever if opened (``ValueError``). ``as_path`` refuses the empty string, which
``pathlib`` would silently read as the current folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any


def as_path(what: str, value: Any) -> Path:
    """``value`` (a str or ``os.PathLike``) as a ``Path``.

    Raises:
        ValueError: an empty or blank string (``Path('')`` means the current folder), or a
            value that is not a path.
    """
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str) and text.strip():
            return Path(text)
        if isinstance(text, str):
            raise ValueError(
                f"{what} is an empty path ({value!r}), which would mean the current folder; "
                "give the folder or file explicitly (use '.' for the current folder)"
            )
    raise ValueError(f"{what} must be a path (a str or os.PathLike), got {value!r}")


def kind_of(path: Path) -> str:
    """What ``path`` is: 'missing', 'file', 'folder', 'FIFO', 'socket', 'device' or 'special
    file' (symbolic links are followed)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as err:  # a broken link loop, a permission problem
        raise ValueError(f"{path} cannot be read: {err.strerror or err}") from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def check_file(what: str, path: Any) -> Path:
    """``path`` as a ``Path`` that is a regular file (``what`` names it: "trace file").

    Raises:
        FileNotFoundError: nothing is there.
        ValueError: an empty path, or a folder, FIFO, socket or device.
    """
    path = as_path(what, path)
    kind = kind_of(path)
    if kind == "missing":
        raise FileNotFoundError(f"{what} {path} does not exist")
    if kind != "file":
        raise ValueError(f"{what} {path} is a {kind}, not a regular file")
    return path


def check_folder(what: str, path: Any) -> Path:
    """``path`` as a ``Path`` that is a folder (``what`` names it: "video folder").

    Raises:
        FileNotFoundError: nothing is there.
        ValueError: an empty path, or a file, FIFO, socket or device.
    """
    path = as_path(what, path)
    kind = kind_of(path)
    if kind == "missing":
        raise FileNotFoundError(f"{what} {path} does not exist")
    if kind != "folder":
        raise ValueError(f"{what} {path} is a {kind}, not a folder")
    return path


__all__ = ["as_path", "check_file", "check_folder", "kind_of"]
