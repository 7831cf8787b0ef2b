"""SB3 ``.zip`` models and rl-baselines3-zoo run folders as leaderboard entries, end to end.

A tiny PPO is trained with SB3 itself on netgym/AbrStreaming-v0 (128 steps), saved as a
``.zip`` and laid out as the zoo lays out a run (``logs/ppo/netgym-AbrStreaming-v0_1`` with
``best_model.zip``, ``netgym-AbrStreaming-v0.zip`` and ``netgym-AbrStreaming-v0/args.yml`` /
``config.yml`` dumped from ``OrderedDict`` as the zoo dumps them); both are entered on
abr-synthetic-quick through the ``netgym leaderboard`` commands.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import OrderedDict
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml
from netgym.cli.main import main
from netgym.leaderboard import get_protocol

pytest.importorskip("stable_baselines3", reason='SB3 entries need pip install "netgym[train]"')
pytestmark = pytest.mark.usefixtures("one_torch_thread")

ABR = "netgym/AbrStreaming-v0"
ENV_NAME = "netgym-AbrStreaming-v0"
PROTOCOL = "abr-synthetic-quick"


def write_zoo_run(root: Path, model: Path, config: dict, seed: int = 7) -> Path:
    """A zoo run folder around ``model``, as ``rl_zoo3.train`` writes it."""
    run = root / "logs" / "ppo" / f"{ENV_NAME}_1"
    params = run / ENV_NAME
    params.mkdir(parents=True)
    shutil.copy(model, run / "best_model.zip")
    shutil.copy(model, run / f"{ENV_NAME}.zip")
    args = {"algo": "ppo", "env": ABR, "env_kwargs": None, "seed": seed, "n_timesteps": 128}
    (params / "args.yml").write_text(yaml.dump(OrderedDict(sorted(args.items()))))
    (params / "config.yml").write_text(yaml.dump(OrderedDict(sorted(config.items()))))
    return run


@pytest.fixture(scope="module")
def sb3_model(tmp_path_factory) -> Path:
    import netgym.envs  # noqa: F401
    from stable_baselines3 import PPO

    model = PPO(
        "MlpPolicy",
        gym.make(ABR),
        n_steps=64,
        batch_size=32,
        n_epochs=1,
        seed=0,
        device="cpu",
        policy_kwargs={"net_arch": [16, 16]},
    )
    model.learn(128)
    path = tmp_path_factory.mktemp("sb3") / "ppo_abr.zip"
    model.save(path)
    return path


@pytest.fixture()
def zoo_run(sb3_model: Path, tmp_path: Path) -> Path:
    config = {"n_timesteps": 128, "policy": "MlpPolicy", "policy_kwargs": "dict(net_arch=[16])"}
    return write_zoo_run(tmp_path, sb3_model, config)


def board(argv: list[str], capsys) -> dict:
    assert main(["leaderboard", "run", "--protocols", PROTOCOL, *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def rows_of(payload: dict, entry: str) -> list[dict]:
    return [row for row in payload["rows"] if row["entry"] == entry]


def direct_scores(model_path: Path) -> list[float]:
    """The model's per-episode scores on the protocol, evaluated without the entry code."""
    from netgym.evaluation import evaluate
    from netgym.leaderboard.inprocess import episode_scores
    from stable_baselines3 import PPO

    model = PPO.load(model_path, device="cpu")

    class Direct:
        def reset(self, env) -> None:
            pass

        def act(self, obs, info):
            return int(model.predict(obs, deterministic=True)[0])

    protocol = get_protocol(PROTOCOL)
    scores = []
    for seed in protocol.eval_seeds:
        result = evaluate(Direct(), protocol.env_id, protocol.episodes, seed, protocol.env_kwargs())
        scores.extend(episode_scores(result, protocol.metric))
    return scores


def test_sb3_zip_and_zoo_run_need_trust_code(sb3_model, zoo_run, tmp_path, capsys, monkeypatch):
    """Without --trust-code, both are refused with a message naming the flag, before SB3
    loads (unpickles) anything."""
    from netgym.leaderboard.entries import parse_entry
    from stable_baselines3 import PPO

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded without --trust-code")

    monkeypatch.setattr(PPO, "load", never)
    for spec in (f"sb3:ppo:{sb3_model}", str(zoo_run), f"zoo:{zoo_run}"):
        with pytest.raises(ValueError, match="unpickling; pass --trust-code"):
            parse_entry(spec)
        argv = ["leaderboard", "run", "--protocols", PROTOCOL, "--entries", spec]
        assert main(argv) == 2
        assert "--trust-code" in capsys.readouterr().err
        out = tmp_path / "sub.zip"
        assert main(["leaderboard", "submit", "--entry", spec, "--out", str(out), "--quick"]) == 2
        assert "--trust-code" in capsys.readouterr().err and not out.exists()


def test_sb3_zip_entry_plays_as_the_model(sb3_model, capsys):
    """An sb3:ppo:PATH.zip entry scores exactly what the model's own predict() scores."""
    payload = board(["--entries", f"mine=sb3:ppo:{sb3_model}", "--trust-code"], capsys)
    (row,) = rows_of(payload, "mine")
    assert row["kind"] == "sb3" and row["train_seed"] is None
    np.testing.assert_allclose(row["scores"], direct_scores(sb3_model), rtol=1e-9)


def test_zoo_run_entry(sb3_model, zoo_run, capsys):
    """A zoo run folder enters with its env and seed from args.yml and its best model; it
    scores as the SB3 .zip of the same model."""
    from netgym.agents.sb3_zip import zoo_run as read_run
    from netgym.leaderboard.entries import parse_entry

    run = read_run(zoo_run)
    assert (run.algo, run.env_id, run.seed) == ("ppo", ABR, 7)
    assert run.model.name == "best_model.zip" and run.normalize is None
    entry = parse_entry(str(zoo_run), trust_code=True)
    assert (entry.kind, entry.env_id, entry.train_seed, entry.name) == ("zoo", ABR, 7, "ppo-zoo")
    payload = board(["--entries", f"{zoo_run},sb3:ppo:{sb3_model}", "--trust-code"], capsys)
    (zoo_row,) = rows_of(payload, "ppo-zoo")
    (sb3_row,) = rows_of(payload, "ppo:ppo_abr")
    assert zoo_row["train_seed"] == 7 and zoo_row["kind"] == "zoo"
    assert zoo_row["scores"] == sb3_row["scores"]
    (zoo_run / "best_model.zip").unlink()  # the last model, <env-name>.zip, is taken then
    assert read_run(zoo_run).model.name == f"{ENV_NAME}.zip"


def test_zoo_run_refusals(sb3_model, tmp_path):
    from netgym.agents.sb3_zip import zoo_run as read_run

    stacked = write_zoo_run(tmp_path / "a", sb3_model, {"frame_stack": 4})
    with pytest.raises(ValueError, match="frame_stack: a leaderboard entry plays the plain env"):
        read_run(stacked)
    for name in ("best_model.zip", f"{ENV_NAME}.zip"):
        (stacked / name).unlink()
    (stacked / ENV_NAME / "config.yml").write_text("n_timesteps: 128\n")
    with pytest.raises(FileNotFoundError, match="has no model"):
        read_run(stacked)
    evil = write_zoo_run(tmp_path / "b", sb3_model, {})
    marker = tmp_path / "ran"
    (evil / ENV_NAME / "args.yml").write_text(
        f"!!python/object/apply:os.system ['touch {marker}']\n"
    )
    with pytest.raises(ValueError, match="not a YAML file netgym reads"):
        read_run(evil)
    assert not marker.exists()
    with pytest.raises(FileNotFoundError, match="not an rl-baselines3-zoo run folder"):
        read_run(tmp_path)


def test_zoo_run_with_normalize_normalises_observations(sb3_model, tmp_path):
    """normalize: true loads <env-name>/vecnormalize.pkl (frozen) and the policy acts on the
    normalised observation; such a run cannot be submitted (the statistics are a pickle)."""
    import netgym.envs  # noqa: F401
    from netgym.agents.sb3_inference import SpacesOnlyEnv
    from netgym.agents.sb3_zip import load_zoo_policy, safe_config
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    run = write_zoo_run(tmp_path, sb3_model, {"normalize": True})
    env = gym.make(ABR)
    venv = DummyVecEnv([lambda: SpacesOnlyEnv(env.observation_space, env.action_space)])
    stats = VecNormalize(venv)
    obs, _ = env.reset(seed=0)
    stats.obs_rms.mean = np.full_like(stats.obs_rms.mean, 0.5)
    stats.obs_rms.var = np.full_like(stats.obs_rms.var, 4.0)
    stats.save(str(run / ENV_NAME / "vecnormalize.pkl"))
    with pytest.raises(ValueError, match="--trust-code"):
        load_zoo_policy(run)
    policy = load_zoo_policy(run, trust_code=True)
    expected = policy.model.predict(stats.normalize_obs(obs), deterministic=True)[0]
    assert policy.act(obs, {}) == int(expected)
    assert not policy.normalizer.training
    with pytest.raises(ValueError, match="VecNormalize statistics are a pickle"):
        safe_config(policy)


def test_sb3_entry_plays_only_protocols_of_its_spaces(sb3_model):
    from netgym.leaderboard.entries import fit_reason, fitting_protocols, parse_entry

    entry = parse_entry(f"sb3:ppo:{sb3_model}", trust_code=True)
    assert entry.env_id is None
    assert fit_reason(entry, get_protocol(PROTOCOL), None) is None
    uav = get_protocol("uav-paper-quick")
    assert "trained on observations" in fit_reason(entry, uav, None)
    with pytest.raises(ValueError, match="plays none of the protocols"):
        fitting_protocols(entry, [uav], None)


def test_submit_sb3_zip_and_zoo_run_verify_without_trust(sb3_model, zoo_run, tmp_path, capsys):
    """submit packs the model as SB3 policy weights (no pickle); verify accepts it without
    --trust-code and re-runs the entry to identical scores."""
    for spec, name in ((f"sb3:ppo:{sb3_model}", "ppo:ppo_abr"), (str(zoo_run), "ppo-zoo")):
        out = tmp_path / f"{name.replace(':', '-')}.zip"
        argv = ["leaderboard", "submit", "--entry", spec, "--out", str(out), "--quick"]
        assert main([*argv, "--protocols", "abr-synthetic", "--trust-code"]) == 0
        capsys.readouterr()
        with zipfile.ZipFile(out) as archive:
            names = set(archive.namelist())
            manifest = json.loads(archive.read("manifest.json"))
        assert {"policy/agent.json", "policy/policy.safetensors"} <= names
        assert not any(n.endswith(("model.zip", ".pkl")) for n in names)
        assert manifest["policy"] == "sb3" and manifest["entry"]["agent"] == "ppo"
        assert main(["leaderboard", "verify", str(out), "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        own = [block for block in result["rerun"] if block["entry"] == name]
        assert own and all(block["max_abs_diff"] == 0 for block in own)


@pytest.mark.parametrize(
    ("algo", "kwargs"),
    [
        ("dqn", {"policy_kwargs": {"net_arch": [8]}, "learning_starts": 0}),
        ("a2c", {"policy_kwargs": {"net_arch": [8, 8], "activation_fn": "tanh"}}),
    ],
)
def test_safe_config_rebuilds_the_policy_from_weights(algo, kwargs, tmp_path) -> None:
    """safe_config's (agent, config, weights) give netgym's inference agent, which acts as the
    loaded model does (what verify re-runs)."""
    import netgym.envs  # noqa: F401
    import torch
    from netgym.agents.sb3_inference import inference_agent
    from netgym.agents.sb3_zip import algorithm_class, load_sb3_zip, safe_config

    kwargs = json.loads(json.dumps(kwargs))
    if "activation_fn" in kwargs["policy_kwargs"]:
        kwargs["policy_kwargs"]["activation_fn"] = torch.nn.Tanh
    env = gym.make(ABR)
    model = algorithm_class(algo)("MlpPolicy", env, seed=0, device="cpu", **kwargs)
    model.save(tmp_path / "m.zip")
    policy = load_sb3_zip(algo, tmp_path / "m.zip", trust_code=True)
    agent, config, weights = safe_config(policy)
    assert agent == algo and config["policy"] == "MlpPolicy"
    rebuilt = inference_agent(agent, config, env.observation_space, env.action_space, weights, ABR)
    assert type(rebuilt.model.policy) is type(policy.model.policy)
    obs, info = env.reset(seed=0)
    for _ in range(20):
        action = policy.act(obs, info)
        assert rebuilt.act(obs, info) == action
        np.testing.assert_array_equal(
            network_outputs(rebuilt.model.policy, obs), network_outputs(policy.model.policy, obs)
        )
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break


def network_outputs(sb3_policy, obs) -> np.ndarray:
    """Q-values (DQN) or action probabilities (actor-critic) for ``obs``."""
    import torch

    tensor, _ = sb3_policy.obs_to_tensor(obs)
    with torch.no_grad():
        if hasattr(sb3_policy, "q_net"):
            return sb3_policy.q_net(tensor).numpy()
        return sb3_policy.get_distribution(tensor).distribution.probs.numpy()
