"""``EnvParams``: what every env's frozen params dataclass shares.

An env's configuration is a frozen dataclass (gymnax's ``EnvParams`` idea, in numpy): defaults,
``__post_init__`` validation and named presets. This mixin gives each of them the same helpers
and, above all, one ``coerce``, so that ``gym.make(id, params=...)`` accepts the same things for
every env: a params object, a dict of fields, a preset name or None, plus keyword overrides.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

import numpy as np

P = TypeVar("P", bound="EnvParams")


class EnvParams:
    """Mixin for a frozen dataclass of env parameters.

    Subclasses set ``ENV_NAME`` (the env's name in error messages, e.g. ``"AbrStreaming"``)
    and ``PRESETS`` (preset name -> the name of a classmethod that builds it from keyword
    changes, e.g. ``{"default": None, "pensieve": "pensieve"}``; None stands for the class's
    own defaults).
    """

    ENV_NAME: ClassVar[str] = ""
    PRESETS: ClassVar[dict[str, str | None]] = {}

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the fields, for command-line help and kwargs checks."""
        return [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

    def replace(self: P, **changes: Any) -> P:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def preset(cls: type[P], name: str, **changes: Any) -> P:
        """The preset ``name`` (see ``PRESETS``) with ``changes`` applied.

        Raises:
            ValueError: an unknown preset name; the message lists the known ones.
        """
        if not isinstance(name, str) or name not in cls.PRESETS:
            raise ValueError(
                f"unknown {cls.__name__} preset {name!r}; known: {sorted(cls.PRESETS)}"
            )
        method = cls.PRESETS[name]
        return cls(**changes) if method is None else getattr(cls, method)(**changes)

    @classmethod
    def coerce(cls: type[P], params: Any = None, overrides: dict[str, Any] | None = None) -> P:
        """The params an env is made with: ``params`` (an instance, a dict of fields, a preset
        name or None) with the keyword ``overrides`` applied on top.

        Raises:
            ValueError: ``params`` of another type, or field names the class does not have.
        """
        overrides = overrides or {}
        if params is not None and not isinstance(params, (cls, dict, str)):
            raise ValueError(
                f"params must be a {cls.__name__}, a dict, a preset name or None, "
                f"got {type(params)}"
            )
        names = cls.field_names()
        unknown = set(overrides) | (set(params) if isinstance(params, dict) else set())
        unknown -= set(names)
        if unknown:
            raise ValueError(
                f"unknown {cls.ENV_NAME or cls.__name__} parameters {sorted(unknown)}; "
                f"known: {names}"
            )
        overrides = as_scalars(overrides)
        if isinstance(params, cls):
            return params.replace(**overrides) if overrides else params
        if isinstance(params, str):
            return cls.preset(params, **overrides)
        return cls(**{**as_scalars(params or {}), **overrides})


def as_scalars(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with 0-d numpy arrays (``np.array(3.0)``, what numpy reductions of arrays
    give) as the Python scalars they hold: params are frozen and hashed (envs share models by
    params), and an array is not hashable."""
    return {
        key: value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
        for key, value in values.items()
    }


__all__ = ["EnvParams", "as_scalars"]
