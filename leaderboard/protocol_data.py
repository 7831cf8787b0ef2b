"""The data of a protocol: which published data sets it reads, where they are, whether they are
the published files, and their identity.

A protocol that reads data names its data sets (``Protocol.datasets``, e.g. ``abr/fcc-test`` and
``abr/video1``: entries of netgym's data manifest, ``netgym.data``). Its data folder is the
family folder that holds them (``<data root>/abr``, or the ``--data-dir`` override); every file
the manifest lists must be there with the published sha256, and the protocol reads those files
only, so files beside them (a user's notes, NetLLM's other files) change nothing.

The data identity is the sha256 of the manifest's (data set, file, sha256) triples of the files
the protocol reads (``data_identity``): it needs no data, it enters the protocol's version, and
it is the ``data_checksum`` of a folder whose files are the published ones. A changed trace
gives another checksum (``folder_checksum``) and is refused before a run (``require_datasets``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from netgym.data import (
    DataChecksumError,
    DataMissingError,
    check_files,
    data_root,
    fetch_command,
    file_sha256,
    files_identity,
    get_dataset,
    root_origin,
)


def canonical_datasets(protocol: str, names: Sequence[str]) -> tuple[str, ...]:
    """The full names of ``names``, checked to be known and of one family.

    Raises:
        ValueError: an unknown data set, or data sets of several families.
    """
    try:
        full = tuple(get_dataset(name).name for name in names)
    except ValueError as err:
        raise ValueError(f"protocol {protocol!r}: {err}") from None
    families = {name.split("/", 1)[0] for name in full}
    if len(families) > 1:
        raise ValueError(
            f"protocol {protocol!r}: its data sets {list(full)} must share one family folder"
        )
    return full


def data_identity(datasets: Sequence[str]) -> str:
    """sha256 of the manifest's (data set, file, sha256) of every file of ``datasets``."""
    return files_identity(
        (dataset.name, entry.name, entry.sha256)
        for dataset in map(get_dataset, datasets)
        for entry in dataset.files
    )


def folder_checksum(datasets: Sequence[str], folder: Path) -> str:
    """The same hash as ``data_identity`` over the files as they are in ``folder`` (the family
    folder): equal to it exactly when every file is the published one."""
    return files_identity(
        (dataset.name, entry.name, file_sha256(folder / dataset.short_name / entry.name))
        for dataset in map(get_dataset, datasets)
        for entry in dataset.files
    )


def family_folder(datasets: Sequence[str], data_dir: str | Path) -> Path:
    """``data_dir`` as the family folder: a data root (``DIR/abr/fcc-test/``) is accepted too."""
    folder = Path(data_dir)
    family = datasets[0].split("/", 1)[0]
    short = [name.split("/", 1)[1] for name in datasets]
    inside = folder / family
    if not all((folder / s).is_dir() for s in short) and all((inside / s).is_dir() for s in short):
        return inside
    return folder


def require_datasets(
    protocol: str,
    datasets: Sequence[str],
    data_dir: str | Path | None,
    checksums: bool = True,
) -> Path:
    """The family folder holding ``datasets``, checked to hold every published file.

    Args:
        protocol: the protocol's name, for messages.
        datasets: its data sets (full names).
        data_dir: the family folder (``DIR`` with ``DIR/fcc-test/``) or a data root
            (``DIR/abr/fcc-test/``); None: the data root's family folder (``netgym.data``).
        checksums: compare each file's size and sha256 with the manifest (False: only that
            every file is there).

    Raises:
        DataMissingError: a folder or a file is missing (the message names it and gives the
            ``netgym data fetch`` command).
        DataChecksumError: a file is not the published one.
    """
    short = [name.split("/", 1)[1] for name in datasets]
    needed = " and ".join(f"{name}/" for name in short)
    command = fetch_command(datasets)
    if data_dir is None:
        root = data_root()
        folder = root / datasets[0].split("/", 1)[0]
        absent = [name for name in datasets if not (root / name).is_dir()]
        if absent:
            raise DataMissingError(
                f"protocol {protocol!r} needs a data folder holding {needed}; none was given "
                f"and the data root {root} (from {root_origin()}) lacks {', '.join(absent)}: "
                f"run `{command}`"
            )
        where = f"run `{command}` to repair it"
    else:
        folder = family_folder(datasets, data_dir)
        if not folder.is_dir():
            raise DataMissingError(
                f"protocol {protocol!r} needs a data folder holding {needed}, "
                f"but {folder} does not exist"
            )
        for name in short:
            if not (folder / name).is_dir():
                raise DataMissingError(
                    f"protocol {protocol!r} needs the folder {folder / name} ({needed} under "
                    f"the data folder {folder}; `{command}` fetches them into the data root)"
                )
        where = f"`{command}` fetches the published files into the data root"
    for name in datasets:
        dataset = get_dataset(name)
        problems = check_files(dataset, folder / dataset.short_name, checksums=checksums)
        if not checksums:
            problems = [p for p in problems if p.reason == "missing"]
        if not problems:
            continue
        more = f" (and {len(problems) - 1} more files)" if len(problems) > 1 else ""
        first = problems[0]
        if first.reason == "missing":
            raise DataMissingError(
                f"protocol {protocol!r} reads {first.path} of data set {name}, which is "
                f"missing{more}: {where}"
            )
        raise DataChecksumError(
            f"protocol {protocol!r} reads {first.path} of data set {name}, which is not the "
            f"published file ({first.reason}){more}: {where}"
        )
    return folder


def dataset_files(name: str, folder: Path) -> list[Path]:
    """The paths of the manifest's files of data set ``name`` in the family folder ``folder``
    (as ``require_datasets`` returns it), sorted as a folder listing is."""
    dataset = get_dataset(name)
    return sorted(folder / dataset.short_name / entry.name for entry in dataset.files)


__all__ = [
    "canonical_datasets",
    "data_identity",
    "dataset_files",
    "family_folder",
    "folder_checksum",
    "require_datasets",
]
