"""The llm and bc agents: creation checks, training lowers the loss, save/load, train.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from netgym.agents import get_agent_class
from netgym.agents.base import TrainingContext
from netgym.agents.llm.agent import VAL_SEED_OFFSET
from netgym.agents.llm.pool import collect
from netgym.agents.llm.training import evaluation_loss
from netgym.agents.training import EVAL_SEED_OFFSET
from test_llm_model import needs_llm_extra, save_tiny_bert

ABR = "netgym/AbrStreaming-v0"
UAV = "netgym/UavOffload-v0"
_ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}
TINY = {
    "feature_dim": 16,
    "scratch_width": 32,
    "scratch_layers": 1,
    "scratch_heads": 2,
    "bc_hidden": 32,
    "dropout": 0.0,
    "lora_rank": 4,
    "lora_alpha": 8.0,
    "lora_dropout": 0.0,
    "learning_rate": 3.0e-3,
    "warmup_steps": 2,
    "grad_clip": 1.0,
    "batch_size": 8,
    "grad_accum_steps": 2,
    "context_window": 5,
    "eval_every": 64,
    "val_episodes": 1,
    "val_fraction": 0.25,
    "reward_info_key": "qoe",
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")
"""tiny networks: torch on one thread (``conftest.one_torch_thread``)"""


@pytest.fixture(scope="module")
def abr_pool(tmp_path_factory) -> Path:
    pool = collect(ABR, ["bba", "mpc-jump1"], episodes=2, seed=0)
    return pool.save(tmp_path_factory.mktemp("pool") / "abr.npz")


def _create(name: str, pool: Path, env_id: str = ABR, **extra):
    context = TrainingContext(env_id=env_id, seed=1, device="cpu", total_timesteps=256)
    return get_agent_class(name).create(context, {**TINY, "pool": str(pool), **extra})


def _play(agent, seed: int, steps: int = 47) -> list:
    env = gym.make(ABR)
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    actions = []
    for _ in range(steps):
        action = agent.act(obs, info)
        actions.append(action)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    return actions


def _train_loss(agent) -> float:
    data = agent._data[0]
    ends = np.arange(data.num_rows)
    return evaluation_loss(agent.model, agent.codec, data, ends, agent.device, 64)


@pytest.mark.parametrize(("name", "backbone"), [("bc", None), ("llm", "scratch")])
def test_short_training_lowers_the_loss(abr_pool: Path, name: str, backbone: str | None) -> None:
    extra = {} if backbone is None else {"backbone": backbone}
    agent = _create(name, abr_pool, **extra)
    before = _train_loss(agent)
    reports = []
    agent.learn(256, lambda steps, metrics: reports.append((steps, metrics)) or True)
    assert agent.steps_done == 256
    assert _train_loss(agent) < 0.8 * before
    assert [steps for steps, _ in reports] == [64, 128, 192, 256]
    assert {"loss", "val_loss", "val_return"} <= set(reports[-1][1])
    assert agent.best_score is not None


def test_save_load_acts_identically(abr_pool: Path, tmp_path: Path) -> None:
    agent = _create("llm", abr_pool, backbone="scratch")
    agent.learn(128)
    agent.save(tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} == {
        "agent.json",
        "weights.pt",
        "best.pt",
        "optimizer.pt",
    }
    loaded = get_agent_class("llm").load(tmp_path / "model", device="cpu")
    assert loaded.steps_done == 128
    actions = _play(agent, seed=5)
    assert actions == _play(loaded, seed=5)
    assert len(actions) == 47
    # training resumes from the saved state
    loaded.learn(64)
    assert loaded.steps_done == 192


def test_sampled_actions_are_seeded(abr_pool: Path) -> None:
    first = _play(_create("llm", abr_pool, backbone="scratch", sample_actions=True), seed=2)
    second = _play(_create("llm", abr_pool, backbone="scratch", sample_actions=True), seed=2)
    assert first == second


def test_create_rejects_bad_input(abr_pool: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown llm hyperparameters"):
        _create("llm", abr_pool, backbone="scratch", learning_rat=1.0)
    context = TrainingContext(env_id=ABR, seed=0, device="cpu")
    with pytest.raises(ValueError, match="--pool"):
        get_agent_class("llm").create(context, {"backbone": "scratch"})
    with pytest.raises(FileNotFoundError):
        _create("bc", tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="collected on"):
        _create("bc", abr_pool, env_id=UAV)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        _create("llm", abr_pool, backbone=str(tmp_path))


def test_validation_seeds_are_not_the_evaluation_seeds() -> None:
    assert VAL_SEED_OFFSET + 10_000 < EVAL_SEED_OFFSET


def test_generic_encoder_on_the_uav_env(tmp_path: Path) -> None:
    """MultiDiscrete observations and actions: the same agent trains and acts on another family."""
    pool = collect(UAV, ["greedy-grid", "hover"], episodes=1, seed=0).save(tmp_path / "uav.npz")
    agent = _create(
        "llm", pool, env_id=UAV, backbone="scratch", reward_info_key=None, val_episodes=0
    )
    before = _train_loss(agent)
    agent.learn(128)
    assert _train_loss(agent) < before
    env = gym.make(UAV)
    obs, info = env.reset(seed=0)
    agent.reset(env)
    for _ in range(3):
        action = agent.act(obs, info)
        assert env.action_space.contains(action)
        obs, *_, info = env.step(action)


@needs_llm_extra
def test_pretrained_folder_backbone_round_trip(abr_pool: Path, tmp_path: Path) -> None:
    save_tiny_bert(tmp_path / "bert")
    agent = _create("llm", abr_pool, backbone=str(tmp_path / "bert"))
    trainable = [n for n, p in agent.model.named_parameters() if p.requires_grad]
    assert all(not n.startswith("backbone.") or "lora_" in n for n in trainable)
    agent.learn(64)
    agent.save(tmp_path / "model")
    saved = __import__("torch").load(tmp_path / "model" / "weights.pt", weights_only=True)
    assert not any(
        k.startswith("backbone.") and "lora_" not in k and k.endswith("weight") for k in saved
    )  # the frozen backbone is not copied into the agent
    loaded = get_agent_class("llm").load(tmp_path / "model", device="cpu")
    assert _play(agent, seed=4, steps=10) == _play(loaded, seed=4, steps=10)


def _train(args: list[str]) -> int:
    """``python train.py ARGS`` in this process (train.py calls exactly this)."""
    from netgym.cli.train import main

    return main(args)


@pytest.mark.parametrize("backbone", ["scratch", "bert"])
def test_train_py_smoke(abr_pool: Path, tmp_path: Path, backbone: str, capsys) -> None:
    if backbone == "bert":
        pytest.importorskip("transformers", reason="the llm extra is not installed")
        pytest.importorskip("peft", reason="the llm extra is not installed")
        save_tiny_bert(tmp_path / "bert")
        backbone = str(tmp_path / "bert")
    hyper = [f"{k}={v}" for k, v in TINY.items() if k not in ("reward_info_key",)]
    out = tmp_path / "run"
    result = _train(
        [
            "--env",
            ABR,
            "--agent",
            "llm",
            "--pool",
            str(abr_pool),
            "--backbone",
            backbone,
            "--timesteps",
            "64",
            "--eval-episodes",
            "1",
            "--eval-baselines",
            "bba",
            "--out",
            str(out),
            "--no-progress",
            "--hyperparams",
            *hyper,
        ]
    )
    assert result == 0
    assert "llm (trained)" in capsys.readouterr().out
    evaluation = json.loads((out / "eval.json").read_text())
    assert evaluation["agent"]["lengths"] == [47]
    assert "bba" in evaluation["baselines"]
    meta = json.loads((out / "model" / "agent.json").read_text())
    assert meta["config"]["backbone"] == backbone and meta["steps_done"] == 64
    assert (out / "checkpoints").is_dir()


def test_train_py_reports_a_missing_pool(tmp_path: Path, capsys) -> None:
    result = _train(
        [
            "--env",
            ABR,
            "--agent",
            "bc",
            "--pool",
            str(tmp_path / "none.npz"),
            "--timesteps",
            "8",
            "--out",
            str(tmp_path / "run"),
            "--no-progress",
        ]
    )
    assert result == 2
    assert "does not exist" in capsys.readouterr().err


def test_import_without_the_llm_extra(abr_pool: Path) -> None:
    """netgym.agents and the scratch/bc agents work when transformers and peft are missing;
    a pre-trained backbone then fails with an error naming the extra."""
    code = f"""
import sys
sys.modules["transformers"] = None
sys.modules["peft"] = None
import netgym.agents
from netgym.agents import get_agent_class
from netgym.agents.base import TrainingContext
from netgym.agents.llm.backbones import LlmExtraMissingError
context = TrainingContext(env_id="{ABR}", device="cpu")
tiny = {TINY!r}
get_agent_class("llm").create(context, {{**tiny, "pool": r"{abr_pool}", "backbone": "scratch"}})
try:
    get_agent_class("llm").create(context, {{**tiny, "pool": r"{abr_pool}", "backbone": "minilm"}})
except LlmExtraMissingError as err:
    print("refused:", err)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_ONE_THREAD
    )
    assert result.returncode == 0, result.stderr
    assert "refused: pre-trained backbones need the llm extra" in result.stdout


def test_reward_scaling_and_returns_to_go() -> None:
    """Min-max normalised rewards; a pool of one reward value keeps its sign (steps to go)."""
    from netgym.agents.llm.encoders import ActionCodec
    from netgym.agents.llm.pool import ExperiencePool
    from netgym.agents.llm.training import RewardScale, WindowData

    def pool(rewards: list[float]) -> ExperiencePool:
        n = len(rewards)
        return ExperiencePool(
            observations=np.zeros((n, 2), np.float32),
            actions=np.zeros(n, np.int64),
            rewards=np.asarray(rewards, np.float32),
            dones=np.arange(n) == n - 1,
            policies=np.array(["x"]),
            env_id=ABR,
            env_kwargs={},
        )

    codec = ActionCodec(gym.spaces.Discrete(2))
    varied = pool([0.0, 2.0, 4.0])
    scale = RewardScale.from_pool(varied, return_scale=10.0)
    np.testing.assert_allclose(scale.normalise(varied.rewards), [0.0, 0.5, 1.0])
    data = WindowData(varied, codec, scale, window=2)
    np.testing.assert_allclose(data.returns.numpy(), [0.15, 0.15, 0.1], rtol=1e-6)
    assert data.max_return == pytest.approx(1.5)
    constant = pool([-1.0] * 4)
    scale = RewardScale.from_pool(constant, return_scale=1.0)
    data = WindowData(constant, codec, scale, window=2)
    np.testing.assert_allclose(data.returns.numpy(), [-4.0, -3.0, -2.0, -1.0])
    batch = data.batch(np.array([0, 3]), torch.device("cpu"))
    np.testing.assert_array_equal(batch["mask"].numpy(), [[1, 0], [1, 1]])
    np.testing.assert_array_equal(batch["timesteps"].numpy(), [[0, 0], [2, 3]])


def test_pool_and_backbone_options_become_hyperparameters(tmp_path: Path, monkeypatch) -> None:
    from netgym.cli.train import build_parser, settings_from_args

    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(
        ["--env", ABR, "--agent", "llm", "--pool", "p.npz", "--backbone", "models/bert"]
    )
    hyper = settings_from_args(args).hyperparams
    assert hyper == {"pool": str(tmp_path / "p.npz"), "backbone": str(tmp_path / "models/bert")}
    args = build_parser().parse_args(["--env", ABR, "--agent", "llm", "--backbone", "scratch"])
    assert settings_from_args(args).hyperparams == {"backbone": "scratch"}
