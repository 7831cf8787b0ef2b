"""The README's own training runs can be evaluated, submitted and verified on their protocols
(issue 14, section 4): ``python train.py --env netgym/RepeaterChain-v0 --agent qlearning`` on
``repeater-chain`` and ``python train.py --env netgym/MoeRouting-v0 --agent ppo`` on
``moe-routing-bias`` (short runs of the shipped configs). A run that cannot play a protocol is
told which spaces differ; the SB3 submission's config is held to the documented size caps."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from conftest import importable
from netgym.agents.sb3_inference import SB3_LIMITS, check_bounded_config
from netgym.cli.main import main
from netgym.cli.train import main as train_main
from netgym.envs.make import make_env
from netgym.leaderboard.submission import SubmissionError, submit, verify


def train(out: Path, env: str, agent: str, *extra: str) -> Path:
    args = ["--env", env, "--agent", agent, "--out", str(out), "--eval-episodes", "0"]
    assert train_main([*args, "--no-progress", *extra]) == 0
    return out


def accepted(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    assert main(["leaderboard", "verify", str(path), "--sample", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ACCEPTED {path}")
    return out


# ---------------------------------------------------------------------------------- chain
def test_readme_repeater_chain_qlearning_run_plays_and_submits_repeater_chain(tmp_path, capsys):
    run = train(tmp_path / "run", "netgym/RepeaterChain-v0", "qlearning", "--timesteps", "3000")
    argv = ["leaderboard", "run", "--protocols", "repeater-chain", "--entries", str(run)]
    argv += ["--policies", "swap-asap"]
    capsys.readouterr()  # the training summary
    assert main([*argv, "--no-progress", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["entry"] for r in rows if r["kind"] == "run"] == ["qlearning"]
    out = tmp_path / "q.zip"
    assert main(["leaderboard", "submit", "--entry", str(run), "--out", str(out)]) == 0
    assert "repeater-chain@" in capsys.readouterr().out
    assert "re-ran qlearning on repeater-chain seed 2000004" in accepted(capsys, out)


def test_a_run_on_another_chain_is_told_which_spaces_differ(tmp_path):
    other = json.dumps({"p_gen": 0.3, "p_swap": 1.0, "cutoff": 2})  # Iñesta et al.'s chain
    run = train(
        tmp_path / "run", "netgym/RepeaterChain-v0", "qlearning", "--timesteps", "500",
        "--env-kwargs", other,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"plays none of the protocols \(repeater-chain: it "
                       r"trained on observations Discrete\(80\)"):  # fmt: skip
        submit(run, tmp_path / "q.zip")


# ---------------------------------------------------------------------------------- MoE PPO
@pytest.fixture(scope="module")
def moe_submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    importable("ppo")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        root = tmp_path_factory.mktemp("moe")
        run = train(
            root / "run", "netgym/MoeRouting-v0", "ppo", "--timesteps", "1024", "--device", "cpu"
        )
        assert (
            main(["leaderboard", "submit", "--entry", str(run), "--out", str(root / "p.zip")]) == 0
        )
    finally:
        torch.set_num_threads(threads)
    return root / "p.zip"


@pytest.mark.slow
def test_readme_moe_routing_ppo_run_submits_on_the_bias_protocol_only(moe_submission, capsys):
    with zipfile.ZipFile(moe_submission) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["protocols"]) == {"moe-routing-bias"}  # not the assign-mode one
    assert "re-ran ppo on moe-routing-bias seed 2000002" in accepted(capsys, moe_submission)
    run = moe_submission.parent / "run"
    argv = ["leaderboard", "run", "--quick", "--protocols", "moe-routing,moe-routing-bias"]
    assert main([*argv, "--entries", str(run), "--no-progress", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["protocol"] for r in rows if r["entry"] == "ppo"} == {"moe-routing-bias-quick"}


def _with_config(path: Path, out: Path, change) -> Path:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(members["policy/agent.json"])
    change(meta["config"])
    members["policy/agent.json"] = json.dumps(meta).encode()
    manifest = json.loads(members["manifest.json"])
    manifest["files"] = {
        name: hashlib.sha256(data).hexdigest()
        for name, data in members.items()
        if name != "manifest.json"
    }
    members["manifest.json"] = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    out.write_bytes(buffer.getvalue())
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c.update(policy_kwargs={"net_arch": [4096] * 8}), "above the cap of 20,000,000"),
        (lambda c: c.update(policy_kwargs={"net_arch": [10**6]}), "outside 1..4096"),
        (lambda c: c.update(policy_kwargs={"net_arch": [64] * 100}), "at most 8 layer sizes"),
        (lambda c: c.update(n_steps=10**9), "n_steps=1,000,000,000 is above the cap of 65,536"),
        (lambda c: c.update(policy="CnnPolicy"), "policy must be one of"),
        (
            lambda c: c.update(policy_kwargs={"features_extractor_class": "x"}),
            "policy_kwargs.features_extractor_class cannot be verified",
        ),
        (
            lambda c: c.update(policy_kwargs={"activation_fn": "Transformer"}),
            "activation_fn 'Transformer' is not one of",
        ),
        (lambda c: c.update(policy_kwargs={"net_arch": [32, 32]}), "weights do not fit"),
    ],
)
def test_sb3_configs_beyond_the_caps_are_rejected_before_building(
    moe_submission, tmp_path, change, match
):
    bad = _with_config(moe_submission, tmp_path / "bad.zip", change)
    with pytest.raises(SubmissionError, match=match):
        verify(bad, sample=0)


def test_the_size_check_needs_only_the_spaces():
    env = make_env("netgym/MoeRouting-v0")
    spaces = (env.observation_space, env.action_space)
    env.close()
    check_bounded_config("ppo", {"policy_kwargs": {"net_arch": [256, 256]}}, *spaces)
    for agent in ("dqn", "sac", "td3", "a2c"):
        with pytest.raises(ValueError, match="above the cap"):
            check_bounded_config(agent, {"policy_kwargs": {"net_arch": [4096] * 8}}, *spaces)
    with pytest.raises(ValueError, match="buffer_size=100,000,000 is above the cap"):
        check_bounded_config("sac", {"buffer_size": 10**8}, *spaces)
    assert SB3_LIMITS["parameters"] == 20_000_000  # documented in docs/leaderboard.md
