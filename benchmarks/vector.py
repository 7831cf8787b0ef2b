"""Does batching pay? Scalar steps/s against vector env-steps/s for every env with a vector entry
point, optionally side by side with another netgym tree (before / after a change) in one run.

Usage::

    python benchmarks/vector.py                          # every env, this tree, 2 s each
    python benchmarks/vector.py --quick                  # 0.2 s each (smoke test)
    python benchmarks/vector.py --before /tmp/netgym-old # the same in a second tree, alternated
    python benchmarks/vector.py --envs UavOffload AbrStreaming --repeats 3
    python benchmarks/vector.py --defaults               # every registered env's defaults

Prints one JSON object to stdout (progress goes to stderr); ``benchmarks/README.md`` explains
every field. Every measurement runs in a fresh child process (this script with ``--child``),
pinned to one core with single-threaded BLAS (``_harness.py``), one after the other, never two
at once: the scalar env through ``gym.make`` (with gymnasium's wrappers) stepped with pre-drawn
actions of its action space, a ``reset`` at each episode end inside the timed loop, and the
native vector env through ``gym.make_vec(id, num_envs=B)`` (B = 256 by default) stepped with
pre-drawn batches (autoreset inside the timed loop). The envs are the registered ids whose spec
has a ``vector_entry_point``, with their default parameters, plus the extra configurations of
``EXTRA_CONFIGS``. With ``--before DIR`` (a checkout of another netgym commit, e.g. made with
``git worktree add``) each measurement is also made in that tree, before / after alternating,
so that both sides see the same machine; the children import that tree's ``netgym`` through a
shim package on ``PYTHONPATH`` (nothing is installed). ``--repeats R`` repeats every measurement
R times (alternating again) and reports the median. ``--defaults`` adds every other registered
netgym id (scalar env only: it has no vector entry point) and checks every env's defaults
against the issue-21 floor of ``DEFAULTS_FLOOR`` scalar steps/s (``defaults_markdown``).
Unless ``--no-compile``, each configuration's first reset and steps also run in a child with an
empty ``NUMBA_CACHE_DIR`` and again on the warm cache (``compile_times``): ``compiled_kernels``
lists every compiled kernel (``envs/core/compiled.py``) the timed envs call, with its compile
time. ``--ids module:Name-v0`` times other gymnasium ids instead of netgym's.
"""

from __future__ import annotations

# isort: off
# First, before numpy: one thread, one pinned core (see _harness.py).
from _harness import log, machine, rate
# isort: on

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NUM_ENVS = 256
ACTION_SEED = 12345
SCALAR_ACTIONS = 256
VECTOR_BATCHES = 16
TEN_X = 10.0
"""the issue's rule: the vector env steps at least 10x more env-steps/s than the scalar env"""
DEFAULTS_FLOOR = 5_000.0
"""the issue's rule for defaults: ``gym.make(id)`` steps at least this many times per second
(or its docs say why not and how to make it so)"""
EXTRA_CONFIGS: dict[str, list[tuple[dict[str, Any], bool]]] = {
    "netgym/MoeRouting-v0": [({"lp_bound": True}, False)],
}
"""configurations measured besides the defaults: (keywords, whether the vector env is timed
too); MoeRouting with its per-step LP bound runs about 45 steps/s, so only its scalar env is
timed (B = 256 LPs would take seconds per vector step)"""
PACKAGE_DIRS = {
    "envs": "envs",
    "agents": "agents",
    "baselines": "baselines",
    "leaderboard": "leaderboard",
    "cli": "cli",
}
"""the ``netgym.<name>`` subpackages and their folders at the root of a netgym tree"""
SCRIPT = Path(__file__).resolve()
FIRST_STEPS = 64
"""steps of the compile-time child: ``reset`` and this many steps of the scalar env (a reset at
each episode end)"""
FIRST_BATCHES = 8
"""then of the vector env: ``make_vec``, reset and this many batches (few: a slow vector env
takes seconds per batch, and the kernels compile on the first)"""


# --------------------------------------------------------------------------- child: one timing
def _scalar_block(env_id: str, kwargs: dict[str, Any]) -> tuple[Any, int]:
    import gymnasium as gym

    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(ACTION_SEED)
    actions = [env.action_space.sample() for _ in range(SCALAR_ACTIONS)]
    position = [0]

    def block() -> int:
        index = position[0]
        for _ in range(8):
            _, _, terminated, truncated, _ = env.step(actions[index % SCALAR_ACTIONS])
            if terminated or truncated:
                env.reset()
            index += 1
        position[0] = index
        return 8

    return block, 8


def _vector_block(env_id: str, kwargs: dict[str, Any], num_envs: int) -> tuple[Any, int]:
    import gymnasium as gym

    envs = gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )
    envs.reset(seed=0)
    envs.action_space.seed(ACTION_SEED)
    batches = [envs.action_space.sample() for _ in range(VECTOR_BATCHES)]
    position = [0]

    def block() -> int:
        envs.step(batches[position[0] % VECTOR_BATCHES])
        position[0] += 1
        return num_envs

    return block, num_envs


def _first_steps(env_id: str, kwargs: dict[str, Any], num_envs: int) -> None:
    """Make the scalar env, reset it and take ``FIRST_STEPS`` steps; then the vector env of
    ``num_envs`` sub-envs (none with 0) and ``FIRST_BATCHES`` steps: what compiles the kernels
    the env uses."""
    import gymnasium as gym

    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(ACTION_SEED)
    for _ in range(FIRST_STEPS):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    env.close()
    if num_envs:
        envs = gym.make_vec(
            env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
        )
        envs.reset(seed=0)
        envs.action_space.seed(ACTION_SEED)
        for _ in range(FIRST_BATCHES):
            envs.step(envs.action_space.sample())
        envs.close()


def compile_child(env_id: str, kwargs: dict[str, Any], num_envs: int) -> None:
    """Time the env's first reset and steps twice in this process (``compiled.time_first_call``;
    wall and CPU seconds) and print, as JSON, both times and every compiled kernel the env
    called: its signatures, cache hits and misses (``compiled.kernel_report``) and
    ``compile_s``, the seconds numba spent compiling its signatures in this process (0.0 for
    signatures loaded from the cache)."""
    import netgym.envs  # noqa: F401  (registers the ids)
    from netgym.envs.core import compiled

    cpu: list[float] = []

    def call() -> None:
        start = time.process_time()
        _first_steps(env_id, kwargs, num_envs)
        cpu.append(time.process_time() - start)

    timing = compiled.time_first_call(call)
    timing["first_cpu_s"], timing["second_cpu_s"] = cpu
    kernels = {}
    for name, entry in compiled.kernel_report().items():
        if not entry["signatures"]:
            continue  # declared by an imported module, not called by this env
        dispatcher = compiled.KERNELS[name]
        seconds = 0.0
        for signature in dispatcher.signatures:
            metadata = dispatcher.overloads[signature].metadata or {}
            seconds += metadata.get("timers", {}).get("compiler_lock", 0.0)
        kernels[name] = {**entry, "compile_s": seconds}
    print(json.dumps({**timing, "kernels": kernels}))


def child(env_id: str, side: str, kwargs: dict[str, Any], seconds: float, num_envs: int) -> None:
    """Time one side of one env in this process and print ``rate``'s dict as JSON (side
    ``compile``: ``compile_child`` instead)."""
    import netgym.envs  # noqa: F401  (registers the ids)

    if side == "compile":
        compile_child(env_id, kwargs, num_envs)
        return
    start = time.perf_counter()
    if side == "scalar":
        block, _ = _scalar_block(env_id, kwargs)
    else:
        block, _ = _vector_block(env_id, kwargs, num_envs)
    setup_s = time.perf_counter() - start
    result = rate(block, seconds)
    result["setup_s"] = setup_s
    result["netgym"] = str(Path(netgym.envs.__file__).resolve().parents[1])
    print(json.dumps(result))


# --------------------------------------------------------------------------- parent
def shim_for(tree: Path, folder: Path) -> Path:
    """A folder holding a ``netgym`` package made of links into the netgym tree ``tree`` (its
    ``netgym_pkg`` files and code folders), to put first on a child's ``PYTHONPATH``."""
    package = folder / "netgym"
    package.mkdir(parents=True)
    for item in (tree / "netgym_pkg").iterdir():
        (package / item.name).symlink_to(item)
    for name, sub in PACKAGE_DIRS.items():
        (package / name).symlink_to(tree / sub)
    return folder


def measure(
    env_id: str,
    side: str,
    kwargs: dict[str, Any],
    seconds: float,
    num_envs: int,
    shim: Path | None,
    numba_cache: Path | None = None,
) -> dict[str, Any]:
    """Run one child and return its rate (or ``{"error": ...}``); with ``numba_cache``, numba
    caches its compiled kernels there (``NUMBA_CACHE_DIR``)."""
    env = dict(os.environ)
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
    if shim is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        str(SCRIPT),
        "--child",
        env_id,
        side,
        json.dumps(kwargs),
        str(seconds),
        str(num_envs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"}
    return json.loads(done.stdout)


def compile_times(
    env_id: str, kwargs: dict[str, Any], num_envs: int, folder: Path
) -> dict[str, Any]:
    """The compile time of the kernels an env uses: its first reset and steps (``_first_steps``)
    in a fresh child whose ``NUMBA_CACHE_DIR`` is a new empty folder under ``folder`` (cold: numba
    compiles every kernel it calls), then, if it called any, in a second child on that now warm
    cache (what a user sees from the second run on). Returns ``cold_first_s``, ``warm_first_s``
    (null without kernels), ``compile_s`` (their difference: compiling minus loading from the
    cache), the same three in CPU seconds (``*_cpu_s``: steadier on a shared machine) and
    ``kernels`` (the cold child's report, with numba's own ``compile_s`` per kernel and the warm
    child's ``warm_cache_hits`` and ``warm_cache_misses``; a kernel called only by another
    kernel is loaded with its caller, so the warm child lists only the callers)."""
    cache = Path(tempfile.mkdtemp(prefix="numba-cache-", dir=folder))
    cold = measure(env_id, "compile", kwargs, 0.0, num_envs, None, numba_cache=cache)
    if "error" in cold:
        return cold
    out: dict[str, Any] = {
        "cold_first_s": cold["first_s"],
        "warm_first_s": None,
        "compile_s": 0.0,
        "cold_first_cpu_s": cold["first_cpu_s"],
        "warm_first_cpu_s": None,
        "compile_cpu_s": 0.0,
        "kernels": cold["kernels"],
    }
    if cold["kernels"]:
        warm = measure(env_id, "compile", kwargs, 0.0, num_envs, None, numba_cache=cache)
        if "error" in warm:
            return warm
        out["warm_first_s"] = warm["first_s"]
        out["compile_s"] = cold["first_s"] - warm["first_s"]
        out["warm_first_cpu_s"] = warm["first_cpu_s"]
        out["compile_cpu_s"] = cold["first_cpu_s"] - warm["first_cpu_s"]
        for name, entry in out["kernels"].items():
            warm_entry = warm["kernels"].get(name, {})
            entry["warm_cache_hits"] = warm_entry.get("cache_hits", 0)
            entry["warm_cache_misses"] = warm_entry.get("cache_misses", 0)
    return out


def kernels_table(results: dict[str, Any]) -> dict[str, Any]:
    """``compiled_kernels``: every kernel the timed envs called, by name, with its signatures,
    ``compile_s`` (numba's compile seconds in a cold child, the median over the configurations
    that call it) and ``used_by`` (their labels)."""
    seen: dict[str, dict[str, Any]] = {}
    for label, entry in results.items():
        first = entry["after"].get("first_call") or {}
        for name, kernel in first.get("kernels", {}).items():
            item = seen.setdefault(name, {"signatures": [], "compile_runs": [], "used_by": []})
            item["signatures"] = sorted(set(item["signatures"]) | set(kernel["signatures"]))
            item["compile_runs"].append(kernel["compile_s"])
            item["used_by"].append(label)
    return {
        name: {
            "signatures": item["signatures"],
            "compile_s": statistics.median(item.pop("compile_runs")),
            "used_by": item["used_by"],
        }
        for name, item in sorted(seen.items())
    }


def explicit_ids(ids: list[str]) -> list[tuple[str, bool]]:
    """Gymnasium ids given on the command line (``module:Name-v0`` imports ``module`` first, as
    ``gym.make`` does), each with whether its spec has a vector entry point."""
    import importlib

    import gymnasium as gym

    out = []
    for env_id in ids:
        if ":" in env_id:
            importlib.import_module(env_id.split(":", 1)[0])
        spec = gym.spec(env_id.split(":", 1)[-1])
        out.append((env_id, spec.vector_entry_point is not None))
    return out


def env_ids(every: bool = False) -> list[tuple[str, bool]]:
    """The registered netgym ids with a vector entry point (with ``every``: all of them), in
    family order, each with whether it has one."""
    import netgym.envs  # noqa: F401
    from netgym.envs.families import env_specs

    ids = [(spec_id, spec.vector_entry_point is not None) for spec_id, spec in env_specs().items()]
    return [(spec_id, vector) for spec_id, vector in ids if every or vector]


def label_of(env_id: str, kwargs: dict[str, Any]) -> str:
    name = env_id.split(":", 1)[-1].split("/", 1)[-1]
    if not kwargs:
        return f"{name} (defaults)"
    return f"{name} ({', '.join(f'{key}={value!r}' for key, value in kwargs.items())})"


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median per_s and cpu_per_s of repeated runs (errors reported as such)."""
    good = [run for run in runs if "error" not in run]
    if not good:
        return {"error": runs[0]["error"]}
    return {
        "per_s": statistics.median(run["per_s"] for run in good),
        "cpu_per_s": statistics.median(run["cpu_per_s"] for run in good),
        "runs": [run["per_s"] for run in good],
        "setup_s": statistics.median(run["setup_s"] for run in good),
        "netgym": good[0]["netgym"],
    }


def row(scalar: dict[str, Any], vector: dict[str, Any] | None) -> dict[str, Any]:
    if vector is None or "error" in scalar or "error" in vector:
        return {"scalar": scalar, "vector": vector, "ratio": None, "ratio_cpu": None}
    return {
        "scalar": scalar,
        "vector": vector,
        "ratio": vector["per_s"] / scalar["per_s"],
        "ratio_cpu": vector["cpu_per_s"] / scalar["cpu_per_s"],
        "meets_10x": vector["cpu_per_s"] / scalar["cpu_per_s"] >= TEN_X,
    }


def defaults_rows(results: dict[str, Any]) -> dict[str, Any]:
    """Each env's defaults against ``DEFAULTS_FLOOR``: scalar steps/s (wall and CPU) and
    ``meets_floor`` (from ``cpu_per_s``), for the ``(defaults)`` rows of ``results``."""
    out: dict[str, Any] = {}
    for label, entry in results.items():
        if not label.endswith(" (defaults)"):
            continue
        scalar = entry["after"]["scalar"]
        if "error" in scalar:
            out[label] = {"error": scalar["error"]}
            continue
        out[label] = {
            "per_s": scalar["per_s"],
            "cpu_per_s": scalar["cpu_per_s"],
            "meets_floor": scalar["cpu_per_s"] >= DEFAULTS_FLOOR,
        }
    return out


def defaults_markdown(rows: dict[str, Any]) -> str:
    """The defaults table: env, scalar steps/s (wall, CPU) and whether it meets the floor."""
    lines = [
        f"| env (defaults) | scalar steps/s | per CPU second | >= {DEFAULTS_FLOOR:,.0f} |",
        "|---|---|---|---|",
    ]
    for label, entry in rows.items():
        name = label.removesuffix(" (defaults)")
        if "error" in entry:
            lines.append(f"| {name} | error | | |")
            continue
        meets = "yes" if entry["meets_floor"] else "no"
        lines.append(f"| {name} | {entry['per_s']:,.0f} | {entry['cpu_per_s']:,.0f} | {meets} |")
    return "\n".join(lines)


def markdown(
    results: dict[str, Any],
    num_envs: int,
    before: bool,
    skip: frozenset[str] = frozenset(),
    key: str = "per_s",
) -> str:
    """The scalar / vector table (before / after in each cell with ``before``), without the
    labels in ``skip`` (envs with no vector entry point), from ``key``: ``per_s`` (wall
    clock) or ``cpu_per_s`` (per CPU second of the child)."""
    ratio_key = "ratio" if key == "per_s" else "ratio_cpu"
    head = f"| env | scalar steps/s | vector env-steps/s at B = {num_envs} | ratio |"
    rule = "|---|---|---|---|"
    if before:
        head = (
            f"| env | scalar steps/s (before / after) | vector env-steps/s at B = {num_envs} "
            "(before / after) | ratio (before / after) |"
        )
    lines = [head, rule]

    def cells(entry: dict[str, Any]) -> tuple[str, str, str]:
        if entry["ratio"] is None:
            scalar = entry["scalar"]
            first = f"{scalar[key]:,.0f}" if key in scalar else "error"
            return (first, "not timed" if entry["vector"] is None else "error", "")
        return (
            f"{entry['scalar'][key]:,.0f}",
            f"{entry['vector'][key]:,.0f}",
            f"{entry[ratio_key]:.1f}x",
        )

    for label, entry in results.items():
        if label in skip:
            continue
        after = cells(entry["after"])
        if before:
            old = cells(entry["before"])
            pairs = [f"{o} / {a}" for o, a in zip(old, after, strict=True)]
            lines.append(f"| {label} | " + " | ".join(pairs) + " |")
        else:
            lines.append(f"| {label} | " + " | ".join(after) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s per measurement (smoke)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per measurement")
    parser.add_argument("--num-envs", type=int, default=NUM_ENVS, help="B of the vector env")
    parser.add_argument("--repeats", type=int, default=1, help="median of this many runs")
    parser.add_argument("--envs", nargs="*", default=None, help="substrings of the env ids")
    parser.add_argument("--no-extra", action="store_true", help="defaults only")
    parser.add_argument(
        "--defaults", action="store_true", help="every registered env's defaults (floor check)"
    )
    parser.add_argument("--before", type=Path, default=None, help="another netgym tree")
    parser.add_argument(
        "--ids",
        nargs="*",
        default=None,
        help="these gymnasium ids (module:Name-v0 imports module) instead of netgym's",
    )
    parser.add_argument("--no-compile", action="store_true", help="skip the kernels' compile times")
    parser.add_argument("--child", nargs=5, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        env_id, side, kwargs, seconds, num_envs = args.child
        child(env_id, side, json.loads(kwargs), float(seconds), int(num_envs))
        return
    seconds = args.seconds or (0.2 if args.quick else 2.0)
    wall = time.perf_counter()
    ids = explicit_ids(args.ids) if args.ids else env_ids(every=args.defaults)
    if args.envs:
        ids = [(i, vector) for i, vector in ids if any(s in i for s in args.envs)]
    configs = [(i, {}, vector) for i, vector in ids]
    if not args.no_extra:
        configs += [(i, kw, vec) for i, _ in ids for kw, vec in EXTRA_CONFIGS.get(i, [])]
    with tempfile.TemporaryDirectory(prefix="netgym-bench-") as tmp:
        trees: dict[str, Path | None] = {"after": None}
        if args.before is not None:
            trees = {"before": shim_for(args.before.resolve(), Path(tmp)), "after": None}
        results: dict[str, Any] = {}
        for env_id, kwargs, time_vector in configs:
            label = label_of(env_id, kwargs)
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
            sides = ("scalar", "vector") if time_vector else ("scalar",)
            for _ in range(args.repeats):
                for side in sides:
                    for tree, shim in trees.items():
                        log(f"{label}: {side} ({tree}) ...")
                        result = measure(env_id, side, kwargs, seconds, args.num_envs, shim)
                        runs.setdefault((tree, side), []).append(result)
            results[label] = {
                tree: row(
                    summarise(runs[(tree, "scalar")]),
                    summarise(runs[(tree, "vector")]) if time_vector else None,
                )
                for tree in trees
            }
            if not args.no_compile:
                log(f"{label}: compile time (cold and warm numba cache) ...")
                num = args.num_envs if time_vector else 0
                results[label]["after"]["first_call"] = compile_times(
                    env_id, kwargs, num, Path(tmp)
                )
            for tree in trees:
                entry = results[label][tree]
                if entry["ratio"] is not None:
                    log(
                        f"  {tree}: scalar {entry['scalar']['per_s']:,.0f}/s, vector "
                        f"{entry['vector']['per_s']:,.0f}/s, ratio {entry['ratio']:.1f}x"
                    )
    import gymnasium as gym

    scalar_only = frozenset(label_of(i, {}) for i, vector in ids if not vector)
    out = {
        "envs": results,
        "table_markdown": markdown(results, args.num_envs, args.before is not None, scalar_only),
        "table_markdown_cpu": markdown(
            results, args.num_envs, args.before is not None, scalar_only, key="cpu_per_s"
        ),
        "num_envs": args.num_envs,
        "seconds_per_measurement": seconds,
        "repeats": args.repeats,
        "before_tree": str(args.before) if args.before else None,
        "compiled_kernels": None if args.no_compile else kernels_table(results),
        "defaults": defaults_rows(results) if args.defaults else None,
        "defaults_markdown": (defaults_markdown(defaults_rows(results)) if args.defaults else None),
        "machine": machine(gymnasium=gym.__version__),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "wall_s": time.perf_counter() - wall,
    }
    log(out["table_markdown"])
    log("per CPU second:")
    log(out["table_markdown_cpu"])
    if args.defaults:
        log(out["defaults_markdown"])
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
