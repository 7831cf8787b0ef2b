"""``netgym/UavOffload-v0`` (centralised Gymnasium env and its native vector env) and the
PettingZoo ``ParallelEnv`` ``uav_offload_v0`` (one agent per UAV), all over ``UavSim``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec

from ..core.seeding import reseed_vector
from ..core.vector import check_vector_args, same_step_reset
from .params import UavParams
from .sim import UavSim

TRAIL_LEN = 20
"""positions per UAV kept for the rendered trails"""


def _make_params(params: UavParams | dict | str | None, overrides: dict[str, Any]) -> UavParams:
    """``params`` (UavParams, a dict of fields, a preset name or None) with keyword overrides."""
    if params is not None and not isinstance(params, (UavParams, dict, str)):
        raise ValueError(
            f"params must be a UavParams, a dict, a preset name or None, got {type(params)}"
        )
    unknown = set(overrides) | (set(params) if isinstance(params, dict) else set())
    unknown -= set(UavParams.field_names())
    if unknown:
        raise ValueError(
            f"unknown UavOffload parameters {sorted(unknown)}; known: {UavParams.field_names()}"
        )
    if isinstance(params, UavParams):
        return params.replace(**overrides) if overrides else params
    if isinstance(params, str):
        return UavParams.preset(params, **overrides)
    return UavParams(**{**(params or {}), **overrides})


# ---------------------------------------------------------------------------------- spaces
def agent_action_space(params: UavParams) -> spaces.Space:
    """One UAV's actions: ``Discrete(1 + directions * levels)`` or ``Box(-1, 1, (2,))``."""
    if params.continuous:
        return spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
    return spaces.Discrete(params.n_actions)


def agent_observation_space(params: UavParams) -> spaces.Space:
    """One UAV's observation space for ``params.obs_mode``."""
    size, k = params.heatmap_size, params.n_uavs
    if params.obs_mode == "tabular":
        return spaces.Discrete(params.n_cells)
    if params.obs_mode == "vector":
        return spaces.Box(0.0, 1.0, (5 + 2 * (k - 1) + size * size,), dtype=np.float32)
    return spaces.Box(0.0, 1.0, (3, size, size), dtype=np.float32)


def central_spaces(params: UavParams) -> tuple[spaces.Space, spaces.Space]:
    """Joint action and observation spaces of the centralised env."""
    size, k = params.heatmap_size, params.n_uavs
    if params.continuous:
        action: spaces.Space = spaces.Box(-1.0, 1.0, (2 * k,), dtype=np.float32)
    else:
        action = spaces.MultiDiscrete(np.full(k, params.n_actions, dtype=np.int64))
    if params.obs_mode == "tabular":
        observation: spaces.Space = spaces.MultiDiscrete(np.full(k, params.n_cells, dtype=np.int64))
    elif params.obs_mode == "vector":
        observation = spaces.Box(0.0, 1.0, (3 * k + 2 + size * size,), dtype=np.float32)
    else:
        observation = spaces.Box(0.0, 1.0, (1 + k, size, size), dtype=np.float32)
    return action, observation


def _central_obs(sim: UavSim, idx: Any = slice(None)) -> np.ndarray:
    mode = sim.params.obs_mode
    if mode == "tabular":
        return sim.last_cells(idx).copy()
    if mode == "vector":
        return sim.state(idx)
    return sim.image_state(idx)


def _agent_obs(sim: UavSim, env: int = 0) -> np.ndarray:
    """Per-agent observations of env ``env``: (K,) cells or (K, ...) arrays."""
    mode = sim.params.obs_mode
    idx = slice(env, env + 1)
    if mode == "tabular":
        return sim.last_cells(idx)[0]
    if mode == "vector":
        return sim.vector_obs(idx)[0]
    return sim.image_obs(idx)[0]


def _check_actions(params: UavParams, actions: Any, batch: tuple[int, ...]) -> np.ndarray:
    """Validate joint actions of shape ``batch + (K,)`` (discrete) or ``batch + (K, 2)``."""
    k = params.n_uavs
    if (  # fast path: an integer array of the right shape (what agents and wrappers pass)
        not params.continuous
        and isinstance(actions, np.ndarray)
        and actions.dtype.kind in "iu"
        and actions.shape == (*batch, k)
    ):
        flat = actions.ravel().tolist()
        if flat and (min(flat) < 0 or max(flat) >= params.n_actions):
            raise ValueError(
                f"discrete actions must be in [0, {params.n_actions - 1}], got {actions!r}"
            )
        return actions.astype(np.int64, copy=False)
    array = np.asarray(actions)
    if params.continuous:
        if array.size != int(np.prod(batch)) * k * 2:
            raise ValueError(f"actions must hold {k} x 2 velocities per env, got {array.shape}")
        array = array.reshape(*batch, k, 2).astype(float)
        if not np.isfinite(array).all():
            raise ValueError("continuous actions must be finite")
        return np.clip(array, -1.0, 1.0)
    if array.shape != (*batch, k):
        raise ValueError(f"actions must have shape {(*batch, k)}, got {array.shape}")
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(f"discrete actions must be integers, got {actions!r}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= params.n_actions):
        raise ValueError(
            f"discrete actions must be in [0, {params.n_actions - 1}], got {actions!r}"
        )
    return array


def _info(sim: UavSim, idx: Any = slice(None)) -> dict[str, np.ndarray]:
    """Per-env info arrays: n_assoc, load, coverage, upper_bound, assoc_fraction,
    bound_interference_free, assoc_fraction_interference_free, step."""
    params = sim.params
    n_assoc = sim.n_assoc[idx].copy()
    bound = params.upper_bound
    coverable = sim.coverable[idx].copy()
    return {
        "n_assoc": n_assoc,
        "load": sim.load[idx].copy(),
        "coverage": n_assoc / params.n_users,
        "upper_bound": np.full(n_assoc.shape, bound, dtype=np.int64),
        "assoc_fraction": n_assoc / bound,
        "bound_interference_free": coverable,
        "assoc_fraction_interference_free": n_assoc / np.maximum(coverable, 1),
        "step": sim.steps[idx].copy(),
    }


def _info_one(sim: UavSim) -> dict[str, Any]:
    """``_info`` of env 0 as Python scalars (and the (K,) load), without the batched arrays."""
    params = sim.params
    n_assoc = int(sim.n_assoc[0])
    bound = params.upper_bound
    coverable = int(sim.coverable[0])
    return {
        "n_assoc": n_assoc,
        "load": sim.load[0].copy(),
        "coverage": n_assoc / params.n_users,
        "upper_bound": bound,
        "assoc_fraction": n_assoc / bound,
        "bound_interference_free": coverable,
        "assoc_fraction_interference_free": n_assoc / max(coverable, 1),
        "step": int(sim.steps[0]),
    }


class _StateMixin:
    """Public state of a single-env view (env 0 of ``self.sim``)."""

    sim: UavSim
    params: UavParams

    @property
    def uav_xy(self) -> np.ndarray:
        """UAV positions (K, 2) in metres (a copy)."""
        return self.sim.uav_xy[0].copy()

    @property
    def user_xy(self) -> np.ndarray:
        """User positions (N, 2) in metres (a copy)."""
        return self.sim.user_xy[0].copy()

    @property
    def bs_xy(self) -> np.ndarray:
        """Terrestrial BS positions (n_bs, 2) in metres."""
        return self.sim.bs_xy.copy()

    @property
    def association(self) -> np.ndarray:
        """(N,) server of each user: -1 = not served by a UAV (stays on the BS), else the UAV."""
        return self.sim.association[0].copy()

    @property
    def sinr_db(self) -> np.ndarray:
        """(N, K) SINR of every user/UAV pair at the last step, dB."""
        return self.sim.sinr_db[0].copy()

    @property
    def indoor_loss_db(self) -> np.ndarray:
        """(N,) O2I penetration loss of each user this episode (0 outdoors), dB."""
        return self.sim.indoor_loss_db[0].copy()

    @property
    def steps(self) -> int:
        """Steps taken in this episode."""
        return int(self.sim.steps[0])

    def association_for(self, uav_xy: np.ndarray) -> np.ndarray:
        """Association the env would give UAVs at ``uav_xy`` ((K, 2) -> (N,), or (M, K, 2) ->
        (M, N)) over the current users, by the env's own code (for baselines)."""
        uav_xy = np.asarray(uav_xy, dtype=float)
        single = uav_xy.ndim == 2
        batch = uav_xy[None] if single else uav_xy
        association, _ = self.sim.association_for(
            batch, self.sim.user_xy[0], self.sim.indoor_loss_db[0], self.sim.bs_rx_mw[0]
        )
        return association[0] if single else association

    def count_associated(self, uav_xy: np.ndarray) -> np.ndarray:
        """UAV-associated users of M placements ``uav_xy`` (M, K, 2) over the current users."""
        return (
            self.association_for(np.asarray(uav_xy).reshape(-1, self.params.n_uavs, 2)) >= 0
        ).sum(axis=1)

    def _render_frame(self) -> np.ndarray:
        from .render import draw

        return draw(self.sim, 0, self._trail, self._render_cache)

    def _record_trail(self) -> None:
        self._trail.append(self.sim.uav_xy[0].copy())
        del self._trail[:-TRAIL_LEN]


_DOC_COMMON = """
    ## Observation Space

    ``obs_mode="tabular"`` (default): the lattice cell of each UAV (index ``iy * nx + ix``
    of the nearest lattice point), the seed paper's finite state; ``"vector"``: Box [0, 1]
    features; ``"image"``: Box [0, 1] G x G planes (G = ``heatmap_size``). The heatmap counts
    users not served by a UAV per coarse cell, in units of one UAV's capacity, capped at 1.

    ## Rewards

    ``A_t / N`` with ``A_t`` the users served by a UAV after the step. Per-agent modes
    (``reward``): ``global`` = A_t / N, ``local`` = load_k / N (they sum to global),
    ``mixed`` = w global + (1 - w) local, ``difference`` = (A_t - A_t without UAV k) / N (in
    [-1, 1]: negative when UAV k's interference costs more users than it serves).

    ## Starting State

    ``reset`` draws the user layout (``user_layout``), the indoor users and their O2I losses,
    and the UAV starts (random lattice points, or all at the centre), then associates. With
    ``layout_seed`` the users (and ``uav_start="fixed"`` starts) are the same in every episode.

    ## Episode End

    Never terminates; truncates after ``max_steps`` steps.
"""


class UavOffloadEnv(_StateMixin, gym.Env):
    """Multi-UAV cellular offloading, centralised: one controller moves every UAV.

    ## Description

    K UAVs at a fixed altitude fly over N ground users (hotspots, uniform or clusters) that are
    otherwise served by terrestrial macro BSs. After each move every user/UAV pair gets an
    air-to-ground path loss (Al-Hourani by default), a received power and an SINR with
    co-channel interference among the UAVs; users are associated greedily by SINR under the
    QoS threshold and a per-UAV capacity (reference/uav.md 6). The goal is to keep as many
    users as possible on the UAVs (the seed paper's objective, arXiv 2402.02957).

    ## Action Space

    ``MultiDiscrete([1 + D * L] * K)``: per UAV, 0 = hover, ``1 + d + D * (l - 1)`` = move in
    direction ``d`` (E, N, W, S; with 8 directions E, NE, N, NW, W, SW, S, SE) at speed level
    ``l``, i.e. ``speed_l * dt / grid_cell_m`` cells; moves are clipped to the area. With
    ``continuous=True``: ``Box(-1, 1, (2K,))``, UAV k's velocity in units of the top speed
    (entries 2k, 2k + 1; norm clipped to 1).
    """

    __doc__ += (
        _DOC_COMMON
        + """
    Central observations: tabular ``MultiDiscrete([n_cells] * K)``; vector ``Box(0, 1, (3K + 2
    + G^2,))`` = ``state()`` (all positions / area, loads / capacity, A_t / N, t / T, heatmap);
    image ``Box(0, 1, (1 + K, G, G))`` (heatmap, then one position plane per UAV).

    ## Arguments

    ``params`` (a ``UavParams``, a dict, a preset name 'paper' or 'small', or None) and/or any
    ``UavParams`` field as a keyword, e.g. ``gym.make("netgym/UavOffload-v0", params="small",
    reward="global")``; ``render_mode="rgb_array"``.

    Public attributes: ``uav_xy`` (K, 2), ``user_xy`` (N, 2), ``bs_xy``, ``association`` (N,),
    ``sinr_db`` (N, K), ``params``, ``sim``; ``association_for(uav_xy)`` and
    ``count_associated(uav_xy)`` evaluate placements with the env's association code.
    ``info``: n_assoc, load (K,), coverage (A_t / N), upper_bound (min(N, K C)),
    assoc_fraction (A_t / upper_bound), bound_interference_free (users that reach the SINR
    threshold from their best lattice position without any interference, capped by K C:
    reference 5, bound 2, as ``baselines/uav/bounds.py``; computed at reset, and every step
    only with user mobility), assoc_fraction_interference_free (A_t / that bound, 0 when it
    is 0), step.

    ## Version History

    * v0: initial release.
    """
    )

    metadata = {"render_modes": ["rgb_array"], "render_fps": 5}

    def __init__(
        self,
        params: UavParams | dict | str | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.params = _make_params(params, overrides)
        self.action_space, self.observation_space = central_spaces(self.params)
        self.sim = UavSim(self.params, 1)
        self._rngs: list[np.random.Generator] = []
        self._trail: list[np.ndarray] = []
        self._render_cache: dict[str, Any] = {}
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if options:
            raise ValueError(f"UavOffloadEnv takes no reset options, got {sorted(options)}")
        self._rngs = [self.np_random]
        self.sim.reset([0], self._rngs)
        self._done = False
        self._trail = []
        self._record_trail()
        return _central_obs(self.sim)[0], self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        actions = _check_actions(self.params, action, ())
        if self._done:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        self.sim.step(slice(0, 1), actions[None], self._rngs)
        truncated = bool(self.sim.steps[0] >= self.params.max_steps)
        self._done = truncated
        if self.render_mode is not None:
            self._record_trail()
        reward = float(self.sim.global_reward[0])
        return _central_obs(self.sim)[0], reward, False, truncated, self._info()

    def state(self) -> np.ndarray:
        """The global vector state (see the class docstring)."""
        return self.sim.state()[0]

    def action_masks(self) -> np.ndarray:
        """Valid actions, flat over the K sub-actions (all valid: moves are clipped)."""
        return np.ones(self.params.n_uavs * self.params.n_actions, dtype=bool)

    def render(self) -> np.ndarray | None:
        """A 400 x 400 ``rgb_array`` frame (see ``render.py``); None without a mode."""
        if self.render_mode is None:
            return None
        return self._render_frame()

    def _info(self) -> dict[str, Any]:
        return _info_one(self.sim)


class UavOffloadVectorEnv(VectorEnv):
    """B centralised UAV envs stepped together in numpy (``gym.make_vec``).

    Sub-env ``i`` draws from its own generator seeded ``seed + i``, so it plays exactly the
    episodes of a scalar env seeded ``seed + i``. ``info`` is a dict of arrays (n_assoc, load,
    coverage, upper_bound, assoc_fraction, bound_interference_free,
    assoc_fraction_interference_free, step), each with its ``_key`` mask.
    ``autoreset_mode`` is NEXT_STEP (the default) or SAME_STEP (finished sub-envs reset inside
    the step; their last observation and info are in ``info["final_obs"]`` and
    ``info["final_info"]``), which is what SB3's VecEnv adapter needs.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        params: UavParams | dict | str | None = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **overrides: Any,
    ) -> None:
        self.num_envs, self.autoreset_mode = check_vector_args(
            "UavOffloadVectorEnv", num_envs, render_mode, autoreset_mode
        )
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.params = _make_params(params, overrides)
        self.single_action_space, self.single_observation_space = central_spaces(self.params)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.render_mode = None
        self.sim = UavSim(self.params, self.num_envs)
        self._rngs: list[np.random.Generator] | None = None
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._started = False
        self._all = np.arange(self.num_envs)
        self._mask = np.ones(self.num_envs, dtype=bool)
        self._mask.setflags(write=False)

    # public state, batched
    @property
    def uav_xy(self) -> np.ndarray:
        """UAV positions (B, K, 2) in metres."""
        return self.sim.uav_xy.copy()

    @property
    def user_xy(self) -> np.ndarray:
        """User positions (B, N, 2) in metres."""
        return self.sim.user_xy.copy()

    @property
    def bs_xy(self) -> np.ndarray:
        """Terrestrial BS positions (n_bs, 2)."""
        return self.sim.bs_xy.copy()

    @property
    def association(self) -> np.ndarray:
        """(B, N) server of each user (-1 = BS only)."""
        return self.sim.association.copy()

    @property
    def sinr_db(self) -> np.ndarray:
        """(B, N, K) SINR of the last step, dB."""
        return self.sim.sinr_db.copy()

    def association_for(self, uav_xy: np.ndarray) -> np.ndarray:
        """Association (B, N) of placements ``uav_xy`` (B, K, 2), one per sub-env, over each
        sub-env's current users."""
        association, _ = self.sim.association_for(
            uav_xy, self.sim.user_xy, self.sim.indoor_loss_db, self.sim.bs_rx_mw
        )
        return association

    def action_masks(self) -> np.ndarray:
        """(B, K * n_actions) all True (moves are clipped, never invalid)."""
        return np.ones((self.num_envs, self.params.n_uavs * self.params.n_actions), dtype=bool)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if options:
            raise ValueError(f"UavOffloadVectorEnv takes no reset options, got {sorted(options)}")
        reseeded = reseed_vector(seed, self.num_envs, self._rngs)
        if reseeded is not None:
            self._rngs, self._np_random_seed = reseeded
        self._np_random = self._rngs[0]
        self.sim.reset(self._all, self._rngs)
        self._prev_done[:] = False
        self._started = True
        return _central_obs(self.sim), self._info()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = _check_actions(self.params, actions, (self.num_envs,))
        sim = self.sim
        done = self._prev_done
        any_done = self.autoreset_mode == AutoresetMode.NEXT_STEP and done.any()
        if any_done:  # NEXT_STEP: finished envs only reset, so step just the others
            live = np.flatnonzero(~done)
            sim.step(live, actions[live], self._rngs)
        else:
            sim.step(slice(None), actions, self._rngs)
        reward = sim.global_reward.copy()
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = sim.steps >= self.params.max_steps
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            info = self._same_step_reset(truncated)
            return _central_obs(sim), reward, terminated, truncated, info
        if any_done:
            idx = np.flatnonzero(done)
            sim.reset(idx, self._rngs)
            reward[idx] = 0.0
            truncated[idx] = False
        self._prev_done = truncated.copy()
        return _central_obs(sim), reward, terminated, truncated, self._info()

    def _same_step_reset(self, finished: np.ndarray) -> dict[str, Any]:
        return same_step_reset(
            finished,
            _central_obs(self.sim),
            self._info,
            lambda idx: self.sim.reset(idx, self._rngs),
        )

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = _info(self.sim)
        for key in list(info):
            info["_" + key] = self._mask
        return info


class UavOffloadParallelEnv(_StateMixin, ParallelEnv):
    """Multi-UAV cellular offloading, one PettingZoo agent per UAV (``uav_0`` ... ``uav_{K-1}``).

    ## Description

    The dynamics of ``netgym/UavOffload-v0`` (see ``UavOffloadEnv``), with each UAV an
    independent agent as in the seed paper's distributed SARSA (arXiv 2402.02957).

    ## Action Space

    Per agent ``Discrete(1 + D * L)`` (0 = hover, ``1 + d + D * (l - 1)`` = direction d at speed
    level l) or, with ``continuous=True``, ``Box(-1, 1, (2,))`` (velocity / top speed).
    """

    __doc__ += (
        _DOC_COMMON
        + """
    Per-agent observations: tabular ``Discrete(n_cells)`` (own cell); vector ``Box(0, 1, (5 +
    2 (K - 1) + G^2,))`` = own (x, y) / area, the others' relative positions, own load /
    capacity, A_t / N, t / T, heatmap; image ``Box(0, 1, (3, G, G))`` = heatmap, own position,
    other UAVs. ``state()`` is the global vector of the central env.

    ## Arguments

    As ``UavOffloadEnv``: ``params`` and/or ``UavParams`` fields, ``render_mode="rgb_array"``.
    ``infos[agent]``: the central info plus ``own_load``.

    ## Version History

    * v0: initial release.
    """
    )

    metadata = {
        "name": "uav_offload_v0",
        "render_modes": ["rgb_array"],
        "render_fps": 5,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        params: UavParams | dict | str | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.params = _make_params(params, overrides)
        self.possible_agents = [f"uav_{k}" for k in range(self.params.n_uavs)]
        self.agents: list[str] = []
        self._index = {agent: k for k, agent in enumerate(self.possible_agents)}
        self.observation_spaces = {
            a: agent_observation_space(self.params) for a in self.possible_agents
        }
        self.action_spaces = {a: agent_action_space(self.params) for a in self.possible_agents}
        self.state_space = spaces.Box(
            0.0, 1.0, (3 * self.params.n_uavs + 2 + self.params.heatmap_size**2,), dtype=np.float32
        )
        self.sim = UavSim(self.params, 1)
        self._rngs: list[np.random.Generator] = [np.random.default_rng()]
        self._trail: list[np.ndarray] = []
        self._render_cache: dict[str, Any] = {}

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
            for k, agent in enumerate(self.possible_agents):
                self.action_spaces[agent].seed(seed + k)
        self.agents = list(self.possible_agents)
        self.sim.reset([0], self._rngs)
        self._trail = []
        self._record_trail()
        return self._observations(), self._infos()

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
        joint = [actions[agent] for agent in self.possible_agents]
        checked = _check_actions(self.params, np.asarray(joint), ())
        self.sim.step(slice(0, 1), checked[None], self._rngs)
        if self.render_mode is not None:
            self._record_trail()
        truncated = bool(self.sim.steps[0] >= self.params.max_steps)
        observations = self._observations()
        infos = self._infos()
        rewards = {a: float(self.sim.rewards[0, k]) for a, k in self._index.items()}
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, truncated)
        if truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """The global vector state (all positions, loads, A_t / N, t / T, heatmap)."""
        return self.sim.state()[0]

    def render(self) -> np.ndarray | None:
        """A 400 x 400 ``rgb_array`` frame (see ``render.py``); None without a mode."""
        if self.render_mode is None:
            return None
        return self._render_frame()

    def close(self) -> None:
        """Nothing to release."""

    def _observations(self) -> dict[str, Any]:
        obs = _agent_obs(self.sim)
        if self.params.obs_mode == "tabular":
            return {agent: np.int64(obs[k]) for agent, k in self._index.items()}
        return {agent: obs[k].copy() for agent, k in self._index.items()}

    def _infos(self) -> dict[str, dict[str, Any]]:
        info = _info_one(self.sim)
        return {
            agent: {**info, "own_load": int(self.sim.load[0, k])}
            for agent, k in self._index.items()
        }


def parallel_env(**kwargs: Any) -> UavOffloadParallelEnv:
    """The PettingZoo parallel env (``params`` and/or ``UavParams`` fields, ``render_mode``)."""
    return UavOffloadParallelEnv(**kwargs)


def raw_env(**kwargs: Any) -> Any:
    """The AEC env (``parallel_to_aec`` of ``parallel_env``), without wrappers."""
    return parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any) -> Any:
    """The AEC env (PettingZoo's ``env()`` entry point)."""
    return raw_env(**kwargs)


__all__ = [
    "UavOffloadEnv",
    "UavOffloadParallelEnv",
    "UavOffloadVectorEnv",
    "agent_action_space",
    "agent_observation_space",
    "central_spaces",
    "env",
    "parallel_env",
    "raw_env",
]
