"""Work spread over forked processes that inherit this process's memory.

The analysis keeps large geometry in memory; sending it to worker processes through a pipe would
cost as much as the work. A forked child already has it: only the jobs' results travel back.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_JOBS: list[Callable[[], Any]] = []


def _run(index: int) -> Any:
    return _JOBS[index]()


def in_forks(jobs: list[Callable[[], T]], workers: int) -> list[T]:
    """The jobs' results, in order; run here when there is nothing to share or no way to fork
    (a single worker, a single job, or a daemonic process, which may not start children)."""
    global _JOBS
    if workers <= 1 or len(jobs) <= 1 or multiprocessing.current_process().daemon:
        return [job() for job in jobs]
    _JOBS = list(jobs)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
            return list(pool.map(_run, range(len(jobs))))
    finally:
        _JOBS = []
