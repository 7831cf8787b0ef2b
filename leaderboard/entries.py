"""Leaderboard entries: a baseline, a trained agent's run folder, an importable policy class, an
SB3 ``.zip`` or an rl-baselines3-zoo run folder.

An ``Entry`` is plain data (picklable, JSON-able), so that any worker process or Ray task can
rebuild the policy it names. ``parse_entry`` reads the ``--entries`` syntax:

* ``runs/netgym_AbrStreaming-v0/ppo/seed-0``: a run folder written by ``train.py`` (its
  ``config.yaml`` gives the env, the agent and the training seed; the policy is loaded from
  ``model/`` or the latest checkpoint);
* ``package.module:Class``: a policy class with ``reset(env)`` and ``act(obs, info)``, built as
  ``Class(seed=...)`` when it takes a ``seed`` argument, else ``Class()``; an ``env_id`` class
  attribute restricts it to that env;
* ``sb3:ALGO:PATH.zip``: a model saved by SB3 (``ALGO`` is ``ppo``, ``dqn``, ... or a
  zoo name such as ``ppo_mask``), loaded with SB3's own ``ALGO.load``; it plays every protocol
  whose env has the model's observation and action spaces;
* ``zoo:FOLDER`` (or a folder that is a zoo run and not a ``train.py`` run): an
  rl-baselines3-zoo run folder (``logs/ppo/netgym-AbrStreaming-v0_1``): the env, its kwargs
  and the seed from ``args.yml``, the model ``best_model.zip`` (else ``<env-name>.zip``),
  ``vecnormalize.pkl`` when ``config.yml`` has ``normalize`` (``netgym.agents.sb3_zip``);
* ``NAME=SPEC``: any of the above under another display name (e.g. ``ppo-long=runs/...``).

An SB3 ``.zip`` and a zoo run unpickle when loaded, which can run code: ``parse_entry`` refuses
them unless ``trust_code`` is True (``--trust-code``), and loads them once to check them.

Baselines enter as ``Entry.baseline(env_id, name)``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .protocols import Protocol

logger = logging.getLogger(__name__)

KINDS = ("baseline", "run", "class", "sb3", "zoo")
CODE_KINDS = ("class", "sb3", "zoo")
"""kinds whose policy runs code of the entry's author when built (an import or an unpickling)"""


@dataclass(frozen=True)
class Entry:
    """One leaderboard entry (plain data)."""

    name: str
    """display name: the baseline name, the run's agent name or the class name"""
    kind: str
    """'baseline', 'run', 'class', 'sb3' or 'zoo'"""
    target: str
    """baseline name, run folder, 'module:Class', 'ALGO:PATH.zip' (sb3) or zoo run folder"""
    env_id: str | None
    """the env the entry plays (None: any, for a class without ``env_id``)"""
    train_seed: int | None = None
    """the run's training seed (None for baselines and classes)"""
    fingerprint: str = ""
    """sha256 of the run's saved model files (or of the sb3/zoo model files; '' for baselines
    and classes)"""
    n_timesteps: int | None = None
    """env steps the agent trained (runs, sb3 and zoo entries)"""
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
        if self.kind in ("sb3", "zoo"):
            return load_sb3_policy(self)  # an entry exists only when trusted (parse_entry)
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
    if entry.kind not in ("run", "sb3", "zoo"):
        return None
    from netgym.agents import env_spaces

    if entry.kind == "run":
        from netgym.agents.training import RunConfig

        config = RunConfig.from_folder(Path(entry.target))
        trained = env_spaces(config.env, config.env_kwargs)
    else:
        policy = load_sb3_policy(entry)
        trained = (policy.observation_space, policy.action_space)
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


def load_sb3_policy(entry: Entry) -> Any:
    """The policy of an sb3 or zoo entry (loaded once per process; the entry was trusted)."""
    return _sb3_policy(entry.kind, entry.target, entry.fingerprint)


@functools.lru_cache(maxsize=8)
def _sb3_policy(kind: str, target: str, fingerprint: str) -> Any:
    from netgym.agents.sb3_zip import load_sb3_zip, load_zoo_policy

    if kind == "zoo":
        return load_zoo_policy(target, trust_code=True)
    algo, _, path = target.partition(":")
    return load_sb3_zip(algo, path, trust_code=True)


def sb3_entry(spec: str, name: str | None = None, trust_code: bool = False) -> Entry:
    """The entry of ``ALGO:PATH.zip`` (an SB3 model), loaded once to check it.

    Raises:
        ValueError: not trusted, a malformed spec, or a file SB3 cannot load.
        FileNotFoundError: no such file.
    """
    from netgym.agents.sb3_zip import TRUST_HINT, file_digest, load_sb3_zip

    algo, sep, path_text = spec.partition(":")
    if not sep or not algo or not path_text:
        raise ValueError(
            f"an SB3 entry is sb3:ALGO:PATH.zip (e.g. sb3:ppo:model.zip), got {spec!r}"
        )
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"entry sb3:{spec}: no such file {path}")
    if not trust_code:
        raise ValueError(
            f"entry sb3:{spec} is an SB3 .zip, which SB3 loads by unpickling; {TRUST_HINT}"
        )
    policy = load_sb3_zip(algo, path, trust_code=True)
    return Entry(
        name=name or f"{algo.lower()}:{path.stem}",
        kind="sb3",
        target=f"{algo.lower()}:{path}",
        env_id=None,
        fingerprint=file_digest(path),
        n_timesteps=int(getattr(policy.model, "num_timesteps", 0)) or None,
    )


def zoo_entry(folder: str | Path, name: str | None = None, trust_code: bool = False) -> Entry:
    """The entry of an rl-baselines3-zoo run folder, loaded once to check it.

    Raises:
        ValueError: not trusted, or the run cannot be entered (``sb3_zip.zoo_run``).
        FileNotFoundError: not a zoo run folder, or no model in it.
    """
    from netgym.agents.sb3_zip import TRUST_HINT, file_digest, load_zoo_policy, zoo_run

    run = zoo_run(Path(folder).expanduser().resolve())
    if not trust_code:
        raise ValueError(
            f"entry {folder} is an rl-baselines3-zoo run, whose {run.model.name} SB3 loads by "
            f"unpickling; {TRUST_HINT}"
        )
    policy = load_zoo_policy(run.folder, trust_code=True)
    return Entry(
        name=name or f"{run.algo}-zoo",
        kind="zoo",
        target=str(run.folder),
        env_id=run.env_id.split(":", 1)[-1],
        train_seed=run.seed,
        fingerprint=file_digest(*run.files),
        n_timesteps=int(getattr(policy.model, "num_timesteps", 0)) or run.n_timesteps,
        env_kwargs=tuple(sorted((k, v) for k, v in run.env_kwargs.items() if _plain(v))),
    )


def parse_entry(text: str, trust_code: bool = False) -> Entry:
    """An ``--entries`` item: ``[NAME=]FOLDER``, ``[NAME=]module:Class``,
    ``[NAME=]sb3:ALGO:PATH.zip`` or ``[NAME=]zoo:FOLDER`` (module doc); SB3 files and zoo runs
    only with ``trust_code``."""
    from netgym.agents.sb3_zip import is_zoo_run

    name, sep, spec = text.partition("=")
    if not sep:
        name, spec = "", text
    spec = spec.strip()
    if not spec:
        raise ValueError(f"empty entry in {text!r}")
    if spec.startswith("sb3:"):
        return sb3_entry(spec[len("sb3:") :], name or None, trust_code)
    if spec.startswith("zoo:"):
        return zoo_entry(spec[len("zoo:") :], name or None, trust_code)
    if Path(spec).is_dir():
        if not (Path(spec) / "config.yaml").is_file() and is_zoo_run(spec):
            return zoo_entry(spec, name or None, trust_code)
        return run_entry(spec, name or None)
    if ":" in spec and not Path(spec).exists():
        return class_entry(spec, name or None)
    raise FileNotFoundError(
        f"entry {spec!r} is neither a run folder (train.py or rl-baselines3-zoo), an SB3 model "
        "(sb3:ALGO:PATH.zip) nor an importable 'module:Class'"
    )


__all__ = [
    "CODE_KINDS",
    "KINDS",
    "Entry",
    "build_class_policy",
    "class_entry",
    "files_checksum",
    "fit_reason",
    "fitting_protocols",
    "load_run_policy",
    "load_sb3_policy",
    "model_folder",
    "parse_entry",
    "run_entry",
    "sb3_entry",
    "zoo_entry",
]
