"""A factory's first start: the database migrated, the demo factory's settings put where the
factory can edit them, a staff account made (its password shown once)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from flyfab.config import Settings
from flyfab.dfm.profiles import default_profiles_text
from flyfab.pricing.book import default_price_book_text
from flyfab.services.accounts import create_account
from flyfab.services.platform import Platform
from flyfab.store import tables as t
from flyfab.store import upgrade

STAFF_EMAIL = "staff@flyfab.local"


def _editable(settings: Settings) -> Settings:
    """Copy the shipped capability profiles and price book into the data directory once; the
    factory edits those copies (unless FLYFAB_PROFILES / FLYFAB_PRICE_BOOK name other files)."""
    profiles = settings.profiles or settings.data_dir / "profiles.toml"
    book = settings.price_book or settings.data_dir / "price_book.toml"
    for path, text in ((profiles, default_profiles_text()), (book, default_price_book_text())):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return replace(settings, profiles=profiles, price_book=book)


def start(settings: Settings) -> tuple[Platform, str | None]:
    """Open the factory; on the first start also return the new staff account's password."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = _editable(settings)
    upgrade(settings.database_url)
    for name in ("token-key", "password-pepper"):
        settings.secret(name)  # made now, not by the first request
    platform = Platform.open(settings)
    with platform.db.unit() as s:
        has_staff = s.scalar(select(t.Account.id).where(t.Account.role == "staff").limit(1)) is not None
    password = None
    if not has_staff:
        password = secrets.token_urlsafe(12)
        create_account(platform, STAFF_EMAIL, password, role="staff", name="Factory staff")
    return platform, password


__all__ = ["STAFF_EMAIL", "Path", "start"]
