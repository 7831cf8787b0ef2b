"""train.py / ``netgym train`` (netgym.agents.training): configuration, run folder, checkpoints,
resume, Ctrl-C, evaluation against the baselines, errors; then one real smoke run per agent family.

Most tests use ``FakeAgent``, registered in ``netgym.agents.AGENTS`` for the test only, so that
they prove the training code and not an algorithm, and stay fast.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import yaml
from conftest import importable
from gymnasium import spaces
from netgym.agents import (
    AGENTS,
    AgentUnavailableError,
    compatible_agents,
    config_loader,
    env_spaces,
    get_agent_class,
    training,
)
from netgym.agents.base import Agent, ProgressCallback, TrainingContext
from netgym.agents.config_loader import parse_overrides, resolve_config
from netgym.agents.progress_log import ProgressLog
from netgym.agents.training import run_folder
from netgym.cli import main as cli
from netgym.cli import train as training_cli
from netgym.cli.train import main
from netgym.leaderboard import evaluate
from pettingzoo import ParallelEnv

REPO = Path(__file__).resolve().parents[1]
ABR = "netgym/AbrStreaming-v0"
SMALL_ENV = json.dumps({"synthetic_traces": {"n_traces": 4}})
"""four synthetic traces: makes the env (and the baselines' evaluation) cheap"""

FAKE_YAML = f"""
default:
  alpha: 1
  beta: 1
  gamma: 1
  report_every: 50
{ABR}:
  beta: 2
  gamma: 2
  n_envs: 3
"""


class FakeAgent(Agent):
    """Counts steps, reports ``progress`` every ``report_every`` steps and plays action 0.

    Config keys: ``report_every``, ``interrupt_at`` (raise KeyboardInterrupt there),
    ``sigint_at`` (send SIGINT to this process there), ``bad`` (``create`` raises TypeError).
    """

    name = "fake"

    def __init__(self, config: dict[str, Any], context: dict[str, Any], steps: int = 0) -> None:
        self.config = config
        self.context = context
        self._steps = steps
        self.learn_calls: list[int] = []

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        if not isinstance(action_space, spaces.Discrete):
            return f"fake agents need a Discrete action space, got {action_space}"
        return None

    @classmethod
    def create(cls, context: TrainingContext, config: dict[str, Any]) -> FakeAgent:
        if "bad" in config:
            raise TypeError("create() got an unexpected keyword argument 'bad'")
        plain = {
            "env_id": context.env_id,
            "env_kwargs": context.env_kwargs,
            "seed": context.seed,
            "n_envs": context.n_envs,
            "device": context.device,
            "lr_schedule": context.lr_schedule,
            "total_timesteps": context.total_timesteps,
            "out_dir": str(context.out_dir),
        }
        return cls(dict(config), plain)

    @property
    def steps_done(self) -> int:
        return self._steps

    def learn(self, timesteps: int, progress: ProgressCallback | None = None) -> None:
        self.learn_calls.append(timesteps)
        every = int(self.config.get("report_every", 50))
        end = self._steps + timesteps
        while self._steps < end:
            self._steps = min(self._steps + every, end)
            if self._steps >= self.config.get("interrupt_at", float("inf")):
                raise KeyboardInterrupt
            if self._steps >= self.config.get("sigint_at", float("inf")):
                self.config.pop("sigint_at")
                os.kill(os.getpid(), signal.SIGINT)
            metrics = {"episode_return": float(self._steps)}
            if self._steps > 2 * every:
                metrics["epsilon"] = 0.5
            if progress is not None and not progress(self._steps, metrics):
                return

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        state = {"steps": self._steps, "config": self.config, "context": self.context}
        (path / "fake.json").write_text(json.dumps(state))

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> FakeAgent:
        state = json.loads((path / "fake.json").read_text())
        state["config"].pop("interrupt_at", None)  # a resumed fake trains to the end
        return cls(state["config"], state["context"], state["steps"])

    def reset(self, env: Any) -> None:
        pass

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        return {agent: 0 for agent in obs} if isinstance(obs, dict) else 0

    def set_total_timesteps(self, total_timesteps: int) -> None:
        self.context["total_timesteps"] = total_timesteps

    def summary(self) -> dict[str, Any]:
        return {"steps": self._steps} if self.config.get("summary") else {}

    def close(self) -> None:
        self.closed = True


class FakeBoxAgent(FakeAgent):
    """A fake agent for Box action spaces only (as SAC and TD3)."""

    name = "fake-box"

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        if not isinstance(action_space, spaces.Box):
            return f"fake-box agents need a Box action space, got {action_space}"
        return None


@pytest.fixture
def fake(monkeypatch):
    """Register the fake agents and give 'fake' the packaged config ``FAKE_YAML``."""
    monkeypatch.setitem(AGENTS, "fake", f"{__name__}:FakeAgent")
    monkeypatch.setitem(AGENTS, "fake-box", f"{__name__}:FakeBoxAgent")
    packaged = {"fake": FAKE_YAML}
    monkeypatch.setattr(config_loader, "packaged_config_text", packaged.get)


def train_args(out: Path, *extra: str, timesteps: int = 500) -> list[str]:
    """Arguments of a small fake run on the ABR env."""
    return [
        "--env",
        ABR,
        "--agent",
        "fake",
        "--timesteps",
        str(timesteps),
        "--env-kwargs",
        SMALL_ENV,
        "--eval-episodes",
        "2",
        "--eval-baselines",
        "bba,rb",
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


def read_progress(out: Path) -> list[dict[str, str]]:
    with (out / "progress.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def saved_steps(folder: Path) -> int:
    return json.loads((folder / "fake.json").read_text())["steps"]


# ---------------------------------------------------------------------------------- registry
def test_unknown_agent_lists_the_registered_names():
    with pytest.raises(ValueError, match="unknown agent 'nope'.*ppo.*sarsa|unknown agent 'nope'"):
        get_agent_class("nope")
    with pytest.raises(ValueError) as err:
        get_agent_class("nope")
    assert all(name in str(err.value) for name in AGENTS)


def test_a_broken_agent_module_does_not_break_the_registry(monkeypatch, fake):
    monkeypatch.setitem(AGENTS, "broken", "netgym.agents.no_such_module:Nothing")
    with pytest.raises(AgentUnavailableError, match="'broken'.*cannot be imported"):
        get_agent_class("broken")
    fitting = compatible_agents(ABR, {"synthetic_traces": {"n_traces": 4}})
    assert "fake" in fitting
    assert "broken" not in fitting and "fake-box" not in fitting


# ---------------------------------------------------------------------------------- config
def test_config_layers_apply_in_order_default_env_file_command_line(fake, tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text(f"default:\n  gamma: 3\n  delta: 3\n{ABR}:\n  delta: 4\n  n_timesteps: 900\n")
    resolved = resolve_config("fake", ABR, user, parse_overrides(["delta=5"]))
    assert resolved.hyperparams == {
        "alpha": 1,  # packaged default
        "beta": 2,  # packaged env block
        "gamma": 3,  # user default
        "delta": 5,  # command line, over the user's env block
        "report_every": 50,
    }
    assert resolved.trainer == {"n_envs": 3, "n_timesteps": 900}
    assert resolved.sources == [
        "fake.yaml#default",
        f"fake.yaml#{ABR}",
        f"{user}#default",
        f"{user}#{ABR}",
        "--hyperparams",
    ]
    # a Gymnasium id with a module prefix selects the same block
    assert resolve_config("fake", f"netgym.envs:{ABR}").hyperparams["beta"] == 2


def test_flat_config_files_and_blocks_for_other_envs(fake, tmp_path):
    flat = tmp_path / "flat.yaml"
    flat.write_text("beta: 7\nnet_arch: [8, 8]\n")
    assert resolve_config("fake", ABR, flat).hyperparams["net_arch"] == [8, 8]
    other = tmp_path / "other.yaml"
    other.write_text("netgym/Other-v0:\n  beta: 7\n")
    with pytest.raises(ValueError, match="neither a 'default' block nor one for"):
        resolve_config("fake", ABR, other)
    bad = tmp_path / "bad.yaml"
    bad.write_text("beta: [1, 2\n")
    with pytest.raises(ValueError, match="is not valid YAML"):
        resolve_config("fake", ABR, bad)


def test_hyperparams_values_are_parsed_as_yaml():
    parsed = parse_overrides(["lr=3e-4", "n=8", "flag=false", "arch=[64, 64]", "name=abc", "x="])
    assert parsed == {"lr": 3e-4, "n": 8, "flag": False, "arch": [64, 64], "name": "abc", "x": None}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides(["novalue"])


def test_config_trainer_keys_reach_the_context_unless_given_on_the_command_line(fake, tmp_path):
    assert main(train_args(tmp_path / "a", "--lr-schedule", "rex")) == 0
    context = json.loads((tmp_path / "a" / "model" / "fake.json").read_text())["context"]
    assert context["n_envs"] == 3  # from the packaged env block
    assert context["lr_schedule"] == "rex"
    assert context["total_timesteps"] == 500
    assert context["env_kwargs"] == {"synthetic_traces": {"n_traces": 4}}
    assert main(train_args(tmp_path / "b", "--n-envs", "2")) == 0
    config = yaml.safe_load((tmp_path / "b" / "config.yaml").read_text())
    assert config["n_envs"] == 2
    assert "n_envs" not in config["hyperparams"]


# ---------------------------------------------------------------------------------- run folder
def test_run_folder_layout_config_progress_checkpoints_and_model(fake, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = train_args(tmp_path, "--seed", "7", "--hyperparams", "alpha=0.5", timesteps=1000)
    args = args[: args.index("--out")] + args[args.index("--out") + 2 :]  # default folder
    assert main(args) == 0
    out = tmp_path / "runs" / "netgym_AbrStreaming-v0" / "fake" / "seed-7"
    assert out == tmp_path / run_folder(ABR, "fake", 7)
    tensorboard = importlib.util.find_spec("tensorboard") is not None  # the [train] extra has it
    assert {path.name for path in out.iterdir()} == {
        "config.yaml",
        "model",
        "checkpoints",
        "progress.csv",
        "eval.json",
    } | ({"tb"} if tensorboard else set())
    assert (out / "tb" / "progress").is_dir() == tensorboard
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["hyperparams"] == {"alpha": 0.5, "beta": 2, "gamma": 2, "report_every": 50}
    assert config["seed"] == 7 and config["timesteps"] == 1000 and config["eval_seed"] == 1_000_007
    assert config["env_kwargs"] == {"synthetic_traces": {"n_traces": 4}}
    assert config["netgym_version"] and "git_commit" in config
    # a checkpoint every tenth of the run, the last one being model/
    steps = [int(path.name.split("-")[1]) for path in (out / "checkpoints").iterdir()]
    assert sorted(steps) == list(range(100, 1000, 100))
    assert saved_steps(out / "checkpoints" / "step-300") == 300
    assert saved_steps(out / "model") == 1000
    rows = read_progress(out)
    assert [int(row["steps"]) for row in rows] == list(range(50, 1001, 50))
    assert all(
        float(a["wall_s"]) <= float(b["wall_s"]) for a, b in zip(rows, rows[1:], strict=False)
    )
    assert rows[0]["epsilon"] == "" and rows[-1]["epsilon"] == "0.5"  # a metric that came late


def test_progress_log_widens_its_header_and_keeps_appending(tmp_path):
    log = ProgressLog(tmp_path / "progress.csv")
    log.append(10, 0.1, {"a": 1.0})
    log.append(20, 0.2, {"a": 2.0, "b": 3.0})
    log.append(30, 0.3, {"b": 4.0})
    again = ProgressLog(tmp_path / "progress.csv")
    assert again.columns == ["steps", "wall_s", "a", "b"]
    assert [row["b"] for row in again.rows] == ["", "3.0", "4.0"]
    assert again.last_wall_s == pytest.approx(0.3)
    again.drop_after(15)
    assert [row["steps"] for row in ProgressLog(tmp_path / "progress.csv").rows] == ["10"]


def test_progress_metrics_go_to_tensorboard_when_it_is_installed(fake, tmp_path, monkeypatch):
    scalars = []

    class Writer:
        def add_scalar(self, tag: str, value: float, step: int) -> None:
            scalars.append((tag, value, step))

        def close(self) -> None:
            scalars.append("closed")

    monkeypatch.setattr(training, "tensorboard_writer", lambda folder: Writer())
    assert main(train_args(tmp_path / "run", "--eval-episodes", "0", timesteps=100)) == 0
    assert ("train/episode_return", 50.0, 50) in scalars
    assert scalars[-1] == "closed"


def test_eval_json_scores_agent_and_baselines_on_the_same_held_out_seeds(fake, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(train_args(out, "--eval-baselines", "bba,rb,lowest")) == 0
    report = json.loads((out / "eval.json").read_text())
    assert report["seed"] == 1_000_000 and report["episodes"] == 2
    assert set(report["baselines"]) == {"bba", "rb", "lowest"}
    env_kwargs = {"synthetic_traces": {"n_traces": 4}}
    # the fake always plays level 0: exactly the 'lowest' baseline on the same episodes
    assert report["agent"]["returns"] == report["baselines"]["lowest"]["returns"]
    bba = evaluate("bba", ABR, 2, 1_000_000, env_kwargs)
    assert report["baselines"]["bba"]["returns"] == bba.returns
    for entry in (report["agent"], *report["baselines"].values()):
        assert {"mean", "std", "returns", "mean_reward"} <= set(entry)
        assert len(entry["returns"]) == 2
    assert report["training"]["steps_done"] == 500
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("policy"))) + 2 :]
    after = ("per-episode", "learning curve")  # the lines below the table
    names = [line.split()[0] for line in table if line and not line.startswith(after)]
    assert lines[-1] == f"learning curve: netgym plot {out} --out curves.html"
    means = {
        "fake": report["agent"]["mean"],
        **{k: v["mean"] for k, v in report["baselines"].items()},
    }
    assert names == sorted(means, key=means.get, reverse=True)  # sorted by score


def test_every_baseline_of_the_env_is_evaluated_by_default(fake, tmp_path):
    from netgym.baselines import BASELINES

    args = train_args(tmp_path / "run", timesteps=100)
    args = args[: args.index("--eval-baselines")] + args[args.index("--eval-baselines") + 2 :]
    assert main([*args, "--eval-episodes", "1"]) == 0
    report = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert set(report["baselines"]) == set(BASELINES[ABR])


# ---------------------------------------------------------------------------------- resume
def test_resume_continues_the_step_count_to_a_longer_run(fake, tmp_path):
    out = tmp_path / "run"
    assert main(train_args(out, "--checkpoint-every", "100", timesteps=400)) == 0
    assert main(["--resume", str(out), "--timesteps", "700", "--no-progress"]) == 0
    assert saved_steps(out / "model") == 700
    steps = [int(row["steps"]) for row in read_progress(out)]
    assert steps == list(range(50, 701, 50))
    assert yaml.safe_load((out / "config.yaml").read_text())["timesteps"] == 700
    assert json.loads((out / "eval.json").read_text())["agent"]["steps_done"] == 700


def test_ctrl_c_saves_a_checkpoint_exits_130_and_resume_finishes(fake, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(train_args(out, "--hyperparams", "interrupt_at=250", timesteps=1000))
    assert code == 130
    err = capsys.readouterr().err
    assert f"--resume {out}" in err and "interrupted at step 250" in err
    assert saved_steps(out / "checkpoints" / "step-250") == 250
    assert not (out / "model").exists() and not (out / "eval.json").exists()
    assert main(["--resume", str(out), "--no-progress"]) == 0
    assert saved_steps(out / "model") == 1000
    assert [int(row["steps"]) for row in read_progress(out)][-1] == 1000


def test_first_ctrl_c_stops_the_agent_at_its_next_progress_report(fake, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(train_args(out, "--hyperparams", "sigint_at=150", timesteps=1000))
    assert code == 130
    assert saved_steps(out / "checkpoints" / "step-150") == 150
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    assert "interrupted at step 150" in capsys.readouterr().err


def test_resume_loads_the_latest_of_model_and_checkpoints(fake, tmp_path):
    out = tmp_path / "run"
    assert main(train_args(out, "--eval-episodes", "0", timesteps=300)) == 0
    run = training.prepare_run(training.TrainingSettings(resume=out, timesteps=600))
    assert run.steps_done == 300  # model/ (300) beats checkpoints step-100, step-200
    run.agent.config["interrupt_at"] = 450
    with pytest.raises(training.TrainingInterrupted):
        run.train()
    again = training.prepare_run(training.TrainingSettings(resume=out))
    assert again.steps_done == 450  # the interruption's checkpoint beats model/ (300)


def test_resume_to_a_longer_run_replans_the_learning_rate_schedule(tmp_path):
    # A real tabular agent: its schedule reads the total from the context it was saved with.
    out = tmp_path / "run"
    first = ["--env", "FrozenLake-v1", "--agent", "qlearning", "--lr-schedule", "linear"]
    first += ["--out", str(out), "--eval-episodes", "0", "--no-progress"]
    assert main([*first, "--timesteps", "2000"]) == 0
    assert main(["--resume", str(out), "--timesteps", "4000", "--no-progress"]) == 0
    rows = [(int(r["steps"]), float(r["learning_rate"])) for r in read_progress(out)]
    resumed = [(steps, rate) for steps, rate in rows if steps > 2000]
    assert resumed and resumed[-1][0] == 4000
    # From the resume step on, the rate is that of a run planned for 4000 steps: > 0 until the
    # end and decreasing smoothly (it was 0 everywhere before the fix).
    for steps, rate in resumed:
        assert rate == pytest.approx(0.1 * (1 - steps / 4000), abs=1e-9)
    assert all(rate > 0 for steps, rate in resumed if steps < 4000)
    rates = [rate for _, rate in resumed]
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))
    saved = json.loads((out / "model" / "agent.json").read_text())
    assert saved["context"]["total_timesteps"] == 4000


def test_resume_tells_the_loaded_agent_the_new_total(fake, tmp_path):
    out = tmp_path / "run"
    assert main(train_args(out, "--eval-episodes", "0", timesteps=300)) == 0
    run = training.prepare_run(training.TrainingSettings(resume=out, timesteps=900))
    assert run.agent.context["total_timesteps"] == 900


def test_load_latest_closes_the_agent_it_discards(fake, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert main(train_args(out, "--eval-episodes", "0", timesteps=300)) == 0
    run = training.prepare_run(training.TrainingSettings(resume=out, timesteps=600))
    run.agent.config["interrupt_at"] = 450
    with pytest.raises(training.TrainingInterrupted):
        run.train()
    loaded: list[FakeAgent] = []
    original = FakeAgent.load.__func__

    def load(cls, path, device="auto"):
        loaded.append(original(cls, path, device))
        return loaded[-1]

    monkeypatch.setattr(FakeAgent, "load", classmethod(load))
    again = training.prepare_run(training.TrainingSettings(resume=out))
    assert [agent.steps_done for agent in loaded] == [300, 450]
    assert again.agent is loaded[1] and not hasattr(loaded[1], "closed")
    assert loaded[0].closed


def test_agent_summary_goes_to_eval_json_and_the_printed_summary(fake, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(train_args(out, "--hyperparams", "summary=true", timesteps=100)) == 0
    report = json.loads((out / "eval.json").read_text())
    assert report["agent_summary"] == {"steps": 100}
    assert "fake summary: steps=100" in capsys.readouterr().out
    assert main(train_args(tmp_path / "plain", timesteps=100)) == 0
    assert "agent_summary" not in json.loads((tmp_path / "plain" / "eval.json").read_text())


def test_pso_reports_its_best_parameters_through_train_py(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--env", ABR, "--agent", "pso", "--timesteps", "1", "--env-kwargs", SMALL_ENV]
    args += ["--hyperparams", "n_particles=2", "episodes_per_eval=1", "--out", str(out)]
    assert main([*args, "--eval-episodes", "0", "--no-progress"]) == 0
    summary = json.loads((out / "eval.json").read_text())["agent_summary"]
    assert set(summary["best_params"]) == {"reservoir_s", "cushion_s"}
    assert summary["iteration"] == 1 and summary["best_iteration"] == 0
    assert isinstance(summary["best_score"], float)
    printed = capsys.readouterr().out
    assert "pso summary: best_params={reservoir_s=" in printed
    assert f"best_score={summary['best_score']:.4g}" in printed


# ---------------------------------------------------------------------------------- errors
def test_train_refuses_a_non_empty_folder_unless_overwrite(fake, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(train_args(out)) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert not (out / "config.yaml").exists()
    assert main(train_args(out, "--overwrite")) == 0
    assert main(train_args(out, "--overwrite", "--checkpoint-every", "0")) == 0
    assert not (out / "checkpoints").exists()  # the old run's files were replaced
    assert (out / "notes.txt").read_text() == "keep me"  # other files are never touched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "netgym/Nope-v0", "--agent", "fake"], "unknown env 'netgym/Nope-v0'"),
        (["--env", ABR, "--agent", "nope"], "unknown agent 'nope'; known agents: sarsa"),
        (["--env", ABR, "--agent", "fake-box"], "agents that fit this env: .*fake"),
        (["--env", ABR, "--agent", "fake", "--env-kwargs", "{bad"], "--env-kwargs is not valid"),
        (["--env", ABR, "--agent", "fake", "--env-kwargs", "[1]"], "must be a JSON object"),
        (["--env", ABR, "--agent", "fake", "--env-kwargs", '{"qoe": "x"}'], "qoe"),
        (["--env", ABR, "--agent", "fake", "--config", "missing.yaml"], "does not exist"),
        (["--env", ABR, "--agent", "fake", "--hyperparams", "bad=1"], "bad hyperparameters"),
        (["--env", ABR, "--agent", "fake", "--timesteps", "0"], "timesteps must be"),
        (["--env", ABR, "--agent", "fake", "--eval-baselines", "bbb"], "unknown policy 'bbb'"),
        (["--agent", "fake"], "give --env ID and --agent NAME"),
        (["--resume", "no/such/run"], "--resume folder no/such/run does not exist"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(fake, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("train.py: error: ")
    assert re.search(message, err), err
    assert not (tmp_path / "runs").exists()


def test_config_trainer_keys_are_checked_like_command_line_options(fake, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("n_timesteps: 1e3\nn_envs: 2.0\n")
    settings = training.TrainingSettings(env=ABR, agent="fake", config_file=config)
    resolved = training.resolve_run_config(settings)
    assert (resolved.timesteps, resolved.n_envs, resolved.checkpoint_every) == (1000, 2, 100)
    config.write_text("n_timesteps: many\n")
    with pytest.raises(ValueError, match="timesteps must be an integer >= 1, got 'many'"):
        training.resolve_run_config(settings)


def test_resume_rejects_settings_it_cannot_change(fake, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(train_args(out, "--eval-episodes", "0", timesteps=100)) == 0
    assert main(["--resume", str(out), "--seed", "3", "--no-progress"]) == 2
    assert "--seed cannot be given" in capsys.readouterr().err
    bad_yaml = tmp_path / "bad"
    bad_yaml.mkdir()
    (bad_yaml / "config.yaml").write_text("env: [\n")
    assert main(["--resume", str(bad_yaml)]) == 2
    assert "is not valid YAML" in capsys.readouterr().err


def test_a_box_only_agent_is_told_which_agents_fit(fake):
    with pytest.raises(ValueError, match="cannot train on .*Box action space.*fit this env: "):
        training.prepare_run(training.TrainingSettings(env=ABR, agent="fake-box"))


class TinyParallelEnv(ParallelEnv):
    """A PettingZoo env standing in for a later multi-agent family: two agents, four steps."""

    metadata = {"name": "tiny_v0"}
    possible_agents = ["a0", "a1"]
    observation_spaces = {agent: spaces.Discrete(5) for agent in possible_agents}
    action_spaces = {agent: spaces.Discrete(2) for agent in possible_agents}

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        self.agents = list(self.possible_agents)
        self._t = 0
        return {a: 0 for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]) -> tuple:
        self._t += 1
        done = self._t >= 4
        agents = list(self.agents)
        if done:
            self.agents = []
        return (
            {a: self._t for a in agents},
            {a: float(actions[a]) for a in agents},
            {a: done for a in agents},
            {a: False for a in agents},
            {a: {} for a in agents},
        )


def tiny_parallel_env(**kwargs: Any) -> TinyParallelEnv:
    return TinyParallelEnv()


def test_a_pettingzoo_env_trains_with_its_first_agents_spaces(fake, tmp_path):
    env_id = f"pz:{__name__}:tiny_parallel_env"
    assert env_spaces(env_id) == (spaces.Discrete(5), spaces.Discrete(2))
    assert "fake" in compatible_agents(env_id) and "fake-box" not in compatible_agents(env_id)
    out = tmp_path / "run"
    assert main(["--env", env_id, "--agent", "fake", "--timesteps", "200", "--out", str(out)]) == 0
    assert saved_steps(out / "model") == 200
    assert run_folder(env_id, "fake", 0).parts[1] == f"pz_{__name__}_tiny_parallel_env"


def test_train_py_evaluates_a_pettingzoo_agent_with_team_and_per_agent_returns(fake, tmp_path):
    """The final evaluation plays the PettingZoo env: the team return sums the agents' rewards
    (action 0 earns 0 here, the random baseline's actions 0 or 1 earn up to 8 per episode)."""
    env_id = f"pz:{__name__}:tiny_parallel_env"
    out = tmp_path / "run"
    argv = ["--env", env_id, "--agent", "fake", "--timesteps", "100", "--out", str(out)]
    assert main([*argv, "--eval-episodes", "3"]) == 0
    report = json.loads((out / "eval.json").read_text())
    agent = report["agent"]
    assert agent["returns"] == [0.0, 0.0, 0.0] and agent["lengths"] == [4, 4, 4]
    assert agent["agent_returns"] == {"a0": [0.0] * 3, "a1": [0.0] * 3}
    random = report["baselines"]["random"]
    per_agent = np.array([random["agent_returns"]["a0"], random["agent_returns"]["a1"]])
    assert random["returns"] == pytest.approx(per_agent.sum(axis=0).tolist())
    assert 0 < sum(random["returns"]) <= 24


# ---------------------------------------------------------------------------------- CLI
def test_netgym_train_runs_the_same_code_as_train_py(fake, tmp_path, capsys):
    def without_timing(text: str, out: Path) -> str:
        return re.sub(r"in this call.*?\)", "", text.replace(str(out), "RUN"))

    assert main(train_args(tmp_path / "a")) == 0
    from_script = without_timing(capsys.readouterr().out, tmp_path / "a")
    assert cli.main(["train", *train_args(tmp_path / "b")]) == 0
    assert without_timing(capsys.readouterr().out, tmp_path / "b") == from_script
    configs = [yaml.safe_load((tmp_path / d / "config.yaml").read_text()) for d in "ab"]
    assert configs[0] == configs[1]
    reports = [json.loads((tmp_path / d / "eval.json").read_text()) for d in "ab"]
    assert reports[0]["agent"]["returns"] == reports[1]["agent"]["returns"]
    assert cli.main(["train", "--env", ABR, "--agent", "nope"]) == 2
    assert capsys.readouterr().err.startswith("netgym train: error: unknown agent 'nope'")
    script = {a.dest for a in training_cli.build_parser()._actions}
    sub = cli.build_parser()._subparsers._group_actions[0].choices["train"]
    assert script == {a.dest for a in sub._actions}


def test_train_script_runs_as_a_file(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "train.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0
    for option in ("--timesteps", "--lr-schedule", "--resume", "--config", "--hyperparams"):
        assert option in result.stdout


# ---------------------------------------------------------------------------------- real agents
TINY = {
    "sarsa": {},
    "qlearning": {},
    "pso": {"n_particles": 3, "episodes_per_eval": 1},
    "ppo": {"n_steps": 64, "batch_size": 32, "n_epochs": 1},
    "a2c": {"n_steps": 8},
    "dqn": {"learning_starts": 50, "buffer_size": 1000, "batch_size": 16},
}
"""small hyperparameters (over the packaged configs) for a few hundred steps"""


def _tiny_run(
    name: str, env: str, tmp_path: Path, hyperparams: dict[str, Any], *extra: str
) -> dict[str, Any]:
    """Train ``name`` for 300 steps with small ``hyperparams``; returns its eval.json."""
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({"default": hyperparams, env: hyperparams}))
    out = tmp_path / "run"
    args = ["--env", env, "--agent", name, "--timesteps", "300", "--config", str(config)]
    args += ["--eval-episodes", "2", "--device", "cpu", "--out", str(out), "--no-progress"]
    assert main([*args, *extra]) == 0
    assert (out / "model").is_dir() and (out / "progress.csv").is_file()
    report = json.loads((out / "eval.json").read_text())
    assert report["agent"]["steps_done"] >= 300
    assert len(report["agent"]["returns"]) == 2
    return report


@pytest.mark.parametrize("name", list(TINY))
def test_real_agent_trains_from_train_py_on_abr(name, tmp_path, one_torch_thread):
    importable(name)
    extra = ["--n-envs", "2", "--env-kwargs", SMALL_ENV, "--eval-baselines", "bba"]
    report = _tiny_run(name, ABR, tmp_path, TINY[name], *extra)
    # the saved model reloads and acts as the trained one on the evaluation episodes
    agent = get_agent_class(name).load(tmp_path / "run" / "model", device="cpu")
    again = evaluate(agent, ABR, 2, report["seed"], {"synthetic_traces": {"n_traces": 4}})
    assert again.returns == pytest.approx(report["agent"]["returns"])


@pytest.mark.parametrize("name", ["sac", "td3"])
def test_box_action_agents_refuse_abr_and_train_on_pendulum(
    name, tmp_path, capsys, one_torch_thread
):
    importable(name)
    code = main(["--env", ABR, "--agent", name, "--out", str(tmp_path / "abr"), "--no-progress"])
    assert code == 2
    assert re.search("agents that fit this env: .*ppo", capsys.readouterr().err)
    report = _tiny_run(name, "Pendulum-v1", tmp_path, {"learning_starts": 50, "batch_size": 16})
    assert report["baselines"] == {}  # Gymnasium's Pendulum has no netgym baselines


class MaskedChoiceEnv(gym.Env):
    """Five steps of a choice among 3 actions: 1 pays 1, 0 pays 0, 2 pays -10 and is masked."""

    observation_space = spaces.Box(0.0, 1.0, (2,), dtype=np.float32)
    action_space = spaces.Discrete(3)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self._t = 0
        return np.zeros(2, dtype=np.float32), {}

    def step(self, action: int) -> tuple:
        self._t += 1
        reward = (0.0, 1.0, -10.0)[int(action)]
        return np.full(2, self._t / 5, dtype=np.float32), reward, self._t >= 5, False, {}

    def action_masks(self) -> np.ndarray:
        return np.array([True, True, False])


def test_maskable_ppo_needs_masks_and_trains_on_a_masked_env(tmp_path, capsys, one_torch_thread):
    importable("maskable-ppo")
    code = main(["--env", "CartPole-v1", "--agent", "maskable-ppo", "--out", str(tmp_path / "c")])
    assert code == 2
    assert "action_masks" in capsys.readouterr().err
    env_id = "netgym-test/MaskedChoice-v0"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=f"{__name__}:MaskedChoiceEnv")
    report = _tiny_run("maskable-ppo", env_id, tmp_path, TINY["ppo"])
    assert min(report["agent"]["returns"]) >= 0  # the masked action was never played


def test_maskable_ppo_trains_on_abr_whose_masks_allow_every_level(tmp_path, one_torch_thread):
    importable("maskable-ppo")
    _tiny_run("maskable-ppo", ABR, tmp_path, TINY["ppo"], "--eval-baselines", "none")


def test_tabular_agents_train_on_a_pettingzoo_env(tmp_path):
    importable("qlearning")
    env_id = f"pz:{__name__}:tiny_parallel_env"
    out = tmp_path / "run"
    args = ["--env", env_id, "--agent", "qlearning", "--timesteps", "300", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    assert get_agent_class("qlearning").load(out / "model").steps_done >= 300


def test_train_abr_benchmark_runs_train_py_and_scores_under_fcc100(abr_data, tmp_path):
    out = tmp_path / "run"
    args = ["--timesteps", "2048", "--protocol-episodes", "3", "--torch-threads", "1"]
    args += ["--data-dir", str(abr_data), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "train_abr.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    assert result["protocol_episodes"] == 3 and result["steps_done"] >= 2048
    assert set(result["baselines_same_run"]) == {"bba", "mpc-jump1"}
    assert np.isfinite(result["score"]) and result["train_steps_per_s"] > 0
    assert result["command"].startswith("python train.py --env netgym/AbrStreaming-v0 --agent ppo")
    assert (out / "model").is_dir() and (out / "eval.json").is_file()


def test_default_eval_baselines_leave_out_those_that_cannot_act_on_the_env():
    """MoE routing in its default bias mode: the assign-only rules (balanced, expert-choice,
    hash, lp) are not evaluated beside the agent; in assign mode they are."""
    from netgym.agents.training import RunConfig, baseline_names

    def names(env_kwargs: dict[str, Any]) -> list[str]:
        config = RunConfig.__new__(RunConfig)
        config.env, config.env_kwargs, config.eval_baselines = (
            "netgym/MoeRouting-v0",
            env_kwargs,
            None,
        )
        return baseline_names(config)

    bias = names({"lp_bound": False})
    assign = names({"action_mode": "assign", "lp_bound": False})
    assert {"topk", "aux-free", "random"} <= set(bias)
    assert not {"balanced", "expert-choice", "hash", "lp"} & set(bias)
    assert {"balanced", "expert-choice", "hash", "lp"} <= set(assign)
