"""The training stack (torch, stable-baselines3, sb3-contrib, SuperSuit, TensorBoard) is the
``train`` extra: the registry, the tabular and PSO agents and the training run work without it,
and every agent that needs it says which extra to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from netgym.agents import AGENTS, EXTRAS, AgentUnavailableError, get_agent_class

TRAIN_STACK = ("torch", "stable_baselines3", "sb3_contrib", "supersuit", "tensorboard")
LIGHT_MODULES = (
    "netgym.agents",
    "netgym.agents.tabular",
    "netgym.agents.pso",
    "netgym.agents.training",
    "netgym.baselines.swarm",
)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )


def test_light_agents_import_nothing_of_the_training_stack() -> None:
    code = f"""
import sys
for name in {LIGHT_MODULES!r}:
    __import__(name)
print(sorted(name for name in sys.modules if name.split(".")[0] in {TRAIN_STACK!r}))
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_the_train_extra_tabular_and_pso_train_and_the_others_name_it(
    tmp_path: Path,
) -> None:
    code = f"""
import sys
for name in {TRAIN_STACK!r}:
    sys.modules[name] = None  # "import torch" now raises ModuleNotFoundError
from netgym.agents import AGENTS, AgentUnavailableError, compatible_agents, get_agent_class
from netgym.agents.base import TrainingContext
from netgym.agents.training import TrainingSettings, prepare_run

abr = "netgym/AbrStreaming-v0"
small = {{"synthetic_traces": {{"n_traces": 4}}}}
settings = TrainingSettings(
    env=abr, agent="sarsa", timesteps=200, n_envs=1, env_kwargs=small, eval_episodes=0,
    out=__import__("pathlib").Path(r"{tmp_path}") / "run",
)
run = prepare_run(settings)
print("sarsa", run.train().steps_done)
pso = get_agent_class("pso").create(
    TrainingContext(abr, small), {{"n_particles": 2, "episodes_per_eval": 1}}
)
pso.learn(1)
print("pso", pso.iteration)
for name in AGENTS:
    try:
        get_agent_class(name)
    except AgentUnavailableError as err:
        print("refused", name, "|", err)
print("fit", compatible_agents(abr, small))
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "sarsa 200" in lines and "pso 1" in lines
    refused = {line.split()[1]: line.split("| ")[1] for line in lines if line.startswith("refused")}
    assert set(refused) == set(AGENTS) - {"sarsa", "qlearning", "pso"}
    for name, message in refused.items():
        assert message.startswith(f"the {name!r} agent needs ")
        assert message.endswith("pip install 'netgym[train]'")
    assert refused["ppo"] == "the 'ppo' agent needs stable-baselines3: pip install 'netgym[train]'"
    assert lines[-1] == "fit ['sarsa', 'qlearning', 'pso']"


def test_a_missing_contrib_package_refuses_only_the_agent_that_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("stable_baselines3")
    monkeypatch.setitem(sys.modules, "sb3_contrib", None)
    assert get_agent_class("ppo").name == "ppo"
    with pytest.raises(AgentUnavailableError) as err:
        get_agent_class("maskable-ppo")
    needs = "the 'maskable-ppo' agent needs sb3-contrib: pip install 'netgym[train]'"
    assert str(err.value) == needs


def test_every_package_of_the_extras_names_its_extra() -> None:
    assert {extra for _, extra in EXTRAS.values()} == {"train", "llm"}
    assert all(EXTRAS[module][1] == "train" for module in TRAIN_STACK)
