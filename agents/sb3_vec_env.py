"""stable-baselines3 VecEnvs for any netgym env: the native vector env through one adapter.

SB3 does not accept a ``gymnasium.vector.VectorEnv``; ``SB3VecEnvAdapter`` converts Gymnasium's
vector API into SB3's ``VecEnv`` one (listed in ``docs/training.md``, "SB3 agents"), so a netgym
env steps all its sub-envs in one numpy call while SB3 trains on it. ``make_sb3_vec_env`` is the
one way netgym's agents build their training envs: the native vector env through the adapter
where it offers SAME_STEP autoreset, SB3's ``DummyVecEnv`` over scalar envs otherwise, and
SuperSuit's agent-stacking vector env for PettingZoo ids (one policy shared by every agent).
(Moved here from ``netgym.envs.core.sb3``, which re-exports it for one release.)
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import supersuit as ss
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import iterate
from stable_baselines3.common.env_util import is_wrapped
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn
from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

from ..envs.core.make import is_parallel_env_id, make_env, make_vector_env

BATCHED_METHODS = frozenset({"action_masks"})
"""methods of a native vector env that return one row per sub-env (split by ``env_method``)"""


def _autoreset_mode(vector_env: gym.vector.VectorEnv) -> AutoresetMode:
    mode = vector_env.metadata.get("autoreset_mode")
    if mode is None:
        raise ValueError(
            f"{type(vector_env).__name__} declares no metadata['autoreset_mode']; "
            "SB3VecEnvAdapter needs AutoresetMode.SAME_STEP (or DISABLED)"
        )
    return AutoresetMode(mode.value if isinstance(mode, AutoresetMode) else mode)


def split_info(info: dict[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """Gymnasium's vector info (a dict of arrays with ``_key`` masks) as one dict per sub-env.

    A key whose mask is False for a sub-env is left out of that sub-env's dict; nested dicts are
    split the same way; a key without a mask is given to every sub-env (its ``i``-th entry when
    it is a sequence of length ``num_envs``, else the value itself).
    """
    infos: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, value in info.items():
        if key.startswith("_") and key[1:] in info:
            continue
        mask = info.get(f"_{key}")
        if isinstance(value, dict):
            parts: Sequence[Any] = split_info(value, num_envs)
        elif isinstance(value, (np.ndarray, list, tuple)) and len(value) == num_envs:
            # iterating an array gives the items that indexing it gives, in one C loop
            parts = list(value) if isinstance(value, np.ndarray) else value
        else:
            parts = [value] * num_envs
        if mask is None:
            for env_info, part in zip(infos, parts, strict=True):
                env_info[key] = part
        else:
            for env_info, part, present in zip(
                infos, parts, np.asarray(mask).tolist(), strict=True
            ):
                if present:
                    env_info[key] = part
    return infos


class SB3VecEnvAdapter(VecEnv):
    """A ``gymnasium.vector.VectorEnv`` as a stable-baselines3 ``VecEnv``.

    The vector env must reset finished sub-envs itself within the step, i.e. be built with
    ``autoreset_mode=AutoresetMode.SAME_STEP`` (netgym's native vector envs, ``SyncVectorEnv``
    and ``AsyncVectorEnv`` accept it: ``gym.make_vec(id, num_envs=n, autoreset_mode=...)`` for a
    native one, ``vector_kwargs={"autoreset_mode": ...}`` for the others). Its
    ``info["final_obs"]`` / ``info["final_info"]`` become SB3's ``terminal_observation`` and the
    step's info of the finished sub-env; the info of the new episode's first observation goes to
    ``reset_infos``, exactly as ``DummyVecEnv`` does. A vector env in DISABLED mode also works:
    the adapter resets the finished sub-envs with ``reset(options={"reset_mask": dones})``. A
    NEXT_STEP vector env cannot be adapted (it returns a finished sub-env's first observation
    only one step later, after ignoring that step's action), so it is refused.

    Seeding follows SB3 2.x: ``seed(s)`` stores ``s + i`` for sub-env ``i`` and the next
    ``reset()`` passes that list to the vector env (which is Gymnasium's own convention for an
    integer seed); ``set_options`` must give every sub-env the same options, because a vector
    env takes one ``options`` dict for all of them.

    Attributes and methods of the sub-envs (``get_attr``, ``set_attr``, ``env_method``,
    ``env_is_wrapped``):

    * ``SyncVectorEnv``: per sub-env, as ``DummyVecEnv`` does.
    * ``AsyncVectorEnv``: through its ``get_attr`` / ``set_attr`` / ``call``, which always reach
      every sub-env (``indices`` select from the results); ``env_is_wrapped`` reports False.
    * a native vector env (one object stepping all sub-envs): the vector env's own attribute or
      method serves every sub-env: ``get_attr`` returns its value once per index, ``set_attr``
      must target all sub-envs, ``env_method`` calls the method once and returns its result per
      index, except methods in ``BATCHED_METHODS`` (``action_masks``), whose batched result is
      split into one row per sub-env. ``env_is_wrapped`` reports False (there are no per-env
      wrappers).

    ``action_masks()`` returns the stacked masks when the vector env (or its sub-envs) expose
    ``action_masks()``, so sb3-contrib's MaskablePPO trains on it.

    Args:
        vector_env: the vector env to adapt (SAME_STEP or DISABLED autoreset).

    Raises:
        ValueError: the vector env uses NEXT_STEP autoreset or declares no autoreset mode.
    """

    def __init__(self, vector_env: gym.vector.VectorEnv) -> None:
        mode = _autoreset_mode(vector_env)
        if mode == AutoresetMode.NEXT_STEP:
            raise ValueError(
                f"{type(vector_env).__name__} uses NEXT_STEP autoreset, which SB3 cannot use "
                "(a finished sub-env's first observation arrives one step late); build it with "
                "autoreset_mode=AutoresetMode.SAME_STEP, e.g. gym.make_vec(id, num_envs=n, "
                "autoreset_mode=...) for a native vector env or vector_kwargs={'autoreset_mode': "
                "...} for vectorization_mode='sync'/'async'"
            )
        self.vector_env = vector_env
        self.autoreset_mode = mode
        self._actions: Any = None
        super().__init__(
            vector_env.num_envs,
            vector_env.single_observation_space,
            vector_env.single_action_space,
        )

    # ------------------------------------------------------------------ stepping
    def reset(self) -> Any:
        """Reset every sub-env (with the seeds / options set since the last reset)."""
        seeds: int | list[int | None] | None = list(self._seeds)
        if all(s is None for s in self._seeds):
            seeds = None
        elif self._seeds == [self._seeds[0] + i for i in range(self.num_envs)]:
            seeds = self._seeds[0]  # Gymnasium's own meaning of an int seed: sub-env i gets s + i
        obs, info = self.vector_env.reset(seed=seeds, options=self._common_options())
        self.reset_infos = split_info(info, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Store the actions for ``step_wait``."""
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        """Step every sub-env; finished ones are already reset (see the class docstring)."""
        obs, rewards, terminated, truncated, info = self.vector_env.step(self._actions)
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool)
        dones = terminated | truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            obs, infos = self._same_step_infos(obs, info, dones)
        else:
            obs, infos = self._reset_finished(obs, info, dones)
        for env_info, flag in zip(infos, (truncated & ~terminated).tolist(), strict=True):
            env_info["TimeLimit.truncated"] = flag
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos

    def _same_step_infos(
        self, obs: Any, info: dict[str, Any], dones: np.ndarray
    ) -> tuple[Any, list[dict[str, Any]]]:
        info = dict(info)
        final_obs = info.pop("final_obs", None)
        final_info = info.pop("final_info", None) or {}
        for key in ("_final_obs", "_final_info"):
            info.pop(key, None)
        infos = split_info(info, self.num_envs)
        if not dones.any():
            return obs, infos
        if final_obs is None:
            raise RuntimeError(
                f"{type(self.vector_env).__name__} reported finished sub-envs "
                f"{np.flatnonzero(dones).tolist()} without info['final_obs']; is its autoreset "
                "mode really SAME_STEP?"
            )
        final_infos = split_info(final_info, self.num_envs)
        for index in np.flatnonzero(dones):
            # As in DummyVecEnv: the step's info describes the finished episode, the info of the
            # new episode's first observation is a reset info.
            self.reset_infos[index] = infos[index]
            infos[index] = final_infos[index]
            infos[index]["terminal_observation"] = final_obs[index]
        return obs, infos

    def _reset_finished(
        self, obs: Any, info: dict[str, Any], dones: np.ndarray
    ) -> tuple[Any, list[dict[str, Any]]]:
        infos = split_info(info, self.num_envs)
        if not dones.any():
            return obs, infos
        finished = np.flatnonzero(dones)
        # Copies: the reset below may write into the buffer these observations live in.
        per_env = list(iterate(self.vector_env.observation_space, obs))
        terminal = {index: copy.deepcopy(per_env[index]) for index in finished}
        obs, reset_info = self.vector_env.reset(options={"reset_mask": dones.copy()})
        reset_infos = split_info(reset_info, self.num_envs)
        for index in finished:
            infos[index]["terminal_observation"] = terminal[index]
            self.reset_infos[index] = reset_infos[index]
        return obs, infos

    def _common_options(self) -> dict[str, Any] | None:
        first = self._options[0]
        if any(options != first for options in self._options[1:]):
            raise ValueError(
                "a Gymnasium vector env takes one options dict for all sub-envs, but "
                f"set_options gave them different ones: {self._options}"
            )
        return dict(first) if first else None

    def close(self) -> None:
        """Close the vector env."""
        self.vector_env.close()

    # ------------------------------------------------------------------ sub-env access
    def _is_sync(self) -> bool:
        return isinstance(self.vector_env, SyncVectorEnv)

    def _is_async(self) -> bool:
        return isinstance(self.vector_env, AsyncVectorEnv)

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute of each sub-env in ``indices`` (see the class docstring).

        Raises:
            AttributeError: the env has no such attribute.
        """
        targets = list(self._get_indices(indices))
        if self._is_sync() or self._is_async():
            values = self.vector_env.get_attr(attr_name)
            return [values[index] for index in targets]
        value = getattr(self.vector_env, attr_name)
        return [value for _ in targets]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set the attribute on each sub-env in ``indices`` (see the class docstring).

        Raises:
            ValueError: a native vector env and ``indices`` that leave out some sub-envs.
        """
        targets = list(self._get_indices(indices))
        everyone = sorted(targets) == list(range(self.num_envs))
        if self._is_sync():
            for index in targets:
                self.vector_env.envs[index].set_wrapper_attr(attr_name, value)
        elif self._is_async():
            values = value if everyone else list(self.vector_env.get_attr(attr_name))
            if not everyone:
                for index in targets:
                    values[index] = value
            self.vector_env.set_attr(attr_name, values)
        elif everyone:
            setattr(self.vector_env, attr_name, value)
        else:
            raise ValueError(
                f"{type(self.vector_env).__name__} has one {attr_name!r} for all its sub-envs; "
                f"it cannot be set for sub-envs {targets} only"
            )

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Call a method of each sub-env in ``indices`` (see the class docstring)."""
        targets = list(self._get_indices(indices))
        if self._is_sync():
            envs = self.vector_env.envs
            return [
                envs[index].get_wrapper_attr(method_name)(*method_args, **method_kwargs)
                for index in targets
            ]
        if self._is_async():
            results = self.vector_env.call(method_name, *method_args, **method_kwargs)
            return [results[index] for index in targets]
        result = getattr(self.vector_env, method_name)(*method_args, **method_kwargs)
        if method_name in BATCHED_METHODS:
            return [result[index] for index in targets]
        return [result for _ in targets]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        """Whether each sub-env in ``indices`` is wrapped with ``wrapper_class``."""
        targets = list(self._get_indices(indices))
        if self._is_sync():
            return [is_wrapped(self.vector_env.envs[index], wrapper_class) for index in targets]
        return [False for _ in targets]

    def action_masks(self) -> np.ndarray:
        """Stacked action masks of the sub-envs, ``(num_envs, ...)`` (for MaskablePPO)."""
        return np.stack(self.env_method("action_masks"))

    def get_images(self) -> Sequence[np.ndarray | None]:
        """One ``rgb_array`` frame per sub-env (the vector env's ``render()``)."""
        if self.render_mode != "rgb_array":
            return [None for _ in range(self.num_envs)]
        frames = self.vector_env.render()
        return [None for _ in range(self.num_envs)] if frames is None else list(frames)


# ---------------------------------------------------------------------- PettingZoo
class SharedPolicyVecEnv(SB3VecEnvWrapper):
    """SuperSuit's agents-as-sub-envs vector env as an SB3 VecEnv (one policy for all agents).

    This is SuperSuit's own SB3 wrapper (what ``concat_vec_envs_v1(...,
    base_class="stable_baselines3")`` returns) with SB3 2.x seeding, i.e. ``seed()`` then
    ``reset()`` (SuperSuit's ``seed`` reaches a vector env that has none), and the
    ``TimeLimit.truncated`` flags it leaves out. Sub-env ``i`` is agent ``i % n_agents`` of
    parallel-env copy ``i // n_agents``; ``get_attr`` reads the attribute of that copy.

    Args:
        venv: SuperSuit's ``ConcatVecEnv`` of ``MarkovVectorEnv`` copies.
        n_copies: copies of the parallel env in ``venv``.
    """

    def __init__(self, venv: Any, n_copies: int) -> None:
        super().__init__(venv)
        self._seeds = [None for _ in range(self.num_envs)]
        self._options = [{} for _ in range(self.num_envs)]
        self.metadata = {"render_modes": []}
        self.n_agents = self.num_envs // n_copies

    seed = VecEnv.seed
    set_options = VecEnv.set_options
    _reset_seeds = VecEnv._reset_seeds
    _reset_options = VecEnv._reset_options

    def reset(self) -> Any:
        """Reset every copy (copy ``k`` with ``seed + k`` after ``seed(seed)``)."""
        obs, infos = self.venv.reset(seed=self._seeds[0], options=self._options[0] or None)
        self.reset_infos = list(infos)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_wait(self) -> VecEnvStepReturn:
        """Step every agent of every copy; finished copies are already reset."""
        obs, rewards, terminated, truncated, infos = self.venv.step_wait()
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool)
        for index, info in enumerate(infos):
            info["TimeLimit.truncated"] = bool(truncated[index] and not terminated[index])
        return obs, np.asarray(rewards, dtype=np.float32), terminated | truncated, infos

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute of the parallel-env copy that holds each sub-env (agent)."""
        targets = self._get_indices(indices)
        if attr_name == "render_mode":
            return [self.render_mode for _ in targets]
        copies = [vec_env.par_env for vec_env in self.venv.vec_envs]
        return [getattr(copies[index // self.n_agents], attr_name) for index in targets]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Not supported: the agents of one copy share one env."""
        raise NotImplementedError("set_attr is not supported on PettingZoo training envs")

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Not supported: the agents of one copy share one env."""
        raise NotImplementedError("env_method is not supported on PettingZoo training envs")


def _pettingzoo_vec_env(env_id: str, n_copies: int, env_kwargs: dict[str, Any]) -> VecEnv:
    parallel_env = make_env(env_id, **env_kwargs)
    try:
        agents_as_envs = ss.pettingzoo_env_to_vec_env_v1(parallel_env)
    except AssertionError as err:
        raise ValueError(
            f"{env_id} cannot train one shared policy: its agents' spaces differ ({err})"
        ) from None
    # base_class="gymnasium" + SharedPolicyVecEnv is SuperSuit's base_class="stable_baselines3"
    # with the seeding fixed (see SharedPolicyVecEnv).
    stacked = ss.concat_vec_envs_v1(agents_as_envs, n_copies, num_cpus=0, base_class="gymnasium")
    return SharedPolicyVecEnv(stacked, n_copies)


# ---------------------------------------------------------------------- factory
def _accepts_autoreset_mode(entry_point: Any) -> bool:
    creator = load_env_creator(entry_point) if isinstance(entry_point, str) else entry_point
    try:
        return "autoreset_mode" in inspect.signature(creator).parameters
    except (TypeError, ValueError):
        return False


def make_sb3_vec_env(
    env_id: str,
    n_envs: int = 1,
    seed: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> VecEnv:
    """A stable-baselines3 VecEnv of ``n_envs`` copies of ``env_id``.

    * A Gymnasium env whose ``vector_entry_point`` takes ``autoreset_mode`` (netgym's native
      vector envs): that vector env in SAME_STEP mode, through ``SB3VecEnvAdapter``.
    * Any other Gymnasium env: ``DummyVecEnv`` over ``gym.make`` envs.
    * A PettingZoo parallel env (``pz:module:callable``): SuperSuit turns each agent into one
      sub-env and concatenates ``n_envs`` copies, so the VecEnv has ``n_envs * n_agents``
      sub-envs and one policy acts for every agent (parameter sharing). All agents must share
      one observation and one action space and stay alive until the episode ends.

    Args:
        env_id: a Gymnasium id or a ``pz:`` PettingZoo id (see ``netgym.envs.core.make``).
        n_envs: copies of the env stepped together.
        seed: sub-env ``i`` is seeded ``seed + i`` at the first ``reset()`` (SB3's convention;
            for PettingZoo, copy ``k`` gets ``seed + k``); None leaves them unseeded.
        env_kwargs: keyword arguments of the env (``gym.make`` / ``gym.make_vec`` / factory).

    Raises:
        ValueError: unknown env id, ``n_envs < 1``, or PettingZoo agents with different spaces.
    """
    if isinstance(n_envs, bool) or not isinstance(n_envs, (int, np.integer)) or n_envs < 1:
        raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}")
    env_kwargs = dict(env_kwargs or {})
    if is_parallel_env_id(env_id):
        venv = _pettingzoo_vec_env(env_id, int(n_envs), env_kwargs)
    else:
        try:
            spec = gym.spec(env_id)
        except gym.error.Error:
            spec = None  # make_env below raises netgym's ValueError naming the known envs
        if (
            spec is not None
            and spec.vector_entry_point is not None
            and _accepts_autoreset_mode(spec.vector_entry_point)
        ):
            vector_env = make_vector_env(
                env_id,
                int(n_envs),
                vectorization_mode="vector_entry_point",
                autoreset_mode=AutoresetMode.SAME_STEP,
                **env_kwargs,
            )
            venv = SB3VecEnvAdapter(vector_env)
        else:
            factories: list[Callable[[], gym.Env]] = [
                functools.partial(make_env, env_id, **env_kwargs) for _ in range(int(n_envs))
            ]
            venv = DummyVecEnv(factories)
    if seed is not None:
        venv.seed(seed)
        venv.action_space.seed(seed)
    return venv


__all__ = [
    "BATCHED_METHODS",
    "SB3VecEnvAdapter",
    "SharedPolicyVecEnv",
    "make_sb3_vec_env",
    "split_info",
]
