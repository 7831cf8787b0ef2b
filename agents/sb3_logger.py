"""SB3's own diagnostics in the run folder: ``sb3/progress.csv`` always, TensorBoard when installed.

stable-baselines3 logs what netgym's progress callback does not see (losses, ``approx_kl``,
entropy, explained variance, clip fraction, fps). An ``SB3Agent`` that trains in a run folder
gives its model a logger writing SB3's CSV to ``<run>/sb3/progress.csv`` (SB3's column names,
e.g. ``train/approx_kl``, ``rollout/ep_rew_mean``, ``time/total_timesteps``) and, when the
``tensorboard`` extra is installed, TensorBoard event files to ``<run>/tb/<agent>/``. Without
TensorBoard it says so once per process (a logging warning) and writes the CSV alone.

A resumed run keeps the rows up to the checkpoint it resumed from and appends after them, as
netgym's own ``progress.csv`` does.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from stable_baselines3.common.logger import CSVOutputFormat, KVWriter, Logger

from .progress_log import tensorboard_available

logger = logging.getLogger(__name__)

STEPS_COLUMN = "time/total_timesteps"
"""SB3's column of env steps"""


class ResumableCSV(CSVOutputFormat):
    """SB3's CSV writer on a file that may hold rows of an earlier part of the run: rows up to
    ``keep_until`` env steps are kept (their columns too), later ones dropped."""

    def __init__(self, path: Path, keep_until: int) -> None:
        rows: list[dict[str, str]] = []
        keys: list[str] = []
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as file:
                reader = csv.DictReader(file)
                keys = list(reader.fieldnames or [])
                rows = [row for row in reader if _steps(row) <= keep_until]
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(str(path))  # opens the file "w+": rewritten from the kept rows
        self.keys = keys
        if keys:
            writer = csv.DictWriter(self.file, keys, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            self.file.flush()


def _steps(row: dict[str, str]) -> float:
    try:
        return float(row.get(STEPS_COLUMN) or 0)
    except ValueError:
        return 0.0


def run_logger(out_dir: Path, agent_name: str, steps_done: int) -> Logger:
    """The SB3 logger of a run folder (see the module docstring)."""
    out_dir = Path(out_dir)
    formats: list[KVWriter] = [ResumableCSV(out_dir / "sb3" / "progress.csv", steps_done)]
    if tensorboard_available():
        from stable_baselines3.common.logger import TensorBoardOutputFormat

        formats.append(TensorBoardOutputFormat(str(out_dir / "tb" / agent_name)))
    return Logger(folder=str(out_dir / "sb3"), output_formats=formats)


__all__ = ["STEPS_COLUMN", "ResumableCSV", "run_logger"]
