"""Hyperparameter tuning with Optuna: the code behind ``train.py --tune N_TRIALS``.

``tune(settings, options)`` runs ``options.n_trials`` trials of one agent on one env. Each trial
draws hyperparameters from the agent's search space (``tuning_spaces.py``; keys pinned by
``--config`` or ``--hyperparams`` are not drawn), trains a fresh agent on the training seeds for
the run's timesteps, in ``options.evaluations`` equal chunks, and after each chunk scores it on
validation episodes (``tuning_data.py``: validation seeds, and never test data). Each score is
reported to the study, whose pruner may stop the trial there; the last one is the trial's value
(the mean validation return).

The study lives in ``<run folder>/tune/study.db`` (SQLite). Calling ``tune`` again with the same
settings continues the study, adding trials; ``options.jobs`` > 1 runs the trials in that many
local processes, which share the study through the SQLite file, or with ``options.backend``
"ray" in that many Ray tasks (a local Ray instance, or a cluster at ``options.address``; the
``ray`` extra); ``options.storage`` puts the study in another Optuna storage (an RDB URL such as
PostgreSQL) that workers on several machines reach. After the trials,
``<run folder>/tune/best.yaml`` holds the best trial's configuration as a block keyed by the env
id (rl-baselines3-zoo's layout, ready for ``agents/config/<agent>.yaml`` or ``--config``).

Needs the ``tune`` extra (optuna); without it ``require_optuna`` says what to install. This
module never prints.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import multiprocessing
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import get_agent_class
from .base import TrainingContext
from .config_loader import TRAINER_KEYS, read_config_file
from .run_config import RunConfig, TrainingSettings, plain
from .run_folder import RUNS_ROOT, run_folder
from .tuning_data import reseeds_validation, validation_env_kwargs, validation_seed
from .tuning_spaces import (
    INSTALL,
    PRUNERS,
    SAMPLERS,
    agent_kind,
    make_pruner,
    make_sampler,
    require_optuna,
    require_ray,
)
from .tuning_spaces import sample_hyperparams as _sample

log = logging.getLogger(__name__)

DEFAULT_EVALUATIONS = 4
"""validation evaluations per trial (the pruner's steps)"""
DEFAULT_VALIDATION_EPISODES = 5
"""validation episodes per evaluation"""
MAX_JOBS = 64
BACKENDS = ("local", "ray")
"""where the trials of a study run: local processes or Ray tasks"""
SQLITE_TIMEOUT_S = 60
"""how long a process waits for the SQLite file's lock"""


@dataclass
class TuneOptions:
    """How to tune (the rest comes from the ``TrainingSettings`` of ``train.py``)."""

    n_trials: int
    """trials to add to the study in this call"""
    jobs: int = 1
    """local processes running trials at once (sharing the SQLite study)"""
    evaluations: int = DEFAULT_EVALUATIONS
    """validation evaluations per trial"""
    episodes: int = DEFAULT_VALIDATION_EPISODES
    """validation episodes per evaluation"""
    sampler: str = "auto"
    """'auto' (TPE), 'tpe' or 'random'"""
    pruner: str = "auto"
    """'auto' (median for SB3 agents, successive halving for tabular ones), 'median',
    'halving' or 'none'"""
    backend: str = "local"
    """'local' (``jobs`` processes on this machine) or 'ray' (``jobs`` Ray tasks)"""
    address: str | None = None
    """backend 'ray': a running cluster ('auto', 'ray://host:port'); None starts a local Ray
    instance with ``jobs`` CPUs for the call"""
    storage: str | None = None
    """an Optuna storage URL (e.g. ``postgresql://user:pw@host/db``) holding the study instead
    of ``<run folder>/tune/study.db``, for workers on several machines"""

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first option out of range."""
        for name, low, high in (("n_trials", 1, 10**6), ("jobs", 1, MAX_JOBS)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
        for name in ("evaluations", "episodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"tune {name} must be an integer >= 1, got {value!r}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; known: {list(SAMPLERS)}")
        if self.pruner not in PRUNERS:
            raise ValueError(f"unknown pruner {self.pruner!r}; known: {list(PRUNERS)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown tuning backend {self.backend!r}; known: {list(BACKENDS)}")
        if self.address is not None and self.backend != "ray":
            raise ValueError("a Ray address is given but the tuning backend is not 'ray'")


@dataclass
class TuneResult:
    """What a ``tune`` call left behind."""

    study_path: Path
    """``<run>/tune/study.db``"""
    best_path: Path
    """``<run>/tune/best.yaml``"""
    best_yaml: str
    """its text"""
    best_value: float
    """the best trial's validation score"""
    best_number: int
    """the best trial's number"""
    counts: dict[str, int]
    """trials of the study by state (COMPLETE, PRUNED, FAIL, ...)"""
    added: int
    """trials added by this call"""
    validation: str
    """what the validation episodes play"""
    storage: str = ""
    """the study's Optuna storage URL (``sqlite:///<study_path>`` unless ``options.storage``)"""


@dataclass
class _Plan:
    """Everything a trial needs (picklable: worker processes get a copy)."""

    config: RunConfig
    tune_dir: Path
    pinned: list[str]
    train_kwargs: dict[str, Any]
    valid_kwargs: dict[str, Any]
    valid_seed: int
    validation: str
    options: TuneOptions
    reseed: bool
    """validation episode ``i`` is reset with ``valid_seed + i`` (else one seeded reset)"""

    @property
    def threads(self) -> int:
        """torch threads per trial at most (fewer if the process has fewer, e.g. by
        OMP_NUM_THREADS): the cores shared by the local jobs (a Ray task has one CPU); torch's
        default, a thread per core in each job, oversubscribes them"""
        if self.options.backend == "ray":
            return 1
        return max(1, (os.cpu_count() or 1) // self.options.jobs)

    @property
    def study_name(self) -> str:
        return f"{self.config.agent}@{self.config.env}"

    @property
    def storage_url(self) -> str:
        return self.options.storage or f"sqlite:///{(self.tune_dir / 'study.db').resolve()}"

    @property
    def study_location(self) -> str:
        """Where the study is, for messages: the storage URL, or the SQLite file's path."""
        return self.options.storage or str(self.tune_dir / "study.db")

    def identity(self) -> dict[str, Any]:
        """What must stay the same for a study to be continued."""
        config = self.config
        return plain(
            {
                "env": config.env,
                "agent": config.agent,
                "timesteps": config.timesteps,
                "seed": config.seed,
                "n_envs": config.n_envs,
                "env_kwargs": config.env_kwargs,
                "lr_schedule": config.lr_schedule,
                "pinned": {key: config.hyperparams[key] for key in self.pinned},
                "evaluations": self.options.evaluations,
                "episodes": self.options.episodes,
                # studies made before validation episodes had a seed each lack the key
                **({"validation_resets": "each episode"} if self.reseed else {}),
            }
        )


def plan_tuning(
    settings: TrainingSettings, options: TuneOptions, runs_root: Path = RUNS_ROOT
) -> _Plan:
    """Check the settings and options and plan the study (nothing is written).

    Raises:
        ValueError: a bad setting, an agent without search space, a settings change against an
            existing study, test data.
        ImportError: optuna (or the agent's extra) is missing.
    """
    from .training import check_compatible, resolve_run_config

    require_optuna()
    options.validate()
    if settings.resume is not None:
        raise ValueError("--tune starts or continues a study; it cannot be given with --resume")
    config = resolve_run_config(settings)
    agent_kind(config.agent)
    config.check_device()
    check_compatible(get_agent_class(config.agent), config.agent, config.env, config.env_kwargs)
    out = settings.out or run_folder(config.env, config.agent, config.seed, runs_root)
    pinned = set(settings.hyperparams)
    if settings.config_file is not None:
        for _, layer in read_config_file(settings.config_file, config.env):
            pinned |= set(layer)
    pinned = sorted(key for key in pinned - set(TRAINER_KEYS) if key in config.hyperparams)
    train_kwargs, valid_kwargs, note = validation_env_kwargs(config.env, config.env_kwargs)
    reseed = reseeds_validation(config.env)
    note += ", each episode reset with its own seed (the first's + i)" if reseed else ""
    return _Plan(
        config=config,
        tune_dir=out / "tune",
        pinned=pinned,
        train_kwargs=train_kwargs,
        valid_kwargs=valid_kwargs,
        valid_seed=validation_seed(config.seed, config.n_envs, options.episodes if reseed else 1),
        validation=note,
        options=options,
        reseed=reseed,
    )


def tune(
    settings: TrainingSettings,
    options: TuneOptions,
    runs_root: Path = RUNS_ROOT,
    on_trial: Callable[[Any], None] | None = None,
    pruner: Any = None,
) -> TuneResult:
    """Run ``options.n_trials`` more trials of the study in ``<run>/tune`` and write best.yaml.

    ``settings.overwrite`` deletes an existing ``tune`` folder first (a new study). ``on_trial``
    is called with each finished trial of this process (an Optuna ``FrozenTrial``); ``pruner``
    replaces the agent kind's pruner (e.g. a deterministic one in tests).

    Raises:
        ValueError: see ``plan_tuning``; no trial of the study has completed.
        ImportError: optuna is missing.
        RuntimeError: a worker process failed.
    """
    optuna = require_optuna()
    plan = plan_tuning(settings, options, runs_root)
    if options.backend == "ray":
        require_ray()
    if settings.overwrite and plan.tune_dir.exists():
        shutil.rmtree(plan.tune_dir)
    if settings.overwrite and options.storage:
        if plan.study_name in optuna.get_all_study_names(_storage(plan)):
            optuna.delete_study(study_name=plan.study_name, storage=_storage(plan))
    plan.tune_dir.mkdir(parents=True, exist_ok=True)
    study = _load_study(plan, worker=0, pruner=pruner)
    before = len(study.trials)
    jobs = min(options.jobs, options.n_trials)
    shares = [options.n_trials // jobs + (i < options.n_trials % jobs) for i in range(jobs)]
    if options.backend == "ray":
        _run_on_ray(plan, shares, pruner)
    else:
        _run_locally(plan, study, shares, on_trial)
    study = optuna.load_study(study_name=plan.study_name, storage=_storage(plan))
    if options.backend == "ray" and on_trial is not None:
        for trial in study.trials[before:]:
            on_trial(trial)
    states = [trial.state.name for trial in study.trials]
    counts = {state: states.count(state) for state in dict.fromkeys(states)}
    if not counts.get("COMPLETE"):
        raise ValueError(
            f"no trial of the study in {plan.study_location} has completed ({counts}); "
            "run more trials (--tune N), or a larger --timesteps"
        )
    best = study.best_trial
    text = best_block(plan, best, counts.get("COMPLETE", 0))
    best_path = plan.tune_dir / "best.yaml"
    best_path.write_text(text, encoding="utf-8")
    log.info("best trial %d: %s; written to %s", best.number, best.value, best_path)
    return TuneResult(
        study_path=plan.tune_dir / "study.db",
        best_path=best_path,
        best_yaml=text,
        best_value=float(best.value),
        best_number=best.number,
        counts=counts,
        added=len(study.trials) - before,
        validation=plan.validation,
        storage=plan.storage_url,
    )


def _run_locally(
    plan: _Plan, study: Any, shares: list[int], on_trial: Callable[[Any], None] | None
) -> None:
    """This process runs the first share; spawned worker processes run the others."""
    processes = []
    context = multiprocessing.get_context("spawn")
    for worker, share in enumerate(shares[1:], start=1):
        process = context.Process(target=_worker, args=(plan, worker, share), daemon=False)
        process.start()
        processes.append(process)
    callbacks = [] if on_trial is None else [lambda _study, trial: on_trial(trial)]
    study.optimize(_Objective(plan), n_trials=shares[0], callbacks=callbacks, catch=(ValueError,))
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(
                f"a tuning worker process failed (exit status {process.exitcode}); its error is "
                f"above; the study in {plan.study_location} keeps the finished trials"
            )


def _run_on_ray(plan: _Plan, shares: list[int], pruner: Any) -> None:
    """One Ray task (1 CPU) per share, on a local Ray instance or the cluster at the address.

    A Ray instance started here is shut down at the end; one the caller started stays up.
    """
    ray = require_ray()
    started = not ray.is_initialized()
    if started and plan.options.address is not None:
        ray.init(address=plan.options.address, log_to_driver=False)
    elif started:
        ray.init(num_cpus=len(shares), include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(_worker)
        refs = [task.remote(plan, worker, share, pruner) for worker, share in enumerate(shares)]
        try:
            ray.get(refs)
        except ray.exceptions.RayError as err:
            raise RuntimeError(
                f"a tuning task failed on Ray ({type(err).__name__}: {err}); the study in "
                f"{plan.study_location} keeps the finished trials"
            ) from None
    finally:
        if started:
            ray.shutdown()


def _storage(plan: _Plan) -> Any:
    optuna = require_optuna()
    url = plan.storage_url
    if not url.startswith("sqlite"):
        return optuna.storages.RDBStorage(url=url)
    return optuna.storages.RDBStorage(
        url=url, engine_kwargs={"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    )


def _load_study(plan: _Plan, worker: int, pruner: Any = None) -> Any:
    """Create or load the study; a loaded study must have been made with the same settings."""
    optuna = require_optuna()
    storage = _storage(plan)
    kind = agent_kind(plan.config.agent)
    names = optuna.get_all_study_names(storage)
    existing = (
        len(optuna.load_study(study_name=plan.study_name, storage=storage).trials)
        if (plan.study_name in names)
        else 0
    )
    # a resumed study (or another worker) gets other random draws than the first call
    seed = plan.config.seed + 1000 * worker + existing
    study = optuna.create_study(
        study_name=plan.study_name,
        storage=storage,
        sampler=make_sampler(plan.options.sampler, seed),
        pruner=pruner or make_pruner(plan.options.pruner, kind, plan.options.evaluations),
        direction="maximize",
        load_if_exists=True,
    )
    identity = plan.identity()
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", identity)
    elif stored != identity:
        changed = sorted(key for key in identity if stored.get(key) != identity[key])
        raise ValueError(
            f"the study in {plan.study_location} was made with other settings "
            f"({', '.join(changed)} differ: {[stored.get(k) for k in changed]} there); give "
            f"the same settings to continue it, or --overwrite to start a new study"
        )
    return study


def _worker(plan: _Plan, worker: int, n_trials: int, pruner: Any = None) -> None:
    """A worker process (or Ray task): ``n_trials`` trials of the shared study."""
    optuna = require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = _load_study(plan, worker, pruner)
    study.optimize(_Objective(plan), n_trials=n_trials, catch=(ValueError,))


class _Objective:
    """One trial: sample, train in chunks, score on validation episodes after each chunk."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan

    def __call__(self, trial: Any) -> float:
        import torch
        from netgym.evaluation import evaluate

        optuna = require_optuna()
        plan, config = self.plan, self.plan.config
        sampled = _sample(config.agent, trial, config.timesteps, dict.fromkeys(plan.pinned))
        hyperparams = {**config.hyperparams, **sampled}
        trial.set_user_attr("hyperparams", plain(hyperparams))
        context = TrainingContext(
            env_id=config.env,
            env_kwargs=dict(plan.train_kwargs),
            seed=config.seed,
            n_envs=config.n_envs,
            device=config.device,
            lr_schedule=config.lr_schedule,
            total_timesteps=config.timesteps,
            out_dir=None,
        )
        try:
            agent = get_agent_class(config.agent).create(context, dict(hyperparams))
        except TypeError as err:
            raise ValueError(f"bad hyperparameters {hyperparams}: {err}") from None
        evaluations = plan.options.evaluations
        score = math.nan
        threads = torch.get_num_threads()
        torch.set_num_threads(min(threads, plan.threads))
        try:
            for step in range(evaluations):
                target = max(1, config.timesteps * (step + 1) // evaluations)
                if agent.steps_done < target:
                    agent.learn(target - agent.steps_done)
                result = evaluate(
                    agent,
                    config.env,
                    plan.options.episodes,
                    plan.valid_seed,
                    plan.valid_kwargs,
                    reseed=plan.reseed,
                )
                score = float(result.mean)
                trial.report(score, step)
                trial.set_user_attr("steps_done", agent.steps_done)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        finally:
            agent.close()
            torch.set_num_threads(threads)
        return score


def best_block(plan: _Plan, trial: Any, completed: int) -> str:
    """The YAML text of ``best.yaml``: a comment saying where it comes from and the block
    ``env id -> hyperparameters`` (with ``n_envs``, ``n_timesteps`` and the run's
    ``env_kwargs`` and ``lr_schedule`` when they are not the defaults)."""
    config = plan.config
    block: dict[str, Any] = {"n_envs": config.n_envs, "n_timesteps": config.timesteps}
    if config.env_kwargs:
        block["env_kwargs"] = plain(config.env_kwargs)
    if config.lr_schedule != "constant":
        block["lr_schedule"] = config.lr_schedule
    block.update(trial.user_attrs["hyperparams"])
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"# Tuned by train.py --tune ({stamp}): trial {trial.number}, the best of {completed} "
        f"completed trials\n# of the study {plan.study_name!r} in {plan.study_location}.\n"
        f"# Validation score {trial.value:.6g}: mean return of {plan.options.episodes} episodes "
        f"from seed {plan.valid_seed} on\n# {plan.validation}, after {config.timesteps} env "
        f"steps from training seed {config.seed}.\n# Paste the block into "
        f"agents/config/{config.agent}.yaml, or train with: python train.py --env "
        f"{config.env} --agent {config.agent} --config <this file>\n"
    )
    return header + yaml.safe_dump({config.env: block}, sort_keys=False)


__all__ = [
    "DEFAULT_EVALUATIONS",
    "DEFAULT_VALIDATION_EPISODES",
    "INSTALL",
    "TuneOptions",
    "TuneResult",
    "best_block",
    "plan_tuning",
    "require_optuna",
    "tune",
]
