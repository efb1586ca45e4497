"""A real factory for the platform tests: migrated database (SQLite, or PostgreSQL when
FLYFAB_DATABASE_URL names a server), worker processes, and the web app served by uvicorn on a free
port of this machine."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from flyfab.config import Settings
from flyfab.jobs import open_queue
from flyfab.services import bootstrap
from flyfab.services.platform import Platform
from flyfab.web.app import create_app
from tests.conftest import CORPUS

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def database_urls() -> list[str]:
    """SQLite always; PostgreSQL too when FLYFAB_DATABASE_URL names one."""
    urls = ["sqlite"]
    if os.environ.get("FLYFAB_DATABASE_URL", "").startswith("postgresql"):
        urls.append("postgresql")
    return urls


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A new, empty database for one factory: a file, or a database created on the server."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'flyfab.db'}"
        return
    server = make_url(os.environ["FLYFAB_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"flyfab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Factory:
    platform: Platform
    url: str
    staff_password: str | None  # None when the factory had been started before

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kw)


@contextmanager
def running_factory(folder: Path, database: str, workers: int = 1, **overrides: Any) -> Iterator[Factory]:
    """The factory's server; background work in `workers` local processes, or on Celery when
    `broker_url` is among the overrides."""
    settings = replace(Settings.from_env(folder), database_url=database, job_workers=workers, **overrides)
    platform, password = bootstrap.start(settings)
    platform.jobs = open_queue(platform.settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(platform), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield Factory(platform, url, password)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        platform.close()


def zipped_board(board: str) -> bytes:
    """A corpus board as a customer uploads it: its folder in a zip archive."""
    root = CORPUS / "boards" / board
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                z.write(path, f"{board}/{path.relative_to(root)}")
    return buffer.getvalue()


def account(factory: Factory, email: str) -> httpx.Client:
    """A customer with an API token, as a program uses the API."""
    with factory.client() as c:
        made = c.post("/api/v1/accounts", json={"email": email, "password": PASSWORD})
        assert made.status_code == 201, made.text
        token = c.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json()["token"]
    return factory.client(headers={"Authorization": f"Bearer {token}"})


def staff(factory: Factory) -> httpx.Client:
    assert factory.staff_password is not None, "a new factory makes its staff account"
    with factory.client() as c:
        token = c.post(
            "/api/v1/tokens", json={"email": bootstrap.STAFF_EMAIL, "password": factory.staff_password}
        ).json()["token"]
    return factory.client(headers={"Authorization": f"Bearer {token}"})


def send_board(client: httpx.Client, board: str, name: str = "board.zip") -> httpx.Response:
    return client.post("/api/v1/uploads", files={"file": (name, zipped_board(board), "application/zip")})


def token_for(factory: Factory, email: str, password: str = PASSWORD) -> httpx.Response:
    with factory.client() as c:
        return c.post("/api/v1/tokens", json={"email": email, "password": password})


def wait_done(client: httpx.Client, upload_id: str, seconds: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body: dict[str, Any] = client.get(f"/api/v1/uploads/{upload_id}").json()
        if body["status"] in ("done", "failed"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"upload {upload_id} still {body['status']} after {seconds} s")
        time.sleep(0.5)


STAFF_LINE = re.compile(r"staff account created: (\S+) / (\S+)")


def start_server(folder: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """`flyfab serve` in its own process on SQLite in `folder`: (the process, the staff password).

    Its output is read on a thread for as long as it runs: a blocking read here could wait forever
    once the server falls silent, and an unread pipe would stall the server when it fills."""
    env = {**os.environ, "FLYFAB_DATABASE_URL": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "flyfab", "serve", "--port", str(port), "--data-dir", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = server.stdout
    assert output is not None
    password: list[str] = []
    announced = threading.Event()

    def drain() -> None:
        for line in output:
            if not password and (m := STAFF_LINE.search(line)):
                password.append(m.group(2))
                announced.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                announced.wait(10)  # printed before the server listens; the thread may lag
                return server, password[0] if password else ""
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")
