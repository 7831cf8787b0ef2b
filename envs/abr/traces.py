"""Bandwidth traces: the Pensieve-format loader and the seeded synthetic generator.

A Pensieve simulation trace is a text file with one sample per line, ``time_s Mbps``
(whitespace separated), starting at t = 0 with strictly increasing times. Sample ``k`` gives the
rate of the interval ``(t[k-1], t[k]]``; the first sample's rate is never used, and the trace
wraps to pointer 1 at its end (hongzimao/pensieve ``sim/env.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.paths import as_path, check_file, kind_of
from ..core.validation import MAX_INT64, check_choice, check_int, check_range

TRACE_DISTRIBUTIONS = ("loguniform", "uniform")
MAX_MBPS = 1e6
"""largest bandwidth of a trace sample, 1 Tbps (recorded traces stay under 10 Mbps)"""
MIN_MEAN_MBPS = 1e-6
"""smallest mean bandwidth of a trace over its length, 1 bit/s: below it a chunk would take
longer than any episode could last"""
MAX_TRACE_S = 1e7
"""largest time in a trace, about 116 days (recorded traces last minutes to hours)"""


@dataclass(frozen=True)
class SyntheticTraces:
    """A seeded generator of bandwidth traces (the embedded default data set).

    Each trace is a Markov-modulated rate process sampled every ``interval_s``: a hidden state
    chooses a mean rate among ``n_states`` levels spread between ``low_mbps`` and ``high_mbps``
    (log-uniformly or uniformly), it moves to a random other state with probability
    ``switch_prob`` per sample, and each sample is the mean times a log-normal factor with
    standard deviation ``noise_sd``, clipped to ``[low_mbps, high_mbps]``.
    """

    n_traces: int = 100
    """number of traces in the set"""
    duration_s: float = 320.0
    """length of each trace (traces wrap, as in Pensieve)"""
    interval_s: float = 1.0
    """sampling interval (FCC traces use 1 s or 5 s)"""
    low_mbps: float = 0.2
    """lowest rate"""
    high_mbps: float = 10.0
    """highest rate"""
    n_states: int = 8
    """number of rate levels of the hidden Markov chain"""
    switch_prob: float = 0.05
    """probability per sample of switching to another level"""
    noise_sd: float = 0.25
    """standard deviation of the log-normal sample noise"""
    distribution: str = "loguniform"
    """how the levels are spread: 'loguniform' or 'uniform'"""
    seed: int = 0
    """seed of the data set (not of the episodes): the same seed gives the same traces"""

    def __post_init__(self) -> None:
        owner = "SyntheticTraces"
        check_int(self, owner, "n_traces", low=1, high=MAX_INT64)
        check_range(
            owner, "interval_s", self.interval_s, low=0, low_inclusive=False, high=MAX_TRACE_S / 2
        )
        check_range(owner, "duration_s", self.duration_s, low=2 * self.interval_s, high=MAX_TRACE_S)
        check_range(owner, "low_mbps", self.low_mbps, low=MIN_MEAN_MBPS, high=MAX_MBPS)
        check_range(owner, "high_mbps", self.high_mbps, low=self.low_mbps, high=MAX_MBPS)
        check_int(self, owner, "n_states", low=1, high=MAX_INT64)
        check_range(owner, "switch_prob", self.switch_prob, low=0, high=1)
        check_range(owner, "noise_sd", self.noise_sd, low=0, high=10)
        check_choice(owner, "distribution", self.distribution, TRACE_DISTRIBUTIONS)
        check_int(self, owner, "seed", low=0)


START_POINTERS_FILE = "start_pointers.json"
POINTER_PICKLE_FILE = "mahimahi_ptrs.pkl"
# Files that sit beside traces in the anchors' folders but are not traces (NetLLM's
# fcc-test/ ships mahimahi_ptrs.pkl, netgym's copy start_pointers.json).
NOT_TRACE_SUFFIXES = {".json", ".pkl", ".pickle", ".npy", ".npz", ".md", ".zip", ".gz"}


@dataclass(frozen=True, eq=False)
class TraceSet:
    """A list of traces with their names; arrays are read-only and shared by all envs.

    Compared and hashed by identity, so that derived tables can be cached per trace set.
    """

    names: tuple[str, ...]
    time_s: tuple[np.ndarray, ...]
    mbps: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.names)

    @property
    def lengths(self) -> np.ndarray:
        """Number of samples of each trace."""
        return np.array([len(t) for t in self.time_s], dtype=np.int64)


def load_trace_file(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one Pensieve-format trace; raise ``ValueError`` naming the file and line.

    Times must lie in ``[0, MAX_TRACE_S]`` and rates in ``{0} | (0, MAX_MBPS]``, and the mean
    rate over the trace must reach ``MIN_MEAN_MBPS``, so that every download time the sim can
    compute is finite.
    """
    path = check_file("trace file", path)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise ValueError(f"trace {path}: not a text file (expected 'time_s Mbps' lines)") from None
    times: list[float] = []
    rates: list[float] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(
                f"trace {path} line {line_no}: expected 'time_s Mbps', got {line.strip()!r}"
            )
        try:
            time_s, mbps = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(
                f"trace {path} line {line_no}: expected two numbers "
                f"'time_s Mbps', got {line.strip()!r}"
            ) from None
        if not (np.isfinite(time_s) and np.isfinite(mbps)):
            raise ValueError(
                f"trace {path} line {line_no}: values must be finite, got {line.strip()!r}"
            )
        if mbps < 0:
            raise ValueError(f"trace {path} line {line_no}: bandwidth must be >= 0, got {mbps}")
        if mbps > MAX_MBPS:
            raise ValueError(
                f"trace {path} line {line_no}: bandwidth must be <= {MAX_MBPS:g} Mbps "
                f"(1 Tbps), got {mbps}"
            )
        if time_s > MAX_TRACE_S:
            raise ValueError(
                f"trace {path} line {line_no}: time must be <= {MAX_TRACE_S:g} s, got {time_s}"
            )
        if not times and time_s != 0:
            raise ValueError(
                f"trace {path} line {line_no}: the first time must be 0 "
                f"(traces wrap to t = 0), got {time_s}"
            )
        if times and time_s <= times[-1]:
            raise ValueError(
                f"trace {path} line {line_no}: time {time_s} does not increase "
                f"(previous {times[-1]})"
            )
        times.append(time_s)
        rates.append(mbps)
    if len(times) < 2:
        raise ValueError(f"trace {path}: needs at least 2 samples, found {len(times)}")
    time_arr = np.asarray(times, dtype=np.float64)
    rate_arr = np.asarray(rates, dtype=np.float64)
    if not np.any(rate_arr[1:] > 0):
        raise ValueError(
            f"trace {path}: bandwidth is zero everywhere after the first sample, "
            "so no chunk could ever be downloaded"
        )
    mean_mbps = float(np.sum(rate_arr[1:] * np.diff(time_arr))) / time_arr[-1]
    if mean_mbps < MIN_MEAN_MBPS:
        raise ValueError(
            f"trace {path}: mean bandwidth {mean_mbps:.3g} Mbps over its {time_arr[-1]:g} s is "
            f"below {MIN_MEAN_MBPS:g} Mbps (1 bit/s), so a chunk could take longer to download "
            "than any episode could last"
        )
    return _frozen(time_arr), _frozen(rate_arr)


def trace_files(source: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """The trace files of a folder (sorted by name; hidden files and ``NOT_TRACE_SUFFIXES``
    skipped) or of a list."""
    if isinstance(source, (str, os.PathLike)):
        folder = Path(source)
        kind = kind_of(folder)
        if kind == "missing":
            raise FileNotFoundError(f"trace folder {folder} does not exist")
        if kind == "file":
            return [folder]
        if kind != "folder":
            raise ValueError(f"trace source {folder} is a {kind}, not a folder or a file")
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix not in NOT_TRACE_SUFFIXES
        )
        if not files:
            raise ValueError(f"trace folder {folder} contains no trace files")
        return files
    files = [as_path(f"trace file {i}", p) for i, p in enumerate(source)]
    if not files:
        raise ValueError("the list of trace files is empty")
    return files


def load_traces(source: str | os.PathLike | Sequence[str | os.PathLike]) -> TraceSet:
    """Load a folder or a list of Pensieve-format traces.

    Cached by resolved path, modification time and size, so a changed file is read again.
    """
    return _load_cached(file_stamps(trace_files(source)))


def file_stamps(
    files: Sequence[Path], what: str = "trace file"
) -> tuple[tuple[str, int, int], ...]:
    """(resolved path, mtime_ns, size) of each file: a cache key that changes with the data.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: a path is a folder, FIFO, socket or device (``what`` names the files).
    """
    stamps = []
    for path in files:
        stat = check_file(what, path).stat()
        stamps.append((str(path.resolve()), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


@lru_cache(maxsize=16)
def _load_cached(stamps: tuple[tuple[str, int, int], ...]) -> TraceSet:
    paths = [stamp[0] for stamp in stamps]
    loaded = [load_trace_file(p) for p in paths]
    return TraceSet(
        names=tuple(Path(p).name for p in paths),
        time_s=tuple(t for t, _ in loaded),
        mbps=tuple(b for _, b in loaded),
    )


def load_start_pointers(folder: str | os.PathLike) -> tuple[int, ...]:
    """NetLLM's start pointers of a trace folder, one per trace in sorted file-name order.

    Read from ``mahimahi_ptrs.pkl`` (NetLLM's own file, read without executing pickle: see
    ``read_pointer_pickle``) when the folder has it, else from ``start_pointers.json`` (a JSON
    list of ints). When both are present they must agree.

    Raises:
        FileNotFoundError: the folder has neither file.
        ValueError: a file is malformed, or the two files disagree (the message names them).
    """
    folder = Path(folder)
    pickled, listed = folder / POINTER_PICKLE_FILE, folder / START_POINTERS_FILE
    if not pickled.is_file() and not listed.is_file():
        raise FileNotFoundError(f"start pointer file {pickled} (or {listed.name}) does not exist")
    pointers = read_pointer_pickle(pickled) if pickled.is_file() else None
    if listed.is_file():
        from_json = _read_pointer_json(listed)
        if pointers is not None and pointers != from_json:
            raise ValueError(f"{pickled} and {listed} hold different start pointers")
        pointers = from_json
    return pointers


def _read_pointer_json(path: Path) -> tuple[int, ...]:
    try:
        pointers = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(pointers, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in pointers
    ):
        raise ValueError(f"{path}: expected a JSON list of integers")
    return tuple(pointers)


# Opcodes of a pickled list of ints (protocols 0 to 5), and nothing else: no GLOBAL,
# STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ or PERSID, so nothing can be called.
_INT_OPS = {"INT", "LONG", "BININT", "BININT1", "BININT2", "LONG1", "LONG4"}
_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
_FRAMING_OPS = {"PROTO", "FRAME", "STOP"}


class _RefusedPickle(ValueError):
    """A pointer pickle that ``read_pointer_pickle`` refuses."""


def read_pointer_pickle(path: str | os.PathLike) -> tuple[int, ...]:
    """The list of non-negative ints pickled in ``path``, read without executing pickle.

    The file's opcodes are walked with ``pickletools.genops`` (which only parses) and
    interpreted here for the few opcodes a pickled list of ints needs; any other opcode (a
    global, a call, a dict, a string, ...) is refused before anything is built, so a malicious
    file cannot run code.

    Raises:
        ValueError: the file is not a pickled flat list of non-negative ints (the message names
            the file, the offending opcode and its byte offset).
    """
    import pickletools

    path = Path(path)
    data = path.read_bytes()
    stack: list[object] = []
    marks: list[int] = []
    result: list[int] | None = None

    def refuse(what: str) -> _RefusedPickle:
        return _RefusedPickle(
            f"{path}: {what}; expected a pickled list of non-negative integers "
            "(the file was not unpickled)"
        )

    try:
        for opcode, arg, position in pickletools.genops(data):
            name = opcode.name
            if name in _INT_OPS:
                if isinstance(arg, bool) or not isinstance(arg, int):
                    raise refuse(f"opcode {name} at byte {position} holds {arg!r}, not an int")
                stack.append(arg)
            elif name in ("EMPTY_LIST", "MARK"):
                if name == "MARK":
                    marks.append(len(stack))
                else:
                    stack.append([])
            elif name == "LIST":
                start = marks.pop()
                items, stack[start:] = stack[start:], []
                stack.append(items)
            elif name in ("APPEND", "APPENDS"):
                start = marks.pop() if name == "APPENDS" else len(stack) - 1
                items, stack[start:] = stack[start:], []
                if not stack or not isinstance(stack[-1], list):
                    raise refuse(f"opcode {name} at byte {position} appends to a non-list")
                stack[-1].extend(items)
            elif name in _MEMO_OPS or name in _FRAMING_OPS:
                if name == "STOP":
                    result = stack.pop() if len(stack) == 1 else None
            else:
                raise refuse(f"opcode {name} at byte {position} is not allowed")
    except _RefusedPickle:
        raise
    except (ValueError, IndexError) as err:  # genops' parse errors, unbalanced marks
        raise refuse(f"malformed pickle ({err})") from None
    if not isinstance(result, list) or not all(
        isinstance(item, int) and item >= 0 for item in result
    ):
        raise refuse("the pickle does not hold a flat list of non-negative integers")
    return tuple(result)


@lru_cache(maxsize=16)
def synthetic_traces(spec: SyntheticTraces) -> TraceSet:
    """Generate the seeded synthetic trace set described by ``spec``."""
    rng = np.random.default_rng(spec.seed)
    n_samples = int(np.floor(spec.duration_s / spec.interval_s)) + 1
    time_s = _frozen(np.arange(n_samples, dtype=np.float64) * spec.interval_s)
    if spec.distribution == "loguniform":
        levels = np.geomspace(spec.low_mbps, spec.high_mbps, spec.n_states)
    else:
        levels = np.linspace(spec.low_mbps, spec.high_mbps, spec.n_states)
    names, times, rates = [], [], []
    for index in range(spec.n_traces):
        state = rng.integers(spec.n_states)
        switches = rng.random(n_samples) < spec.switch_prob
        jumps = rng.integers(1, max(spec.n_states, 2), size=n_samples)
        # a switch moves to a uniformly chosen other level: state + jump (mod n_states), so
        # the state after sample k is the start plus the jumps switched on so far (mod n)
        if spec.n_states > 1:
            steps = np.cumsum(np.where(switches, jumps, 0))
            states = (state + steps) % spec.n_states
        else:
            states = np.full(n_samples, state, dtype=np.int64)
        noise = np.exp(rng.normal(0.0, spec.noise_sd, n_samples) - spec.noise_sd**2 / 2)
        mbps = np.clip(levels[states] * noise, spec.low_mbps, spec.high_mbps)
        names.append(f"synthetic_{spec.seed}_{index:04d}")
        times.append(time_s)
        rates.append(_frozen(mbps))
    return TraceSet(names=tuple(names), time_s=tuple(times), mbps=tuple(rates))


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array
