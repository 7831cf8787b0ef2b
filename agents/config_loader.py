"""Hyperparameters of an agent for one env, resolved from YAML files and the command line.

Four layers, each replacing the keys it sets (a shallow merge, as in rl-baselines3-zoo): the
``default`` block of ``netgym/agents/config/<agent>.yaml``, that file's block keyed by the env
id, a user file (``--config FILE.yaml`` or ``.yml``) and ``--hyperparams KEY=VALUE ...`` (or
``KEY:VALUE``; values parsed as YAML). The keys in ``TRAINER_KEYS`` (``n_envs``,
``n_timesteps``, ``lr_schedule``, ``env_kwargs``) configure the run rather than the algorithm
and are split off. See ``docs/training.md`` ("Hyperparameters").

rl-baselines3-zoo's idioms are read as the zoo means them: ``learning_rate: lin_3e-4`` (or
``constant_3e-4``) is the rate 3e-4 with the linear (constant) schedule, ``policy_kwargs`` given
as the string ``"dict(net_arch=[64, 64], activation_fn=nn.Tanh)"`` is that mapping (parsed, never
evaluated), and the value ``None`` on the command line is null.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from netgym.envs.families import parallel_specs
from netgym.envs.make import canonical_env_id

from .sb3_config import ACTIVATIONS
from .schedules import parse_zoo_schedule

TRAINER_KEYS = ("n_envs", "n_timesteps", "lr_schedule", "env_kwargs")
"""configuration keys of the training run (not passed to the agent)"""

DEFAULT_BLOCK = "default"


@dataclass
class ResolvedConfig:
    """The configuration of one agent on one env after all layers are applied."""

    hyperparams: dict[str, Any] = field(default_factory=dict)
    """the algorithm's hyperparameters, passed to ``Agent.create``"""
    trainer: dict[str, Any] = field(default_factory=dict)
    """values of ``TRAINER_KEYS`` found in the layers"""
    sources: list[str] = field(default_factory=list)
    """the layers applied, in order (e.g. ``'ppo.yaml#default'``)"""


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, also reading ``3e-4`` as a float (YAML 1.1 wants ``3.0e-4``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml(text: str, where: str) -> Any:
    """Parse YAML ``text`` (numbers such as ``3e-4`` are floats).

    Raises:
        ValueError: ``text`` is not valid YAML; the message starts with ``where``.
    """
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as err:
        raise ValueError(f"{where} is not valid YAML: {' '.join(str(err).split())}") from None


MAX_CONFIG_BYTES = 1_000_000
"""the largest YAML config file read (a hyperparameter file is a few kB)"""


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of the file ``path`` (``what`` names it in errors, e.g. 'config file').

    Raises:
        FileNotFoundError: nothing at ``path``.
        ValueError: a folder or another non-file, a file over ``MAX_CONFIG_BYTES``, or bytes
            that are not UTF-8 text (e.g. a binary file given by mistake).
    """
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise ValueError(f"{what} {path} is {kind}; give a YAML file")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ValueError(
            f"{what} {path} has {size:,} bytes, more than the {MAX_CONFIG_BYTES:,} of a YAML "
            "config; is it the right file?"
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{what} {path} is not UTF-8 text (byte {data[err.start]:#04x} at offset "
            f"{err.start}); give a YAML file"
        ) from None


def _strip_module(env_id: str) -> str:
    """``netgym.envs:netgym/X-v0`` -> ``netgym/X-v0``; PettingZoo ids stay as they are."""
    if env_id.startswith("pz:") or ":" not in env_id:
        return env_id
    return env_id.split(":", 1)[1]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a mapping of hyperparameters, got {value!r}")
    return dict(value)


def packaged_config_text(agent: str) -> str | None:
    """Text of the packaged ``config/<agent>.yaml``, or None when the agent ships no file."""
    resource = resources.files("netgym.agents").joinpath("config").joinpath(f"{agent}.yaml")
    if not resource.is_file():
        return None
    return resource.read_text(encoding="utf-8")


def _env_key(data: dict[str, Any], env_id: str) -> str | None:
    """The key of ``env_id``'s block in ``data``: the id as given, without its module prefix,
    or any other name of the same env (``uav_offload_v0`` = ``pz:netgym.envs.uav:parallel_env``)."""
    for key in dict.fromkeys((env_id, _strip_module(env_id))):
        if key in data:
            return key
    canonical = canonical_env_id(env_id)
    for key in data:
        if key != DEFAULT_BLOCK and _looks_like_env(key) and canonical_env_id(key) == canonical:
            return key
    return None


def _looks_like_env(key: Any) -> bool:
    key = str(key)
    return "/" in key or key.startswith("pz:") or key in parallel_specs()


def _env_blocks(data: dict[str, Any], env_id: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    """The ``default`` block and the env's block of a per-env file, as (label, mapping)."""
    blocks = []
    if DEFAULT_BLOCK in data:
        blocks.append((f"{where}#{DEFAULT_BLOCK}", _mapping(data[DEFAULT_BLOCK], where)))
    key = _env_key(data, env_id)
    if key is not None:
        blocks.append((f"{where}#{key}", _mapping(data[key], f"{where} block {key!r}")))
    return blocks


def _is_env_keyed(data: dict[str, Any], env_id: str) -> bool:
    return DEFAULT_BLOCK in data or _env_key(data, env_id) is not None


def read_config_file(path: str | Path, env_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The layers of a user config file for ``env_id``, as (label, mapping) pairs.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is a folder, binary, not YAML, not a mapping, or keyed by other
            env ids only.
    """
    path = Path(path)
    data = load_yaml(read_text_file(path, "config file"), f"config file {path}")
    data = _mapping(data, f"config file {path}")
    if _is_env_keyed(data, env_id):
        return _env_blocks(data, env_id, str(path))
    env_like = [key for key in data if _looks_like_env(key)]
    if env_like:
        raise ValueError(
            f"config file {path} has blocks for {env_like} but neither a 'default' block nor "
            f"one for {env_id!r}"
        )
    return [(str(path), data)]


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["lr=3e-4", "net_arch=[64, 64]"]`` -> ``{"lr": 0.0003, "net_arch": [64, 64]}``.

    Values are parsed as YAML (so ``true``, ``null``, numbers, lists and mappings work; text
    that is not valid YAML is kept as a string).

    Raises:
        ValueError: an item has no ``=`` or an empty key.
    """
    overrides: dict[str, Any] = {}
    for item in items or ():
        cuts = [i for i in (item.find("="), item.find(":")) if i >= 0]
        key = item[: min(cuts)].strip() if cuts else ""
        text = item[min(cuts) + 1 :] if cuts else ""
        if not key:
            raise ValueError(
                f"--hyperparams takes KEY=VALUE (or rl-zoo's KEY:VALUE) items, got {item!r}"
            )
        if text.strip() == "None":  # Python's null, as rl-baselines3-zoo writes it
            overrides[key] = None
            continue
        try:
            overrides[key] = yaml.load(text, Loader=_Loader) if text.strip() else None
        except yaml.YAMLError:
            overrides[key] = text
    return overrides


def python_mapping(text: str, where: str) -> dict[str, Any]:
    """rl-baselines3-zoo's ``"dict(net_arch=[64, 64], activation_fn=nn.Tanh)"`` as a mapping,
    parsed (never evaluated): literals, lists, tuples, ``{...}`` and nested ``dict(...)``;
    ``nn.Tanh`` becomes the name ``'Tanh'`` (as ``policy_kwargs.activation_fn`` of a config,
    netgym's name ``'tanh'``).

    Raises:
        ValueError: anything else in ``text`` (the message names it and ``where``).
    """

    def convert(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [convert(item) for item in node.elts]
        if isinstance(node, ast.Dict) and None not in node.keys:
            return {convert(k): convert(v) for k, v in zip(node.keys, node.values, strict=True)}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = convert(node.operand)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return -value if isinstance(node.op, ast.USub) else value
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
            and not node.args
            and all(k.arg is not None for k in node.keywords)
        ):
            return {k.arg: convert(k.value) for k in node.keywords}
        if isinstance(node, ast.Attribute):  # nn.Tanh, th.nn.Tanh, torch.nn.Tanh
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in ("nn", "th", "torch"):
                return node.attr
        raise ValueError(
            f"{where}: {ast.unparse(node)!r} in {text!r} is not a literal, a dict(...) or an "
            "nn.<Activation>; write the mapping in YAML instead"
        )

    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"{where}: {text!r} is neither a mapping nor dict(...)") from None
    value = convert(tree.body)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {text!r} is not a mapping")
    return value


def _zoo_idioms(merged: dict[str, Any], trainer: dict[str, Any]) -> None:
    """Read rl-baselines3-zoo's ``learning_rate: lin_<x>`` and string ``policy_kwargs`` in
    place (see the module docstring)."""
    parsed = parse_zoo_schedule(merged.get("learning_rate"), "learning_rate")
    if parsed is not None:
        kind, initial = parsed
        declared = trainer.get("lr_schedule")
        if declared is not None and declared != kind:
            raise ValueError(
                f"learning_rate {merged['learning_rate']!r} is a {kind} schedule but the config "
                f"sets lr_schedule {declared!r}; keep one of them"
            )
        merged["learning_rate"] = initial
        trainer["lr_schedule"] = kind
    if isinstance(merged.get("policy_kwargs"), str):
        kwargs = python_mapping(merged["policy_kwargs"], "policy_kwargs")
        names = {cls: name for name, cls in ACTIVATIONS.items()}  # nn.Tanh -> 'tanh'
        if isinstance(kwargs.get("activation_fn"), str):
            kwargs["activation_fn"] = names.get(kwargs["activation_fn"], kwargs["activation_fn"])
        merged["policy_kwargs"] = kwargs


def resolve_config(
    agent: str,
    env_id: str,
    config_file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> ResolvedConfig:
    """Apply the four layers (see the module docstring) for ``agent`` on ``env_id``.

    Raises:
        FileNotFoundError: ``config_file`` does not exist.
        ValueError: a file is not valid YAML or not shaped as described.
    """
    layers: list[tuple[str, dict[str, Any]]] = []
    text = packaged_config_text(agent)
    if text is not None:
        where = f"{agent}.yaml"
        data = _mapping(load_yaml(text, f"packaged config {where}"), f"packaged config {where}")
        layers.extend(_env_blocks(data, env_id, where))
    if config_file is not None:
        layers.extend(read_config_file(config_file, env_id))
    if overrides:
        layers.append(("--hyperparams", dict(overrides)))
    merged: dict[str, Any] = {}
    for _, layer in layers:
        merged.update(layer)
    trainer = {key: merged.pop(key) for key in TRAINER_KEYS if key in merged}
    _zoo_idioms(merged, trainer)
    if "env_kwargs" in trainer:
        trainer["env_kwargs"] = _mapping(trainer["env_kwargs"], "env_kwargs in the config")
    return ResolvedConfig(
        hyperparams=merged, trainer=trainer, sources=[label for label, _ in layers]
    )


__all__ = [
    "MAX_CONFIG_BYTES",
    "TRAINER_KEYS",
    "ResolvedConfig",
    "load_yaml",
    "packaged_config_text",
    "parse_overrides",
    "python_mapping",
    "read_config_file",
    "read_text_file",
    "resolve_config",
]
