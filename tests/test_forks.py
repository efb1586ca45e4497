"""Jobs run side by side in forked processes: results come back in the order the jobs were given,
whatever order their costs start them in."""

from __future__ import annotations

import os
from functools import partial

from flyfab.cam.forks import in_forks


def _job(k: int) -> tuple[int, int]:
    return k, os.getpid()


def test_results_keep_the_jobs_order_when_the_costliest_start_first() -> None:
    jobs = [partial(_job, k) for k in range(7)]
    costs = [0.1, 5.0, 0.0, 3.0, 0.2, 9.0, 1.0]
    results = in_forks(jobs, 2, costs=costs)
    assert [k for k, _ in results] == list(range(7))
    # They ran in forked workers, not here.
    assert all(pid != os.getpid() for _, pid in results)


def test_one_worker_runs_the_jobs_here_in_order() -> None:
    results = in_forks([partial(_job, k) for k in range(3)], 1, costs=[1.0, 3.0, 2.0])
    assert results == [(0, os.getpid()), (1, os.getpid()), (2, os.getpid())]
