"""Learning agents. Now: stable-baselines3 PPO/A2C/DQN (``SB3Agent``) and the training entry
point behind ``train.py`` (``netgym.agents.training``)."""

from .sb3 import ALGORITHMS, SB3Agent

__all__ = ["ALGORITHMS", "SB3Agent"]
