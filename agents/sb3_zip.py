"""Foreign SB3 models as policies: a ``.zip`` saved by SB3, or an rl-baselines3-zoo run folder.

SB3's ``.zip`` holds pickled objects (cloudpickle in its ``data`` file), so loading one runs
code chosen by whoever wrote it: every loader here refuses unless the caller passes
``trust_code=True`` (``--trust-code`` on the command line), and then loads with SB3's own
``ALGO.load``. The result is a ``Sb3ZipPolicy``: deterministic actions (``model.predict``), with
the zoo run's ``VecNormalize`` statistics applied to the observations when it trained with
``normalize`` (their file is a pickle too).

An rl-baselines3-zoo run folder (``logs/<algo>/<env-name>_<N>/``, where ``<env-name>`` is the
env id with ``/`` replaced by ``-``) holds ``best_model.zip`` (when it evaluated during
training), ``<env-name>.zip`` (the last model) and ``<env-name>/`` with ``args.yml`` (the
command line: ``algo``, ``env``, ``env_kwargs``, ``seed``) and ``config.yml`` (the
hyperparameters), plus ``vecnormalize.pkl`` with ``normalize``. ``zoo_run`` reads them (the
YAML files with a safe loader that also accepts the ``OrderedDict`` tags the zoo writes) and
takes the best model when there is one, else the last.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import yaml
from gymnasium import spaces

TRUST_HINT = "pass --trust-code to load it (only for files you trust)"
"""the end of every refusal of an untrusted SB3 file"""
ALGORITHMS = {
    "ppo": "stable_baselines3:PPO",
    "a2c": "stable_baselines3:A2C",
    "dqn": "stable_baselines3:DQN",
    "sac": "stable_baselines3:SAC",
    "td3": "stable_baselines3:TD3",
    "ddpg": "stable_baselines3:DDPG",
    "qrdqn": "sb3_contrib:QRDQN",
    "tqc": "sb3_contrib:TQC",
    "trpo": "sb3_contrib:TRPO",
    "ars": "sb3_contrib:ARS",
    "ppo_mask": "sb3_contrib:MaskablePPO",
    "maskable-ppo": "sb3_contrib:MaskablePPO",
}
"""algorithm names (SB3's and the zoo's, lower case) -> ``module:Class``"""
NETGYM_AGENTS = {"ppo": "ppo", "a2c": "a2c", "dqn": "dqn", "sac": "sac", "td3": "td3"}
NETGYM_AGENTS |= {"ppo_mask": "maskable-ppo", "maskable-ppo": "maskable-ppo"}
"""algorithms that netgym's own SB3 agents rebuild from weights (leaderboard submissions)"""
UNSUPPORTED_WRAPPERS = ("env_wrapper", "vec_env_wrapper", "frame_stack")
"""zoo hyperparameters that change the observations in a way an entry cannot reproduce"""


def algorithm_class(algo: str) -> type:
    """The SB3 (or sb3-contrib) algorithm class of ``algo`` (``ValueError`` when unknown)."""
    target = ALGORITHMS.get(algo.lower())
    if target is None:
        raise ValueError(f"unknown SB3 algorithm {algo!r}; known: {sorted(ALGORITHMS)}")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise ValueError(
            f"algorithm {algo!r} needs {package}: pip install 'netgym[train]'"
        ) from None
    return getattr(module, class_name)


def file_digest(*paths: Path) -> str:
    """sha256 over the bytes of ``paths`` (the files that make a policy)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------- zoo
class _ZooLoader(yaml.SafeLoader):
    """YAML's safe loader plus the ``OrderedDict`` the zoo dumps (built as a plain dict)."""


def _ordered_dict(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    (pairs,) = loader.construct_sequence(node, deep=True)
    return {key: value for key, value in pairs}


_ZooLoader.add_constructor(
    "tag:yaml.org,2002:python/object/apply:collections.OrderedDict", _ordered_dict
)


def read_zoo_yaml(path: Path) -> dict[str, Any]:
    """A zoo ``args.yml`` or ``config.yml`` as a dict, without running anything.

    Raises:
        ValueError: the file is not YAML, not a mapping, or holds another Python object tag.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ZooLoader)  # noqa: S506
    except yaml.YAMLError as err:
        reason = " ".join(str(err).split())
        raise ValueError(f"{path} is not a YAML file netgym reads: {reason}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping, got {type(data).__name__}")
    return data


@dataclass(frozen=True)
class ZooRun:
    """What an rl-baselines3-zoo run folder holds (``zoo_run``)."""

    folder: Path
    algo: str
    env_id: str
    model: Path
    """``best_model.zip``, else ``<env-name>.zip``"""
    normalize: Path | None
    """``<env-name>/vecnormalize.pkl`` when the run trained with ``normalize``"""
    env_kwargs: dict[str, Any]
    seed: int | None
    n_timesteps: int | None
    hyperparams: dict[str, Any]
    """``config.yml``"""

    @property
    def files(self) -> tuple[Path, ...]:
        """The files the policy is loaded from."""
        return (self.model,) if self.normalize is None else (self.model, self.normalize)


def params_folder(folder: Path) -> Path | None:
    """The sub-folder of a zoo run that holds ``args.yml`` (None: not a zoo run)."""
    if not folder.is_dir():
        return None
    found = sorted(path.parent for path in folder.glob("*/args.yml"))
    return found[0] if len(found) == 1 else None


def is_zoo_run(folder: str | Path) -> bool:
    """Whether ``folder`` looks like an rl-baselines3-zoo run (one ``*/args.yml``)."""
    return params_folder(Path(folder)) is not None


def zoo_run(folder: str | Path) -> ZooRun:
    """Read an rl-baselines3-zoo run folder (module doc). Reads YAML only: nothing unpickled.

    Raises:
        FileNotFoundError: not a zoo run folder, or no model in it.
        ValueError: args.yml lacks ``algo`` or ``env``, or config.yml asks for observation
            wrappers (``env_wrapper``, ``vec_env_wrapper``, ``frame_stack``) that an entry
            cannot reproduce.
    """
    run = Path(folder)
    params = params_folder(run)
    if params is None:
        raise FileNotFoundError(
            f"{run} is not an rl-baselines3-zoo run folder: expected exactly one "
            "<env-name>/args.yml in it (e.g. logs/ppo/netgym-AbrStreaming-v0_1)"
        )
    args = read_zoo_yaml(params / "args.yml")
    config = params / "config.yml"
    hyperparams = read_zoo_yaml(config) if config.is_file() else {}
    for key in ("algo", "env"):
        if not isinstance(args.get(key), str):
            raise ValueError(f"{params / 'args.yml'} has no {key!r} string")
    wrappers = [key for key in UNSUPPORTED_WRAPPERS if hyperparams.get(key)]
    if wrappers:
        raise ValueError(
            f"{config} trains with {', '.join(wrappers)}: a leaderboard entry plays the plain "
            "env, so this run cannot be entered"
        )
    env_name = args["env"].replace("/", "-")
    candidates = [run / "best_model.zip", run / f"{env_name}.zip", run / f"{params.name}.zip"]
    model = next((path for path in candidates if path.is_file()), None)
    if model is None:
        names = ", ".join(path.name for path in dict.fromkeys(candidates))
        raise FileNotFoundError(f"zoo run {run} has no model ({names})")
    normalize = None
    if hyperparams.get("normalize"):
        normalize = params / "vecnormalize.pkl"
        if not normalize.is_file():
            raise FileNotFoundError(f"{config} trains with normalize but {normalize} is missing")
    env_kwargs = args.get("env_kwargs") or {}
    if not isinstance(env_kwargs, dict):
        raise ValueError(f"{params / 'args.yml'}: env_kwargs must be a mapping")
    seed = args.get("seed")
    steps = args.get("n_timesteps")
    return ZooRun(
        folder=run,
        algo=args["algo"].lower(),
        env_id=args["env"],
        model=model,
        normalize=normalize,
        env_kwargs=dict(env_kwargs),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        n_timesteps=steps if isinstance(steps, int) and steps > 0 else None,
        hyperparams=hyperparams,
    )


# ---------------------------------------------------------------------------------- policy
class Sb3ZipPolicy:
    """A loaded SB3 model as a netgym policy: ``reset(env)``, ``act(obs, info)``.

    Args:
        model: the SB3 algorithm (``ALGO.load``'s result).
        normalizer: a ``VecNormalize`` whose ``normalize_obs`` is applied first (or None).
        name: the display name.
    """

    def __init__(self, model: Any, normalizer: Any = None, name: str = "sb3") -> None:
        self.model = model
        self.normalizer = normalizer
        self.name = name
        self._env: Any = None
        self._masked = type(model).__name__ == "MaskablePPO"

    @property
    def observation_space(self) -> gym.Space:
        """The observation space the model was trained on."""
        return self.model.observation_space

    @property
    def action_space(self) -> gym.Space:
        """The action space the model was trained on."""
        return self.model.action_space

    def reset(self, env: Any) -> None:
        """Remember the env (a MaskablePPO model reads its ``action_masks()``)."""
        self._env = env

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The model's deterministic action for ``obs``."""
        if self.normalizer is not None:
            obs = self.normalizer.normalize_obs(obs)
        kwargs = {}
        if self._masked:
            mask = info.get("action_mask") if isinstance(info, dict) else None
            if mask is None and self._env is not None:
                mask = self._env.get_wrapper_attr("action_masks")()
            kwargs["action_masks"] = np.asarray(mask)
        action, _ = self.model.predict(obs, deterministic=True, **kwargs)
        if isinstance(self.model.action_space, spaces.Discrete):
            return int(action)
        return action


def _refuse_untrusted(what: str, trust_code: bool) -> None:
    if not trust_code:
        raise ValueError(
            f"{what}: SB3 loads it by unpickling, which can run any code; {TRUST_HINT}"
        )


def load_sb3_zip(algo: str, path: str | Path, trust_code: bool = False) -> Sb3ZipPolicy:
    """The policy of an SB3 ``.zip`` (``ALGO.load`` on the CPU), only with ``trust_code``.

    Raises:
        ValueError: not trusted, an unknown algorithm, or a file SB3 cannot load as ``algo``.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SB3 model {path} does not exist")
    _refuse_untrusted(f"SB3 model {path}", trust_code)
    model_class = algorithm_class(algo)
    try:
        model = model_class.load(path, device="cpu", custom_objects=_CUSTOM_OBJECTS)
    except Exception as err:  # SB3 raises many kinds for a wrong or broken file
        reason = " ".join(str(err).split())[:300]
        raise ValueError(
            f"SB3 model {path} does not load as {model_class.__name__}: "
            f"{type(err).__name__}: {reason}"
        ) from None
    return Sb3ZipPolicy(model, name=f"{algo}:{path.name}")


_CUSTOM_OBJECTS = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0, "clip_range": lambda _: 0.0}
"""what the zoo's enjoy.py replaces when loading (schedules need not unpickle for acting)"""


def load_zoo_policy(folder: str | Path, trust_code: bool = False) -> Sb3ZipPolicy:
    """The policy of an rl-baselines3-zoo run folder (``zoo_run``), only with ``trust_code``.

    Raises:
        ValueError: not trusted, or the run cannot be loaded (see ``zoo_run``).
        FileNotFoundError: not a zoo run folder, or a file missing.
    """
    run = zoo_run(folder)
    _refuse_untrusted(f"zoo run {run.folder} ({run.model.name})", trust_code)
    policy = load_sb3_zip(run.algo, run.model, trust_code=True)
    policy.name = f"{run.algo}:{run.folder.name}"
    if run.normalize is not None:
        from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

        from .sb3_inference import SpacesOnlyEnv

        spaces_env = SpacesOnlyEnv(policy.observation_space, policy.action_space)
        venv = DummyVecEnv([lambda: spaces_env])
        normalizer = VecNormalize.load(str(run.normalize), venv)
        normalizer.training = False
        normalizer.norm_reward = False
        policy.normalizer = normalizer
    return policy


# ---------------------------------------------------------------------------------- weights
def safe_config(policy: Sb3ZipPolicy) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(netgym agent, config, weights) that rebuild ``policy`` from data alone
    (``netgym.agents.sb3_inference.inference_agent``), for a leaderboard submission.

    Raises:
        ValueError: the algorithm, the policy class or a policy kwarg has no safe form, or
            the policy normalises observations (VecNormalize statistics are a pickle).
    """
    from .sb3_config import ACTIVATIONS

    model = policy.model
    algo = type(model).__name__.lower().replace("maskableppo", "ppo_mask")
    agent = NETGYM_AGENTS.get(algo)
    if agent is None:
        raise ValueError(
            f"{type(model).__name__} models have no safe submission format (netgym rebuilds "
            f"{sorted(set(NETGYM_AGENTS.values()))})"
        )
    if policy.normalizer is not None:
        raise ValueError(
            "VecNormalize statistics are a pickle; runs with normalize cannot be submitted"
        )
    policy_class = type(model.policy).__name__
    known = {
        "MlpPolicy": (
            "ActorCriticPolicy",
            "DQNPolicy",
            "SACPolicy",
            "TD3Policy",
            "MaskableActorCriticPolicy",
        ),
        "MultiInputPolicy": (
            "MultiInputActorCriticPolicy",
            "MultiInputPolicy",
            "MaskableMultiInputActorCriticPolicy",
        ),
    }
    name = next((key for key, classes in known.items() if policy_class in classes), None)
    if name is None:
        raise ValueError(f"policy class {policy_class} has no safe submission format")
    kwargs: dict[str, Any] = {}
    names = {value: key for key, value in ACTIVATIONS.items()}
    for key, value in (model.policy_kwargs or {}).items():
        if key == "activation_fn":
            value = names.get(getattr(value, "__name__", ""), None)
            if value is None:
                raise ValueError(f"activation {model.policy_kwargs[key]} has no safe form")
        elif key == "use_sde" and value is False:
            continue  # SB3 adds it to the kwargs of off-policy algorithms; False is the default
        elif key in ("optimizer_class", "optimizer_kwargs"):
            continue  # acting never uses the optimiser (A2C adds RMSprop and its kwargs)
        elif not _json_value(value):
            raise ValueError(f"policy_kwargs.{key}={value!r} has no safe submission form")
        kwargs[key] = value
    config: dict[str, Any] = {"policy": name}
    if kwargs:
        config["policy_kwargs"] = kwargs
    weights = {
        key: value.detach().cpu().contiguous() for key, value in model.policy.state_dict().items()
    }
    return agent, config, weights


def _json_value(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_value(v) for k, v in value.items())
    return False


__all__ = [
    "ALGORITHMS",
    "NETGYM_AGENTS",
    "TRUST_HINT",
    "Sb3ZipPolicy",
    "ZooRun",
    "algorithm_class",
    "file_digest",
    "is_zoo_run",
    "load_sb3_zip",
    "load_zoo_policy",
    "read_zoo_yaml",
    "safe_config",
    "zoo_run",
]
