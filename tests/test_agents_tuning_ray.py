"""Tuning beyond local processes (``netgym.agents.tuning``): trials as Ray tasks
(``--tune-backend ray``, the ray extra) and a study in another Optuna storage
(``--tune-storage URL``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from netgym.agents.run_config import TrainingSettings

ABR = "netgym/AbrStreaming-v0"
SHORT_ABR = {"synthetic_video": {"n_chunks": 12}}  # 11 steps per episode
needs_optuna = pytest.mark.skipif(
    importlib.util.find_spec("optuna") is None, reason='needs optuna: pip install "netgym[tune]"'
)
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason='needs ray: pip install "netgym[ray]"'
)


def _settings(out: Path, **changes: Any) -> TrainingSettings:
    values: dict[str, Any] = {
        "env": ABR,
        "agent": "qlearning",
        "timesteps": 100,
        "n_envs": 2,
        "env_kwargs": dict(SHORT_ABR),
        "device": "cpu",
        "out": out,
    }
    values.update(changes)
    return TrainingSettings(**values)


def _options(n_trials: int = 2, **changes: Any) -> Any:
    from netgym.agents.tuning import TuneOptions

    return TuneOptions(n_trials=n_trials, evaluations=2, episodes=1, pruner="none", **changes)


@needs_optuna
@needs_ray
def test_ray_backend_runs_the_trials_as_ray_tasks_sharing_the_sqlite_study(tmp_path: Path):
    import ray
    from netgym.agents.tuning import tune

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        seen: list[Any] = []
        run = tmp_path / "run"
        result = tune(_settings(run), _options(3, jobs=2, backend="ray"), on_trial=seen.append)
        assert ray.is_initialized()  # a Ray started by the caller stays up
    finally:
        ray.shutdown()
    assert result.added == 3 and result.counts == {"COMPLETE": 3}
    assert sorted(trial.number for trial in seen) == [0, 1, 2]  # reported after the tasks
    assert result.study_path == run / "tune" / "study.db" and result.study_path.is_file()
    assert result.storage == f"sqlite:///{result.study_path.resolve()}"
    assert result.best_path.is_file()


@needs_optuna
@needs_ray
def test_ray_backend_without_a_running_ray_starts_and_stops_a_local_instance(tmp_path: Path):
    import ray
    from netgym.agents.tuning import tune

    assert not ray.is_initialized()
    result = tune(_settings(tmp_path / "run"), _options(1, backend="ray"))
    assert result.counts == {"COMPLETE": 1} and not ray.is_initialized()


@needs_optuna
def test_ray_backend_without_ray_says_to_install_the_ray_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from netgym.agents.tuning import tune

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(ImportError, match=r'pip install "netgym\[ray\]"'):
        tune(_settings(tmp_path / "run"), _options(1, backend="ray"))
    assert not (tmp_path / "run" / "tune").exists()  # nothing was started


@needs_optuna
def test_options_refuse_an_unknown_backend_and_an_address_without_ray():
    with pytest.raises(ValueError, match="unknown tuning backend 'dask'"):
        _options(backend="dask").validate()
    with pytest.raises(ValueError, match="backend is not 'ray'"):
        _options(address="auto").validate()


@needs_optuna
def test_a_storage_url_holds_the_study_outside_the_run_folder_and_is_continued(tmp_path: Path):
    import optuna
    from netgym.agents.tuning import tune

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    run = tmp_path / "run"
    first = tune(_settings(run), _options(1, storage=url))
    second = tune(_settings(run), _options(2, storage=url))
    assert first.storage == url and second.storage == url
    assert not (run / "tune" / "study.db").exists() and (run / "tune" / "best.yaml").is_file()
    study = optuna.load_study(study_name="qlearning@" + ABR, storage=url)
    assert len(study.trials) == 3 and second.added == 2
    # --overwrite starts a new study in that storage too
    third = tune(_settings(run, overwrite=True), _options(1, storage=url))
    assert third.added == 1
    assert len(optuna.load_study(study_name="qlearning@" + ABR, storage=url).trials) == 1


@needs_optuna
def test_train_py_tune_storage_prints_where_the_study_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from netgym.cli.train import main

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    argv = ["--env", ABR, "--agent", "qlearning", "-n", "100", "--n-envs", "2"]
    argv += ["--env-kwargs", '{"synthetic_video": {"n_chunks": 12}}', "--out", str(tmp_path)]
    argv += ["--tune", "1", "--tune-evals", "2", "--tune-episodes", "1", "--tune-storage", url]
    assert main(argv) == 0
    assert f"study: {url} (1 trial(s) added" in capsys.readouterr().out
