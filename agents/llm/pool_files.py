"""Experience pool files: the ``.npz`` layout (format 2 written, format 1 still read).

``read_arrays`` opens a pool file without pickle and returns the ``ExperiencePool`` attributes,
checked for their kinds (strings, JSON); ``ExperiencePool.validate`` checks the rest. A format 1
file's ``dones`` (True where an episode ended, by termination or truncation: the file does not
say which) become the terminations, with no truncation and no final observations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

POOL_FORMAT = 2
"""version of the pool file layout written (format 1 is still read)"""
READ_FORMATS = (1, 2)
"""the pool file versions ``ExperiencePool.load`` reads"""

_COMMON = ("observations", "actions", "rewards", "policies", "env_id", "env_kwargs", "format")
KEYS = {1: (*_COMMON, "dones"), 2: (*_COMMON, "terminations", "truncations")}
"""the arrays each format must hold (format 2 may add ``final_observations``)"""


def read_arrays(path: Path) -> dict[str, Any]:
    """The pool attributes stored in ``path`` (``ExperiencePool.load``'s reading half).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not an npz archive, lacks arrays, holds objects (pickle), has
            another format version, or strings that are not strings or JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"experience pool {path} does not exist")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"experience pool {path} is not an npz archive: {err}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"experience pool {path} is a single .npy array, not an npz archive")
    with archive:
        version = format_of(archive, path)
        missing = [key for key in KEYS[version] if key not in archive.files]
        if missing:
            raise ValueError(f"experience pool {path} lacks the arrays {missing}")
        keys = list(KEYS[version])
        if version == 2 and "final_observations" in archive.files:
            keys.append("final_observations")
        try:
            data = {key: archive[key] for key in keys}
        except ValueError as err:  # object arrays need pickle, which is refused
            raise ValueError(f"experience pool {path} holds unreadable arrays: {err}") from None
    for key in ("env_id", "env_kwargs"):
        if data[key].shape != () or data[key].dtype.kind != "U":
            raise ValueError(f"experience pool {path}: {key} must be a string")
    try:
        env_kwargs = json.loads(str(data["env_kwargs"]))
    except json.JSONDecodeError as err:
        raise ValueError(f"experience pool {path}: env_kwargs is not JSON: {err}") from None
    if data["policies"].dtype.kind != "U":
        raise ValueError(f"experience pool {path}: policies must be strings")
    if version == 1:
        terminations = data["dones"]
        truncations = np.zeros(terminations.shape[:1], dtype=bool)
    else:
        terminations, truncations = data["terminations"], data["truncations"]
    return {
        "observations": data["observations"],
        "actions": data["actions"],
        "rewards": data["rewards"],
        "terminations": terminations,
        "truncations": truncations,
        "final_observations": data.get("final_observations"),
        "policies": data["policies"],
        "env_id": str(data["env_id"]),
        "env_kwargs": env_kwargs,
    }


def format_of(archive: Any, path: Path) -> int:
    """The format version of an open pool archive (``ValueError`` if it is not one read)."""
    if "format" not in archive.files:
        raise ValueError(f"experience pool {path} lacks the arrays ['format']")
    try:
        value = archive["format"]
    except ValueError as err:
        raise ValueError(f"experience pool {path} holds unreadable arrays: {err}") from None
    if value.shape != () or value.dtype.kind not in "iu" or int(value) not in READ_FORMATS:
        raise ValueError(
            f"experience pool {path} has format {value!r}, this netgym reads formats "
            f"{list(READ_FORMATS)}"
        )
    return int(value)


__all__ = ["KEYS", "POOL_FORMAT", "READ_FORMATS", "format_of", "read_arrays"]
