"""Reading a submission's files without trusting them: the zip, its JSON and its arrays.

Everything here is checked before it is read into memory, with limits that a genuine submission
stays far below (``docs/leaderboard.md``, "Submissions"):

* the zip's central directory first: member count, names (no absolute paths, ``..``,
  backslashes, drive letters or unexpected files), compression methods, encryption, and the
  declared size of every member and of all together; then each member is streamed in chunks
  and counted, so a member that inflates beyond what the directory declares is cut off, never
  held whole (a zip bomb is rejected without inflating it);
* JSON: UTF-8, no duplicate keys, no ``NaN`` / ``Infinity``, nesting at most
  ``MAX_JSON_DEPTH`` deep;
* ``.npz`` arrays (which are zips themselves): the same directory checks, and each ``.npy``
  header's dtype (no objects, so nothing unpickles) and shape checked against the member's
  size, because numpy allocates an array of the header's shape before it reads the data;
* ``policy.pt``: a torch zip whose records must be stored uncompressed within the caps (it is
  read with ``torch.load(weights_only=True)``).

A violation raises ``SubmissionError`` whose message is one line naming the file and the field.
"""

from __future__ import annotations

import io
import json
import math
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import numpy as np

MAX_ZIP_BYTES = 256 * 2**20
"""the largest submission file accepted (256 MiB)"""
MAX_MEMBERS = 32
"""the most members a submission zip may list"""
MAX_JSON_BYTES = 16 * 2**20
"""the largest ``manifest.json`` or ``results.json`` (16 MiB)"""
MAX_POLICY_BYTES = 192 * 2**20
"""the largest policy file (192 MiB: a 10,000,000-cell float64 Q-table is 80 MB)"""
MAX_TOTAL_BYTES = 256 * 2**20
"""the most bytes all members may inflate to together (256 MiB)"""
MAX_DIRECTORY_BYTES = 2**20
"""the largest central directory a zip may have (1 MiB; 32 entries need a few kB): checked
from the end record before ``zipfile`` parses the directory, which it would do entry by entry
whatever count the end record states"""
MAX_JSON_DEPTH = 32
"""the deepest nesting of lists and objects in a JSON file"""
MAX_ARRAY_MEMBERS = 256
"""the most arrays an ``.npz`` file (or records a ``policy.pt``) may hold"""
CHUNK_BYTES = 2**20
"""members are inflated in chunks of this size, counted as they come"""
SAFE_SUFFIXES = (".json", ".npz", ".safetensors", ".pt")
"""the only policy files a submission may hold (.pt: read with torch.load(weights_only=True))"""
TOP_LEVEL = ("manifest.json", "results.json")
"""the members besides ``policy/<file>``"""
_POLICY_NAME = re.compile(r"policy/[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ARRAY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}\.npy")
_ACCEPTED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class SubmissionError(ValueError):
    """A submission that is malformed, tampered with or inconsistent (the message says why)."""


def require(condition: bool, reason: str) -> None:
    """Raise ``SubmissionError(reason)`` unless ``condition``."""
    if not condition:
        raise SubmissionError(reason)


# ---------------------------------------------------------------------------------- names
def check_member_name(name: str) -> str | None:
    """Why ``name`` may not be a submission member (None: it may).

    Accepted: ``manifest.json``, ``results.json`` and ``policy/<file>`` with a plain file name
    (letters, digits, ``._-``); ``check_suffix`` then refuses formats other than
    ``SAFE_SUFFIXES`` once the manifest has listed the files.
    """
    if "\\" in name:
        return "it contains a backslash"
    if "\x00" in name or any(ord(ch) < 32 for ch in name):
        return "it contains a control character"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "it is an absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "it contains '..'"
    if name in TOP_LEVEL:
        return None
    if not _POLICY_NAME.fullmatch(name):
        return "only manifest.json, results.json and policy/<file> (no sub-folders) are accepted"
    return None


def check_suffix(name: str) -> str | None:
    """Why the member ``name`` is of a refused format (None: it is ``.json``, ``.npz``,
    ``.safetensors`` or ``.pt``)."""
    if PurePosixPath(name).suffix not in SAFE_SUFFIXES:
        return f"only {SAFE_SUFFIXES} files are accepted (nothing that unpickles)"
    return None


def _member_cap(name: str) -> int:
    return MAX_JSON_BYTES if name in TOP_LEVEL else MAX_POLICY_BYTES


# ---------------------------------------------------------------------------------- the zip
def check_end_record(stream: BinaryIO, where: str, max_entries: int) -> None:
    """Check a zip's end-of-central-directory record (zip64 included) before ``zipfile``
    reads the directory: at most ``max_entries`` entries and ``MAX_DIRECTORY_BYTES`` bytes.

    Raises:
        SubmissionError: no end record (not a zip), or a directory over the caps.
    """
    try:
        end = zipfile._EndRecData(stream)  # the reader zipfile itself uses
    except OSError as err:
        raise SubmissionError(f"{where} is not a zip file: {err}") from None
    require(end is not None, f"{where} is not a zip file (no end of central directory record)")
    entries, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    require(entries <= max_entries, f"{where} lists {entries:,} members, at most {max_entries}")
    require(
        size <= MAX_DIRECTORY_BYTES,
        f"{where} has a central directory of {size:,} bytes, more than the "
        f"{MAX_DIRECTORY_BYTES:,} accepted",
    )
    stream.seek(0)


def _checked_directory(archive: zipfile.ZipFile, where: str) -> list[zipfile.ZipInfo]:
    """The file members of ``archive`` after the checks of its central directory."""
    infos = archive.infolist()
    require(len(infos) <= MAX_MEMBERS, f"{where} lists {len(infos)} members, at most {MAX_MEMBERS}")
    seen: set[str] = set()
    files = []
    declared = 0
    for info in infos:
        name = info.filename
        require(name not in seen, f"{where}: member {name!r} appears twice")
        seen.add(name)
        if info.is_dir():
            reason = None if name.rstrip("/") == "policy" else "only the folder policy/ may exist"
            require(reason is None, f"{where}: unsafe member name {name!r}: {reason}")
            continue
        reason = check_member_name(name)
        require(reason is None, f"{where}: unsafe member name {name!r}: {reason}")
        require(not info.flag_bits & 0x1, f"{where}: member {name} is encrypted")
        require(
            info.compress_type in _ACCEPTED_COMPRESSION,
            f"{where}: member {name} uses compression method {info.compress_type}; only stored "
            "and deflated members are accepted",
        )
        cap = _member_cap(name)
        require(
            info.file_size <= cap,
            f"{where}: member {name} declares {info.file_size:,} bytes uncompressed, more than "
            f"the {cap:,} accepted",
        )
        declared += info.file_size
        files.append(info)
    require(
        declared <= MAX_TOTAL_BYTES,
        f"{where}: the members declare {declared:,} bytes uncompressed together, more than the "
        f"{MAX_TOTAL_BYTES:,} accepted",
    )
    return files


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """The bytes of one member, streamed and cut off at its declared size."""
    limit = info.file_size
    chunks = []
    total = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(min(CHUNK_BYTES, limit - total + 1))
                if not chunk:
                    break
                total += len(chunk)
                require(
                    total <= limit,
                    f"{where}: member {info.filename} inflates beyond the {limit:,} bytes its "
                    "directory entry declares",
                )
                chunks.append(chunk)
    except SubmissionError:
        raise
    except Exception as err:  # a bad CRC, zlib.error, a header that differs from the directory
        raise SubmissionError(
            f"{where}: member {info.filename} cannot be read: {type(err).__name__}: {err}"
        ) from None
    return b"".join(chunks)


def read_members(path: Path) -> dict[str, bytes]:
    """Every file member of the submission zip ``path``, after the checks of the module doc.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        SubmissionError: ``path`` is not a regular file, not a zip, or breaks a limit.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"submission {path} does not exist") from None
    require(stat.S_ISREG(mode), f"submission {path} is not a regular file")
    size = path.stat().st_size
    require(
        size <= MAX_ZIP_BYTES,
        f"submission {path} has {size:,} bytes, more than the {MAX_ZIP_BYTES:,} accepted",
    )
    try:
        with path.open("rb") as stream:
            check_end_record(stream, str(path), MAX_MEMBERS)
            with zipfile.ZipFile(stream) as archive:
                files = _checked_directory(archive, str(path))
                return {info.filename: _read_capped(archive, info, str(path)) for info in files}
    except SubmissionError:
        raise
    except zipfile.BadZipFile as err:
        raise SubmissionError(f"{path} is not a zip file: {err}") from None
    except Exception as err:  # zlib.error, a CRC mismatch, an unsupported feature
        raise SubmissionError(
            f"{path} cannot be read as a zip: {type(err).__name__}: {err}"
        ) from None


# ---------------------------------------------------------------------------------- JSON
def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """Nesting depth of lists and objects, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json(data: bytes, name: str) -> Any:
    """The JSON value of the member ``name``.

    Raises:
        SubmissionError: not UTF-8, not JSON, duplicate keys, NaN or Infinity, or nested more
            than ``MAX_JSON_DEPTH`` deep (the message names the file, and the line for syntax).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SubmissionError(f"{name} is not UTF-8 text: {err}") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise SubmissionError(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as err:
        raise SubmissionError(
            f"{name} is not JSON: line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    except ValueError as err:  # a duplicate key, NaN, or an integer of too many digits
        raise SubmissionError(f"{name} is not accepted JSON: {err}") from None
    require(
        _depth(value) <= MAX_JSON_DEPTH,
        f"{name} is nested more than {MAX_JSON_DEPTH} levels deep",
    )
    return value


def describe(value: Any) -> str:
    """A short description of a JSON value for an error message."""
    text = json.dumps(value)[:60] if _depth(value) <= MAX_JSON_DEPTH else "(deep)"
    return f"{type(value).__name__} {text}"


def get_field(obj: dict[str, Any], key: str, kind: str, where: str) -> Any:
    """``obj[key]`` checked to be of ``kind``.

    ``kind``: ``str``, ``int`` (not a bool), ``number`` (a finite int or float, not a bool),
    ``list``, ``dict`` or ``bool``, with ``?`` appended when null is also accepted.

    Raises:
        SubmissionError: the key is missing or of another kind (naming ``where.key``).
    """
    require(isinstance(obj, dict), f"{where} must be an object, got {describe(obj)}")
    require(key in obj, f"{where}.{key} is missing")
    value = obj[key]
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if value is None:
        require(optional, f"{where}.{key} must be {_KIND_WORDS[base]}, got null")
        return None
    require(
        is_kind(value, base), f"{where}.{key} must be {_KIND_WORDS[base]}, got {describe(value)}"
    )
    return value


_KIND_WORDS = {
    "str": "a string",
    "int": "an integer",
    "number": "a finite number",
    "list": "a list",
    "dict": "an object",
    "bool": "true or false",
}


def is_kind(value: Any, kind: str) -> bool:
    """Whether the JSON ``value`` is of ``kind`` (see ``get_field``)."""
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int)
    if kind == "number":
        try:
            return isinstance(value, (int, float)) and math.isfinite(value)
        except OverflowError:  # an integer too large for a float
            return False
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    raise ValueError(f"unknown kind {kind!r}")


def list_of(value: list[Any], kind: str, where: str) -> list[Any]:
    """``value`` checked to hold only items of ``kind``."""
    for index, item in enumerate(value):
        require(
            is_kind(item, kind),
            f"{where}[{index}] must be {_KIND_WORDS[kind]}, got {describe(item)}",
        )
    return value


# ---------------------------------------------------------------------------------- arrays
def _inner_zip(data: bytes, where: str) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    stream = io.BytesIO(data)
    check_end_record(stream, where, MAX_ARRAY_MEMBERS)
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except Exception as err:
        raise SubmissionError(f"{where} is not a zip file: {type(err).__name__}: {err}") from None
    require(
        len(infos) <= MAX_ARRAY_MEMBERS,
        f"{where} holds {len(infos)} members, at most {MAX_ARRAY_MEMBERS}",
    )
    declared = 0
    for info in infos:
        require(not info.flag_bits & 0x1, f"{where}: member {info.filename} is encrypted")
        declared += info.file_size
    require(
        declared <= MAX_POLICY_BYTES,
        f"{where}: its members declare {declared:,} bytes uncompressed, more than the "
        f"{MAX_POLICY_BYTES:,} accepted",
    )
    return archive, infos


def check_npz(data: bytes, where: str) -> None:
    """Check an ``.npz`` file before ``np.load`` opens it (see the module doc).

    Raises:
        SubmissionError: too many or too large members, a member that is not a plain ``.npy``
            array, an object dtype, or a header whose shape needs more bytes than the member
            holds.
    """
    archive, infos = _inner_zip(data, where)
    with archive:
        for info in infos:
            name = info.filename
            require(
                _ARRAY_NAME.fullmatch(name) is not None,
                f"{where}: member {name!r} is not a plain .npy array name",
            )
            require(
                info.compress_type in _ACCEPTED_COMPRESSION,
                f"{where}: member {name} uses compression method {info.compress_type}",
            )
            try:
                with archive.open(info) as stream:
                    version = np.lib.format.read_magic(stream)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            except SubmissionError:
                raise
            except Exception as err:
                raise SubmissionError(
                    f"{where}: member {name} is not a .npy array: {type(err).__name__}: {err}"
                ) from None
            require(not dtype.hasobject, f"{where}: array {name} has an object dtype")
            count = math.prod(int(n) for n in shape)
            needed = count * dtype.itemsize
            require(
                needed <= info.file_size,
                f"{where}: array {name} declares shape {shape} of {dtype} ({needed:,} bytes), "
                f"more than the member's {info.file_size:,} bytes",
            )


def check_torch_file(data: bytes, where: str) -> None:
    """Check a ``policy.pt`` (a torch zip) before ``torch.load(weights_only=True)`` reads it:
    member count, declared sizes, and records stored uncompressed (as ``torch.save`` writes
    them).

    Raises:
        SubmissionError: a record over the caps, compressed, or not a zip.
    """
    archive, infos = _inner_zip(data, where)
    with archive:
        for info in infos:
            require(
                info.compress_type == zipfile.ZIP_STORED,
                f"{where}: record {info.filename} is compressed; torch.save stores records "
                "uncompressed",
            )


__all__ = [
    "CHUNK_BYTES",
    "MAX_ARRAY_MEMBERS",
    "MAX_DIRECTORY_BYTES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_MEMBERS",
    "MAX_POLICY_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_ZIP_BYTES",
    "SAFE_SUFFIXES",
    "SubmissionError",
    "check_end_record",
    "check_member_name",
    "check_npz",
    "check_suffix",
    "check_torch_file",
    "describe",
    "get_field",
    "is_kind",
    "list_of",
    "parse_json",
    "read_members",
    "require",
]
