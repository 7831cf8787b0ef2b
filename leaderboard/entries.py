"""Leaderboard entries: a baseline, a trained agent's run folder, or an importable policy class.

An ``Entry`` is plain data (picklable, JSON-able), so that any worker process or Ray task can
rebuild the policy it names. ``parse_entry`` reads the ``--entries`` syntax:

* ``runs/netgym_AbrStreaming-v0/ppo/seed-0``: a run folder written by ``train.py`` (its
  ``config.yaml`` gives the env, the agent and the training seed; the policy is loaded from
  ``model/`` or the latest checkpoint);
* ``package.module:Class``: a policy class with ``reset(env)`` and ``act(obs, info)``, built as
  ``Class(seed=...)`` when it takes a ``seed`` argument, else ``Class()``; an ``env_id`` class
  attribute restricts it to that env;
* ``NAME=SPEC``: either of the above under another display name (e.g. ``ppo-long=runs/...``).

Baselines enter as ``Entry.baseline(env_id, name)``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .protocols import Protocol

logger = logging.getLogger(__name__)

KINDS = ("baseline", "run", "class")


@dataclass(frozen=True)
class Entry:
    """One leaderboard entry (plain data)."""

    name: str
    """display name: the baseline name, the run's agent name or the class name"""
    kind: str
    """'baseline', 'run' or 'class'"""
    target: str
    """baseline name, run folder, or 'module:Class'"""
    env_id: str | None
    """the env the entry plays (None: any, for a class without ``env_id``)"""
    train_seed: int | None = None
    """the run's training seed (None for baselines and classes)"""
    fingerprint: str = ""
    """sha256 of the run's saved model files ('' for baselines and classes)"""
    n_timesteps: int | None = None
    """env steps the agent trained (runs only)"""
    env_kwargs: tuple[tuple[str, Any], ...] = ()
    """the run's env kwargs with plain values, as sorted pairs (runs only): a protocol applies
    those of its ``entry_kwargs`` (how the agent observes, e.g. the chain's ``obs_mode``)"""

    @classmethod
    def baseline(cls, env_id: str, name: str) -> Entry:
        """A registered baseline (``ValueError`` for an unknown name)."""
        from netgym.baselines import make_policy

        make_policy(env_id, name)
        return cls(name=name, kind="baseline", target=name, env_id=env_id)

    @property
    def key(self) -> str:
        """A stable identity of the entry (for caches): kind, target, env, seed, fingerprint."""
        text = f"{self.kind}|{self.target}|{self.env_id}|{self.train_seed}|{self.fingerprint}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def plays(self, env_id: str) -> bool:
        """Whether the entry can be evaluated on ``env_id``."""
        return self.env_id is None or self.env_id == env_id.split(":", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``env_kwargs`` as an object)."""
        return {**asdict(self), "env_kwargs": dict(self.env_kwargs)}

    def env_kwargs_on(self, protocol: Protocol, data_dir: str | Path | None) -> dict[str, Any]:
        """The ``gym.make`` kwargs this entry is evaluated with under ``protocol``."""
        return protocol.entry_env_kwargs(data_dir, dict(self.env_kwargs))

    def build_policy(self, env_id: str, seed: int) -> Any:
        """The policy object of this entry for ``env_id`` (seeded baselines get ``seed``)."""
        if self.kind == "baseline":
            from netgym.baselines import make_policy

            return make_policy(env_id, self.target, seed=seed)
        if self.kind == "run":
            return load_run_policy(Path(self.target))
        return build_class_policy(self.target, seed)


def _resolve_class(target: str) -> type:
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError(f"a policy class entry must be 'module:Class', got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import the module of entry {target!r}: {err}") from None
    policy_class = getattr(module, class_name, None)
    if not isinstance(policy_class, type):
        raise ValueError(f"entry {target!r}: {module_name} has no class {class_name!r}")
    for method in ("reset", "act"):
        if not callable(getattr(policy_class, method, None)):
            raise ValueError(f"entry {target!r}: {class_name} has no {method}() method")
    return policy_class


def build_class_policy(target: str, seed: int) -> Any:
    """``Class(seed=seed)`` when the constructor takes ``seed``, else ``Class()``."""
    policy_class = _resolve_class(target)
    parameters = inspect.signature(policy_class).parameters
    return policy_class(seed=seed) if "seed" in parameters else policy_class()


def model_folder(run: Path) -> Path:
    """``run/model`` or, when absent, the run's latest ``checkpoints/step-<N>``."""
    from netgym.agents.training import checkpoints

    if (run / "model").is_dir():
        return run / "model"
    saved = checkpoints(run)
    if not saved:
        raise FileNotFoundError(f"run folder {run} has neither model/ nor checkpoints/step-<N>/")
    return saved[-1][1]


def load_run_policy(run: Path) -> Any:
    """The trained agent of a local run folder, on the CPU (trusted local files)."""
    from netgym.agents import get_agent_class
    from netgym.agents.training import RunConfig

    config = RunConfig.from_folder(run)
    return get_agent_class(config.agent).load(model_folder(run), device="cpu")


def files_checksum(folder: Path) -> str:
    """sha256 over the relative names and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_entry(folder: str | Path, name: str | None = None) -> Entry:
    """The entry of a ``train.py`` run folder.

    Raises:
        FileNotFoundError: not a run folder, or no saved model in it.
    """
    from netgym.agents.training import RunConfig

    run = Path(folder)
    if not run.is_dir():
        raise FileNotFoundError(f"entry {folder}: no such run folder")
    config = RunConfig.from_folder(run)
    model = model_folder(run)
    steps = None
    meta = model / "agent.json"
    if meta.is_file():
        import json

        steps = json.loads(meta.read_text(encoding="utf-8")).get("steps_done")
    return Entry(
        name=name or config.agent,
        kind="run",
        target=str(run),
        env_id=config.env.split(":", 1)[-1],
        train_seed=int(config.seed),
        fingerprint=files_checksum(model),
        n_timesteps=None if steps is None else int(steps),
        env_kwargs=tuple(sorted((k, v) for k, v in config.env_kwargs.items() if _plain(v))),
    )


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def fit_reason(entry: Entry, protocol: Protocol, data_dir: str | Path | None) -> str | None:
    """Why ``entry`` cannot play ``protocol`` (None: it can).

    An entry plays the protocols of its env; a trained run, only those whose env (with the
    run's ``Protocol.entry_kwargs``) has the observation and action spaces it trained on.
    """
    if not entry.plays(protocol.env_id):
        return f"it plays {entry.env_id}, the protocol {protocol.env_id}"
    if entry.kind != "run":
        return None
    from netgym.agents import env_spaces
    from netgym.agents.training import RunConfig

    config = RunConfig.from_folder(Path(entry.target))
    trained = env_spaces(config.env, config.env_kwargs)
    evaluated = env_spaces(protocol.env_id, entry.env_kwargs_on(protocol, data_dir))
    if trained == evaluated:
        return None
    return (
        f"it trained on observations {trained[0]} and actions {trained[1]}; the protocol's env "
        f"has observations {evaluated[0]} and actions {evaluated[1]}"
    )


def fitting_protocols(
    entry: Entry, protocols: list[Protocol], data_dir: str | Path | None
) -> list[Protocol]:
    """The protocols ``entry`` can play (``fit_reason``); the others are logged.

    Raises:
        ValueError: it can play none of them (the message gives each reason).
    """
    reasons = {protocol.name: fit_reason(entry, protocol, data_dir) for protocol in protocols}
    for name, reason in reasons.items():
        if reason is not None:
            logger.info("entry %s does not play protocol %s: %s", entry.name, name, reason)
    fitting = [protocol for protocol in protocols if reasons[protocol.name] is None]
    if not fitting:
        why = "; ".join(f"{name}: {reason}" for name, reason in reasons.items())
        raise ValueError(
            f"entry {entry.name!r} ({entry.target}) plays none of the protocols ({why})"
        )
    return fitting


def class_entry(target: str, name: str | None = None) -> Entry:
    """The entry of an importable policy class ``module:Class`` (``ValueError`` if it is not)."""
    policy_class = _resolve_class(target)
    env_id = getattr(policy_class, "env_id", None)
    return Entry(
        name=name or policy_class.__name__,
        kind="class",
        target=target,
        env_id=env_id if isinstance(env_id, str) else None,
    )


def parse_entry(text: str) -> Entry:
    """An ``--entries`` item: ``[NAME=]FOLDER`` or ``[NAME=]module:Class`` (module doc)."""
    name, sep, spec = text.partition("=")
    if not sep:
        name, spec = "", text
    spec = spec.strip()
    if not spec:
        raise ValueError(f"empty entry in {text!r}")
    if Path(spec).is_dir():
        return run_entry(spec, name or None)
    if ":" in spec and not Path(spec).exists():
        return class_entry(spec, name or None)
    raise FileNotFoundError(
        f"entry {spec!r} is neither a run folder nor an importable 'module:Class'"
    )


__all__ = [
    "KINDS",
    "Entry",
    "build_class_policy",
    "class_entry",
    "files_checksum",
    "fit_reason",
    "fitting_protocols",
    "load_run_policy",
    "model_folder",
    "parse_entry",
    "run_entry",
]
