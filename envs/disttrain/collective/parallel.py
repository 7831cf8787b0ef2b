"""PettingZoo ``ParallelEnv`` of collective path selection: one agent per leaf (edge switch).

Agent ``leaf_e`` chooses the paths of the pieces its NICs send, as a decentralised
(Ethereal-like) source-routing switch would; every parallel step places one step pattern of
the collective (the step mode of ``netgym/CollectivePath-v0``, same sim). The PettingZoo
module is ``collective_path_v0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.parallel import SimParallelEnv
from ...core.vector import EVERY_ENV
from ..collectives import COLLECTIVES
from .episode import Model
from .observe import scaled_ratio
from .params import CollectivePathParams
from .sim import CollectiveSim


class CollectivePathParallelEnv(SimParallelEnv):
    """Collective path selection with one PettingZoo agent per leaf (``leaf_0`` ...).

    ## Description

    The collectives of ``netgym/CollectivePath-v0`` (see ``CollectivePathEnv``); each
    parallel step is one step pattern: every leaf's agent places the pending pieces of the
    flows its NICs send (the first use of each connection, ``persistent``), all at once.

    ## Action Space

    Per agent ``MultiDiscrete([P] * slots)``: slot ``i`` is the path of the agent's i-th
    pending piece (its flows in pattern order, ``pieces`` slots each); unused slots are
    ignored. ``slots = NICs per leaf x flows per rank and pattern x pieces``.

    ## Observation Space

    Per agent ``Box(0, 1, (slots (P (H + 2) + 1) + 2 + 8,))``: per slot, per path of the
    slot's switch pair, its H switch-hop loads before this step (in units of the pattern's
    cut bound, clipped at ``obs_scale``), its smallest capacity factor and whether it is
    alive, then whether the slot is used; then the share of patterns done, the share of the
    agent's slots in use and the collective one-hot. ``state()`` is the step-mode
    observation of the central env.

    ## Rewards

    Shared: every agent gets the central env's reward for the pattern (its regret over the
    collective's lower bound, ``CollectivePathEnv``).

    ## Starting State

    As ``CollectivePathEnv``: ``reset`` draws the failures, the placement and the traffic.

    ## Episode End

    Every agent terminates when the collective's last pattern is placed.

    ## Arguments

    As ``CollectivePathEnv``: ``params`` and/or ``CollectivePathParams`` fields (``mode`` is
    ignored: the agents always place whole patterns). ``infos[agent]`` is the central info
    plus ``slots_used``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"name": "collective_path_v0", "render_modes": [], "is_parallelizable": True}
    params_class = CollectivePathParams

    def setup(self) -> None:
        params = self.params.replace(mode="step")
        self.model = Model.build(params)
        self.sim = CollectiveSim(params, 1, self.model)
        fab = self.model.fabric
        self.possible_agents = [f"leaf_{e}" for e in range(fab.n_switches)]
        per_switch = int(np.bincount(fab.nic_switch).max())
        self.slots = per_switch * self.model.max_out_per_rank * params.pieces
        hops = fab.paths.shape[3]
        self._feature = fab.max_paths * (hops + 2) + 1
        size = self.slots * self._feature + 2 + len(COLLECTIVES)
        self.observation_spaces = {
            a: spaces.Box(0.0, 1.0, (size,), dtype=np.float32) for a in self.possible_agents
        }
        self.action_spaces = {
            a: spaces.MultiDiscrete(np.full(self.slots, fab.max_paths, dtype=np.int64))
            for a in self.possible_agents
        }
        self.state_space = spaces.Box(0.0, 1.0, (self.sim.observation_size(),), dtype=np.float32)

    def reset_sim(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        self.sim.reset(EVERY_ENV, self._rngs, {})
        return self._observations(), self._infos()

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        paths = self.model.fabric.max_paths
        flows, slot_of, agent_of = self._pending()
        joint = np.zeros(self.model.max_flows * self.params.pieces, dtype=np.int64)
        for agent, e in self._index.items():
            part = np.asarray(actions[agent])
            if part.shape != (self.slots,) or part.dtype.kind not in "iu":
                raise ValueError(
                    f"{agent}'s action must be {self.slots} integer path indices, got "
                    f"{part.dtype} of shape {part.shape}"
                )
            if part.size and (part.min() < 0 or part.max() >= paths):
                raise ValueError(f"{agent}'s path indices must be in [0, {paths})")
            mine = agent_of == e
            joint[flows[mine]] = part[slot_of[mine]]
        self.sim.step(EVERY_ENV, joint[None], self._rngs)
        reward = float(self.sim.reward[0])
        done = bool(self.sim.done[0])
        rewards = dict.fromkeys(self.agents, reward)
        return (
            self._observations(),
            rewards,
            dict.fromkeys(self.agents, done),
            dict.fromkeys(self.agents, False),
            self._infos(),
        )

    def state(self) -> np.ndarray:
        """The step-mode observation of the central env."""
        return self.sim.observation()[0]

    # ------------------------------------------------------------------ internals
    def _pending(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For every pending piece of the current pattern: its slot in the joint (step-mode)
        action, its slot in its agent's action, and its agent."""
        sim, k = self.sim, self.params.pieces
        plan = sim.plans[0]
        if plan is None or sim.done[0]:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        j = int(sim.pattern[0])
        q0 = int(plan.dec_end[j - 1]) if j else 0
        flows = plan.dec_flow[q0 : int(plan.dec_end[j])]
        agent = plan.flow_a[flows]
        order = np.argsort(agent, kind="stable")
        counts = np.bincount(agent, minlength=len(self.possible_agents))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.empty(len(flows), dtype=np.int64)
        rank[order] = np.arange(len(flows)) - np.repeat(starts, counts)
        joint = (flows - plan.patterns.flow_start[j])[:, None] * k + np.arange(k)
        slot = rank[:, None] * k + np.arange(k)
        return joint.ravel(), slot.ravel(), np.repeat(agent, k)

    def _observations(self) -> dict[str, np.ndarray]:
        sim = self.sim
        fab = self.model.fabric
        n_agents = len(self.possible_agents)
        out = np.zeros((n_agents, self.slots, self._feature), dtype=np.float32)
        flows_joint, slot, agent = self._pending()
        if len(slot):
            plan = sim.plans[0]
            flow = plan.patterns.flow_start[int(sim.pattern[0])] + flows_joint // self.params.pieces
            a, b = plan.flow_a[flow], plan.flow_b[flow]
            links = fab.paths[a, b]  # (n, P, H)
            hop = scaled_ratio(
                sim.loads[0, links],
                sim.inv_capacity[0, links],
                sim.lb_cur[0],
                self.params.obs_scale,
            )
            fac = sim.factors[0, links]
            alive = sim.alive_paths(np.zeros(len(a), np.int64), a, b)
            n = len(a)
            feats = np.concatenate(
                [hop.reshape(n, -1), fac.min(axis=2), alive, np.ones((n, 1))], axis=1
            )
            out[agent, slot] = feats
        tail = np.zeros((n_agents, 2 + len(COLLECTIVES)), dtype=np.float32)
        count = sim.plans[0].patterns.count if sim.plans[0] is not None else 1
        tail[:, 0] = float(sim.pattern[0]) / count
        tail[:, 1] = np.bincount(agent, minlength=n_agents) / self.slots
        tail[:, 2 + self.model.kind_index] = 1.0
        flat = np.concatenate([out.reshape(n_agents, -1), tail], axis=1)
        return {a: flat[e] for a, e in self._index.items()}

    def _infos(self) -> dict[str, dict[str, Any]]:
        central = {key: value[0].item() for key, value in self.sim.info().items()}
        _, _, agent = self._pending()
        used = np.bincount(agent, minlength=len(self.possible_agents))
        return {a: {**central, "slots_used": int(used[e])} for a, e in self._index.items()}


__all__ = ["CollectivePathParallelEnv"]
