"""Money as exact decimals: how amounts are read from a price book, rounded and written.

The one rounding rule of a quote: every amount is rounded half-up to the currency's minor unit
(0.01 for EUR and USD) — a fixed fee once, a per-unit amount per sale unit before it is multiplied
by the number of units. Lines therefore add up exactly, and the price of one more unit never
depends on how many were ordered before it.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)


def to_decimal(value: object) -> Decimal:
    """A number from a price book: a decimal string ("12.50"), an integer or a float.

    Floats are taken by their shortest decimal spelling, so `12.1` in TOML is 12.1 exactly."""
    if isinstance(value, bool):
        raise ValueError("a number is needed, not true/false")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f'{value!r} is not a number (write amounts like "12.50")') from None
    else:
        raise ValueError(f"a number is needed, not {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def round_money(amount: Decimal, minor_unit: Decimal) -> Decimal:
    """`amount` rounded half-up to the minor unit (the stated rounding of every quote)."""
    return amount.quantize(minor_unit, rounding=ROUND_HALF_UP)


def round_up(value: Decimal, step: Decimal) -> Decimal:
    """`value` rounded up to a whole number of `step`s (weights to the carrier's steps)."""
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def floor_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def show(amount: Decimal, minor_unit: Decimal) -> str:
    """The decimal string of an amount at the currency's precision: "12.30"."""
    return format(amount.quantize(minor_unit), "f")
