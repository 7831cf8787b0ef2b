"""The example scripts under examples/ run (a few hundred steps each)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"netgym_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_cleanrl_ppo_trains_on_gym_make_vec_of_a_netgym_env(capsys):
    pytest.importorskip("torch", reason='the example needs torch: pip install "netgym[train]"')
    example = load_example("cleanrl_ppo")
    args = example.parse_args(
        ["--num-envs", "2", "--num-steps", "64", "--total-timesteps", "384", "--update-epochs", "1"]
    )
    returns = example.train(args)
    assert returns and all(math.isfinite(r) for r in returns)  # whole ABR episodes finished
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("iteration 3/3: 384 steps")


ZOO_FILE = EXAMPLES / "zoo" / "ppo.yml"


def test_the_zoo_hyperparameter_file_is_read_unchanged_by_train_py(tmp_path):
    from netgym.agents.config_loader import resolve_config
    from netgym.cli.train import main

    resolved = resolve_config("ppo", "netgym/AbrStreaming-v0", ZOO_FILE)
    assert resolved.trainer == {"n_envs": 8, "n_timesteps": 5e5, "lr_schedule": "linear"}
    assert resolved.hyperparams["policy_kwargs"] == {"net_arch": [128, 128]}
    assert resolved.hyperparams["clip_range"] == "lin_0.2"
    out = tmp_path / "run"
    argv = ["--algo", "ppo", "--env", "netgym/AbrStreaming-v0", "--config", str(ZOO_FILE)]
    argv += ["-n", "64", "--n-envs", "1", "--hyperparams", "n_steps:32", "batch_size:32"]
    assert (
        main([*argv, "n_epochs:1", "--out", str(out), "--eval-episodes", "0", "--no-progress"]) == 0
    )
    assert (out / "model" / "model.zip").is_file() and (out / "sb3" / "progress.csv").is_file()


def test_rl_zoo3_trains_on_a_netgym_env_with_the_example_file(tmp_path):
    pytest.importorskip("rl_zoo3", reason="rl-baselines3-zoo is not installed: pip install rl_zoo3")
    import subprocess

    command = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo"]
    command += ["--env", "netgym/AbrStreaming-v0", "--gym-packages", "netgym.envs"]
    command += ["--conf-file", str(ZOO_FILE), "-n", "256", "-f", str(tmp_path / "logs")]
    command += ["--hyperparams", "n_envs:1", "n_steps:64", "batch_size:64", "--eval-freq", "-1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list((tmp_path / "logs" / "ppo").rglob("*.zip"))  # the zoo saved its model
