"""``netgym evaluate`` on PettingZoo envs (team and per-agent returns) and its reward message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from netgym.cli.main import main
from netgym.evaluation import evaluate


@pytest.mark.parametrize("env_id", ["uav_offload_v0", "repeater_chain_v0", "moe_routing_v0"])
def test_evaluate_plays_a_pettingzoo_env_with_team_and_per_agent_returns(env_id, capsys):
    argv = ["evaluate", "--env", env_id, "--policy", "random", "--episodes", "2", "--json"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    per_agent = np.array(list(payload["agent_returns"].values()))
    assert per_agent.shape[1] == 2
    assert payload["returns"] == pytest.approx(per_agent.sum(axis=0).tolist())
    assert payload["agent_means"] == pytest.approx(
        dict(zip(payload["agent_returns"], per_agent.mean(axis=1), strict=True))
    )
    direct = evaluate("random", env_id, 2, 0)
    assert payload["returns"] == pytest.approx(direct.returns)


def test_evaluate_prints_the_team_return_and_each_agents_return(capsys):
    assert (
        main(["evaluate", "--env", "repeater_chain_v0", "--policy", "random", "--episodes", "2"])
        == 0
    )
    out = capsys.readouterr().out
    assert "team: the agents' rewards summed" in out
    assert "node_0: mean return" in out and "node_2: mean return" in out
    assert "team reward = the sum of the agents' rewards" in out


def test_evaluate_refuses_a_central_baseline_on_a_pettingzoo_env_naming_its_gymnasium_env(capsys):
    assert main(["evaluate", "--env", "uav_offload_v0", "--policy", "kmeans"]) == 2
    err = capsys.readouterr().err
    assert "unknown policy 'kmeans'" in err and "netgym/UavOffload-v0" in err


@pytest.mark.parametrize(
    ("env_id", "policy", "words"),
    [
        ("netgym/AbrStreaming-v0", "bba", "QoE of the chunk"),
        ("netgym/MoeBatching-v0", "fcfs", "request-seconds"),
        ("netgym/MoeExpertCache-v0", "lru", "stall"),
        ("netgym/QuantumNetworkScheduling-v0", "edf", "per job completed"),
    ],
)
def test_evaluate_names_the_reward_of_the_env_it_evaluated(env_id, policy, words, capsys):
    assert main(["evaluate", "--env", env_id, "--policy", policy, "--episodes", "1"]) == 0
    out = capsys.readouterr().out
    reward_line = next(line for line in out.splitlines() if line.startswith("reward:"))
    assert words in reward_line
    assert "ABR" not in out or env_id.startswith("netgym/Abr")


def test_evaluate_under_a_protocol_names_the_protocols_score(capsys):
    argv = ["evaluate", "--protocol", "moe-batching-quick", "--policy", "fcfs"]
    assert main(argv) == 0
    assert "(score: return per episode)" in capsys.readouterr().out
