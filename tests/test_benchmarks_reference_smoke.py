"""``benchmarks/reference_agents.py``: a tiny end-to-end run, the statistics of a row record, and
the generated table of ``docs/benchmark.md`` matching the committed JSON. No timing asserted."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from reference_report import (  # noqa: E402
    BEGIN,
    END,
    protocol_stats,
    replace_table,
    table_rows,
    time_to_heuristic,
)
from reference_rows import TRAINING_OVERRIDES  # noqa: E402


def _record() -> dict:
    """A hand-made row record: 3 seeds, heuristic 'h' scores 1.0 on validation."""
    curves = [
        [(0, 0.0, 0.5), (10, 5.0, 0.9), (20, 10.0, 1.2)],  # beats h at 10 CPU s
        [(0, 0.0, 0.5), (10, 4.0, 1.1), (20, 8.0, 1.3)],  # at 4 CPU s
        [(0, 0.0, 0.5), (10, 6.0, 0.8), (20, 12.0, 0.9)],  # never
    ]
    return {
        "row": "toy",
        "env_id": "netgym/Toy-v0",
        "agent": "ppo",
        "heuristics": ["h", "g"],
        "references": ["r"],
        "bound": "opt",
        "budget": {"timesteps": 20, "cpu_seconds": 12.0, "eval_every": 10, "seeds": 3},
        "validation": {"baselines": {"h": 1.0, "g": 0.7, "r": 1.5}, "metric": "mean_reward"},
        "seeds": [
            {
                "seed": i,
                "steps_done": 20,
                "train_cpu_s": points[-1][1],
                "curve": [{"steps": s, "cpu_s": c, "wall_s": c, "score": v} for s, c, v in points],
            }
            for i, points in enumerate(curves)
        ],
        "protocols": {
            "toy": {
                "label": "toy@000000000000",
                "agent_per_seed": [1.2, 1.3, 1.25],
                "baselines": {"h": 1.0, "g": 0.7, "r": 1.5, "opt": 2.0},
            }
        },
        "command": "python benchmarks/reference_agents.py toy",
    }


def test_time_to_heuristic_is_the_first_validation_above_the_best_heuristic() -> None:
    tth = time_to_heuristic(_record())
    assert tth["heuristic"] == "h" and tth["validation_score"] == 1.0
    assert tth["per_seed"] == [{"cpu_s": 10.0, "steps": 20}, {"cpu_s": 4.0, "steps": 10}, None]
    assert tth["reached"] == 2 and tth["median_cpu_s"] == 10.0
    record = _record()
    record["seeds"] = record["seeds"][2:]
    assert time_to_heuristic(record)["median_cpu_s"] is None  # none reached: not within budget


def test_protocol_stats_compare_the_seeds_iqm_with_the_heuristic_and_the_bound() -> None:
    stats = protocol_stats(_record(), "toy")
    assert stats["iqm"] == pytest.approx(1.25)
    low, high = stats["ci"]
    assert 1.2 <= low <= 1.25 <= high <= 1.3
    assert stats["best_heuristic"] == "h" and stats["beats_best_heuristic"]
    assert stats["gap_to_bound"] == pytest.approx((2.0 - 1.25) / 2.0)
    assert stats["gap_closed"]["h->r"] == pytest.approx(0.25 / 0.5)


def test_a_bound_of_zero_gives_the_absolute_gap_and_no_relative_one() -> None:
    record = _record()
    record["protocols"]["toy"]["baselines"]["opt"] = 0.0  # CollectivePath's optimum: return 0
    stats = protocol_stats(record, "toy")
    assert stats["gap_to_bound"] is None
    assert stats["gap_to_bound_abs"] == pytest.approx(0.0 - 1.25)
    assert protocol_stats(_record(), "toy")["gap_to_bound_abs"] == pytest.approx(2.0 - 1.25)


def test_the_table_is_replaced_between_its_markers_only() -> None:
    record = _record()
    from reference_report import row_summary

    record["summary"] = row_summary(record)
    table = table_rows([record])
    assert "toy@000000000000" in table and "10 CPU s (median; 2/3)" in table
    text = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    assert replace_table(text, table) == f"intro\n{BEGIN}\n{table}\n{END}\noutro\n"
    with pytest.raises(ValueError, match="no generated table"):
        replace_table("no markers", table)


def test_docs_benchmark_table_is_generated_from_the_committed_json() -> None:
    docs = (REPO / "docs" / "benchmark.md").read_text(encoding="utf-8")
    from reference_rows import ROWS

    folder = REPO / "docs" / "benchmark"
    found = {path.stem: path for path in folder.glob("*.json")}
    order = [name for name in ROWS if name in found]
    results = [json.loads(found[name].read_text(encoding="utf-8")) for name in order]
    block = table_rows(results) if results else "(no rows yet)"
    assert f"{BEGIN}\n{block}\n{END}" in docs, (
        "docs/benchmark.md's table is stale: run python benchmarks/reference_agents.py --table"
    )
    for result in results:
        assert len(result["seeds"]) == 5, f"{result['row']}: a reference row has 5 seeds"
        assert (folder / f"{result['row']}-cpu.svg").is_file()


def test_a_tiny_row_trains_validates_scores_and_writes_json_and_curves(tmp_path: Path) -> None:
    pytest.importorskip("sb3_contrib", reason="pip install 'netgym[train]'")
    out, runs = tmp_path / "out", tmp_path / "runs"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "reference_agents.py"),
            "repeater-chain-maskable-ppo",
            "--seeds",
            "2",
            "--timesteps",
            "2048",
            "--eval-every",
            "1024",
            "--validation-episodes",
            "2",
            "--select",
            "best",
            "--protocol-episodes",
            "1",
            "--out",
            str(out),
            "--runs",
            str(runs),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "repeater-chain-maskable-ppo.json").read_text())
    assert [s["seed"] for s in result["seeds"]] == [0, 1]
    for seed in result["seeds"]:
        steps = [p["steps"] for p in seed["curve"]]
        assert steps[0] == 0 and steps == sorted(set(steps)) and steps[-1] == seed["steps_done"]
        assert seed["steps_done"] >= 2048 and seed["train_cpu_s"] > 0
        assert (Path(seed["run_folder"]) / "model").is_dir()
        assert (Path(seed["run_folder"]) / "config.yaml").is_file()
        # the kept model is the trained checkpoint with the best validation score
        assert seed["selected"]["score"] == max(p["score"] for p in seed["curve"][1:])
        assert (Path(seed["run_folder"]) / "last").is_dir()
    assert "--select best" in result["command"] and result["select"] == "best"
    # validation never plays the protocol's evaluation seeds (from 2,000,000)
    assert result["validation"]["seed"] == 500_000
    assert set(result["validation"]["baselines"]) == {"swap-asap", "nested"}
    protocol = result["protocols"]["repeater-chain"]
    assert len(protocol["agent_per_seed"]) == 2 and "optimal" in protocol["baselines"]
    assert result["summary"]["protocols"]["repeater-chain"]["best_heuristic"] == "swap-asap"
    for suffix in ("steps", "cpu"):
        svg = (out / f"repeater-chain-maskable-ppo-{suffix}.svg").read_text()
        assert svg.startswith("<svg") and "swap-asap" in svg
    assert json.loads(done.stdout)["row"] == "repeater-chain-maskable-ppo"
    # the check plays the two models and the heuristic on the same episodes, paired
    from reference_check import check

    checked = check("repeater-chain-maskable-ppo", 3, runs)
    assert len(checked["agent_per_seed"]) == 2 and set(checked["heuristics"]) == {"swap-asap"}
    diff = checked["agent_minus"]["swap-asap"]
    assert diff["mean"] == pytest.approx(checked["agent_mean"] - checked["heuristics"]["swap-asap"])
    assert diff["low"] <= diff["mean"] <= diff["high"]


def test_every_row_is_scored_on_its_env_against_the_protocols_reference_and_oracle() -> None:
    from netgym.leaderboard.protocols import get_protocol, load_family_protocols
    from reference_rows import ROWS

    load_family_protocols()
    for row in ROWS.values():
        for name in row.protocols:
            protocol = get_protocol(name)
            assert protocol.env_id == row.env_id, f"{row.name}: {name} plays {protocol.env_id}"
            anchors = protocol.anchors
            assert anchors.reference in (*row.heuristics, *row.references), row.name
            assert row.bound == anchors.oracle, f"{row.name}: bound {row.bound}"
        assert row.heuristics and row.validation_episodes > 0 and row.eval_every > 0


def test_the_disttrain_rows_train_the_readmes_agents_on_their_protocols() -> None:
    from reference_rows import ROWS

    expected = {
        "collective-path-maskable-ppo": ("netgym/CollectivePath-v0", "greedy-cap"),
        "moe-training-overlap-ppo": ("netgym/MoeTrainingOverlap-v0", "fsmoe"),
        "async-gossip-ppo": ("netgym/AsyncGossip-v0", "dadao"),
        "seq-grad-coding-maskable-ppo": ("netgym/SeqGradCoding-v0", "adaptive"),
    }
    for name, (env_id, heuristic) in expected.items():
        row = ROWS[name]
        assert row.env_id == env_id and row.heuristics == (heuristic,)
        assert row.cpu_seconds is not None and row.cpu_seconds <= 60.0
        assert row.train_env_kwargs(None)  # the protocol's setting, no data needed


def test_a_rows_entry_kwargs_are_kept_by_each_of_its_protocols() -> None:
    from netgym.leaderboard.protocols import get_protocol, load_family_protocols
    from reference_rows import ROWS

    load_family_protocols()
    for row in ROWS.values():
        for name in row.protocols:
            kept = get_protocol(name).entry_kwargs
            assert set(row.entry_kwargs) <= set(kept), f"{row.name}: {name} keeps only {kept}"
        if row.entry_kwargs:
            kwargs = row.train_env_kwargs(None)
            assert all(kwargs[key] == value for key, value in row.entry_kwargs.items())


def test_every_committed_row_was_trained_with_the_configuration_its_row_resolves_to() -> None:
    """A config block (e.g. a tuned one) changed after a row ran makes its record stale."""
    from reference_agents import resolve
    from reference_rows import ROWS

    for path in sorted((REPO / "docs" / "benchmark").glob("*.json")):
        record = json.loads(path.read_text())
        row = ROWS[record["row"]]
        config = json.loads(json.dumps(resolve(row, 0, Path("data")).__dict__, default=str))
        for seed in record["seeds"]:
            recorded = {key: seed[key] for key in ("n_envs", "hyperparams", "lr_schedule")}
            expected = {key: config[key] for key in recorded}
            assert recorded == expected, (
                f"{path.name}: seed {seed['seed']} trained with another configuration than "
                f"{row.agent}.yaml gives {row.env_id} now: rerun "
                f"`python benchmarks/reference_agents.py {row.name}`"
            )
        # a record made before its row reset each validation episode has no 'resets'
        reseeded = record["validation"].get("resets", "").startswith("each episode")
        assert reseeded == row.validation_reseed, (
            f"{path.name} was validated {'with' if reseeded else 'without'} a seed per episode, "
            f"its row says otherwise: rerun `python benchmarks/reference_agents.py {row.name}`"
        )


def test_a_row_resets_validation_episodes_with_a_seed_each_except_on_abrs_traces() -> None:
    from dataclasses import replace

    from reference_agents import validation_resets, validation_setup
    from reference_rows import ROWS

    quantum = ROWS["quantum-scheduling-maskable-ppo"]
    assert quantum.validation_reseed  # its next episode depends on the actions
    assert validation_resets(quantum, 500_000) == "each episode i with seed 500,000 + i"
    chain = ROWS["repeater-chain-maskable-ppo"]
    assert validation_resets(chain, 500_000).startswith("seed 500,000 before the first")
    assert not any(row.validation_reseed for row in ROWS.values() if "Abr" in row.env_id)
    with pytest.raises(ValueError, match="plays its held-out traces in order"):
        validation_setup(replace(ROWS["abr-ppo"], validation_reseed=True), Path("data"))


def test_a_rows_study_tunes_on_its_training_env_apart_from_its_seeds(tmp_path: Path) -> None:
    from reference_rows import ROWS
    from reference_tune import TUNE_SEED, main, tune_command

    row = ROWS["collective-path-maskable-ppo"]
    args = argparse.Namespace(
        row=row.name, timesteps=500, seed=TUNE_SEED, hyperparams=["gamma=0.9"], trials=2,
        jobs=1, evals=2, episodes=1, out=tmp_path,
    )  # fmt: skip
    words = tune_command(args, None)
    assert words[words.index("--env") + 1] == row.env_id
    assert json.loads(words[words.index("--env-kwargs") + 1]) == row.train_env_kwargs(None)
    assert TUNE_SEED >= 5  # the rows train seeds 0-4
    assert words[words.index("--seed") + 1] == str(TUNE_SEED)
    assert words[words.index("--tune") + 1] == "2" and "gamma=0.9" in words
    assert main([row.name, "--timesteps", "500", "--dry-run", "--out", str(tmp_path)]) == 0
    assert not any(tmp_path.iterdir())  # a dry run writes nothing


def test_a_rows_study_runs_its_trials_with_the_torch_threads_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reference_tune

    calls = []
    monkeypatch.setattr(
        reference_tune.subprocess, "call", lambda words, **kw: calls.append((words, kw)) or 0
    )
    row = "collective-path-maskable-ppo"
    assert reference_tune.main([row, "--timesteps", "500", "--out", str(tmp_path)]) == 0
    assert reference_tune.main([row, "--timesteps", "500", "--threads", "2"]) == 0
    assert [kw["env"]["OMP_NUM_THREADS"] for _, kw in calls] == ["1", "2"]
    with pytest.raises(SystemExit):
        reference_tune.main([row, "--timesteps", "500", "--threads", "0"])
    assert len(calls) == 2


@pytest.mark.parametrize("env_id", sorted(TRAINING_OVERRIDES))
def test_a_training_override_keeps_the_observations_and_the_return(
    env_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gymnasium as gym
    import numpy as np
    import reference_rows
    from reference_rows import ROWS

    row = next(row for row in ROWS.values() if row.env_id == env_id)
    trained = row.train_env_kwargs(None)
    monkeypatch.setattr(reference_rows, "TRAINING_OVERRIDES", {})
    protocol = row.train_env_kwargs(None)  # the protocol's setting as it is
    changed = {key for key in trained if trained[key] != protocol[key]}
    assert changed == set(TRAINING_OVERRIDES[env_id])
    if "max_steps" in protocol:
        protocol["max_steps"] = trained["max_steps"] = 16
    played = []
    for kwargs in (trained, protocol):
        env = gym.make(env_id, **kwargs)
        env.action_space.seed(3)
        observations, total, done = [env.reset(seed=3)[0]], 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            observations.append(obs)
            total, done = total + reward, terminated or truncated
        played.append((np.array(observations), total))
    assert np.array_equal(played[0][0], played[1][0])
    assert played[0][1] == pytest.approx(played[1][1], rel=1e-9)


def test_the_check_pairs_each_episode_of_the_seeds_mean_with_the_heuristics() -> None:
    import numpy as np
    from reference_check import paired

    agent = np.array([[1.0, 2.0, 3.0, 4.0], [3.0, 2.0, 1.0, 4.0]])  # seeds' mean: 2, 2, 2, 4
    other = np.array([1.0, 1.0, 1.0, 5.0])  # differences 1, 1, 1, -1
    result = paired(agent, other, reps=2_000)
    assert result["mean"] == pytest.approx(0.5)
    assert -1.0 <= result["low"] < 0.5 < result["high"] <= 1.0
    same = paired(agent, agent.mean(axis=0), reps=100)
    assert same == {"mean": 0.0, "low": 0.0, "high": 0.0}


def test_the_check_refuses_an_unknown_row_and_a_row_without_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reference_check import main

    with pytest.raises(SystemExit):
        main(["no-such-row"])
    with pytest.raises(SystemExit):
        main(["repeater-chain-qlearning", "--runs", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["repeater-chain-qlearning", "--episodes", "1"])
    with pytest.raises(SystemExit):
        main(["abr-ppo", "--runs", str(tmp_path)])  # trace protocols: the data are the episodes
    assert "plays data sets" in capsys.readouterr().err
