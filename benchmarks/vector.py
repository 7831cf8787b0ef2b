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
COMPILED_KERNELS: dict[str, Any] = {}
"""kernels compiled at run time (numba or the like) and their compile time: none, every
kernel of netgym is numpy"""


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


def child(env_id: str, side: str, kwargs: dict[str, Any], seconds: float, num_envs: int) -> None:
    """Time one side of one env in this process and print ``rate``'s dict as JSON."""
    import netgym.envs  # noqa: F401  (registers the ids)

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
) -> dict[str, Any]:
    """Run one child and return its rate (or ``{"error": ...}``)."""
    env = dict(os.environ)
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


def env_ids(every: bool = False) -> list[tuple[str, bool]]:
    """The registered netgym ids with a vector entry point (with ``every``: all of them), in
    family order, each with whether it has one."""
    import netgym.envs  # noqa: F401
    from netgym.envs.families import env_specs

    ids = [(spec_id, spec.vector_entry_point is not None) for spec_id, spec in env_specs().items()]
    return [(spec_id, vector) for spec_id, vector in ids if every or vector]


def label_of(env_id: str, kwargs: dict[str, Any]) -> str:
    name = env_id.split("/", 1)[-1]
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
    parser.add_argument("--child", nargs=5, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        env_id, side, kwargs, seconds, num_envs = args.child
        child(env_id, side, json.loads(kwargs), float(seconds), int(num_envs))
        return
    seconds = args.seconds or (0.2 if args.quick else 2.0)
    wall = time.perf_counter()
    ids = env_ids(every=args.defaults)
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
        "compiled_kernels": COMPILED_KERNELS,
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
