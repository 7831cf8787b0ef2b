"""Checks of a routing-trace ``.npz`` archive before any array is read from it.

``np.load`` of a malformed archive fails with messages that do not name the file (an object
array: "Object arrays cannot be loaded when allow_pickle=False"; a plain ``.npy``: an array
without ``.files``; a member that is not ``.npy``: "the magic string is not correct"), and it
reads a member whole before anyone can look at its size. ``inspect_npz`` reads only the zip
directory and each ``.npy`` header (shape, dtype), so ``load_trace`` can refuse such a file, or
one too large for the memory budget, with the file and member named.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

import numpy as np

from ..core.paths import check_regular_file

NPY_MAGIC = b"\x93NUMPY"
"""the first bytes of a ``.npy`` file"""


@dataclass(frozen=True)
class NpyHeader:
    """What a ``.npy`` member declares: its shape and dtype."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        """Bytes of the array once read."""
        return int(np.prod(self.shape, dtype=np.float64)) * self.dtype.itemsize


def inspect_npz(path: str | os.PathLike, what: str = "routing trace") -> dict[str, NpyHeader]:
    """The headers of every ``.npy`` member of the archive at ``path``, by key (``experts`` for
    ``experts.npy``), read without reading the arrays.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a regular file, a plain ``.npy`` array, not a zip archive, a member
            that is not a ``.npy`` array, or an array of Python objects; the message starts
            with ``what`` and the path.
    """
    path = check_regular_file(path, what, "an .npz file")
    where = f"{what} {path}"
    with path.open("rb") as handle:
        start = handle.read(len(NPY_MAGIC))
    if start == NPY_MAGIC:
        raise ValueError(
            f"{where}: a plain .npy array, not an .npz archive; save a trace with "
            "np.savez(path, experts=..., request_ids=...)"
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{where}: not a readable .npz file (not a zip archive of .npy arrays)")
    headers = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if not info.filename.endswith(".npy"):
                    raise ValueError(
                        f"{where}: member {info.filename!r} is not a .npy array; a trace holds "
                        "experts.npy, request_ids.npy and optionally n_experts.npy"
                    )
                with archive.open(info) as member:
                    header = _read_header(member, f"{where}: member {info.filename!r}")
                headers[info.filename[: -len(".npy")]] = header
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        raise ValueError(f"{where}: not a readable .npz archive ({err})") from None
    return headers


def _read_header(member: object, where: str) -> NpyHeader:
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except (ValueError, OSError, EOFError, SyntaxError) as err:
        raise ValueError(f"{where} is not a valid .npy array ({err})") from None
    if dtype.hasobject:
        raise ValueError(
            f"{where} holds Python objects (dtype {dtype}), which netgym never unpickles; "
            "store integer arrays"
        )
    return NpyHeader(tuple(int(n) for n in shape), dtype)


def trace_read_bytes(headers: dict[str, NpyHeader]) -> float:
    """Memory of reading and validating a trace: the arrays as stored, the int16 and int64
    copies ``load_trace`` keeps, and the sorted copy and masks of the validation."""
    experts, request_ids = headers["experts"], headers["request_ids"]
    ids = experts.nbytes / max(experts.dtype.itemsize, 1)
    requests = request_ids.nbytes / max(request_ids.dtype.itemsize, 1)
    return float(2 * experts.nbytes + 4 * ids + request_ids.nbytes + 8 * requests)


__all__ = ["NPY_MAGIC", "NpyHeader", "check_regular_file", "inspect_npz", "trace_read_bytes"]
