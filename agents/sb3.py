"""stable-baselines3 agents behind netgym's policy protocol.

``SB3Agent`` wraps a PPO, A2C or DQN model: ``learn`` trains it on any registered netgym env,
``save``/``load`` round-trip it through SB3's zip format (no pickle of netgym objects), and
``reset(env)`` / ``act(obs, info)`` make it usable by ``netgym.leaderboard.evaluate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ALGORITHMS = ("ppo", "a2c", "dqn")


def _algorithm_class(name: str) -> Any:
    import stable_baselines3 as sb3

    classes = {"ppo": sb3.PPO, "a2c": sb3.A2C, "dqn": sb3.DQN}
    if name not in classes:
        raise ValueError(f"unknown SB3 algorithm {name!r}; known: {sorted(classes)}")
    return classes[name]


class SB3Agent:
    """A stable-baselines3 model as a netgym policy (deterministic actions by default)."""

    def __init__(self, algorithm: str, model: Any, deterministic: bool = True) -> None:
        self.algorithm = algorithm
        self.model = model
        self.deterministic = deterministic
        self.name = f"sb3-{algorithm}"

    @classmethod
    def create(
        cls,
        algorithm: str,
        env_id: str,
        *,
        n_envs: int = 1,
        seed: int = 0,
        env_kwargs: dict[str, Any] | None = None,
        hyperparams: dict[str, Any] | None = None,
        device: str = "auto",
    ) -> SB3Agent:
        """Build an untrained model on ``n_envs`` copies of ``env_id`` (a DummyVecEnv)."""
        import netgym.envs  # noqa: F401  (registers the ids)
        from stable_baselines3.common.env_util import make_vec_env

        algorithm_class = _algorithm_class(algorithm)
        vec_env = make_vec_env(env_id, n_envs=n_envs, seed=seed, env_kwargs=env_kwargs or {})
        model = algorithm_class(
            "MlpPolicy", vec_env, seed=seed, device=device, verbose=0, **(hyperparams or {})
        )
        return cls(algorithm, model)

    def learn(self, timesteps: int, callback: Any = None) -> SB3Agent:
        """Train for ``timesteps`` environment steps."""
        if timesteps < 1:
            raise ValueError(f"timesteps must be >= 1, got {timesteps}")
        self.model.learn(total_timesteps=timesteps, callback=callback)
        return self

    def save(self, path: str | Path) -> Path:
        """Save the model to ``path`` (SB3 zip); returns the file written."""
        path = Path(path)
        self.model.save(path)
        return path if path.suffix == ".zip" else path.with_suffix(".zip")

    @classmethod
    def load(cls, algorithm: str, path: str | Path, device: str = "auto") -> SB3Agent:
        """Load a model saved by ``save``."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no saved model at {path}")
        return cls(algorithm, _algorithm_class(algorithm).load(path, device=device))

    def reset(self, env: Any) -> None:
        """Nothing to reset: the policies are feed-forward."""

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> Any:
        action, _ = self.model.predict(obs, deterministic=self.deterministic)
        return int(action) if np.ndim(action) == 0 else action
