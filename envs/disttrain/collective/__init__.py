"""``netgym/CollectivePath-v0``: path and split selection for the traffic of a collective.

``params.py`` (``CollectivePathParams``), ``episode.py`` (the shared model and each episode's
plan: failures, placement, decisions), ``kernels.py`` (the compiled plan costs, flow-mode step
and observation), ``sim.py`` (``CollectiveSim``, the batched dynamics),
``observe.py`` (observations), ``env.py`` (the scalar and the vector env) and ``parallel.py``
(the PettingZoo env, one agent per leaf); see ``docs/disttrain.md``.
"""
