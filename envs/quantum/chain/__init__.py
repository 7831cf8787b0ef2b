"""``netgym/RepeaterChain-v0``: a quantum repeater chain whose nodes wait, swap, purify or discard.

``params`` (``ChainParams``), ``sim`` (``ChainSim``, the batched dynamics), ``observations`` and
``spaces`` (what the envs show and accept), ``env`` (the Gymnasium env and its vector env),
``parallel`` (the PettingZoo env, versioned as ``quantum.repeater_chain_v0``) and ``mdp``
(the finite MDP of small abstract chains and its exact solution). The main names are exported
lazily by ``netgym.envs.quantum``.
"""
