"""Queues that run tasks in the background.

`InProcessQueue` is the embedded default: a pool of worker processes on this machine, started
fresh (spawn), each with its own connection to the database. `CeleryQueue` (jobs.celery_app) sends
the same tasks to a broker for workers on any number of machines. Tasks write their outcome to the
database themselves; the queue only has to run them, and a task lost with a crashed process is
started again at the next start (`services.uploads.requeue`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from flyfab.config import Settings

log = logging.getLogger("flyfab.jobs")


class JobQueue(Protocol):
    def submit(self, task: str, arg: str) -> None: ...

    def close(self) -> None: ...


_WORKER_PLATFORM = None


def _exit_with_parent(parent: int) -> None:
    # A server killed outright cannot shut its pool down; its workers must not live on. A task cut
    # short here is started again by the next server (`services.uploads.requeue`).
    while os.getppid() == parent:
        time.sleep(2)
    os._exit(0)


def _start_worker(settings: Settings) -> None:
    global _WORKER_PLATFORM
    from flyfab.services.platform import Platform

    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _WORKER_PLATFORM = Platform.open(settings)
    prepare_analysis()


def prepare_analysis() -> None:
    """Once per worker process: load the compiled edge-pair grid, so that every analysis after it
    measures copper faster. Without it (it failed to load) analyses still run, on GEOS's STRtree."""
    from flyfab.cam import edges

    edges.try_load_grid()


def _run(task: str, arg: str) -> None:
    from flyfab.jobs.tasks import run

    assert _WORKER_PLATFORM is not None, "worker not started"
    run(_WORKER_PLATFORM, task, arg)


class InProcessQueue:
    def __init__(self, settings: Settings, workers: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(settings,)
        )

    def submit(self, task: str, arg: str) -> None:
        future = self.pool.submit(_run, task, arg)
        future.add_done_callback(lambda f: _report(f, task, arg))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)


def _report(future: Future[None], task: str, arg: str) -> None:
    err = future.exception()
    if err is not None:
        log.error("task %s(%s) failed: %s", task, arg, err)


def open_queue(settings: Settings) -> JobQueue:
    """The queue the settings ask for: Celery when a broker is named, else worker processes."""
    if settings.broker_url:
        from flyfab.jobs.celery_app import CeleryQueue

        return CeleryQueue(settings)
    return InProcessQueue(settings, settings.job_workers)
