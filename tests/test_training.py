"""train.py / netgym.agents.training with stable-baselines3 agents on the ABR env."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import netgym.envs  # noqa: F401
import numpy as np
from netgym.agents import SB3Agent
from netgym.agents.training import main

REPO = Path(__file__).resolve().parents[1]
FAST_PPO = json.dumps({"n_steps": 64, "batch_size": 32, "n_epochs": 1})
ENV_KWARGS = json.dumps({"synthetic_traces": {"n_traces": 4}})


def test_train_writes_model_config_and_evaluation(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "--env",
            "netgym/AbrStreaming-v0",
            "--agent",
            "ppo",
            "--timesteps",
            "128",
            "--hyperparams",
            FAST_PPO,
            "--env-kwargs",
            ENV_KWARGS,
            "--out",
            str(out),
            "--eval-episodes",
            "2",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert config["hyperparams"]["n_steps"] == 64
    assert (out / "model.zip").is_file()
    assert len(summary["evaluation"]["returns"]) == 2
    assert np.isfinite(summary["evaluation"]["mean"])
    assert "mean reward per step" in capsys.readouterr().out


def test_saved_agent_reloads_and_acts_identically(tmp_path):
    agent = SB3Agent.create(
        "a2c",
        "netgym/AbrStreaming-v0",
        seed=1,
        device="cpu",
        env_kwargs={"synthetic_traces": {"n_traces": 4}},
    )
    agent.learn(50)
    path = agent.save(tmp_path / "a2c")
    again = SB3Agent.load("a2c", path, device="cpu")
    env = gym.make("netgym/AbrStreaming-v0")
    obs, info = env.reset(seed=4)
    for _ in range(10):
        action = agent.act(obs, info)
        assert again.act(obs, info) == action
        obs, _, _, _, info = env.step(action)


def test_train_refuses_to_overwrite_and_rejects_bad_json(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("results")
    args = ["--env", "netgym/AbrStreaming-v0", "--agent", "ppo", "--timesteps", "64"]
    assert main([*args, "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "results"
    assert main([*args, "--out", str(tmp_path / "b"), "--env-kwargs", "{bad"]) == 2
    assert "--env-kwargs is not valid JSON" in capsys.readouterr().err


def test_train_script_runs_as_a_file(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "train.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0
    assert "--timesteps" in result.stdout
