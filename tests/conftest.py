"""Shared fixtures.

Real data: the data sets of netgym's manifest under the data root, found as netgym finds them
(``netgym.data.data_root``: ``$NETGYM_DATA``, else ``~/.cache/netgym/data``); CI points
``NETGYM_DATA`` at the project's copy. A test that needs a data set skips on a fresh clone with
the ``netgym data fetch`` command in its reason, and fails under CI (``CI=true``), where the
data must be present.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ABR_DATASETS = ("abr/hsdpa-test", "abr/fcc-test", "abr/fcc-train", "abr/video1")
"""the data sets of the tests that use ``abr_data``"""


def under_ci() -> bool:
    """Whether the tests run under CI (``CI=true``), where missing data is a failure."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_datasets(*names: str) -> Path:
    """The data root, after checking that it holds every file of the data sets ``names``;
    skip the calling test (fail it under CI) with the fetch command otherwise."""
    from netgym.data import DataMissingError, data_root, require

    try:
        require(names, purpose="this test")
    except DataMissingError as err:
        if under_ci():
            pytest.fail(f"{err}; under CI the data must be present")
        pytest.skip(str(err))
    return data_root()


@pytest.fixture(scope="session")
def abr_data() -> Path:
    """The data root's ``abr/`` folder, with ``hsdpa-test/``, ``fcc-test/``, ``fcc-train/`` and
    ``video1/`` (the folder the protocols' ``--data-dir`` takes)."""
    return require_datasets(*ABR_DATASETS) / "abr"


MIRRORED = ("abr/fcc-test", "abr/hsdpa-test", "abr/video1")
"""the data sets the ``data_mirror`` fixture serves"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging each request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


@contextlib.contextmanager
def serve(handler: Any) -> Iterator[str]:
    """Run an HTTP server with ``handler`` on 127.0.0.1 at an ephemeral port, in a thread;
    yield its URL and stop it afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serve_folder(folder: Path) -> contextlib.AbstractContextManager[str]:
    """``serve`` the files of ``folder`` (a mirror: ``URL/<data set>/<file>``)."""
    return serve(functools.partial(QuietHandler, directory=str(folder)))


@pytest.fixture(scope="session")
def data_mirror() -> Iterator[str]:
    """The data root (found as ``abr_data`` finds it) served over HTTP on 127.0.0.1: a mirror
    for ``netgym data fetch --mirror`` with the data sets ``MIRRORED``."""
    with serve_folder(require_datasets(*MIRRORED)) as url:
        yield url


@pytest.fixture
def no_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root as ``$NETGYM_DATA``: what a fresh clone without data sees."""
    root = tmp_path / "empty-data-root"
    root.mkdir()
    monkeypatch.setenv("NETGYM_DATA", str(root))
    return root


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread: on a loaded 2-core machine its thread pool slows tiny nets 10x.

    Skips the test when torch (the ``train`` extra) is not installed.
    """
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def importable(name: str) -> None:
    """Skip the calling test unless the registered agent ``name`` imports (its extra is there).

    Test modules import it with ``from conftest import importable``.
    """
    from netgym.agents import AgentUnavailableError, get_agent_class

    try:
        get_agent_class(name)
    except AgentUnavailableError as err:
        pytest.skip(f"agent {name!r} is not importable: {err}")
