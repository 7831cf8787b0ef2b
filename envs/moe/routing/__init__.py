"""``netgym/MoeRouting-v0``: token-to-expert routing of one MoE layer call.

``params.py`` (``RoutingParams``), ``sim.py`` (``RoutingSim``, the batched kernel and its scalar
fast path), ``capacity.py`` (top-k and the expert capacity), ``latency.py`` (the layer time),
``gates.py`` / ``trace_gates.py`` (router logits), ``lp.py`` (the per-step upper bound),
``duo.py`` (the skip / small / big mode), ``env.py`` (the scalar and the vector env) and
``parallel.py`` (the PettingZoo env, one agent per device); see ``docs/moe_routing.md``.
"""
