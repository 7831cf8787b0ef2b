"""Experience pools as Minari data sets: round trips, the CLI, training from one.

Every data set is written under the test's tmp folder (``MINARI_DATASETS_PATH``), never in the
user's home. The tests need the ``minari`` extra (minari, h5py): they skip without it, with the
install command in the reason, and fail under CI, which installs it.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import under_ci
from netgym.agents.llm.pool import ExperiencePool, collect, load_pool

ABR = "netgym/AbrStreaming-v0"
UAV = "netgym/UavOffload-v0"
CHAIN = "netgym/RepeaterChain-v0"
ARRAYS = ("observations", "actions", "rewards", "terminations", "truncations")
MISSING = [name for name in ("minari", "h5py") if importlib.util.find_spec(name) is None]
needs_minari = pytest.mark.skipif(
    bool(MISSING) and not under_ci(),
    reason=f'{", ".join(MISSING)} missing: pip install "netgym[minari]"',
)


@pytest.fixture()
def minari_root(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "minari"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    return root


def assert_same_pool(a: ExperiencePool, b: ExperiencePool) -> None:
    for key in (*ARRAYS, "policies", "final_observations"):
        x, y = getattr(a, key), getattr(b, key)
        assert x.dtype == y.dtype, key
        np.testing.assert_array_equal(x, y, err_msg=key)
    assert (a.env_id, a.env_kwargs) == (b.env_id, b.env_kwargs)


@needs_minari
@pytest.mark.parametrize(
    ("env_id", "policies", "env_kwargs"),
    [
        (ABR, ["bba", "mpc-jump1"], {}),  # Box observations, Discrete actions, terminations
        (UAV, ["hover"], {}),  # MultiDiscrete actions, truncations
        (CHAIN, ["swap-asap"], {"n_nodes": 3, "max_steps": 50}),  # Dict observations
    ],
)
def test_pool_minari_pool_round_trip(minari_root, env_id, policies, env_kwargs) -> None:
    """pool -> Minari data set -> pool gives the same arrays, policies, env and kwargs, and
    the data set holds the env's own spaces and T + 1 observations per episode."""
    pool = collect(env_id, policies, episodes=2, seed=3, env_kwargs=env_kwargs)
    dataset = pool.to_minari("netgym/round-trip-v0")
    assert (minari_root / "netgym" / "round-trip-v0" / "data").is_dir()
    episode = next(iter(dataset.iterate_episodes()))
    start, stop = pool.episode_bounds()[0]
    assert len(episode.rewards) == stop - start
    np.testing.assert_array_equal(episode.terminations, pool.terminations[start:stop])
    np.testing.assert_array_equal(episode.truncations, pool.truncations[start:stop])
    assert dataset.spec.env_spec.id == env_id
    assert dataset.spec.env_spec.kwargs == env_kwargs
    assert_same_pool(ExperiencePool.from_minari("netgym/round-trip-v0"), pool)
    assert_same_pool(ExperiencePool.from_minari(dataset), pool)
    folder = minari_root / "netgym" / "round-trip-v0"
    assert_same_pool(load_pool(folder), pool)
    assert_same_pool(load_pool("minari:netgym/round-trip-v0"), pool)


@needs_minari
def test_foreign_minari_data_set_round_trip(minari_root) -> None:
    """A data set written with Minari's own API (no netgym policy infos) reads as a pool named
    after the data set, and pool -> Minari -> pool keeps it."""
    import gymnasium as gym
    import minari
    import netgym.envs  # noqa: F401
    from minari.data_collector.episode_buffer import EpisodeBuffer

    env = gym.make(ABR)
    rng = np.random.default_rng(0)
    buffers = []
    for episode in range(2):
        obs, _ = env.reset(seed=episode)
        observations, actions, rewards, terms, truncs = [obs], [], [], [], []
        done = False
        while not done:
            action = int(rng.integers(6))
            obs, reward, terminated, truncated, _ = env.step(action)
            observations.append(obs)
            actions.append(action)
            rewards.append(float(reward))
            terms.append(terminated)
            truncs.append(truncated)
            done = terminated or truncated
        buffers.append(
            EpisodeBuffer(
                observations=np.stack(observations),
                actions=np.asarray(actions),
                rewards=rewards,
                terminations=terms,
                truncations=truncs,
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        minari.create_dataset_from_buffers("random/abr-v0", buffers, env=ABR)
    pool = ExperiencePool.from_minari("random/abr-v0")
    assert pool.num_episodes == 2 and pool.policies.tolist() == ["random/abr-v0"] * 2
    assert pool.terminations.sum() == 2 and pool.observations.dtype == np.float32
    np.testing.assert_allclose(pool.rewards, [r for b in buffers for r in b.rewards], rtol=1e-6)
    pool.to_minari("random/abr-copy-v0")
    assert_same_pool(ExperiencePool.from_minari("random/abr-copy-v0"), pool)


@needs_minari
def test_from_minari_refuses_what_it_cannot_read(minari_root, tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no local Minari data set .*never downloads"):
        ExperiencePool.from_minari("netgym/absent-v0")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="not a Minari data set folder"):
        ExperiencePool.from_minari(tmp_path / "empty")
    pool = collect(ABR, ["bba"], episodes=1, seed=0)
    pool.to_minari("netgym/once-v0")
    with pytest.raises(ValueError, match="already exists"):
        pool.to_minari("netgym/once-v0")


@needs_minari
def test_collect_command_writes_a_minari_data_set(minari_root, capsys) -> None:
    from netgym.cli.main import main

    argv = ["collect", "--env", ABR, "--policy", "bba,lowest", "--episodes", "1"]
    assert main([*argv, "--format", "minari", "--out", "netgym/cli-v0"]) == 0
    out = capsys.readouterr().out
    assert "netgym/cli-v0" in out and str(minari_root) in out
    pool = ExperiencePool.from_minari("netgym/cli-v0")
    assert pool.policies.tolist() == ["bba", "lowest"]
    assert_same_pool(pool, collect(ABR, ["bba", "lowest"], episodes=1, seed=0))
    assert main([*argv, "--format", "minari", "--out", "netgym/cli-v0"]) == 2
    assert "exists" in capsys.readouterr().err
    argv_new = [*argv, "--format", "minari", "--out", "netgym/cli-new-v0"]
    assert main([*argv_new, "--overwrite"]) == 2
    assert "does not replace Minari data sets" in capsys.readouterr().err
    assert not (minari_root / "netgym" / "cli-new-v0").exists()
    assert main([*argv, "--format", "minari", "--out", "no-version"]) == 2
    assert "not a Minari data set id" in capsys.readouterr().err


def test_missing_extra_names_the_install_command(monkeypatch) -> None:
    """Without minari or h5py, Minari paths refuse with the extra's install command."""
    import sys

    from netgym.agents.llm.pool_minari import MinariExtraMissingError
    from netgym.cli.main import main

    monkeypatch.setitem(sys.modules, "h5py", None)
    pool = collect(ABR, ["bba"], episodes=1, seed=0)
    with pytest.raises(MinariExtraMissingError, match=r'pip install "netgym\[minari\]"'):
        pool.to_minari("netgym/never-v0")
    with pytest.raises(MinariExtraMissingError, match=r'pip install "netgym\[minari\]"'):
        ExperiencePool.from_minari("netgym/never-v0")
    argv = ["collect", "--env", ABR, "--policy", "bba", "--episodes", "1", "--format", "minari"]
    assert main([*argv, "--out", "netgym/never-v0"]) == 2


@needs_minari
@pytest.mark.usefixtures("one_torch_thread")
def test_bc_trains_from_a_minari_pool(minari_root, tmp_path) -> None:
    """The bc agent trains from a Minari data set (``pool: minari:ID``) as from the same
    pool's .npz file: same windows, same losses."""
    pytest.importorskip("torch", reason='the bc agent needs torch: pip install "netgym[train]"')
    from netgym.agents import get_agent_class
    from netgym.agents.base import TrainingContext

    pool = collect(ABR, ["bba", "mpc-jump1"], episodes=2, seed=0)
    pool.to_minari("netgym/bc-v0")
    npz = pool.save(tmp_path / "pool.npz")
    tiny = {"feature_dim": 8, "bc_hidden": 16, "batch_size": 8, "grad_accum_steps": 1}
    tiny |= {"context_window": 4, "eval_every": 32, "val_episodes": 1, "warmup_steps": 1}
    losses = []
    for spec in ("minari:netgym/bc-v0", str(npz)):
        context = TrainingContext(env_id=ABR, seed=1, device="cpu", total_timesteps=64)
        agent = get_agent_class("bc").create(context, {**tiny, "pool": spec})
        reports: list[float] = []
        agent.learn(64, lambda steps, metrics, seen=reports: seen.append(metrics["loss"]) or True)
        assert agent.steps_done == 64
        losses.append(reports)
    assert losses[0] == losses[1] and len(losses[0]) == 2
