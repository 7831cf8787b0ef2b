"""Public data sets: their facts (the packaged ``manifest.json``), where they lie, fetching them.

netgym ships the facts about the third-party data sets its protocols and agents use (upstream
repository, pinned commit, folder, licence, each file's size and sha256), never the files.
``netgym data fetch NAME`` (``fetch``) downloads a data set into the data root, verified;
envs, protocols and benchmarks find it there by name (``dataset_folder``, ``require``). Nothing
is ever downloaded implicitly.

The data root is ``--root`` / ``root``, else ``$NETGYM_DATA``, else
``$XDG_CACHE_HOME/netgym/data`` (``~/.cache/netgym/data``); data set ``abr/fcc-test`` lies in
``<root>/abr/fcc-test/``.

This package imports only the standard library, so every layer of netgym may use it.
"""

from .download import FetchError, FetchProgress, FetchReport, fetch, normalise_mirror
from .local import (
    MIRROR_ENV,
    ROOT_ENV,
    DataChecksumError,
    DataMissingError,
    Problem,
    check_files,
    data_root,
    dataset_folder,
    fetch_command,
    fetched,
    file_sha256,
    require,
    resolve_folder,
    root_origin,
    verify,
)
from .manifest import (
    DataFile,
    Dataset,
    ManifestError,
    canonical_name,
    dataset_names,
    files_identity,
    get_dataset,
    load_manifest,
)

__all__ = [
    "MIRROR_ENV",
    "ROOT_ENV",
    "DataChecksumError",
    "DataFile",
    "DataMissingError",
    "Dataset",
    "FetchError",
    "FetchProgress",
    "FetchReport",
    "ManifestError",
    "Problem",
    "canonical_name",
    "check_files",
    "data_root",
    "dataset_folder",
    "dataset_names",
    "fetch",
    "fetch_command",
    "fetched",
    "file_sha256",
    "files_identity",
    "get_dataset",
    "load_manifest",
    "normalise_mirror",
    "require",
    "resolve_folder",
    "root_origin",
    "verify",
]
