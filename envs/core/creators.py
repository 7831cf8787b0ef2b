"""The functions Gymnasium's ``make`` calls to build netgym's scalar envs.

Gymnasium reads the ``metadata`` of a registered env class and, for ``render_mode="human"`` on
an env that draws ``rgb_array`` frames, builds it in ``rgb_array`` mode and wraps it in
``HumanRendering``, which fails only at the first ``reset`` when pygame is missing (and opens a
window the env never offered). netgym therefore registers each env through a creator function,
which has no ``metadata``: ``render_mode`` reaches the env unchanged and the env accepts exactly
the modes it declares, refusing any other with its own message at construction.

The creator of the class ``package.module:Class`` is the attribute
``package.module.Class`` of this module (``creator_entry_point`` builds the string), resolved on
demand by the module ``__getattr__``, so the entry point works in a fresh process (Gymnasium's
async vector env) without any registry. ``render_mode="<mode>_list"`` keeps Gymnasium's
behaviour: the env is built with ``<mode>`` and wrapped in ``RenderCollection``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import gymnasium as gym

_MODULE = __name__


def creator_entry_point(entry_point: str) -> str:
    """The Gymnasium entry point of the env class ``entry_point`` (``module:Class``)."""
    module, _, name = entry_point.partition(":")
    return f"{_MODULE}:{module}.{name}"


def make_creator(entry_point: str) -> Callable[..., gym.Env]:
    """A function that builds the env class ``entry_point`` (``module:Class``) from keywords."""

    def create(**kwargs: Any) -> gym.Env:
        module, _, name = entry_point.partition(":")
        env_class = getattr(importlib.import_module(module), name)
        render_mode = kwargs.get("render_mode")
        modes = env_class.metadata.get("render_modes", [])
        if (
            isinstance(render_mode, str)
            and render_mode.endswith("_list")
            and render_mode[: -len("_list")] in modes
        ):
            kwargs["render_mode"] = render_mode[: -len("_list")]
            return gym.wrappers.RenderCollection(env_class(**kwargs))
        return env_class(**kwargs)

    create.__qualname__ = create.__name__ = f"create_{entry_point.partition(':')[2]}"
    create.__doc__ = f"Build ``{entry_point}`` (see ``netgym.envs.core.creators``)."
    return create


def __getattr__(name: str) -> Callable[..., gym.Env]:
    """The creator of the class named by ``name`` (``package.module.Class``)."""
    module, _, class_name = name.rpartition(".")
    if not module or not class_name or name.startswith("__"):
        raise AttributeError(f"module {_MODULE!r} has no attribute {name!r}")
    return make_creator(f"{module}:{class_name}")


__all__ = ["creator_entry_point", "make_creator"]
