"""Work spread over forked processes that inherit this process's memory.

The analysis keeps large geometry in memory; sending it to worker processes through a pipe would
cost as much as the work. A forked child already has it: only the jobs' results travel back.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_JOBS: list[Callable[[], Any]] = []


def _run(index: int) -> Any:
    return _JOBS[index]()


def in_forks(jobs: Sequence[Callable[[], T]], workers: int, costs: list[float] | None = None) -> list[T]:
    """The jobs' results, in order; run here when there is nothing to share or no way to fork
    (a single worker, a single job, or a daemonic process, which may not start children).

    With `costs` (any scale), the costliest jobs start first, so that the workers finish together
    instead of one starting a long job when the others are done."""
    global _JOBS
    if workers <= 1 or len(jobs) <= 1 or multiprocessing.current_process().daemon:
        return [job() for job in jobs]
    _JOBS = list(jobs)
    order = sorted(range(len(jobs)), key=lambda k: -costs[k]) if costs else list(range(len(jobs)))
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
            done = dict(zip(order, pool.map(_run, order), strict=True))
        return [done[k] for k in range(len(jobs))]
    finally:
        _JOBS = []
