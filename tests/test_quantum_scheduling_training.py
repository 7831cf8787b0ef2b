"""train.py smoke runs on netgym/QuantumNetworkScheduling-v0 with the packaged configs."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import importable
from netgym.agents.config_loader import resolve_config
from netgym.cli.train import main

ENV_ID = "netgym/QuantumNetworkScheduling-v0"
SHORT_ENV = json.dumps({"horizon_slots": 128})
"""short episodes: the evaluation of the agent and of the four baselines stays cheap"""


@pytest.mark.parametrize("agent", ["ppo", "maskable-ppo"])
def test_packaged_configs_have_a_block_for_the_env(agent):
    resolved = resolve_config(agent, ENV_ID)
    assert resolved.trainer["n_envs"] == 4
    rollout = resolved.hyperparams["n_steps"] * resolved.trainer["n_envs"]
    assert rollout >= 1024 and rollout % resolved.hyperparams["batch_size"] == 0  # whole batches


def test_maskable_ppo_trains_through_train_py(tmp_path, one_torch_thread):
    importable("maskable-ppo")
    out = tmp_path / "run"
    args = ["--env", ENV_ID, "--agent", "maskable-ppo", "--timesteps", "512"]
    args += ["--env-kwargs", SHORT_ENV, "--hyperparams", "n_steps=128", "--eval-episodes", "2"]
    args += ["--device", "cpu", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    assert (out / "model").is_dir() and (out / "progress.csv").is_file()
    report = json.loads((out / "eval.json").read_text())
    assert report["agent"]["steps_done"] >= 512
    assert len(report["agent"]["returns"]) == 2
    assert set(report["baselines"]) == {"idle", "random", "edf", "pts"}
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["env"] == ENV_ID
