"""``netgym/RepeaterChain-v0``: a quantum repeater chain whose nodes wait, swap, purify or discard.

``params`` (``ChainParams``), ``sim`` (``ChainSim``, the batched dynamics), ``observations`` and
``spaces`` (what the envs show and accept), ``env`` (the Gymnasium env and its vector env),
``parallel`` (the PettingZoo env, versioned as ``quantum.repeater_chain_v0``) and ``mdp``
(the finite MDP of small abstract chains and its exact solution).
"""

from ...core.lazy import lazy_exports

_EXPORTS = {
    "ChainMdp": ".mdp",
    "ChainParams": ".params",
    "ChainSim": ".sim",
    "RepeaterChainEnv": ".env",
    "RepeaterChainParallelEnv": ".parallel",
    "RepeaterChainVectorEnv": ".env",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
