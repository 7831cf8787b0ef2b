"""Side-by-side of a 3-node repeater chain in SeQUeNCe and in ``netgym/RepeaterChain-v0``.

Usage: ``python benchmarks/quantum_sequence.py [--seconds S] [--sim-seconds T]`` (prints one
JSON object; ``benchmarks/quantum.py --with-sequence`` calls it). SeQUeNCe (PyPI ``sequence``,
Python >= 3.12) is never a netgym dependency: the script creates its own virtual environment
(``$NETGYM_SEQUENCE_VENV``, default ``/tmp/netgym-bench/sequence-venv``) with a Python 3.12+
interpreter (``$NETGYM_PYTHON312``, else ``python3.12`` on PATH, else pyenv's 3.12 or 3.13)
and ``pip install sequence`` on first use, and runs the SeQUeNCe part there (``--child``).

Chain (reference/quantum.md 3 and 1.9, Starlight parameters): routers 0 - 1 - 2, 10 km links
with a meet-in-the-middle BSM station, 0.2 dB/km; memories with raw fidelity 0.9349,
efficiency 0.75, 2 kHz, coherence time 1.3 s (SeQUeNCe's Bell-diagonal Pauli channel, Werner
factor exp(-4t / 3T) per memory); detectors 0.8; ideal gates; single-heralded generation
(success eta_arm^2 / 2, as netgym's double_click); one memory per end router and two at the
repeater; a request for pairs with F >= 0.5 (no purification) in the Bell-diagonal formalism.

netgym runs the same chain with the Starlight step (1 / 2 kHz + L / c = 0.55 ms, the grid
SeQUeNCe's deliveries fall on), fresh F 0.9349, memory time 3/4 x 1.3 s (the same per-memory
Werner factor) and swap-asap. SeQUeNCe's per-attempt success probability comes out of its BSM
and detector models, so netgym's p is calibrated once from SeQUeNCe's own delivered-pair rate
(2-link swap-asap: E[T] = (3 - 2p) / (p (2 - p)) steps per pair); then the mean delivered
fidelities are compared (with the same p they can differ only through decoherence while a link
waits for its partner).
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
LINK_KM = 10.0
ATTEN_DB_PER_M = 0.0002
LIGHT_M_PER_PS = 2e-4
TARGET_FIDELITY = 0.5


# ----------------------------------------------------------------------- SeQUeNCe child
def sequence_config() -> dict[str, Any]:
    """RouterNetTopo JSON of the 3-router chain (explicit BSM nodes and channels)."""
    routers = ["router_0", "router_1", "router_2"]
    half_m = LINK_KM * 1000 / 2
    nodes: list[dict[str, Any]] = [
        {"name": r, "type": "QuantumRouter", "seed": i, "memo_size": 2 if i == 1 else 1,
         "template": "router", "gate_fidelity": 1.0, "measurement_fidelity": 1.0}
        for i, r in enumerate(routers)
    ]
    qchannels, cchannels = [], []
    for left, right in zip(routers, routers[1:], strict=False):
        bsm = f"BSM_{left}_{right}"
        nodes.append({"name": bsm, "type": "BSMNode", "seed": 0, "template": "bsm"})
        for router in (left, right):
            qchannels.append({"source": router, "destination": bsm, "distance": half_m,
                              "attenuation": ATTEN_DB_PER_M})
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
            "bsm": {"encoding_type": "single_heralded",
                    "SingleHeraldedBSM": {"detectors": [DETECTOR, DETECTOR]}},
        },
        "nodes": nodes,
        "qchannels": qchannels,
        "cchannels": cchannels,
        "formalism": "bell_diagonal",
    }


def run_sequence(sim_seconds: float) -> dict[str, Any]:
    """Simulate the chain for ``sim_seconds`` in SeQUeNCe (inside its venv)."""
    import tempfile
    from importlib.metadata import version

    import sequence as sq
    from sequence import constants

    sq.EntanglementGenerationA.set_global_type(constants.SINGLE_HERALDED)
    sq.EntanglementGenerationB.set_global_type(constants.SINGLE_HERALDED)
    from sequence.entanglement_management.swapping.swapping_base import (
        EntanglementSwappingA,
        EntanglementSwappingB,
    )

    EntanglementSwappingA.set_formalism(constants.BELL_DIAGONAL_STATE_FORMALISM)
    EntanglementSwappingB.set_formalism(constants.BELL_DIAGONAL_STATE_FORMALISM)
    fidelities: list[float] = []

    class RecordingApp(sq.RequestApp):
        def get_memory(self, info: Any) -> None:
            before = self.memory_counter
            fidelity = info.fidelity
            super().get_memory(info)
            if self.memory_counter > before:
                fidelities.append(float(fidelity))

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sequence_config(), handle)
    topo = sq.RouterNetTopo(config_source=handle.name)
    timeline = topo.get_timeline()
    routers = topo.get_nodes_by_type(sq.RouterNetTopo.QUANTUM_ROUTER)
    apps = {router.name: RecordingApp(router) for router in routers}
    timeline.init()
    start_ps = int(0.01 * constants.SECOND)
    end_ps = start_ps + int(sim_seconds * constants.SECOND)
    apps["router_0"].start(responder="router_2", start_t=start_ps, end_t=end_ps, memo_size=1,
                           fidelity=TARGET_FIDELITY)
    wall = time.perf_counter()
    timeline.run()
    wall_s = time.perf_counter() - wall
    pairs = len(fidelities)
    mean = sum(fidelities) / max(pairs, 1)
    var = sum((f - mean) ** 2 for f in fidelities) / max(pairs - 1, 1)
    return {
        "version": version("sequence"),
        "simulated_s": sim_seconds,
        "wall_s": wall_s,
        "events": int(timeline.run_counter),
        "pairs": pairs,
        "pairs_per_simulated_s": pairs / sim_seconds,
        "wall_s_per_pair": wall_s / max(pairs, 1),
        "mean_fidelity": mean,
        "fidelity_stderr": math.sqrt(var / max(pairs, 1)),
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
    subprocess.run([str(python), "-m", "pip", "install", "-q", "sequence"], check=True,
                   capture_output=True, timeout=1800)
    return python


def run_netgym(pairs_per_s: float, episodes: int) -> dict[str, Any]:
    """The same chain in netgym (abstract scheme on the Starlight step), its per-attempt
    success probability calibrated to SeQUeNCe's delivered-pair rate."""
    import numpy as np
    from netgym.baselines.quantum.chain import swap_asap_actions
    from netgym.envs.quantum import ChainParams
    from netgym.envs.quantum.chain_env import RepeaterChainVectorEnv

    starlight = ChainParams.starlight(n_nodes=3, link_km=LINK_KM)
    step_s = starlight.step_s  # 1 / 2 kHz + L / c: SeQUeNCe's deliveries come on this grid
    # 2-link swap-asap: (3 - 2p) / (p (2 - p)) steps per pair = S; solve S p^2 - 2(S+1) p + 3 = 0
    slots = 1.0 / (pairs_per_s * step_s)
    p = (2 * (slots + 1) - math.sqrt(4 * (slots + 1) ** 2 - 12 * slots)) / (2 * slots)
    p = min(max(p, 1e-6), 1.0)
    params = ChainParams.abstract(
        n_nodes=3, p_gen=p, slot_s=step_s, f_gen=starlight.f_gen,
        memory_time_s=starlight.memory_time_s, max_steps=1_000_000,
    )
    vec = RepeaterChainVectorEnv(episodes, params)
    vec.reset(seed=0)
    fidelity = np.zeros(episodes)
    done = np.zeros(episodes, dtype=bool)
    wall = time.perf_counter()
    steps = 0
    while not done.all():
        _, _, terminated, _, info = vec.step(swap_asap_actions(vec.sim))
        steps += episodes
        new = terminated & ~done
        fidelity[new] = info["delivered_fidelity"][new]
        done |= terminated
    wall_s = time.perf_counter() - wall
    w_link = (4 * starlight.f_gen - 1) / 3
    return {
        "p_link_calibrated": p,
        "p_link_double_click_model": float(starlight.link_success_prob()[0]),
        "step_s": step_s,
        "pairs": episodes,
        "wall_s": wall_s,
        "wall_s_per_pair": wall_s / episodes,
        "env_steps": steps,
        "mean_fidelity": float(fidelity.mean()),
        "fidelity_stderr": float(fidelity.std(ddof=1) / math.sqrt(episodes)),
        "fidelity_no_waiting_decoherence": (1 + 3 * w_link**2) / 4,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sim-seconds", type=float, default=2.0, help="SeQUeNCe simulated s")
    parser.add_argument("--seconds", type=float, default=2.0, help="unused (quantum.py passes it)")
    parser.add_argument("--episodes", type=int, default=4096, help="netgym pairs (one per env)")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_sequence(args.sim_seconds)))
        return
    python = ensure_venv()
    done = subprocess.run([str(python), __file__, "--child", "--sim-seconds",
                           str(args.sim_seconds)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"SeQUeNCe run failed:\n{done.stderr[-2000:]}")
    seq = json.loads(done.stdout.strip().splitlines()[-1])
    ours = run_netgym(seq["pairs_per_simulated_s"], args.episodes)
    diff = ours["mean_fidelity"] - seq["mean_fidelity"]
    stderr = math.hypot(ours["fidelity_stderr"], seq["fidelity_stderr"])
    print(json.dumps({
        "sequence": seq,
        "netgym": ours,
        "fidelity_difference": diff,
        "fidelity_difference_stderr": stderr,
        "fidelity_within_3_stderr": bool(abs(diff) <= 3 * stderr),
        "speedup_wall_s_per_pair": seq["wall_s_per_pair"] / ours["wall_s_per_pair"],
    }, indent=2))


if __name__ == "__main__":
    main()
