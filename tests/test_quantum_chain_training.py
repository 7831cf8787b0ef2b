"""train.py on ``netgym/RepeaterChain-v0`` with the shipped configs (smoke runs): tabular
Q-learning on the finite MDP (obs_mode "tabular" from qlearning.yaml) and MaskablePPO / PPO on
the Dict observation (SB3's SAME_STEP adapter over the native vector env), each writing its run
folder and evaluating against the chain baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from netgym.agents import AgentUnavailableError, get_agent_class
from netgym.agents.config_loader import packaged_config_text
from netgym.cli.train import main

CHAIN = "netgym/RepeaterChain-v0"


def _run(agent: str, tmp_path: Path, timesteps: int, *extra: str) -> dict:
    try:
        get_agent_class(agent)
    except AgentUnavailableError as err:
        pytest.skip(f"agent {agent!r} is not importable: {err}")
    out = tmp_path / agent
    args = ["--env", CHAIN, "--agent", agent, "--timesteps", str(timesteps), "--out", str(out)]
    args += ["--eval-episodes", "3", "--no-progress", *extra]
    assert main(args) == 0
    assert (out / "model").is_dir() and (out / "progress.csv").is_file()
    report = json.loads((out / "eval.json").read_text())
    assert report["agent"]["steps_done"] >= timesteps
    return report


def test_qlearning_trains_on_the_chain_finite_mdp(tmp_path: Path) -> None:
    report = _run("qlearning", tmp_path, 2000)
    assert {"optimal", "swap-asap", "random"} <= set(report["baselines"])
    agent = get_agent_class("qlearning").load(tmp_path / "qlearning" / "model")
    assert agent.steps_done >= 2000


@pytest.mark.parametrize("agent", ["maskable-ppo", "ppo"])
def test_ppo_agents_train_on_the_dict_observation(agent: str, tmp_path: Path) -> None:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tiny = "n_steps=32,batch_size=64,n_epochs=1"
        _run(
            agent,
            tmp_path,
            512,
            "--hyperparams",
            *tiny.split(","),
            "--device",
            "cpu",
            "--eval-baselines",
            "swap-asap",
        )
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("agent", ["ppo", "maskable-ppo", "qlearning"])
def test_packaged_configs_have_a_chain_block(agent: str) -> None:
    text = packaged_config_text(agent)
    assert text is not None and f"\n{CHAIN}:\n" in text


@pytest.mark.slow
def test_ppo_beats_random_on_a_three_node_chain() -> None:
    """Reference/quantum.md 6.3 item 7: a short PPO run beats the random policy (n = 3)."""
    import numpy as np
    import torch
    from netgym.baselines import make_policy
    from netgym.envs.core.sb3 import SB3VecEnvAdapter
    from netgym.envs.quantum.chain.env import RepeaterChainEnv, RepeaterChainVectorEnv
    from netgym.leaderboard import evaluate
    from stable_baselines3 import PPO

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        kwargs = {"n_nodes": 3, "p_gen": 0.5, "max_steps": 100}
        venv = SB3VecEnvAdapter(RepeaterChainVectorEnv(8, autoreset_mode="SameStep", **kwargs))
        model = PPO(
            "MultiInputPolicy",
            venv,
            n_steps=64,
            batch_size=128,
            ent_coef=0.01,
            seed=0,
            device="cpu",
            policy_kwargs={"net_arch": [64, 64]},
        )
        model.learn(4096)
    finally:
        torch.set_num_threads(before)
    env = RepeaterChainEnv(**kwargs)
    returns = []
    for episode in range(50):
        obs, _ = env.reset(seed=1000 + episode)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total, done = total + reward, terminated or truncated
        returns.append(total)
    random = evaluate(make_policy(CHAIN, "random", 0), CHAIN, 50, 1000, kwargs)
    # swap-asap (optimal here) needs E[T] = 2.67 slots; random play about 40
    assert np.mean(returns) > np.mean(random.returns) + 10.0
