"""``progress.csv`` and TensorBoard: where a training run records its agent's progress reports."""

from __future__ import annotations

import csv
import importlib.util
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
_said_no_tensorboard = False


class ProgressLog:
    """``progress.csv``: one row per progress report (``steps``, ``wall_s``, then the metrics).

    Agents may report new metrics as training goes on; the file is rewritten with the wider
    header when that happens (rare), and appended to otherwise.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: list[str] = ["steps", "wall_s"]
        self.rows: list[dict[str, Any]] = []
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as file:
                reader = csv.DictReader(file)
                self.columns = list(reader.fieldnames or self.columns)
                self.rows = list(reader)

    @property
    def last_wall_s(self) -> float:
        """The wall time of the last row (0 for an empty log)."""
        return float(self.rows[-1]["wall_s"]) if self.rows else 0.0

    def drop_after(self, steps: int) -> None:
        """Forget rows past ``steps`` (after resuming from an earlier checkpoint)."""
        kept = [row for row in self.rows if int(float(row["steps"])) <= steps]
        if len(kept) != len(self.rows):
            self.rows = kept
            self._rewrite()

    def append(self, steps: int, wall_s: float, metrics: dict[str, float]) -> None:
        """Add one row."""
        row = {"steps": int(steps), "wall_s": round(wall_s, 3), **metrics}
        self.rows.append(row)
        new = [key for key in row if key not in self.columns]
        if new or not self.path.is_file():
            self.columns.extend(new)
            self._rewrite()
            return
        with self.path.open("a", newline="", encoding="utf-8") as file:
            csv.DictWriter(file, self.columns).writerow(row)

    def _rewrite(self) -> None:
        with self.path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, self.columns)
            writer.writeheader()
            writer.writerows(self.rows)


def tensorboard_available() -> bool:
    """Whether TensorBoard is installed; when it is not, a warning says so once per process."""
    global _said_no_tensorboard
    if importlib.util.find_spec("tensorboard") is not None:
        return True
    if not _said_no_tensorboard:
        _said_no_tensorboard = True
        logger.warning(
            "TensorBoard is not installed: training logs go to the run folder's CSV files "
            "only (progress.csv, and sb3/progress.csv for SB3 agents); "
            "pip install 'netgym[tensorboard]' to get TensorBoard logs too"
        )
    return False


def tensorboard_writer(folder: Path) -> Any:
    """A TensorBoard ``SummaryWriter`` on ``folder`` when tensorboard is installed, else None
    (``tensorboard_available`` says once that it is not)."""
    if not tensorboard_available():
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(folder))


__all__ = ["ProgressLog", "tensorboard_available", "tensorboard_writer"]
