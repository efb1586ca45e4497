"""Accounts, sign-in sessions and API tokens.

Passwords are keyed with a secret of the data directory (a pepper), then hashed with Argon2id. A
session or API token is 32 random bytes given to the client once; the database keeps only its HMAC
under another secret, so a leaked database holds no usable credential. Failed
sign-ins are counted per account and per address: past the limit within the window, further
attempts are refused (HTTP 429) until the window has passed, whether the password is right or not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from flyfab.services.errors import Invalid, TooManyAttempts, Unauthenticated
from flyfab.services.platform import Platform
from flyfab.store import tables as t

_hasher = PasswordHasher()
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class Identity:
    """Who is asking: the account behind a session cookie or an API token."""

    id: str
    email: str
    role: str  # "customer" or "staff"
    session_id: str | None = None  # set for browser sessions (they need CSRF protection)
    csrf_token: str | None = None

    @property
    def staff(self) -> bool:
        return self.role == "staff"


def _digest(p: Platform, token: str) -> str:
    """What the database keeps of a token: its HMAC under a secret of the data directory, so that
    the database alone cannot even confirm a token."""
    return hmac.new(p.settings.secret("token-key"), token.encode(), hashlib.sha256).hexdigest()


def _peppered(p: Platform, password: str) -> str:
    """The password as hashed: first keyed with a secret kept outside the database (a pepper), so
    that a copy of the database alone is no material for guessing passwords."""
    return hmac.new(p.settings.secret("password-pepper"), password.encode(), hashlib.sha256).hexdigest()


def _normal(email: str) -> str:
    return email.strip().lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"the password must have at most {MAX_PASSWORD} characters")


def create_account(
    p: Platform, email: str, password: str, role: str = "customer", name: str = ""
) -> Identity:
    address = _normal(email)
    if not EMAIL.match(address) or len(address) > 320:
        raise Invalid(f"{email!r} is not an e-mail address")
    check_password(password)
    if role not in ("customer", "staff"):
        raise Invalid(f"unknown role {role!r}: customer or staff")
    try:
        with p.db.unit() as s:
            hashed = _hasher.hash(_peppered(p, password))
            account = t.Account(email=address, password_hash=hashed, role=role, name=name)
            s.add(account)
            s.flush()
            return Identity(account.id, account.email, account.role)
    except IntegrityError:
        raise Invalid(f"an account for {address} exists already: sign in instead") from None


def _limited(p: Platform, keys: list[str], at: datetime) -> None:
    since = at - timedelta(seconds=p.settings.login_window_s)
    with p.db.unit() as s:
        for key in keys:
            # An address may be a whole office behind one router: it gets ten accounts' worth.
            limit = p.settings.login_attempts * (10 if key.startswith("ip:") else 1)
            recent = (t.LoginAttempt.key == key) & (t.LoginAttempt.at >= since)
            count = s.scalar(select(func.count()).select_from(t.LoginAttempt).where(recent))
            if (count or 0) >= limit:
                minutes = max(1, p.settings.login_window_s // 60)
                raise TooManyAttempts(f"too many failed sign-ins: wait {minutes} minutes and try again")


def _verify(p: Platform, email: str, password: str, address: str) -> t.Account:
    """The account if the password is right; records the failure and refuses otherwise."""
    at = p.now()
    login = _normal(email)
    keys = [f"email:{login}", f"ip:{address}"]
    _limited(p, keys, at)
    with p.db.unit() as s:
        account = s.scalar(select(t.Account).where(t.Account.email == login))
        ok = False
        if account is not None:
            try:
                ok = _hasher.verify(account.password_hash, _peppered(p, password))
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            _hasher.hash(_peppered(p, password))  # the same work as for an account: timing tells nothing
        if not ok or account is None:
            s.add_all([t.LoginAttempt(key=k, at=at) for k in keys])
            s.commit()
            raise Unauthenticated("wrong e-mail address or password")
        s.execute(delete(t.LoginAttempt).where(t.LoginAttempt.key == keys[0]))
        return account


def sign_in(p: Platform, email: str, password: str, address: str) -> tuple[str, Identity]:
    """A new browser session: (cookie token, identity)."""
    account = _verify(p, email, password, address)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with p.db.unit() as s:
        session = t.Session(
            id=_digest(p, token),
            account_id=account.id,
            csrf_token=csrf,
            expires_at=p.now() + timedelta(days=p.settings.session_days),
        )
        s.add(session)
    return token, Identity(account.id, account.email, account.role, session.id, csrf)


def sign_out(p: Platform, token: str) -> None:
    _recent.drop("s:" + _digest(p, token))
    with p.db.unit() as s:
        s.execute(delete(t.Session).where(t.Session.id == _digest(p, token)))


def create_token(p: Platform, email: str, password: str, address: str) -> str:
    account = _verify(p, email, password, address)
    token = secrets.token_urlsafe(32)
    with p.db.unit() as s:
        s.add(t.ApiToken(id=_digest(p, token), account_id=account.id))
    return token


class _Recent:
    """Identities looked up in the last few seconds, by token digest: most requests of a client
    come in bursts, and each would otherwise cost a database query before any work is done.
    Signing out or revoking in this process drops the entry at once; elsewhere within TTL_S."""

    TTL_S = 10.0
    SIZE = 10_000

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Identity | None, datetime | None]] = {}

    def get(self, key: str, now: datetime) -> tuple[bool, Identity | None]:
        item = self._items.get(key)
        if item is None or time.monotonic() - item[0] > self.TTL_S:
            return False, None
        if item[2] is not None and item[2] <= now:
            return False, None
        return True, item[1]

    def put(self, key: str, who: Identity | None, expires: datetime | None = None) -> None:
        if len(self._items) >= self.SIZE:
            self._items.clear()
        self._items[key] = (time.monotonic(), who, expires)

    def drop(self, key: str) -> None:
        self._items.pop(key, None)


_recent = _Recent()


def from_session(p: Platform, token: str) -> Identity | None:
    key = "s:" + _digest(p, token)
    hit, who = _recent.get(key, p.now())
    if hit:
        return who
    found = _session(p, token)
    _recent.put(key, found[0] if found else None, found[1] if found else None)
    return found[0] if found else None


def _session(p: Platform, token: str) -> tuple[Identity, datetime] | None:
    with p.db.unit() as s:
        row = s.execute(
            select(t.Session, t.Account).join(t.Account).where(t.Session.id == _digest(p, token))
        ).first()
        if row is None:
            return None
        session, account = row
        if session.expires_at <= p.now():
            s.delete(session)
            return None
        return Identity(
            account.id, account.email, account.role, session.id, session.csrf_token
        ), session.expires_at


def from_token(p: Platform, token: str) -> Identity | None:
    key = "t:" + _digest(p, token)
    hit, who = _recent.get(key, p.now())
    if hit:
        return who
    who = _token(p, token)
    _recent.put(key, who)
    return who


def _token(p: Platform, token: str) -> Identity | None:
    with p.db.unit() as s:
        row = s.execute(
            select(t.Account)
            .join(t.ApiToken, t.ApiToken.account_id == t.Account.id)
            .where(t.ApiToken.id == _digest(p, token), t.ApiToken.revoked.is_(False))
        ).first()
        if row is None:
            return None
        (account,) = row
        return Identity(account.id, account.email, account.role)


def list_customers(p: Platform) -> list[dict[str, object]]:
    with p.db.unit() as s:
        orders = select(t.Order.owner_id, func.count().label("orders")).group_by(t.Order.owner_id).subquery()
        rows = s.execute(
            select(t.Account, func.coalesce(orders.c.orders, 0))
            .outerjoin(orders, orders.c.owner_id == t.Account.id)
            .where(t.Account.role == "customer")
            .order_by(t.Account.created_at.desc())
        ).all()
        return [
            {"id": a.id, "email": a.email, "name": a.name, "created_at": a.created_at, "orders": n}
            for a, n in rows
        ]
