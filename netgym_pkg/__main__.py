"""``python -m netgym ...``: the same as the ``netgym`` command."""

import sys

from netgym.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
