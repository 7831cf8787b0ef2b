"""netgym: reinforcement-learning environments for networked systems.

The code lives in four subpackages: :mod:`netgym.envs` (environments; importing it registers
every env with Gymnasium), :mod:`netgym.agents`, :mod:`netgym.baselines` and
:mod:`netgym.leaderboard` (evaluation and the ``netgym`` command line).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netgym")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
