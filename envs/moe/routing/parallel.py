"""PettingZoo ``ParallelEnv`` of MoE routing: one agent per expert-parallel device.

Agent ``device_d`` holds experts ``d E/D ... (d + 1) E/D - 1`` and sets their logit biases; the
joint action is the bias vector of ``netgym/MoeRouting-v0`` (``action_mode="bias"``), so the
dynamics are that env's (``RoutingSim``). The PettingZoo module is ``moe_routing_v0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.parallel import SimParallelEnv
from ...core.vector import EVERY_ENV
from .env import check_actions
from .params import RoutingParams
from .sim import N_EXPERT_ROWS, N_SCALARS, RoutingSim, linear_objective


class MoeRoutingParallelEnv(SimParallelEnv):
    """MoE routing with one PettingZoo agent per expert-parallel device (``device_0`` ...).

    ## Description

    The layer calls of ``netgym/MoeRouting-v0`` in bias mode (see ``MoeRoutingEnv``); each
    device's agent biases the router logits of its own E / D experts.

    ## Action Space

    Per agent ``Box(-bias_max, bias_max, (E / D,))``: the biases of its experts.

    ## Observation Space

    Per agent ``Box(0, 1, (4 E / D + 2,))``: the central env's four expert rows restricted to
    its experts (soft demand, last load, last overflow, last requested slots), then
    step / max_steps and the last layer time share. ``state()`` is the central observation.

    ## Rewards

    The central reward split so that the agents' rewards sum to it: agent d gets the linear
    terms of its own experts, ``mass_d / T - lambda_d overflow_d / (T k)``, plus ``1 / D`` of the
    shared terms ``-lambda_i imbalance - lambda_c t_layer / t_ref`` (the layer latency is the
    slowest device's, reference/moe.md 6(B): "the shared reward is the layer latency").

    ## Starting State

    As ``MoeRoutingEnv``: ``reset`` draws a new router, popularity and token domains, and the
    first batch of tokens.

    ## Episode End

    Never terminates; all agents truncate together after ``max_steps`` layer calls.

    ## Arguments

    As ``MoeRoutingEnv``: ``params`` and/or ``RoutingParams`` fields; ``action_mode`` must be
    'bias'. ``infos[agent]`` is the central info plus ``own_load`` (loads of its experts) and
    ``own_reward``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"name": "moe_routing_v0", "render_modes": [], "is_parallelizable": True}
    params_class = RoutingParams

    def setup(self) -> None:
        p = self.params
        if p.action_mode != "bias":
            raise ValueError(
                "the PettingZoo routing env needs action_mode='bias' (one bias per expert), "
                f"got {p.action_mode!r}"
            )
        self.possible_agents = [f"device_{d}" for d in range(p.n_devices)]
        per = p.experts_per_device
        self.observation_spaces = {
            a: spaces.Box(0.0, 1.0, (N_EXPERT_ROWS * per + N_SCALARS,), dtype=np.float32)
            for a in self.possible_agents
        }
        self.action_spaces = {
            a: spaces.Box(-p.bias_max, p.bias_max, (per,), dtype=np.float32)
            for a in self.possible_agents
        }
        self.sim = RoutingSim(p, 1)
        self.state_space = spaces.Box(0.0, 1.0, (self.sim.observation_size(),), dtype=np.float32)

    def reset_sim(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        self.sim.reset(EVERY_ENV, self._rngs, {})
        return self._observations(), self._infos(np.zeros(len(self.possible_agents)))

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        per = self.params.experts_per_device
        parts = []
        for agent in self.possible_agents:
            part = np.asarray(actions[agent])
            if part.shape != (per,):
                raise ValueError(f"{agent}'s action must have shape ({per},), got {part.shape}")
            parts.append(part)
        joint = check_actions(self.params, np.concatenate(parts), ())
        self.sim.step(EVERY_ENV, joint[None], self._rngs)
        rewards = self._split_reward()
        truncated = bool(self.sim.steps[0] >= self.params.max_steps)
        observations = self._observations()
        infos = self._infos(rewards)
        reward_dict = {a: float(rewards[d]) for a, d in self._index.items()}
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, truncated)
        return observations, reward_dict, terminations, truncations, infos

    def _split_reward(self) -> np.ndarray:
        """(D,) per-device rewards summing to the central reward."""
        p, sim = self.params, self.sim
        d = p.n_devices
        mass = sim.captured[0].reshape(d, -1).sum(axis=1)
        overflow = sim.overflow[0].reshape(d, -1).sum(axis=1)
        shared = -p.imbalance_penalty * sim.imbalance[0] - (
            p.latency_penalty * sim.layer_ms[0] / sim.latency.reference_ms
        )
        return linear_objective(mass, overflow, p) + shared / d

    def state(self) -> np.ndarray:
        """The central observation of ``MoeRoutingEnv``."""
        return self.sim.observation()[0]

    def _observations(self) -> dict[str, np.ndarray]:
        per = self.params.experts_per_device
        rows = self.sim.expert_rows()[0].astype(np.float32)
        scalars = self.sim.scalars()[0].astype(np.float32)
        return {
            agent: np.concatenate([rows[:, d * per : (d + 1) * per].ravel(), scalars])
            for agent, d in self._index.items()
        }

    def _infos(self, rewards: np.ndarray) -> dict[str, dict[str, Any]]:
        per = self.params.experts_per_device
        info = self.sim.info(0)
        loads = self.sim.loads[0]
        return {
            agent: {
                **info,
                "own_load": loads[d * per : (d + 1) * per].copy(),
                "own_reward": float(rewards[d]),
            }
            for agent, d in self._index.items()
        }


__all__ = ["MoeRoutingParallelEnv"]
