"""A quote as a JSON document: schema `flyfab.quote/1` (docs/pricing.md, schemas/quote-1.schema.json).

Amounts are decimal strings at the currency's precision ("12.30"), the unit price at a hundredth of
it ("1.2345"); dates are ISO 8601, ship dates in factory time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from flyfab.pricing.book import CLASS
from flyfab.pricing.money import show
from flyfab.pricing.quote import Quote

SCHEMA = "flyfab.quote/1"


def quote_json(q: Quote) -> dict[str, Any]:
    minor = q.minor_unit
    fine = minor / 100
    board = q.board
    p = q.production
    return {
        "schema": SCHEMA,
        "quote_id": q.quote_id,
        "created_at": q.created_at.isoformat(),
        "expires_at": q.expires_at.isoformat(),
        "upload": {"name": board.name, "sha256": q.upload_digest or None},
        "price_book": {"name": q.price_book, "sha256": q.price_book_digest},
        "currency": q.currency,
        "quantity": q.quantity,
        "sale_unit": q.sale_unit,
        "total": show(q.total, minor),
        "unit_price": show(q.unit_price, fine),
        "buildable": q.buildable,
        "lines": [
            {
                "code": line.code,
                "label": line.label,
                "amount": show(line.amount, minor),
                "fixed": show(line.fixed, minor),
                "per_unit": show(line.per_unit, minor),
                "units": line.units,
            }
            for line in q.lines
        ],
        "lead_time": q.tier.name,
        "tiers": [
            {
                "name": t.name,
                "label": t.label,
                "working_days": t.working_days,
                "ship_date": t.ship_date.isoformat(),
                "surcharge": show(t.surcharge, minor),
                "total": show(t.total, minor),
                "selected": t.selected,
            }
            for t in q.tiers
        ],
        "shipping": None
        if q.shipping is None
        else {
            "name": q.shipping.name,
            "label": q.shipping.label,
            "weight_kg": float(round(q.shipping.weight_kg, 3)),
            "charged_kg": float(q.shipping.charged_kg),
            "amount": show(q.shipping.amount, minor),
            "transit_days": list(q.shipping.transit_days),
        },
        "class": {
            "required": board.min_class,
            "reasons": list(board.class_reasons),
            "chosen": q.choices[CLASS].value if CLASS in q.choices else None,
        },
        "board": {
            "width_mm": float(board.width_mm),
            "height_mm": float(board.height_mm),
            "copper_layers": board.layers,
            "layers_built": q.layers_built,
            "holes": board.holes,
            "boards_per_panel": p.boards_per_panel,
            "plan": p.plan.describe() if p.plan is not None else None,
            "priced_at_quantity": p.priced_at,
            "hints": sorted(board.hints),
        },
        "options": [
            {
                "option": c.option,
                "label": q.option_labels.get(c.option, c.option),
                "value": c.value,
                "by": c.by,
                "note": c.note,
            }
            for c in q.choices.values()
        ],
        "unavailable": [{"option": u.option, "value": u.value, "reason": u.reason} for u in q.unavailable],
        "notes": list(q.notes),
    }


def content_digest(files: Iterable[tuple[str, bytes]]) -> str:
    """The digest of an upload's content: every file's path and bytes, in path order, so that the
    same files give the same digest whatever archive (or folder) carries them."""
    h = hashlib.sha256()
    for path, data in sorted(files):
        h.update(path.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()
