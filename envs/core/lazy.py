"""Lazy package exports (PEP 562), so that importing a family's ``family.py`` stays cheap.

``import netgym.envs`` reads every family's declaration to register the env ids; with lazy
exports that imports no sim, physics or data code until a name is first used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names load on first use.

    ``exports`` maps a public name to the relative module that defines it (``".env"``), or to
    ``".module:attr"`` where the name differs, or to ``".module:"`` for the module itself.
    Loaded values are cached in the package's namespace.
    """

    def __getattr__(name: str) -> Any:
        try:
            target = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name, package)
        value = module if target.endswith(":") else getattr(module, attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(sys.modules[package])))

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
