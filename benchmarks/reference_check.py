"""A row's final models against its heuristics on more episodes than the protocol plays.

A leaderboard protocol plays a few evaluation episodes (QuantumNetworkScheduling's: 5), so an
agent and a heuristic a few per cent apart may swap places between one set of episodes and
another. This check plays every seed's final model (``runs/reference/<row>/seed-<S>/``) and
the row's heuristics on the same ``--episodes`` episodes of the protocol's env, from seed
3,000,000 (apart from training seeds, validation seeds from 500,000, ``train.py``'s evaluation
from 1,000,000 and the protocols' from 2,000,000), and compares them episode by episode: the
mean over seeds of the agent's score minus the heuristic's, with a 95 % bootstrap interval over
episodes. It prints JSON (``--out`` also writes it).

    python benchmarks/reference_check.py quantum-scheduling-maskable-ppo-1h --episodes 50 \
        --out docs/benchmark/check/quantum-scheduling-maskable-ppo-1h.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_rows import ROWS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHECK_SEED = 3_000_000
"""the first episode's seed (one episode per seed)"""


def paired(agent: np.ndarray, other: np.ndarray, reps: int = 10_000) -> dict[str, float]:
    """Mean of ``agent.mean(0) - other`` over episodes and its 95 % bootstrap interval.

    ``agent`` is (seeds, episodes), ``other`` (episodes,): each episode is one pair.
    """
    from netgym.leaderboard.stats import bootstrap_ci

    diff = agent.mean(axis=0) - other
    low, high = bootstrap_ci(diff, reps=reps)
    return {"mean": float(diff.mean()), "low": low, "high": high}


def check(row_name: str, episodes: int, runs: Path) -> dict[str, Any]:
    """Play the row's seeds and heuristics on ``episodes`` episodes of its first protocol.

    Raises:
        ValueError: unknown row, fewer than 2 episodes, or a protocol on data sets (ABR's
            traces are played in order: more seeds would replay the same traces).
        FileNotFoundError: the row has no run folders.
    """
    import torch
    from netgym.agents.training import RunConfig
    from netgym.leaderboard import run_protocol
    from netgym.leaderboard.entries import load_run_policy
    from netgym.leaderboard.protocols import get_protocol, load_family_protocols

    if row_name not in ROWS:
        raise ValueError(f"unknown row {row_name!r}; rows: {', '.join(ROWS)}")
    if episodes < 2:
        raise ValueError(f"--episodes must be at least 2, got {episodes}")
    torch.set_num_threads(1)
    load_family_protocols()
    row = ROWS[row_name]
    base = get_protocol(row.protocols[0])
    if base.needs_data:
        raise ValueError(
            f"row {row.name}: protocol {base.name!r} plays data sets ({', '.join(base.datasets)}), "
            "whose episodes are the data, not draws from seeds: its own score is the check"
        )
    folders = sorted((runs / row.name).glob("seed-*"), key=lambda p: int(p.name[5:]))
    if not folders:
        raise FileNotFoundError(f"no run folders in {runs / row.name}: run the row first")
    protocol = dataclasses.replace(
        base,
        name=f"{base.name}-check",
        episodes=1,
        eval_seeds=tuple(range(CHECK_SEED, CHECK_SEED + episodes)),
    )
    scores = {
        r.policy: np.array(r.per_episode_scores) for r in run_protocol(protocol, row.heuristics)
    }
    models = {folder.name: load_run_policy(folder) for folder in folders}
    kwargs = RunConfig.from_folder(folders[0]).env_kwargs  # how the seeds observe (entry kwargs)
    per_seed = np.array(
        [r.per_episode_scores for r in run_protocol(protocol, models, entry_kwargs=kwargs)]
    )
    return {
        "row": row.name,
        "protocol": base.label,
        "metric": protocol.metric,
        "episodes": episodes,
        "first_seed": CHECK_SEED,
        "agent_per_seed": [float(v) for v in per_seed.mean(axis=1)],
        "agent_mean": float(per_seed.mean()),
        "heuristics": {name: float(v.mean()) for name, v in scores.items()},
        "agent_minus": {name: paired(per_seed, v) for name, v in scores.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("row", help="a row of benchmarks/reference_rows.py")
    parser.add_argument("--episodes", type=int, default=50, help="episodes (50)")
    parser.add_argument("--runs", type=Path, default=REPO / "runs" / "reference")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    try:
        result = check(args.row, args.episodes, args.runs)
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    text = json.dumps(result, indent=1)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
