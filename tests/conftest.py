"""Shared fixtures. Real data lives in ../shared/data (see its README); tests that need it skip
with a reason on a fresh clone without it and fail under CI (CI=true), where it must exist."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("NETGYM_DATA", REPO_ROOT.parent / "shared" / "data"))


def _require(path: Path) -> Path:
    if path.is_dir():
        return path
    message = f"real data folder {path} is missing (see shared/data/README.md)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}; under CI it must be present")
    pytest.skip(message)


@pytest.fixture(scope="session")
def abr_data() -> Path:
    """Folder with hsdpa-test/, fcc-test/, fcc-train/, video1/ and video2/."""
    return _require(DATA_ROOT / "abr")


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
