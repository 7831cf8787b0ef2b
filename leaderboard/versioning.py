"""What a protocol version hashes besides its fields: stable JSON forms, builder code, behaviour.

A protocol's version must change when what it measures changes, and only then: a refactor that
moves or restyles code keeps every version, a change of an env's dynamics changes it. Three
pieces make that possible:

- ``canonical(value)``: plain JSON data with one stable form (dataclasses, paths, numpy,
  floats by ``repr``), for the protocol's fields and embedded env kwargs;
- ``code_digest(function)``: the tokens of a function's source without its layout, comments or
  name, for the kwargs builders of protocols that read a data folder (their kwargs depend on
  where the data lies, so the builder's code stands for them);
- ``behaviour_fingerprint(env_id, env_kwargs, policy, seed)``: the sha256 of a short seeded
  rollout of a baseline (the protocol's reference) on the env: actions, observations, rewards,
  terminations and the numeric and text values of the infos, for ``FINGERPRINT_STEPS`` steps
  (episodes that end early are followed by unseeded resets, as in an evaluation). Floats enter
  at float32 precision, so that last-bit differences between platforms' maths libraries do not
  count while any real change of the dynamics does.

Fingerprints are deterministic, need no data and are cached: in memory, and on disk under
``$NETGYM_CACHE`` (default ``$XDG_CACHE_HOME/netgym`` or ``~/.cache/netgym``) in
``fingerprints/``, keyed by the rollout's inputs, the bytes of netgym's source files (envs,
baselines, agents, leaderboard) and the versions of Python, numpy, scipy and gymnasium, so that
a cached value is never served for other code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import inspect
import io
import json
import logging
import os
import platform
import textwrap
import tokenize
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

FINGERPRINT_STEPS = 64
"""env steps of the rollout that a behaviour fingerprint hashes"""
FINGERPRINT_FORMAT = 1
"""bumped when the fingerprint's recipe changes (so does every version then)"""
_MEMO: dict[str, str] = {}


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data with a stable form (dataclasses, paths, numpy, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "__type__": type(value).__qualname__,
            **{f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, Mapping):
        return {str(key): canonical(item) for key, item in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if isinstance(value, np.ndarray):
        return {"__ndarray__": str(value.dtype), "shape": list(value.shape), "data": value.tolist()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float):
        return repr(value)  # exact: 0.1 and 0.1000000001 differ
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Path):
        return str(value)
    text = repr(value)
    if " at 0x" in text:
        raise ValueError(
            f"cannot version a protocol holding {text}: its repr names a memory address; "
            "use plain data, a dataclass or a preset name in the env kwargs"
        )
    return text


def code_digest(function: Callable[..., Any]) -> str:
    """sha256 of the tokens of ``function``'s source: layout, comments, trailing commas and the
    function's own name do not count, so moving or reformatting it keeps the digest.

    Falls back to the qualified name when the source is not available (e.g. a builtin).
    """
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (OSError, TypeError, tokenize.TokenError, IndentationError):
        return hashlib.sha256(getattr(function, "__qualname__", "").encode()).hexdigest()
    layout = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    kept = [token for token in tokens if token.type not in layout]
    words = []
    for i, token in enumerate(kept):
        following = kept[i + 1].string if i + 1 < len(kept) else ""
        if token.string == "," and following in (")", "]", "}"):
            continue  # a formatter's magic trailing comma
        if i > 0 and kept[i - 1].string == "def" and token.type == tokenize.NAME:
            words.append("_")  # the function's own name
            continue
        words.append(token.string)
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------- behaviour
def behaviour_fingerprint(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str,
    seed: int,
    steps: int = FINGERPRINT_STEPS,
    cache: bool = True,
) -> str:
    """sha256 of a seeded rollout of the baseline ``policy`` on ``gym.make(env_id, **env_kwargs)``.

    Args:
        env_id: the Gymnasium id.
        env_kwargs: its kwargs (data-free: the fingerprint must be computable anywhere).
        policy: a baseline name of the env (``netgym.baselines.make_policy``).
        seed: the seed of the first reset and of the policy.
        steps: env steps hashed (over as many episodes as they span).
        cache: look up and store the result in memory and on disk (False: always roll out).

    Returns:
        64 hex digits.

    Raises:
        ValueError: the env, its kwargs or the policy are rejected (the message names them).
    """
    key = json.dumps(
        {
            "format": FINGERPRINT_FORMAT,
            "env_id": env_id,
            "env_kwargs": canonical(env_kwargs),
            "policy": policy,
            "seed": seed,
            "steps": steps,
        },
        sort_keys=True,
    )
    if not cache:
        return rollout_digest(env_id, env_kwargs, policy, seed, steps)
    if key in _MEMO:
        return _MEMO[key]
    path = _cache_path(key)
    value = _read(path)
    if value is None:
        value = rollout_digest(env_id, env_kwargs, policy, seed, steps)
        _write(path, value)
    _MEMO[key] = value
    return value


def rollout_digest(
    env_id: str, env_kwargs: dict[str, Any], policy: str, seed: int, steps: int
) -> str:
    """The uncached rollout behind ``behaviour_fingerprint`` (same arguments)."""
    import gymnasium as gym
    import netgym.envs  # noqa: F401  (registers the ids)
    from netgym.baselines import make_policy

    try:
        env = gym.make(env_id, **env_kwargs)
        actor = make_policy(env_id, policy, seed=seed)
    except (TypeError, ValueError, gym.error.Error) as err:
        raise ValueError(
            f"cannot fingerprint {env_id} with kwargs {env_kwargs} and policy {policy!r}: {err}"
        ) from err
    digest = hashlib.sha256()
    try:
        obs, info = env.reset(seed=seed)
        actor.reset(env)
        _feed(digest, (obs, info))
        for _ in range(steps):
            action = actor.act(obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            _feed(digest, (action, obs, reward, terminated, truncated, info))
            if terminated or truncated:
                obs, info = env.reset()
                actor.reset(env)
                _feed(digest, (obs, info))
    finally:
        env.close()
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    """Hash ``value``: arrays and numbers (floats at float32 precision), text, and containers
    of them; other objects (e.g. a policy's helper object in an info) are left out."""
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            digest.update(f"<{key}>".encode())
            _feed(digest, value[key])
        return
    if isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
        return
    if isinstance(value, str):
        digest.update(b"s" + value.encode("utf-8"))
        return
    if isinstance(value, (bool, int, float, np.generic, np.ndarray)):
        array = np.asarray(value)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        elif array.dtype.kind not in "biu":
            return
        digest.update(f"{array.dtype.kind}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())


# ---------------------------------------------------------------------------------- disk cache
def cache_dir() -> Path:
    """``$NETGYM_CACHE``, else ``$XDG_CACHE_HOME/netgym``, else ``~/.cache/netgym``."""
    if os.environ.get("NETGYM_CACHE"):
        return Path(os.environ["NETGYM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "netgym"


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """sha256 of netgym's source files and of the versions of Python and the numerical packages."""
    import netgym

    digest = hashlib.sha256(platform.python_version().encode())
    for name in ("numpy", "scipy", "gymnasium"):
        try:
            digest.update(f"{name}={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    roots = [Path(netgym.__file__).parent]
    for name in ("envs", "baselines", "agents", "leaderboard"):
        roots += [Path(path) for path in _package_paths(name)]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _package_paths(name: str) -> list[str]:
    import importlib

    return list(importlib.import_module(f"netgym.{name}").__path__)


def _cache_path(key: str) -> Path:
    name = hashlib.sha256((key + _code_stamp()).encode()).hexdigest()[:32]
    return cache_dir() / "fingerprints" / f"{name}.json"


def _read(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) and len(value) == 64 else None


def _write(path: Path, value: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"fingerprint": value}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:  # a read-only home: the fingerprint is recomputed next time
        logger.debug("cannot cache a behaviour fingerprint in %s: %s", path, err)


__all__ = [
    "FINGERPRINT_STEPS",
    "behaviour_fingerprint",
    "cache_dir",
    "canonical",
    "code_digest",
    "rollout_digest",
]
