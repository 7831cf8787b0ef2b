"""Throughput benchmark of the distributed-training networking family.

Usage: ``python benchmarks/disttrain.py [--quick] [--seconds S]``. Prints one JSON object to
stdout (progress goes to stderr). Single core (pinned, BLAS on one thread). Fields:

- ``analytic_step_evals_per_s``: link loads + congestion of one 256-flow ring step on the
  16 x 16 x 16 leaf-spine (random placement and paths, routes precomputed), the analytic model
  of ``cost.py``. Target 50,000/s.
- ``fluid_step_evals_per_s``: the max-min fair completion time of the same step
  (``fluid.py``); the reference measured about 540/s; target 300/s.
- ``oracle_ms``: one 256-flow step: edge-colouring (``colouring``), the min-congestion LP with
  one degraded uplink (``lp``, scipy HiGHS), the sequential capacity-aware greedy with 8 pieces
  (``greedy_k8``).
- ``collective_env_steps_per_s``: ``netgym/CollectivePath-v0`` (default: ring all-reduce,
  256 NICs, one piece per flow) with pre-drawn random paths, resets inside the timing:
  ``wrapped`` (``gym.make``, Gymnasium's checkers; target 30,000/s), ``unwrapped``, and the
  native vector env at N = 16, 64 and 256 (env-steps/s; target 100,000/s raw).
- ``gradcoding_rounds_per_s``: ``netgym/SeqGradCoding-v0`` (256 workers, 80 jobs) with random
  arms, in rounds per second (an env step is one epoch of about 10 rounds), resets (the delay
  draw of a whole episode) inside the timing: ``wrapped``, ``unwrapped`` and the vector env
  at N = 16 and 64. Target 50,000 rounds/s.
- ``arm_sweep_s``: seconds to evaluate all 158 arms of the menu over 100 rounds on one delay
  draw (what the best-in-hindsight baselines do at every reset). Target < 0.5 s.
- ``moe_layer_evals_per_s``: layer evaluations of ``netgym/MoeTrainingOverlap-v0``'s model
  (the list schedule of one GPT-2-like MoE layer), degrees cycling over the menu: ``forward``
  and ``backward`` (with a gradient all-reduce launched in r chunks). Target 10,000/s.
- ``moe_env_steps_per_s``: ``netgym/MoeTrainingOverlap-v0`` (GPT-2-like, 12 layers, token
  jitter 0.3) with random actions, resets inside the timing: ``wrapped``, ``unwrapped`` and the
  vector env at N = 16. Reference target 5,000/s.
- ``moe_baseline_ms``: one episode's plan of ``fsmoe`` (rounded optimum + DE) and ``oracle``
  (the DP over the layers), ms.
- ``gossip_events_per_s``: DADAO events (gradients and gossips) of ``netgym/AsyncGossip-v0``'s
  exact event simulation, cycle of 16 nodes at the default rate (about 56 events per time
  unit): ``quadratic`` (d = 5, kappa 10), ``logistic`` (d = 5, kappa 100) and ``through_env``
  (the scalar env unwrapped, reward and observation included). Target 40,000/s.
- ``gossip_env_steps_per_s``: ``netgym/AsyncGossip-v0`` (default) at DADAO's rate, resets
  inside the timing: ``wrapped``, ``unwrapped`` (one step = one time unit).
- ``per_cpu_second``: the env rates per second of this process's CPU time.
- ``astra_sim``: why ASTRA-sim's analytical backend is not timed beside (no registry package
  of the simulator on the development machine).
- ``meets_targets``: each target checked on the rate per CPU second (``per_cpu_second``;
  on a machine shared with other jobs the wall-clock rates understate an idle core).
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import json
import time
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
from netgym.baselines.disttrain.collective import greedy_paths
from netgym.envs.disttrain import cost, fluid, oracle
from netgym.envs.disttrain.collectives import build_collective
from netgym.envs.disttrain.gradcoding.env import SeqGradCodingEnv
from netgym.envs.disttrain.gradcoding.rounds import evaluate_arms
from netgym.envs.disttrain.moetraining.env import MoeTrainingOverlapEnv
from netgym.envs.disttrain.moetraining.pipeline import DEGREES
from netgym.envs.disttrain.placement import place_ranks
from netgym.envs.disttrain.topology import leaf_spine

COLLECTIVE_ID = "netgym/CollectivePath-v0"
GRADCODING_ID = "netgym/SeqGradCoding-v0"
MOE_ID = "netgym/MoeTrainingOverlap-v0"
GOSSIP_ID = "netgym/AsyncGossip-v0"
MOE_KWARGS = {"token_jitter": 0.3}
TARGETS = {
    "analytic_step_evals_per_s": 5e4,
    "fluid_step_evals_per_s": 300.0,
    "collective_wrapped_steps_per_s": 3e4,
    "collective_raw_steps_per_s": 1e5,
    "gradcoding_rounds_per_s": 5e4,
    "arm_sweep_s": 0.5,
    "moe_layer_evals_per_s": 1e4,
    "moe_env_steps_per_s": 5e3,
    "gossip_events_per_s": 4e4,
}
ASTRA_SIM = (
    "not timed: ASTRA-sim's analytical backend (astra-sim/astra-sim with "
    "astra-network-analytical, MIT, C++) is built from source with CMake; PyPI has no package "
    "of the simulator, only astra-sim-sdk (Keysight's gRPC/REST client of a remote ASTRA-sim "
    "service, which contains no simulator), so it cannot be installed from a registry on the "
    "development machine"
)
CPU_RATES: dict[str, float] = {}


def _rate(work: Any, seconds: float, label: str) -> float:
    result = rate(work, seconds)
    CPU_RATES[label] = result["cpu_per_s"]
    return result["per_s"]


def _ring_step(seed: int = 0) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    fabric = leaf_spine(16, 16, 16)
    rng = np.random.default_rng(seed)
    src, dst, size = build_collective("ring_allreduce", 256, 2.0**28).step(0)
    nic = place_ranks(fabric, 256, "random", rng)
    return fabric, nic[src], nic[dst], size


def bench_analytic(seconds: float) -> tuple[float, float]:
    """Analytic and fluid evaluations per second of one 256-flow step."""
    fabric, src, dst, size = _ring_step()
    path = np.random.default_rng(1).integers(0, 16, len(src))
    links = fabric.links_of(src, dst, path)
    weights = size[:, None]

    def analytic() -> int:
        for _ in range(200):
            cost.congestion(cost.link_loads(fabric, links, weights), fabric.capacity)
        return 200

    def fluid_block() -> int:
        fluid.fluid_completion_time(links, size, fabric.capacity)
        return 1

    return _rate(analytic, seconds, "analytic"), _rate(fluid_block, seconds, "fluid")


def bench_oracles() -> dict[str, float]:
    """Milliseconds of one call of each oracle on a 256-flow ring step."""
    fabric, src, dst, size = _ring_step(2)
    factors = np.ones(fabric.n_links)
    factors[fabric.up_links[0][0]] = 0.5
    degraded = fabric.with_factors(factors)
    out = {}
    for name, call in (
        ("colouring", lambda: oracle.colouring_paths(fabric, src, dst)),
        ("lp", lambda: oracle.min_congestion_lp(degraded, src, dst, size)),
        ("greedy_k8", lambda: greedy_paths(degraded, src, dst, size, 8, True)),
    ):
        call()
        start = time.perf_counter()
        call()
        out[name] = (time.perf_counter() - start) * 1e3
    return out


def bench_collective_env(seconds: float, wrapped: bool) -> float:
    """Env steps/s of the scalar CollectivePath env."""
    env = gym.make(COLLECTIVE_ID)
    env = env if wrapped else env.unwrapped
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 16, 4096).tolist()
    position = [0]

    def block() -> int:
        index = position[0]
        for _ in range(1000):
            if env.step(actions[index % 4096])[2]:
                env.reset()
            index += 1
        position[0] = index
        return 1000

    return _rate(block, seconds, "collective_wrapped" if wrapped else "collective_unwrapped")


def bench_collective_vector(seconds: float, n_envs: int) -> float:
    """Env-steps/s of the native CollectivePath vector env."""
    envs = gym.make_vec(COLLECTIVE_ID, num_envs=n_envs)
    envs.reset(seed=0)
    table = np.random.default_rng(0).integers(0, 16, (64, n_envs))
    position = [0]

    def block() -> int:
        for _ in range(20):
            envs.step(table[position[0] % 64])
            position[0] += 1
        return 20 * n_envs

    return _rate(block, seconds, f"collective_vector_{n_envs}")


def bench_gradcoding_env(seconds: float, wrapped: bool) -> float:
    """Rounds/s of the scalar SeqGradCoding env with random arms."""
    env = gym.make(GRADCODING_ID)
    env = env if wrapped else env.unwrapped
    env.reset(seed=0)
    arms = np.random.default_rng(0).integers(0, env.action_space.n, 4096).tolist()
    position = [0]
    rounds = [0]

    def block() -> int:
        index, before = position[0], rounds[0]
        for _ in range(50):
            _, _, done, _, info = env.step(arms[index % 4096])
            index += 1
            if done:
                rounds[0] += info["rounds"]
                env.reset()
        position[0] = index
        return max(rounds[0] - before, 0)

    label = "gradcoding_wrapped" if wrapped else "gradcoding_unwrapped"
    return _rate(block, seconds, label)


def bench_gradcoding_vector(seconds: float, n_envs: int) -> float:
    """Rounds/s of the native SeqGradCoding vector env (summed over sub-envs)."""
    envs = gym.make_vec(GRADCODING_ID, num_envs=n_envs)
    envs.reset(seed=0)
    n_arms = envs.single_action_space.n
    table = np.random.default_rng(0).integers(0, n_arms, (64, n_envs))
    position = [0]
    before = [np.zeros(n_envs)]

    def block() -> int:
        done_rounds = 0
        for _ in range(8):
            _, _, terminated, _, info = envs.step(table[position[0] % 64])
            position[0] += 1
            rounds = info["rounds"].astype(float)
            fresh = rounds >= before[0]
            done_rounds += int(np.where(fresh, rounds - before[0], rounds).sum())
            before[0] = np.where(terminated, 0.0, rounds)
        return done_rounds

    return _rate(block, seconds, f"gradcoding_vector_{n_envs}")


def bench_arm_sweep() -> float:
    """Seconds to evaluate every arm of the menu over 100 rounds."""
    env = SeqGradCodingEnv(jobs=100 - 7)
    env.reset(seed=0)
    d0 = env.delay_profile()
    arms = np.arange(len(env.arms))
    evaluate_arms(d0, arms, env.arms, env.rule, 93)
    start = time.perf_counter()
    evaluate_arms(d0, arms, env.arms, env.rule, 93)
    return time.perf_counter() - start


def bench_moe_layers(seconds: float) -> dict[str, float]:
    """Layer evaluations/s of the MoE training model, forward and backward."""
    env = MoeTrainingOverlapEnv()
    model, work = env.model, env.model.work
    degrees = list(DEGREES) * 40

    def forward() -> int:
        for r in degrees:
            model.forward(work, r)
        return len(degrees)

    def backward() -> int:
        for r in degrees:
            model.backward(work, r, model.grad)
        return len(degrees)

    return {
        "forward": _rate(forward, seconds, "moe_layer_forward"),
        "backward": _rate(backward, seconds, "moe_layer_backward"),
    }


def bench_moe_env(seconds: float, wrapped: bool) -> float:
    """Env steps/s of the scalar MoeTrainingOverlap env with random actions."""
    env = gym.make(MOE_ID, **MOE_KWARGS)
    env = env if wrapped else env.unwrapped
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 5, (4096, 2))
    position = [0]

    def block() -> int:
        index = position[0]
        for _ in range(500):
            if env.step(actions[index % 4096])[2]:
                env.reset()
            index += 1
        position[0] = index
        return 500

    return _rate(block, seconds, "moe_wrapped" if wrapped else "moe_unwrapped")


def bench_moe_vector(seconds: float, n_envs: int) -> float:
    """Env-steps/s of the native MoeTrainingOverlap vector env."""
    envs = gym.make_vec(MOE_ID, num_envs=n_envs, **MOE_KWARGS)
    envs.reset(seed=0)
    table = np.random.default_rng(0).integers(0, 5, (64, n_envs, 2))
    position = [0]

    def block() -> int:
        for _ in range(20):
            envs.step(table[position[0] % 64])
            position[0] += 1
        return 20 * n_envs

    return _rate(block, seconds, f"moe_vector_{n_envs}")


def bench_moe_baselines() -> dict[str, float]:
    """Milliseconds of one episode's plan of the FSMoE optimiser and the DP oracle."""
    from netgym.baselines import make_policy

    env = gym.make(MOE_ID, **MOE_KWARGS)
    env.reset(seed=0)
    out = {}
    for name in ("fsmoe", "oracle"):
        policy = make_policy(MOE_ID, name)
        start = time.perf_counter()
        policy.reset(env)
        out[name] = (time.perf_counter() - start) * 1e3
    return out


def bench_gossip_events(seconds: float, loss: str) -> float:
    """DADAO events/s of the event simulation alone (cycle of 16, default rate)."""
    from netgym.envs.disttrain.gossip.env import AsyncGossipEnv

    env = AsyncGossipEnv(loss=loss, kappa=10.0 if loss == "quadratic" else 100.0)
    env.reset(seed=0)
    ep = env.episode
    run, graph = ep.run, ep.graph
    beta_tilde = run.const.beta_tilde(graph.chi1 / graph.rate)

    def block() -> int:
        events = 0
        for _ in range(20):
            stats = run.advance(run.t + 1.0, graph.rate, beta_tilde)
            events += stats.gradients + stats.gossips
        return events

    return _rate(block, seconds, f"gossip_events_{loss}")


def bench_gossip_env(seconds: float, wrapped: bool, unit: str = "steps") -> float:
    """Env steps/s (``unit='steps'``) or DADAO events/s (``'events'``) of the scalar
    AsyncGossip env at DADAO's rate."""
    env = gym.make(GOSSIP_ID)
    env = env if wrapped else env.unwrapped
    env.reset(seed=0)
    seen = [0]

    def block() -> int:
        events = 0
        for _ in range(20):
            _, _, terminated, truncated, info = env.step(2)
            now = info["gradients"] + info["gossips"]
            events += now - seen[0]
            seen[0] = now
            if terminated or truncated:
                env.reset()
                seen[0] = 0
        return events if unit == "events" else 20

    label = f"gossip_{'wrapped' if wrapped else 'unwrapped'}"
    return _rate(block, seconds, label if unit == "steps" else "gossip_events_through_env")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short measurements (smoke test)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per measurement")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds is not None else (0.2 if args.quick else 2.0)
    log("analytic and fluid step evaluation ...")
    analytic, fluid_rate = bench_analytic(seconds)
    log("oracles ...")
    oracles = bench_oracles()
    log("CollectivePath env ...")
    collective = {
        "wrapped": bench_collective_env(seconds, wrapped=True),
        "unwrapped": bench_collective_env(seconds, wrapped=False),
    }
    for n_envs in (16, 64) if args.quick else (16, 64, 256):
        collective[f"vector_{n_envs}"] = bench_collective_vector(seconds, n_envs)
    log("SeqGradCoding env ...")
    gradcoding = {
        "wrapped": bench_gradcoding_env(seconds, wrapped=True),
        "unwrapped": bench_gradcoding_env(seconds, wrapped=False),
    }
    for n_envs in (16, 64):
        gradcoding[f"vector_{n_envs}"] = bench_gradcoding_vector(seconds, n_envs)
    sweep = bench_arm_sweep()
    log("MoeTrainingOverlap ...")
    moe_layers = bench_moe_layers(seconds)
    moe_env = {
        "wrapped": bench_moe_env(seconds, wrapped=True),
        "unwrapped": bench_moe_env(seconds, wrapped=False),
        "vector_16": bench_moe_vector(seconds, 16),
    }
    moe_baselines = bench_moe_baselines()
    log("AsyncGossip ...")
    gossip_events = {
        "quadratic": bench_gossip_events(seconds, "quadratic"),
        "logistic": bench_gossip_events(seconds, "logistic"),
    }
    gossip_events["through_env"] = bench_gossip_env(seconds, wrapped=False, unit="events")
    gossip_env = {
        "wrapped": bench_gossip_env(seconds, wrapped=True),
        "unwrapped": bench_gossip_env(seconds, wrapped=False),
    }
    cpu = CPU_RATES
    raw = max(v for k, v in cpu.items() if k.startswith("collective_") and "wrapped" not in k)
    sgc = max(v for k, v in cpu.items() if k.startswith("gradcoding_"))
    meets = {
        "analytic_step_evals_per_s": cpu["analytic"] >= TARGETS["analytic_step_evals_per_s"],
        "fluid_step_evals_per_s": cpu["fluid"] >= TARGETS["fluid_step_evals_per_s"],
        "collective_wrapped_steps_per_s": cpu["collective_wrapped"]
        >= TARGETS["collective_wrapped_steps_per_s"],
        "collective_raw_steps_per_s": raw >= TARGETS["collective_raw_steps_per_s"],
        "gradcoding_rounds_per_s": sgc >= TARGETS["gradcoding_rounds_per_s"],
        "arm_sweep_s": sweep <= TARGETS["arm_sweep_s"],
        "moe_layer_evals_per_s": min(cpu["moe_layer_forward"], cpu["moe_layer_backward"])
        >= TARGETS["moe_layer_evals_per_s"],
        "moe_env_steps_per_s": cpu["moe_wrapped"] >= TARGETS["moe_env_steps_per_s"],
        "gossip_events_per_s": cpu["gossip_events_quadratic"] >= TARGETS["gossip_events_per_s"],
    }
    print(
        json.dumps(
            {
                "analytic_step_evals_per_s": analytic,
                "fluid_step_evals_per_s": fluid_rate,
                "oracle_ms": oracles,
                "collective_env_steps_per_s": collective,
                "gradcoding_rounds_per_s": gradcoding,
                "arm_sweep_s": sweep,
                "moe_layer_evals_per_s": moe_layers,
                "moe_env_steps_per_s": moe_env,
                "moe_baseline_ms": moe_baselines,
                "gossip_events_per_s": gossip_events,
                "gossip_env_steps_per_s": gossip_env,
                "per_cpu_second": CPU_RATES,
                "astra_sim": ASTRA_SIM,
                "targets": TARGETS,
                "meets_targets": meets,
                "machine": machine(gymnasium=gym.__version__),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
