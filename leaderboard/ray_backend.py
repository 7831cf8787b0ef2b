"""The Ray backend of ``netgym leaderboard run --backend ray``: one Ray task per task
(entry x protocol x evaluation seed block).

``run_ray`` connects to the cluster at ``address`` (``ray.init(address=...)``) or starts a local
Ray instance, submits every task as a remote call of ``netgym.leaderboard.tasks.run_task`` (the
function the local backend runs, so results are identical) and yields results as they finish.
At most ``max_concurrent`` tasks are in flight (None: as many as Ray schedules). Workers import
netgym themselves: on a cluster every node needs the same netgym (the task checks the protocol
version it was planned with and fails loudly otherwise).

Ray is an optional extra: ``pip install 'netgym[ray]'``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .tasks import Task, run_task

INSTALL_HINT = "the Ray backend needs ray: pip install 'netgym[ray]' (or pip install ray)"


def ray_available() -> bool:
    """Whether ``import ray`` works."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError(INSTALL_HINT) from None
    return ray


def init_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to ``address`` or start a local Ray (no dashboard); True when this call started
    it (and so should shut it down)."""
    ray = _import_ray()
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address is not None:
        ray.init(address=address, **options)
    else:
        ray.init(num_cpus=num_cpus, **options)
    return True


def run_ray(
    tasks: Sequence[Task], address: str | None = None, max_concurrent: int | None = None
) -> Iterator[tuple[Task, dict[str, Any]]]:
    """Yield (task, result) as the Ray tasks finish.

    Raises:
        ValueError: ray is not installed.
    """
    ray = _import_ray()
    if not tasks:
        return
    started = init_ray(address, num_cpus=max_concurrent if address is None else None)
    remote = ray.remote(num_cpus=1)(run_task)
    limit = len(tasks) if max_concurrent is None else max(1, max_concurrent)
    pending: dict[Any, Task] = {}
    queue = list(tasks)
    try:
        while queue or pending:
            while queue and len(pending) < limit:
                task = queue.pop(0)
                pending[remote.remote(task)] = task
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        for ref in pending:
            ray.cancel(ref)
        if started:
            ray.shutdown()


__all__ = ["INSTALL_HINT", "init_ray", "ray_available", "run_ray"]
