"""The config of the stable-baselines3 agents: which keys netgym handles, which go to the
algorithm's constructor, and the checks that name a bad key or value (see ``docs/training.md``,
"SB3 agents")."""

from __future__ import annotations

import inspect
import json
import math
from typing import Any

import gymnasium as gym
from gymnasium import spaces

CONFIG_KEYS = ("policy", "normalize", "n_envs")
"""config keys handled by netgym rather than passed to the algorithm"""

CONTEXT_KEYS = {
    "env": "the env comes from the training context (env_id, env_kwargs, n_envs)",
    "seed": "the seed comes from the training context (--seed)",
    "device": "the device comes from the training context (--device)",
    "tensorboard_log": "TensorBoard logs go to the run folder (TrainingContext.out_dir)",
    "verbose": "SB3 stays quiet; progress goes through the progress callback",
    "_init_setup_model": "it is internal to SB3",
}
"""constructor arguments that the training context sets, with the reason a config may not"""

ACTIVATIONS = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
}
"""``policy_kwargs.activation_fn`` names -> ``torch.nn`` class names"""

UNSUPPORTED_OBSERVATIONS = (spaces.Tuple, spaces.Sequence, spaces.Graph, spaces.Text)
"""observation spaces no SB3 policy reads"""


def split_config(
    agent: str, algorithm_class: type, config: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(algorithm kwargs, netgym keys) after checking every key against the constructor.

    Raises:
        ValueError: a key the training context sets, or a key the constructor does not take.
    """
    config = dict(config)
    ours = {key: config.pop(key) for key in CONFIG_KEYS if key in config}
    parameters = inspect.signature(algorithm_class.__init__).parameters
    managed = sorted(key for key in config if key in CONTEXT_KEYS)
    if managed:
        reasons = "; ".join(f"{key}: {CONTEXT_KEYS[key]}" for key in managed)
        raise ValueError(f"{agent} config cannot set {managed} ({reasons})")
    allowed = set(parameters) - {"self", "policy"} - set(CONTEXT_KEYS)
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValueError(
            f"unknown {agent} config keys {unknown}; allowed: {sorted(allowed | set(CONFIG_KEYS))}"
        )
    return config, ours


def initial_learning_rate(agent: str, algorithm_class: type, kwargs: dict[str, Any]) -> float:
    """Pop ``learning_rate`` from ``kwargs`` (the constructor's default when absent).

    Raises:
        ValueError: the rate is not a finite number > 0.
    """
    parameters = inspect.signature(algorithm_class.__init__).parameters
    value = kwargs.pop("learning_rate", parameters["learning_rate"].default)
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{agent} learning_rate must be a number (the schedule comes from "
            f"--lr-schedule), got {value!r}"
        ) from None
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"{agent} learning_rate must be > 0, got {value!r}")
    return rate


def policy_kwargs(value: Any) -> dict[str, Any] | None:
    """SB3 ``policy_kwargs`` with an ``activation_fn`` name replaced by the torch class."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"policy_kwargs must be a mapping, got {value!r}")
    kwargs = dict(value)
    activation = kwargs.get("activation_fn")
    if isinstance(activation, str):
        import torch.nn

        class_name = ACTIVATIONS.get(activation.lower(), activation)
        if not hasattr(torch.nn, class_name):
            raise ValueError(
                f"policy_kwargs.activation_fn {activation!r} is not a torch.nn activation; "
                f"known names: {sorted(ACTIVATIONS)}"
            )
        kwargs["activation_fn"] = getattr(torch.nn, class_name)
    return kwargs


def json_ready(value: Any, what: str) -> Any:
    """``value`` through a JSON round trip; ``ValueError`` naming ``what`` if it has none."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{what} must be JSON-serialisable so that a saved agent can be reloaded "
            f"(e.g. activation_fn: 'tanh', not the class): {err}"
        ) from None


def observation_unsupported_reason(observation_space: gym.Space) -> str | None:
    """None if SB3's policies can read ``observation_space``, else why not."""
    if isinstance(observation_space, UNSUPPORTED_OBSERVATIONS):
        return f"SB3 policies cannot read a {type(observation_space).__name__} observation"
    if isinstance(observation_space, spaces.Dict) and any(
        isinstance(sub, (spaces.Dict, *UNSUPPORTED_OBSERVATIONS))
        for sub in observation_space.spaces.values()
    ):
        return "SB3 policies read a Dict observation only if it is flat (no nested spaces)"
    return None


__all__ = [
    "ACTIVATIONS",
    "CONFIG_KEYS",
    "CONTEXT_KEYS",
    "initial_learning_rate",
    "json_ready",
    "observation_unsupported_reason",
    "policy_kwargs",
    "split_config",
]
