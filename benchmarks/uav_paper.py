"""Distributed SARSA vs Q-learning vs PSO on the UAV offloading ``paper`` preset, over seeds.

Usage: ``python benchmarks/uav_paper.py [--quick] [--timesteps T] [--seeds S] [--workers W]
[--layout-seed L]``. With ``--layout-seed L`` every episode (training and evaluation) has the
same users, ``UavParams.layout_seed = L`` (the seed paper's fixed-layout finite MDP).
Prints one JSON object to stdout (progress goes to stderr); ``benchmarks/README.md`` explains
every field.

For each training seed ``s`` (0 .. S - 1):

- independent per-UAV SARSA and Q-learning tables (``netgym.agents.tabular``, the seed paper's
  distributed SARSA, arXiv 2402.02957) are trained on ``pz:netgym.envs.uav:parallel_env`` by
  the code behind ``train.py`` (``netgym.agents.training.prepare_run`` / ``TrainingRun.train``,
  the shipped configuration in ``agents/config/{sarsa,qlearning}.yaml``), for ``T`` env steps;
- the greedy tables then play ``E`` held-out episodes (seeds ``EVAL_SEED_OFFSET + 1000 s + e``)
  of the parallel env; PettingZoo envs are not run by ``netgym.leaderboard.evaluate``, so the
  rollout is written here;
- the placement baselines ``pso-static`` (PSO over all K positions, 30 particles, 100
  iterations, seeded ``s``), ``kmeans`` and ``random`` (``netgym.baselines``) play the same
  episodes on the central env ``netgym/UavOffload-v0`` (same seed = same users and UAV starts);
- the upper bounds of each episode's users come from ``netgym.baselines.uav.bounds``.

The metric is the mean association A_t (users served by a UAV after each step, averaged over
the episode's steps), per seed averaged over its E episodes, and as a fraction of
min(N, K C). Means over seeds come with 95 % confidence intervals from Student's t
(mean +- t_{0.975, S-1} sd / sqrt(S)); SARSA is also compared with Q-learning and PSO seed by
seed (paired differences, same episodes).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gymnasium as gym  # noqa: E402
import netgym.envs  # noqa: E402, F401  (registers the env ids)
import numpy as np  # noqa: E402
from netgym.agents.training import EVAL_SEED_OFFSET, TrainingSettings, prepare_run  # noqa: E402
from netgym.envs.uav import UavParams, parallel_env  # noqa: E402

PZ_ENV = "pz:netgym.envs.uav:parallel_env"
CENTRAL_ENV = "netgym/UavOffload-v0"
ALGORITHMS = ("sarsa", "qlearning")
BASELINES = ("pso-static", "kmeans", "random")
DEFAULTS = {
    "full": {"preset": "paper", "timesteps": 150_000, "seeds": 5, "eval_episodes": 10},
    "quick": {"preset": "small", "timesteps": 500, "seeds": 2, "eval_episodes": 1},
}
"""per mode: preset, training env steps per seed, seeds, evaluation episodes per seed"""
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306}
"""two-sided 95 % quantiles of Student's t by degrees of freedom (scipy when it is larger)"""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def t_quantile(df: int) -> float:
    """t_{0.975, df}: the table above, else scipy, else the normal 1.96."""
    if df in T_975:
        return T_975[df]
    try:
        from scipy.stats import t as student_t
    except ImportError:
        return 1.96
    return float(student_t.ppf(0.975, df))


def mean_ci(values: list[float]) -> dict[str, Any]:
    """Mean, 95 % half-width (t distribution; None for one value) and the values."""
    array = np.asarray(values, dtype=float)
    half = None
    if len(array) > 1:
        half = t_quantile(len(array) - 1) * float(array.std(ddof=1)) / math.sqrt(len(array))
    return {"mean": float(array.mean()), "ci95": half, "per_seed": array.tolist()}


def eval_seeds(seed: int, episodes: int) -> list[int]:
    """Held-out evaluation seeds of training seed ``seed`` (shared by every method)."""
    return [EVAL_SEED_OFFSET + 1000 * seed + e for e in range(episodes)]


Changes = tuple[tuple[str, Any], ...]
"""UavParams overrides as sorted (field, value) pairs (hashable: part of the job keys)"""


def make_params(preset: str, changes: Changes = ()) -> UavParams:
    """The preset with ``changes`` (e.g. layout_seed, uav_start, reward) applied."""
    return UavParams.preset(preset, **dict(changes))


# --------------------------------------------------------------------------- rollouts
def rollout_parallel(agent: Any, params: UavParams, seeds: list[int]) -> list[float]:
    """Mean A_t per step of each episode of the parallel env, ``agent.act`` returning a dict."""
    env = parallel_env(params=params)
    means = []
    for seed in seeds:
        obs, infos = env.reset(seed=seed)
        served = []
        while env.agents:
            actions = agent.act(obs, infos)
            obs, _, _, _, infos = env.step(actions)
            served.append(next(iter(infos.values()))["n_assoc"])
        means.append(float(np.mean(served)))
    return means


def rollout_central(policy: Any, params: UavParams, seeds: list[int]) -> list[float]:
    """Mean A_t per step of each episode of the central env under a baseline policy."""
    env = gym.make(CENTRAL_ENV, params=params)
    means = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        policy.reset(env)
        served, done = [], False
        while not done:
            obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
            served.append(info["n_assoc"])
            done = terminated or truncated
        means.append(float(np.mean(served)))
    env.close()
    return means


# --------------------------------------------------------------------------- jobs
def train_job(
    algorithm: str,
    seed: int,
    timesteps: int,
    preset: str,
    episodes: int,
    changes: Changes = (),
) -> dict:
    """Train one tabular agent with ``train.py``'s code, then evaluate it greedily."""
    env_kwargs = {} if preset == "paper" else {"params": preset}
    env_kwargs.update(dict(changes))
    with tempfile.TemporaryDirectory(prefix="uav-paper-") as folder:
        settings = TrainingSettings(
            env=PZ_ENV,
            agent=algorithm,
            timesteps=timesteps,
            seed=seed,
            env_kwargs=env_kwargs,
            out=Path(folder) / "run",
            eval_episodes=0,
            checkpoint_every=0,
            device="cpu",
        )
        run = prepare_run(settings)
        result = run.train()
        params = make_params(preset, changes)
        started = time.perf_counter()
        assoc = rollout_parallel(run.agent, params, eval_seeds(seed, episodes))
        return {
            "assoc": assoc,
            "train_wall_s": result.wall_s,
            "train_steps": result.steps_done,
            "eval_wall_s": time.perf_counter() - started,
            "hyperparams": run.config.hyperparams,
        }


def baseline_job(name: str, seed: int, preset: str, episodes: int, changes: Changes = ()) -> dict:
    """Evaluate a ``netgym.baselines`` policy (seeded ``seed``) on the held-out episodes."""
    from netgym.baselines import make_policy

    started = time.perf_counter()
    policy = make_policy(CENTRAL_ENV, name, seed)
    params = make_params(preset, changes)
    assoc = rollout_central(policy, params, eval_seeds(seed, episodes))
    return {"assoc": assoc, "eval_wall_s": time.perf_counter() - started}


def bounds_job(
    seed: int, preset: str, episodes: int, changes: Changes = ()
) -> dict[str, list[float | None]]:
    """The upper bounds of each held-out episode's users (``netgym.baselines.uav.bounds``;
    only min(N, K C) when that module is missing)."""
    params = make_params(preset, changes)
    env = gym.make(CENTRAL_ENV, params=params)
    try:
        from netgym.baselines.uav.bounds import bounds_for
    except ImportError:
        bounds_for = None
    out: dict[str, list[float | None]] = {}
    for eval_seed in eval_seeds(seed, episodes):
        env.reset(seed=eval_seed)
        if bounds_for is None:
            values: dict[str, Any] = {"capacity": params.upper_bound}
        else:
            values = bounds_for(env, milp=True)
        for key, value in values.items():
            out.setdefault(key, []).append(None if value is None else float(value))
    env.close()
    return out


def _call(job: tuple) -> tuple[tuple, dict]:
    function, args = job
    return job[1], function(*args)


# --------------------------------------------------------------------------- report
def _row(name: str, stats: dict, fraction: dict) -> str:
    def fmt(block: dict, digits: int) -> str:
        half = block["ci95"]
        text = f"{block['mean']:.{digits}f}"
        return text if half is None else f"{text} +- {half:.{digits}f}"

    return f"| {name} | {fmt(stats, 1)} | {fmt(fraction, 3)} |"


def table_markdown(methods: dict, bounds: dict, capacity: int) -> str:
    """The results as a markdown table (mean A_t and fraction of min(N, K C), 95 % CI)."""
    lines = ["| method | mean A_t (users) | A_t / min(N, K C) |", "|---|---|---|"]
    for name, block in methods.items():
        lines.append(_row(name, block["assoc"], block["fraction_of_capacity_bound"]))
    for name, block in bounds.items():
        if block is not None:
            fraction = mean_ci([value / capacity for value in block["per_seed"]])
            lines.append(_row(f"bound: {name}", block, fraction))
    return "\n".join(lines)


def paired(methods: dict, first: str, second: str) -> dict[str, Any] | None:
    """Seed-by-seed difference of mean A_t (same episodes), with its 95 % CI."""
    if first not in methods or second not in methods:
        return None
    a = methods[first]["assoc"]["per_seed"]
    b = methods[second]["assoc"]["per_seed"]
    diff = mean_ci([x - y for x, y in zip(a, b, strict=True)])
    half = diff["ci95"]
    diff["first_better"] = diff["mean"] > 0
    diff["significant"] = half is not None and abs(diff["mean"]) > half
    return diff


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gym.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def run(
    preset: str,
    timesteps: int,
    n_seeds: int,
    episodes: int,
    workers: int,
    changes: Changes = (),
) -> dict:
    wall_start = time.perf_counter()
    params = make_params(preset, changes)
    ls = changes
    seeds = list(range(n_seeds))
    jobs: list[tuple] = []
    for seed in seeds:
        jobs += [(train_job, (algo, seed, timesteps, preset, episodes, ls)) for algo in ALGORITHMS]
        jobs += [(baseline_job, (name, seed, preset, episodes, ls)) for name in BASELINES]
        jobs.append((bounds_job, (seed, preset, episodes, ls)))
    _log(f"{len(jobs)} jobs on {workers} worker(s): {preset} preset, {timesteps} steps per run")
    results: dict[tuple, dict] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for args, value in pool.map(_call, jobs):
            _log(f"done {args[:2]} after {time.perf_counter() - wall_start:.0f} s")
            results[args] = value

    capacity = params.upper_bound
    methods: dict[str, Any] = {}
    for name in (*ALGORITHMS, *BASELINES):
        per_seed = []
        extra: dict[str, list[float]] = {"train_wall_s": [], "eval_wall_s": []}
        for seed in seeds:
            key = (
                (name, seed, timesteps, preset, episodes, ls)
                if name in ALGORITHMS
                else (name, seed, preset, episodes, ls)
            )
            value = results[key]
            per_seed.append(float(np.mean(value["assoc"])))
            for field in extra:
                if field in value:
                    extra[field].append(value[field])
        methods[name] = {
            "assoc": mean_ci(per_seed),
            "fraction_of_capacity_bound": mean_ci([v / capacity for v in per_seed]),
            **{f: float(np.sum(v)) for f, v in extra.items() if v},
        }
    bounds: dict[str, Any] = {}
    for seed in seeds:
        for key, values in results[(seed, preset, episodes, ls)].items():
            bounds.setdefault(key, []).append(values)
    bound_stats: dict[str, Any] = {}
    for key, per_seed_values in bounds.items():
        if any(value is None for values in per_seed_values for value in values):
            bound_stats[key] = None  # e.g. the MILP, skipped on large maps
        else:
            bound_stats[key] = mean_ci([float(np.mean(values)) for values in per_seed_values])
    hyperparams = {
        algo: results[(algo, 0, timesteps, preset, episodes, ls)]["hyperparams"]
        for algo in ALGORITHMS
    }
    kwargs_cli = {} if preset == "paper" else {"params": preset}
    kwargs_cli.update(dict(changes))
    env_kwargs = f" --env-kwargs '{json.dumps(kwargs_cli)}'" if kwargs_cli else ""
    result = {
        "preset": preset,
        "layout_seed": dict(changes).get("layout_seed"),
        "env_changes": dict(changes),
        "params": {
            "n_uavs": params.n_uavs,
            "n_users": params.n_users,
            "capacity": params.capacity,
            "n_cells": params.n_cells,
            "n_actions": params.n_actions,
            "max_steps": params.max_steps,
            "reward": params.reward,
            "obs_mode": params.obs_mode,
        },
        "seeds": seeds,
        "timesteps_per_seed": timesteps,
        "eval_episodes_per_seed": episodes,
        "eval_seeds": {str(s): eval_seeds(s, episodes) for s in seeds},
        "methods": methods,
        "bounds": bound_stats,
        "capacity_bound": capacity,
        "sarsa_minus_qlearning": paired(methods, "sarsa", "qlearning"),
        "sarsa_minus_pso": paired(methods, "sarsa", "pso-static"),
        "sarsa_minus_kmeans": paired(methods, "sarsa", "kmeans"),
        "ranking": sorted(methods, key=lambda n: -methods[n]["assoc"]["mean"]),
        "table_markdown": table_markdown(methods, bound_stats, capacity),
        "train_commands": [
            f"python train.py --env {PZ_ENV} --agent {algo} --timesteps {timesteps} "
            f"--seed {{S}} --eval-episodes 0{env_kwargs}"
            for algo in ALGORITHMS
        ],
        "hyperparams": hyperparams,
        "workers": workers,
        "machine": machine(),
    }
    result["wall_s"] = time.perf_counter() - wall_start
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small preset, 2 seeds, 500 steps")
    parser.add_argument("--preset", choices=("paper", "small"), help="UavParams preset")
    parser.add_argument("--timesteps", type=int, help="training env steps per seed and agent")
    parser.add_argument("--seeds", type=int, help="training seeds (0 .. S - 1)")
    parser.add_argument("--eval-episodes", type=int, help="held-out episodes per seed")
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)"
    )
    parser.add_argument(
        "--layout-seed",
        type=int,
        help="fixed user layout in every episode (UavParams.layout_seed); default: a new one",
    )
    parser.add_argument(
        "--uav-start",
        choices=("random", "fixed"),
        help="UAV start positions (fixed needs --layout-seed; default: the preset's, random)",
    )
    parser.add_argument(
        "--reward",
        choices=("global", "local", "mixed", "difference"),
        help="reward mode of the PettingZoo env the tabular agents train on (default global)",
    )
    args = parser.parse_args(argv)
    defaults = DEFAULTS["quick" if args.quick else "full"]
    preset = args.preset or defaults["preset"]
    timesteps = args.timesteps or defaults["timesteps"]
    n_seeds = args.seeds or defaults["seeds"]
    episodes = args.eval_episodes or defaults["eval_episodes"]
    for name, value in (
        ("timesteps", timesteps),
        ("seeds", n_seeds),
        ("eval-episodes", episodes),
        ("workers", args.workers),
    ):
        if value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    if args.layout_seed is not None and args.layout_seed < 0:
        parser.error(f"--layout-seed must be >= 0, got {args.layout_seed}")
    given = {"layout_seed": args.layout_seed, "uav_start": args.uav_start, "reward": args.reward}
    changes = tuple(sorted((k, v) for k, v in given.items() if v is not None))
    result = run(preset, timesteps, n_seeds, episodes, args.workers, changes)
    _log(result["table_markdown"])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
