"""Pricing: price books, options, quotes and ship dates. Pure: board facts in, a quote out."""

from flyfab.pricing.book import PriceBook, PriceBookError, load_price_book, parse_price_book
from flyfab.pricing.facts import BoardFacts
from flyfab.pricing.options import QuoteError, Unavailable
from flyfab.pricing.promise import CalendarPromiser, PromiseRequest, ShipDatePromiser
from flyfab.pricing.quote import Line, Quote, TierQuote, make_quote
from flyfab.pricing.workdays import WorkCalendar

__all__ = [
    "BoardFacts",
    "CalendarPromiser",
    "Line",
    "PriceBook",
    "PriceBookError",
    "PromiseRequest",
    "Quote",
    "QuoteError",
    "ShipDatePromiser",
    "TierQuote",
    "Unavailable",
    "WorkCalendar",
    "load_price_book",
    "make_quote",
    "parse_price_book",
]
