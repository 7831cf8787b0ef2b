"""The configuration of a training run: what the user asked for (``TrainingSettings``) and
what was resolved from it and the config files (``RunConfig``, the run folder's ``config.yaml``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .config_loader import load_yaml, read_text_file
from .schedules import SCHEDULES

EVAL_SEED_OFFSET = 1_000_000
"""evaluation starts from seed ``EVAL_SEED_OFFSET + seed``, far from any training seed"""
DEFAULT_TIMESTEPS = 100_000
"""training steps when neither ``--timesteps`` nor the config's ``n_timesteps`` is given"""
DEFAULT_CHECKPOINTS = 10
"""checkpoints per run when ``checkpoint_every`` is not given"""
DEFAULT_EVAL_EPISODES = 10
DEVICES = ("auto", "cpu", "cuda")
"""'auto': CUDA when torch sees it, else the CPU; 'cuda' without CUDA is an error"""
MAX_TIMESTEPS = 10**12
"""the most env steps a run (and ``checkpoint_every``) may ask for"""
MAX_N_ENVS = 65_536
"""the most parallel training envs"""
MAX_SEED = 2**63 - 1
"""the largest training or evaluation seed"""
MAX_EVAL_EPISODES = 1_000_000
"""the most evaluation episodes"""
RESUMABLE = (
    "timesteps",
    "device",
    "checkpoint_every",
    "eval_episodes",
    "eval_seed",
    "eval_baselines",
)
"""settings that ``resume`` may change (the others come from the run's config.yaml)"""


@dataclass
class TrainingSettings:
    """What the user asked for (None = not given: a default or the config decides)."""

    env: str | None = None
    """env id: a Gymnasium id or ``pz:module:callable``"""
    agent: str | None = None
    """registered agent name (``netgym.agents.AGENTS``)"""
    timesteps: int | None = None
    """total env steps of the run (default: the config's ``n_timesteps``, else 100,000)"""
    seed: int | None = None
    """training seed (default 0)"""
    n_envs: int | None = None
    """parallel training envs (default: the config's ``n_envs``, else 1)"""
    env_kwargs: dict[str, Any] | None = None
    """keyword arguments of the env, over the config's ``env_kwargs``"""
    config_file: Path | None = None
    """a user YAML file of hyperparameters (see ``netgym.agents.config_loader``)"""
    hyperparams: dict[str, Any] = field(default_factory=dict)
    """hyperparameters over every config file"""
    lr_schedule: str | None = None
    """'constant', 'linear' or 'rex' (default: the config's ``lr_schedule``, else constant)"""
    out: Path | None = None
    """run folder (default ``runs/<env>/<agent>/seed-<S>``)"""
    overwrite: bool = False
    """replace the run files of a non-empty run folder"""
    eval_episodes: int | None = None
    """evaluation episodes after training (0 = no evaluation; default 10)"""
    eval_seed: int | None = None
    """seed of the first evaluation episode (default ``EVAL_SEED_OFFSET + seed``)"""
    eval_baselines: list[str] | None = None
    """baselines evaluated beside the agent (default: every baseline of the env)"""
    device: str | None = None
    """'auto', 'cpu' or 'cuda' (default auto)"""
    checkpoint_every: int | None = None
    """env steps between checkpoints (0 = none; default a tenth of the run)"""
    resume: Path | None = None
    """a run folder to continue from its latest checkpoint"""


@dataclass
class RunConfig:
    """The resolved configuration of a run, as written to ``config.yaml``."""

    env: str
    agent: str
    timesteps: int
    seed: int
    n_envs: int
    env_kwargs: dict[str, Any]
    lr_schedule: str
    device: str
    checkpoint_every: int
    eval_episodes: int
    eval_seed: int
    eval_baselines: list[str] | None
    hyperparams: dict[str, Any]
    config_sources: list[str]
    netgym_version: str
    git_commit: str | None

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting out of range."""
        checks = (
            ("timesteps", self.timesteps, 1, MAX_TIMESTEPS),
            ("seed", self.seed, 0, MAX_SEED),
            ("n_envs", self.n_envs, 1, MAX_N_ENVS),
            ("eval_episodes", self.eval_episodes, 0, MAX_EVAL_EPISODES),
            ("eval_seed", self.eval_seed, 0, MAX_SEED),
            ("checkpoint_every", self.checkpoint_every, 0, MAX_TIMESTEPS),
        )
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
            if value > high:
                raise ValueError(f"{name} must be at most {high:,}, got {value:,}")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"unknown lr schedule {self.lr_schedule!r}; known: {list(SCHEDULES)}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}; known: {list(DEVICES)}")

    def check_device(self) -> None:
        """Raise ``ValueError`` when ``device`` is 'cuda' and torch sees no CUDA device (SB3
        would silently train on the CPU); 'auto' falls back to the CPU by design."""
        if self.device != "cuda":
            return
        try:
            import torch
        except ImportError:
            raise ValueError(
                "--device cuda needs torch with CUDA, and torch is not installed; use "
                "--device cpu (or auto)"
            ) from None
        if not torch.cuda.is_available():
            raise ValueError(
                "--device cuda: torch sees no CUDA device (torch.cuda.is_available() is "
                "False); use --device cpu, or --device auto to fall back to the CPU"
            )

    def to_yaml(self) -> str:
        """The YAML text of ``config.yaml``."""
        return yaml.safe_dump(plain(asdict(self)), sort_keys=False)

    @classmethod
    def from_folder(cls, folder: Path) -> RunConfig:
        """Read ``folder/config.yaml``; ``FileNotFoundError`` / ``ValueError`` say what is wrong."""
        path = folder / "config.yaml"
        if not path.is_file():
            raise FileNotFoundError(f"{folder} has no config.yaml; is it a run folder?")
        data = load_yaml(read_text_file(path, "run config"), str(path))
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if not isinstance(data, dict) or name not in data]
        if missing:
            raise ValueError(f"{path} lacks the settings {missing}")
        return cls(**{name: data[name] for name in names})


def plain(value: Any) -> Any:
    """``value`` as YAML/JSON-safe data (dataclasses with ``to_dict``, paths, tuples, numpy)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return str(value)


__all__ = [
    "DEFAULT_CHECKPOINTS",
    "DEFAULT_EVAL_EPISODES",
    "DEFAULT_TIMESTEPS",
    "DEVICES",
    "EVAL_SEED_OFFSET",
    "MAX_EVAL_EPISODES",
    "MAX_N_ENVS",
    "MAX_SEED",
    "MAX_TIMESTEPS",
    "RESUMABLE",
    "RunConfig",
    "TrainingSettings",
    "plain",
]
