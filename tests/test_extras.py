"""One guard for every optional extra: the module, or a refusal with the install command."""

from __future__ import annotations

import sys

import pytest
from netgym.extras import install_command, require


class _Missing(ImportError):
    pass


def test_require_returns_the_module_when_it_imports() -> None:
    import json.decoder

    assert require("json.decoder", "never", "parsing") is json.decoder
    assert require("json", "never", "parsing", also=("json.decoder",)) is sys.modules["json"]


def test_a_missing_module_is_named_with_what_needed_it_and_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "netgym_never_installed", None)
    with pytest.raises(ImportError) as err:
        require("netgym_never_installed", "tune", "tuning")
    message = str(err.value)
    assert message.startswith("tuning needs netgym_never_installed, which is not installed")
    assert message.endswith('pip install "netgym[tune]" (the "tune" extra)')
    assert err.value.__cause__ is None  # the refusal, not the import machinery's traceback


def test_a_missing_companion_module_is_the_one_named_and_the_error_class_is_kept(
    monkeypatch,
) -> None:
    monkeypatch.setitem(sys.modules, "netgym_never_storage", None)
    with pytest.raises(_Missing, match="needs netgym_never_storage"):
        require("json", "minari", "data sets", also=("netgym_never_storage",), error=_Missing)


def test_a_module_whose_own_import_fails_is_reported_as_incomplete(tmp_path, monkeypatch) -> None:
    (tmp_path / "netgym_broken_extra.py").write_text("import netgym_absent_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match=r"\(netgym_absent_dependency cannot be imported\)"):
        require("netgym_broken_extra", "video", "recording videos")


def test_install_command_is_the_quoted_pip_extra() -> None:
    assert install_command("rllib") == 'pip install "netgym[rllib]"'
