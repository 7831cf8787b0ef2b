"""Named, versioned evaluation protocols: which env, which data, which seeds, which score.

A protocol pins everything that makes two leaderboard numbers comparable: the env id and its
kwargs (a data set, or an embedded synthetic held-out set), the held-out evaluation seeds, the
episodes per seed, the metric and the normalisation anchors. Its ``version`` hashes every one of
these fields and the env's behaviour (``netgym.leaderboard.versioning``): a seeded rollout of the
reference baseline on the protocol's env. So any change of a field (a seed, an anchor, even the
description) or of the env's dynamics gives a new version, and old scores can never be mistaken
for new ones, while a refactor that keeps behaviour keeps every version.

Evaluation seeds start at ``LEADERBOARD_SEED_BASE`` (2,000,000): disjoint from the seeds that
``train.py`` uses by default (training on ``seed .. seed + n_envs - 1`` from seed 0, evaluation
from ``EVAL_SEED_OFFSET + seed`` = 1,000,000 + seed).

Each env family declares its protocols module in its ``Family.protocols``
(``netgym.leaderboard.protocols_abr``, ``protocols_uav``, ...); importing
``netgym.leaderboard`` imports them all (``load_family_protocols``), and each registers its
protocols with ``register_protocol``. ``docs/leaderboard.md`` says how to add one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .protocol_data import canonical_datasets, data_identity, folder_checksum, require_datasets
from .versioning import behaviour_fingerprint, canonical, code_digest

LEADERBOARD_SEED_BASE = 2_000_000
"""first held-out evaluation seed of every protocol (see the module docstring)"""
VERSION_CHARS = 12
"""hex digits of the sha256 content hash kept as a protocol's version"""


@dataclass(frozen=True)
class Anchors:
    """What a normalised score of 0 and 1 means under a protocol, and the best possible score.

    Normalised score = (score - score(zero)) / (score(reference) - score(zero)), where both
    anchor scores are measured in the same leaderboard run on the same seeds. The zero anchor
    is the uniformly random policy unless random is catastrophic under the protocol (it would
    squash every sensible policy into [0.99, 1]): then it is a *floor*, the lowest-quality
    policy or the simplest sensible heuristic, so that normalised scores keep the field apart;
    ``note`` says why, and both are part of the protocol's version.
    """

    reference: str
    """baseline scored 1 (the family's named reference heuristic)"""
    random: str = "random"
    """baseline scored 0: the uniformly random policy, or the protocol's floor (see above)"""
    oracle: str | None = None
    """a baseline that is an oracle (knows the future), reported beside the scores"""
    bound: float | None = None
    """an upper bound of the score in score units (e.g. the UAV capacity bound), if known"""
    bound_note: str = ""
    """what ``bound`` is"""
    note: str = ""
    """why these anchors (a floor instead of random: the reason); in the version when set"""

    @property
    def floor(self) -> bool:
        """Whether the zero anchor is a floor rather than the random policy."""
        return self.random != "random"

    def baselines(self) -> tuple[str, ...]:
        """The anchor baselines: random, reference and the oracle if there is one."""
        names = (self.random, self.reference) + ((self.oracle,) if self.oracle else ())
        return tuple(dict.fromkeys(names))

    def required(self) -> tuple[str, ...]:
        """The baselines every leaderboard run evaluates: the normalisation's two, and the
        random policy beside a floor (the reports draw where it lies)."""
        return tuple(dict.fromkeys((self.random, self.reference, "random")))


@dataclass(frozen=True)
class Protocol:
    """One evaluation protocol; ``version`` is the content hash of all the fields below."""

    name: str
    """registry name, e.g. 'hsdpa142'"""
    env_id: str
    """the Gymnasium id evaluated"""
    build_env_kwargs: Callable[[Path | None], dict[str, Any]]
    """data folder (None when ``needs_data`` is False) -> kwargs for ``gym.make``"""
    episodes: int
    """episodes per evaluation seed (for sequential trace orders: the number of traces)"""
    eval_seeds: tuple[int, ...]
    """held-out seeds: one block of ``episodes`` episodes per seed (reset(seed) then unseeded)"""
    anchors: Anchors
    """normalisation anchors"""
    metric: str = "mean_reward"
    """the ``EvaluationResult`` property that is the score"""
    description: str = ""
    """one line for ``netgym list``"""
    baselines: tuple[str, ...] | None = None
    """the family's baselines that run under this protocol (None: all of them; e.g. MoE
    routing's bias mode excludes the baselines that need assign mode)"""
    needs_data: bool = False
    """whether ``build_env_kwargs`` needs a data folder"""
    data_folders: tuple[str, ...] = field(default=())
    """sub-folders that the data folder must hold"""
    quick_episodes: int | None = None
    """episodes per seed of the ``--quick`` variant (None: the protocol has no quick variant)"""
    quick_seeds: int = 1
    """evaluation seeds of the ``--quick`` variant (the first ones)"""
    quick_env_kwargs: Callable[[Path | None], dict[str, Any]] | None = None
    """kwargs builder of the quick variant (e.g. a smaller synthetic set; None: the same)"""
    skip_quick: tuple[str, ...] = ()
    """baselines too slow for the ``--quick`` variant"""
    fingerprint_kwargs: Callable[[Path | None], dict[str, Any]] | None = None
    """data-free kwargs builder on which a protocol that needs data has its behaviour
    fingerprinted: the protocol's settings on embedded data (None: ``quick_env_kwargs``, else
    the env's defaults); protocols without data are fingerprinted on their own kwargs"""
    datasets: tuple[str, ...] = ()
    """the published data sets it reads (``netgym data list``, e.g. 'abr/fcc-test'), all of one
    family; they set ``needs_data`` and ``data_folders`` (see ``protocol_data``)"""

    entry_kwargs: tuple[str, ...] = ()
    """env kwargs an entry keeps from its own training run: how it observes and acts, never the
    dynamics or the score (e.g. the repeater chain's ``obs_mode``, so that a tabular agent plays
    the same chain through its state index). Part of ``version`` when not empty (an empty
    one leaves the versions of the protocols that allow nothing as they were)."""

    def __post_init__(self) -> None:
        if not self.name or any(ch in self.name for ch in " ,@/"):
            raise ValueError(f"protocol name must be non-empty without ' ,@/', got {self.name!r}")
        if isinstance(self.episodes, bool) or not isinstance(self.episodes, int):
            raise ValueError(
                f"protocol {self.name!r}: episodes must be an int, got {self.episodes!r}"
            )
        if self.episodes < 1:
            raise ValueError(f"protocol {self.name!r}: episodes must be >= 1, got {self.episodes}")
        seeds = tuple(self.eval_seeds)
        if not seeds or len(set(seeds)) != len(seeds) or any(s < 0 for s in seeds):
            raise ValueError(
                f"protocol {self.name!r}: eval_seeds must be distinct ints >= 0, got {seeds}"
            )
        object.__setattr__(self, "eval_seeds", seeds)
        if self.metric not in ("mean_reward", "mean"):
            raise ValueError(f"protocol {self.name!r}: metric must be mean_reward or mean")
        if self.datasets:
            datasets = canonical_datasets(self.name, self.datasets)
            object.__setattr__(self, "datasets", datasets)
            object.__setattr__(self, "needs_data", True)
            if not self.data_folders:
                folders = tuple(name.split("/", 1)[1] for name in datasets)
                object.__setattr__(self, "data_folders", folders)

    # ------------------------------------------------------------------ identity
    @cached_property
    def version(self) -> str:
        """The first ``VERSION_CHARS`` hex digits of the sha256 of ``content()`` and
        ``behaviour``."""
        payload = {"content": self.content(), "behaviour": self.behaviour}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:VERSION_CHARS]

    @property
    def label(self) -> str:
        """Name and version, e.g. ``'hsdpa142@3f2a9c1b0d4e'``: scores compare only under it."""
        return f"{self.name}@{self.version}"

    def content(self) -> dict[str, Any]:
        """Every field as canonical JSON data: what ``version`` hashes besides the behaviour.

        The env kwargs enter as their canonical value (embedded protocols) or, for protocols
        that read a data folder, as the code of their builder (``code_digest``: the data
        folder's place must not change the version). The data sets enter with their data
        identity (the manifest's checksums of the files read, ``data_identity``); a protocol
        without data sets has no ``datasets`` entry, so adding the field kept its version.
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "entry_kwargs" and not self.entry_kwargs:  # keeps older versions
                continue
            value = getattr(self, f.name)
            if f.name == "datasets":
                if value:
                    out["datasets"] = {"names": list(value), "identity": self.data_identity}
                continue
            if f.name in ("build_env_kwargs", "quick_env_kwargs", "fingerprint_kwargs"):
                value = None if value is None else self._kwargs_content(value)
            out[f.name] = canonical(value)
            if f.name == "anchors" and not value.note:  # keeps the versions of older anchors
                del out[f.name]["note"]
        return out

    def _kwargs_content(self, builder: Callable[[Path | None], dict[str, Any]]) -> Any:
        if self.needs_data:
            return {"code": code_digest(builder)}
        return builder(None)

    @cached_property
    def behaviour(self) -> str:
        """sha256 of a seeded rollout of the reference baseline on the protocol's env
        (``versioning.behaviour_fingerprint``, cached): part of ``version``.

        Computed from the first evaluation seed on ``fingerprint_env_kwargs()``, which need no
        data, so every machine gets the same value.
        """
        return behaviour_fingerprint(
            self.env_id,
            self.fingerprint_env_kwargs(),
            self.anchors.reference,
            self.eval_seeds[0],
        )

    def fingerprint_env_kwargs(self) -> dict[str, Any]:
        """The data-free kwargs of the behaviour fingerprint: the protocol's own kwargs when it
        needs no data; otherwise ``fingerprint_kwargs``, else ``quick_env_kwargs``, else none
        (the env's defaults)."""
        if not self.needs_data:
            return self.build_env_kwargs(None)
        builder = self.fingerprint_kwargs or self.quick_env_kwargs
        return {} if builder is None else builder(None)

    # ------------------------------------------------------------------ data and episodes
    @property
    def data_identity(self) -> str | None:
        """sha256 of the manifest's checksums of every file the protocol reads (None: it reads
        no published data set); it needs no data and enters ``version``."""
        return data_identity(self.datasets) if self.datasets else None

    def require_data(self, data_dir: str | Path | None, checksums: bool = True) -> Path | None:
        """Check the data folder this protocol needs and return it as a Path.

        For a protocol with ``datasets``, ``data_dir`` None means the data root's family folder
        (``$NETGYM_DATA/abr``, see ``netgym.data``), a data root is accepted for ``data_dir``
        too, and every file the manifest lists must be there, with its published sha256 when
        ``checksums`` (files beside them are ignored).

        Raises:
            FileNotFoundError: naming the protocol and the missing folder when ``needs_data``
                and ``data_dir`` is None (and the data root lacks its data sets), is not a
                folder, or lacks one of ``data_folders`` or a file; the message gives the
                ``netgym data fetch`` command for published data sets.
            ValueError: a file differs from the published one (``DataChecksumError``).
        """
        if not self.needs_data:
            return None if data_dir is None else Path(data_dir)
        if self.datasets:
            return require_datasets(self.name, self.datasets, data_dir, checksums)
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

    def entry_env_kwargs(
        self, data_dir: str | Path | None, entry_kwargs: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The ``gym.make`` kwargs of an entry that trained with ``entry_kwargs``: the
        protocol's, plus those of its ``entry_kwargs`` keys that the entry set."""
        own = {k: v for k, v in (entry_kwargs or {}).items() if k in self.entry_kwargs}
        return {**self.env_kwargs(data_dir), **own}

    def data_checksum(self, data_dir: str | Path | None) -> str | None:
        """The identity of the data as it is in ``data_dir`` (None: no data).

        With ``datasets``: the hash of ``data_identity`` over the sha256 of the files read, so
        it equals ``data_identity`` exactly when they are the published files, wherever they
        lie and whatever lies beside them. Otherwise: sha256 over the names and bytes of every
        file in the data folders.
        """
        root = self.require_data(data_dir, checksums=False)
        if not self.needs_data or root is None:
            return None
        if self.datasets:
            return folder_checksum(self.datasets, root)
        digest = hashlib.sha256()
        for folder in self.data_folders:
            for path in sorted((root / folder).rglob("*")):
                if path.is_file():
                    digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
                    digest.update(path.read_bytes())
        return digest.hexdigest()

    def check_episodes(self, episodes: int | None) -> int:
        """Return ``episodes`` (default: the protocol's), checked to lie in 1..``self.episodes``."""
        if episodes is None:
            return self.episodes
        if not 1 <= episodes <= self.episodes:
            raise ValueError(
                f"episodes for protocol {self.name!r} must be in 1..{self.episodes}, got {episodes}"
            )
        return int(episodes)

    def with_episodes(self, episodes: int | None) -> Protocol:
        """This protocol with fewer episodes per seed (a new version), or itself for None."""
        n_episodes = self.check_episodes(episodes)
        if n_episodes == self.episodes:
            return self
        return dataclasses.replace(self, episodes=n_episodes)

    def quick(self) -> Protocol:
        """The ``--quick`` variant: fewer episodes and seeds, maybe a smaller synthetic set.

        Raises:
            ValueError: the protocol has no quick variant (``quick_episodes`` is None).
        """
        if self.quick_episodes is None:
            raise ValueError(f"protocol {self.name!r} has no --quick variant (it needs data)")
        return dataclasses.replace(
            self,
            name=f"{self.name}-quick",
            episodes=self.quick_episodes,
            eval_seeds=self.eval_seeds[: self.quick_seeds],
            build_env_kwargs=self.quick_env_kwargs or self.build_env_kwargs,
            description=f"quick variant of {self.name}: {self.description}",
            quick_episodes=None,
            quick_env_kwargs=None,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (without the kwargs builders)."""
        return {
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "env_id": self.env_id,
            "episodes": self.episodes,
            "eval_seeds": list(self.eval_seeds),
            "metric": self.metric,
            "anchors": dataclasses.asdict(self.anchors),
            "baselines": None if self.baselines is None else list(self.baselines),
            "needs_data": self.needs_data,
            "data_folders": list(self.data_folders),
            "datasets": list(self.datasets),
            "data_identity": self.data_identity,
            "has_quick": self.quick_episodes is not None,
            "entry_kwargs": list(self.entry_kwargs),
            "description": self.description,
        }


# ---------------------------------------------------------------------------------- registry
PROTOCOLS: dict[str, Protocol] = {}
"""name -> protocol; ``register_protocol`` adds to it"""
SEEDS = tuple(range(LEADERBOARD_SEED_BASE, LEADERBOARD_SEED_BASE + 10))
"""the held-out evaluation seeds; a protocol takes the first few"""
KwargsBuilder = Callable[[Path | None], dict[str, Any]]
"""data folder (None for embedded protocols) -> kwargs for ``gym.make``"""


def register_protocol(protocol: Protocol) -> Protocol:
    """Add ``protocol`` to ``PROTOCOLS``; a name may be registered only once."""
    if protocol.name in PROTOCOLS:
        raise ValueError(f"protocol {protocol.name!r} is already registered")
    PROTOCOLS[protocol.name] = protocol
    return protocol


def define_protocol(
    name: str,
    env_id: str,
    kwargs: KwargsBuilder,
    anchors: Anchors,
    *,
    seeds: int,
    episodes: int,
    description: str,
    quick: tuple[int, int] | None = None,
    quick_kwargs: KwargsBuilder | None = None,
    metric: str = "mean_reward",
    baselines: tuple[str, ...] | None = None,
    data_folders: tuple[str, ...] = (),
    fingerprint_kwargs: KwargsBuilder | None = None,
    datasets: tuple[str, ...] = (),
    entry_kwargs: tuple[str, ...] = (),
) -> Protocol:
    """Register the protocol of a family's protocols module in one call.

    Args:
        name: the registry name.
        env_id: the Gymnasium id evaluated.
        kwargs: the kwargs builder (it receives the data folder, None when it needs no data).
        anchors: the normalisation anchors.
        seeds: how many of the held-out ``SEEDS`` it plays (the first ones).
        episodes: episodes per seed.
        description: one line for ``netgym list`` and the docs.
        quick: (seeds, episodes per seed) of the ``--quick`` variant; None: no quick variant.
        quick_kwargs: the kwargs builder of the quick variant (None: ``kwargs``).
        metric: 'mean_reward' (mean reward per step) or 'mean' (the return).
        baselines: the env's baselines that run under it (None: all of them).
        data_folders: the sub-folders of the data folder it reads (none: an embedded protocol;
            derived from ``datasets`` when those are given).
        fingerprint_kwargs: for a protocol with data, data-free kwargs with its settings, on
            which its behaviour is fingerprinted (``Protocol.fingerprint_kwargs``).
        datasets: the published data sets it reads (``Protocol.datasets``): the data root
            finds them, the manifest verifies them.
        entry_kwargs: env kwargs an entry keeps from its training run (``Protocol.entry_kwargs``).

    Returns:
        The registered protocol.
    """
    return register_protocol(
        Protocol(
            name=name,
            env_id=env_id,
            build_env_kwargs=kwargs,
            episodes=episodes,
            eval_seeds=SEEDS[:seeds],
            anchors=anchors,
            metric=metric,
            description=description,
            baselines=baselines,
            needs_data=bool(data_folders or datasets),
            data_folders=data_folders,
            quick_episodes=None if quick is None else quick[1],
            quick_seeds=1 if quick is None else quick[0],
            quick_env_kwargs=quick_kwargs,
            fingerprint_kwargs=fingerprint_kwargs,
            datasets=datasets,
            entry_kwargs=tuple(entry_kwargs),
        )
    )


def load_family_protocols() -> None:
    """Import the protocols module of every family (``netgym.envs.all_families()``: netgym's
    own and those added with ``register_family``); each registers its protocols once, when
    first imported."""
    from netgym.envs import all_families

    for family in all_families():
        family.protocols_module()


def get_protocol(name: str) -> Protocol:
    """Return the registered protocol ``name`` (``NAME-quick``: its quick variant).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    if name not in PROTOCOLS:
        load_family_protocols()  # a family registered after netgym.leaderboard was imported
    if name in PROTOCOLS:
        return PROTOCOLS[name]
    if name.endswith("-quick") and name[: -len("-quick")] in PROTOCOLS:
        return PROTOCOLS[name[: -len("-quick")]].quick()
    raise ValueError(f"unknown protocol {name!r}; known: {sorted(PROTOCOLS)}")


def default_protocols(quick: bool = False, data_dir: str | Path | None = None) -> list[Protocol]:
    """What ``netgym leaderboard run`` evaluates when no protocol is named.

    Every protocol that needs no data, plus the data protocols when ``data_dir`` is given;
    with ``quick``, the quick variant of every protocol that has one.
    """
    chosen = []
    for protocol in PROTOCOLS.values():
        if quick:
            if protocol.quick_episodes is not None:
                chosen.append(protocol.quick())
        elif not protocol.needs_data or data_dir is not None:
            chosen.append(protocol)
    return chosen


__all__ = [
    "LEADERBOARD_SEED_BASE",
    "PROTOCOLS",
    "SEEDS",
    "Anchors",
    "KwargsBuilder",
    "Protocol",
    "canonical",
    "default_protocols",
    "define_protocol",
    "get_protocol",
    "load_family_protocols",
    "register_protocol",
]
