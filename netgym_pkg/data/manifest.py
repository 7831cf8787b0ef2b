"""The facts about the public data sets netgym uses, read from the packaged ``manifest.json``.

Each data set (``abr/fcc-test``, ``abr/video1``, ...) names its upstream repository, the pinned
commit, the folder in that repository, its licence and every file with its size and sha256.
netgym ships these facts, never the files: ``netgym data fetch`` downloads them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

MANIFEST_FORMAT = 1
"""the ``format`` of ``manifest.json`` this code reads"""


@dataclass(frozen=True)
class DataFile:
    """One file of a data set."""

    name: str
    """path relative to the data set's folder, '/'-separated (e.g. ``video_size_0``)"""
    size: int
    """bytes"""
    sha256: str
    """64 lowercase hex digits"""


@dataclass(frozen=True)
class Dataset:
    """One public data set: where it comes from and what its files are."""

    name: str
    """``<family>/<set>``, e.g. ``abr/fcc-test``; also its folder under the data root"""
    repo: str
    """upstream GitHub repository, ``owner/name``"""
    commit: str
    """the pinned upstream commit"""
    path: str
    """the data set's folder in the upstream repository"""
    licence: str
    """SPDX identifier of the upstream licence"""
    description: str
    files: tuple[DataFile, ...]
    """every file, sorted by name"""
    url_template: str
    """``{repo}``, ``{commit}``, ``{path}`` and ``{file}`` give a file's upstream URL"""

    @property
    def size(self) -> int:
        """Total bytes of the files."""
        return sum(f.size for f in self.files)

    @property
    def family(self) -> str:
        """The part before the ``/`` (``abr``)."""
        return self.name.split("/", 1)[0]

    @property
    def short_name(self) -> str:
        """The part after the ``/`` (``fcc-test``)."""
        return self.name.split("/", 1)[1]

    @property
    def source(self) -> str:
        """The upstream folder as a web address at the pinned commit."""
        return f"https://github.com/{self.repo}/tree/{self.commit}/{self.path}"

    def file(self, name: str) -> DataFile:
        """The entry of file ``name``.

        Raises:
            KeyError: the data set has no such file.
        """
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(f"data set {self.name} has no file {name!r}")

    def url(self, file: DataFile, mirror: str | None = None) -> str:
        """Where ``file`` is downloaded from: ``<mirror>/<name>/<file>``, else upstream."""
        quoted = quote(file.name, safe="/")
        if mirror:
            return f"{mirror.rstrip('/')}/{quote(self.name, safe='/')}/{quoted}"
        return self.url_template.format(
            repo=self.repo, commit=self.commit, path=quote(self.path, safe="/"), file=quoted
        )

    def identity(self) -> str:
        """sha256 over the name and checksum of every file: the data set's identity."""
        return files_identity((self.name, f.name, f.sha256) for f in self.files)


def files_identity(entries: Any) -> str:
    """sha256 of the sorted ``(data set, file, sha256)`` triples ``entries``.

    The identity of a set of files by their content: where they lie and files beside them do
    not count, a changed byte does.
    """
    text = json.dumps(sorted([list(entry) for entry in entries]), separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ManifestError(ValueError):
    """The manifest is malformed (the message names the data set and the field)."""


def _check_file_name(dataset: str, name: Any) -> str:
    """``name`` if it is a safe relative '/'-path (no '..', no absolute path, no hidden part)."""
    parts = PurePosixPath(name).parts if isinstance(name, str) else ()
    if (
        not parts
        or name.startswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
    ):
        raise ManifestError(f"manifest: data set {dataset} has an unsafe file name {name!r}")
    return name


def parse_manifest(payload: dict[str, Any]) -> dict[str, Dataset]:
    """The data sets of a manifest's JSON data, checked.

    Raises:
        ManifestError: an unknown format, a missing field, a bad size or checksum.
    """
    if payload.get("format") != MANIFEST_FORMAT:
        raise ManifestError(
            f"manifest: format {payload.get('format')!r} is not {MANIFEST_FORMAT}; upgrade netgym"
        )
    template = payload.get("url_template")
    if not isinstance(template, str):
        raise ManifestError("manifest: url_template must be a string")
    out = {}
    for name, entry in sorted(payload.get("datasets", {}).items()):
        if name.count("/") != 1 or not all(name.split("/")):
            raise ManifestError(f"manifest: data set name {name!r} is not '<family>/<set>'")
        try:
            files = []
            for file_name, facts in sorted(entry["files"].items()):
                size, digest = facts["bytes"], facts["sha256"]
                if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                    raise ManifestError(f"manifest: {name}/{file_name}: bad size {size!r}")
                if not (
                    isinstance(digest, str)
                    and len(digest) == 64
                    and all(c in "0123456789abcdef" for c in digest)
                ):
                    raise ManifestError(f"manifest: {name}/{file_name}: bad sha256 {digest!r}")
                files.append(DataFile(_check_file_name(name, file_name), size, digest))
            out[name] = Dataset(
                name=name,
                repo=str(entry["repo"]),
                commit=str(entry["commit"]),
                path=str(entry["path"]).strip("/"),
                licence=str(entry["licence"]),
                description=str(entry.get("description", "")),
                files=tuple(files),
                url_template=template,
            )
        except KeyError as err:
            raise ManifestError(f"manifest: data set {name} lacks the field {err}") from None
    return out


@lru_cache(maxsize=1)
def load_manifest() -> dict[str, Dataset]:
    """The packaged manifest's data sets, by name (read once)."""
    text = resources.files(__package__).joinpath("manifest.json").read_text(encoding="utf-8")
    return parse_manifest(json.loads(text))


def dataset_names() -> list[str]:
    """Every data set's full name, sorted."""
    return sorted(load_manifest())


def canonical_name(name: str) -> str | None:
    """The full name of data set ``name`` (``fcc-test`` or ``abr/fcc-test``), None if unknown.

    A short name is accepted when exactly one family has a data set of that name.
    """
    datasets = load_manifest()
    name = name.strip().rstrip("/")
    if name in datasets:
        return name
    matches = [full for full in datasets if full.split("/", 1)[1] == name]
    return matches[0] if len(matches) == 1 else None


def get_dataset(name: str) -> Dataset:
    """The data set ``name`` (full or short name).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    full = canonical_name(name)
    if full is None:
        raise ValueError(
            f"unknown data set {name!r}; known: {', '.join(dataset_names())} "
            "(see 'netgym data list')"
        )
    return load_manifest()[full]


__all__ = [
    "DataFile",
    "Dataset",
    "ManifestError",
    "canonical_name",
    "dataset_names",
    "files_identity",
    "get_dataset",
    "load_manifest",
    "parse_manifest",
]
