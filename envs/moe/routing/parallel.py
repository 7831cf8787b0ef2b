"""PettingZoo ``ParallelEnv`` of MoE routing: one agent per expert-parallel device.

Agent ``device_d`` holds experts ``d E/D ... (d + 1) E/D - 1`` and sets their logit biases; the
joint action is the bias vector of ``netgym/MoeRouting-v0`` (``action_mode="bias"``), so the
dynamics are that env's (``RoutingSim``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec

from .env import check_actions, info_arrays
from .params import RoutingParams, make_routing_params
from .sim import N_EXPERT_ROWS, N_SCALARS, RoutingSim


class MoeRoutingParallelEnv(ParallelEnv):
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

    ## Starting State, Episode End, Arguments

    As ``MoeRoutingEnv`` (``params`` and/or ``RoutingParams`` fields; ``action_mode`` must be
    'bias'). All agents truncate together after ``max_steps``. ``infos[agent]`` is the central
    info plus ``own_load`` (loads of its experts) and ``own_reward``.

    ## Version History

    * v0: initial release.
    """

    metadata = {"name": "moe_routing_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(
        self,
        params: RoutingParams | dict | str | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"MoeRoutingParallelEnv has no render modes, got {render_mode!r}")
        self.render_mode = None
        self.params = make_routing_params(params, overrides)
        if self.params.action_mode != "bias":
            raise ValueError(
                "the PettingZoo routing env needs action_mode='bias' (one bias per expert), "
                f"got {self.params.action_mode!r}"
            )
        p = self.params
        self.possible_agents = [f"device_{d}" for d in range(p.n_devices)]
        self.agents: list[str] = []
        self._index = {agent: d for d, agent in enumerate(self.possible_agents)}
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
        self._rngs = [np.random.default_rng()]
        self._one = np.zeros(1, dtype=np.int64)

    def observation_space(self, agent: str) -> spaces.Space:
        """The (memoised) observation space of ``agent``."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The (memoised) action space of ``agent``."""
        return self.action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        del options  # none are used (PettingZoo's API test passes some; they are ignored)
        if seed is not None:
            self._rngs = [np.random.default_rng(seed)]
            for d, agent in enumerate(self.possible_agents):
                self.action_spaces[agent].seed(seed + d)
        self.agents = list(self.possible_agents)
        self.sim.reset(self._one, self._rngs)
        return self._observations(), self._infos(np.zeros(len(self.possible_agents)))

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
        per = self.params.experts_per_device
        parts = []
        for agent in self.possible_agents:
            part = np.asarray(actions[agent])
            if part.shape != (per,):
                raise ValueError(f"{agent}'s action must have shape ({per},), got {part.shape}")
            parts.append(part)
        joint = check_actions(self.params, np.concatenate(parts), ())
        self.sim.step(self._one, joint[None], self._rngs)
        rewards = self._split_reward()
        truncated = bool(self.sim.steps[0] >= self.params.max_steps)
        observations = self._observations()
        infos = self._infos(rewards)
        reward_dict = {a: float(rewards[d]) for a, d in self._index.items()}
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, truncated)
        if truncated:
            self.agents = []
        return observations, reward_dict, terminations, truncations, infos

    def _split_reward(self) -> np.ndarray:
        """(D,) per-device rewards summing to the central reward."""
        p, sim = self.params, self.sim
        t, k, d = p.n_tokens, p.top_k, p.n_devices
        mass = sim.captured[0].reshape(d, -1).sum(axis=1)
        overflow = sim.overflow[0].reshape(d, -1).sum(axis=1)
        shared = -p.imbalance_penalty * sim.imbalance[0] - (
            p.latency_penalty * sim.layer_ms[0] / sim.latency.reference_ms
        )
        return mass / t - p.drop_penalty * overflow / (t * k) + shared / d

    def state(self) -> np.ndarray:
        """The central observation of ``MoeRoutingEnv``."""
        return self.sim.observation(self._one)[0]

    def close(self) -> None:
        """Nothing to release."""

    def _observations(self) -> dict[str, np.ndarray]:
        per = self.params.experts_per_device
        rows = self.sim.expert_rows(self._one)[0].astype(np.float32)
        scalars = self.sim.scalars(self._one)[0].astype(np.float32)
        return {
            agent: np.concatenate([rows[:, d * per : (d + 1) * per].ravel(), scalars])
            for agent, d in self._index.items()
        }

    def _infos(self, rewards: np.ndarray) -> dict[str, dict[str, Any]]:
        per = self.params.experts_per_device
        info = {key: value[0] for key, value in info_arrays(self.sim, slice(0, 1)).items()}
        loads = self.sim.loads[0]
        return {
            agent: {
                **info,
                "own_load": loads[d * per : (d + 1) * per].copy(),
                "own_reward": float(rewards[d]),
            }
            for agent, d in self._index.items()
        }


def parallel_env(**kwargs: Any) -> MoeRoutingParallelEnv:
    """The PettingZoo parallel env (``params`` and/or ``RoutingParams`` fields)."""
    return MoeRoutingParallelEnv(**kwargs)


def raw_env(**kwargs: Any) -> Any:
    """The AEC env (``parallel_to_aec`` of ``parallel_env``)."""
    return parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any) -> Any:
    """The AEC env (PettingZoo's ``env()`` entry point)."""
    return raw_env(**kwargs)


__all__ = ["MoeRoutingParallelEnv", "env", "parallel_env", "raw_env"]
