"""PettingZoo ``repeater_chain_v0``: the repeater chain with one agent per node (the versioned
module ``netgym.envs.quantum.repeater_chain_v0`` holds its ``env``, ``parallel_env`` and
``raw_env``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.parallel import SimParallelEnv
from ...core.vector import EVERY_ENV
from .observations import node_features, scalar_info
from .params import ChainParams
from .sim import ChainSim
from .spaces import agent_spaces, check_actions


class RepeaterChainParallelEnv(SimParallelEnv):
    """Repeater-chain control with one PettingZoo agent per node (``node_0`` ... ``node_{n-1}``).

    ## Description

    The dynamics of ``netgym/RepeaterChain-v0`` (see ``RepeaterChainEnv``), each node choosing
    its own action from local information (reference/quantum.md 6.1, partial observability).

    ## Action Space

    Per agent ``Discrete(6)`` at repeaters (0 wait, 1 swap, 2 purify-left, 3 purify-right,
    4 discard-left, 5 discard-right) and ``Discrete(2)`` at the end nodes (0 wait, 1 discard).
    Invalid actions are no-ops; ``infos[agent]["action_mask"]`` (int8) lists the valid ones.

    ## Observation Space

    Per agent ``Box(0, 1, (8 k + 2,))``: for each of its 2 k memories (left lanes, then right
    lanes) whether it holds a link, the link's (F - 1/4) / (3/4), its age / age scale and the
    distance to the partner node / (n - 1); then the node's free-memory share and step /
    max_steps (end nodes see their missing side as empty). ``state()`` is every node's
    observation row, concatenated node by node (``n (8 k + 2)`` floats).

    ## Rewards

    The team reward of the central env (``reward_mode``), the same for every agent.

    ## Starting State

    Empty memories, then the first generation attempts.

    ## Episode End

    ``time`` reward: every agent terminates at the first delivery; all truncate after
    ``max_steps``.

    ## Arguments

    As ``RepeaterChainEnv``: ``params`` and/or ``ChainParams`` fields (``obs_mode`` must be
    'dict'). ``infos[agent]``: the central info plus ``action_mask``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"name": "repeater_chain_v0", "render_modes": [], "is_parallelizable": True}
    params_class = ChainParams

    params: ChainParams

    def setup(self) -> None:
        if self.params.obs_mode != "dict":
            raise ValueError("repeater_chain_v0 needs obs_mode='dict' (per-node observations)")
        self.possible_agents = [f"node_{m}" for m in range(self.params.n_nodes)]
        self.action_spaces, self.observation_spaces = agent_spaces(
            self.params, self.possible_agents
        )
        self.sim = ChainSim(self.params, 1)
        self._offsets = np.concatenate([[0], np.cumsum(self.params.n_node_actions)])

    def reset_sim(self) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        self.sim.reset(EVERY_ENV, self._rngs)
        return self._observations(), self._infos()

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        values = [np.asarray(actions[a]) for a in self.possible_agents]
        for agent, value in zip(self.possible_agents, values, strict=True):
            if value.size != 1:
                raise ValueError(f"action of {agent} must be one integer, got {actions[agent]!r}")
        joint = np.asarray([value.reshape(()) for value in values])
        sim = self.sim
        sim.step(EVERY_ENV, check_actions(self.params, joint, ()), self._rngs)
        terminated, truncated = bool(sim.terminated[0]), bool(sim.truncated[0])
        return (
            self._observations(),
            dict.fromkeys(self.agents, float(sim.reward[0])),
            dict.fromkeys(self.agents, terminated),
            dict.fromkeys(self.agents, truncated),
            self._infos(),
        )

    def state(self) -> np.ndarray:
        """The global observation: every memory's features of every node, flattened."""
        return node_features(self.sim).reshape(-1)

    def _observations(self) -> dict[str, np.ndarray]:
        rows = node_features(self.sim)
        return {agent: rows[m] for m, agent in enumerate(self.possible_agents)}

    def _infos(self) -> dict[str, dict[str, Any]]:
        common = scalar_info(self.sim)
        masks = self.sim.action_masks()[0]
        offsets = self._offsets
        return {
            agent: {**common, "action_mask": masks[offsets[m] : offsets[m + 1]].astype(np.int8)}
            for m, agent in enumerate(self.possible_agents)
        }


__all__ = ["RepeaterChainParallelEnv"]
