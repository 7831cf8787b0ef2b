#!/usr/bin/env python
"""Train an agent on a netgym environment: ``python train.py --env ID --agent NAME``.

A thin script; the code is ``netgym.cli.train`` (``netgym train`` runs the same code).
Run ``python train.py --help`` for the options.
"""

import sys

from netgym.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
