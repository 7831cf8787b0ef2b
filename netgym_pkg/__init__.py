"""netgym: reinforcement-learning environments for networked systems.

The code lives in five subpackages, each depending only on those before it: :mod:`netgym.envs`
(environments; importing it registers every env with Gymnasium), :mod:`netgym.baselines`,
:mod:`netgym.agents`, :mod:`netgym.leaderboard` (protocols, runs, reports, submissions) and
:mod:`netgym.cli` (the ``netgym`` command, also ``python -m netgym``). Beside them,
:mod:`netgym.evaluation` (the one evaluation function) and :mod:`netgym.provenance` (version and
git commit of results).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netgym")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
