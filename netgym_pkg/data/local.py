"""Where the data sets lie on this machine, and whether their files are the published ones.

The data root is ``root`` when given (``--root``), else ``$NETGYM_DATA``, else the user cache
``$XDG_CACHE_HOME/netgym/data`` (``~/.cache/netgym/data``); data set ``abr/fcc-test`` lies in
``<root>/abr/fcc-test/``. Files are checked against the manifest's size and sha256; hashes are
cached per (path, modification time, size), so checking a data set again costs a ``stat`` per
file.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .manifest import Dataset, get_dataset

ROOT_ENV = "NETGYM_DATA"
"""environment variable naming the data root"""
MIRROR_ENV = "NETGYM_DATA_MIRROR"
"""environment variable naming a mirror for ``netgym data fetch``"""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root``, else ``$NETGYM_DATA``, else ``$XDG_CACHE_HOME/netgym/data``
    (``~/.cache/netgym/data``), as an absolute path (it need not exist)."""
    if root is None or str(root) == "":
        root = os.environ.get(ROOT_ENV) or None
    if root is None:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(cache) / "netgym" / "data"
    return Path(root).expanduser().absolute()


def root_origin(root: str | os.PathLike | None = None) -> str:
    """Where ``data_root(root)`` came from, for messages."""
    if root is not None and str(root) != "":
        return "--root"
    if os.environ.get(ROOT_ENV):
        return f"${ROOT_ENV}"
    return "the default user cache; set $NETGYM_DATA or --root to use another"


def dataset_folder(name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of data set ``name`` under the data root (it need not exist).

    Raises:
        ValueError: an unknown data set.
    """
    return data_root(root) / get_dataset(name).name


def fetch_command(names: Iterable[str], root: str | os.PathLike | None = None) -> str:
    """The ``netgym data fetch`` command line that gets the data sets ``names`` into the root
    (with ``--root`` when one was given explicitly)."""
    parts = ["netgym", "data", "fetch", *(get_dataset(n).name for n in names)]
    if root is not None and str(root) != "":
        parts += ["--root", str(data_root(root))]
    return shlex.join(parts)


# ---------------------------------------------------------------------------------- checking
@dataclass(frozen=True)
class Problem:
    """A file of a data set that is not the published one."""

    dataset: str
    file: str
    path: Path
    reason: str
    """'missing', 'size N, expected M' or 'sha256 X, expected Y'"""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes (cached by resolved path, modification time and size)."""
    path = Path(path)
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_files(
    dataset: Dataset | str, folder: str | os.PathLike, checksums: bool = True
) -> list[Problem]:
    """The files of ``dataset`` in ``folder`` that are missing or differ from the manifest.

    Args:
        dataset: the data set (or its name).
        folder: the folder holding its files.
        checksums: compare sha256 too (False: only presence and size, a ``stat`` per file).

    Returns:
        One ``Problem`` per bad file, in file order; empty when every file is the published
        one. Files in ``folder`` that the manifest does not list are ignored.
    """
    if isinstance(dataset, str):
        dataset = get_dataset(dataset)
    folder = Path(folder)
    problems = []
    for entry in dataset.files:
        path = folder / entry.name
        if not path.is_file():
            problems.append(Problem(dataset.name, entry.name, path, "missing"))
            continue
        size = path.stat().st_size
        if size != entry.size:
            reason = f"size {size} bytes, expected {entry.size}"
            problems.append(Problem(dataset.name, entry.name, path, reason))
            continue
        if checksums:
            actual = file_sha256(path)
            if actual != entry.sha256:
                reason = f"sha256 {actual}, expected {entry.sha256}"
                problems.append(Problem(dataset.name, entry.name, path, reason))
    return problems


def verify(
    names: Sequence[str] | None = None, root: str | os.PathLike | None = None
) -> dict[str, list[Problem]]:
    """Check every file of the data sets ``names`` (default: every data set with a folder
    under the root) against the manifest.

    Returns:
        data set name -> its problems (an empty list: every file is the published one).
    """
    from .manifest import dataset_names

    if names is None:
        names = [n for n in dataset_names() if dataset_folder(n, root).is_dir()]
    return {
        get_dataset(n).name: check_files(get_dataset(n), dataset_folder(n, root)) for n in names
    }


def fetched(dataset: Dataset | str, root: str | os.PathLike | None = None) -> tuple[int, int]:
    """(files present with the manifest's size, files of the data set) under the root."""
    if isinstance(dataset, str):
        dataset = get_dataset(dataset)
    problems = check_files(dataset, data_root(root) / dataset.name, checksums=False)
    return len(dataset.files) - len(problems), len(dataset.files)


class DataMissingError(FileNotFoundError):
    """A data set is not (completely) under the data root; the message gives the command that
    fetches it."""


class DataChecksumError(ValueError):
    """A data set's file differs from the published one; the message names it."""


def require(
    names: Sequence[str],
    root: str | os.PathLike | None = None,
    checksums: bool = False,
    purpose: str = "",
) -> dict[str, Path]:
    """The folders of the data sets ``names`` under the data root, checked to hold every file.

    Args:
        names: data set names (full or short).
        root: the data root (None: ``$NETGYM_DATA`` or the user cache).
        checksums: verify each file's sha256 too (False: presence and size).
        purpose: who needs them, for the message (e.g. ``"protocol 'fcc100'"``).

    Returns:
        data set name -> its folder.

    Raises:
        DataMissingError: a data set is missing or incomplete; the message gives the
            ``netgym data fetch`` command.
        DataChecksumError: a file differs from the published one (with ``checksums``).
    """
    datasets = [get_dataset(name) for name in names]
    folders = {d.name: data_root(root) / d.name for d in datasets}
    who = f"{purpose} needs" if purpose else "needs"
    missing = []
    for dataset in datasets:
        problems = check_files(dataset, folders[dataset.name], checksums=checksums)
        absent = [p for p in problems if p.reason == "missing"]
        if absent:
            missing.append(f"{dataset.name} ({len(absent)} of {len(dataset.files)} files missing)")
        elif problems:
            raise DataChecksumError(
                f"{who} data set {dataset.name}, but {problems[0]}"
                + (f" (and {len(problems) - 1} more files)" if len(problems) > 1 else "")
                + f": run `{fetch_command([dataset.name], root)}` to repair it"
            )
    if missing:
        sets = "the data set" if len(missing) == 1 else "the data sets"
        raise DataMissingError(
            f"{who} {sets} {', '.join(missing)} under the data root {data_root(root)} "
            f"(from {root_origin(root)}): run `{fetch_command([d.name for d in datasets], root)}`"
        )
    return folders


def resolve_folder(value: str, purpose: str = "") -> Path | None:
    """The folder of data set ``value`` under the data root when ``value`` names a data set
    (``fcc-test`` or ``abr/fcc-test``) and is not an existing path; None otherwise.

    Args:
        value: a data set name or a path.
        purpose: who needs it, for the message (e.g. ``"AbrParams.traces='fcc-test'"``).

    Raises:
        DataMissingError: ``value`` names a data set that is not completely under the root.
    """
    from .manifest import canonical_name

    name = canonical_name(value) if isinstance(value, str) else None
    if name is None or Path(value).exists():
        return None
    return require([name], purpose=purpose)[name]


__all__ = [
    "MIRROR_ENV",
    "ROOT_ENV",
    "DataChecksumError",
    "DataMissingError",
    "Problem",
    "check_files",
    "data_root",
    "dataset_folder",
    "fetch_command",
    "fetched",
    "file_sha256",
    "require",
    "resolve_folder",
    "root_origin",
    "verify",
]
