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


def check_regular_file(path: str | os.PathLike, what: str, expected: str = "a file") -> Path:
    """``path`` as a ``Path`` if it names a regular file: the check of the file readers that
    inspect a file before parsing it (GML topologies, ``.npz`` traces); ``expected`` ends the
    message ("give the path of ...").

    Raises:
        FileNotFoundError: nothing exists at ``path``.
        ValueError: an empty path, or one that exists but is a directory, a FIFO, a device or
            a socket (never opened: reading a FIFO would block).
    """
    if not str(path).strip():  # Path("") is ".", the current folder
        raise ValueError(f"{what} path is empty; give the path of a file")
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist") from None
    except OSError as err:
        raise ValueError(f"{what} {path} cannot be read ({err.strerror})") from None
    if stat.S_ISREG(mode):
        return path
    kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
    if stat.S_ISFIFO(mode):
        kind = "a FIFO (named pipe), not a regular file"
    raise ValueError(f"{what} {path} is {kind}; give the path of {expected}")


__all__ = ["as_path", "check_file", "check_folder", "check_regular_file", "kind_of"]
