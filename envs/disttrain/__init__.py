"""Networking for distributed training: the family core and its envs.

Shared core: ``topology.py`` (``Fabric``; ``leaf_spine``, ``fat_tree``, ``rail_optimised``),
``collectives.py`` (collectives as steps of flows, ``step_patterns``), ``placement.py`` (rank
placement, link failures), ``cost.py`` (link loads, congestion, alpha-beta, lower bounds),
``fluid.py`` (max-min fair water-filling) and ``oracle.py`` (edge-colouring, the
min-congestion LP). ``collective/``: ``netgym/CollectivePath-v0`` (``CollectivePathEnv``,
its vector env and the PettingZoo env ``collective_path_v0``). ``gradcoding/``:
``netgym/SeqGradCoding-v0`` (``SeqGradCodingEnv`` and its vector env). ``moetraining/``:
``netgym/MoeTrainingOverlap-v0`` (``MoeTrainingOverlapEnv`` and its vector env). ``gossip/``:
``netgym/AsyncGossip-v0`` (``AsyncGossipEnv``, its vector env and the PettingZoo env
``async_gossip_v0``, one agent per node).
"""

from ..core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".collectives": "COLLECTIVES Collective Patterns build_collective step_patterns",
        ".topology": "Fabric fat_tree leaf_spine rail_optimised",
        ".placement": "draw_failures place_ranks",
        ".collective.env": "CollectivePathEnv CollectivePathVectorEnv",
        ".collective.params": "CollectivePathParams",
        ".collective.parallel": "CollectivePathParallelEnv",
        ".gradcoding.env": "SeqGradCodingEnv SeqGradCodingVectorEnv",
        ".gradcoding.params": "SeqGradCodingParams",
        ".moetraining.env": "MoeTrainingOverlapEnv MoeTrainingOverlapVectorEnv",
        ".moetraining.params": "MoeTrainingOverlapParams",
        ".gossip.env": "AsyncGossipEnv AsyncGossipVectorEnv",
        ".gossip.params": "AsyncGossipParams",
        ".gossip.parallel": "AsyncGossipParallelEnv",
        ".": "cost fluid oracle",
    },
)
