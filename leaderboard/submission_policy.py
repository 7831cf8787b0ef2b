"""A submission's policy files: written from a run folder (``submit``), loaded back (``verify``).

Only data travels: ``agent.json`` plus ``table.npz`` (tabular agents), ``pso.npz`` (PSO) or the
SB3 policy's weights (``policy.safetensors``, or ``policy.pt`` for
``torch.load(weights_only=True)`` when safetensors is not installed). Loading never lets the
file choose what is built: the env comes from the protocol (the saved training context is
replaced), the kind and agent from the checked manifest, SB3 networks from a config held to
``netgym.agents.sb3_inference.SB3_LIMITS``, and every array file is checked before numpy or
torch reads it (``submission_files``).
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

from .entries import model_folder
from .protocols import Protocol
from .submission_checks import SB3_AGENTS, TABULAR_AGENTS
from .submission_files import (
    SubmissionError,
    check_npz,
    check_torch_file,
    get_field,
    parse_json,
    require,
)

MAX_PSO_PARTICLES = 10_000
"""the most particles a verified PSO config may ask for (the swarm is built to load it)"""
POLICY_FILES = {
    "tabular": ({"agent.json", "table.npz"},),
    "pso": ({"agent.json", "pso.npz"},),
    "sb3": ({"agent.json", "policy.safetensors"}, {"agent.json", "policy.pt"}),
    "class": (set(),),
}
"""the policy/ files of each kind (one of the sets, exactly)"""


# ---------------------------------------------------------------------------------- submit
def policy_files(run: Path, agent: str) -> tuple[str, dict[str, bytes]]:
    """(policy kind, file name -> bytes) of a run folder's model, in safe formats only.

    Raises:
        ValueError: the agent has no safe format, or was trained with VecNormalize.
    """
    model = model_folder(run)
    if agent in TABULAR_AGENTS:
        names = ("agent.json", "table.npz")
        return "tabular", {name: (model / name).read_bytes() for name in names}
    if agent == "pso":
        return "pso", {name: (model / name).read_bytes() for name in ("agent.json", "pso.npz")}
    if agent in SB3_AGENTS:
        from netgym.agents import get_agent_class

        meta = json.loads((model / "agent.json").read_text(encoding="utf-8"))
        if (model / "vecnormalize.pkl").exists() or meta.get("config", {}).get("normalize"):
            raise ValueError(
                f"{run}: VecNormalize statistics are a pickle; agents trained with normalize "
                "cannot be submitted"
            )
        agent_obj = get_agent_class(agent).load(model, device="cpu")
        try:
            weights = agent_obj.model.policy.state_dict()
            state = {key: value.detach().cpu().contiguous() for key, value in weights.items()}
        finally:
            agent_obj.close()
        return "sb3", {"agent.json": (model / "agent.json").read_bytes(), **tensor_file(state)}
    raise ValueError(f"{run}: agent {agent!r} has no safe submission format")


def tensor_file(state: dict[str, Any]) -> dict[str, bytes]:
    """The policy weights as ``policy.safetensors`` (or, without safetensors, ``policy.pt``
    written for ``torch.load(weights_only=True)``)."""
    try:
        from safetensors.torch import save
    except ImportError:
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        return {"policy.pt": buffer.getvalue()}
    return {"policy.safetensors": save(state)}


# ---------------------------------------------------------------------------------- verify
def _load_tensors(files: dict[str, bytes]) -> dict[str, Any]:
    """The policy weights, read without executing anything (no general unpickling)."""
    if "policy.safetensors" in files:
        try:
            from safetensors.torch import load
        except ImportError:
            raise SubmissionError("policy.safetensors needs: pip install safetensors") from None
        try:
            return load(files["policy.safetensors"])
        except Exception as err:
            raise SubmissionError(f"policy/policy.safetensors does not load: {err}") from None
    import torch

    check_torch_file(files["policy.pt"], "policy/policy.pt")
    try:
        state = torch.load(io.BytesIO(files["policy.pt"]), weights_only=True)
    except Exception as err:  # torch raises UnpicklingError for anything but tensors
        raise SubmissionError(f"policy/policy.pt is not a plain tensor file: {err}") from None
    require(
        isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values()),
        "policy/policy.pt must hold a mapping of names to tensors",
    )
    return state


def _policy_members(manifest: dict[str, Any], members: dict[str, bytes]) -> dict[str, bytes]:
    kind = manifest["policy"]
    files = {
        name[len("policy/") :]: data for name, data in members.items() if name.startswith("policy/")
    }
    allowed = POLICY_FILES[kind]
    require(
        set(files) in allowed,
        f"a {kind} policy consists of policy/ files "
        f"{' or '.join(str(sorted(names)) for names in allowed)}, got {sorted(files)}",
    )
    return files


def check_policy_files(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
    """Check that the policy/ files are exactly those of the manifest's kind.

    Raises:
        SubmissionError: a file missing or one too many.
    """
    _policy_members(manifest, members)


def load_policy(
    manifest: dict[str, Any],
    members: dict[str, bytes],
    protocol: Protocol,
    env_kwargs: dict[str, Any],
) -> Any:
    """The submitted (data) policy, to act on ``protocol``'s env made with ``env_kwargs``.

    Raises:
        SubmissionError: the files do not load, or the config is out of bounds (one line).
    """
    from netgym.agents.base import TrainingContext

    kind = manifest["policy"]
    agent = manifest["entry"]["agent"]
    files = _policy_members(manifest, members)
    meta = parse_json(files["agent.json"], "policy/agent.json")
    require(isinstance(meta, dict), "policy/agent.json is not an object")
    context = TrainingContext(env_id=protocol.env_id, env_kwargs=env_kwargs, device="cpu")
    try:
        if kind == "sb3":
            return _load_sb3(agent, meta, files, protocol, env_kwargs)
        if kind == "tabular":
            check_npz(files["table.npz"], "policy/table.npz")
            require(
                meta.get("algorithm") == agent,
                f"policy/agent.json holds algorithm {meta.get('algorithm')!r}, the manifest "
                f"enters {agent!r}",
            )
            return _load_folder(kind, meta, files, context)
        check_npz(files["pso.npz"], "policy/pso.npz")
        config = get_field(meta, "config", "dict", "policy/agent.json")
        particles = config.get("n_particles")
        require(
            particles is None or (isinstance(particles, int) and particles <= MAX_PSO_PARTICLES),
            f"policy/agent.json config.n_particles {particles!r} is above the cap of "
            f"{MAX_PSO_PARTICLES}",
        )
        return _load_folder(kind, meta, files, context)
    except SubmissionError:
        raise
    except Exception as err:  # the files are data: any failure to load them is a rejection
        reason = " ".join(str(err).split())[:500]
        raise SubmissionError(
            f"the {kind} policy does not load on {protocol.name}: {type(err).__name__}: {reason}"
        ) from None


def _load_folder(kind: str, meta: dict[str, Any], files: dict[str, bytes], context: Any) -> Any:
    """A tabular or PSO agent from its files, with the saved context replaced by ``context``."""
    from netgym.agents.pso import PsoAgent
    from netgym.agents.tabular import TabularAgent

    saved = dict(meta)
    saved["context"] = {**context.to_json(), "env_kwargs": {}}  # JSON; the real one below
    with tempfile.TemporaryDirectory(prefix="netgym-submission-") as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        (folder / "agent.json").write_text(json.dumps(saved), encoding="utf-8")
        if kind == "tabular":
            return TabularAgent.load(folder, device="cpu")
        return PsoAgent.load(folder, device="cpu", context=context)


def _load_sb3(
    agent: str,
    meta: dict[str, Any],
    files: dict[str, bytes],
    protocol: Protocol,
    env_kwargs: dict[str, Any],
) -> Any:
    from netgym.agents import env_spaces
    from netgym.agents.sb3_inference import inference_agent

    require(
        meta.get("agent") == agent,
        f"policy/agent.json holds agent {meta.get('agent')!r}, the manifest enters {agent!r}",
    )
    config = get_field(meta, "config", "dict", "policy/agent.json")
    weights = _load_tensors(files)
    observation_space, action_space = env_spaces(protocol.env_id, env_kwargs)
    try:
        return inference_agent(
            agent, config, observation_space, action_space, weights, protocol.env_id
        )
    except ValueError as err:
        raise SubmissionError(f"policy/agent.json: {err}") from None


__all__ = [
    "MAX_PSO_PARTICLES",
    "POLICY_FILES",
    "check_policy_files",
    "load_policy",
    "policy_files",
    "tensor_file",
]
