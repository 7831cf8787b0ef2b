"""``evaluate(..., reseed=True)``: episode ``i`` is reset with ``seed + i``, so two policies meet
the same episodes even where the env's next episode depends on the actions (quantum scheduling:
its demands after an episode are drawn from a stream the actions have advanced)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from netgym.baselines import make_policy
from netgym.evaluation import evaluate

SCHEDULING = "netgym/QuantumNetworkScheduling-v0"
SHORT = {"n_demands": 10, "topology": "star", "horizon_slots": 200}


class FirstObservations:
    """A baseline by name that records the first observation of each episode."""

    def __init__(self, name: str) -> None:
        self.policy = make_policy(SCHEDULING, name, seed=0)
        self.firsts: list[np.ndarray] = []
        self._new = False

    def reset(self, env: Any) -> None:
        self.policy.reset(env)
        self._new = True

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        if self._new:
            self.firsts.append(np.asarray(obs).copy())
            self._new = False
        return self.policy.act(obs, info)


def _firsts(name: str, reseed: bool) -> tuple[list[np.ndarray], list[float]]:
    policy = FirstObservations(name)
    result = evaluate(policy, SCHEDULING, 3, 500_000, SHORT, reseed=reseed)
    return policy.firsts, result.returns


def test_one_seeded_reset_lets_the_actions_change_the_later_episodes() -> None:
    """The flaw ``reseed`` mends: EDF and random start different second episodes."""
    edf, _ = _firsts("edf", reseed=False)
    rand, _ = _firsts("random", reseed=False)
    assert np.array_equal(edf[0], rand[0])
    assert not np.array_equal(edf[1], rand[1])


def test_reseeded_episodes_are_the_same_for_every_policy_and_are_seed_plus_i() -> None:
    edf, edf_returns = _firsts("edf", reseed=True)
    rand, _ = _firsts("random", reseed=True)
    assert len(edf) == len(rand) == 3
    assert all(np.array_equal(a, b) for a, b in zip(edf, rand, strict=True))
    for i in range(3):  # episode i is the one a fresh evaluation from seed + i plays first
        alone = FirstObservations("edf")
        single = evaluate(alone, SCHEDULING, 1, 500_000 + i, SHORT)
        assert np.array_equal(alone.firsts[0], edf[i])
        assert single.returns == [edf_returns[i]]


class SeededSample:
    """Every agent samples its action space seeded 0 at each episode's start."""

    def reset(self, env: Any) -> None:
        self.env = env
        for agent in env.possible_agents:
            env.action_space(agent).seed(0)

    def act(self, obs: dict[str, Any], infos: dict[str, Any]) -> dict[str, Any]:
        return {agent: self.env.action_space(agent).sample() for agent in obs}


def test_a_pettingzoo_env_is_reseeded_the_same_way() -> None:
    kwargs = {"max_steps": 5}
    both = evaluate(SeededSample(), "uav_offload_v0", 2, 7, kwargs, reseed=True)
    alone = [evaluate(SeededSample(), "uav_offload_v0", 1, 7 + i, kwargs) for i in range(2)]
    assert both.returns == [result.returns[0] for result in alone]
    unseeded = evaluate(SeededSample(), "uav_offload_v0", 2, 7, kwargs)
    assert unseeded.returns[0] == both.returns[0] and unseeded.returns[1] != both.returns[1]


def test_reseeding_a_sequential_trace_order_is_refused() -> None:
    kwargs = {"trace_order": "sequential", "synthetic_video": {"n_chunks": 4}}
    with pytest.raises(ValueError, match="replay its first trace in every episode"):
        evaluate("bba", "netgym/AbrStreaming-v0", 2, 0, kwargs, reseed=True)
    assert len(evaluate("bba", "netgym/AbrStreaming-v0", 2, 0, kwargs).returns) == 2
