"""Orders: placed from a quote, moved through their life cycle by customers and staff, audited.

An order keeps a frozen copy of its quote and the digests of the quote and the uploaded archive
(`orders.Snapshot`), checked every time the order is read. Each state change goes through the
life-cycle table (`orders.transition`) and is written to the audit log with who, when and why.
Concurrent changes of one order are detected by its version counter: the second writer gets a
conflict instead of overwriting the first. A client may send an idempotency key with a new order;
sending the same request again then returns the same order instead of a second one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from flyfab.orders import Action, Role, Snapshot, SnapshotError, State, TransitionError, allowed, transition
from flyfab.services.accounts import Identity
from flyfab.services.errors import Conflict, Invalid, NotFound, ServiceError
from flyfab.services.platform import Platform
from flyfab.services.quotes import get_quote
from flyfab.store import tables as t

log = logging.getLogger("flyfab.orders")
MAX_MESSAGE = 5000


def number(order: t.Order) -> str:
    return f"FF-{order.number:06d}"


def _role(who: Identity) -> Role:
    return Role.STAFF if who.staff else Role.CUSTOMER


@dataclass(frozen=True)
class OrderView:
    """An order as its owner or the staff see it, its integrity checked."""

    order: t.Order
    quote: dict[str, Any]
    events: list[t.OrderEvent]
    actions: list[str]  # what the asking person may do now


def _view(who: Identity, order: t.Order) -> OrderView:
    snapshot = Snapshot(order.quote_snapshot, order.quote_sha256, order.files_sha256)
    try:
        quote = snapshot.quote_document()
    except SnapshotError as err:
        log.error("order %s: %s", order.id, err)
        raise Conflict(f"order {number(order)}: {err}") from None
    actions = [a.value for a in allowed(State(order.state), _role(who))]
    return OrderView(order, quote, list(order.events), actions)


def place_order(p: Platform, who: Identity, quote_id: str, idempotency_key: str | None = None) -> OrderView:
    quote = get_quote(p, who, quote_id)
    if quote.owner_id != who.id:
        raise NotFound("no such quote")  # staff do not order for customers
    request = hashlib.sha256(f"order:{quote_id}".encode()).hexdigest()
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise Invalid("the idempotency key must have 1 to 200 characters")
        earlier = _replay(p, who, idempotency_key, request)
        if earlier is not None:
            return earlier
    if quote.expires_at <= p.now():
        raise Conflict(f"the quote expired on {quote.expires_at:%Y-%m-%d %H:%M} UTC: ask for a new price")
    upload_sha = (quote.document.get("upload") or {}).get("sha256")
    with p.db.unit() as s:
        upload = s.get(t.Upload, quote.upload_id)
        assert upload is not None
        files = p.files.get(upload.sha256)
        if upload_sha and upload_sha != upload.sha256:
            raise Conflict("the quote was made for other files than the upload holds")
        snapshot = Snapshot.take(quote.document, files)
        counter = t.OrderNumber()
        s.add(counter)
        s.flush()
        at = p.now()
        existing = s.scalar(select(t.Order).where(t.Order.quote_id == quote.id))
        if existing is not None:
            raise Conflict(f"this quote has been ordered already: {number(existing)}")
        order = t.Order(
            id=t.new_id(),
            number=counter.id,
            owner_id=who.id,
            quote_id=quote.id,
            upload_id=upload.id,
            state=State.PLACED.value,
            quote_snapshot=snapshot.quote,
            quote_sha256=snapshot.quote_sha256,
            files_sha256=snapshot.files_sha256,
            total=Decimal(str(quote.total)),
            currency=quote.currency,
            created_at=at,
            updated_at=at,
        )
        s.add(order)
        s.add(
            t.OrderEvent(
                order_id=order.id,
                at=at,
                actor_id=who.id,
                role=Role.CUSTOMER.value,
                action="place",
                source=None,
                target=State.PLACED.value,
                reason=f"from quote {quote.quote_id[:12]}",
            )
        )
        try:
            s.flush()  # the order row first: the idempotency key refers to it
            if idempotency_key is not None:
                s.add(
                    t.IdempotencyKey(
                        account_id=who.id, key=idempotency_key, request_sha256=request, order_id=order.id
                    )
                )
                s.flush()
        except IntegrityError:
            # Another request placed it at the same moment: answer as that one did.
            s.rollback()
            if idempotency_key is not None and (earlier := _replay(p, who, idempotency_key, request)):
                return earlier
            raise Conflict("this quote has just been ordered by another request; see your orders") from None
        order_id = order.id
    return get_order(p, who, order_id)


def _replay(p: Platform, who: Identity, key: str, request: str) -> OrderView | None:
    with p.db.unit() as s:
        row = s.scalar(
            select(t.IdempotencyKey).where(t.IdempotencyKey.account_id == who.id, t.IdempotencyKey.key == key)
        )
        if row is None:
            return None
        if row.request_sha256 != request:
            raise Conflict("this idempotency key was used for a different request")
        order_id = row.order_id
    return get_order(p, who, order_id)


def get_order(p: Platform, who: Identity, order_id: str) -> OrderView:
    with p.db.unit() as s:
        order = s.get(t.Order, order_id)
        if order is None or (order.owner_id != who.id and not who.staff):
            raise NotFound("no such order")
        return _view(who, order)


def list_orders(
    p: Platform,
    who: Identity,
    state: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[t.Order]:
    if state is not None and state not in {s.value for s in State}:
        raise Invalid(f"unknown state {state!r}: one of {', '.join(s.value for s in State)}")
    limit = max(1, min(limit, 500))
    with p.db.unit() as s:
        q = select(t.Order).order_by(t.Order.created_at.desc()).limit(limit).offset(max(0, offset))
        if not who.staff:
            q = q.where(t.Order.owner_id == who.id)
        if state is not None:
            q = q.where(t.Order.state == state)
        if search:
            term = search.strip().lower().removeprefix("ff-").lstrip("0")
            q = q.join(t.Account, t.Account.id == t.Order.owner_id)
            conditions = [func.lower(t.Account.email).contains(search.strip().lower())]
            if term.isdigit():
                conditions.append(t.Order.number == int(term))
            q = q.where(or_(*conditions))
        return list(s.scalars(q))


def act(
    p: Platform,
    who: Identity,
    order_id: str,
    action: str,
    reason: str = "",
    expected_version: int | None = None,
) -> OrderView:
    """Move an order by `action` (see orders.Action); `expected_version` guards against editing a
    version of the order that someone else has changed meanwhile."""
    try:
        step = Action(action)
    except ValueError:
        raise Invalid(f"unknown action {action!r}: one of {', '.join(a.value for a in Action)}") from None
    if len(reason) > MAX_MESSAGE:
        raise Invalid(f"the reason may have at most {MAX_MESSAGE} characters")
    try:
        with p.db.unit() as s:
            order = s.get(t.Order, order_id)
            if order is None or (order.owner_id != who.id and not who.staff):
                raise NotFound("no such order")
            if expected_version is not None and order.version != expected_version:
                raise Conflict(f"order {number(order)} was changed meanwhile; reload it and try again")
            try:
                move = transition(State(order.state), step, _role(who), who.id, p.now(), reason)
            except TransitionError as err:
                raise Conflict(str(err)) from None
            order.state = move.target.value
            order.updated_at = move.at
            s.add(
                t.OrderEvent(
                    order_id=order.id,
                    at=move.at,
                    actor_id=who.id,
                    role=move.role.value,
                    action=move.action.value,
                    source=move.source.value,
                    target=move.target.value,
                    reason=move.reason,
                )
            )
    except StaleDataError:
        raise Conflict("the order was changed meanwhile; reload it and try again") from None
    return get_order(p, who, order_id)


def add_message(p: Platform, who: Identity, order_id: str, body: str) -> t.Message:
    text = body.strip()
    if not text:
        raise Invalid("the message is empty")
    if len(text) > MAX_MESSAGE:
        raise Invalid(f"a message may have at most {MAX_MESSAGE} characters")
    get_order(p, who, order_id)
    with p.db.unit() as s:
        message = t.Message(order_id=order_id, author_id=who.id, body=text, at=p.now())
        s.add(message)
    return message


def messages(p: Platform, who: Identity, order_id: str) -> list[tuple[t.Message, str, str]]:
    """The thread: (message, author e-mail, author role), oldest first."""
    with p.db.unit() as s:
        owner = s.scalar(select(t.Order.owner_id).where(t.Order.id == order_id))
        if owner is None or (owner != who.id and not who.staff):
            raise NotFound("no such order")
        rows = s.execute(
            select(t.Message, t.Account.email, t.Account.role)
            .join(t.Account, t.Account.id == t.Message.author_id)
            .where(t.Message.order_id == order_id)
            .order_by(t.Message.id)
        ).all()
        return [(m, e, r) for m, e, r in rows]


def audit_log(
    p: Platform, who: Identity, order_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    if not who.staff:
        raise NotFound("no such page")
    with p.db.unit() as s:
        q = (
            select(t.OrderEvent, t.Order.number, t.Account.email)
            .join(t.Order, t.Order.id == t.OrderEvent.order_id)
            .outerjoin(t.Account, t.Account.id == t.OrderEvent.actor_id)
            .order_by(t.OrderEvent.id.desc())
            .limit(max(1, min(limit, 1000)))
        )
        if order_id:
            q = q.where(t.OrderEvent.order_id == order_id)
        return [
            {
                "order_id": e.order_id,
                "order": f"FF-{n:06d}",
                "at": e.at,
                "who": email or "system",
                "role": e.role,
                "action": e.action,
                "from": e.source,
                "to": e.target,
                "why": e.reason,
            }
            for e, n, email in s.execute(q).all()
        ]


__all__ = [
    "OrderView",
    "ServiceError",
    "act",
    "add_message",
    "audit_log",
    "get_order",
    "list_orders",
    "messages",
    "number",
    "place_order",
]
