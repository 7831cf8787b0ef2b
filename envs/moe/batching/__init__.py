"""``netgym/MoeBatching-v0``: expert-aware batch composition for MoE serving (Read-ME 4.2).

``params.py`` (``BatchingParams``), ``sim.py`` (``BatchingSim``, one serving episode) and
``env.py`` (``MoeBatchingEnv``).
"""
