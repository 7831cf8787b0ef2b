"""``LlmAgent`` (``--agent llm``) and ``BcAgent`` (``--agent bc``): offline agents on a pool.

``llm`` is NetLLM's DD-LRNA: a frozen pre-trained transformer with LoRA adapters (or a small GPT
trained from scratch) conditioned on the return-to-go; ``bc`` is behaviour cloning with the same
encoder and head. Both train on an experience pool, never on the env; their "timesteps" are
training windows. Model selection plays validation episodes from ``VAL_SEED_OFFSET + seed``,
disjoint from the training and evaluation seeds. Training, acting and the saved folder are
described in ``docs/llm.md`` ("3. Training (DD-LRNA) and acting").
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from netgym.envs.core.make import make_env

from ..base import Agent, ProgressCallback, TrainingContext
from ..schedules import make_schedule
from .backbones import count_parameters, make_backbone
from .encoders import (
    ActionCodec,
    make_state_encoder,
    state_token_count,
    unsupported_action_reason,
)
from .model import DecisionModel, ModelOptions
from .pool import ExperiencePool, check_pool_fits, load_pool
from .training import (
    RewardScale,
    WindowData,
    evaluation_loss,
    split_episodes,
    warmup_factor,
    window_loss,
)
from .validation import validation_env_kwargs
from .variants import (
    VARIANT_DEFAULTS,
    check_variant,
    parameter_groups,
    subset_episodes,
    warmup_updates,
)

FORMAT_VERSION = 1
VAL_SEED_OFFSET = 500_000
"""validation episodes start from seed ``VAL_SEED_OFFSET + seed``"""
DEFAULTS: dict[str, Any] = {
    "pool": None,
    "backbone": "minilm",
    "encoder": "auto",
    "context_window": 20,
    "return_scale": 10.0,
    "target_return_scale": 1.0,
    "reward_info_key": None,
    "feature_dim": 128,
    "scratch_width": 128,
    "scratch_layers": 3,
    "scratch_heads": 4,
    "dropout": 0.1,
    "lora_rank": 8,
    "lora_alpha": 32.0,
    "lora_dropout": 0.05,
    "bc_hidden": 256,
    "learning_rate": 1.0e-4,
    "weight_decay": 1.0e-4,
    "warmup_steps": 100,
    "grad_clip": 0.25,
    "batch_size": 8,
    "grad_accum_steps": 4,
    "eval_every": 2000,
    "val_episodes": 5,
    "val_fraction": 0.1,
    "val_env_kwargs": None,
    "select_best": True,
    "sample_actions": False,
    **VARIANT_DEFAULTS,
}
"""every hyperparameter and its default (the YAML configs override them; the study switches
of issue #20 are ``variants.VARIANT_DEFAULTS``)"""


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class LlmAgent(Agent):
    """Return-conditioned transformer policy trained offline on an experience pool."""

    name: ClassVar[str] = "llm"
    uses_backbone: ClassVar[bool] = True

    @classmethod
    def unsupported_reason(
        cls, observation_space: gym.Space, action_space: gym.Space
    ) -> str | None:
        try:
            spaces.flatdim(observation_space)
        except (NotImplementedError, ValueError):
            return f"the observation space {observation_space} cannot be flattened"
        return unsupported_action_reason(action_space)

    # ------------------------------------------------------------------------------ creation
    def __init__(
        self, context: TrainingContext, config: dict[str, Any], stats: dict[str, Any], device: str
    ) -> None:
        self.context = context
        self.config = config
        self.stats = stats
        self.device = _device(device)
        env = make_env(context.env_id, **context.env_kwargs)
        self.observation_space, self.action_space = env.observation_space, env.action_space
        env.close()
        self.codec = ActionCodec(self.action_space)
        self.scale = RewardScale(stats["reward_min"], stats["reward_max"], config["return_scale"])
        torch.manual_seed(context.seed)
        backbone = None
        embed_dim = int(config["scratch_width"])
        encoder_name = str(config.get("encoder", "auto"))
        tokens_per_step = (
            state_token_count(
                context.env_id, self.observation_space, self.action_space, encoder_name
            )
            + 2
        )
        if self.uses_backbone:
            backbone = make_backbone(
                str(config["backbone"]), config, int(config["context_window"]) * tokens_per_step
            )
            embed_dim = backbone.hidden_size
        encoder = make_state_encoder(
            context.env_id,
            self.observation_space,
            self.action_space,
            embed_dim,
            int(config["feature_dim"]),
            np.asarray(stats["obs_mean"]),
            np.asarray(stats["obs_std"]),
            encoder_name,
        )
        self.model = DecisionModel(
            encoder,
            self.codec,
            backbone,
            embed_dim,
            int(stats["max_episode_steps"]),
            int(config["bc_hidden"]),
            int(config["feature_dim"]),
            ModelOptions.from_config(config, backbone),
        )
        self.model.to(self.device)
        self.optimizer = torch.optim.AdamW(
            parameter_groups(self.model, config),
            lr=float(config["learning_rate"]),
            weight_decay=float(config["weight_decay"]),
        )
        self._steps = 0
        self._updates = 0
        self._micro = 0
        self.best_score: float | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self._data: tuple[WindowData, np.ndarray, np.ndarray] | None = None
        self._rng = np.random.default_rng(context.seed)
        self._act_rng = np.random.default_rng(context.seed + 1)
        self.history: list[dict[str, float]] = []
        self._stash: dict[str, torch.Tensor] | None = None
        self.reset(None)

    @classmethod
    def create(cls, context: TrainingContext, config: dict[str, Any]) -> LlmAgent:
        unknown = set(config) - set(DEFAULTS) - {"n_envs"}
        if unknown:
            raise ValueError(
                f"unknown {cls.name} hyperparameters {sorted(unknown)}; known: {sorted(DEFAULTS)}"
            )
        config = {**DEFAULTS, **{k: v for k, v in config.items() if k != "n_envs"}}
        check_variant(config)
        if not config["pool"]:
            raise ValueError(
                f"agent {cls.name!r} trains on an experience pool: give --pool "
                f"POOL.npz or minari:DATASET_ID (make one with netgym collect)"
            )
        pool = load_pool(config["pool"])
        if pool.env_id.split(":", 1)[-1] != context.env_id.split(":", 1)[-1]:
            raise ValueError(
                f"pool {config['pool']} was collected on {pool.env_id}, not on {context.env_id}"
            )
        env = make_env(context.env_id, **context.env_kwargs)
        check_pool_fits(pool, env.observation_space, env.action_space, f"pool {config['pool']}")
        env.close()
        full_pool = pool
        if float(config["pool_fraction"]) < 1.0:  # low data: statistics of the data it sees
            train_eps, val_eps = cls._episodes(pool, config, context.seed)
            pool = pool.select(sorted(train_eps + val_eps))
        lengths = [b - a for a, b in pool.episode_bounds()]
        normalised = RewardScale.from_pool(pool, float(config["return_scale"]))
        stats = {
            "reward_min": normalised.reward_min,
            "reward_max": normalised.reward_max,
            "obs_mean": pool.observations.mean(axis=0).astype(float).tolist(),
            "obs_std": np.maximum(pool.observations.std(axis=0), 1e-6).astype(float).tolist(),
            "max_episode_steps": int(max(lengths)),
            "mean_normalised_reward": float(np.mean(normalised.normalise(pool.rewards))),
            "pool_steps": pool.num_steps,
            "pool_episodes": pool.num_episodes,
        }
        agent = cls(context, config, stats, context.device)
        agent._prepare(full_pool)
        return agent

    @staticmethod
    def _episodes(
        pool: ExperiencePool, config: dict[str, Any], seed: int
    ) -> tuple[list[int], list[int]]:
        """Training episodes (``pool_fraction`` of those not held out) and validation ones."""
        train_eps, val_eps = split_episodes(pool, float(config["val_fraction"]), seed)
        return subset_episodes(train_eps, float(config["pool_fraction"]), seed), val_eps

    def _prepare(self, pool: ExperiencePool | None = None) -> None:
        """Window data of the training episodes and the held-out validation windows."""
        if self._data is not None:
            return
        pool = pool or load_pool(self.config["pool"])
        train_eps, val_eps = self._episodes(pool, self.config, self.context.seed)
        train = pool.select(train_eps)
        data = WindowData(train, self.codec, self.scale, int(self.config["context_window"]))
        self.stats.setdefault("max_return", data.max_return)
        val_ends = np.zeros(0, dtype=np.int64)
        val_data = data
        if val_eps:
            val_data = WindowData(pool.select(val_eps), self.codec, self.scale, data.window)
            rng = np.random.default_rng(self.context.seed + 2)
            val_ends = np.sort(rng.permutation(val_data.num_rows)[:512])
        self._data = (data, val_data, val_ends)

    # ------------------------------------------------------------------------------ training
    @property
    def steps_done(self) -> int:
        return self._steps

    def _learning_rate(self) -> float:
        total = self.context.total_timesteps
        progress = min(self._steps / total, 1.0) if total > 0 else 0.0
        base = make_schedule(self.context.lr_schedule, float(self.config["learning_rate"]))
        warmup = warmup_updates(self.config, total)
        return base(progress) * warmup_factor(self._updates, warmup)

    def learn(self, timesteps: int, progress: ProgressCallback | None = None) -> None:
        self._prepare()
        self._use_current()
        data, val_data, val_ends = self._data
        cfg = self.config
        batch_size, accum = int(cfg["batch_size"]), int(cfg["grad_accum_steps"])
        eval_every = int(cfg["eval_every"])
        target = self._steps + timesteps
        self.model.train()
        losses: list[float] = []
        while self._steps < target:
            ends = self._rng.integers(0, data.num_rows, size=batch_size)
            loss = window_loss(self.model, self.codec, data.batch(ends, self.device))
            (loss / accum).backward()
            losses.append(loss.item())
            self._micro += 1
            before = self._steps
            self._steps += batch_size
            if self._micro % accum == 0:
                rate, lr0 = self._learning_rate(), float(cfg["learning_rate"])
                for group in self.optimizer.param_groups:  # the new modules' rate, or scaled
                    base_lr = float(group.get("base_lr", lr0))
                    group["lr"] = rate if base_lr == lr0 else rate * base_lr / lr0
                torch.nn.utils.clip_grad_norm_(
                    self.model.trainable_parameters(), float(cfg["grad_clip"])
                )
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self._updates += 1
            total = self.context.total_timesteps
            run_ends = total > 0 and before < total <= self._steps
            if (eval_every > 0 and self._steps // eval_every > before // eval_every) or run_ends:
                metrics = self._validate(losses, val_data, val_ends)
                losses = []
                if progress is not None and not progress(self._steps, metrics):
                    break
        self.model.eval()

    def _validate(
        self, losses: list[float], val_data: WindowData, val_ends: np.ndarray
    ) -> dict[str, float]:
        """Validation loss and return; keep the best weights."""
        metrics = {"loss": float(np.mean(losses)) if losses else math.nan}
        batch = int(self.config["batch_size"])
        if len(val_ends):
            metrics["val_loss"] = evaluation_loss(
                self.model, self.codec, val_data, val_ends, self.device, batch
            )
        score = -metrics.get("val_loss", metrics["loss"])
        if int(self.config["val_episodes"]) > 0:
            from netgym.evaluation import evaluate

            self.model.eval()
            kwargs = self.config["val_env_kwargs"] or self.validation_env_kwargs()
            result = evaluate(
                self._acting_view(),
                self.context.env_id,
                int(self.config["val_episodes"]),
                VAL_SEED_OFFSET + self.context.seed,
                kwargs,
            )
            metrics["val_return"] = result.mean
            metrics["val_mean_reward"] = result.mean_reward
            score = result.mean
            self.model.train()
        metrics = {k: v for k, v in metrics.items() if math.isfinite(v)}
        if self.best_score is None or score > self.best_score:
            self.best_score = score
            self.best_state = {k: v.detach().clone() for k, v in self._weights().items()}
        self.history.append({"steps": float(self._steps), **metrics})
        return metrics

    def validation_env_kwargs(self) -> dict[str, Any]:
        """The env kwargs of the validation episodes when the config gives none: on ABR
        trained on ``fcc-train``, NetLLM's ``fcc-valid`` traces when present, else the training
        env (``netgym.agents.llm.validation``)."""
        return validation_env_kwargs(self.context.env_id, self.context.env_kwargs)

    def _acting_view(self) -> _CurrentWeights:
        return _CurrentWeights(self)

    # ------------------------------------------------------------------------------ acting
    def reset(self, env: Any) -> None:
        self._obs: list[torch.Tensor] = []
        self._actions: list[torch.Tensor] = []
        self._returns: list[float] = []
        self._t = 0
        target = self.stats.get("max_return", 0.0) * float(self.config["target_return_scale"])
        self._rtg = target / self.scale.return_scale

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        if self.config["select_best"]:
            self._use_best()
        return self._act(obs, info)

    def _use_best(self) -> None:
        """Load the best validated weights for acting (the current ones are kept aside)."""
        if self.best_state is not None and self._stash is None:
            self._stash = {k: v.clone() for k, v in self._weights().items()}
            self.model.load_state_dict(self.best_state, strict=False)

    def _use_current(self) -> None:
        """Back to the weights being trained."""
        if self._stash is not None:
            self.model.load_state_dict(self._stash, strict=False)
            self._stash = None

    @torch.no_grad()
    def _act(self, obs: Any, info: dict[str, Any]) -> Any:
        self.model.eval()
        if self._t > 0:  # the reward of the previous action
            key = self.config["reward_info_key"]
            if key is not None and key in info:
                drop = float(self.scale.normalise(float(info[key])))
            else:
                drop = self.stats["mean_normalised_reward"]
            self._rtg -= drop / self.scale.return_scale
        flat = torch.as_tensor(spaces.flatten(self.observation_space, obs), dtype=torch.float32)
        self._t += 1
        self._obs.append(flat)
        self._returns.append(self._rtg)
        self._actions.append(torch.zeros(self.codec.dim))
        w = int(self.config["context_window"])
        n = min(len(self._obs), w)
        start = self._t - n
        dev = self.device
        output = self.model(
            torch.tensor(self._returns[-n:], dtype=torch.float32, device=dev)[None],
            torch.stack(self._obs[-n:]).to(dev)[None],
            torch.stack(self._actions[-n:]).to(dev)[None],
            torch.arange(start, start + n, device=dev)[None],
            torch.ones(1, n, device=dev),
        )[0, -1]
        rng = self._act_rng if self.config["sample_actions"] else None
        action = self.codec.to_env(output, rng)
        self._actions[-1] = torch.as_tensor(
            self.codec.to_model(np.asarray([action]).reshape(1, -1))[0]
        )
        if len(self._obs) > w:  # keep only the window
            del self._obs[0], self._actions[0], self._returns[0]
        return action

    # ------------------------------------------------------------------------------ files
    def _weights(self) -> dict[str, torch.Tensor]:
        frozen = {n for n, p in self.model.named_parameters() if not p.requires_grad}
        if self.config.get("backbone_init") == "random":  # random weights: no source to reload
            frozen = set()
        return {k: v for k, v in self.model.state_dict().items() if k not in frozen}

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        torch.save(self._stash or self._weights(), path / "weights.pt")
        if self.best_state is not None:
            torch.save(self.best_state, path / "best.pt")
        torch.save(self.optimizer.state_dict(), path / "optimizer.pt")
        meta = {
            "format": FORMAT_VERSION,
            "agent": self.name,
            "config": self.config,
            "context": self.context.to_json(),
            "stats": self.stats,
            "steps_done": self._steps,
            "updates": self._updates,
            "micro_batches": self._micro,
            "best_score": self.best_score,
            "history": self.history,
            "parameters": count_parameters(self.model),
        }
        (path / "agent.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> LlmAgent:
        path = Path(path)
        meta_path = path / "agent.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{path} has no agent.json; is it a saved {cls.name} agent?")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION or meta.get("agent") != cls.name:
            raise ValueError(f"{meta_path} is not a format-{FORMAT_VERSION} {cls.name} agent")
        agent = cls(
            TrainingContext.from_json(meta["context"]), meta["config"], meta["stats"], device
        )
        agent.model.load_state_dict(_load(path / "weights.pt", agent.device), strict=False)
        if (path / "best.pt").is_file():
            agent.best_state = _load(path / "best.pt", agent.device)
        if (path / "optimizer.pt").is_file():
            agent.optimizer.load_state_dict(_load(path / "optimizer.pt", agent.device))
        agent._steps, agent._updates = int(meta["steps_done"]), int(meta["updates"])
        agent._micro = int(meta["micro_batches"])
        agent.best_score, agent.history = meta["best_score"], meta["history"]
        agent._rng = np.random.default_rng([agent.context.seed, agent._steps])
        return agent

    def summary(self) -> dict[str, Any]:
        out = {
            "backbone": self.config["backbone"] if self.uses_backbone else "none",
            **{f"{k}_parameters": v for k, v in count_parameters(self.model).items()},
        }
        if self.best_score is not None:
            out["best_validation_score"] = self.best_score
        if not self.config["val_env_kwargs"] and int(self.config["val_episodes"]) > 0:
            traces = self.validation_env_kwargs().get("traces")
            if traces is not None and traces != self.context.env_kwargs.get("traces"):
                out["validation_traces"] = str(traces)
        return out


class BcAgent(LlmAgent):
    """Behaviour cloning: the llm agent's encoder and head, no backbone, no return."""

    name: ClassVar[str] = "bc"
    uses_backbone: ClassVar[bool] = False


class _CurrentWeights:
    """The agent acting with its current (not its best) weights, for validation."""

    def __init__(self, agent: LlmAgent) -> None:
        self.agent = agent
        self.name = agent.name

    def reset(self, env: Any) -> None:
        self.agent.reset(env)

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        return self.agent._act(obs, info)


def _load(path: Path, device: torch.device) -> Any:
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch raises many kinds for a corrupt file
        raise ValueError(f"cannot read {path}: {err}") from None


__all__ = ["DEFAULTS", "VAL_SEED_OFFSET", "BcAgent", "LlmAgent"]
