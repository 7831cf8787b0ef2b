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
    for key in ("terminations", "truncations", "final_observations"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(abr_pool, key))


def test_collect_keeps_terminations_and_truncations(abr_pool: ExperiencePool) -> None:
    """ABR episodes end by termination (the video ends), UAV episodes by truncation (the
    horizon): the pool keeps which, and the observation after each episode's last step."""
    import gymnasium as gym

    ends = np.flatnonzero(abr_pool.dones)
    assert abr_pool.terminations[ends].all() and not abr_pool.truncations.any()
    assert abr_pool.stats()["terminated"] == 4 and abr_pool.stats()["truncated"] == 0
    uav = collect(UAV, ["hover"], episodes=2, seed=0)
    ends = np.flatnonzero(uav.dones)
    assert uav.truncations[ends].all() and not uav.terminations.any()
    assert uav.stats()["truncated"] == 2
    env = gym.make(UAV)
    obs, _ = env.reset(seed=0)
    for row in range(ends[0] + 1):
        obs, _, terminated, truncated, _ = env.step(uav.actions[row])
        assert (terminated, truncated) == (uav.terminations[row], uav.truncations[row])
    np.testing.assert_array_equal(
        uav.final_observations[0], gym.spaces.flatten(env.observation_space, obs)
    )


def test_save_writes_format_2(abr_pool: ExperiencePool, tmp_path) -> None:
    path = abr_pool.save(tmp_path / "pool.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert int(archive["format"]) == 2
        assert {"terminations", "truncations", "final_observations"} <= set(archive.files)
        assert "dones" not in archive.files


def test_load_reads_format_1(abr_pool: ExperiencePool, tmp_path) -> None:
    """A format 1 file (``dones``: an episode ended, by termination or truncation, it does not
    say which) loads with each end as a termination and no truncation."""
    path = tmp_path / "v1.npz"
    np.savez(path, **_arrays(abr_pool))
    pool = ExperiencePool.load(path)
    np.testing.assert_array_equal(pool.terminations, abr_pool.dones)
    assert pool.truncations.dtype == np.bool_ and not pool.truncations.any()
    assert pool.final_observations is None
    np.testing.assert_array_equal(pool.episode_returns(), abr_pool.episode_returns())
    with pytest.raises(ValueError, match="no final observations"):
        pool.to_minari("netgym/never-written-v0")
    resaved = ExperiencePool.load(pool.save(tmp_path / "v2.npz"))
    np.testing.assert_array_equal(resaved.terminations, pool.terminations)


def test_constructor_takes_dones_or_terminations(abr_pool: ExperiencePool) -> None:
    arrays = {
        "observations": abr_pool.observations,
        "actions": abr_pool.actions,
        "rewards": abr_pool.rewards,
        "policies": abr_pool.policies,
        "env_id": ABR,
    }
    old = ExperiencePool(**arrays, dones=abr_pool.dones)
    np.testing.assert_array_equal(old.terminations, abr_pool.dones)
    assert not old.truncations.any()
    with pytest.raises(ValueError, match="or the format 1 dones"):
        ExperiencePool(**arrays, terminations=abr_pool.dones, dones=abr_pool.dones)
    with pytest.raises(ValueError, match="or the format 1 dones"):
        ExperiencePool(**arrays)


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


def _arrays_v2(pool: ExperiencePool) -> dict[str, np.ndarray]:
    arrays = _arrays(pool)
    del arrays["dones"]
    return {
        **arrays,
        "terminations": pool.terminations,
        "truncations": pool.truncations,
        "final_observations": pool.final_observations,
        "format": np.array(2),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("truncations"), "lacks the arrays"),
        (lambda a: a.update(truncations=a["truncations"].astype(np.int8)), "1-D bool"),
        (lambda a: a.update(terminations=a["terminations"][:-1]), "terminations has"),
        (
            lambda a: a.update(terminations=np.zeros_like(a["terminations"])),
            "does not end an episode",
        ),
        (lambda a: a.update(final_observations=a["final_observations"][:1]), "final_obs"),
        (
            lambda a: a.update(final_observations=np.full_like(a["final_observations"], np.inf)),
            "final_observations holds NaN",
        ),
        (lambda a: a.update(format=np.array(3)), "reads formats"),
    ],
)
def test_load_refuses_malformed_format_2_files(abr_pool, tmp_path, change, message) -> None:
    arrays = _arrays_v2(abr_pool)
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=message):
        ExperiencePool.load(path)


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
