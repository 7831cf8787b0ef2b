"""Parameterised policies for ``PsoAgent``: a linear policy and a registry of domain policies.

A parameterised policy turns PSO's real vector ``theta`` into actions through two entry points
that must agree exactly: ``act_batch(params, obs)`` (one row per sub-env, what training calls)
and ``act(params, obs, info)`` (one observation, for evaluation; by default ``act_batch`` on a
batch of one). ``"linear"`` (``LinearPolicy``) and ``"abr-buffer"`` (``AbrBufferPolicy``, BBA's
reservoir and cushion) ship here; ``register_policy`` adds a domain policy (a worked example is
in ``docs/training.md``, "PSO policies").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..envs.abr.sim import BUFFER_NORM_S

PolicyFactory = Callable[..., "ParameterisedPolicy"]
"""``factory(observation_space, action_space, **policy_kwargs) -> ParameterisedPolicy``; a
``ParameterisedPolicy`` subclass is one. It may have an ``unsupported_reason(observation_space,
action_space)`` attribute (a classmethod) that the agent consults before building it."""


class ParameterisedPolicy(ABC):
    """A policy family ``pi_theta`` indexed by a real parameter vector ``theta``."""

    param_names: ClassVar[tuple[str, ...] | None] = None
    """names of the parameters, for reports (None: ``p0, p1, ...``)"""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        reason = self.unsupported_reason(observation_space, action_space)
        if reason is not None:
            raise ValueError(reason)
        self.observation_space = observation_space
        self.action_space = action_space

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        """None if the policy can act in these spaces, else a sentence saying why not."""
        return None

    @property
    def n_params(self) -> int:
        """Length of the parameter vector."""
        return len(self.default_bounds()[0])

    def names(self) -> list[str]:
        """One name per parameter."""
        if self.param_names is not None:
            return list(self.param_names)
        return [f"p{i}" for i in range(self.n_params)]

    @abstractmethod
    def default_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)``, each ``(n_params,)``: the search box when the config gives none."""

    def default_params(self) -> np.ndarray | None:
        """A known good parameter vector (e.g. a published setting) to seed one particle with,
        or None."""
        return None

    def check_bounds(self, low: np.ndarray, high: np.ndarray) -> None:  # noqa: B027 (optional hook)
        """Raise ``ValueError`` if the search box contains parameters the policy cannot use
        (the swarm keeps every particle inside it). The default accepts any box."""

    @abstractmethod
    def act_batch(self, params: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Actions ``(N, ...)`` for ``params (N, n_params)`` and ``obs (N, *obs_shape)``."""

    def act(self, params: np.ndarray, obs: Any, info: dict[str, Any]) -> Any:
        """The action for one observation (``act_batch`` on a batch of one)."""
        batch_params = np.asarray(params, dtype=np.float64)[None]
        action = self.act_batch(batch_params, np.asarray(obs)[None])[0]
        if isinstance(self.action_space, spaces.Discrete):
            return int(action)
        return action


def _flat_size(space: spaces.Box) -> int:
    return int(np.prod(space.shape, dtype=np.int64))


class LinearPolicy(ParameterisedPolicy):
    """A linear map of the flattened observation: ``z = W @ x + b``.

    ``Discrete(n)`` actions: ``argmax_a z_a`` (``n`` outputs). ``MultiDiscrete(nvec)`` (1-D):
    one argmax per component over its own ``nvec[i]`` outputs. ``Box`` actions (finite bounds):
    ``low + (tanh(z) + 1) / 2 * (high - low)``, reshaped to the action shape. The parameters are
    ``W`` (outputs x inputs, row-major) followed by ``b``, so ``n_params = outputs * (inputs + 1)``.

    Args:
        observation_space: a ``Box``.
        action_space: ``Discrete``, 1-D ``MultiDiscrete`` or a ``Box`` with finite bounds.
        normalize_obs: map each observation dimension with finite bounds to [-1, 1] (so that one
            weight range suits every input); dimensions with an infinite bound are left as is.
    """

    def __init__(
        self, observation_space: gym.Space, action_space: gym.Space, normalize_obs: bool = True
    ) -> None:
        super().__init__(observation_space, action_space)
        if not isinstance(normalize_obs, bool):
            raise ValueError(f"policy_kwargs.normalize_obs must be a bool, got {normalize_obs!r}")
        self.normalize_obs = normalize_obs
        self.n_inputs = _flat_size(observation_space)
        if isinstance(action_space, spaces.Discrete):
            self.n_outputs = int(action_space.n)
        elif isinstance(action_space, spaces.MultiDiscrete):
            self._nvec = action_space.nvec.astype(np.int64)
            self.n_outputs = int(self._nvec.sum())
        else:
            self.n_outputs = _flat_size(action_space)
            self._action_low = action_space.low.reshape(-1).astype(np.float64)
            self._action_span = (action_space.high - action_space.low).reshape(-1)
        low = observation_space.low.reshape(-1).astype(np.float64)
        high = observation_space.high.reshape(-1).astype(np.float64)
        finite = np.isfinite(low) & np.isfinite(high) & (high > low)
        # x' = scale * x + shift maps [low, high] to [-1, 1]; identity where not finite.
        self._scale = np.ones(self.n_inputs)
        self._shift = np.zeros(self.n_inputs)
        if normalize_obs:
            self._scale[finite] = 2.0 / (high[finite] - low[finite])
            self._shift[finite] = -1.0 - low[finite] * self._scale[finite]

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        if not isinstance(observation_space, spaces.Box):
            return (
                f"the linear policy needs a Box observation space, got {observation_space}; "
                "register a domain policy for other spaces"
            )
        if isinstance(action_space, spaces.Discrete):
            return None
        if isinstance(action_space, spaces.MultiDiscrete):
            if action_space.nvec.ndim != 1:
                return f"the linear policy needs a 1-D MultiDiscrete, got {action_space}"
            return None
        if isinstance(action_space, spaces.Box):
            bounds = np.concatenate([action_space.low.ravel(), action_space.high.ravel()])
            if not np.all(np.isfinite(bounds)):
                return f"the linear policy needs finite Box action bounds, got {action_space}"
            return None
        return f"the linear policy needs Discrete, MultiDiscrete or Box actions, got {action_space}"

    def default_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        size = self.n_outputs * (self.n_inputs + 1)
        return np.full(size, -1.0), np.full(size, 1.0)

    def act_batch(self, params: np.ndarray, obs: np.ndarray) -> np.ndarray:
        rows = params.shape[0]
        x = obs.reshape(rows, self.n_inputs).astype(np.float64) * self._scale + self._shift
        split = self.n_outputs * self.n_inputs
        weights = params[:, :split].reshape(rows, self.n_outputs, self.n_inputs)
        z = np.einsum("noi,ni->no", weights, x) + params[:, split:]
        if isinstance(self.action_space, spaces.Discrete):
            return np.argmax(z, axis=1).astype(np.int64) + int(self.action_space.start)
        if isinstance(self.action_space, spaces.MultiDiscrete):
            parts = np.split(z, np.cumsum(self._nvec)[:-1], axis=1)
            levels = np.stack([np.argmax(part, axis=1) for part in parts], axis=1)
            return (levels + self.action_space.start).astype(np.int64)
        action = self._action_low + (np.tanh(z) + 1.0) * 0.5 * self._action_span
        return action.reshape(rows, *self.action_space.shape).astype(self.action_space.dtype)


class AbrBufferPolicy(ParameterisedPolicy):
    """BBA (Huang et al., SIGCOMM'14) with parameters ``(reservoir_s, cushion_s)``.

    The buffer is read from the newest column of observation row 1 (``buffer / 10 s``; float32,
    so a buffer exactly on a threshold may round to the other side of it, unlike
    ``netgym.baselines.abr.BBA``, which reads the float64 ``info["buffer_s"]``). Level 0 below
    the reservoir, the top level from ``reservoir + cushion`` up, and
    ``floor(top * (buffer - reservoir) / cushion)`` in between (Pensieve ``test/bb.py``).
    Default search box: reservoir in [0, 20] s, cushion in [1, 40] s; default parameters the
    baseline's (5, 10).
    """

    param_names = ("reservoir_s", "cushion_s")

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        super().__init__(observation_space, action_space)
        self._top = int(action_space.n) - 1

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        if not (
            isinstance(observation_space, spaces.Box)
            and len(observation_space.shape) == 2
            and observation_space.shape[0] >= 2
            and isinstance(action_space, spaces.Discrete)
            and action_space.n >= 2
        ):
            return (
                "the abr-buffer policy needs netgym/AbrStreaming-v0's spaces (a (6, k) Box "
                f"observation and Discrete levels), got {observation_space} and {action_space}"
            )
        return None

    def default_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([0.0, 1.0]), np.array([20.0, 40.0])

    def default_params(self) -> np.ndarray:
        return np.array([5.0, 10.0])

    def check_bounds(self, low: np.ndarray, high: np.ndarray) -> None:
        if low[0] < 0 or low[1] <= 0:
            raise ValueError(
                "abr-buffer bounds must keep reservoir_s >= 0 and cushion_s > 0, got lows "
                f"{low.tolist()}"
            )

    def act_batch(self, params: np.ndarray, obs: np.ndarray) -> np.ndarray:
        buffer_s = obs[:, 1, -1].astype(np.float64) * BUFFER_NORM_S
        reservoir_s = params[:, 0]
        cushion_s = params[:, 1]
        ramp = np.floor(self._top * (buffer_s - reservoir_s) / cushion_s)
        level = np.where(buffer_s >= reservoir_s + cushion_s, self._top, ramp)
        level = np.where(buffer_s < reservoir_s, 0, level)
        return level.astype(np.int64)


_REGISTRY: dict[str, PolicyFactory] = {}


def register_policy(name: str, factory: PolicyFactory, *, overwrite: bool = False) -> None:
    """Make a parameterised policy available to ``PsoAgent`` as ``config["policy"] = name``.

    Args:
        name: the registry name, e.g. ``"uav-positions"``.
        factory: ``factory(observation_space, action_space, **policy_kwargs)`` returning a
            ``ParameterisedPolicy`` (a subclass is one); an ``unsupported_reason`` classmethod on
            it is consulted by ``PsoAgent.unsupported_reason``.
        overwrite: replace an existing registration instead of raising.

    Raises:
        ValueError: the name is empty or taken (without ``overwrite``), or factory is not callable.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"policy name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise ValueError(f"policy factory for {name!r} must be callable, got {factory!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"policy {name!r} is already registered; pass overwrite=True to replace")
    _REGISTRY[name] = factory


def policy_names() -> list[str]:
    """Registered policy names."""
    return sorted(_REGISTRY)


def policy_unsupported_reason(
    name: str, observation_space: gym.Space, action_space: gym.Space
) -> str | None:
    """The registered policy's ``unsupported_reason`` (None when it declares no check)."""
    check = getattr(_factory(name), "unsupported_reason", None)
    return None if check is None else check(observation_space, action_space)


def make_policy(
    name: str, observation_space: gym.Space, action_space: gym.Space, **policy_kwargs: Any
) -> ParameterisedPolicy:
    """Build the registered policy ``name`` for these spaces.

    Raises:
        ValueError: unknown name, unsupported spaces or bad ``policy_kwargs``.
    """
    factory = _factory(name)
    reason = policy_unsupported_reason(name, observation_space, action_space)
    if reason is not None:
        raise ValueError(reason)
    try:
        policy = factory(observation_space, action_space, **policy_kwargs)
    except TypeError as err:
        raise ValueError(f"bad policy_kwargs {policy_kwargs} for policy {name!r}: {err}") from None
    if not isinstance(policy, ParameterisedPolicy):
        raise ValueError(f"policy factory {name!r} returned {type(policy)}, not a policy")
    return policy


def _factory(name: str) -> PolicyFactory:
    if name not in _REGISTRY:
        raise ValueError(f"unknown PSO policy {name!r}; registered: {policy_names()}")
    return _REGISTRY[name]


register_policy("linear", LinearPolicy)
register_policy("abr-buffer", AbrBufferPolicy)
