"""Scaled out: the same uploads analysed by a Celery worker in another process, fed through the
Redis broker running on this machine, sharing the database and the upload store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.platform_support import (
    PASSWORD,
    account,
    free_port,
    fresh_database,
    running_factory,
    send_board,
    start_server,
    wait_done,
    zipped_board,
)

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


def _children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return {int(p) for p in found}


def _gone(pids: set[int], seconds: float) -> set[int]:
    """Those of `pids` still running after `seconds`."""
    deadline = time.monotonic() + seconds
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if Path(f"/proc/{p}").exists() and _state(p) != "Z"}
        time.sleep(0.2)
    return alive


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_the_servers_worker_processes_end_with_it(tmp_path: Path, stop: signal.Signals) -> None:
    """Stopped (SIGTERM) or killed outright (SIGKILL), the server leaves no worker process behind."""
    port = free_port()
    server, _ = start_server(tmp_path, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
            c.post("/api/v1/accounts", json={"email": "stop@example.com", "password": PASSWORD})
            token = c.post("/api/v1/tokens", json={"email": "stop@example.com", "password": PASSWORD})
            c.headers["Authorization"] = f"Bearer {token.json()['token']}"
            sent = c.post(
                "/api/v1/uploads",
                files={"file": ("b.zip", zipped_board("gb-fusion360"), "application/zip")},
            )
            wait_done(c, sent.json()["id"], 300)
        workers = _children(server.pid)
        assert workers, "the analysis ran in no worker process"
        server.send_signal(stop)
        server.wait(timeout=60)
        assert not _gone(workers, 15), "worker processes outlived the server"
    finally:
        server.kill()
        server.wait()
