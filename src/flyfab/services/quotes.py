"""Quotes: the price of an analysed upload at a quantity with options, stored as given."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from flyfab.pricing import QuoteError, make_quote
from flyfab.pricing.document import quote_json
from flyfab.services.accounts import Identity
from flyfab.services.errors import Conflict, Invalid, NotFound
from flyfab.services.platform import Platform
from flyfab.services.uploads import facts_from_json, get_upload
from flyfab.store import tables as t

MAX_QUANTITY = 1_000_000


def price(
    p: Platform, who: Identity, upload_id: str, quantity: int, options: dict[str, str]
) -> dict[str, Any]:
    """The quote document for an analysed upload, not stored (the live price on the result page)."""
    upload = get_upload(p, who, upload_id)
    if upload.status != "done" or upload.facts is None:
        raise Conflict(f"the upload is {upload.status}: it can be priced once its analysis is done")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise Invalid("quantity must be a whole number of boards, at least 1")
    if quantity > MAX_QUANTITY:
        raise Invalid(f"quantity {quantity} is more than this shop quotes online ({MAX_QUANTITY}); ask us")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in options.items()):
        raise Invalid("options are name: value pairs of text")
    try:
        quote = make_quote(
            p.price_book,
            facts_from_json(upload.facts),
            quantity,
            options,
            at=p.now(),
            upload_digest=upload.sha256,
        )
    except QuoteError as err:
        raise Invalid(str(err)) from None
    return quote_json(quote)


def create_quote(
    p: Platform, who: Identity, upload_id: str, quantity: int, options: dict[str, str]
) -> t.Quote:
    document = price(p, who, upload_id, quantity, options)
    upload = get_upload(p, who, upload_id)
    with p.db.unit() as s:
        quote = t.Quote(
            owner_id=upload.owner_id,
            upload_id=upload.id,
            quote_id=document["quote_id"],
            quantity=quantity,
            options=dict(options),
            document=document,
            currency=document["currency"],
            total=Decimal(document["total"]),
            expires_at=_parse(document["expires_at"]),
        )
        s.add(quote)
    return quote


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def get_quote(p: Platform, who: Identity, quote_id: str) -> t.Quote:
    with p.db.unit() as s:
        quote = s.get(t.Quote, quote_id)
        if quote is None or (quote.owner_id != who.id and not who.staff):
            raise NotFound("no such quote")
        return quote


def list_quotes(p: Platform, who: Identity, upload_id: str) -> list[t.Quote]:
    get_upload(p, who, upload_id)
    with p.db.unit() as s:
        return list(
            s.scalars(select(t.Quote).where(t.Quote.upload_id == upload_id).order_by(t.Quote.created_at))
        )
