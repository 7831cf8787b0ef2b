"""train.py trains MaskablePPO and PPO on netgym/MoeExpertCache-v0 with the shipped configs (a
512-step smoke run with a smaller rollout and a short episode), and the configs parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from netgym.agents import get_agent_class
from netgym.cli.train import main

ENV_ID = "netgym/MoeExpertCache-v0"
CONFIGS = Path(__file__).resolve().parents[1] / "agents" / "config"


@pytest.mark.parametrize("name", ["maskable-ppo", "ppo"])
def test_shipped_configs_have_a_block_for_the_cache_env(name):
    block = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())[ENV_ID]
    assert block["n_envs"] * block["n_steps"] == 2048
    assert block["normalize"]["norm_reward"] is True


def test_train_py_maskable_ppo_runs_512_steps_on_the_cache_env(tmp_path, one_torch_thread):
    get_agent_class("maskable-ppo")
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({ENV_ID: {"n_steps": 128, "batch_size": 64, "n_epochs": 1}}))
    out = tmp_path / "run"
    args = ["--env", ENV_ID, "--agent", "maskable-ppo", "--timesteps", "512"]
    args += ["--config", str(config), "--env-kwargs", json.dumps({"n_requests": 8})]
    args += ["--eval-episodes", "2", "--eval-baselines", "lru", "--device", "cpu"]
    args += ["--out", str(out), "--no-progress"]
    assert main(args) == 0
    report = json.loads((out / "eval.json").read_text())
    assert report["agent"]["steps_done"] >= 512
    returns = report["agent"]["returns"]
    assert len(returns) == 2 and all(r < 0 for r in returns)  # returns are minus the stall
    assert "lru" in report["baselines"]
