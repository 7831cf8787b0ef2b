"""The per-stage token encoder and masked heads of the llm and bc agents on the cluster-scheduling
env: shapes, masks (never an unschedulable stage, never a cap above the committable executors),
short training runs that act validly, and the config blocks."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
import torch
from gymnasium import spaces
from netgym.agents import get_agent_class
from netgym.agents.base import TrainingContext
from netgym.agents.config_loader import resolve_config
from netgym.agents.llm.backbones import ScratchGPT
from netgym.agents.llm.cjs_encoder import MASKED_LOGIT, CjsStateEncoder, is_cjs_observation
from netgym.agents.llm.encoders import (
    ActionCodec,
    GenericStateEncoder,
    make_state_encoder,
    select_encoder,
    state_token_count,
)
from netgym.agents.llm.model import DecisionModel
from netgym.agents.llm.pool import collect
from netgym.baselines import make_policy
from test_llm_model import needs_llm_extra

CJS = "netgym/SparkScheduling-v0"
SMALL = {"params": "small", "n_jobs": 6, "max_stages": 32, "action_format": "flat"}
"""a 6-job, 10-executor cluster with 32 stage rows: episodes of about 100 decisions"""
D = 16

pytestmark = pytest.mark.usefixtures("one_torch_thread")
"""tiny networks: torch on one thread (``conftest.one_torch_thread``)"""


def _states(policy: str, seed: int, steps: int = 80) -> tuple[gym.Env, list, list, list]:
    """(env, flattened observations, env action masks, policy actions) of ``policy``."""
    env = gym.make(CJS, **SMALL)
    obs, info = env.reset(seed=seed)
    agent = make_policy(CJS, policy, seed=seed)
    agent.reset(env)
    flats, masks, actions = [], [], []
    for _ in range(steps):
        action = agent.act(obs, info)
        flats.append(spaces.flatten(env.observation_space, obs))
        masks.append(env.unwrapped.action_masks())
        actions.append(action)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, info = env.reset()
            agent.reset(env)
    return env, flats, masks, actions


def _encoder(env: gym.Env) -> CjsStateEncoder:
    dim = spaces.flatdim(env.observation_space)
    return make_state_encoder(
        CJS, env.observation_space, env.action_space, D, 8, np.zeros(dim), np.ones(dim)
    )


def test_registry_picks_the_per_stage_encoder_for_the_flat_cjs_env() -> None:
    flat = gym.make(CJS, **SMALL)
    assert is_cjs_observation(CJS, flat.observation_space, flat.action_space)
    assert isinstance(_encoder(flat), CjsStateEncoder)
    assert state_token_count(CJS, flat.observation_space, flat.action_space) == 2
    assert select_encoder(CJS, flat.observation_space, flat.action_space).name == "cjs"
    # the Dict action (no flat codec) and other envs do not match; the generic one can be forced
    as_dict = gym.make(CJS, **{**SMALL, "action_format": "dict"})
    assert not is_cjs_observation(CJS, as_dict.observation_space, as_dict.action_space)
    assert not is_cjs_observation("x/Other-v0", flat.observation_space, flat.action_space)
    dim = spaces.flatdim(flat.observation_space)
    generic = make_state_encoder(
        CJS,
        flat.observation_space,
        flat.action_space,
        D,
        8,
        np.zeros(dim),
        np.ones(dim),
        "generic",
    )
    assert isinstance(generic, GenericStateEncoder)
    with pytest.raises(ValueError, match="unknown state encoder 'gnn'.*auto, abr, cjs, generic"):
        select_encoder(CJS, flat.observation_space, flat.action_space, "gnn")
    with pytest.raises(ValueError, match="'cjs' state encoder cannot read"):
        select_encoder("x/Other-v0", spaces.Discrete(3), spaces.Discrete(2), "cjs")


def test_encoder_shapes_and_masks_equal_the_envs_action_masks() -> None:
    env, flats, masks, _ = _states("random", seed=3)
    encoder = _encoder(env)
    flat = torch.as_tensor(np.stack(flats), dtype=torch.float32)
    tokens, context = encoder.encode(flat.reshape(4, 20, -1))
    rows, n_exec = 32, 10
    assert tokens.shape == (4, 20, 2, D)
    assert context["stage_tokens"].shape == (4, 20, rows, D)
    assert context["stage_mask"].shape == (4, 20, rows + 1)
    assert context["exec_mask"].shape == (4, 20, n_exec)
    ours = torch.cat([context["stage_mask"], context["exec_mask"]], -1).reshape(80, -1).numpy()
    # the env's masks: schedulable rows and 'none', caps 1 .. committable (every state here is
    # a live decision: committable >= 1)
    envs = np.stack(masks)
    assert np.array_equal(ours[:, : rows + 1], envs[:, : rows + 1])
    assert np.array_equal(ours[:, rows + 1 :], envs[:, rows + 1 :])
    # padding rows are zero tokens; a shown row that is not schedulable is still a token
    shown = flat.reshape(80, -1)  # the stage_job slice is -1 on padding rows
    stage_job = encoder.layout.split(shown)["stage_job"]
    padded = (stage_job < 0).reshape(4, 20, rows)
    assert torch.all(context["stage_tokens"][padded] == 0)
    assert torch.any(context["stage_tokens"][~padded] != 0)


def test_row_features_read_the_dag_the_jobs_and_the_fair_share_by_hand() -> None:
    env = gym.make(CJS, **SMALL)
    space = env.observation_space
    obs = {key: np.zeros(sub.shape, sub.dtype) for key, sub in space.spaces.items()}
    obs["stage_job"][:] = -1
    obs["stage_job"][:5] = [0, 0, 0, 1, 1]  # job 0: rows 0-2, job 1: rows 3-4
    obs["edges"][:] = -1
    obs["edges"][:3] = [[0, 2], [1, 2], [3, 4]]
    obs["stages"][:5, 2] = [1.0, 2.0, 3.0, 4.0, 0.5]  # remaining work
    obs["stages"][[0, 1, 3], 3] = 1.0  # schedulable
    obs["stages"][:5, 6] = [0.2, 0.2, 0.2, 0.6, 0.6]  # the job's supply / N
    obs["committable"][0], obs["active_jobs"][0] = 4, 4
    flat = torch.as_tensor(spaces.flatten(space, obs), dtype=torch.float32)[None]
    encoder = _encoder(env)
    inputs, shown = encoder.row_inputs(encoder.layout.split(flat))
    assert shown[0].tolist() == [True] * 5 + [False] * 27
    extra = inputs[0, :5, 9:]
    log = np.log1p
    expected = [
        # parents, children, slot, position in job, job rows, job work, job schedulable rows,
        # fair share, supply - share, committable / N, shown
        [0, log(1), 0, 0, log(3), log(6), log(2), 0.25, -0.05, 0.4, 1],
        [0, log(1), 0, log(1), log(3), log(6), log(2), 0.25, -0.05, 0.4, 1],
        [log(2), 0, 0, log(2), log(3), log(6), log(2), 0.25, -0.05, 0.4, 1],
        [0, log(1), log(1), 0, log(2), log(4.5), log(1), 0.25, 0.35, 0.4, 1],
        [log(1), 0, log(1), log(1), log(2), log(4.5), log(1), 0.25, 0.35, 0.4, 1],
    ]
    np.testing.assert_allclose(extra.numpy(), np.array(expected), rtol=1e-5, atol=1e-6)
    assert torch.all(inputs[0, 5:] == 0)  # padding rows


@pytest.mark.parametrize("backbone", [None, "scratch"])
def test_heads_never_pick_an_unschedulable_stage_or_a_cap_above_committable(
    backbone: str | None,
) -> None:
    torch.manual_seed(0)
    env, flats, masks, _ = _states("random", seed=5, steps=120)
    encoder = _encoder(env)
    codec = ActionCodec(env.action_space)
    net = ScratchGPT(D, 1, 2, 200, 0.0) if backbone else None
    model = DecisionModel(encoder, codec, net, D, 500, 32, 8).eval()
    with torch.no_grad():  # push every row and every cap up: the masks must still win
        model.head.stage[-1].bias.fill_(1.0e6)
        model.head.caps[-1].bias.fill_(1.0e6)
    flat = torch.as_tensor(np.stack(flats), dtype=torch.float32)[:, None]
    n = len(flats)
    out = model(
        torch.zeros(n, 1),
        flat,
        torch.zeros(n, 1, codec.dim),  # acting: the step's action is not known
        torch.zeros(n, 1, dtype=torch.long),
        torch.ones(n, 1),
    )[:, 0]
    rows = 32
    rng = np.random.default_rng(0)
    for i in range(n):
        committable = int(masks[i][rows + 1 :].sum())
        for sampler in (None, rng):
            stage, cap_index = codec.to_env(out[i], sampler)
            assert masks[i][stage], f"step {i}: row {stage} is not schedulable"
            assert cap_index + 1 <= max(committable, 1)
        assert torch.all(out[i, : rows + 1][~torch.as_tensor(masks[i][: rows + 1])] == MASKED_LOGIT)


def test_cap_head_reads_the_given_stage_and_its_own_choice_when_acting() -> None:
    torch.manual_seed(1)
    env, flats, masks, _ = _states("fair", seed=0, steps=40)
    encoder = _encoder(env)
    codec = ActionCodec(env.action_space)
    model = DecisionModel(encoder, codec, None, D, 500, 32, 8).eval()
    rows = 32
    i = next(k for k, m in enumerate(masks) if m[:rows].sum() >= 2)
    obs = torch.as_tensor(flats[i], dtype=torch.float32)[None, None]

    def run(stage: int | None) -> torch.Tensor:
        action = torch.zeros(1, 1, 2)
        if stage is not None:
            action[..., 0] = (stage + 1) / (rows + 1)
        args = (torch.zeros(1, 1), obs, action, torch.zeros(1, 1, dtype=torch.long))
        return model(*args, torch.ones(1, 1))[0, 0]

    first, second = np.flatnonzero(masks[i][:rows])[:2]
    a, b, acting = run(int(first)), run(int(second)), run(None)
    torch.testing.assert_close(a[: rows + 1], b[: rows + 1])  # the stage logits ignore it
    assert not torch.allclose(a[rows + 1 :], b[rows + 1 :])  # the cap logits do not
    best = int(acting[: rows + 1].argmax())
    torch.testing.assert_close(acting, run(best))


def test_collect_refuses_the_dict_action_before_any_rollout_naming_the_flat_one() -> None:
    kwargs = {**SMALL, "action_format": "dict"}
    with pytest.raises(ValueError, match='Dict.*"action_format": "flat"'):
        collect(CJS, ["fair"], episodes=1, seed=0, env_kwargs=kwargs, max_steps=1)


@pytest.fixture(scope="module")
def cjs_pool(tmp_path_factory) -> Path:
    pool = collect(CJS, ["fair"], episodes=2, seed=0, env_kwargs=SMALL)
    return pool.save(tmp_path_factory.mktemp("pool") / "fair.npz")


TINY = {
    "feature_dim": 16,
    "scratch_width": 16,
    "scratch_layers": 1,
    "scratch_heads": 2,
    "bc_hidden": 32,
    "dropout": 0.0,
    "learning_rate": 3.0e-3,
    "warmup_steps": 2,
    "grad_clip": 1.0,
    "batch_size": 16,
    "grad_accum_steps": 1,
    "context_window": 3,
    "eval_every": 0,
    "val_episodes": 0,
    "val_fraction": 0.0,
}


@pytest.mark.parametrize(("name", "backbone"), [("bc", None), ("llm", "scratch")])
def test_bc_and_llm_train_on_the_cjs_pool_and_act_validly(
    cjs_pool: Path, name: str, backbone: str | None
) -> None:
    context = TrainingContext(
        env_id=CJS, seed=0, device="cpu", total_timesteps=320, env_kwargs=SMALL
    )
    extra = {"backbone": backbone} if backbone else {}
    agent = get_agent_class(name).create(context, {**TINY, "pool": str(cjs_pool), **extra})
    assert isinstance(agent.model.state_encoder, CjsStateEncoder)
    data = agent._data[0]
    before = agent.model.head.caps[-1].weight.detach().clone()
    agent.learn(320)
    assert agent.steps_done == 320
    assert not torch.equal(before, agent.model.head.caps[-1].weight)
    env = gym.make(CJS, **SMALL)
    obs, info = env.reset(seed=1_000_000)
    agent.reset(env)
    steps = 0
    while True:
        mask = env.unwrapped.action_masks()
        action = agent.act(obs, info)
        assert env.action_space.contains(action)
        assert mask[int(action[0])], f"step {steps}: row {int(action[0])} is not schedulable"
        assert mask[33 + int(action[1])], f"step {steps}: cap {int(action[1]) + 1} too high"
        obs, _, terminated, truncated, info = env.step(action)
        assert not info["invalid_action"]
        steps += 1
        if terminated or truncated:
            break
    assert terminated and steps > 10
    assert data.num_rows > 0


@needs_llm_extra
def test_llm_with_the_pretrained_minilm_backbone_reads_the_stage_tokens(cjs_pool: Path) -> None:
    context = TrainingContext(
        env_id=CJS, seed=0, device="cpu", total_timesteps=16, env_kwargs=SMALL
    )
    config = {**TINY, "backbone": "minilm", "lora_rank": 4, "batch_size": 4, "pool": str(cjs_pool)}
    agent = get_agent_class("llm").create(context, config)
    assert agent.model.backbone.hidden_size == 384
    assert agent.model.tokens_per_step == 4  # return, summary, executor, action
    agent.learn(16)
    env = gym.make(CJS, **SMALL)
    obs, info = env.reset(seed=7)
    agent.reset(env)
    for _ in range(10):
        mask = env.unwrapped.action_masks()
        action = agent.act(obs, info)
        assert mask[int(action[0])] and mask[33 + int(action[1])]
        obs, _, terminated, truncated, info = env.step(action)
        assert not info["invalid_action"]
        if terminated or truncated:
            break


@pytest.mark.parametrize("agent", ["bc", "llm"])
def test_config_blocks_for_the_cjs_env_load(agent: str) -> None:
    resolved = resolve_config(agent, CJS)
    assert f"{agent}.yaml#{CJS}" in resolved.sources
    assert resolved.trainer["env_kwargs"] == {"action_format": "flat"}
    from netgym.agents.llm.agent import DEFAULTS

    assert set(resolved.hyperparams) <= set(DEFAULTS)
    env = gym.make(CJS, **resolved.trainer["env_kwargs"])
    assert is_cjs_observation(CJS, env.observation_space, env.action_space)
