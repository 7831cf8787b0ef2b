"""PettingZoo ``repeater_chain_v0``: the repeater chain with one agent per node."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec

from .chain_sim import ChainSim
from .chain_spaces import age_scale, check_actions, make_params, step_info
from .params import ChainParams

AGENT_FEATURES = 4
"""per memory: link exists, (F - 1/4) / (3/4), age / age scale, |partner - node| / (n - 1)"""


class RepeaterChainParallelEnv(ParallelEnv):
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

    def __init__(
        self,
        params: ChainParams | dict | str | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"repeater_chain_v0 has no render modes, got {render_mode!r}")
        self.render_mode = None
        self.params = make_params(params, overrides)
        if self.params.obs_mode != "dict":
            raise ValueError("repeater_chain_v0 needs obs_mode='dict' (per-node observations)")
        n, k = self.params.n_nodes, self.params.mem_per_side
        self.possible_agents = [f"node_{m}" for m in range(n)]
        self.agents: list[str] = []
        nvec = self.params.n_node_actions
        self.action_spaces = {a: spaces.Discrete(int(nvec[m])) for m, a in self._enum()}
        self.observation_spaces = {
            a: spaces.Box(0.0, 1.0, (2 * k * AGENT_FEATURES + 2,), dtype=np.float32)
            for a in self.possible_agents
        }
        self.sim = ChainSim(self.params, 1)
        self._rngs = [np.random.default_rng()]

    def _enum(self) -> list[tuple[int, str]]:
        return list(enumerate(self.possible_agents))

    def observation_space(self, agent: str) -> spaces.Space:
        """The (memoised) observation space of ``agent``."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The (memoised) action space of ``agent``."""
        return self.action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        del options  # none are used (PettingZoo's API test passes some; they are ignored)
        if seed is not None:
            self._rngs = [np.random.default_rng(seed)]
            for m, agent in self._enum():
                self.action_spaces[agent].seed(seed + m)
        self.agents = list(self.possible_agents)
        self.sim.reset([0], self._rngs)
        return self._observations(), self._infos(None)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        missing = set(self.agents) - set(actions)
        extra = set(actions) - set(self.agents)
        if missing or extra:
            raise ValueError(
                f"actions must have one entry per live agent {self.agents}; "
                f"missing {sorted(missing)}, unknown {sorted(extra)}"
            )
        values = [np.asarray(actions[a]) for a in self.possible_agents]
        for agent, value in zip(self.possible_agents, values, strict=True):
            if value.size != 1:
                raise ValueError(f"action of {agent} must be one integer, got {actions[agent]!r}")
        joint = np.asarray([value.reshape(()) for value in values])
        checked = check_actions(self.params, joint, ())
        result = self.sim.step(slice(0, 1), checked, self._rngs)
        terminated = self.params.reward_mode == "time" and bool(result.delivered[0] > 0)
        truncated = not terminated and bool(self.sim.steps[0] >= self.params.max_steps)
        observations = self._observations()
        infos = self._infos(result)
        rewards = dict.fromkeys(self.agents, float(result.reward[0]))
        terminations = dict.fromkeys(self.agents, terminated)
        truncations = dict.fromkeys(self.agents, truncated)
        if terminated or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """The global observation: every memory's features of every node, flattened."""
        return self._features().reshape(-1)

    def close(self) -> None:
        """Nothing to release."""

    def _features(self) -> np.ndarray:
        """(n, 8 k + 2) per-node observation rows."""
        sim, params = self.sim, self.params
        n, k = params.n_nodes, params.mem_per_side
        scale = age_scale(params)
        out = np.zeros((n, 2 * k * AGENT_FEATURES + 2), dtype=np.float32)
        right, left, age, fid = sim.right[0], sim.left[0], sim.age[0], sim.bds[0, ..., 0]
        for m in range(n):
            for s in range(k):
                for side, partner in enumerate((left[m, s], right[m, s])):
                    if partner < 0:
                        continue
                    end = partner if side == 0 else m  # links are stored at the left end
                    col = (side * k + s) * AGENT_FEATURES
                    out[m, col] = 1.0
                    out[m, col + 1] = np.clip((fid[end, s] - 0.25) / 0.75, 0.0, 1.0)
                    out[m, col + 2] = min(age[end, s] / scale, 1.0)
                    out[m, col + 3] = abs(partner - m) / max(n - 1, 1)
            used = (left[m] >= 0).sum() + (right[m] >= 0).sum()
            capacity = k if m in (0, n - 1) else 2 * k
            out[m, -2] = 1.0 - used / capacity
        out[:, -1] = min(sim.steps[0] / params.max_steps, 1.0)
        return out

    def _observations(self) -> dict[str, np.ndarray]:
        rows = self._features()
        return {agent: rows[m] for m, agent in self._enum()}

    def _infos(self, result: Any) -> dict[str, dict[str, Any]]:
        info = step_info(self.sim, result, slice(0, 1))
        common = {
            key: (value[0] if key == "gen_successes" else value[0].item())
            for key, value in info.items()
        }
        masks = self.sim.action_masks(slice(0, 1))[0]
        offsets = np.concatenate([[0], np.cumsum(self.params.n_node_actions)])
        return {
            agent: {**common, "action_mask": masks[offsets[m] : offsets[m + 1]].astype(np.int8)}
            for m, agent in self._enum()
        }


def parallel_env(**kwargs: Any) -> RepeaterChainParallelEnv:
    """The PettingZoo parallel env (``params`` and/or ``ChainParams`` fields)."""
    return RepeaterChainParallelEnv(**kwargs)


def raw_env(**kwargs: Any) -> Any:
    """The AEC env (``parallel_to_aec`` of ``parallel_env``), without wrappers."""
    return parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any) -> Any:
    """The AEC env (PettingZoo's ``env()`` entry point)."""
    return raw_env(**kwargs)


__all__ = ["RepeaterChainParallelEnv", "env", "parallel_env", "raw_env"]
