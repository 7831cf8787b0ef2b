"""Bad input to netgym/SparkScheduling-v0 raises clear errors: parameters, TPC-H files (missing,
truncated, crafted pickles, cycles, mismatched stage maps) and actions."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from cjs_common import ENV_ID, make, tpch_folder  # noqa: F401  (a fixture)
from netgym.envs.cjs.synthetic import SyntheticDags
from netgym.envs.cjs.templates import JobTemplate, StageTemplate, topological_order
from netgym.envs.cjs.tpch import load_npy, load_tpch, load_tpch_template

SMALL = {"params": "small"}


# ----------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_jobs": 0}, "SparkParams.n_jobs must be >= 1"),
        ({"n_executors": -3}, "SparkParams.n_executors must be >= 1"),
        ({"n_executors": 2.5}, "SparkParams.n_executors must be an integer"),
        ({"moving_delay_s": 0.0}, "SparkParams.moving_delay_s must be > 0"),
        ({"warmup_delay_s": -1.0}, "SparkParams.warmup_delay_s must be > 0"),
        ({"interarrival_s": 0}, "SparkParams.interarrival_s must be > 0"),
        ({"dag_source": "alibaba"}, "SparkParams.dag_source must be one of"),
        ({"action_format": "tuple"}, "SparkParams.action_format must be one of"),
        ({"invalid_action": "ignore"}, "SparkParams.invalid_action must be one of"),
        ({"data": "/tmp"}, "only read with dag_source='tpch'"),
        ({"tpch_sizes": ("3g",)}, "SparkParams.tpch_sizes must be some of"),
        ({"max_stages": 5}, "SparkParams.max_stages must be >= 18 (the most stages of a job"),
        ({"synthetic": {"n_queries": 0}}, "SyntheticDags.n_queries must be >= 1"),
        ({"synthetic": {"colour": 1}}, "SparkParams.synthetic"),
        ({"n_nodes": 4}, "unknown SparkScheduling parameters ['n_nodes']"),
    ],
)
def test_bad_parameters_raise_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=None) as err:
        gym.make(ENV_ID, **kwargs)
    assert message in str(err.value)


def test_tpch_without_a_folder_says_how_to_get_the_data(monkeypatch, tmp_path):
    monkeypatch.setenv("NETGYM_DATA", str(tmp_path / "empty-root"))
    with pytest.raises(FileNotFoundError, match="netgym data fetch cjs/tpch"):
        gym.make(ENV_ID, dag_source="tpch")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gym.make(ENV_ID, dag_source="tpch", data=str(tmp_path / "nowhere"))


def test_a_synthetic_library_seed_changes_the_dags():
    from netgym.envs.cjs.synthetic import synthetic_library

    first = synthetic_library(SyntheticDags(seed=1)).templates()
    second = synthetic_library(SyntheticDags(seed=2)).templates()
    assert [t.parents for t in first] != [t.parents for t in second]
    assert synthetic_library(SyntheticDags(seed=1)) is synthetic_library(SyntheticDags(seed=1))


# ----------------------------------------------------------------------------- TPC-H files
def _stage(first=(900, 800), rest=(100, 120, 110), fresh=(900,)):
    levels = (2, 5, 10, 20, 40, 50, 60, 80, 100)
    return {
        "first_wave": {level: list(first) for level in levels},
        "fresh_durations": {level: list(fresh) for level in levels},
        "rest_wave": {level: list(rest) for level in levels},
    }


def write_query(folder: Path, size: str, query: int, adjacency, stage_map=None, durations=None):
    """Write the three files of a query the way the anchors' data does."""
    base = folder / size
    base.mkdir(parents=True, exist_ok=True)
    adjacency = np.asarray(adjacency, dtype=float)
    n = len(adjacency)
    stage_map = {i: i for i in range(n)} if stage_map is None else stage_map
    durations = {i: _stage() for i in range(n)} if durations is None else durations
    np.save(base / f"adj_mat_{query}.npy", adjacency)
    np.save(base / f"stage_id_to_node_idx_map_{query}.npy", np.array(stage_map, dtype=object))
    np.save(base / f"task_duration_{query}.npy", np.array(durations, dtype=object))


CHAIN = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_a_written_query_loads_with_its_task_counts_and_cleaned_first_wave(tmp_path):
    write_query(tmp_path, "2g", 1, CHAIN)
    template = load_tpch_template(tmp_path, "2g", 1)
    assert template.parents == ((), (0,), (1,))
    assert [s.n_tasks for s in template.stages] == [5, 5, 5]  # first 2 + rest 3 at level 2
    # the fresh duration 900 is removed from the first wave once: (900, 800) -> (800,)
    np.testing.assert_array_equal(template.stages[0].waves["first_wave"][5], [0.8])


def test_missing_files_raise_file_not_found_naming_them(tmp_path):
    write_query(tmp_path, "2g", 1, CHAIN)
    (tmp_path / "2g" / "task_duration_1.npy").unlink()
    with pytest.raises(FileNotFoundError, match="task_duration_1.npy does not exist"):
        load_tpch_template(tmp_path, "2g", 1)
    with pytest.raises(FileNotFoundError, match="has no 5g/ sub-folder"):
        load_tpch(tmp_path, ("2g", "5g"))


@pytest.mark.parametrize("name", ["adj_mat_1.npy", "task_duration_1.npy"])
def test_truncated_npy_files_raise_naming_the_file(tmp_path, name):
    write_query(tmp_path, "2g", 1, CHAIN)
    path = tmp_path / "2g" / name
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match=f"{name}: truncated or malformed"):
        load_tpch_template(tmp_path, "2g", 1)
    path.write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match=f"{name}: not a valid .npy file"):
        load_tpch_template(tmp_path, "2g", 1)


class _Payload:
    """Pickles as a call to os.system that would create ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "task_duration_1.npy"
    np.save(path, np.array(_Payload(marker), dtype=object))
    with pytest.raises(ValueError, match="refused to unpickle.*system.*not allowed"):
        load_npy(path)
    assert not marker.exists()
    np.save(path, np.array({"a": np.random.default_rng(0)}, dtype=object))
    with pytest.raises(ValueError, match="global numpy.random.* which is not allowed"):
        load_npy(path)


def test_a_dag_with_a_cycle_is_refused(tmp_path):
    write_query(tmp_path, "2g", 1, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="adj_mat_1.npy: the stage DAG has a cycle"):
        load_tpch_template(tmp_path, "2g", 1)
    with pytest.raises(ValueError, match="depends on itself"):
        topological_order([(0,)], "a job")


@pytest.mark.parametrize(
    ("adjacency", "message"),
    [([[0, 1], [0, 0], [0, 0]], "non-empty square matrix"), ([[0, 2], [0, 0]], "only 0 and 1")],
)
def test_a_malformed_adjacency_is_refused(tmp_path, adjacency, message):
    base = tmp_path / "2g"
    base.mkdir()
    np.save(base / "adj_mat_1.npy", np.array(adjacency, dtype=float))
    with pytest.raises(ValueError, match=message):
        load_tpch_template(tmp_path, "2g", 1)


def test_a_stage_map_that_does_not_match_the_adjacency_is_refused(tmp_path):
    write_query(tmp_path, "2g", 1, CHAIN, stage_map={0: 0, 4: 1})
    with pytest.raises(ValueError, match="stage map's rows .* do not match the adjacency's 3"):
        load_tpch_template(tmp_path, "2g", 1)


def test_durations_of_other_stages_than_the_adjacency_are_refused(tmp_path):
    write_query(tmp_path, "2g", 1, CHAIN, durations={0: _stage(), 1: _stage()})
    with pytest.raises(ValueError, match="expected durations of stages 0..2"):
        load_tpch_template(tmp_path, "2g", 1)
    bad = {0: _stage(), 1: _stage(rest=(-5,)), 2: _stage()}
    write_query(tmp_path, "2g", 1, CHAIN, durations=bad)
    with pytest.raises(ValueError, match=r"stage 1 rest_wave\[2\]: durations must be positive"):
        load_tpch_template(tmp_path, "2g", 1)


def test_a_job_template_with_a_cycle_or_unknown_parent_is_refused():
    stage = StageTemplate(n_tasks=1, waves={"first_wave": {5: np.ones(1)}})
    with pytest.raises(ValueError, match="cycle through stages"):
        JobTemplate("loop", parents=((1,), (0,)), stages=(stage, stage))
    with pytest.raises(ValueError, match="parent 7, outside 0..1"):
        JobTemplate("far", parents=((), (7,)), stages=(stage, stage))


def test_the_shared_tpch_folder_loads_completely(tpch_folder, tmp_path):  # noqa: F811
    library = load_tpch(tpch_folder)
    templates = library.templates()
    assert len(templates) == 22 * 7
    stages = [t.n_stages for t in templates]
    assert (min(stages), max(stages)) == (2, 18)
    assert np.mean(stages) == pytest.approx(9.18, abs=0.01)
    assert np.mean([t.n_edges for t in templates]) == pytest.approx(8.5)
    # a copy with one query's adjacency made cyclic is refused, naming the file
    copy = tmp_path / "tpch"
    shutil.copytree(tpch_folder / "2g", copy / "2g")
    adjacency = np.load(copy / "2g" / "adj_mat_6.npy")
    adjacency[1, 0] = 1.0  # query 6 has 2 stages: 0 -> 1; add 1 -> 0
    np.save(copy / "2g" / "adj_mat_6.npy", adjacency)
    with pytest.raises(ValueError, match="adj_mat_6.npy: the stage DAG has a cycle"):
        load_tpch(copy, ("2g",))


# ----------------------------------------------------------------------------- actions
@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"stage": 0}, "must be a dict with 'stage' and 'n_exec'"),
        ({"stage": 0, "n_exec": 0}, r"n_exec \(the executor cap\) must be in \[1, 10\], got 0"),
        ({"stage": 0, "n_exec": 11}, r"must be in \[1, 10\], got 11"),
        ({"stage": 65, "n_exec": 1}, r"stage must be a row in \[0, 63\] or 64 \(none\), got 65"),
        ({"stage": -1, "n_exec": 1}, "got -1"),
        ({"stage": 0.5, "n_exec": 1}, "entries must be integers"),
        ([0, 1], "must be a dict"),
    ],
)
def test_bad_dict_actions_raise(action, message):
    env = make(**SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (np.array([0]), r"2 integers \[stage row, n_exec - 1\]"),
        (np.array([0.0, 1.0]), "2 integers"),
        (np.array([0, 10]), r"must be in \[1, 10\], got 11"),
    ],
)
def test_bad_flat_actions_raise(action, message):
    env = make(**SMALL, action_format="flat")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


def test_raise_mode_refuses_unschedulable_stages_and_too_many_executors():
    env = make(**SMALL, invalid_action="raise")
    obs, _ = env.reset(seed=0)
    shown = int((obs["stage_job"] >= 0).sum())
    with pytest.raises(ValueError, match=f"stage row {shown} is padding"):
        env.step({"stage": shown, "n_exec": 1})
    blocked = np.flatnonzero(obs["stages"][:shown, 3] < 0.5)
    assert len(blocked)  # job 0's stages below its sources wait for them
    with pytest.raises(ValueError, match="not schedulable"):
        env.step({"stage": int(blocked[0]), "n_exec": 1})
    row = int(np.flatnonzero(obs["stages"][:, 3] > 0.5)[0])
    demand = env.sim.demand(env.rows[row])
    env.step({"stage": row, "n_exec": 1})  # promises 1 of the 10 free executors
    assert demand > 1 and env.sim.pools.committable() == env.params.n_executors - 1
    obs = env.observer.observe(env.sim)
    row = int(np.flatnonzero(obs["stages"][:, 3] > 0.5)[0])
    with pytest.raises(ValueError, match="n_exec=10 exceeds the 9 executors this decision"):
        env.step({"stage": row, "n_exec": env.params.n_executors})


def test_stepping_before_reset_raises():
    env = make(**SMALL)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step({"stage": 0, "n_exec": 1})
