"""The stable-baselines3 agents: round trips, learning on ABR, schedules, masks, PettingZoo."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from netgym.agents.base import TrainingContext
from netgym.agents.config_loader import TRAINER_KEYS
from netgym.agents.sb3 import (
    SB3_AGENTS,
    DQNAgent,
    MaskablePPOAgent,
    PPOAgent,
    SACAgent,
    SB3Agent,
    TD3Agent,
)
from netgym.agents.sb3_vec_env import make_sb3_vec_env
from netgym.leaderboard import evaluate
from pettingzoo import ParallelEnv

ABR = "netgym/AbrStreaming-v0"
SHORT_ABR = {"synthetic_video": {"n_chunks": 12}}  # 11 steps per episode
MASKED = "netgym_test/MaskedChoice-v0"
PZ_ID = "pz:test_agents_sb3:factory"
EVAL_SEED = 10_000  # disjoint from the training seeds (0 .. n_envs - 1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")
"""tiny networks: torch on one thread (``conftest.one_torch_thread``)"""


# ---------------------------------------------------------------------- test envs
class MaskedChoiceEnv(gym.Env):
    """Pick the rewarded one of 5 actions; a random subset of the others is masked out.

    The observation shows the rewarded action (one-hot) and the mask, so a policy can learn
    it; ``violations`` counts masked actions taken (they would be a bug in masking).
    """

    metadata = {"render_modes": []}

    def __init__(self, n_actions: int = 5, episode_steps: int = 8) -> None:
        self.n_actions = n_actions
        self.episode_steps = episode_steps
        self.observation_space = spaces.Box(0.0, 1.0, (2 * n_actions,), np.float32)
        self.action_space = spaces.Discrete(n_actions)
        self.render_mode = None
        self.violations = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self.t = 0
        self._draw()
        return self._obs(), {"action_mask": self.action_masks()}

    def step(self, action: Any) -> tuple:
        action = int(action)
        valid = bool(self.mask[action])
        self.violations += not valid
        reward = 1.0 if action == self.target else (0.0 if valid else -1.0)
        self.t += 1
        self._draw()
        terminated = self.t >= self.episode_steps
        return self._obs(), reward, terminated, False, {"action_mask": self.action_masks()}

    def action_masks(self) -> np.ndarray:
        return self.mask.copy()

    def _draw(self) -> None:
        self.target = int(self.np_random.integers(self.n_actions))
        self.mask = self.np_random.random(self.n_actions) < 0.5
        self.mask[self.target] = True

    def _obs(self) -> np.ndarray:
        onehot = np.zeros(self.n_actions, dtype=np.float32)
        onehot[self.target] = 1.0
        return np.concatenate([onehot, self.mask.astype(np.float32)])


class DictChoiceEnv(MaskedChoiceEnv):
    """``MaskedChoiceEnv`` with a Dict observation (target one-hot, mask)."""

    def __init__(self) -> None:
        super().__init__()
        self.observation_space = spaces.Dict(
            {
                "target": spaces.Box(0.0, 1.0, (self.n_actions,), np.float32),
                "mask": spaces.MultiBinary(self.n_actions),
            }
        )

    def _obs(self) -> dict[str, np.ndarray]:
        flat = super()._obs()
        return {"target": flat[: self.n_actions], "mask": self.mask.astype(np.int8)}


DICT_OBS = "netgym_test/DictChoice-v0"
for env_id, entry_point in ((MASKED, MaskedChoiceEnv), (DICT_OBS, DictChoiceEnv)):
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=entry_point)


class MatchingPennies(ParallelEnv):
    """Two agents; each is rewarded for copying the bit in its own observation."""

    metadata = {"name": "matching_pennies_v0", "render_modes": []}

    def __init__(self, max_steps: int = 6) -> None:
        self.possible_agents = ["a0", "a1"]
        self.agents: list[str] = []
        self.max_steps = max_steps
        self.render_mode = None
        self.rng = np.random.default_rng()

    @functools.cache  # noqa: B019 (PettingZoo wants the same space object)
    def observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(0.0, 1.0, (2,), np.float32)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(2)

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self.t = 0
        self._draw()
        return self._obs(), {agent: {} for agent in self.agents}

    def step(self, actions: dict) -> tuple:
        rewards = {a: float(int(actions[a]) == self.bits[a]) for a in self.agents}
        self.t += 1
        self._draw()
        truncated = self.t >= self.max_steps
        obs = self._obs()
        terminations = {a: False for a in self.agents}
        truncations = {a: truncated for a in self.agents}
        infos = {a: {} for a in self.agents}
        if truncated:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def _draw(self) -> None:
        self.bits = {a: int(self.rng.integers(2)) for a in self.possible_agents}

    def _obs(self) -> dict[str, np.ndarray]:
        return {
            a: np.array([self.bits[a], 1 - self.bits[a]], dtype=np.float32) for a in self.agents
        }


def factory(**kwargs: Any) -> MatchingPennies:
    """The PettingZoo env of ``pz:test_agents_sb3:factory``."""
    return MatchingPennies(**kwargs)


@pytest.fixture
def importable_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest's rootdir-relative import usually puts tests/ on sys.path already; make sure.
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


# ---------------------------------------------------------------------- helpers
def _context(env_id: str, **changes: Any) -> TrainingContext:
    values: dict[str, Any] = {"env_id": env_id, "seed": 0, "n_envs": 2, "device": "cpu"}
    values.update(changes)
    return TrainingContext(**values)


ON_POLICY = {"n_steps": 32, "policy_kwargs": {"net_arch": [32, 32]}}
OFF_POLICY = {
    "learning_starts": 50,
    "batch_size": 32,
    "buffer_size": 2000,
    "policy_kwargs": {"net_arch": [32, 32]},
}
ROUND_TRIPS = {
    "ppo": (ABR, SHORT_ABR, {**ON_POLICY, "batch_size": 32, "n_epochs": 2}),
    "a2c": (ABR, SHORT_ABR, {"n_steps": 8, "policy_kwargs": {"net_arch": [32]}}),
    "dqn": (ABR, SHORT_ABR, {**OFF_POLICY, "train_freq": 2}),
    "sac": ("Pendulum-v1", {}, OFF_POLICY),
    "td3": ("Pendulum-v1", {}, OFF_POLICY),
    "maskable-ppo": (MASKED, {}, {**ON_POLICY, "batch_size": 32, "n_epochs": 2}),
}


def _observations(env_id: str, env_kwargs: dict, count: int) -> list[tuple[Any, dict]]:
    """(obs, info) pairs from a random rollout, to compare two agents' actions on."""
    env = gym.make(env_id, **env_kwargs)
    env.action_space.seed(3)
    obs, info = env.reset(seed=EVAL_SEED)
    pairs = [(obs, info)]
    while len(pairs) < count:
        obs, _, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, info = env.reset()
        pairs.append((obs, info))
    env.close()
    return pairs


# ---------------------------------------------------------------------- round trips
def test_every_algorithm_is_registered_with_its_class() -> None:
    assert set(SB3_AGENTS) == {"ppo", "a2c", "dqn", "sac", "td3", "maskable-ppo"}
    for name, agent_class in SB3_AGENTS.items():
        assert agent_class.name == name and issubclass(agent_class, SB3Agent)


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_learn_save_load_act_round_trip(name: str, tmp_path: Path) -> None:
    env_id, env_kwargs, config = ROUND_TRIPS[name]
    agent_class = SB3_AGENTS[name]
    context = _context(env_id, env_kwargs=env_kwargs, total_timesteps=256)
    agent = agent_class.create(context, config)
    reports: list[tuple[int, dict]] = []
    agent.learn(128, lambda steps, metrics: reports.append((steps, metrics)) or True)
    assert agent.steps_done >= 128
    assert reports and reports[-1][0] == agent.steps_done
    assert "learning_rate" in reports[-1][1]

    agent.save(tmp_path / "agent")
    saved = json.loads((tmp_path / "agent" / "agent.json").read_text())
    assert saved["agent"] == name and saved["steps_done"] == agent.steps_done
    assert saved["context"]["env_id"] == env_id and saved["config"] == config
    loaded = agent_class.load(tmp_path / "agent", device="cpu")
    assert type(loaded) is agent_class and loaded.steps_done == agent.steps_done
    assert type(SB3Agent.load(tmp_path / "agent")) is agent_class

    probe = gym.make(env_id, **env_kwargs)
    agent.reset(probe)
    loaded.reset(probe)
    for obs, info in _observations(env_id, env_kwargs, 40):
        action, again = agent.act(obs, info), loaded.act(obs, info)
        np.testing.assert_array_equal(action, again)
        assert probe.action_space.contains(
            np.asarray(action, dtype=probe.action_space.dtype)
            if isinstance(probe.action_space, spaces.Box)
            else action
        )
    if isinstance(probe.action_space, spaces.Discrete):
        assert type(agent.act(obs, info)) is int

    # The weights themselves: a fresh agent with the same seed often acts the same (a few
    # updates barely move a policy), so compare the tensors.
    trained_state = agent.model.policy.state_dict()
    loaded_state = loaded.model.policy.state_dict()
    assert trained_state.keys() == loaded_state.keys()
    for key, tensor in trained_state.items():
        torch.testing.assert_close(loaded_state[key], tensor, rtol=0, atol=0, msg=key)
    fresh = agent_class.create(context, config)
    fresh_state = fresh.model.policy.state_dict()
    assert any(not torch.equal(fresh_state[key], tensor) for key, tensor in loaded_state.items())
    fresh.close()

    loaded.learn(64)  # resumes: the env is rebuilt from the saved context
    assert loaded.steps_done >= agent.steps_done + 64
    agent.model.get_env().close()
    loaded.model.get_env().close()


def test_normalized_agent_saves_and_restores_its_statistics(tmp_path: Path) -> None:
    context = _context(ABR, env_kwargs=SHORT_ABR)
    agent = PPOAgent.create(context, {**ON_POLICY, "batch_size": 32, "normalize": True})
    agent.learn(64)
    agent.save(tmp_path)
    assert (tmp_path / "vecnormalize.pkl").is_file()
    loaded = PPOAgent.load(tmp_path, device="cpu")
    np.testing.assert_array_equal(loaded.normalizer.obs_rms.mean, agent.normalizer.obs_rms.mean)
    for obs, info in _observations(ABR, SHORT_ABR, 20):
        assert agent.act(obs, info) == loaded.act(obs, info)


def test_dict_observations_get_the_multi_input_policy(tmp_path: Path) -> None:
    agent = PPOAgent.create(_context(DICT_OBS), {**ON_POLICY, "batch_size": 32})
    assert type(agent.model.policy).__name__ == "MultiInputActorCriticPolicy"
    agent.learn(64)
    agent.save(tmp_path)
    loaded = PPOAgent.load(tmp_path, device="cpu")
    for obs, info in _observations(DICT_OBS, {}, 10):
        assert agent.act(obs, info) == loaded.act(obs, info)


# ---------------------------------------------------------------------- learning
def test_ppo_on_the_abr_vector_env_beats_random() -> None:
    context = _context(ABR, env_kwargs=SHORT_ABR, n_envs=8, total_timesteps=4096)
    config = {
        "n_steps": 64,
        "batch_size": 64,
        "n_epochs": 4,
        "ent_coef": 0.01,
        "learning_rate": 1e-3,
        "policy_kwargs": {"net_arch": [64, 64]},
    }
    agent = PPOAgent.create(context, config)
    agent.learn(4096)
    trained = evaluate(agent, ABR, episodes=20, seed=EVAL_SEED, env_kwargs=SHORT_ABR)
    random = evaluate("random", ABR, episodes=20, seed=EVAL_SEED, env_kwargs=SHORT_ABR)
    # Random switching pays large smoothness and rebuffering penalties (about -60 here).
    assert trained.mean > random.mean + 20, (trained.mean, random.mean)


def test_rex_schedule_lowers_the_learning_rate_sb3_uses() -> None:
    total = 2048
    context = _context(ABR, env_kwargs=SHORT_ABR, lr_schedule="rex", total_timesteps=total)
    agent = PPOAgent.create(context, {**ON_POLICY, "batch_size": 64, "n_epochs": 1})
    rates: list[float] = []

    def progress(steps: int, metrics: dict[str, float]) -> bool:
        rates.append(metrics["learning_rate"])
        return True

    # Two learn calls: the schedule follows the whole run, not each call.
    agent.learn(total // 2, progress)
    agent.learn(total // 2, progress)
    assert len(rates) >= 3
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))
    optimizer_rate = agent.model.policy.optimizer.param_groups[0]["lr"]
    assert optimizer_rate == rates[-1] < 0.1 * 3e-4


DQN_NO_UPDATES = {
    "learning_starts": 10**9,  # no gradient step: only epsilon moves, cheaply
    "buffer_size": 1000,
    "exploration_fraction": 0.5,
    "exploration_initial_eps": 1.0,
    "exploration_final_eps": 0.05,
}


def _dqn_epsilon(steps: int, total: int) -> float:
    """SB3's linear epsilon after ``steps`` of a ``total``-step run (DQN_NO_UPDATES)."""
    return max(0.05, 1.0 - 0.95 * steps / (0.5 * total))


def test_dqn_epsilon_decays_over_the_whole_run_across_learn_calls() -> None:
    total = 4000
    context = _context("CartPole-v1", n_envs=1, total_timesteps=total)
    chunked = DQNAgent.create(context, DQN_NO_UPDATES)
    trajectory = []
    for _ in range(4):
        chunked.learn(total // 4)
        trajectory.append((chunked.steps_done, chunked.model.exploration_rate))
    one_call = DQNAgent.create(context, DQN_NO_UPDATES)
    reports: dict[int, float] = {}
    one_call.learn(total, lambda steps, metrics: reports.setdefault(steps, metrics["epsilon"]))
    for steps, epsilon in trajectory:
        # (the callback sees epsilon before DQN updates it for the step just taken)
        assert epsilon == pytest.approx(_dqn_epsilon(steps, total), abs=1e-9), steps
        assert reports[steps] == pytest.approx(epsilon, abs=1e-3), steps
    assert one_call.model.exploration_rate == pytest.approx(0.05)
    chunked.close()
    one_call.close()


def test_ppo_clip_range_schedule_spans_the_run() -> None:
    context = _context(ABR, env_kwargs=SHORT_ABR, total_timesteps=512)
    agent = PPOAgent.create(context, {**ON_POLICY, "batch_size": 64, "n_epochs": 1})
    agent.learn(128)
    # SB3's own progress: 128 of 512 steps done (not 1.0 - 128/128 = 0)
    assert agent.model._current_progress_remaining == pytest.approx(1 - 128 / 512)
    assert "_update_current_progress_remaining" not in vars(agent.model)  # never saved
    agent.close()


def test_set_total_timesteps_replans_the_learning_rate() -> None:
    context = _context(ABR, env_kwargs=SHORT_ABR, lr_schedule="linear", total_timesteps=128)
    agent = PPOAgent.create(context, {**ON_POLICY, "batch_size": 64, "n_epochs": 1})
    agent.learn(128)
    assert agent.schedule(1.0) == 0.0  # the planned run is over
    agent.set_total_timesteps(256)
    assert agent.context.total_timesteps == 256
    assert agent.schedule(1.0) == pytest.approx(3e-4 * 0.5)
    agent.learn(64)
    assert agent.model.policy.optimizer.param_groups[0]["lr"] > 0
    agent.close()


def test_progress_callback_can_stop_training() -> None:
    agent = PPOAgent.create(_context(ABR, env_kwargs=SHORT_ABR), {**ON_POLICY, "batch_size": 64})
    calls: list[int] = []
    agent.learn(20_000, lambda steps, metrics: calls.append(steps) or False)
    assert len(calls) == 1 and agent.steps_done < 2000


def test_maskable_ppo_never_takes_a_masked_action() -> None:
    context = _context(MASKED, n_envs=2, total_timesteps=512)
    agent = MaskablePPOAgent.create(context, {**ON_POLICY, "batch_size": 32, "n_epochs": 2})
    agent.learn(512)
    training_envs = agent.model.get_env()
    assert training_envs.get_attr("violations") == [0, 0]
    # Acting reads info["action_mask"] (or, without it, the env's action_masks()).
    env = gym.make(MASKED)
    obs, info = env.reset(seed=EVAL_SEED)
    agent.reset(env)
    for step in range(200):
        action = agent.act(obs, info if step % 2 else {})
        assert info["action_mask"][action]
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, info = env.reset()
    assert env.unwrapped.violations == 0


# ---------------------------------------------------------------------- bad arguments
def test_dqn_on_a_box_action_space_names_the_agents_that_fit() -> None:
    with pytest.raises(ValueError, match=r"'dqn'.*Discrete.*fit: ppo, a2c, sac, td3"):
        DQNAgent.create(_context("Pendulum-v1"), {})
    reason = SACAgent.unsupported_reason(spaces.Box(-1, 1, (3,)), spaces.Discrete(3))
    assert "Box" in reason
    assert TD3Agent.unsupported_reason(spaces.Box(-1, 1, (3,)), spaces.Box(-1, 1, (1,))) is None
    assert PPOAgent.unsupported_reason(spaces.Tuple([spaces.Discrete(2)]), spaces.Discrete(2))


def test_unknown_config_keys_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown ppo config keys \['n_step', 'warmup'\]"):
        PPOAgent.create(_context(ABR), {"n_step": 64, "warmup": 1})
    with pytest.raises(ValueError, match="seed comes from the training context"):
        PPOAgent.create(_context(ABR), {"seed": 3})
    with pytest.raises(ValueError, match="learning_rate must be a number"):
        PPOAgent.create(_context(ABR), {"learning_rate": "fast"})
    with pytest.raises(ValueError, match="activation_fn"):
        PPOAgent.create(_context(ABR), {"policy_kwargs": {"activation_fn": "wobbly"}})


def test_maskable_ppo_needs_an_env_with_masks() -> None:
    with pytest.raises(ValueError, match="action_masks"):
        MaskablePPOAgent.create(_context("CartPole-v1"), {})


def test_load_refuses_another_agents_folder(tmp_path: Path) -> None:
    agent = PPOAgent.create(_context(ABR, env_kwargs=SHORT_ABR), {**ON_POLICY, "batch_size": 64})
    agent.save(tmp_path)
    with pytest.raises(ValueError, match="holds a 'ppo' agent, not 'dqn'"):
        DQNAgent.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="agent.json"):
        PPOAgent.load(tmp_path / "missing")


@pytest.mark.parametrize("name", list(SB3_AGENTS))
def test_packaged_config_keys_are_accepted(name: str) -> None:
    import yaml

    path = Path(__file__).parents[1] / "agents" / "config" / f"{name}.yaml"
    blocks = yaml.safe_load(path.read_text())
    assert "default" in blocks
    for block in blocks.values():
        # the trainer's keys (n_envs, n_timesteps, lr_schedule, env_kwargs) never reach the agent
        agent_block = {key: value for key, value in block.items() if key not in TRAINER_KEYS}
        kwargs, _ = SB3_AGENTS[name]._split_config(agent_block)
        SB3_AGENTS[name]._learning_rate(kwargs)  # a number, not a YAML string like '3e-4'


# ---------------------------------------------------------------------- PettingZoo
def test_pettingzoo_env_trains_one_shared_policy(importable_tests: None, tmp_path: Path) -> None:
    venv = make_sb3_vec_env(PZ_ID, 3, seed=0)
    assert venv.num_envs == 6  # 3 copies x 2 agents
    venv.reset()
    _, _, dones, infos = venv.step(np.zeros(6, dtype=np.int64))
    assert not dones.any()
    for _ in range(5):
        _, _, dones, infos = venv.step(np.zeros(6, dtype=np.int64))
    assert dones.all()
    assert all(info["TimeLimit.truncated"] and "terminal_observation" in info for info in infos)

    context = _context(PZ_ID, n_envs=2)
    agent = PPOAgent.create(context, {**ON_POLICY, "batch_size": 32, "learning_rate": 3e-3})
    agent.learn(2048)
    agent.save(tmp_path)
    loaded = PPOAgent.load(tmp_path, device="cpu")
    env = factory()
    obs, info = env.reset(seed=EVAL_SEED)
    matches = 0
    while env.agents:
        actions = agent.act(obs, info)
        assert actions == loaded.act(obs, info)
        assert set(actions) == set(env.agents) and all(type(a) is int for a in actions.values())
        obs, rewards, _, _, info = env.step(actions)
        matches += sum(rewards.values())
    assert matches >= 10  # 12 choices; copying the bit is easy to learn
