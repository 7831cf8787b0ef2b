"""The run folder of a training run: where it lives, what it holds, and its checkpoints.

``runs/<env>/<agent>/seed-<S>/`` by default, holding ``RUN_FILES`` (the table in
``docs/training.md``, "Run folder"); ``overwrite`` removes those files and nothing else.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .base import Agent

RUNS_ROOT = Path("runs")
"""the default parent of run folders"""
RUN_FILES = ("config.yaml", "model", "checkpoints", "progress.csv", "sb3", "tb", "eval.json")
"""what a run writes into its folder (and what ``overwrite`` removes; nothing else is touched)"""


def run_folder(env_id: str, agent: str, seed: int, root: Path = RUNS_ROOT) -> Path:
    """``root/<env>/<agent>/seed-<S>``, with ``/``, ``:`` and ``\\`` of the env id as ``_``."""
    return root / re.sub(r"[/:\\]", "_", env_id) / agent / f"seed-{seed}"


def check_folder(out_dir: Path, overwrite: bool) -> None:
    """Raise ``ValueError`` unless ``out_dir`` may hold a new run."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"run folder {out_dir} is a file")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(
            f"run folder {out_dir} is not empty; pass --overwrite to replace its run, "
            f"--resume {out_dir} to continue it, or --out DIR for another folder"
        )


def clear_folder(out_dir: Path) -> None:
    """Create ``out_dir``, removing the files of an earlier run (``RUN_FILES``) and nothing else."""
    for name in RUN_FILES:
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def checkpoints(folder: Path) -> list[tuple[int, Path]]:
    """The ``checkpoints/step-<N>`` folders of a run, as (N, path) sorted by N."""
    found = []
    for path in (folder / "checkpoints").glob("step-*"):
        match = re.fullmatch(r"step-(\d+)", path.name)
        if match and path.is_dir():
            found.append((int(match.group(1)), path))
    return sorted(found)


def load_latest(folder: Path, agent_class: type[Agent], device: str) -> Agent:
    """The agent of ``model/`` or of the latest checkpoint, whichever has trained longer."""
    best: Agent | None = None
    if (folder / "model").is_dir():
        best = agent_class.load(folder / "model", device=device)
    saved = checkpoints(folder)
    if saved and (best is None or saved[-1][0] > best.steps_done):
        if best is not None:
            best.close()
        best = agent_class.load(saved[-1][1], device=device)
    if best is None:
        raise FileNotFoundError(f"{folder} has neither a model/ nor a checkpoints/step-<N>/")
    return best


__all__ = [
    "RUNS_ROOT",
    "RUN_FILES",
    "check_folder",
    "checkpoints",
    "clear_folder",
    "load_latest",
    "run_folder",
]
