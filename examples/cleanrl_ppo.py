"""PPO in one file, CleanRL style, on a netgym vector env (discrete actions).

    python examples/cleanrl_ppo.py --env-id netgym/AbrStreaming-v0 --num-envs 8 \\
        --total-timesteps 200000

The whole algorithm is below (after CleanRL's ``ppo.py``, Huang et al. 2022): no netgym
training code, only ``gym.make_vec("netgym/AbrStreaming-v0", num_envs=N)``, which gives
netgym's batched vector env. Gymnasium 1.x vector envs reset a finished sub-env on the *next*
step (``autoreset_mode`` NEXT_STEP): that step's action is ignored and its reward is 0, so such
steps are masked out of the loss, and the observation a finished episode ends on is the one its
value bootstraps from when the episode was truncated. Needs torch (``pip install
"netgym[train]"``).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the netgym/ ids)
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (CleanRL's names and defaults, scaled to a CPU)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env-id", default="netgym/AbrStreaming-v0")
    p.add_argument("--num-envs", type=int, default=8)
    p.add_argument("--total-timesteps", type=int, default=200_000)
    p.add_argument("--num-steps", type=int, default=128, help="steps per env per rollout")
    p.add_argument("--learning-rate", type=float, default=2.5e-4)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def layer(n_in: int, n_out: int, std: float = 2**0.5) -> nn.Linear:
    """A linear layer with CleanRL's orthogonal initialisation."""
    linear = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(linear.weight, std)
    nn.init.constant_(linear.bias, 0.0)
    return linear


class Agent(nn.Module):
    """Separate actor and critic MLPs (64 x 64, tanh) on the flattened observation."""

    def __init__(self, n_obs: int, n_actions: int) -> None:
        super().__init__()
        self.critic = nn.Sequential(
            layer(n_obs, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, 1, 1.0)
        )
        self.actor = nn.Sequential(
            layer(n_obs, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, n_actions, 0.01)
        )

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def act(
        self, x: torch.Tensor, action: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        dist = Categorical(logits=self.actor(x))
        action = dist.sample() if action is None else action
        return action, dist.log_prob(action), dist.entropy(), self.value(x)


def train(args: argparse.Namespace) -> list[float]:
    """Train PPO; returns the returns of the episodes finished during training, in order."""
    torch.manual_seed(args.seed)
    envs = gym.make_vec(args.env_id, num_envs=args.num_envs)
    envs = gym.wrappers.vector.RecordEpisodeStatistics(envs)
    assert isinstance(envs.single_action_space, gym.spaces.Discrete), "discrete actions only"
    n_obs = int(np.prod(envs.single_observation_space.shape))
    agent = Agent(n_obs, int(envs.single_action_space.n))
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    n, steps = args.num_envs, args.num_steps
    obs = torch.zeros((steps, n, n_obs))
    actions, logprobs, rewards, values = (torch.zeros((steps, n)) for _ in range(4))
    terminated, done, valid = (torch.zeros((steps, n)) for _ in range(3))
    batch = steps * n
    minibatch = batch // args.num_minibatches
    iterations = max(1, args.total_timesteps // batch)
    observation, _ = envs.reset(seed=args.seed)
    next_obs = torch.as_tensor(observation, dtype=torch.float32).reshape(n, -1)
    resetting = torch.zeros(n)  # 1: this env's next step is its autoreset step
    returns: list[float] = []
    start = time.time()
    for iteration in range(1, iterations + 1):
        for g in optimizer.param_groups:  # learning rate annealed linearly to 0
            g["lr"] = (1.0 - (iteration - 1.0) / iterations) * args.learning_rate
        for t in range(steps):
            obs[t], valid[t] = next_obs, 1.0 - resetting
            with torch.no_grad():
                action, logprob, _, value = agent.act(next_obs)
            actions[t], logprobs[t], values[t] = action, logprob, value
            observation, reward, term, trunc, info = envs.step(action.numpy())
            rewards[t] = torch.as_tensor(reward, dtype=torch.float32)
            terminated[t] = torch.as_tensor(term, dtype=torch.float32)
            resetting = torch.as_tensor(np.logical_or(term, trunc), dtype=torch.float32)
            done[t] = resetting
            next_obs = torch.as_tensor(observation, dtype=torch.float32).reshape(n, -1)
            if "episode" in info:
                returns += [float(r) for r in info["episode"]["r"][info["_episode"]]]
        with torch.no_grad():  # GAE; a done step bootstraps from the obs it ended on
            next_values = torch.cat([values[1:], agent.value(next_obs)[None]])
            advantages = torch.zeros((steps, n))
            last = torch.zeros(n)
            for t in reversed(range(steps)):
                delta = rewards[t] + args.gamma * next_values[t] * (1 - terminated[t]) - values[t]
                last = delta + args.gamma * args.gae_lambda * (1 - done[t]) * last
                advantages[t] = last * valid[t]
            targets = advantages + values
        b_obs, b_act, b_logp = obs.reshape(batch, -1), actions.reshape(-1), logprobs.reshape(-1)
        b_adv, b_ret, b_mask = advantages.reshape(-1), targets.reshape(-1), valid.reshape(-1)
        for _ in range(args.update_epochs):
            for idx in torch.randperm(batch).split(minibatch):
                mask = b_mask[idx]
                if mask.sum() == 0:
                    continue
                _, logp, entropy, value = agent.act(b_obs[idx], b_act[idx].long())
                ratio = (logp - b_logp[idx]).exp()
                adv = b_adv[idx]
                adv = (adv - adv[mask > 0].mean()) / (adv[mask > 0].std() + 1e-8)
                clipped = ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(-adv * ratio, -adv * clipped)
                v_loss = 0.5 * (value - b_ret[idx]) ** 2
                loss = pg_loss - args.ent_coef * entropy + args.vf_coef * v_loss
                loss = (loss * mask).sum() / mask.sum()
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()
        recent = np.mean(returns[-20:]) if returns else float("nan")
        print(
            f"iteration {iteration}/{iterations}: {iteration * batch} steps, "
            f"{iteration * batch / (time.time() - start):.0f} steps/s, "
            f"mean return of the last 20 episodes {recent:.3f}"
        )
    envs.close()
    return returns


if __name__ == "__main__":
    train(parse_args())
