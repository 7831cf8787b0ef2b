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
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package`` whose names load on first use.

    ``exports`` maps a relative module (``".env"``) to the names it defines, separated by
    spaces; ``alias=name`` exports ``name`` under another name, and the module ``"."`` lists
    submodules exported as modules. Loaded values are cached in the package's namespace.
    """
    targets: dict[str, tuple[str, str | None]] = {}
    for module, names in exports.items():
        for item in names.split():
            alias, _, name = item.partition("=")
            if module == ".":
                targets[alias] = ("." + alias, None)
            else:
                targets[alias] = (module, name or alias)

    def __getattr__(name: str) -> Any:
        try:
            module_name, attribute = targets[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module = importlib.import_module(module_name, package)
        value = module if attribute is None else getattr(module, attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(targets) | set(vars(sys.modules[package])))

    return __getattr__, __dir__, sorted(targets)


__all__ = ["lazy_exports"]
