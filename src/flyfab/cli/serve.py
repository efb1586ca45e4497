"""`flyfab serve` (the online factory) and `flyfab worker` (a task-queue worker)."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated

import typer

from flyfab.cli.app import app, fail

DataDirOption = Annotated[
    Path, typer.Option(help="Folder for the database, uploads and secrets (FLYFAB_DATA_DIR).")
]


def _settings(data_dir: Path | None) -> object:
    from flyfab.config import Settings, SettingsError

    try:
        return Settings.from_env(data_dir)
    except SettingsError as e:
        raise fail(str(e)) from None


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDirOption = Path("flyfab-data"),
) -> None:
    """Run the online factory: customer portal, back office and JSON API (OpenAPI at /docs)."""
    import uvicorn

    from flyfab.config import Settings
    from flyfab.jobs import open_queue
    from flyfab.services import bootstrap, production, uploads
    from flyfab.web.app import create_app

    settings = _settings(data_dir)
    assert isinstance(settings, Settings)
    if not 0 < port < 65536:
        raise fail(f"--port {port} is not a port number")
    try:
        platform, password = bootstrap.start(settings)
    except Exception as e:  # a database that cannot be reached or migrated: say so, do not trace
        raise fail(f"cannot start the factory: {e}") from None
    platform.jobs = open_queue(platform.settings)
    platform.current_plan = production.load_current_plan(platform)
    requeued = uploads.requeue(platform)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    url = f"http://{host}:{port}/"
    print(f"flyfab is running at {url} (API docs at {url}docs); data in {platform.settings.data_dir}")
    if password:
        print(f"staff account created: {bootstrap.STAFF_EMAIL} / {password}  (shown only this once)")
    if requeued:
        print(f"{requeued} upload(s) left unfinished by the last run are being analysed again")
    # Everything loaded so far lives as long as the server: keep it out of the collector's full
    # passes, which otherwise stop every request for 100-250 ms every few seconds under load.
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(
            create_app(platform, on_shutdown=platform.close),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
        )
    finally:
        platform.close()


@app.command("worker")
def worker_command(
    data_dir: DataDirOption = Path("flyfab-data"),
    concurrency: Annotated[int, typer.Option(help="Tasks this worker runs at once.")] = 1,
) -> None:
    """Run background tasks from the broker named by FLYFAB_BROKER_URL (Redis or RabbitMQ)."""
    from flyfab.config import Settings
    from flyfab.jobs.celery_app import make_celery
    from flyfab.services import bootstrap

    settings = _settings(data_dir)
    assert isinstance(settings, Settings)
    if not settings.broker_url:
        raise fail("set FLYFAB_BROKER_URL to the broker (e.g. redis://127.0.0.1:6379/0) to run a worker")
    bootstrap.start(settings)[0].close()
    make_celery(bootstrap._editable(settings)).worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork"]
    )
