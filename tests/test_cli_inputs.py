"""Careless command lines get one clear line, never a traceback or a silent wrong result
(issue 14, sections 3 and 4): numeric options with NaN, inf or huge values, output paths that
are folders or existing files, a binary config, ``--device cuda`` without CUDA, and ``pz:``
import paths that name anything but a PettingZoo env factory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from netgym.agents import training
from netgym.agents.llm.pool import ExperiencePool
from netgym.cli.main import main
from netgym.cli.train import main as train_main
from netgym.envs.make import make_env

ABR = "netgym/AbrStreaming-v0"
SMALL = json.dumps({"synthetic_traces": {"n_traces": 2}})


def one_line_error(capsys: pytest.CaptureFixture[str], code: int, prog: str = "") -> str:
    """The single stderr line of a failed command (status 2, nothing on stdout)."""
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(prog)
    return lines[0]


# ---------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "--env", ABR, "--policy", "bba", "--seed", "-1"], "--seed: must be >= 0"),
        (["evaluate", "--env", ABR, "--policy", "bba", "--seed", "nan"], "expected an integer"),
        (["evaluate", "--env", ABR, "--policy", "bba", "--seed", "1" + "0" * 30], "at most"),
        (["evaluate", "--env", ABR, "--policy", "bba", "--episodes", "inf"], "expected an int"),
        (["evaluate", "--env", ABR, "--policy", "bba", "--episodes", "1e30"], "expected an int"),
        (["evaluate", "--env", ABR, "--policy", "bba", "--episodes", "10000000"], "at most"),
        (["evaluate", "--env", ABR, "--policy", "bba", "--episodes", "0"], "must be >= 1"),
        (["leaderboard", "run", "--workers", "100000"], "--workers must be at most 1024"),
        (["leaderboard", "run", "--episodes", "nan"], "expected an integer"),
        (["leaderboard", "verify", "x.zip", "--sample", "-1"], "--sample: must be >= 0"),
        (["leaderboard", "verify", "x.zip", "--max-episodes", "0"], "must be >= 1"),
        (
            ["collect", "--env", ABR, "--policy", "bba", "--episodes", "1", "--out", "p.npz"]
            + ["--epsilon", "nan"],
            "--epsilon: must be a finite number, got nan",
        ),
        (
            ["collect", "--env", ABR, "--policy", "bba", "--episodes", "1", "--out", "p.npz"]
            + ["--epsilon", "inf"],
            "must be a finite number",
        ),
        (
            ["collect", "--env", ABR, "--policy", "bba", "--episodes", "1", "--out", "p.npz"]
            + ["--epsilon", "1.5"],
            "must be in [0.0, 1.0], got 1.5",
        ),
        (
            ["collect", "--env", ABR, "--policy", "bba", "--episodes", "nan", "--out", "p.npz"],
            "--episodes: expected an integer",
        ),
    ],
)
def test_bad_numbers_in_netgym_options_give_one_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    line = one_line_error(capsys, main(argv), "netgym")
    assert message in line
    assert not (tmp_path / "p.npz").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--timesteps", "nan"], "--timesteps: expected an integer"),
        (["--timesteps", str(10**13)], "--timesteps: must be at most 1,000,000,000,000"),
        (["--seed", "-1"], "--seed: must be >= 0"),
        (["--eval-seed", "inf"], "--eval-seed: expected an integer"),
        (["--n-envs", "0"], "--n-envs: must be >= 1"),
        (["--n-envs", "10000000"], "--n-envs: must be at most 65,536"),
        (["--eval-episodes", "-3"], "--eval-episodes: must be >= 0"),
        (["--checkpoint-every", "1.5"], "--checkpoint-every: expected an integer"),
    ],
)
def test_bad_numbers_in_train_py_options_give_one_line(
    capsys, tmp_path, monkeypatch, extra, message
):
    monkeypatch.chdir(tmp_path)
    code = train_main(["--env", ABR, "--agent", "qlearning", *extra, "--no-progress"])
    assert message in one_line_error(capsys, code, "train.py: error: ")
    assert not (tmp_path / "runs").exists()


def test_huge_numbers_in_a_config_file_are_refused(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("n_timesteps: 1e13\n")
    settings = training.TrainingSettings(env=ABR, agent="qlearning", config_file=config)
    with pytest.raises(ValueError, match="timesteps must be at most 1,000,000,000,000"):
        training.resolve_run_config(settings)
    config.write_text("n_envs: .nan\n")
    with pytest.raises(ValueError, match="n_envs must be an integer >= 1, got nan"):
        training.resolve_run_config(settings)


# ---------------------------------------------------------------------------------- paths
def collect_args(out: Path, *extra: str) -> list[str]:
    args = ["collect", "--env", ABR, "--policy", "bba", "--episodes", "1", "--out", str(out)]
    return [*args, "--env-kwargs", SMALL, *extra]


def test_collect_refuses_a_folder_as_out_and_writes_nothing_beside_it(capsys, tmp_path):
    folder = tmp_path / "pools"
    folder.mkdir()
    line = one_line_error(capsys, main(collect_args(folder)), "netgym")
    assert f"--out {folder} is a folder" in line
    assert not (tmp_path / "pools.npz").exists() and not any(folder.iterdir())


def test_collect_refuses_an_existing_pool_unless_overwrite(capsys, tmp_path):
    out = tmp_path / "pool.npz"
    assert main(collect_args(out)) == 0
    capsys.readouterr()
    before = out.read_bytes()
    line = one_line_error(capsys, main(collect_args(out, "--seed", "5")), "netgym")
    assert "exists; pass --overwrite to replace it" in line
    assert out.read_bytes() == before
    bare = tmp_path / "pool"  # the .npz is appended: the same file
    assert "exists" in one_line_error(capsys, main(collect_args(bare)), "netgym")
    assert main(collect_args(out, "--seed", "5", "--overwrite")) == 0
    assert f"pool {out}" in capsys.readouterr().out
    assert ExperiencePool.load(out).num_steps > 0 and out.read_bytes() != before


def test_leaderboard_run_out_that_is_a_file_fails_at_once(capsys, tmp_path):
    report = tmp_path / "report.txt"
    report.write_text("mine")
    argv = ["leaderboard", "run", "--protocols", "abr-synthetic", "--out", str(report)]
    line = one_line_error(capsys, main(argv), "netgym")
    assert f"--out {report} is a file" in line
    assert report.read_text() == "mine"


def test_submit_out_that_is_a_folder_fails_before_evaluating(capsys, tmp_path):
    argv = ["leaderboard", "submit", "--entry", "netgym.baselines.abr:BBA"]
    argv += ["--protocols", "abr-synthetic", "--out", str(tmp_path)]
    line = one_line_error(capsys, main(argv), "netgym")
    assert f"--out {tmp_path} is a folder" in line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 4, "is not UTF-8 text (byte 0x80 at offset 128); give a YAML file"),
        (None, "is a folder; give a YAML file"),
    ],
)
def test_a_binary_or_folder_config_gives_one_line(capsys, tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.bin"
    if content is None:
        config.mkdir()
    else:
        config.write_bytes(content)
    code = train_main(["--env", ABR, "--agent", "qlearning", "--config", str(config)])
    assert message in one_line_error(capsys, code, "train.py: error: ")


# ---------------------------------------------------------------------------------- device
def test_device_cuda_without_cuda_is_an_error_and_auto_falls_back(capsys, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA (test_device_cuda_trains_on_the_gpu covers it)")
    argv = ["--env", ABR, "--agent", "ppo", "--device", "cuda", "--out", str(tmp_path / "a")]
    code = train_main([*argv, "--no-progress"])
    assert "torch sees no CUDA device" in one_line_error(capsys, code, "train.py: error: ")
    assert not (tmp_path / "a").exists()
    args = ["--env", ABR, "--agent", "ppo", "--device", "auto", "--timesteps", "64"]
    args += ["--hyperparams", "n_steps=64", "batch_size=32", "n_epochs=1", "--n-envs", "1"]
    args += ["--env-kwargs", SMALL, "--eval-episodes", "0", "--no-progress"]
    assert train_main([*args, "--out", str(tmp_path / "b")]) == 0


def test_device_cuda_trains_on_the_gpu(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    from netgym.agents.sb3 import SB3Agent

    args = ["--env", ABR, "--agent", "ppo", "--device", "cuda", "--timesteps", "64"]
    args += ["--hyperparams", "n_steps=64", "batch_size=32", "n_epochs=1", "--n-envs", "1"]
    args += ["--env-kwargs", SMALL, "--eval-episodes", "0", "--no-progress"]
    assert train_main([*args, "--out", str(tmp_path / "run")]) == 0
    agent = SB3Agent.load(tmp_path / "run" / "model", device="cuda")
    try:
        assert agent.model.device.type == "cuda"
    finally:
        agent.close()


# ---------------------------------------------------------------------------------- pz: paths
class NotAnEnv:
    closed = False

    def close(self) -> None:
        NotAnEnv.closed = True


def returns_no_env(**kwargs: Any) -> NotAnEnv:
    return NotAnEnv()


@pytest.mark.parametrize(
    ("env_id", "message"),
    [
        ("pz:os:system", "it is a builtin_function_or_method, not a Python function"),
        ("pz:shutil:rmtree", "standard-library function shutil.rmtree"),
        ("pz:gymnasium.envs.classic_control:CartPoleEnv", "not a PettingZoo ParallelEnv subclass"),
        ("pz:netgym.envs:FAMILIES", "it is a tuple"),
    ],
)
def test_pz_paths_that_are_not_env_factories_are_refused_uncalled(env_id, message):
    with pytest.raises(ValueError, match=message):
        make_env(env_id)


def test_a_pz_factory_that_returns_no_parallel_env_is_refused_and_closed(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    NotAnEnv.closed = False
    with pytest.raises(ValueError, match="returned a NotAnEnv, not a PettingZoo ParallelEnv"):
        make_env("pz:test_cli_inputs:returns_no_env")
    assert NotAnEnv.closed


def test_train_py_refuses_pz_os_system_before_calling_it(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = train_main(
        ["--env", "pz:os:system", "--agent", "sarsa", "--env-kwargs", '{"command": "touch pwned"}']
    )
    assert "does not name a PettingZoo env factory" in one_line_error(capsys, code, "train.py")
    assert not (tmp_path / "pwned").exists()
