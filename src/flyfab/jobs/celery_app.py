"""The same background tasks on Celery, for factories that scale out: workers on any machine that
sees the database and the upload store, fed through Redis or RabbitMQ (FLYFAB_BROKER_URL).

Run a worker with `flyfab worker`. Tasks are acknowledged after they finish, so one that dies with
its worker is delivered again; the tasks themselves are safe to run twice.
"""

from __future__ import annotations

from functools import cache

from celery import Celery
from celery.signals import worker_process_init

from flyfab.config import Settings


@cache
def _platform(settings: Settings) -> object:
    from flyfab.services.platform import Platform

    return Platform.open(settings)


def _prepare(**_: object) -> None:
    from flyfab.jobs.queue import prepare_analysis

    prepare_analysis()


def make_celery(settings: Settings) -> Celery:
    worker_process_init.connect(_prepare, weak=False)
    app = Celery("flyfab", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name="flyfab.run")  # type: ignore[untyped-decorator]
    def run_task(task: str, arg: str) -> None:
        from flyfab.jobs.tasks import run
        from flyfab.services.platform import Platform

        platform = _platform(settings)
        assert isinstance(platform, Platform)
        run(platform, task, arg)

    return app


class CeleryQueue:
    def __init__(self, settings: Settings) -> None:
        self.app = make_celery(settings)

    def submit(self, task: str, arg: str) -> None:
        self.app.send_task("flyfab.run", args=[task, arg])

    def close(self) -> None:
        self.app.close()
