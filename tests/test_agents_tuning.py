"""Hyperparameter tuning (``train.py --tune``, ``netgym.agents.tuning``): studies, resumption,
validation seeds and data, pruning, tabular agents, parallel workers and the missing extra."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from netgym.agents.config_loader import read_config_file, resolve_config
from netgym.agents.run_config import EVAL_SEED_OFFSET, TrainingSettings
from netgym.agents.tuning_data import (
    ABR_TEST_TRACE_SEED,
    ABR_VALIDATION_TRACE_SEED,
    PROTOCOL_SEED_BASE,
    validation_env_kwargs,
    validation_seed,
)

ABR = "netgym/AbrStreaming-v0"
SHORT_ABR = {"synthetic_video": {"n_chunks": 12}}  # 11 steps per episode
PPO_PINS = {"n_steps": 32, "batch_size": 32, "n_epochs": 1}  # a rollout of 64 steps
needs_optuna = pytest.mark.skipif(
    importlib.util.find_spec("optuna") is None, reason='needs optuna: pip install "netgym[tune]"'
)


def _settings(out: Path, agent: str = "ppo", **changes: Any) -> TrainingSettings:
    values: dict[str, Any] = {
        "env": ABR,
        "agent": agent,
        "timesteps": 128,
        "n_envs": 2,
        "env_kwargs": dict(SHORT_ABR),
        "hyperparams": dict(PPO_PINS) if agent == "ppo" else {},
        "device": "cpu",
        "out": out,
    }
    values.update(changes)
    return TrainingSettings(**values)


def _options(n_trials: int = 2, **changes: Any) -> Any:
    from netgym.agents.tuning import TuneOptions

    return TuneOptions(n_trials=n_trials, evaluations=2, episodes=1, **changes)


def _study(run: Path) -> Any:
    import optuna

    storage = f"sqlite:///{run / 'tune' / 'study.db'}"
    return optuna.load_study(study_name=None, storage=storage)


# --------------------------------------------------------------------- studies and best.yaml
@needs_optuna
@pytest.mark.usefixtures("one_torch_thread")
def test_ppo_study_on_abr_writes_study_db_and_a_best_yaml_that_loads_as_a_config(
    tmp_path: Path,
) -> None:
    from netgym.agents.training import prepare_run
    from netgym.agents.tuning import tune

    run = tmp_path / "run"
    result = tune(_settings(run), _options())
    assert result.study_path == run / "tune" / "study.db" and result.study_path.is_file()
    assert result.best_path == run / "tune" / "best.yaml"
    assert result.added == 2 and sum(result.counts.values()) == 2
    data = yaml.safe_load(result.best_path.read_text(encoding="utf-8"))
    assert list(data) == [ABR]  # rl-baselines3-zoo's layout: env id -> hyperparameters
    block = data[ABR]
    assert block["n_envs"] == 2 and block["n_timesteps"] == 128
    assert {key: block[key] for key in PPO_PINS} == PPO_PINS  # pinned keys are kept, not drawn
    best = _study(run).best_trial
    assert "n_steps" not in best.params and "learning_rate" in best.params
    assert block["learning_rate"] == pytest.approx(best.params["learning_rate"])
    # the block is a config: the loader reads it, and a training run is created from it
    [(label, layer)] = read_config_file(result.best_path, ABR)
    assert layer == block and label.endswith(f"#{ABR}")
    resolved = resolve_config("ppo", ABR, result.best_path)
    assert resolved.trainer["n_timesteps"] == 128
    training = prepare_run(
        TrainingSettings(
            env=ABR, agent="ppo", config_file=result.best_path, out=tmp_path / "train", device="cpu"
        )
    )
    assert training.config.timesteps == 128 and training.config.n_envs == 2
    assert training.config.hyperparams["learning_rate"] == pytest.approx(block["learning_rate"])
    training.agent.close()


@needs_optuna
@pytest.mark.usefixtures("one_torch_thread")
def test_a_second_tune_call_continues_the_study_adding_trials(tmp_path: Path) -> None:
    from netgym.agents.tuning import tune

    run = tmp_path / "run"
    tune(_settings(run), _options(n_trials=1))
    again = tune(_settings(run), _options(n_trials=2))
    assert again.added == 2 and len(_study(run).trials) == 3
    numbers = [trial.number for trial in _study(run).trials]
    assert numbers == [0, 1, 2]
    # the resumed call draws new points (its sampler is seeded past the existing trials)
    params = [trial.params for trial in _study(run).trials]
    assert params[0] != params[1] and params[0] != params[2]
    with pytest.raises(ValueError, match="other settings.*timesteps"):
        tune(_settings(run, timesteps=256), _options(n_trials=1))
    fresh = tune(_settings(run, overwrite=True), _options(n_trials=1))
    assert fresh.added == 1 and len(_study(run).trials) == 1


# --------------------------------------------------------------------- validation
@needs_optuna
@pytest.mark.usefixtures("one_torch_thread")
def test_trials_share_the_cores_between_the_jobs_and_give_the_caller_its_threads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's default, a thread per core in every job, oversubscribes the cores (2026-12-08:
    two studies side by side on 2 cores spent a third of their CPU time in the extra threads)."""
    import netgym.evaluation
    import torch
    from netgym.agents.tuning import plan_tuning, tune

    monkeypatch.setattr("netgym.agents.tuning.os.cpu_count", lambda: 6)
    plan = lambda **kw: plan_tuning(_settings(tmp_path / "p"), _options(**kw))  # noqa: E731
    assert plan().threads == 6 and plan(jobs=4).threads == 1 and plan(jobs=2).threads == 3
    assert plan(jobs=2, backend="ray").threads == 1  # a Ray task has one CPU
    monkeypatch.setattr("netgym.agents.tuning.os.cpu_count", lambda: 2)
    seen = []
    evaluate = netgym.evaluation.evaluate
    monkeypatch.setattr(
        netgym.evaluation,
        "evaluate",
        lambda *a, **kw: seen.append(torch.get_num_threads()) or evaluate(*a, **kw),
    )
    torch.set_num_threads(4)  # the fixture restores the count
    tune(_settings(tmp_path / "run"), _options(n_trials=1))
    assert seen == [2, 2]  # two validations, on this machine's 2 cores
    assert torch.get_num_threads() == 4  # the caller's
    torch.set_num_threads(1)  # as OMP_NUM_THREADS=1 would: never more than the caller's
    tune(_settings(tmp_path / "run"), _options(n_trials=1))
    assert seen == [2, 2, 1, 1] and torch.get_num_threads() == 1


def test_validation_seeds_are_disjoint_from_the_evaluation_seeds() -> None:
    from netgym.leaderboard.protocols import LEADERBOARD_SEED_BASE, PROTOCOLS

    assert PROTOCOL_SEED_BASE == LEADERBOARD_SEED_BASE
    protocol_seeds = {seed for protocol in PROTOCOLS.values() for seed in protocol.eval_seeds}
    assert protocol_seeds and min(protocol_seeds) >= LEADERBOARD_SEED_BASE
    for seed in (0, 1, 7, 1000, 400_000):
        for n_envs in (1, 8, 256):
            value = validation_seed(seed, n_envs)
            assert value not in protocol_seeds
            assert value != EVAL_SEED_OFFSET + seed  # train.py's final evaluation
            assert value not in range(seed, seed + n_envs)  # the training seeds
            assert value < EVAL_SEED_OFFSET
    with pytest.raises(ValueError, match="too large for tuning"):
        validation_seed(EVAL_SEED_OFFSET, 1)


def test_abr_validation_plays_synthetic_traces_apart_from_the_test_set() -> None:
    from netgym.envs.abr import AbrParams
    from netgym.leaderboard.protocols import get_protocol

    test = get_protocol("abr-synthetic").build_env_kwargs(None)["params"]
    assert test.synthetic_traces.seed == ABR_TEST_TRACE_SEED
    train, valid, note = validation_env_kwargs(ABR, {})
    valid_params = AbrParams.coerce(valid["params"])
    assert AbrParams.coerce(train["params"]).synthetic_traces.seed == 0
    assert valid_params.synthetic_traces.seed == ABR_VALIDATION_TRACE_SEED != ABR_TEST_TRACE_SEED
    assert valid_params.trace_order == "sequential" and "500" in note
    with pytest.raises(ValueError, match="test set"):
        validation_env_kwargs(ABR, {"synthetic_traces": {"seed": ABR_TEST_TRACE_SEED}})


def _trace_folder(folder: Path, count: int) -> Path:
    folder.mkdir()
    for index in range(count):
        lines = [f"{t}.0 {1.0 + 0.1 * index}" for t in range(40)]
        (folder / f"trace_{index:02d}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_abr_trace_files_hold_out_every_fifth_for_validation_and_test_sets_are_refused(
    tmp_path: Path,
) -> None:
    from netgym.envs.abr import AbrParams

    folder = _trace_folder(tmp_path / "my-train", 10)
    train, valid, note = validation_env_kwargs(ABR, {"traces": str(folder)})
    train_files = [Path(p).name for p in AbrParams.coerce(train["params"]).traces]
    valid_files = [Path(p).name for p in AbrParams.coerce(valid["params"]).traces]
    assert valid_files == ["trace_04", "trace_09"]
    assert len(train_files) == 8 and not set(train_files) & set(valid_files)
    assert "2 held-out trace files" in note
    test_folder = _trace_folder(tmp_path / "fcc-test", 10)
    with pytest.raises(ValueError, match="never validates on test traces"):
        validation_env_kwargs(ABR, {"traces": str(test_folder)})


def test_abr_training_files_named_test_in_a_train_folder_are_training_traces(
    tmp_path: Path,
) -> None:
    from netgym.envs.abr import AbrParams

    folder = tmp_path / "fcc-train"
    folder.mkdir()
    for index in range(5):  # Pensieve's fcc-train/ files are named test_fcc_trace_*
        lines = [f"{t}.0 {1.0 + 0.1 * index}" for t in range(40)]
        (folder / f"test_fcc_trace_{index}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, valid, _ = validation_env_kwargs(ABR, {"traces": str(folder)})
    assert [Path(p).name for p in AbrParams.coerce(valid["params"]).traces] == ["test_fcc_trace_4"]
    loose = tmp_path / "mine"
    loose.mkdir()
    for name in ("trace_a", "test_trace_b"):
        (loose / name).write_text("0.0 1.0\n1.0 1.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="never validates on test traces"):
        validation_env_kwargs(ABR, {"traces": str(loose)})


def test_other_envs_are_validated_on_the_env_as_configured() -> None:
    kwargs = {"n_nodes": 4}
    train, valid, _ = validation_env_kwargs("netgym/RepeaterChain-v0", kwargs)
    assert train == valid == kwargs


# --------------------------------------------------------------------- pruning, kinds, options
@needs_optuna
@pytest.mark.usefixtures("one_torch_thread")
def test_a_trial_is_pruned_at_its_first_validation_when_the_pruner_says_so(
    tmp_path: Path,
) -> None:
    import optuna
    from netgym.agents.tuning import tune

    run = tmp_path / "run"
    always = optuna.pruners.ThresholdPruner(lower=1e9)  # every score is below: prune
    with pytest.raises(ValueError, match="no trial .* has completed"):
        tune(_settings(run), _options(n_trials=2), pruner=always)
    trials = _study(run).trials
    assert [trial.state.name for trial in trials] == ["PRUNED", "PRUNED"]
    for trial in trials:
        assert list(trial.intermediate_values) == [0]  # stopped after the first evaluation
        assert trial.user_attrs["steps_done"] < 128  # ... before the whole budget


def test_each_agent_kind_gets_its_sampler_and_pruner() -> None:
    optuna = pytest.importorskip("optuna", reason='needs optuna: pip install "netgym[tune]"')
    from netgym.agents.tuning_spaces import agent_kind, make_pruner, make_sampler

    assert agent_kind("ppo") == "sb3" and agent_kind("qlearning") == "tabular"
    assert isinstance(make_sampler("auto", 0), optuna.samplers.TPESampler)
    assert isinstance(make_sampler("random", 0), optuna.samplers.RandomSampler)
    assert isinstance(make_pruner("auto", "sb3", 4), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner("auto", "tabular", 4), optuna.pruners.SuccessiveHalvingPruner)
    assert isinstance(make_pruner("none", "sb3", 4), optuna.pruners.NopPruner)
    with pytest.raises(ValueError, match="cannot be tuned.*tunable agents: ppo"):
        agent_kind("pso")


@needs_optuna
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize(
    ("agent", "env_id", "env_kwargs"),
    [
        ("ppo", ABR, SHORT_ABR),
        ("maskable-ppo", ABR, SHORT_ABR),
        ("a2c", ABR, SHORT_ABR),
        ("dqn", ABR, SHORT_ABR),
        ("sac", "netgym/MoeRouting-v0", {"lp_bound": False}),
        ("td3", "netgym/MoeRouting-v0", {"lp_bound": False}),
    ],
)
def test_every_sb3_search_space_gives_hyperparameters_the_agent_accepts(
    agent: str, env_id: str, env_kwargs: dict[str, Any]
) -> None:
    import optuna
    from conftest import importable
    from netgym.agents import get_agent_class
    from netgym.agents.base import TrainingContext
    from netgym.agents.tuning_spaces import sample_hyperparams

    importable(agent)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    base = resolve_config(agent, env_id).hyperparams
    pins = {"buffer_size": 500} if agent in ("dqn", "sac", "td3") else {}  # small replay
    for _ in range(2):
        trial = study.ask()
        sampled = sample_hyperparams(agent, trial, 10_000, pins)
        assert sampled and not set(pins) & set(sampled) and "learning_rate" in trial.params
        context = TrainingContext(env_id, dict(env_kwargs), n_envs=1, device="cpu")
        created = get_agent_class(agent).create(context, {**base, **sampled, **pins})
        created.close()


@needs_optuna
def test_tabular_tuning_draws_alpha_gamma_and_the_epsilon_schedule(tmp_path: Path) -> None:
    from netgym.agents.tabular_config import TabularConfig
    from netgym.agents.tuning import tune

    run = tmp_path / "run"
    result = tune(_settings(run, agent="qlearning", timesteps=200), _options(n_trials=2))
    assert result.counts.get("COMPLETE", 0) >= 1
    params = set(_study(run).trials[0].params)
    assert {"learning_rate", "gamma", "epsilon_start", "epsilon_end", "epsilon_decay"} <= params
    block = yaml.safe_load(result.best_path.read_text(encoding="utf-8"))[ABR]
    config = {k: v for k, v in block.items() if k not in ("n_envs", "n_timesteps", "env_kwargs")}
    tabular = TabularConfig.from_dict(config)
    assert 1 <= tabular.epsilon_decay_steps <= 200
    assert tabular.features == (7, 15, 23)  # the packaged ABR block's discretisation is kept


@needs_optuna
def test_tune_jobs_runs_trials_in_local_processes_sharing_the_sqlite_study(
    tmp_path: Path,
) -> None:
    from netgym.agents.tuning import tune

    run = tmp_path / "run"
    settings = _settings(run, agent="qlearning", timesteps=100)
    result = tune(settings, _options(n_trials=3, jobs=2, pruner="none"))
    assert result.added == 3 and result.counts == {"COMPLETE": 3}


# --------------------------------------------------------------------- the command line
@needs_optuna
def test_train_py_tune_prints_the_best_block_and_the_training_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netgym.cli.train import main

    out = tmp_path / "run"
    argv = ["--env", ABR, "--agent", "qlearning", "-n", "100", "--n-envs", "2"]
    argv += ["--env-kwargs", '{"synthetic_video": {"n_chunks": 12}}', "--out", str(out)]
    argv += ["--tune", "2", "--tune-evals", "2", "--tune-episodes", "1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert f"{ABR}:" in captured.out and "epsilon_decay_steps" in captured.out
    assert f"--config {out / 'tune' / 'best.yaml'}" in captured.out
    assert "trial 0:" in captured.err and (out / "tune" / "best.yaml").is_file()
    assert main([*argv, "--resume", str(out)]) == 2
    assert "--resume cannot be given with it" in capsys.readouterr().err
    assert main([*argv, "--eval-episodes", "0"]) == 2
    assert "--eval-episodes cannot be given with it" in capsys.readouterr().err


def test_without_optuna_tuning_says_to_install_the_tune_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netgym.agents.tuning import require_optuna
    from netgym.cli.train import main

    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna raises ImportError
    with pytest.raises(ImportError, match=r'pip install "netgym\[tune\]"'):
        require_optuna()
    argv = ["--env", ABR, "--agent", "qlearning", "--out", str(tmp_path), "--tune", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("train.py: error: tuning needs optuna")
    assert 'pip install "netgym[tune]"' in err
    assert not (tmp_path / "tune").exists()


def test_validation_episodes_get_a_seed_each_except_abrs_traces_played_in_order() -> None:
    from netgym.agents.tuning_data import VALIDATION_SEED_OFFSET, reseeds_validation

    assert not reseeds_validation(ABR)  # a seeded reset would restart the traces at the first
    assert reseeds_validation("netgym/QuantumNetworkScheduling-v0")
    assert reseeds_validation("netgym/RepeaterChain-v0")
    # every validation episode's seed stays below train.py's evaluation seeds
    top = EVAL_SEED_OFFSET - VALIDATION_SEED_OFFSET - 3
    assert validation_seed(top, 1, episodes=3) == EVAL_SEED_OFFSET - 3
    with pytest.raises(ValueError, match=r"validation seeds 999998\.\.1000000 .*below 499,998"):
        validation_seed(top + 1, 1, episodes=3)


@needs_optuna
def test_a_study_validated_one_seed_per_episode_does_not_continue_an_older_one(
    tmp_path: Path,
) -> None:
    """Studies made before the validation episodes had a seed each (no ``validation_resets``
    in their settings) are refused for the envs whose validation changed, kept for ABR."""
    from netgym.agents.tuning import plan_tuning

    chain = _settings(tmp_path / "chain", env="netgym/RepeaterChain-v0", env_kwargs={})
    plan = plan_tuning(chain, _options())
    assert plan.reseed and plan.identity()["validation_resets"] == "each episode"
    assert "its own seed" in plan.validation
    abr = plan_tuning(_settings(tmp_path / "abr"), _options())
    assert not abr.reseed and "validation_resets" not in abr.identity()
