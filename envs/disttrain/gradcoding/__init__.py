"""``netgym/SeqGradCoding-v0``: the gradient-coding scheme chosen per epoch against stragglers.

``schemes.py`` (loads, delays, the arms menu), ``stragglers.py`` (the synthetic delay process),
``traces.py`` (.npy / .csv delay traces), ``kernels.py`` (the compiled round rule, epoch
loop, observation and delay expansion), ``rounds.py`` (the round rule's wrappers; arm
evaluation and the clairvoyant floor), ``params.py``, ``sim.py``, ``observe.py`` and ``env.py``
(the scalar and the vector env); see ``docs/disttrain.md``.

``netgym/SeqGradCoding-v1`` is the same env with its delays drawn lazily, in the step, from a
counter-based generator: ``envs/core/streams.py`` (the generator), ``lazy.py`` (the draw kernels),
``sim_v1.py`` and ``env_v1.py`` (``docs/disttrain.md``, "v0 vs v1").
"""
