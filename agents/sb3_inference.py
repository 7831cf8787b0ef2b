"""An SB3 agent for acting only, built from its config and policy weights with bounded sizes.

``netgym leaderboard verify`` must not let a submitter's config decide how much memory it
allocates: an ``n_steps`` of 10^9 or a ``net_arch`` of 10^5 units would fill the machine before
anything is checked. ``check_bounded_config`` holds the config to ``SB3_LIMITS`` (documented in
``docs/leaderboard.md``, "Submissions") and estimates the parameter count of every network the
algorithm builds before one is built; ``inference_agent`` then builds the algorithm on an env
that has only the spaces (it never steps), with the replay buffer of off-policy algorithms cut
to one transition (the weights do not depend on it), and loads the weights into its policy.
The agent acts as ``SB3Agent.load`` of the same model would (deterministic actions).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from .base import TrainingContext
from .sb3 import SB3_AGENTS, SB3Agent
from .sb3_config import ACTIVATIONS, json_ready, policy_kwargs
from .sb3_progress import LearningRateSchedule

SB3_LIMITS = {
    "layers": 8,
    "units": 4096,
    "parameters": 20_000_000,
    "n_critics": 8,
    "n_steps": 65_536,
    "batch_size": 65_536,
    "buffer_size": 10_000_000,
    "rollout_bytes": 2**30,
}
"""the most a verified config may ask for: hidden layers per network, units per layer,
parameters of all networks together (estimated), critics, ``n_steps``, ``batch_size``,
``buffer_size`` (the buffer is not built to verify) and the rollout buffer's bytes"""
POLICY_KWARGS = {
    "net_arch": "list",
    "activation_fn": "str",
    "ortho_init": "bool",
    "log_std_init": "number",
    "full_std": "bool",
    "use_expln": "bool",
    "squash_output": "bool",
    "share_features_extractor": "bool",
    "n_critics": "int",
    "normalize_images": "bool",
    "optimizer_kwargs": "dict",
}
"""the ``policy_kwargs`` keys a verified config may set, with their JSON kind"""
POLICIES = ("MlpPolicy", "MultiInputPolicy")
"""the policy classes a verified config may name"""
OFF_POLICY = ("dqn", "sac", "td3")


def _int(config: dict[str, Any], key: str, agent: str) -> int | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{agent} config {key} must be an integer >= 1, got {value!r}")
    cap = SB3_LIMITS[key]
    if value > cap:
        raise ValueError(f"{agent} config {key}={value:,} is above the cap of {cap:,}")
    return value


def _layers(value: Any, where: str) -> list[int]:
    if not isinstance(value, list) or len(value) > SB3_LIMITS["layers"]:
        raise ValueError(
            f"{where} must be a list of at most {SB3_LIMITS['layers']} layer sizes, got {value!r}"
        )
    for units in value:
        if isinstance(units, bool) or not isinstance(units, int):
            raise ValueError(f"{where} must hold integers, got {units!r}")
        if not 1 <= units <= SB3_LIMITS["units"]:
            raise ValueError(
                f"{where}: a layer of {units} units is outside 1..{SB3_LIMITS['units']}"
            )
    return value


def _heads(net_arch: Any, agent: str) -> dict[str, list[int]]:
    """Hidden layer sizes per network ('pi', 'vf' or 'qf')."""
    where = f"{agent} policy_kwargs.net_arch"
    if net_arch is None:
        default = [256, 256] if agent in ("sac", "td3") else [64, 64]
        return {"pi": default, "vf": default, "qf": default}
    if isinstance(net_arch, dict):
        unknown = sorted(set(net_arch) - {"pi", "vf", "qf"})
        if unknown:
            raise ValueError(f"{where} has unknown networks {unknown}; known: pi, vf, qf")
        return {name: _layers(layers, f"{where}.{name}") for name, layers in net_arch.items()}
    layers = _layers(net_arch, where)
    return {"pi": layers, "vf": layers, "qf": layers}


def _mlp_parameters(inputs: int, layers: list[int], outputs: int) -> int:
    sizes = [inputs, *layers, outputs]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def estimate_parameters(
    agent: str, config: dict[str, Any], observation_space: gym.Space, action_space: gym.Space
) -> int:
    """The parameters of every network ``agent`` builds for these spaces (an upper estimate:
    actor and critics, target networks included)."""
    inputs = spaces.flatdim(observation_space)
    outputs = spaces.flatdim(action_space)
    kwargs = config.get("policy_kwargs") or {}
    heads = _heads(kwargs.get("net_arch"), agent)
    pi = heads.get("pi", [])
    if agent in OFF_POLICY:
        qf = heads.get("qf", pi)
        if agent == "dqn":
            return 2 * _mlp_parameters(inputs, qf, outputs)
        critics = int(kwargs.get("n_critics", 2))
        actor = _mlp_parameters(inputs, pi, 2 * outputs)
        critic = critics * _mlp_parameters(inputs + outputs, qf, 1)
        return 2 * (actor + critic)
    vf = heads.get("vf", pi)
    return _mlp_parameters(inputs, pi, 2 * outputs) + _mlp_parameters(inputs, vf, 1)


def check_bounded_config(
    agent: str, config: dict[str, Any], observation_space: gym.Space, action_space: gym.Space
) -> None:
    """Check that ``config`` builds networks and buffers within ``SB3_LIMITS``.

    Raises:
        ValueError: an unknown policy or policy_kwargs key, a value of the wrong kind, or a
            size above its cap (the message names the key, the value and the cap).
    """
    if agent not in SB3_AGENTS:
        raise ValueError(f"unknown SB3 agent {agent!r}; known: {sorted(SB3_AGENTS)}")
    if not isinstance(config, dict):
        raise ValueError(f"{agent} config must be a mapping, got {config!r}")
    policy = config.get("policy")
    if policy is not None and policy not in POLICIES:
        raise ValueError(f"{agent} config policy must be one of {list(POLICIES)}, got {policy!r}")
    if config.get("normalize"):
        raise ValueError(f"{agent} config normalize: VecNormalize statistics are a pickle")
    kwargs = config.get("policy_kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ValueError(f"{agent} policy_kwargs must be a mapping, got {kwargs!r}")
    for key, value in kwargs.items():
        kind = POLICY_KWARGS.get(key)
        if kind is None:
            raise ValueError(
                f"{agent} policy_kwargs.{key} cannot be verified; accepted keys: "
                f"{sorted(POLICY_KWARGS)}"
            )
        if not _is_kind(value, kind, key):
            raise ValueError(f"{agent} policy_kwargs.{key} has the wrong type: {value!r}")
    activation = kwargs.get("activation_fn")
    if activation is not None and activation.lower() not in ACTIVATIONS:
        raise ValueError(
            f"{agent} policy_kwargs.activation_fn {activation!r} is not one of "
            f"{sorted(ACTIVATIONS)}"
        )
    critics = kwargs.get("n_critics")
    if critics is not None and not 1 <= critics <= SB3_LIMITS["n_critics"]:
        raise ValueError(f"{agent} policy_kwargs.n_critics must be in 1..{SB3_LIMITS['n_critics']}")
    for key in ("batch_size", "buffer_size"):
        _int(config, key, agent)
    n_steps = _int(config, "n_steps", agent)
    if n_steps is not None and agent not in OFF_POLICY:
        rollout = (
            n_steps * 4 * (spaces.flatdim(observation_space) + spaces.flatdim(action_space) + 8)
        )
        if rollout > SB3_LIMITS["rollout_bytes"]:
            raise ValueError(
                f"{agent} config n_steps={n_steps:,} needs a rollout buffer of {rollout:,} bytes, "
                f"above the cap of {SB3_LIMITS['rollout_bytes']:,}"
            )
    parameters = estimate_parameters(agent, config, observation_space, action_space)
    if parameters > SB3_LIMITS["parameters"]:
        raise ValueError(
            f"{agent} networks of policy_kwargs {kwargs} have about {parameters:,} parameters, "
            f"above the cap of {SB3_LIMITS['parameters']:,}"
        )


def _is_kind(value: Any, kind: str, key: str) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value)
    if kind == "dict":
        return isinstance(value, dict) and all(
            isinstance(item, (int, float, bool)) and _finite(item) for item in value.values()
        )
    return isinstance(value, (list, dict))  # net_arch: checked by _heads


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


class SpacesOnlyEnv(gym.Env):
    """An env that has spaces and nothing else: SB3 builds a model on it, which never steps."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        """Refused: this env only carries spaces."""
        raise RuntimeError("SpacesOnlyEnv has no dynamics; it only carries the spaces")

    def step(self, action: Any) -> Any:
        """Refused: this env only carries spaces."""
        raise RuntimeError("SpacesOnlyEnv has no dynamics; it only carries the spaces")


def inference_agent(
    agent: str,
    config: dict[str, Any],
    observation_space: gym.Space,
    action_space: gym.Space,
    weights: dict[str, Any],
    env_id: str,
) -> SB3Agent:
    """An ``agent`` that acts with ``weights``, built within ``SB3_LIMITS`` (module doc).

    Args:
        agent: the SB3 agent name (``ppo``, ``dqn``, ...).
        config: the agent's hyperparameters (``agent.json``'s ``config``).
        observation_space: the observation space of the env it will act on.
        action_space: the action space of that env.
        weights: the policy's ``state_dict`` (tensors).
        env_id: the env's id (kept in the agent's context).

    Raises:
        ValueError: the config is out of bounds or rejected, or the weights do not fit.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv

    check_bounded_config(agent, config, observation_space, action_space)
    agent_class = SB3_AGENTS[agent]
    config = json_ready(dict(config), f"{agent} config")
    kwargs, ours = agent_class._split_config(config)
    schedule = LearningRateSchedule("constant", agent_class._learning_rate(kwargs), 0)
    if "policy_kwargs" in kwargs:
        kwargs["policy_kwargs"] = policy_kwargs(kwargs["policy_kwargs"])
    if agent in OFF_POLICY:
        kwargs["buffer_size"] = 1  # acting never reads the replay buffer
    policy = ours.get("policy") or (
        "MultiInputPolicy" if isinstance(observation_space, spaces.Dict) else "MlpPolicy"
    )
    venv = DummyVecEnv([lambda: SpacesOnlyEnv(observation_space, action_space)])
    try:
        with warnings.catch_warnings():  # e.g. a batch size larger than this one-env rollout
            warnings.simplefilter("ignore", UserWarning)
            model = agent_class.algorithm_class()(
                policy, venv, learning_rate=schedule, seed=0, device="cpu", verbose=0, **kwargs
            )
    except (AssertionError, TypeError, ValueError) as err:
        venv.close()
        raise ValueError(f"{agent} rejected the config {config}: {err}") from None
    schedule.model = model
    try:
        model.policy.load_state_dict(weights)
    except (RuntimeError, TypeError, KeyError) as err:
        venv.close()
        reason = " ".join(str(err).split())[:500]
        raise ValueError(
            f"the policy weights do not fit {agent} with this config: {reason}"
        ) from None
    context = TrainingContext(env_id=env_id, env_kwargs={}, seed=0, n_envs=1, device="cpu")
    return agent_class(model, context, config, schedule, None)


__all__ = [
    "POLICIES",
    "POLICY_KWARGS",
    "SB3_LIMITS",
    "SpacesOnlyEnv",
    "check_bounded_config",
    "estimate_parameters",
    "inference_agent",
]
