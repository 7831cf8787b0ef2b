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
