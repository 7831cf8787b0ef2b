"""What tuning trials train and are scored on: validation seeds and validation data.

Trials train on the training seeds of ``train.py`` (``seed .. seed + n_envs - 1``) and are
scored on validation episodes: the env is reset with the validation seed
``VALIDATION_SEED_OFFSET + seed`` (500,000 + seed) before the first one, as ``train.py``'s
final evaluation does with ``EVAL_SEED_OFFSET + seed`` (1,000,000 + seed). The leaderboard
protocols' evaluation seeds start at 2,000,000; ``validation_seed`` refuses a seed whose
validation seed would reach the training seeds, the final evaluation seed or 2,000,000.

Data: an env whose episodes replay a data set must not be validated on test data. For
``netgym/AbrStreaming-v0`` (``validation_env_kwargs``):

- embedded synthetic traces (the default, data-set seed 0): validation plays another synthetic
  set, data-set seed ``ABR_VALIDATION_TRACE_SEED`` (500; the test set ``abr-synthetic`` is seed
  1000), traces in order from their start without noise, as the test protocols play theirs;
- a folder or list of trace files: every ``VALIDATION_EVERY``-th file (sorted by name) is held
  out for validation and the trials train on the others; a folder whose name says ``test``
  (``fcc-test``, ``hsdpa-test``: the leaderboard's test sets), or a file whose name says
  ``test`` outside a folder whose name says ``train``, is refused.

Other envs are validated on the env as configured, each validation episode reset with its own
seed (``reseeds_validation``: episode ``i`` from the validation seed + ``i``), so every trial
and every checkpoint meets the same episodes whatever its actions. (A single seeded reset
followed by unseeded ones would not do that where the env's random stream after an episode
depends on the actions: QuantumNetworkScheduling's does.) ABR's validation plays its held-out
traces in order after one seeded reset: a seeded reset restarts a sequential trace order at
trace 0, and traces played in order are the same for every policy.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .run_config import EVAL_SEED_OFFSET

VALIDATION_SEED_OFFSET = 500_000
"""validation episodes start from seed ``VALIDATION_SEED_OFFSET + seed``"""
PROTOCOL_SEED_BASE = 2_000_000
"""the leaderboard protocols' first evaluation seed (``netgym.leaderboard.protocols``; agents
do not import the leaderboard, a test checks the two agree)"""
ABR_ENV = "netgym/AbrStreaming-v0"
ABR_TEST_TRACE_SEED = 1000
"""data-set seed of the synthetic ABR test traces (protocol ``abr-synthetic``)"""
ABR_VALIDATION_TRACE_SEED = 500
"""data-set seed of the synthetic ABR validation traces"""
VALIDATION_EVERY = 5
"""with trace files, every fifth (sorted by name) is a validation trace"""


def validation_seed(seed: int, n_envs: int = 1, episodes: int = 1) -> int:
    """The seed of the first validation episode of a tuning run with training ``seed``.

    Raises:
        ValueError: the validation seeds (``episodes`` of them from the first, one per episode
            where ``reseeds_validation``) would meet the training seeds
            (``seed .. seed + n_envs - 1``), train.py's evaluation seed or the protocols' seeds.
    """
    value = VALIDATION_SEED_OFFSET + seed
    last = value + max(episodes, 1) - 1
    limit = min(EVAL_SEED_OFFSET, PROTOCOL_SEED_BASE)
    if last >= limit or (value <= seed + n_envs - 1 and seed <= last):
        seeds = f"seed {value}" if last == value else f"seeds {value}..{last}"
        raise ValueError(
            f"--seed {seed} is too large for tuning: its validation {seeds} must stay "
            f"apart from the training seeds and below the evaluation seeds "
            f"({EVAL_SEED_OFFSET:,} + seed, and the leaderboard's from {PROTOCOL_SEED_BASE:,}); "
            f"give a seed below {limit - VALIDATION_SEED_OFFSET - max(episodes, 1) + 1:,}"
        )
    return value


def reseeds_validation(env_id: str) -> bool:
    """Whether validation resets every episode with its own seed (True), or once before a block
    of traces played in order (False: ABR; see the module docstring)."""
    from netgym.envs.make import canonical_env_id

    return canonical_env_id(env_id) != ABR_ENV


def validation_env_kwargs(
    env_id: str, env_kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(training kwargs, validation kwargs, a note saying what validation plays) for ``env_id``.

    Raises:
        ValueError: ABR trace files of a test set, or fewer than two trace files.
    """
    from netgym.envs.make import canonical_env_id

    if canonical_env_id(env_id) != ABR_ENV:
        return dict(env_kwargs), dict(env_kwargs), "the env as configured"
    return _abr_split(dict(env_kwargs))


def _abr_split(env_kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    from netgym.envs.abr import AbrParams
    from netgym.envs.abr.traces import trace_files

    params = AbrParams.coerce(env_kwargs.pop("params", None), env_kwargs)
    held_out = {"trace_order": "sequential", "start": "beginning", "noise": None}
    if params.traces == "synthetic":
        seed = params.synthetic_traces.seed
        if seed in (ABR_TEST_TRACE_SEED, ABR_VALIDATION_TRACE_SEED):
            raise ValueError(
                f"synthetic_traces.seed {seed} is the ABR "
                f"{'test' if seed == ABR_TEST_TRACE_SEED else 'validation'} set; tune on "
                f"another data-set seed (the default 0 trains)"
            )
        traces = replace(params.synthetic_traces, seed=ABR_VALIDATION_TRACE_SEED)
        validation = replace(params, synthetic_traces=traces, **held_out)
        note = f"synthetic validation traces (data-set seed {ABR_VALIDATION_TRACE_SEED})"
        return {"params": params.to_dict()}, {"params": validation.to_dict()}, note
    files = trace_files(params.traces)
    test = [path for path in files if _is_test(path)]
    if test:
        raise ValueError(
            f"tuning never validates on test traces, and {test[0]} is in a test set (a name "
            f"with 'test'); tune on training traces, e.g. traces: pensieve-train or fcc-train"
        )
    if len(files) < 2:
        raise ValueError(
            f"tuning holds out every {VALIDATION_EVERY}th trace file for validation and needs "
            f"at least 2 trace files, got {len(files)}"
        )
    held = set(range(VALIDATION_EVERY - 1, len(files), VALIDATION_EVERY)) or {len(files) - 1}
    train_idx = [i for i in range(len(files)) if i not in held]
    valid_idx = sorted(held)
    start = params.start
    train_start = start
    if isinstance(start, (list, tuple)):  # one start pointer per trace
        train_start = tuple(start[i] for i in train_idx)
    train = replace(params, traces=tuple(files[i] for i in train_idx), start=train_start)
    validation = replace(params, traces=tuple(files[i] for i in valid_idx), **held_out)
    note = (
        f"{len(valid_idx)} held-out trace files (every {VALIDATION_EVERY}th of {len(files)}; "
        f"the trials train on the other {len(train_idx)})"
    )
    return {"params": train.to_dict()}, {"params": validation.to_dict()}, note


def _is_test(path: Path) -> bool:
    """A trace file of a test set: its folder's name says ``test``; or its own name does and its
    folder's name does not say ``train`` (Pensieve's and NetLLM's training files in
    ``fcc-train/`` are named ``test_fcc_trace_*``, after the FCC data they were cut from)."""
    folder = path.parent.name.lower()
    if "test" in folder:
        return True
    return "train" not in folder and "test" in path.name.lower()


__all__ = [
    "ABR_TEST_TRACE_SEED",
    "ABR_VALIDATION_TRACE_SEED",
    "PROTOCOL_SEED_BASE",
    "VALIDATION_EVERY",
    "VALIDATION_SEED_OFFSET",
    "reseeds_validation",
    "validation_env_kwargs",
    "validation_seed",
]
