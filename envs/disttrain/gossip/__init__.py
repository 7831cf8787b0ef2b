"""``netgym/AsyncGossip-v0``: gossip-rate and edge-sampling control of DADAO (Nabli and
Oyallon, ICML 2023), an exact event simulation of its asynchronous decentralized optimiser.

``graphs.py`` (graphs, Laplacians, chi1 / chi2, the communication-rate table), ``losses.py``
(quadratic and logistic local losses), ``dadao.py`` (the generator, null-space propagators,
Poisson clocks and the event loop)."""
