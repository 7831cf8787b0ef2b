"""Package discovery for netgym (the metadata is in pyproject.toml).

The code folders at the repository root are installed under one namespace, ``netgym``
(``envs/`` -> ``netgym.envs``, ...). Every folder with an ``__init__.py`` below them is a package,
found here so that a new env or family folder needs no hand-kept list.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "netgym": "netgym_pkg",
    "netgym.envs": "envs",
    "netgym.agents": "agents",
    "netgym.baselines": "baselines",
    "netgym.leaderboard": "leaderboard",
    "netgym.cli": "cli",
}


def packages() -> list[str]:
    """Every package under each root folder, with its ``netgym`` name."""
    found = []
    for name, folder in PACKAGE_DIRS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return found


setup(package_dir=PACKAGE_DIRS, packages=packages())
