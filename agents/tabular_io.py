"""The folder of a saved tabular agent: ``agent.json`` and ``table.npz`` (no pickle).

``agent.json`` holds the algorithm, hyperparameters, training context, ``steps_done``, epsilon,
the exploration RNG state, recent episode returns and each table's discretiser; ``table.npz``
holds the tables (``q_<i>``) and each Box discretiser's arrays (``features_<i>``, ``low_<i>``,
``high_<i>``, ``bins_<i>``). See ``docs/training.md`` ("Tabular agents").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

SAVE_FORMAT = 1
"""version of the saved-agent folder layout (agent.json's ``format``)"""


def write_saved(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` to ``path/agent.json`` and ``arrays`` to ``path/table.npz``.

    Raises:
        ValueError: ``meta`` is not JSON-serialisable (e.g. through the env kwargs).
    """
    path.mkdir(parents=True, exist_ok=True)
    try:
        text = json.dumps(meta, indent=2)
    except TypeError as err:
        raise ValueError(
            f"cannot save: the env_kwargs and hyperparameters must be JSON-serialisable ({err})"
        ) from None
    np.savez(path / "table.npz", **arrays)
    (path / "agent.json").write_text(text)


def read_saved(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The ``agent.json`` data and the ``table.npz`` arrays of a folder from ``write_saved``.

    Raises:
        FileNotFoundError: ``agent.json`` or ``table.npz`` is missing.
        ValueError: ``agent.json`` is of another format.
    """
    for name in ("agent.json", "table.npz"):
        if not (path / name).is_file():
            raise FileNotFoundError(f"no saved tabular agent at {path}: {name} is missing")
    meta = json.loads((path / "agent.json").read_text())
    if meta.get("format") != SAVE_FORMAT:
        raise ValueError(f"{path}: unknown save format {meta.get('format')!r}")
    with np.load(path / "table.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return meta, arrays


__all__ = ["SAVE_FORMAT", "read_saved", "write_saved"]
