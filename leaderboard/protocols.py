"""Named, versioned evaluation protocols: which env, which data, how many episodes, which score.

A protocol pins everything that makes two leaderboard numbers comparable. Changing any of it
(traces, start pointers, episode count, QoE) makes a new version, never an edit of an old one.

| protocol | data | episodes | anchor |
|---|---|---|---|
| ``abr-synthetic`` | embedded synthetic traces, data-set seed 1000 | 50 | none (netgym's own) |
| ``hsdpa142`` | ``hsdpa-test/`` + ``video1/`` | 142 | Pensieve test protocol |
| ``fcc100`` | ``fcc-test/`` (start pointers) + ``video1/`` | 100 | NetLLM test protocol |
| ``uav-paper`` | embedded (``UavParams.paper()``), seeds from 1,000,000 | 10 | none public |

The score of every protocol so far is ``mean_reward``: the mean reward per step of each episode
(for ABR the per-trace mean QoE), averaged over episodes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .evaluate import EvaluationResult, evaluate

ABR_ENV_ID = "netgym/AbrStreaming-v0"


@dataclass(frozen=True)
class Protocol:
    """One evaluation protocol: an env, its kwargs (maybe built from a data folder) and a score."""

    name: str
    """registry name, e.g. 'hsdpa142'"""
    version: int
    """bumped whenever anything that changes the scores changes"""
    env_id: str
    """the Gymnasium id evaluated"""
    build_env_kwargs: Callable[[Path | None], dict[str, Any]]
    """data folder (None when ``needs_data`` is False) -> kwargs for ``gym.make``"""
    episodes: int
    """episodes per policy (for sequential trace orders: the number of traces)"""
    seed: int = 0
    """seed of the first ``reset`` (and of seeded baselines)"""
    metric: str = "mean_reward"
    """the ``EvaluationResult`` property that is the score"""
    description: str = ""
    """one line for ``netgym list``"""
    needs_data: bool = False
    """whether ``build_env_kwargs`` needs a data folder"""
    data_folders: tuple[str, ...] = field(default=())
    """sub-folders that the data folder must hold"""

    @property
    def label(self) -> str:
        """Name and version, e.g. ``'hsdpa142@v1'``: the key under which scores are comparable."""
        return f"{self.name}@v{self.version}"

    def require_data(self, data_dir: str | Path | None) -> Path | None:
        """Check the data folder this protocol needs and return it as a Path.

        Raises:
            FileNotFoundError: naming the protocol and the missing folder when ``needs_data``
                and ``data_dir`` is None, is not a folder, or lacks one of ``data_folders``.
        """
        if not self.needs_data:
            return None if data_dir is None else Path(data_dir)
        needed = " and ".join(f"{name}/" for name in self.data_folders) or "its data"
        if data_dir is None:
            raise FileNotFoundError(
                f"protocol {self.name!r} needs a data folder holding {needed}; none was given"
            )
        root = Path(data_dir)
        if not root.is_dir():
            raise FileNotFoundError(
                f"protocol {self.name!r} needs a data folder holding {needed}, "
                f"but {root} does not exist"
            )
        for name in self.data_folders:
            if not (root / name).is_dir():
                raise FileNotFoundError(
                    f"protocol {self.name!r} needs the folder {root / name} ({needed} under the "
                    f"data folder {root})"
                )
        return root

    def env_kwargs(self, data_dir: str | Path | None = None) -> dict[str, Any]:
        """The ``gym.make`` kwargs of this protocol, after checking its data folder."""
        return self.build_env_kwargs(self.require_data(data_dir))

    def check_episodes(self, episodes: int | None) -> int:
        """Return ``episodes`` (default: the protocol's), checked to lie in 1..``self.episodes``.

        Fewer episodes give a quick subset of the protocol; more would repeat its traces.
        """
        if episodes is None:
            return self.episodes
        if not 1 <= episodes <= self.episodes:
            raise ValueError(
                f"episodes for protocol {self.name!r} must be in 1..{self.episodes}, got {episodes}"
            )
        return int(episodes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (without the kwargs builder)."""
        return {
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "env_id": self.env_id,
            "episodes": self.episodes,
            "seed": self.seed,
            "metric": self.metric,
            "needs_data": self.needs_data,
            "data_folders": list(self.data_folders),
            "description": self.description,
        }


@dataclass
class LeaderboardRow:
    """The score of one policy under one protocol, with the evaluation it came from."""

    protocol: str
    """protocol name"""
    version: int
    """protocol version"""
    policy: str
    """policy name (the baseline registry name, or the policy's ``name`` attribute)"""
    metric: str
    """name of the score, e.g. 'mean_reward'"""
    result: EvaluationResult
    """the per-episode results"""

    @property
    def per_episode_scores(self) -> list[float]:
        """The score of each episode (for ``mean_reward``: mean reward per step)."""
        if self.metric == "mean_reward":
            return list(self.result.mean_rewards)
        if self.metric == "mean":
            return list(self.result.returns)
        raise ValueError(f"metric {self.metric!r} has no per-episode values")

    @property
    def score(self) -> float:
        """The protocol's metric, e.g. the mean over episodes of the mean reward per step."""
        return float(getattr(self.result, self.metric))

    @property
    def score_std(self) -> float:
        """Standard deviation of the per-episode scores (population)."""
        return float(np.std(self.per_episode_scores))

    @property
    def mean_return(self) -> float:
        """Mean episodic return."""
        return self.result.mean

    @property
    def episodes(self) -> int:
        """Episodes evaluated."""
        return len(self.result.returns)

    @property
    def wall_s(self) -> float:
        """Wall time of the evaluation."""
        return self.result.wall_s

    def to_dict(self, per_episode: bool = True) -> dict[str, Any]:
        """JSON-ready summary; ``per_episode`` adds the per-episode scores."""
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "version": self.version,
            "policy": self.policy,
            "metric": self.metric,
            "score": self.score,
            "score_std": self.score_std,
            "mean_return": self.mean_return,
            "episodes": self.episodes,
            "seed": self.result.seed,
            "wall_s": self.wall_s,
        }
        if per_episode:
            out["per_episode_scores"] = self.per_episode_scores
        return out


def _abr_synthetic_kwargs(data_dir: Path | None) -> dict[str, Any]:
    from netgym.envs.abr.params import AbrParams, SyntheticTraces

    # Data-set seed 1000 keeps the test traces apart from the default (seed 0) training set.
    params = AbrParams(
        traces="synthetic",
        synthetic_traces=SyntheticTraces(seed=1000, n_traces=50),
        trace_order="sequential",
        start="beginning",
        noise=None,
    )
    return {"params": params}


def _hsdpa142_kwargs(data_dir: Path | None) -> dict[str, Any]:
    from netgym.envs.abr.params import AbrParams

    return {"params": AbrParams.hsdpa142(data_dir)}


def _fcc100_kwargs(data_dir: Path | None) -> dict[str, Any]:
    from netgym.envs.abr.params import AbrParams

    return {"params": AbrParams.fcc100(data_dir)}


PROTOCOLS: dict[str, Protocol] = {}
"""name -> protocol; ``register_protocol`` adds to it"""


def register_protocol(protocol: Protocol) -> Protocol:
    """Add ``protocol`` to ``PROTOCOLS``; a name may be registered only once."""
    if protocol.name in PROTOCOLS:
        raise ValueError(f"protocol {protocol.name!r} is already registered")
    PROTOCOLS[protocol.name] = protocol
    return protocol


register_protocol(
    Protocol(
        name="abr-synthetic",
        version=1,
        env_id=ABR_ENV_ID,
        build_env_kwargs=_abr_synthetic_kwargs,
        episodes=50,
        description="ABR on 50 embedded synthetic traces (data-set seed 1000), in order, "
        "from their start, no noise, linear QoE; no data needed",
    )
)


def _uav_paper_kwargs(data_dir: Path | None) -> dict[str, Any]:
    return {"params": "paper"}


register_protocol(
    Protocol(
        name="uav-paper",
        version=1,
        env_id="netgym/UavOffload-v0",
        build_env_kwargs=_uav_paper_kwargs,
        episodes=10,
        seed=1_000_000,  # disjoint from the training seeds train.py uses by default
        description="multi-UAV offloading, paper preset (3 UAVs, 100 users, 1 km^2), 10 "
        "episodes of 100 steps; score = mean fraction of users served by UAVs per step",
    )
)
register_protocol(
    Protocol(
        name="hsdpa142",
        version=1,
        env_id=ABR_ENV_ID,
        build_env_kwargs=_hsdpa142_kwargs,
        episodes=142,
        description="ABR, Pensieve test protocol: 142 Norway HSDPA traces, video1, "
        "first chunk at level 1, linear QoE",
        needs_data=True,
        data_folders=("hsdpa-test", "video1"),
    )
)
register_protocol(
    Protocol(
        name="fcc100",
        version=1,
        env_id=ABR_ENV_ID,
        build_env_kwargs=_fcc100_kwargs,
        episodes=100,
        description="ABR, NetLLM test protocol: 100 FCC traces from their start pointers, "
        "video1, first chunk at level 0, linear QoE",
        needs_data=True,
        data_folders=("fcc-test", "video1"),
    )
)

DEFAULT_PROTOCOLS: tuple[str, ...] = ("abr-synthetic",)
"""what ``netgym leaderboard run`` evaluates when no protocol is named (needs no data)"""


def get_protocol(name: str) -> Protocol:
    """Return the registered protocol ``name``; ``ValueError`` lists the known names."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {sorted(PROTOCOLS)}") from None


def _resolve_policies(
    protocol: Protocol, policies: Iterable[str | Any] | Mapping[str, Any] | None
) -> list[tuple[str, Any]]:
    """(name, policy object) pairs; every baseline of the env when ``policies`` is None."""
    from netgym.baselines import BASELINES, make_policy

    if policies is None:
        names: Iterable[Any] = BASELINES.get(protocol.env_id, {})
        if not names:
            raise ValueError(f"no baselines for env {protocol.env_id!r} of {protocol.name!r}")
        policies = list(names)
    if isinstance(policies, Mapping):
        return [(str(name), policy) for name, policy in policies.items()]
    resolved = []
    for policy in policies:
        if isinstance(policy, str):
            resolved.append((policy, make_policy(protocol.env_id, policy, seed=protocol.seed)))
        else:
            resolved.append((getattr(policy, "name", type(policy).__name__), policy))
    if not resolved:
        raise ValueError(f"no policies to evaluate under protocol {protocol.name!r}")
    return resolved


def run_protocol(
    protocol: Protocol | str,
    policies: Iterable[str | Any] | Mapping[str, Any] | None = None,
    data_dir: str | Path | None = None,
    episodes: int | None = None,
) -> list[LeaderboardRow]:
    """Evaluate each policy under ``protocol``; one row per policy, in the order given.

    Every input is checked (data folder, episode count, policy names) before the first
    evaluation starts, so a typo fails at once.

    Args:
        protocol: a ``Protocol`` or the name of a registered one.
        policies: baseline names and/or policy objects (``reset(env)``, ``act(obs, info)``),
            or a mapping name -> policy; None evaluates every baseline of the protocol's env.
        data_dir: the data folder, for protocols with ``needs_data``.
        episodes: a smaller number of episodes for a quick run (default: the protocol's).

    Returns:
        One ``LeaderboardRow`` per policy.

    Raises:
        ValueError: unknown protocol or policy, or episodes out of range.
        FileNotFoundError: the protocol's data folder is missing.
    """
    if isinstance(protocol, str):
        protocol = get_protocol(protocol)
    env_kwargs = protocol.env_kwargs(data_dir)
    n_episodes = protocol.check_episodes(episodes)
    rows = []
    for name, policy in _resolve_policies(protocol, policies):
        started = time.perf_counter()
        result = evaluate(policy, protocol.env_id, n_episodes, protocol.seed, env_kwargs)
        result.wall_s = time.perf_counter() - started
        rows.append(
            LeaderboardRow(
                protocol=protocol.name,
                version=protocol.version,
                policy=name,
                metric=protocol.metric,
                result=result,
            )
        )
    return rows


__all__ = [
    "DEFAULT_PROTOCOLS",
    "PROTOCOLS",
    "LeaderboardRow",
    "Protocol",
    "get_protocol",
    "register_protocol",
    "run_protocol",
]
