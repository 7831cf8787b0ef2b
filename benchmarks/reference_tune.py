"""The tuning study behind a reference row's configuration: ``train.py --tune`` on the row's
training env (the protocol's setting, its training seeds, validation episodes from seed 500,000;
never the protocol's evaluation seeds or test traces), so that a tuned block of
``agents/config/<agent>.yaml`` is reproduced with one command.

```bash
python benchmarks/reference_tune.py moe-training-overlap-ppo --trials 16 --timesteps 50000 \
    --episodes 3
python benchmarks/reference_tune.py abr-ppo --trials 12 --timesteps 100000 --seed 0 \\
    --evals 3 --episodes 20 --hyperparams n_steps=256 batch_size=256
```

The study lives in ``runs/reference-tune/<row>/tune/study.db`` (SQLite; the same command again
adds trials to it) and its best trial in ``best.yaml`` there, a block to paste into the config
file, with a comment naming the study (docs/benchmark.md, "How a row is made": then every row
that resolves the block is rerun). Each trial runs with one torch thread (``--threads``): the
networks are small, and two studies side by side on two cores with torch's default thread per
core spent a third of their CPU time in the second threads (measured on 2026-12-08).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_rows import ROWS  # noqa: E402

TUNE_SEED = 100
"""the study's training seed: apart from the rows' seeds 0-4"""


def tune_command(args: argparse.Namespace, data_dir: Path | None) -> list[str]:
    """The ``train.py --tune`` command line of the row's study."""
    row = ROWS[args.row]
    words = [sys.executable, str(REPO / "train.py"), "--env", row.env_id, "--agent", row.agent]
    words += ["-n", str(args.timesteps), "--seed", str(args.seed), "--device", "cpu"]
    words += ["--env-kwargs", json.dumps(row.train_env_kwargs(data_dir))]
    if args.hyperparams:
        words += ["--hyperparams", *args.hyperparams]
    words += ["--tune", str(args.trials), "--tune-jobs", str(args.jobs)]
    words += ["--tune-evals", str(args.evals), "--tune-episodes", str(args.episodes)]
    words += ["--out", str(args.out / row.name), "--no-progress"]
    return words


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("row", choices=list(ROWS), metavar="ROW", help="a reference row")
    parser.add_argument("--trials", type=int, default=16, help="trials to add (16)")
    parser.add_argument("--timesteps", type=int, required=True, help="env steps per trial")
    parser.add_argument("--seed", type=int, default=TUNE_SEED, help=f"training seed ({TUNE_SEED})")
    parser.add_argument("--evals", type=int, default=4, help="validations per trial (4)")
    parser.add_argument("--episodes", type=int, default=5, help="episodes per validation (5)")
    parser.add_argument("--jobs", type=int, default=1, help="trials at once (1)")
    parser.add_argument("--hyperparams", nargs="*", help="keys pinned for every trial (k=v)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per trial (OMP_NUM_THREADS; 1)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "reference-tune")
    parser.add_argument("--data-dir", type=Path, help="data root (default: netgym's)")
    parser.add_argument("--dry-run", action="store_true", help="print the command only")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    data_dir = None
    if ROWS[args.row].needs_data:
        from netgym.data import data_root

        data_dir = data_root(args.data_dir)
    words = tune_command(args, data_dir)
    print(shlex.join(words), flush=True)
    if args.dry_run:
        return 0
    return subprocess.call(
        words, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
