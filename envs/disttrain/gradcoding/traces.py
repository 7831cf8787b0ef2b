"""Delay traces for replay: a user's (workers x rounds) matrix of per-round worker delays in
seconds, as ``.npy`` (loaded without pickles) or ``.csv`` (one line per worker, comma-separated
delays; blank lines and lines starting with ``#`` are skipped).

netgym ships no trace: the authors' AWS Lambda profiles (``mamaj/Sequential-Gradient-Coding-2``)
carry no licence and are pickles, which netgym never unpickles; convert them yourself to one
of these formats (reference/disttrain.md section 2, licence guard-rails).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ...core.paths import check_file

MAX_TRACE_BYTES = 1 << 30
"""the largest trace file read (1 GiB)"""


def _check_values(values: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        worker, column = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{where}: worker {worker}, round {column}: delays must be finite seconds >= 0, "
            f"got {values[worker, column]}"
        )


def _load_csv(path: Path) -> np.ndarray:
    rows: list[list[float]] = []
    width = None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            cells = [cell.strip() for cell in text.split(",")]
            try:
                values = [float(cell) for cell in cells]
            except ValueError:
                bad = next(c for c in cells if not _is_float(c))
                raise ValueError(
                    f"trace {path} line {number}: expected comma-separated delays in seconds, "
                    f"got {bad!r}"
                ) from None
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise ValueError(
                    f"trace {path} line {number}: {len(values)} rounds, but the first worker "
                    f"has {width} (one line per worker, the same rounds on every line)"
                )
            bad_value = next((v for v in values if not math.isfinite(v) or v < 0), None)
            if bad_value is not None:
                raise ValueError(
                    f"trace {path} line {number}: delays must be finite seconds >= 0, got "
                    f"{bad_value}"
                )
            rows.append(values)
    if not rows:
        raise ValueError(f"trace {path} holds no delays (one line per worker expected)")
    return np.array(rows, dtype=float)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_trace(path: Any) -> np.ndarray:
    """The (workers, rounds) delays of a ``.npy`` or ``.csv`` trace file.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: another suffix (a ``.pkl`` is refused), a file over ``MAX_TRACE_BYTES``,
            an array that is not 2-D numbers, or a delay that is NaN, infinite or negative
            (the message names the file and the line, or the worker and round).
    """
    path = check_file("delay trace", path)
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise ValueError(
            f"delay trace {path}: expected a .npy or .csv file of (workers x rounds) delays, "
            f"got {suffix or 'no suffix'!r} (pickles are never loaded)"
        )
    if path.stat().st_size > MAX_TRACE_BYTES:
        raise ValueError(f"delay trace {path} is larger than {MAX_TRACE_BYTES} bytes")
    if suffix == ".csv":
        return _load_csv(path)
    try:
        values = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"delay trace {path}: not a plain numeric .npy array ({err})") from None
    if values.ndim != 2 or values.dtype.kind not in "iuf":
        raise ValueError(
            f"delay trace {path}: expected a 2-D numeric array (workers x rounds), got "
            f"{values.dtype} of shape {values.shape}"
        )
    values = values.astype(float)
    _check_values(values, f"delay trace {path}")
    return values


__all__ = ["MAX_TRACE_BYTES", "load_trace"]
