"""Side-by-side of a 3-node repeater chain in SeQUeNCe and in ``netgym/RepeaterChain-v0``.

Usage: ``python benchmarks/quantum_sequence.py [--sim-seconds T] [--steps N] [--num-envs M]
[--seed S]`` (prints one JSON object; ``benchmarks/quantum.py --with-sequence`` calls it).
SeQUeNCe (PyPI ``sequence``, Python >= 3.12) is never a netgym dependency: the script creates
its own virtual environment (``$NETGYM_SEQUENCE_VENV``, default
``/tmp/netgym-bench/sequence-venv``) with a Python 3.12+ interpreter (``$NETGYM_PYTHON312``,
else ``python3.12`` on PATH, else pyenv's 3.12 or 3.13) and ``pip install sequence`` on first
use, and runs the SeQUeNCe part there (``--child``).

Chain (reference/quantum.md 3 and 1.9, Starlight parameters): routers 0 - 1 - 2, 10 km links
with a meet-in-the-middle BSM station, 0.2 dB/km; memories with raw fidelity 0.9349, efficiency
0.75, 2 kHz, coherence time 1.3 s; detectors 0.8; ideal gates and measurements; single-heralded
generation; one memory per end router and two at the repeater; one request for F >= 0.5 pairs
(no purification) in the Bell-diagonal formalism. Every node has its own seed (the two BSM
stations must not share one: with equal seeds both links succeed in the same attempts).

What SeQUeNCe 1.3.1 does here (read from its source, checked pair by pair in ``--child``):
memories decohere lazily through ``Memory.bds_decohere`` (components/memory.py), a Pauli
channel at rate 1 / T_coh split equally over X, Y, Z, i.e. the Werner factor exp(-4t / 3T)
per memory for the time since its ``last_update_time``; it is applied at heralding
(``SingleHeraldedA.update_memory``: from the photon emission to the herald, L / c = 50 us),
at the swap (``EntanglementSwappingA_BDS.start``: all four memories, so the waiting link
decays for its whole wait, plus the 2 L / c = 100 us of the ResourceManager's REQUEST /
RESPONSE round trip before it swaps) and when the end routers get the result
(``EntanglementSwappingB_BDS``: L / c = 50 us more on both end memories). The swap is the
twirled Werner composition with ``gate_fid`` / ``meas_fid`` and success probability 1;
memories expire after 1.3 s (a cutoff that a millisecond wait never reaches). An attempt
(one photon per side) succeeds with ``SingleHeraldedBSM``'s 1/2 x both photons arrive x both
detectors click (``sequence_success_prob``); failed attempts repeat every 1 / 2 kHz + L / c
= 0.55 ms, and after a delivery the link that waited restarts 0.20-0.25 ms before the other.

netgym runs the same chain (swap-asap, vector env) on SeQUeNCe's attempt grid (1 / 2 kHz +
L / c = 0.55 ms), memory time 3/4 x 1.3 s (the same exp(-4t / 3T) per memory every step a link
waits), with SeQUeNCe's per-attempt probability and its two fixed classical latencies put
into netgym's own parameters: the herald latency into the fresh-link fidelity ``f_gen`` and
the swap's latency (4 memories x 100 us + 2 x 50 us) into the swap's ``gate_fid`` (a
depolarising factor, which commutes with everything else here). The mean delivered
fidelities are then compared within their Monte Carlo errors; the latencies, p and the waits are
measured in the SeQUeNCe run, and an analytic model of SeQUeNCe's fidelity is checked against
every delivered pair.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

VENV = Path(os.environ.get("NETGYM_SEQUENCE_VENV", "/tmp/netgym-bench/sequence-venv"))
MEMORY = {"frequency": 2000.0, "coherence_time": 1.3, "efficiency": 0.75, "fidelity": 0.9349}
DETECTOR = {"efficiency": 0.8, "dark_count": 0, "time_resolution": 100, "count_rate": 50e6}
BSM_SUCCESS = 0.5  # SingleHeraldedBSM.success_rate (linear optics)
LINK_KM = 10.0
ATTEN_DB_PER_M = 0.0002
LIGHT_M_PER_PS = 2e-4
TARGET_FIDELITY = 0.5
MIDDLE = "router_1"
PS = 1e-12


def attempt_period_s() -> float:
    """One attempt: the 2 kHz excitation period plus L / c (emission to herald and back)."""
    return 1.0 / MEMORY["frequency"] + LINK_KM * 1000 / LIGHT_M_PER_PS * PS


def sequence_success_prob() -> float:
    """Per-attempt success of SeQUeNCe's single-heralded generation, from its source.

    One photon per side per attempt (``SingleHeraldedA.emit_event`` in round 1; round 2 only
    reads the clicks); ``SingleHeraldedBSM.get`` succeeds with 1/2 and keeps both photons with
    (eta_mem eta_fibre(L/2))^2, then each detector clicks with its efficiency d, and
    ``update_memory`` wants both clicks: p = 1/2 (eta_mem eta_fibre)^2 d^2.
    """
    eta_arm = MEMORY["efficiency"] * 10 ** (-ATTEN_DB_PER_M * LINK_KM * 500 / 10)
    return BSM_SUCCESS * eta_arm**2 * DETECTOR["efficiency"] ** 2


# ----------------------------------------------------------------------- SeQUeNCe child
def sequence_config(seed: int) -> dict[str, Any]:
    """RouterNetTopo JSON of the 3-router chain (explicit BSM nodes and channels); every node
    gets its own seed."""
    routers = ["router_0", "router_1", "router_2"]
    half_m = LINK_KM * 1000 / 2
    nodes: list[dict[str, Any]] = [
        {
            "name": r,
            "type": "QuantumRouter",
            "seed": 100 * seed + i,
            "memo_size": 2 if i == 1 else 1,
            "template": "router",
            "gate_fidelity": 1.0,
            "measurement_fidelity": 1.0,
        }
        for i, r in enumerate(routers)
    ]
    qchannels, cchannels = [], []
    for k, (left, right) in enumerate(zip(routers, routers[1:], strict=False)):
        bsm = f"BSM_{left}_{right}"
        nodes.append(
            {"name": bsm, "type": "BSMNode", "seed": 100 * seed + 10 + k, "template": "bsm"}
        )
        for router in (left, right):
            qchannels.append(
                {
                    "source": router,
                    "destination": bsm,
                    "distance": half_m,
                    "attenuation": ATTEN_DB_PER_M,
                }
            )
            delay = int(half_m / LIGHT_M_PER_PS)
            cchannels.append({"source": router, "destination": bsm, "delay": delay})
            cchannels.append({"source": bsm, "destination": router, "delay": delay})
    for i, a in enumerate(routers):
        for j, b in enumerate(routers):
            if a != b:
                delay = int(abs(i - j) * LINK_KM * 1000 / LIGHT_M_PER_PS)
                cchannels.append({"source": a, "destination": b, "delay": delay})
    return {
        "templates": {
            "router": {"MemoryArray": MEMORY},
            "bsm": {
                "encoding_type": "single_heralded",
                "SingleHeraldedBSM": {"detectors": [DETECTOR, DETECTOR]},
            },
        },
        "nodes": nodes,
        "qchannels": qchannels,
        "cchannels": cchannels,
        "formalism": "bell_diagonal",
    }


def _mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / max(n, 1)
    var = sum((v - mean) ** 2 for v in values) / max(n - 1, 1)
    return mean, math.sqrt(var / max(n, 1))


def run_sequence(sim_seconds: float, seed: int) -> dict[str, Any]:
    """Simulate the chain for ``sim_seconds`` in SeQUeNCe (inside its venv), tracing the link
    attempts at the middle router, the swap and every delivery."""
    import tempfile
    from importlib.metadata import version

    import sequence as sq
    from sequence import constants
    from sequence.entanglement_management.generation.single_heralded import SingleHeraldedA
    from sequence.entanglement_management.swapping.swapping_base import (
        EntanglementSwappingA,
        EntanglementSwappingB,
    )
    from sequence.entanglement_management.swapping.swapping_bds import EntanglementSwappingA_BDS

    sq.EntanglementGenerationA.set_global_type(constants.SINGLE_HERALDED)
    sq.EntanglementGenerationB.set_global_type(constants.SINGLE_HERALDED)
    EntanglementSwappingA.set_formalism(constants.BELL_DIAGONAL_STATE_FORMALISM)
    EntanglementSwappingB.set_formalism(constants.BELL_DIAGONAL_STATE_FORMALISM)
    links = ("router_0", "router_2")
    attempts = dict.fromkeys(links, 0)
    successes = dict.fromkeys(links, 0)
    herald_ps: dict[str, int] = {}
    success_ps: dict[str, int] = {}
    swap_ps: list[int] = [0]
    pairs: list[dict[str, float]] = []
    update_memory = SingleHeraldedA.update_memory
    swap_start = EntanglementSwappingA_BDS.start

    def traced_update(self: Any) -> Any:  # one attempt = the round-2 check at the middle
        before = self.ent_round
        ok = update_memory(self)
        if self.owner.name == MIDDLE and before == 1 and self.ent_round == 2:
            attempts[self.remote_node_name] += 1
            if ok:
                successes[self.remote_node_name] += 1
                now = self.owner.timeline.now()
                success_ps[self.remote_node_name] = now
                herald_ps[self.remote_node_name] = now - self.memory.generation_time
        return ok

    def traced_swap(self: Any) -> None:
        swap_ps[0] = self.owner.timeline.now()
        swap_start(self)

    SingleHeraldedA.update_memory = traced_update
    EntanglementSwappingA_BDS.start = traced_swap

    class RecordingApp(sq.RequestApp):
        def get_memory(self, info: Any) -> None:
            before = self.memory_counter
            fidelity = info.fidelity
            super().get_memory(info)
            if self.memory_counter > before:
                pairs.append(
                    {
                        "fidelity": float(fidelity),
                        "t_left": success_ps["router_0"],
                        "t_right": success_ps["router_2"],
                        "herald_left": herald_ps["router_0"],
                        "herald_right": herald_ps["router_2"],
                        "t_swap": swap_ps[0],
                        "t_delivered": self.node.timeline.now(),
                    }
                )

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sequence_config(seed), handle)
    topo = sq.RouterNetTopo(config_source=handle.name)
    timeline = topo.get_timeline()
    routers = topo.get_nodes_by_type(sq.RouterNetTopo.QUANTUM_ROUTER)
    apps = {router.name: RecordingApp(router) for router in routers}
    timeline.init()
    start_ps = int(0.01 * constants.SECOND)
    end_ps = start_ps + int(sim_seconds * constants.SECOND)
    apps["router_0"].start(
        responder="router_2", start_t=start_ps, end_t=end_ps, memo_size=1, fidelity=TARGET_FIDELITY
    )
    wall = time.perf_counter()
    timeline.run()
    wall_s = time.perf_counter() - wall
    fidelities = [pair["fidelity"] for pair in pairs]
    mean, stderr = _mean_se(fidelities)
    n_attempts, n_successes = sum(attempts.values()), sum(successes.values())
    p_hat = n_successes / max(n_attempts, 1)
    return {
        "version": version("sequence"),
        "seed": seed,
        "simulated_s": sim_seconds,
        "wall_s": wall_s,
        "events": int(timeline.run_counter),
        "pairs": len(pairs),
        "pairs_per_simulated_s": len(pairs) / sim_seconds,
        "wall_s_per_pair": wall_s / max(len(pairs), 1),
        "mean_fidelity": mean,
        "fidelity_stderr": stderr,
        "link_attempts": n_attempts,
        "link_successes": n_successes,
        "p_link_measured": p_hat,
        "p_link_measured_stderr": math.sqrt(p_hat * (1 - p_hat) / max(n_attempts, 1)),
        "trace": pairs,
    }


def check_sequence_model(seq: dict[str, Any]) -> dict[str, Any]:
    """Timing of SeQUeNCe's deliveries (latencies; the waiting link's wait in attempts of
    0.55 ms) and its fidelity predicted pair by pair from the traced times:
    F = 1/4 + 3/4 w0^2 exp(-4 M / 3T), M = the memory-seconds of all four memories (herald,
    wait, swap handshake on both links; the result's latency on the two end memories)."""
    coherence_s = MEMORY["coherence_time"]
    w0 = (4 * MEMORY["fidelity"] - 1) / 3
    step_ps = attempt_period_s() / PS
    herald, handshake, result, waits, errors = [], [], [], [], []
    for pair in seq["trace"]:
        last = max(pair["t_left"], pair["t_right"])
        waits.append(abs(pair["t_left"] - pair["t_right"]) / step_ps)
        herald += [pair["herald_left"], pair["herald_right"]]
        handshake.append(pair["t_swap"] - last)
        result.append(pair["t_delivered"] - pair["t_swap"])
        memory_s = PS * (
            2 * (pair["herald_left"] + pair["herald_right"])
            + 2 * (2 * pair["t_swap"] - pair["t_left"] - pair["t_right"])
            + 2 * (pair["t_delivered"] - pair["t_swap"])
        )
        model = 0.25 + 0.75 * w0**2 * math.exp(-4 * memory_s / (3 * coherence_s))
        errors.append(abs(model - pair["fidelity"]))
    wait_mean, wait_se = _mean_se(waits)
    return {
        "herald_latency_s": [PS * min(herald), PS * max(herald)],
        "swap_handshake_s": [PS * min(handshake), PS * max(handshake)],
        "swap_result_s": [PS * min(result), PS * max(result)],
        "mean_wait_attempts": wait_mean,
        "mean_wait_attempts_stderr": wait_se,
        "max_wait_s": PS * step_ps * max(waits),
        "fidelity_model_max_abs_error": max(errors),
    }


# ------------------------------------------------------------------------ netgym parent
def _python312() -> str | None:
    candidates = [os.environ.get("NETGYM_PYTHON312"), shutil.which("python3.12")]
    pyenv = Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / "python") for p in sorted(pyenv.glob("3.1[234]*"))]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def ensure_venv() -> Path:
    """The SeQUeNCe venv's python, created with ``pip install sequence`` if needed."""
    python = VENV / "bin" / "python"
    if python.is_file():
        check = subprocess.run([str(python), "-c", "import sequence"], capture_output=True)
        if check.returncode == 0:
            return python
    base = _python312()
    if base is None:
        raise RuntimeError("no Python >= 3.12 found (set NETGYM_PYTHON312)")
    subprocess.run([base, "-m", "venv", str(VENV)], check=True, capture_output=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "sequence"],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    return python


def netgym_mapping(timing: dict[str, Any], p_link: float) -> dict[str, float]:
    """netgym parameters for SeQUeNCe's chain: its attempt grid and memory time, p, and the
    herald and swap latencies (memory decoherence at fixed times) as ``f_gen`` and ``gate_fid``."""
    coherence_s = MEMORY["coherence_time"]
    herald_s = timing["herald_latency_s"][1]
    swap_memory_s = 4 * timing["swap_handshake_s"][1] + 2 * timing["swap_result_s"][1]
    w0 = (4 * MEMORY["fidelity"] - 1) / 3
    return {
        "p_gen": p_link,
        "slot_s": attempt_period_s(),
        "memory_time_s": 0.75 * coherence_s,
        "f_gen": 0.25 + 0.75 * w0 * math.exp(-4 * 2 * herald_s / (3 * coherence_s)),
        "gate_fid": math.exp(-4 * swap_memory_s / (3 * coherence_s)),
    }


def run_netgym(mapping: dict[str, float], steps: int, num_envs: int, seed: int) -> dict[str, Any]:
    """The chain in netgym (abstract scheme, swap-asap, vector env with next-step autoreset)
    for ``steps`` vector steps of ``num_envs`` chains. The fidelity counts the episodes that
    start in the first half (each finishes long before the end, so the horizon cannot favour
    short episodes); the wall time per pair counts every delivery."""
    import numpy as np
    from netgym.baselines.quantum.chain import swap_asap_actions
    from netgym.envs.quantum import ChainParams, physics
    from netgym.envs.quantum.chain.env import RepeaterChainVectorEnv

    params = ChainParams.abstract(n_nodes=3, max_steps=1_000_000, **mapping)
    vec = RepeaterChainVectorEnv(num_envs, params)
    vec.reset(seed=seed)
    started = np.zeros(num_envs, dtype=np.int64)  # step at which each running episode began
    fidelities, deliveries = [], 0
    wall = time.perf_counter()
    for step in range(steps):
        _, _, terminated, _, info = vec.step(swap_asap_actions(vec.sim))
        done = terminated & (info["delivered"] > 0)
        deliveries += int(done.sum())
        fidelities.append(info["delivered_fidelity"][done & (started < steps // 2)])
        started[terminated] = step + 1  # next-step autoreset: the next step resets it
    wall_s = time.perf_counter() - wall
    fidelity = np.concatenate(fidelities)
    cut = int((started < steps // 2).sum())  # first-half episodes still running at the end
    w_gen = (4 * mapping["f_gen"] - 1) / 3
    w_raw = (4 * MEMORY["fidelity"] - 1) / 3
    p_gen = mapping["p_gen"]
    decay = physics.two_link_decay_expectation(p_gen, params.depolarising_factor())
    return {
        "params": mapping,
        "env_steps": steps * num_envs,
        "pairs": deliveries,
        "pairs_in_fidelity": int(fidelity.size),
        "first_half_episodes_cut": cut,
        "wall_s": wall_s,
        "wall_s_per_pair": wall_s / max(deliveries, 1),
        "mean_fidelity": float(fidelity.mean()),
        "fidelity_stderr": float(fidelity.std(ddof=1) / math.sqrt(fidelity.size)),
        "analytic_mean_fidelity": 0.25 + 0.75 * w_gen**2 * mapping["gate_fid"] * decay,
        # the same without SeQUeNCe's herald and swap latencies (raw f_gen, gate_fid 1)
        "analytic_mean_fidelity_without_latencies": 0.25 + 0.75 * w_raw**2 * decay,
        # E|G1 - G2| of two geometric(p) attempt counts: the waiting link's storage in steps
        "analytic_mean_wait_attempts": 2 * (1 - p_gen) / (p_gen * (2 - p_gen)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sim-seconds", type=float, default=30.0, help="SeQUeNCe simulated s")
    parser.add_argument("--seconds", type=float, default=2.0, help="unused (quantum.py passes it)")
    parser.add_argument("--steps", type=int, default=1000, help="netgym vector steps")
    parser.add_argument("--num-envs", type=int, default=1024, help="netgym chains in parallel")
    parser.add_argument("--seed", type=int, default=1, help="seed of both simulators")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_sequence(args.sim_seconds, args.seed)))
        return
    python = ensure_venv()
    done = subprocess.run(
        [
            str(python),
            __file__,
            "--child",
            "--sim-seconds",
            str(args.sim_seconds),
            "--seed",
            str(args.seed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"SeQUeNCe run failed:\n{done.stderr[-2000:]}")
    seq = json.loads(done.stdout.strip().splitlines()[-1])
    timing = check_sequence_model(seq)
    del seq["trace"]
    seq["timing"] = timing
    seq["p_link_model"] = sequence_success_prob()
    ours = run_netgym(
        netgym_mapping(timing, seq["p_link_model"]), args.steps, args.num_envs, args.seed
    )
    diff = ours["mean_fidelity"] - seq["mean_fidelity"]
    stderr = math.hypot(ours["fidelity_stderr"], seq["fidelity_stderr"])
    print(
        json.dumps(
            {
                "sequence": seq,
                "netgym": ours,
                "fidelity_difference": diff,
                "fidelity_difference_stderr": stderr,
                "fidelity_within_2_stderr": bool(abs(diff) <= 2 * stderr),
                "p_link_model_within_2_stderr": bool(
                    abs(seq["p_link_measured"] - seq["p_link_model"])
                    <= 2 * seq["p_link_measured_stderr"]
                ),
                "speedup_wall_s_per_pair": seq["wall_s_per_pair"] / ours["wall_s_per_pair"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
