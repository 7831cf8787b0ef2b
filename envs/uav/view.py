"""What the two single-env views of ``UavSim`` share: the centralised Gymnasium env
(``env.py``) and the PettingZoo env (``parallel.py``) both show env 0 of a one-env sim.

``SimArray`` is a read-only attribute that copies one of the sim's arrays (the vector env uses it
for its batched state too); ``SingleEnvView`` holds the public state of env 0, the placement
evaluators for baselines, ``state()`` and rendering; ``SHARED_DOC`` is the part of the two env
docstrings that they have in common.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .params import UavParams
from .sim import UavSim
from .single import ENV0

TRAIL_LEN = 20
"""positions per UAV kept for the rendered trails"""


class SimArray:
    """A read-only attribute: a copy of the sim's array of the same name, or of its env-0 row
    (``env0=True``)."""

    def __init__(self, doc: str, env0: bool = False) -> None:
        self.__doc__ = doc
        self.env0 = env0
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = getattr(obj.sim, self.name)
        return value[0].copy() if self.env0 else value.copy()

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"{self.name} is read-only (a copy of the sim's state)")


class SingleEnvView:
    """Public state of env 0 of ``self.sim`` (a one-env ``UavSim``), placement evaluators for
    baselines, the global ``state()`` and ``render()``."""

    sim: UavSim
    params: UavParams
    render_mode: str | None
    _rngs: list[np.random.Generator]
    """the sim's generator (set by the env's seeding)"""

    uav_xy = SimArray("UAV positions (K, 2) in metres (a copy).", env0=True)
    user_xy = SimArray("User positions (N, 2) in metres (a copy).", env0=True)
    bs_xy = SimArray("Terrestrial BS positions (n_bs, 2) in metres.")
    association = SimArray(
        "(N,) server of each user: -1 = not served by a UAV (stays on the BS), else the UAV.",
        env0=True,
    )
    sinr_db = SimArray("(N, K) SINR of every user/UAV pair at the last step, dB.", env0=True)
    indoor_loss_db = SimArray(
        "(N,) O2I penetration loss of each user this episode (0 outdoors), dB.", env0=True
    )

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

    def state(self) -> np.ndarray:
        """The global vector state (all positions / area, loads / capacity, A_t / N, t / T and
        the heatmap; see ``UavSim.state``)."""
        return self.sim.state()[0]

    def render(self) -> np.ndarray | None:
        """A 400 x 400 ``rgb_array`` frame (see ``render.py``); None without a mode."""
        if self.render_mode is None:
            return None
        from .render import draw

        return draw(self.sim, 0, self._trail, self._render_cache)

    def _setup_view(self) -> None:
        """Build the one-env sim and the render state (call from ``setup``)."""
        self.sim = UavSim(self.params, 1)
        self._trail: list[np.ndarray] = []
        self._render_cache: dict[str, Any] = {}

    def _reset_view(self) -> None:
        """Start a new episode of the sim (from ``self._rngs``) and of the trail."""
        self.sim.reset(ENV0, self._rngs)
        self._trail = []
        self._record_trail()

    def _record_trail(self) -> None:
        self._trail.append(self.sim.uav_xy[0].copy())
        del self._trail[:-TRAIL_LEN]


SHARED_DOC = """
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
"""the docstring sections that the central and the PettingZoo env share"""


__all__ = ["SHARED_DOC", "TRAIL_LEN", "SimArray", "SingleEnvView"]
