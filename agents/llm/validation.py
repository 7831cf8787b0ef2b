"""Which env the LLM-adapted agents play their validation episodes on.

NetLLM trains its ABR model on the ``fcc-train`` traces and selects it on the 150 traces of
``fcc-valid``, never on the test traces. ``validation_env_kwargs`` does the same: when the agent
trains on ABR with the ``fcc-train`` traces (the data set name or a folder of that name) and
``fcc-valid`` is present, the validation episodes play ``fcc-valid`` with the training env's
other settings. It is looked for beside the training folder (``<dir>/fcc-valid``, the layout of
a data root), as in a NetLLM checkout (``traces/train/fcc-train`` -> ``traces/valid/fcc-valid``)
and under the data root (``abr/fcc-valid``, ``netgym data fetch abr/fcc-valid``). Otherwise
(synthetic or other traces, or no ``fcc-valid``), the validation episodes play the training
env on the validation seeds. ``val_env_kwargs`` in the agent's config overrides both.

No torch here, so the choice can be tested without the training stack.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

TRAIN_FOLDER = "fcc-train"
VALID_DATASET = "abr/fcc-valid"


def fcc_valid_folder(traces: Any) -> Path | None:
    """The ``fcc-valid`` folder that goes with training traces ``traces``, None if there is
    none (or ``traces`` are not ``fcc-train``)."""
    if not isinstance(traces, (str, os.PathLike)) or Path(traces).name != TRAIN_FOLDER:
        return None
    from netgym.data import check_files, dataset_folder

    path = Path(traces)
    candidates = []
    if path.is_dir():
        candidates += [path.parent / "fcc-valid", path.parent.parent / "valid" / "fcc-valid"]
    candidates.append(dataset_folder(VALID_DATASET))
    for folder in candidates:
        if folder.is_dir() and not check_files(VALID_DATASET, folder, checksums=False):
            return folder
    return None


def validation_env_kwargs(env_id: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The env kwargs of the validation episodes for an agent trained on ``env_id`` with
    ``env_kwargs``: ``fcc-valid`` instead of ``fcc-train`` when present (see the module
    docstring), else ``env_kwargs`` itself."""
    if not env_id.split(":", 1)[-1].startswith("netgym/AbrStreaming-"):
        return env_kwargs
    params = env_kwargs.get("params")
    if "traces" in env_kwargs:
        folder = fcc_valid_folder(env_kwargs["traces"])
        return env_kwargs if folder is None else {**env_kwargs, "traces": str(folder)}
    if dataclasses.is_dataclass(params) and hasattr(params, "traces"):
        folder = fcc_valid_folder(params.traces)
        if folder is not None:
            return {**env_kwargs, "params": dataclasses.replace(params, traces=folder)}
    return env_kwargs


__all__ = ["fcc_valid_folder", "validation_env_kwargs"]
