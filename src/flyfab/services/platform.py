"""The running factory's parts, wired once: settings, database, file store, job queue, the
capability profiles and the price book. Use cases receive it; entry points build it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flyfab.config import Settings
from flyfab.dfm import Profiles, load_profiles
from flyfab.pricing import PriceBook, load_price_book
from flyfab.store import Database, FileStore

if TYPE_CHECKING:
    from flyfab.jobs import JobQueue


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Platform:
    settings: Settings
    db: Database
    files: FileStore
    profiles: Profiles
    price_book: PriceBook
    jobs: JobQueue | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def open(cls, settings: Settings) -> Platform:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            files=FileStore(settings.uploads_dir),
            profiles=load_profiles(settings.profiles),
            price_book=load_price_book(settings.price_book),
        )

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        if self.jobs is not None:
            self.jobs.close()
        self.db.dispose()
