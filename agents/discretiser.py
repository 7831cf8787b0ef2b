"""Observations as table rows: the discretiser of the tabular agents.

A ``Discrete`` observation indexes the table directly; a ``Box`` observation is cut into
equal-width bins per kept feature, combined into one state index in mixed radix (see
``Discretiser``). The tables are dense, so a discretiser refuses more than
``MAX_TABLE_ENTRIES`` states.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .tabular_config import is_scalar

if TYPE_CHECKING:
    from .tabular_config import TabularConfig

MAX_TABLE_ENTRIES = 10_000_000
"""Largest dense table (states x actions cells, 80 MB of float64) ``create`` accepts."""
SAVED_ARRAYS = ("features", "low", "high", "bins")
"""the arrays of a saved Box discretiser, in ``Discretiser.box``'s argument order"""


class Discretiser:
    """Maps observations to integer states ``0 .. n_states - 1``, the first axis of a Q-table.

    A ``Discrete(n, start)`` observation ``x`` is state ``x - start``. A ``Box`` observation is
    flattened (C order) and its entries ``features`` are kept; kept entry ``d`` falls in one of
    ``bins[d]`` equal-width bins over ``[low[d], high[d]]``: bin ``k`` is ``[edge_k,
    edge_{k+1})`` with ``edges = np.linspace(low, high, bins + 1)``, values below ``low`` go to
    bin 0 and values at or above the last interior edge (including everything >= ``high``) to
    the last bin. The per-feature bins ``k_d`` combine in mixed radix, the last feature varying
    fastest: ``state = np.ravel_multi_index(k, bins)``.

    Build one with ``Discretiser.discrete`` or ``Discretiser.box``.
    """

    def __init__(
        self,
        kind: str,
        n_states: int,
        start: int = 0,
        obs_shape: tuple[int, ...] = (),
        features: np.ndarray | None = None,
        low: np.ndarray | None = None,
        high: np.ndarray | None = None,
        bins: np.ndarray | None = None,
    ) -> None:
        self.kind = kind
        self.n_states = n_states
        self.start = start
        self.obs_shape = obs_shape
        self.features = features
        self.low = low
        self.high = high
        self.bins = bins
        if kind == "box":
            # interior edges padded with +inf to a rectangle, so one comparison bins every
            # feature at once: the bin index is the number of interior edges <= x
            width = int(bins.max()) - 1
            self._inner_edges = np.full((len(bins), max(width, 1)), np.inf)
            for d, count in enumerate(bins):
                self._inner_edges[d, : count - 1] = np.linspace(low[d], high[d], count + 1)[1:-1]
            self._strides = np.ones(len(bins), dtype=np.int64)
            self._strides[:-1] = np.cumprod(bins[::-1])[::-1][1:]

    @classmethod
    def discrete(cls, n: int, start: int = 0) -> Discretiser:
        """The identity on ``Discrete(n, start)`` (shifted to start at 0)."""
        return cls("discrete", int(n), start=int(start))

    @classmethod
    def box(
        cls,
        obs_shape: tuple[int, ...],
        features: Sequence[int],
        low: Sequence[float],
        high: Sequence[float],
        bins: Sequence[int],
    ) -> Discretiser:
        """Uniform bins over ``[low[d], high[d]]`` for each kept flat index ``features[d]``.

        Raises:
            ValueError: a feature outside the observation, a length mismatch, ``bins < 1`` or
                ``high <= low``.
        """
        size = math.prod(obs_shape)
        features_arr = np.asarray(features, dtype=np.int64)
        low_arr = np.asarray(low, dtype=np.float64)
        high_arr = np.asarray(high, dtype=np.float64)
        bins_arr = np.asarray(bins, dtype=np.int64)
        count = len(features_arr)
        if count == 0:
            raise ValueError("a Box discretiser needs at least one feature")
        if features_arr.min() < 0 or features_arr.max() >= size:
            raise ValueError(
                f"features must be flat indices in [0, {size - 1}] of the {obs_shape} "
                f"observation, got {features_arr.tolist()}"
            )
        for name, array in (("low", low_arr), ("high", high_arr), ("bins", bins_arr)):
            if array.shape != (count,):
                raise ValueError(f"{name} must have one entry per feature ({count}), got {array}")
        if bins_arr.min() < 1:
            raise ValueError(f"bins must be >= 1, got {bins_arr.tolist()}")
        if not (np.isfinite(low_arr).all() and np.isfinite(high_arr).all()):
            raise ValueError(
                f"low and high must be finite, got low={low_arr.tolist()}, high={high_arr.tolist()}"
            )
        bad = np.flatnonzero(high_arr <= low_arr)
        if bad.size:
            d = int(bad[0])
            raise ValueError(
                f"high must be > low for every feature; feature {int(features_arr[d])} has "
                f"low={low_arr[d]} and high={high_arr[d]}"
            )
        n_states = math.prod(int(b) for b in bins_arr)
        if n_states > MAX_TABLE_ENTRIES:
            raise ValueError(
                f"bins {bins_arr.tolist()} make {n_states} states, above the table limit of "
                f"{MAX_TABLE_ENTRIES} cells; use fewer bins or fewer features"
            )
        return cls(
            "box",
            n_states,
            obs_shape=tuple(int(s) for s in obs_shape),
            features=features_arr,
            low=low_arr,
            high=high_arr,
            bins=bins_arr,
        )

    @classmethod
    def for_space(cls, space: gym.Space, config: TabularConfig) -> Discretiser:
        """The discretiser of ``space`` with the Box options of ``config`` (ignored for
        Discrete spaces).

        Raises:
            ValueError: a per-feature option of the wrong length, or an unbounded feature
                without ``low``/``high``.
        """
        if isinstance(space, spaces.Discrete):
            return cls.discrete(space.n, space.start)
        if not isinstance(space, spaces.Box):
            raise ValueError(f"tabular agents discretise Discrete or Box observations, got {space}")
        features = (
            list(config.features) if config.features is not None else list(range(space.low.size))
        )
        count = len(features)
        size = space.low.size
        if max(features) >= size:
            raise ValueError(
                f"features must be flat indices in [0, {size - 1}] of the {space.shape} "
                f"observation, got {features}"
            )

        def per_feature(key: str) -> list[Any]:
            value = getattr(config, key)
            if is_scalar(value):
                return [value] * count
            if len(value) != count:
                raise ValueError(
                    f"{key} has {len(value)} entries but {count} features are discretised: "
                    f"{list(value)}"
                )
            return list(value)

        bounds = {}
        for key, space_bound in (("low", space.low), ("high", space.high)):
            values = per_feature(key)
            flat_bound = np.asarray(space_bound, dtype=np.float64).reshape(-1)
            for d, value in enumerate(values):
                if value is None:
                    values[d] = float(flat_bound[features[d]])
                    if not math.isfinite(values[d]):
                        raise ValueError(
                            f"observation entry {features[d]} is unbounded ({key} "
                            f"{values[d]}); give '{key}' in the config (one bound for all "
                            f"features or one per feature)"
                        )
            bounds[key] = values
        return cls.box(space.shape, features, bounds["low"], bounds["high"], per_feature("bins"))

    def check_table_size(self, n_actions: int) -> None:
        """Raise ``ValueError`` if a table of ``n_states x n_actions`` cells exceeds
        ``MAX_TABLE_ENTRIES``."""
        cells = self.n_states * n_actions
        if cells > MAX_TABLE_ENTRIES:
            raise ValueError(
                f"the Q-table would have {self.n_states} states x {n_actions} actions = "
                f"{cells} cells, above the limit of {MAX_TABLE_ENTRIES}; use fewer bins or "
                "fewer features"
            )

    def describe(self) -> dict[str, Any]:
        """The JSON part of a saved discretiser (``from_saved`` reads it back)."""
        if self.kind == "discrete":
            return {"kind": self.kind, "n_states": self.n_states, "start": self.start}
        return {"kind": self.kind, "n_states": self.n_states, "obs_shape": list(self.obs_shape)}

    def arrays(self) -> dict[str, np.ndarray]:
        """The array part of a saved discretiser: a Box's features, bounds and bins."""
        if self.kind == "discrete":
            return {}
        return {key: getattr(self, key) for key in SAVED_ARRAYS}

    @classmethod
    def from_saved(
        cls, entry: dict[str, Any], arrays: Mapping[str, np.ndarray], suffix: str = ""
    ) -> Discretiser:
        """The discretiser of ``describe()``'s ``entry`` and of ``arrays`` (the arrays of
        ``arrays()``, their names followed by ``suffix``)."""
        if entry["kind"] == "discrete":
            return cls.discrete(entry["n_states"], entry["start"])
        return cls.box(tuple(entry["obs_shape"]), *(arrays[key + suffix] for key in SAVED_ARRAYS))

    def indices(self, batch: Any) -> np.ndarray:
        """States of a batch of observations (leading axis = batch), as int64.

        Raises:
            ValueError: a Discrete observation outside the space, or a NaN entry.
        """
        array = np.asarray(batch)
        if self.kind == "discrete":
            states = array.astype(np.int64).reshape(-1) - self.start
            if states.size and (states.min() < 0 or states.max() >= self.n_states):
                raise ValueError(
                    f"observation outside Discrete({self.n_states}, start={self.start}): "
                    f"{array.reshape(-1).tolist()}"
                )
            return states
        if array.shape[1:] != self.obs_shape:
            raise ValueError(
                f"expected observations of shape {self.obs_shape}, got a batch of {array.shape[1:]}"
            )
        values = array.reshape(array.shape[0], -1)[:, self.features].astype(np.float64)
        if np.isnan(values).any():
            raise ValueError("observation has NaN entries in the discretised features")
        bin_index = (values[:, :, None] >= self._inner_edges[None]).sum(axis=2)
        return bin_index @ self._strides

    def index(self, obs: Any) -> int:
        """State of one observation."""
        return int(self.indices(np.asarray(obs)[None])[0])

    def edges(self) -> list[np.ndarray]:
        """Bin edges of each Box feature (``bins[d] + 1`` values from low to high)."""
        if self.kind != "box":
            raise ValueError("a Discrete observation has no bins")
        return [
            np.linspace(lo, hi, b + 1)
            for lo, hi, b in zip(self.low, self.high, self.bins, strict=True)
        ]


__all__ = ["MAX_TABLE_ENTRIES", "Discretiser"]
