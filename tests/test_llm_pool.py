"""Experience pools of the LLM-adapted agents: collection, files, validation, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from netgym.agents.llm.pool import ExperiencePool, check_pool_fits, collect
from netgym.leaderboard import evaluate

ABR = "netgym/AbrStreaming-v0"
UAV = "netgym/UavOffload-v0"


@pytest.fixture(scope="module")
def abr_pool() -> ExperiencePool:
    return collect(ABR, ["bba", "mpc-jump1"], episodes=2, seed=3)


def test_collect_matches_evaluate(abr_pool: ExperiencePool) -> None:
    """The pool's episodes are exactly what evaluate() plays with the same policy and seed."""
    assert abr_pool.num_episodes == 4
    assert abr_pool.policies.tolist() == ["bba", "bba", "mpc-jump1", "mpc-jump1"]
    returns = abr_pool.episode_returns()
    for i, name in enumerate(("bba", "mpc-jump1")):
        expected = evaluate(name, ABR, episodes=2, seed=3).returns
        np.testing.assert_allclose(returns[2 * i : 2 * i + 2], expected, rtol=1e-5)
    assert abr_pool.observations.shape == (abr_pool.num_steps, 48)
    assert abr_pool.actions.dtype == np.int64 and abr_pool.actions.ndim == 1
    assert [b - a for a, b in abr_pool.episode_bounds()] == [47] * 4


def test_stats_per_policy(abr_pool: ExperiencePool) -> None:
    stats = abr_pool.stats()
    assert stats["steps"] == 4 * 47 and stats["episodes"] == 4
    returns = abr_pool.episode_returns()
    assert stats["policies"]["bba"]["mean_return"] == pytest.approx(returns[:2].mean(), rel=1e-6)
    assert stats["mean_return"] == pytest.approx(returns.mean(), rel=1e-6)
    json.dumps(stats)  # JSON-ready


def test_save_load_round_trip(abr_pool: ExperiencePool, tmp_path) -> None:
    path = abr_pool.save(tmp_path / "pool")  # .npz appended
    assert path.name == "pool.npz"
    loaded = ExperiencePool.load(path)
    for key in ("observations", "actions", "rewards", "dones", "policies"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(abr_pool, key))
    assert loaded.env_id == ABR and loaded.env_kwargs == {}


def test_epsilon_mixture_explores() -> None:
    plain = collect(ABR, ["bba"], episodes=1, seed=0)
    mixed = collect(ABR, ["bba"], episodes=1, seed=0, epsilon=1.0)
    assert mixed.policies.tolist() == ["bba+eps1"]
    assert not np.array_equal(plain.actions, mixed.actions)
    assert set(np.unique(mixed.actions)) <= set(range(6))
    with pytest.raises(ValueError, match="epsilon"):
        collect(ABR, ["bba"], episodes=1, epsilon=1.5)


def test_multidiscrete_actions_and_fit_check() -> None:
    import gymnasium as gym

    pool = collect(UAV, ["hover"], episodes=1, seed=0)
    assert pool.actions.dtype == np.int64 and pool.actions.shape[1] == 3
    env = gym.make(UAV)
    check_pool_fits(pool, env.observation_space, env.action_space, "uav pool")
    abr = gym.make(ABR)
    with pytest.raises(ValueError, match="flattened observation"):
        check_pool_fits(pool, abr.observation_space, abr.action_space, "uav pool")


def test_collect_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        collect(ABR, ["no-such-policy"], episodes=1)
    with pytest.raises(ValueError, match="episodes"):
        collect(ABR, ["bba"], episodes=0)
    with pytest.raises(ValueError, match="at least one policy"):
        collect(ABR, [], episodes=1)


def _arrays(pool: ExperiencePool) -> dict[str, np.ndarray]:
    return {
        "observations": pool.observations,
        "actions": pool.actions,
        "rewards": pool.rewards,
        "dones": pool.dones,
        "policies": pool.policies,
        "env_id": np.array(pool.env_id),
        "env_kwargs": np.array("{}"),
        "format": np.array(1),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("rewards"), "lacks the arrays"),
        (lambda a: a.update(rewards=a["rewards"][:-1]), "rewards has"),
        (lambda a: a.update(rewards=np.where(a["dones"], np.nan, a["rewards"])), "NaN"),
        (lambda a: a.update(dones=np.zeros_like(a["dones"])), "does not end an episode"),
        (lambda a: a.update(format=np.array(99)), "format"),
        (lambda a: a.update(observations=a["observations"].astype(np.float64)), "float32"),
        (lambda a: a.update(env_kwargs=np.array("{not json")), "not JSON"),
        (lambda a: a.update(policies=a["policies"][:1]), "policies"),
        (lambda a: a.update(actions=np.array([object()] * len(a["dones"]))), "unreadable"),
    ],
)
def test_load_refuses_malformed_files(abr_pool, tmp_path, change, message) -> None:
    arrays = _arrays(abr_pool)
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=message):
        ExperiencePool.load(path)


def test_load_refuses_other_files(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        ExperiencePool.load(tmp_path / "missing.npz")
    text = tmp_path / "text.npz"
    text.write_text("not an archive")
    with pytest.raises(ValueError, match="not an npz archive"):
        ExperiencePool.load(text)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        ExperiencePool.load(single)


def test_collect_command(tmp_path, capsys) -> None:
    from netgym.cli.main import main

    out = tmp_path / "pool.npz"
    code = main(
        ["collect", "--env", ABR, "--policy", "bba,lowest", "--episodes", "1", "--out", str(out)]
    )
    assert code == 0
    pool = ExperiencePool.load(out)
    assert pool.policies.tolist() == ["bba", "lowest"]
    assert np.all(pool.actions[pool.num_steps // 2 :] == 0)
    assert "2 episodes" in capsys.readouterr().out
    code = main(["collect", "--env", ABR, "--policy", "nope", "--episodes", "1", "--out", str(out)])
    assert code == 2
    assert "unknown policy" in capsys.readouterr().err
