"""Settings of a running factory: from FLYFAB_* environment variables, with command-line overrides.

The embedded default needs nothing: a data directory holds the SQLite database, the uploaded files
and the secrets generated on first start. Scaled out, FLYFAB_DATABASE_URL names PostgreSQL and
FLYFAB_BROKER_URL a Redis or RabbitMQ broker for the task queue.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

MB = 1024 * 1024


class SettingsError(ValueError):
    pass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: write true or false")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broker_url: str | None = None
    max_upload_bytes: int = 50 * MB
    secure_cookies: bool = False
    job_workers: int = 2
    session_days: int = 14
    login_attempts: int = 5  # failed sign-ins per account or address within the window
    login_window_s: int = 900
    price_book: Path | None = None
    profiles: Path | None = None
    factory: Path | None = None  # the planning factory model (FLYFAB_FACTORY)

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Settings:
        folder = (data_dir or Path(os.environ.get("FLYFAB_DATA_DIR", "flyfab-data"))).resolve()
        url = os.environ.get("FLYFAB_DATABASE_URL") or f"sqlite:///{folder / 'flyfab.db'}"
        book = os.environ.get("FLYFAB_PRICE_BOOK")
        profiles = os.environ.get("FLYFAB_PROFILES")
        factory = os.environ.get("FLYFAB_FACTORY")
        return cls(
            data_dir=folder,
            database_url=url,
            broker_url=os.environ.get("FLYFAB_BROKER_URL") or None,
            max_upload_bytes=_int("FLYFAB_MAX_UPLOAD_BYTES", 50 * MB),
            secure_cookies=_flag("FLYFAB_SECURE_COOKIES", False),
            job_workers=_int("FLYFAB_JOB_WORKERS", 2),
            price_book=Path(book) if book else None,
            profiles=Path(profiles) if profiles else None,
            factory=Path(factory) if factory else None,
        )

    def with_data_dir(self, folder: Path) -> Settings:
        url = self.database_url
        if url.startswith("sqlite:///") and "FLYFAB_DATABASE_URL" not in os.environ:
            url = f"sqlite:///{folder.resolve() / 'flyfab.db'}"
        return replace(self, data_dir=folder.resolve(), database_url=url)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    def secret(self, name: str) -> bytes:
        """A secret kept in the data directory, made on first use (never in the repository)."""
        return _secret(self.data_dir / "secrets" / name)


@functools.cache
def _secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it at the same moment: use that one
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
    value = path.read_bytes()
    if len(value) < 32:
        raise SettingsError(f"{path} is damaged (shorter than 32 bytes): restore it from a backup")
    return value
