"""netgym's optional extras: import what one of them installs, or refuse with its install command.

Every guard of an optional dependency (``tune``, ``ray``, ``rllib``, ``minari``, ``video``) goes
through :func:`require`, so that each refusal names what needed the module, the module that is
missing and the one command that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def install_command(extra: str) -> str:
    """The command that installs netgym's extra ``extra``: ``pip install "netgym[<extra>]"``."""
    return f'pip install "netgym[{extra}]"'


def require(
    module: str,
    extra: str,
    needed_for: str,
    *,
    also: tuple[str, ...] = (),
    error: type[ImportError] = ImportError,
) -> ModuleType:
    """The module ``module``, imported after the modules ``also`` that it needs at run time.

    Args:
        module: the dotted name of the module to return.
        extra: the netgym extra that installs it (``"tune"`` for ``pip install "netgym[tune]"``).
        needed_for: what needs it, as the refusal's subject ("tuning", "recording videos").
        also: modules that must import as well (a storage backend the module loads lazily).
        error: the ``ImportError`` subclass to raise.

    Raises:
        ImportError: (or ``error``) one of the modules is missing or fails to import; the message
            names it, the extra and the install command.
    """
    for name in (*also, module):
        try:
            importlib.import_module(name)
        except ImportError as err:
            missing = err.name or name
            raise error(
                f"{needed_for} needs {name}, which is not installed or incomplete ({missing} "
                f'cannot be imported): {install_command(extra)} (the "{extra}" extra)'
            ) from None
    return importlib.import_module(module)  # imported above: this returns it from the cache


__all__ = ["install_command", "require"]
