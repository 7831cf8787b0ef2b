"""The TPC-H job traces of Decima / spark-sched-sim / NetLLM, read without running any pickle.

Layout (``cjs/tpch`` in ``shared/data/manifest.json``): ``<folder>/<size>/`` for the sizes
``2g, 5g, 10g, 20g, 50g, 80g, 100g``, each with three ``.npy`` files per query ``q = 1..22``:

- ``adj_mat_<q>.npy``: the stage adjacency matrix (float 0/1; ``[i, j] = 1``: stage ``i`` is a
  parent of stage ``j``);
- ``stage_id_to_node_idx_map_<q>.npy``: a dict Spark stage id -> matrix row (a permutation);
- ``task_duration_<q>.npy``: a dict stage -> {wave -> {executor level -> [durations in ms]}}.

The two dict files are pickles inside an object ``.npy``. They are read with an allow-list
unpickler that knows exactly the three numpy globals such a file needs (``_reconstruct``,
``ndarray``, ``dtype``); a file naming any other global is refused before anything in it runs.
A stage's task count is the first-wave plus rest-wave durations of its first recorded level,
and its first wave is cleaned of the durations that also appear as fresh ones (then empty
levels take the nearest lower level's), as spark-sched-sim's ``tpch_job_sequence.py`` does.
"""

from __future__ import annotations

import io
import os
import pickle
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from .templates import WAVES, JobLibrary, JobTemplate, StageTemplate, topological_order

QUERY_SIZES = ("2g", "5g", "10g", "20g", "50g", "80g", "100g")
"""input sizes of the TPC-H traces, in the anchors' order"""
N_QUERIES = 22
"""TPC-H queries 1..22"""


def _numpy_reconstruct() -> Any:
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}
"""the only globals an object ``.npy`` of the traces may name (numpy 1.x and 2.x spellings)"""


class ForbiddenGlobal(pickle.UnpicklingError):
    """A pickle names a global outside ``ALLOWED_GLOBALS``."""


class _AllowListUnpickler(pickle.Unpickler):
    """Resolves only ``ALLOWED_GLOBALS``; anything else raises before it could run."""

    def find_class(self, module: str, name: str) -> Any:
        make = ALLOWED_GLOBALS.get((module, name))
        if make is None:
            raise ForbiddenGlobal(
                f"the pickle names the global {module}.{name}, which is not allowed "
                f"(allowed: {sorted(f'{m}.{n}' for m, n in ALLOWED_GLOBALS)})"
            )
        return make()


def load_npy(path: str | os.PathLike[str]) -> Any:
    """Read a ``.npy`` file: plain arrays with numpy (no pickle), object arrays with the
    allow-list unpickler; a 0-d object array is returned as the object it holds.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a complete ``.npy`` (naming it), or its pickle names a
            global outside ``ALLOWED_GLOBALS``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (see `netgym data fetch cjs/tpch`)")
    data = path.read_bytes()
    stream = io.BytesIO(data)
    try:
        version = npy_format.read_magic(stream)
        read_header = {(1, 0): npy_format.read_array_header_1_0}.get(
            version, npy_format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(stream)
    except (ValueError, EOFError) as err:
        raise ValueError(f"{path}: not a valid .npy file ({err})") from None
    if not dtype.hasobject:
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, EOFError, OSError) as err:
            raise ValueError(f"{path}: truncated or malformed .npy array ({err})") from None
    try:
        array = _AllowListUnpickler(stream).load()
    except ForbiddenGlobal as err:
        raise ValueError(f"{path}: refused to unpickle: {err}") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
    ) as err:
        raise ValueError(f"{path}: truncated or malformed pickled .npy ({err!r})") from None
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(f"{path}: the pickle does not hold the {shape} array its header says")
    return array.item() if array.shape == () else array


def parents_from_adjacency(adjacency: Any, where: str) -> tuple[tuple[int, ...], ...]:
    """Parents of each stage from a square 0/1 adjacency matrix (``[i, j]``: ``i`` -> ``j``).

    Raises:
        ValueError: not a square 2-D matrix of zeros and ones, or a self-loop.
    """
    matrix = np.asarray(adjacency)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(
            f"{where}: the adjacency must be a non-empty square matrix, got {matrix.shape}"
        )
    if not np.isin(matrix, (0, 1)).all():
        raise ValueError(f"{where}: the adjacency must hold only 0 and 1")
    if np.diag(matrix).any():
        raise ValueError(
            f"{where}: stage {int(np.flatnonzero(np.diag(matrix))[0])} depends on itself"
        )
    return tuple(tuple(int(p) for p in np.flatnonzero(matrix[:, j])) for j in range(len(matrix)))


def check_stage_map(stage_map: Any, n_stages: int, where: str) -> None:
    """Raise ``ValueError`` unless ``stage_map`` maps stage ids onto rows 0..n_stages-1."""
    if not isinstance(stage_map, dict):
        raise ValueError(
            f"{where}: expected a dict stage id -> row, got {type(stage_map).__name__}"
        )
    rows = sorted(stage_map.values())
    if rows != list(range(n_stages)):
        raise ValueError(
            f"{where}: the stage map's rows {rows} do not match the adjacency's {n_stages} stages"
        )


def clean_first_wave(waves: dict[str, dict[int, list[float]]]) -> dict[int, list[float]]:
    """The first wave without the durations that also appear as fresh durations (one removal
    per fresh value), empty levels filled from the nearest lower level
    (spark-sched-sim's ``_pre_process_task_duration``)."""
    cleaned: dict[int, list[float]] = {}
    for level, values in waves["first_wave"].items():
        fresh = Counter(waves["fresh_durations"].get(level, ()))
        kept = []
        for value in values:
            if fresh[value] > 0:
                fresh[value] -= 1
            else:
                kept.append(value)
        cleaned[level] = kept
    previous: list[float] = []
    for level in sorted(cleaned):
        if not cleaned[level]:
            cleaned[level] = previous
        previous = cleaned[level]
    return cleaned


def stage_from_record(record: Any, where: str) -> StageTemplate:
    """A ``StageTemplate`` from one stage's {wave -> {level -> [ms]}} record."""
    if not isinstance(record, dict) or set(record) != set(WAVES):
        keys = sorted(record) if isinstance(record, dict) else type(record).__name__
        raise ValueError(f"{where}: expected the waves {list(WAVES)}, got {keys}")
    waves: dict[str, dict[int, list[float]]] = {}
    for wave in WAVES:
        by_level = record[wave]
        if not isinstance(by_level, dict):
            raise ValueError(f"{where} {wave}: expected a dict level -> durations")
        waves[wave] = {}
        for level, values in by_level.items():
            if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 1:
                raise ValueError(f"{where} {wave}: executor level {level!r} is not a positive int")
            if not isinstance(values, (list, tuple)) or not all(
                isinstance(v, (int, float, np.integer, np.floating)) and 0 < v < 1e9 for v in values
            ):
                raise ValueError(
                    f"{where} {wave}[{level}]: durations must be positive numbers (ms)"
                )
            waves[wave][int(level)] = list(values)
    if not waves["first_wave"]:
        raise ValueError(f"{where}: the first wave has no executor level")
    first_level = next(iter(waves["first_wave"]))
    n_tasks = len(waves["first_wave"][first_level]) + len(waves["rest_wave"].get(first_level, ()))
    if n_tasks < 1:
        raise ValueError(f"{where}: the stage has no task at its first level {first_level}")
    waves["first_wave"] = clean_first_wave(waves)
    seconds = {
        wave: {level: np.asarray(v, dtype=np.float64) / 1000.0 for level, v in by_level.items()}
        for wave, by_level in waves.items()
    }
    return StageTemplate(n_tasks=n_tasks, waves=seconds)


def load_tpch_template(folder: str | os.PathLike[str], size: str, query: int) -> JobTemplate:
    """Query ``query`` at input ``size`` from ``folder/<size>/``.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: a malformed file, a DAG with a cycle, or files that disagree on the stages.
    """
    base = Path(folder) / size
    adjacency = load_npy(base / f"adj_mat_{query}.npy")
    where = str(base / f"adj_mat_{query}.npy")
    parents = parents_from_adjacency(adjacency, where)
    topological_order(parents, where)
    n_stages = len(parents)
    map_file = base / f"stage_id_to_node_idx_map_{query}.npy"
    check_stage_map(load_npy(map_file), n_stages, str(map_file))
    duration_file = base / f"task_duration_{query}.npy"
    durations = load_npy(duration_file)
    if not isinstance(durations, dict) or sorted(durations) != list(range(n_stages)):
        keys = sorted(durations) if isinstance(durations, dict) else type(durations).__name__
        raise ValueError(
            f"{duration_file}: expected durations of stages 0..{n_stages - 1} (the adjacency's), "
            f"got {keys}"
        )
    stages = tuple(
        stage_from_record(durations[s], f"{duration_file} stage {s}") for s in range(n_stages)
    )
    return JobTemplate(name=f"tpch-q{query}-{size}", parents=parents, stages=stages)


@lru_cache(maxsize=4)
def _load_tpch(folder: str, sizes: tuple[str, ...]) -> JobLibrary:
    grid = tuple(
        tuple(load_tpch_template(folder, size, query) for size in sizes)
        for query in range(1, N_QUERIES + 1)
    )
    queries = tuple(f"q{q}" for q in range(1, N_QUERIES + 1))
    return JobLibrary(source=f"tpch:{folder}", queries=queries, sizes=sizes, grid=grid)


def load_tpch(folder: str | os.PathLike[str], sizes: tuple[str, ...] = QUERY_SIZES) -> JobLibrary:
    """The 22 TPC-H queries x ``sizes`` from ``folder`` (cached per process).

    Raises:
        FileNotFoundError: ``folder`` or one of its files is missing (the message names it and
            says how to get the data).
        ValueError: a malformed file (see ``load_tpch_template``).
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"TPC-H folder {root} does not exist: run `netgym data fetch cjs/tpch` or pass "
            "data=<folder holding 2g/ ... 100g/>"
        )
    for size in sizes:
        if not (root / size).is_dir():
            raise FileNotFoundError(f"TPC-H folder {root} has no {size}/ sub-folder")
    return _load_tpch(str(root.resolve()), tuple(sizes))


__all__ = [
    "ALLOWED_GLOBALS",
    "N_QUERIES",
    "QUERY_SIZES",
    "check_stage_map",
    "clean_first_wave",
    "load_npy",
    "load_tpch",
    "load_tpch_template",
    "parents_from_adjacency",
    "stage_from_record",
]
