"""The ``netgym`` command line (run in-process through ``main``) and the evaluation protocols."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from netgym.baselines import BASELINES
from netgym.cli.main import main
from netgym.envs import ENV_IDS
from netgym.leaderboard import PROTOCOLS, evaluate, get_protocol, run_protocol

ABR = "netgym/AbrStreaming-v0"


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def run_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run a failing command; return its one stderr line after checking status 2, no stdout."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


# ---------------------------------------------------------------------------------- list
def test_list_text_names_envs_baselines_and_protocols(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env_id, description in ENV_IDS.items():
        assert env_id in out and description in out
    for name in BASELINES[ABR]:
        assert f" {name} " in out
    for name in ("abr-synthetic", "hsdpa142", "fcc100"):
        assert name in out


def test_list_json_matches_the_registries(capsys):
    payload = run_json(capsys, ["list", "--json"])
    assert payload["envs"] == ENV_IDS
    assert set(payload["baselines"][ABR]) == set(BASELINES[ABR])
    protocols = {protocol["name"]: protocol for protocol in payload["protocols"]}
    assert set(protocols) == set(PROTOCOLS)
    assert protocols["abr-synthetic"]["needs_data"] is False
    assert protocols["hsdpa142"]["episodes"] == 142
    assert protocols["fcc100"]["data_folders"] == ["fcc-test", "video1"]


# ---------------------------------------------------------------------------------- evaluate
def test_evaluate_json_matches_a_direct_evaluate_call(capsys):
    kwargs = {"qoe": "log", "trace_order": "sequential"}
    payload = run_json(
        capsys,
        [
            "evaluate",
            "--env",
            ABR,
            "--policy",
            "bba",
            "--episodes",
            "3",
            "--seed",
            "7",
            "--env-kwargs",
            json.dumps(kwargs),
            "--json",
        ],
    )
    direct = evaluate("bba", ABR, episodes=3, seed=7, env_kwargs=kwargs)
    assert payload["policy"] == "bba"
    assert payload["seed"] == 7
    assert payload["returns"] == pytest.approx(direct.returns)
    assert payload["mean_rewards"] == pytest.approx(direct.mean_rewards)
    assert payload["mean"] == pytest.approx(direct.mean)
    assert payload["std"] == pytest.approx(direct.std)
    assert payload["mean_reward"] == pytest.approx(direct.mean_reward)


def test_evaluate_text_prints_summary_and_per_episode_returns(capsys):
    assert main(["evaluate", "--env", ABR, "--policy", "rb", "--episodes", "2"]) == 0
    out = capsys.readouterr().out
    direct = evaluate("rb", ABR, episodes=2, seed=0)
    assert f"mean {direct.mean:.4f}" in out
    assert f"std {direct.std:.4f}" in out
    assert f"mean reward per step: {direct.mean_reward:.4f}" in out
    for total in direct.returns:
        assert f"{total:.4f}" in out


def test_evaluate_protocol_takes_env_kwargs_and_episodes_from_it(capsys):
    payload = run_json(
        capsys,
        ["evaluate", "--protocol", "abr-synthetic", "--policy", "bba", "--episodes", "4", "--json"],
    )
    protocol = get_protocol("abr-synthetic")
    direct = evaluate("bba", protocol.env_id, 4, protocol.eval_seeds[0], protocol.env_kwargs())
    assert payload["protocol"]["label"] == f"abr-synthetic@{protocol.version}"
    assert payload["mean_rewards"] == pytest.approx(direct.mean_rewards)
    # the first traces of the held-out data set (seed 1000), in order
    traces = [info["trace"] for info in payload["episode_info"]]
    assert traces == [f"synthetic_1000_{i:04d}" for i in range(4)]


def test_evaluate_protocol_plays_every_evaluation_seed(capsys):
    argv = ["evaluate", "--protocol", "uav-paper", "--policy", "hover", "--episodes", "1"]
    payload = run_json(capsys, argv + ["--json"])
    protocol = get_protocol("uav-paper")
    direct = [
        evaluate("hover", protocol.env_id, 1, seed, protocol.env_kwargs()).mean_rewards[0]
        for seed in protocol.eval_seeds
    ]
    assert payload["mean_rewards"] == pytest.approx(direct)


# ---------------------------------------------------------------------------------- leaderboard
def test_leaderboard_run_sorts_policies_by_normalised_score(capsys):
    argv = ["leaderboard", "run", "--protocols", "abr-synthetic", "--policies", "lowest,bola"]
    payload = run_json(capsys, argv + ["--episodes", "3", "--json", "--no-progress"])
    rows = payload["rows"]
    # the anchors (the floor lowest = 0, mpc = 1) and random always run beside the named ones
    assert sorted(row["entry"] for row in rows) == ["bola", "lowest", "mpc", "random"]
    normalised = [row["normalised"] for row in rows]
    assert normalised == sorted(normalised, reverse=True)
    protocol = get_protocol("abr-synthetic").with_episodes(3)
    assert {row["version"] for row in rows} == {protocol.version}
    for row in rows:
        direct = evaluate(
            row["entry"], protocol.env_id, 3, protocol.eval_seeds[0], protocol.env_kwargs()
        )
        assert row["episodes"] == 3
        assert row["mean"] == pytest.approx(direct.mean_reward)
        assert row["scores"] == pytest.approx(direct.mean_rewards)
    by_entry = {row["entry"]: row for row in rows}
    assert by_entry["lowest"]["normalised"] == 0.0
    assert by_entry["mpc"]["normalised"] == pytest.approx(1.0)
    assert by_entry["random"]["normalised"] < 0.0  # random is worse than the floor here

    assert main(argv + ["--episodes", "3", "--no-progress"]) == 0
    out = capsys.readouterr().out
    header, _, first = out.splitlines()[:3]
    assert header.split() == [
        "protocol",
        "entry",
        "seed",
        "mean",
        "std",
        "ci95",
        "normalised",
        "episodes",
    ]
    assert first.split()[:4] == [
        f"abr-synthetic@{protocol.version}",
        rows[0]["entry"],
        "-",
        f"{rows[0]['mean']:.4f}",
    ]


def test_run_protocol_defaults_to_every_baseline_of_the_env():
    rows = run_protocol("abr-synthetic", episodes=1)
    assert [row.policy for row in rows] == list(BASELINES[ABR])
    version = get_protocol("abr-synthetic").with_episodes(1).version
    assert all(row.episodes == 1 and row.version == version for row in rows)


def test_abr_synthetic_protocol_needs_no_data_and_uses_held_out_traces():
    protocol = get_protocol("abr-synthetic")
    params = protocol.env_kwargs()["params"]
    assert not protocol.needs_data
    assert params.synthetic_traces.seed != 0
    assert params.synthetic_traces.n_traces == protocol.episodes == 50
    assert (params.trace_order, params.start, params.noise) == ("sequential", "beginning", None)


def test_protocol_without_its_data_folder_names_protocol_and_folder(tmp_path, no_data):
    with pytest.raises(FileNotFoundError, match="'hsdpa142'.*hsdpa-test/"):
        get_protocol("hsdpa142").env_kwargs(None)
    with pytest.raises(FileNotFoundError, match=f"'fcc100'.*{tmp_path / 'fcc-test'}"):
        get_protocol("fcc100").env_kwargs(tmp_path)


def test_get_protocol_lists_known_names():
    with pytest.raises(ValueError, match="unknown protocol 'nope'.*abr-synthetic"):
        get_protocol("nope")


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["evaluate", "--env", "nope/Nothing-v0", "--policy", "bba"],
            "unknown env 'nope/Nothing-v0'",
        ),
        (["evaluate", "--env", ABR, "--policy", "nope"], "unknown policy 'nope'"),
        (
            ["evaluate", "--env", ABR, "--policy", "bba", "--env-kwargs", "{qoe: log}"],
            "--env-kwargs is not valid JSON: Expecting property name",
        ),
        (
            ["evaluate", "--env", ABR, "--policy", "bba", "--env-kwargs", "[1, 2]"],
            "--env-kwargs must be a JSON object",
        ),
        (
            ["evaluate", "--env", ABR, "--policy", "bba", "--env-kwargs", '{"qoe": "cubic"}'],
            "AbrParams.qoe must be one of",
        ),
        (
            ["evaluate", "--env", ABR, "--policy", "bba", "--env-kwargs", '{"quoe": "log"}'],
            "unknown AbrStreaming parameters ['quoe']",
        ),
        (["evaluate", "--protocol", "nope", "--policy", "bba"], "unknown protocol 'nope'"),
        (["evaluate", "--protocol", "hsdpa142", "--policy", "bba"], "'hsdpa142' needs a data"),
        (
            ["evaluate", "--protocol", "abr-synthetic", "--env", ABR, "--policy", "bba"],
            "--protocol replaces --env",
        ),
        (["evaluate", "--policy", "bba"], "give --env ID"),
        (["evaluate", "--env", ABR], "required: --policy"),
        (["leaderboard", "run", "--policies", "bba,nope"], "unknown policy 'nope'"),
        (["leaderboard", "run", "--protocols", "abr-synthetic,nope"], "unknown protocol 'nope'"),
        (["leaderboard", "run", "--protocols", "fcc100"], "'fcc100' needs a data folder"),
        (["leaderboard", "run", "--episodes", "51"], "must be in 1..50, got 51"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(capsys, argv, message, no_data):
    assert message in run_error(capsys, argv)


def test_missing_data_dir_names_the_protocol_and_folder(capsys, tmp_path):
    missing = tmp_path / "absent"
    line = run_error(
        capsys, ["evaluate", "--protocol", "fcc100", "--data-dir", str(missing), "--policy", "bba"]
    )
    assert "'fcc100'" in line and str(missing) in line and "--data-dir" in line


# ---------------------------------------------------------------------------------- real data
def test_fcc100_protocol_bba_score(capsys, abr_data: Path):
    payload = run_json(
        capsys,
        ["evaluate", "--protocol", "fcc100", "--data-dir", str(abr_data), "--policy", "bba"]
        + ["--json"],
    )
    assert len(payload["returns"]) == 100
    assert payload["mean_reward"] == pytest.approx(0.764, abs=0.002)


def test_hsdpa142_leaderboard_matches_pensieve_bba(capsys, abr_data: Path):
    payload = run_json(
        capsys,
        ["leaderboard", "run", "--protocols", "hsdpa142", "--policies", "bba", "--json"]
        + ["--data-dir", str(abr_data)],
    )
    (row,) = [row for row in payload["rows"] if row["entry"] == "bba"]
    assert row["episodes"] == 142
    assert row["mean"] == pytest.approx(0.639, abs=0.002)


# ---------------------------------------------------------------------------------- script
def test_installed_console_script_lists_envs():
    script = shutil.which("netgym") or str(Path(sys.executable).with_name("netgym"))
    if not Path(script).exists():
        pytest.fail("the 'netgym' console script is not installed; run pip install -e .")
    completed = subprocess.run(
        [script, "list"], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert ABR in completed.stdout
    assert "abr-synthetic" in completed.stdout


def test_python_dash_m_netgym_is_the_netgym_command(tmp_path):
    import netgym

    version = subprocess.run(
        [sys.executable, "-m", "netgym", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"netgym {netgym.__version__}"
    listed = subprocess.run(
        [sys.executable, "-m", "netgym", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    assert set(json.loads(listed.stdout)["envs"]) == set(ENV_IDS)


def test_version_option_prints_the_package_version(capsys):
    import netgym

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"netgym {netgym.__version__}"


def test_leaderboard_runs_the_uav_protocol(capsys):
    code = main(
        [
            "leaderboard",
            "run",
            "--protocols",
            "uav-paper",
            "--policies",
            "hover,kmeans",
            "--episodes",
            "1",
            "--json",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    scores = {row["entry"]: row["mean"] for row in rows}
    assert set(scores) == {"hover", "kmeans", "random"}  # random: the anchor
    assert 0.0 <= scores["hover"] < scores["kmeans"] <= 0.6  # capacity bound 60 of 100 users
