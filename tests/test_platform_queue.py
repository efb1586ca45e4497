"""Scaled out: the same uploads analysed by a Celery worker in another process, fed through the
Redis broker running on this machine, sharing the database and the upload store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis

from tests.platform_support import account, fresh_database, running_factory, send_board, wait_done

BROKER = "redis://127.0.0.1:6379/14"


def test_a_celery_worker_analyses_uploads(tmp_path: Path) -> None:
    redis.Redis.from_url(BROKER).flushdb()  # no tasks left over from an earlier run
    with fresh_database("sqlite", tmp_path) as url:
        env = {**os.environ, "FLYFAB_BROKER_URL": BROKER, "FLYFAB_DATABASE_URL": url}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flyfab", "worker", "--data-dir", str(tmp_path), "--concurrency", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            with running_factory(tmp_path, url, broker_url=BROKER) as f, account(f, "scale@example.com") as c:
                boards = ("gb-fusion360", "ts-usbvil")
                ids = [send_board(c, board, f"{board}.zip").json()["id"] for board in boards]
                done = [wait_done(c, upload_id, 600) for upload_id in ids]
            assert [d["status"] for d in done] == ["done", "done"], [d["error"] for d in done]
            assert [d["analysis"]["upload"] for d in done] == [f"{b}.zip" for b in boards]  # not mixed up
        finally:
            worker.terminate()
            try:
                out, _ = worker.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                out, _ = worker.communicate()
    # The work was done by the worker process, not by the server.
    assert "flyfab.run" in out and "succeeded" in out, out[-3000:]
