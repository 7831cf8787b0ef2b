"""Search spaces, samplers and pruners of hyperparameter tuning (``netgym.agents.tuning``).

One search space per agent, after rl-baselines3-zoo's ``hyperparams_opt.py`` (narrowed where
the zoo's ranges are mostly wasted on netgym's short episodes): each ``sample_<agent>(trial)``
draws the algorithm's hyperparameters from an Optuna trial and returns them in the form that
``agents/config/<agent>.yaml`` takes (``policy_kwargs.net_arch`` as a list, the activation by
netgym's name). Keys that the user pins (``--hyperparams``, ``--config``) are not sampled.

Samplers and pruners depend on the agent's kind:

- SB3 agents (``ppo``, ``a2c``, ``dqn``, ``sac``, ``td3``, ``maskable-ppo``): multivariate TPE
  (its first ``TPE_STARTUP`` trials random) and the median pruner, which stops a trial whose
  intermediate validation score is below the median of the earlier trials at the same step
  (not before ``MEDIAN_STARTUP`` trials have finished, nor at the first evaluation of a trial).
- Tabular agents (``sarsa``, ``qlearning``): TPE over alpha, gamma and the epsilon schedule, and
  successive halving: a tabular trial is cheap, so many are started and most stopped early.

optuna and ray are imported lazily, by the functions that need them (``require_optuna``: the
``tune`` extra; ``require_ray``: the ``ray`` extra, for the Ray backend).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netgym.extras import install_command, require

SB3_AGENTS = ("ppo", "a2c", "dqn", "sac", "td3", "maskable-ppo")
TABULAR_AGENTS = ("sarsa", "qlearning")
SAMPLERS = ("auto", "tpe", "random")
"""``auto``: TPE for every agent kind"""
PRUNERS = ("auto", "median", "halving", "none")
"""``auto``: median for SB3 agents, successive halving for tabular agents"""
TPE_STARTUP = 5
"""random trials before TPE models the results"""
MEDIAN_STARTUP = 5
"""finished trials before the median pruner prunes"""
INSTALL = install_command("tune")
RAY_INSTALL = install_command("ray")


def require_optuna() -> Any:
    """The ``optuna`` module.

    Raises:
        ImportError: optuna is not installed (the message gives the install command).
    """
    return require("optuna", "tune", "tuning")


def require_ray() -> Any:
    """The ``ray`` module (the tuning backend 'ray').

    Raises:
        ImportError: ray is not installed (the message gives the install command).
    """
    return require("ray", "ray", "--tune-backend ray")


NET_ARCHS = {"tiny": [64], "small": [64, 64], "medium": [256, 256]}
ACTIVATIONS = ("tanh", "relu")


def agent_kind(agent: str) -> str:
    """'sb3' or 'tabular'.

    Raises:
        ValueError: the agent has no search space (the message lists the tunable agents).
    """
    if agent in SB3_AGENTS:
        return "sb3"
    if agent in TABULAR_AGENTS:
        return "tabular"
    raise ValueError(
        f"agent {agent!r} cannot be tuned (it has no search space); tunable agents: "
        f"{', '.join(SB3_AGENTS + TABULAR_AGENTS)}"
    )


def _policy(trial: Any) -> dict[str, Any]:
    arch = trial.suggest_categorical("net_arch", list(NET_ARCHS))
    activation = trial.suggest_categorical("activation_fn", list(ACTIVATIONS))
    return {"net_arch": list(NET_ARCHS[arch]), "activation_fn": activation}


def _gamma(trial: Any) -> float:
    return trial.suggest_categorical("gamma", [0.9, 0.95, 0.98, 0.99, 0.995, 0.999])


def sample_ppo(trial: Any) -> dict[str, Any]:
    """PPO and MaskablePPO: rollout, batch, epochs, discount, GAE, clipping, entropy, rate."""
    return {
        "n_steps": trial.suggest_categorical("n_steps", [64, 128, 256, 512, 1024, 2048]),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
        "n_epochs": trial.suggest_categorical("n_epochs", [1, 5, 10, 20]),
        "gamma": _gamma(trial),
        "gae_lambda": trial.suggest_categorical("gae_lambda", [0.8, 0.9, 0.92, 0.95, 0.98, 1.0]),
        "clip_range": trial.suggest_categorical("clip_range", [0.1, 0.2, 0.3, 0.4]),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
        "vf_coef": trial.suggest_float("vf_coef", 0.2, 1.0),
        "max_grad_norm": trial.suggest_categorical("max_grad_norm", [0.3, 0.5, 1.0, 2.0, 5.0]),
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "policy_kwargs": _policy(trial),
    }


def sample_a2c(trial: Any) -> dict[str, Any]:
    """A2C: rollout length, discount, GAE, entropy, value weight, optimiser and rate."""
    return {
        "n_steps": trial.suggest_categorical("n_steps", [5, 8, 16, 32, 64, 128]),
        "gamma": _gamma(trial),
        "gae_lambda": trial.suggest_categorical("gae_lambda", [0.8, 0.9, 0.95, 0.98, 1.0]),
        "normalize_advantage": trial.suggest_categorical("normalize_advantage", [False, True]),
        "use_rms_prop": trial.suggest_categorical("use_rms_prop", [False, True]),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
        "vf_coef": trial.suggest_float("vf_coef", 0.2, 1.0),
        "max_grad_norm": trial.suggest_categorical("max_grad_norm", [0.3, 0.5, 1.0, 2.0, 5.0]),
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "policy_kwargs": _policy(trial),
    }


def sample_dqn(trial: Any) -> dict[str, Any]:
    """DQN: replay, batch, exploration, target updates, training frequency and rate."""
    train_freq = trial.suggest_categorical("train_freq", [1, 4, 8, 16])
    subsample = trial.suggest_categorical("subsample_steps", [1, 2, 4])
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
        "buffer_size": trial.suggest_categorical("buffer_size", [10_000, 50_000, 100_000]),
        "learning_starts": trial.suggest_categorical("learning_starts", [0, 1000, 5000]),
        "gamma": _gamma(trial),
        "exploration_fraction": trial.suggest_float("exploration_fraction", 0.05, 0.5),
        "exploration_final_eps": trial.suggest_float("exploration_final_eps", 0.0, 0.2),
        "target_update_interval": trial.suggest_categorical(
            "target_update_interval", [1, 1000, 5000, 10_000]
        ),
        "train_freq": train_freq,
        "gradient_steps": max(train_freq // subsample, 1),
        "policy_kwargs": {"net_arch": list(NET_ARCHS[_arch(trial)])},
    }


def _arch(trial: Any) -> str:
    return trial.suggest_categorical("net_arch", list(NET_ARCHS))


def _off_policy_box(trial: Any) -> dict[str, Any]:
    train_freq = trial.suggest_categorical("train_freq", [1, 4, 8, 16, 32])
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256, 512]),
        "buffer_size": trial.suggest_categorical("buffer_size", [10_000, 100_000, 1_000_000]),
        "learning_starts": trial.suggest_categorical("learning_starts", [0, 1000, 10_000]),
        "gamma": _gamma(trial),
        "tau": trial.suggest_categorical("tau", [0.001, 0.005, 0.01, 0.02, 0.05]),
        "train_freq": train_freq,
        "gradient_steps": train_freq,
    }


def sample_sac(trial: Any) -> dict[str, Any]:
    """SAC: replay, batch, soft update, training frequency, rate and network (entropy auto)."""
    params = _off_policy_box(trial)
    params["policy_kwargs"] = {"net_arch": list(NET_ARCHS[_arch(trial)])}
    return params


def sample_td3(trial: Any) -> dict[str, Any]:
    """TD3: as SAC, plus the policy delay and the target policy smoothing noise."""
    params = _off_policy_box(trial)
    params["policy_delay"] = trial.suggest_categorical("policy_delay", [1, 2, 4])
    params["target_policy_noise"] = trial.suggest_categorical(
        "target_policy_noise", [0.1, 0.2, 0.3]
    )
    params["policy_kwargs"] = {"net_arch": list(NET_ARCHS[_arch(trial)])}
    return params


def sample_tabular(trial: Any, timesteps: int) -> dict[str, Any]:
    """SARSA and Q-learning: alpha, gamma and the epsilon schedule (its decay as a fraction of
    the trial's ``timesteps``, so the space fits any budget)."""
    fraction = trial.suggest_float("epsilon_decay_fraction", 0.05, 1.0)
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 1.0, log=True),
        "gamma": trial.suggest_float("gamma", 0.5, 0.999),
        "epsilon_start": trial.suggest_float("epsilon_start", 0.3, 1.0),
        "epsilon_end": trial.suggest_float("epsilon_end", 0.001, 0.1, log=True),
        "epsilon_decay": trial.suggest_categorical("epsilon_decay", ["linear", "exponential"]),
        "epsilon_decay_steps": max(1, round(fraction * timesteps)),
    }


SAMPLE: dict[str, Callable[..., dict[str, Any]]] = {
    "ppo": sample_ppo,
    "maskable-ppo": sample_ppo,
    "a2c": sample_a2c,
    "dqn": sample_dqn,
    "sac": sample_sac,
    "td3": sample_td3,
}
"""SB3 agent -> its search space"""


def sample_hyperparams(
    agent: str, trial: Any, timesteps: int, pinned: dict[str, Any]
) -> dict[str, Any]:
    """The sampled hyperparameters of ``agent`` for ``trial``, without the ``pinned`` keys
    (those the user fixed; their parameters are not drawn either)."""
    if agent_kind(agent) == "tabular":
        params = sample_tabular(_Pinned(trial, pinned), timesteps)
    else:
        params = SAMPLE[agent](_Pinned(trial, pinned))
    return {key: value for key, value in params.items() if key not in pinned}


class _Pinned:
    """A trial whose ``suggest_*`` of a pinned key returns a placeholder without drawing it,
    so a pinned hyperparameter is not a parameter of the study."""

    def __init__(self, trial: Any, pinned: dict[str, Any]) -> None:
        self._trial = trial
        self._pinned = set(pinned)
        if "policy_kwargs" in pinned:
            self._pinned |= {"net_arch", "activation_fn"}
        if "epsilon_decay_steps" in pinned:
            self._pinned.add("epsilon_decay_fraction")
        if "gradient_steps" in pinned:
            self._pinned.add("subsample_steps")

    def _suggest(self, kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
        if name in self._pinned:
            return args[0][0] if kind == "categorical" else args[0]
        return getattr(self._trial, f"suggest_{kind}")(name, *args, **kwargs)

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        return self._suggest("categorical", name, choices)

    def suggest_float(self, name: str, low: float, high: float, log: bool = False) -> float:
        return self._suggest("float", name, low, high, log=log)


def make_sampler(name: str, seed: int) -> Any:
    """The Optuna sampler ``name`` (``SAMPLERS``; 'auto' is TPE), seeded."""
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(n_startup_trials=TPE_STARTUP, multivariate=True, seed=seed)


def make_pruner(name: str, kind: str, n_evaluations: int) -> Any:
    """The Optuna pruner ``name`` (``PRUNERS``) for agents of ``kind`` ('sb3' or 'tabular')."""
    import optuna

    if name == "auto":
        name = "median" if kind == "sb3" else "halving"
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=MEDIAN_STARTUP, n_warmup_steps=max(1, n_evaluations // 3)
    )


__all__ = [
    "INSTALL",
    "PRUNERS",
    "SAMPLERS",
    "SB3_AGENTS",
    "TABULAR_AGENTS",
    "agent_kind",
    "make_pruner",
    "make_sampler",
    "require_optuna",
    "require_ray",
    "sample_hyperparams",
]
