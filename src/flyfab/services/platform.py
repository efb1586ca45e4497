"""The running factory's parts, wired once: settings, database, file store, job queue, the
capability profiles and the price book. Use cases receive it; entry points build it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flyfab.config import Settings
from flyfab.dfm import Profiles, load_profiles
from flyfab.planning import Factory, Plan, load_factory
from flyfab.pooling.settings import PoolSettings, load_settings
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
    current_plan: Plan | None = None  # the plan of the last release to production, for promises
    _factory: Factory | None = None
    _pool_settings: PoolSettings | None = None

    def factory(self) -> Factory:
        """The factory model: FLYFAB_FACTORY, or the shipped demo factory."""
        if self._factory is None:
            self._factory = load_factory(self.settings.factory)
        return self._factory

    def pool_settings(self) -> PoolSettings:
        if self._pool_settings is None:
            self._pool_settings = load_settings()
        return self._pool_settings

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
            self.jobs = None
        self.db.dispose()
