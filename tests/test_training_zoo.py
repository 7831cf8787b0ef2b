"""rl-baselines3-zoo's idioms in train.py's configs and flags: ``lin_<x>`` / ``constant_<x>``
schedules, ``--hyperparams key:value``, ``--algo``, ``-n``, ``.yml`` files and string
``policy_kwargs``."""

from __future__ import annotations

import csv
import json
import pickle

import pytest
import yaml
from netgym.agents.config_loader import parse_overrides, python_mapping, resolve_config
from netgym.agents.schedules import LinearFromStart, parse_zoo_schedule, sb3_schedule
from netgym.cli.train import main
from test_training import (
    ABR,
    SMALL_ENV,
    fake,  # noqa: F401 (the fixture that registers the fake agent)
    train_args,
)

ZOO_YML = f"""\
{ABR}:
  n_timesteps: !!float 300
  policy: 'MlpPolicy'
  n_envs: 2
  learning_rate: lin_3e-4
  clip_range: lin_0.2
  policy_kwargs: "dict(net_arch=[16, 16], activation_fn=nn.Tanh, ortho_init=False)"
"""
"""a per-env block as rl-baselines3-zoo's hyperparams/ppo.yml writes it"""


# ---------------------------------------------------------------------------------- schedules
def test_zoo_schedule_strings_are_a_kind_and_an_initial_value():
    assert parse_zoo_schedule("lin_3e-4") == ("linear", 3e-4)
    assert parse_zoo_schedule("constant_0.2") == ("constant", 0.2)
    assert parse_zoo_schedule("lin_0") == ("linear", 0.0)
    for plain in (0.2, "linear", "rex", "my_value", None):
        assert parse_zoo_schedule(plain) is None
    for bad in ("lin_", "lin_abc", "constant_-1", "lin_inf"):
        with pytest.raises(ValueError, match="takes a finite number >= 0"):
            parse_zoo_schedule(bad, "clip_range")


def test_sb3_clip_range_schedules_follow_sb3s_progress_remaining():
    schedule = sb3_schedule("lin_0.2", "clip_range")
    assert isinstance(schedule, LinearFromStart)
    assert [schedule(p) for p in (1.0, 0.5, 0.0)] == pytest.approx([0.2, 0.1, 0.0])
    assert sb3_schedule("constant_0.1", "clip_range") == 0.1
    assert sb3_schedule(0.3, "clip_range") == 0.3
    assert pickle.loads(pickle.dumps(schedule))(0.5) == pytest.approx(0.1)  # saved models


@pytest.mark.usefixtures("fake")
def test_lin_learning_rate_is_the_rate_with_the_linear_schedule(tmp_path):
    resolved = resolve_config("fake", ABR, overrides=parse_overrides(["learning_rate:lin_1e-3"]))
    assert resolved.hyperparams["learning_rate"] == 1e-3
    assert resolved.trainer["lr_schedule"] == "linear"
    constant = resolve_config("fake", ABR, overrides={"learning_rate": "constant_5e-4"})
    assert constant.hyperparams["learning_rate"] == 5e-4
    assert constant.trainer["lr_schedule"] == "constant"
    clash = {"learning_rate": "lin_1e-3", "lr_schedule": "rex"}
    with pytest.raises(ValueError, match="is a linear schedule but the config sets lr_schedule"):
        resolve_config("fake", ABR, overrides=clash)
    # through train.py: the agent gets the linear schedule and the plain rate
    assert main(train_args(tmp_path / "run", "--hyperparams", "learning_rate:lin_0.01")) == 0
    state = json.loads((tmp_path / "run" / "model" / "fake.json").read_text())
    assert state["context"]["lr_schedule"] == "linear"
    assert state["config"]["learning_rate"] == 0.01


def test_ppo_trains_with_zoo_schedules_for_the_rate_and_the_clip_range(tmp_path):
    from netgym.agents.sb3 import SB3Agent

    out = tmp_path / "ppo"
    argv = ["--env", ABR, "--algo", "ppo", "-n", "64", "--n-envs", "1", "--env-kwargs", SMALL_ENV]
    argv += ["--hyperparams", "learning_rate:lin_1e-3", "clip_range:lin_0.2", "n_steps:32"]
    argv += ["batch_size:32", "n_epochs:1", "--out", str(out), "--eval-episodes", "0"]
    assert main([*argv, "--no-progress"]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["agent"] == "ppo" and config["timesteps"] == 64
    assert config["lr_schedule"] == "linear" and config["hyperparams"]["learning_rate"] == 1e-3
    assert config["hyperparams"]["clip_range"] == "lin_0.2"
    agent = SB3Agent.load(out / "model")
    try:
        assert agent.model.clip_range(0.5) == pytest.approx(0.1)
    finally:
        agent.close()
    with (out / "progress.csv").open(newline="") as file:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(file)]
    assert rates[-1] < 1e-3  # decayed along the run


# ---------------------------------------------------------------------------------- flags
def test_hyperparams_take_the_zoos_key_colon_value_items():
    parsed = parse_overrides(
        ["learning_rate:0.01", "n_steps:64", "net_arch:[64, 64]", "x:None", "url=a:b", "y:c=d"]
    )
    assert parsed == {
        "learning_rate": 0.01,
        "n_steps": 64,
        "net_arch": [64, 64],
        "x": None,  # Python's None, as the zoo writes it
        "url": "a:b",  # the first separator splits
        "y": "c=d",
    }
    with pytest.raises(ValueError, match=r"KEY=VALUE \(or rl-zoo's KEY:VALUE\)"):
        parse_overrides(["novalue"])
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides([":5"])


@pytest.mark.usefixtures("fake")
def test_algo_is_agent_and_n_is_timesteps(tmp_path):
    argv = train_args(tmp_path / "run", timesteps=200)
    argv[argv.index("--agent")] = "--algo"
    argv[argv.index("--timesteps")] = "-n"
    assert main(argv) == 0
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["agent"] == "fake" and config["timesteps"] == 200


# ---------------------------------------------------------------------------------- files
def test_a_zoo_yml_file_is_read_with_its_schedules_and_policy_kwargs(tmp_path):
    path = tmp_path / "ppo.yml"
    path.write_text(ZOO_YML)
    resolved = resolve_config("ppo", ABR, path)
    assert resolved.hyperparams["policy"] == "MlpPolicy"
    assert resolved.hyperparams["learning_rate"] == 3e-4
    assert resolved.hyperparams["clip_range"] == "lin_0.2"
    assert resolved.hyperparams["policy_kwargs"] == {
        "net_arch": [16, 16],
        "activation_fn": "tanh",  # netgym's name of nn.Tanh
        "ortho_init": False,
    }
    assert resolved.trainer == {"n_timesteps": 300.0, "n_envs": 2, "lr_schedule": "linear"}
    assert resolved.sources[-1] == f"{path}#{ABR}"


@pytest.mark.usefixtures("fake")
def test_train_py_accepts_a_yml_config(tmp_path):
    path = tmp_path / "fake.yml"
    path.write_text(f"{ABR}:\n  beta: 9\n  n_timesteps: !!float 150\n")
    argv = train_args(tmp_path / "run", "--config", str(path))
    argv = argv[: argv.index("--timesteps")] + argv[argv.index("--timesteps") + 2 :]
    assert main(argv) == 0
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["hyperparams"]["beta"] == 9 and config["timesteps"] == 150


@pytest.mark.parametrize(
    "text, reason",
    [
        ("dict(a=__import__('os').system('true'))", "is not a literal"),
        ("dict(f=os.system)", "is not a literal"),
        ("[1, 2]", "is not a mapping"),
        ("dict(a=", "is neither a mapping nor dict"),
        ("dict(**other)", "is not a literal"),
    ],
)
def test_string_policy_kwargs_are_parsed_never_evaluated(text, reason):
    with pytest.raises(ValueError, match=reason):
        python_mapping(text, "policy_kwargs")


def test_string_policy_kwargs_keep_literals_and_nested_dicts():
    text = "dict(log_std_init=-2, net_arch=dict(pi=[256], vf=[256]), activation_fn=th.nn.ReLU)"
    assert python_mapping(text, "policy_kwargs") == {
        "log_std_init": -2,
        "net_arch": {"pi": [256], "vf": [256]},
        "activation_fn": "ReLU",
    }
    assert python_mapping("{'a': (1, 2)}", "p") == {"a": [1, 2]}


def test_a_bad_value_of_an_alias_is_named_by_the_options_first_name(capsys):
    assert main(["--env", ABR, "--algo", "qlearning", "-n", "nan", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("train.py: error: argument --timesteps: expected an integer, got 'nan'")
    assert len(err.splitlines()) == 1
