"""Background work: in worker processes of this machine by default, on a Celery cluster when a
broker is configured. Both run the same registered tasks (`tasks`), which are use cases."""

from flyfab.jobs.queue import InProcessQueue, JobQueue, open_queue

__all__ = ["InProcessQueue", "JobQueue", "open_queue"]
