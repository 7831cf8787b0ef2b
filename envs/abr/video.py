"""Video manifests: chunk sizes in bytes, shaped (levels, chunks + 1).

The Pensieve format is a folder with ``video_size_0`` .. ``video_size_{L-1}``, one integer byte
count per line, level 0 the lowest bitrate. The files have one line more than the chunks played
(49 lines, 48 chunks): the extra line is what robustMPC's look-ahead and the observation's
"next chunk sizes" read after the last chunk.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.paths import check_folder
from ..core.validation import MAX_INT64, check_int, check_range
from .traces import file_stamps

MAX_CHUNK_BYTES = 10**12
"""largest chunk size, 1 TB (a 4 s chunk at 1 Tbps is 0.5 TB): keeps every size an exact int64
and every download time finite"""


@dataclass(frozen=True)
class SyntheticVideo:
    """A seeded generator of VBR chunk sizes around each ladder rate.

    Chunk ``c`` at level ``l`` has ``ladder_kbps[l] * 1000 / 8 * chunk_s * f_c * g_{l,c}`` bytes:
    ``f_c`` is a per-chunk scene-complexity factor shared by all levels (log-normal, sd
    ``complexity_sd``, mean 1), ``g_{l,c}`` a small per-encode factor (sd ``encode_sd``). Like
    the Pensieve files, ``n_chunks + 1`` sizes are written per level.
    """

    n_chunks: int = 48
    """chunks played"""
    complexity_sd: float = 0.15
    """log-normal sd of the scene complexity shared by all levels"""
    encode_sd: float = 0.03
    """log-normal sd of the per-level encoder variation"""
    seed: int = 0
    """seed of the video (not of the episodes)"""

    def __post_init__(self) -> None:
        owner = "SyntheticVideo"
        check_int(self, owner, "n_chunks", low=2, high=MAX_INT64 - 1)
        check_range(owner, "complexity_sd", self.complexity_sd, low=0, high=2)
        check_range(owner, "encode_sd", self.encode_sd, low=0, high=2)
        check_int(self, owner, "seed", low=0)


_SIZE_FILE = re.compile(r"^video_size_(\d+)$")


def load_video(folder: str | os.PathLike) -> np.ndarray:
    """Load a Pensieve video folder into a read-only int64 array (levels, lines).

    Cached by the files' paths, modification times and sizes, so changed files are read again.
    """
    return _load_cached(*video_stamps(folder))


def video_stamps(folder: str | os.PathLike) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """The resolved folder and (path, mtime_ns, size) of its ``video_size_*`` files."""
    path = check_folder("video folder", folder)
    files = sorted(p for p in path.iterdir() if _SIZE_FILE.match(p.name))
    return str(path.resolve()), file_stamps(files, "video file")


@lru_cache(maxsize=8)
def _load_cached(folder_name: str, stamps: tuple[tuple[str, int, int], ...]) -> np.ndarray:
    folder = check_folder("video folder", folder_name)
    levels = {}
    for path in folder.iterdir():
        match = _SIZE_FILE.match(path.name)
        if match:
            levels[int(match.group(1))] = path
    if not levels:
        raise ValueError(f"video folder {folder} has no video_size_<level> files")
    if sorted(levels) != list(range(len(levels))):
        raise ValueError(
            f"video folder {folder}: levels must be numbered 0..L-1 without gaps, "
            f"found {sorted(levels)}"
        )
    columns = [_read_sizes(levels[level]) for level in range(len(levels))]
    counts = {len(c) for c in columns}
    if len(counts) != 1:
        detail = ", ".join(f"{levels[i].name}: {len(c)}" for i, c in enumerate(columns))
        raise ValueError(f"video folder {folder}: files have unequal chunk counts ({detail})")
    sizes = np.array(columns, dtype=np.int64)
    sizes.setflags(write=False)
    return sizes


def _read_sizes(path: Path) -> list[int]:
    sizes: list[int] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                sizes += _parse_size(path, line_no, line.strip())
    except UnicodeDecodeError:
        raise ValueError(
            f"video file {path}: not a text file (expected one integer byte count per line)"
        ) from None
    if len(sizes) < 2:
        raise ValueError(f"video file {path}: needs at least 2 chunk sizes, found {len(sizes)}")
    return sizes


def _parse_size(path: Path, line_no: int, text: str) -> list[int]:
    """The chunk size on one line (``[]`` for a blank line), checked."""
    if not text:
        return []
    try:
        value = int(text)
    except ValueError:
        raise ValueError(
            f"video file {path} line {line_no}: expected an integer byte count, got {text[:40]!r}"
        ) from None
    if value <= 0:
        raise ValueError(f"video file {path} line {line_no}: chunk size must be > 0, got {value}")
    if value > MAX_CHUNK_BYTES:
        raise ValueError(
            f"video file {path} line {line_no}: chunk size must be <= {MAX_CHUNK_BYTES:.0e} "
            f"bytes (1 TB), got {text[:40]}"
        )
    return [value]


@lru_cache(maxsize=8)
def synthetic_video(
    spec: SyntheticVideo, ladder_kbps: tuple[float, ...], chunk_s: float
) -> np.ndarray:
    """Generate seeded VBR sizes (levels, n_chunks + 1) around each ladder rate."""
    rng = np.random.default_rng(spec.seed)
    lines = spec.n_chunks + 1
    complexity = np.exp(rng.normal(0.0, spec.complexity_sd, lines) - spec.complexity_sd**2 / 2)
    encode = np.exp(
        rng.normal(0.0, spec.encode_sd, (len(ladder_kbps), lines)) - spec.encode_sd**2 / 2
    )
    mean_bytes = np.asarray(ladder_kbps)[:, None] * 1000.0 / 8.0 * chunk_s
    sizes = np.maximum(np.rint(mean_bytes * complexity[None, :] * encode), 1)
    if sizes.max() > MAX_CHUNK_BYTES:
        raise ValueError(
            f"the synthetic video has a chunk of {sizes.max():.3g} bytes, over the "
            f"{MAX_CHUNK_BYTES:.0e}-byte limit of a chunk: lower ladder_kbps (top "
            f"{max(ladder_kbps):g} kbps), chunk_s ({chunk_s:g} s) or "
            f"synthetic_video.complexity_sd ({spec.complexity_sd:g})"
        )
    sizes = sizes.astype(np.int64)
    sizes.setflags(write=False)
    return sizes
