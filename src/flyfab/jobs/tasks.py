"""The background tasks, by name: what a queue may be asked to run."""

from __future__ import annotations

from collections.abc import Callable

from flyfab.services import uploads
from flyfab.services.platform import Platform

TASKS: dict[str, Callable[[Platform, str], None]] = {
    "analyze_upload": uploads.run_analysis,
}


def run(platform: Platform, task: str, arg: str) -> None:
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r}")
    TASKS[task](platform, arg)
