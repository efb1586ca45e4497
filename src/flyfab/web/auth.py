"""Who is asking, and whether a browser's request really comes from our own pages.

Browsers authenticate with the session cookie; programs with `Authorization: Bearer <token>`.
A request that changes something on the strength of the cookie must also carry the session's CSRF
token (form field `csrf_token` or header `X-CSRF-Token`): another site can make a browser send
the cookie, but it cannot read the token. Bearer requests need no CSRF token, since no browser
sends a bearer token by itself.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from flyfab.services import accounts
from flyfab.services.accounts import Identity
from flyfab.services.errors import Forbidden, Unauthenticated
from flyfab.services.platform import Platform

COOKIE = "flyfab_session"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def platform(request: Request) -> Platform:
    p = request.app.state.platform
    assert isinstance(p, Platform)
    return p


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def identity(request: Request) -> Identity | None:
    if hasattr(request.state, "identity"):
        cached: Identity | None = request.state.identity
        return cached
    p = platform(request)
    found: Identity | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = accounts.from_token(p, header[7:].strip())
        if found is None:
            raise Unauthenticated("the API token is not valid: create one with POST /api/v1/tokens")
    elif (cookie := request.cookies.get(COOKIE)) is not None:
        found = accounts.from_session(p, cookie)
    request.state.identity = found
    return found


async def csrf_ok(request: Request, who: Identity) -> None:
    """Refuse an unsafe request made with a session cookie that lacks the session's CSRF token."""
    if request.method in SAFE or who.session_id is None:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not who.csrf_token or not hmac.compare_digest(sent, who.csrf_token):
        raise Forbidden("the form has expired or did not come from this site: reload the page and try again")


async def require(request: Request) -> Identity:
    who = identity(request)
    if who is None:
        raise Unauthenticated("sign in first, or send an API token (Authorization: Bearer ...)")
    await csrf_ok(request, who)
    return who


async def require_staff(request: Request) -> Identity:
    who = await require(request)
    if not who.staff:
        raise Forbidden("this is for factory staff")
    return who
