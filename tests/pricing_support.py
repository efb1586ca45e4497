"""Shared helpers of the pricing tests: the price books and boards they quote."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from flyfab.pricing import BoardFacts, PriceBook, load_price_book

BOOKS = Path(__file__).resolve().parent / "pricing_books"
DEFAULT = load_price_book()
CLASSES = ("standard", "advanced")
# A Wednesday morning in Berlin, before the cut-off, with no holiday in the next weeks.
AT = datetime.fromisoformat("2026-03-04T10:00:00+01:00")


def book(name: str) -> PriceBook:
    return load_price_book(BOOKS / f"{name}.toml")


def board(
    width: str | float | Decimal = 50,
    height: str | float | Decimal = 30,
    layers: int = 2,
    holes: int = 40,
    **more: object,
) -> BoardFacts:
    facts: dict[str, object] = {
        "plated_holes": holes,
        "smallest_hole_mm": Decimal("0.3") if holes else None,
        "min_trace_mm": Decimal("0.2"),
        "min_gap_mm": Decimal("0.2"),
        "min_class": "standard",
        "classes": CLASSES,
        **more,
    }
    return BoardFacts(Decimal(str(width)), Decimal(str(height)), layers, holes, **facts)  # type: ignore[arg-type]
