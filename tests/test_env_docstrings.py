"""Every env class documents its whole contract in Gymnasium's docstring sections (the
scalar env, its native vector env and its PettingZoo env), Version History included."""

from __future__ import annotations

import importlib

import pytest
from netgym.envs import env_specs

SECTIONS = (
    "## Description",
    "## Action Space",
    "## Observation Space",
    "## Rewards",
    "## Starting State",
    "## Episode End",
    "## Arguments",
    "## Version History",
)


def _load(entry: str) -> type:
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


def _classes() -> list[tuple[str, type]]:
    found = []
    for spec in env_specs().values():
        found.append((spec.entry_point, _load(spec.entry_point)))
        if spec.parallel is not None:
            module = importlib.import_module(spec.parallel)
            cls = type(module.parallel_env())
            found.append((f"{spec.parallel}:{cls.__name__}", cls))
    return found


CLASSES = _classes()


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=[name for name, _ in CLASSES])
def test_env_docstring_has_every_section(name, cls):
    doc = cls.__doc__ or ""
    missing = [section for section in SECTIONS if section not in doc]
    assert not missing, f"{name} lacks {missing}"
    assert "* v0" in doc.split("## Version History", 1)[1], f"{name}: no version entry"


VECTOR = [spec for spec in env_specs().values() if spec.vector_entry_point is not None]


@pytest.mark.parametrize("spec", VECTOR, ids=[spec.id for spec in VECTOR])
def test_vector_env_docstring_points_at_its_scalar_twin_and_has_a_version_history(spec):
    """A vector env shares its scalar env's contract; its docstring says so by name (as
    Gymnasium's CartPoleVectorEnv does) and keeps its own version history."""
    doc = _load(spec.vector_entry_point).__doc__ or ""
    scalar = spec.entry_point.partition(":")[2]
    assert f"``{scalar}``" in doc, f"{spec.vector_entry_point} does not name {scalar}"
    assert "## Version History" in doc and "* v0" in doc, spec.vector_entry_point
