"""Requests that cannot be quoted: each is refused with what is allowed, never priced at 0 or NaN."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flyfab.pricing import QuoteError, make_quote, parse_price_book
from flyfab.pricing.quote import precheck
from tests.pricing_support import AT, BOOKS, DEFAULT, board, book


@pytest.mark.parametrize(
    ("qty", "says"),
    [
        (0, "quantity 0: order at least 1 board"),
        (-5, "quantity -5: order at least 1 board"),
        (10**9, "quantity 1000000000: at most 100000 boards per order"),
    ],
)
def test_quantities_that_are_no_order(qty: int, says: str) -> None:
    with pytest.raises(QuoteError, match=says):
        make_quote(DEFAULT, board(), qty, at=AT)
    with pytest.raises(QuoteError, match=says):
        precheck(DEFAULT, qty)


def test_an_order_larger_than_one_order_may_hold() -> None:
    # 400 × 500 mm = 0.2 m² a board; 1000 m² at most: 5000 boards.
    with pytest.raises(QuoteError, match=r"more than the 1000 m² one order may hold; at most 5000 boards"):
        make_quote(DEFAULT, board(400, 500), 6000, at=AT)


def test_an_unknown_option_lists_the_options() -> None:
    with pytest.raises(QuoteError) as caught:
        make_quote(DEFAULT, board(), 10, {"colour": "red"}, at=AT)
    message = str(caught.value)
    assert message.startswith("unknown option 'colour'; the options are: class, thickness,")
    assert message.endswith("electrical_test, lead_time, shipping")


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        (
            {"surface_finish": "gold leaf"},
            "surface_finish: unknown value 'gold leaf'; the values are: HASL, "
            "lead-free HASL, ENIG, OSP, immersion silver, immersion tin, hard gold",
        ),
        ({"thickness": "1.7"}, "thickness: unknown value '1.7'; the values are: 0.4, 0.6"),
        (
            {"lead_time": "yesterday"},
            "lead_time: unknown value 'yesterday'; the values are: standard, express, rush",
        ),
        ({"shipping": "drone"}, "shipping: unknown value 'drone'; the values are: post, express, freight"),
        ({"solder_mask": "red", "Solder-Mask": "blue"}, "solder_mask is set twice"),
    ],
)
def test_an_unknown_value_lists_the_values(asked: dict[str, str], says: str) -> None:
    with pytest.raises(QuoteError, match=says):
        make_quote(DEFAULT, board(), 10, asked, at=AT)
    with pytest.raises(QuoteError, match=says):
        precheck(DEFAULT, 10, asked)


def test_an_option_that_does_not_apply_to_the_board() -> None:
    with pytest.raises(
        QuoteError, match=r"inner_copper does not apply to this board: needs 4–16 copper layers"
    ):
        make_quote(DEFAULT, board(layers=2), 10, {"inner_copper": "1oz"}, at=AT)
    with pytest.raises(
        QuoteError,
        match=r"lead_time=rush is not available for this order: offered for 1, 2, 4, 6, "
        r"8 layers; this board has 10. Available: standard, express",
    ):
        make_quote(DEFAULT, board(layers=10), 10, {"lead_time": "rush"}, at=AT)


@pytest.mark.parametrize(
    ("facts", "says"),
    [
        (board(0, 30), "the board's size is unknown"),
        (board(Decimal("NaN"), 30), "the board's size is unknown"),
        (board(layers=0), "no copper layer found"),
        (board(layers=20), "20 copper layers: the price book offers 1, 2, 4, 6, 8, 10, 12, 14, 16 layers"),
        (board(500, 700), "does not fit the largest production panel's usable area"),
    ],
)
def test_boards_that_cannot_be_priced(facts: object, says: str) -> None:
    with pytest.raises(QuoteError, match=says):
        make_quote(DEFAULT, facts, 10, at=AT)  # type: ignore[arg-type]


def test_a_price_of_nothing_is_never_quoted() -> None:
    # 0.5 × 0.5 mm at $5 per in² a set is $0.0019: it rounds to nothing.
    with pytest.raises(QuoteError, match=r"prices at 0.00 USD .* no quote is given for nothing"):
        make_quote(book("per_square_inch"), board("0.5", "0.5"), 3, at=AT)


def test_the_least_order_is_a_whole_sale_unit() -> None:
    text = (BOOKS / "per_square_inch.toml").read_text().replace("min = 3", "min = 1")
    threes = parse_price_book(text, "sets.toml")
    with pytest.raises(QuoteError, match=r"quantity 2: order at least 3 boards"):
        make_quote(threes, board(), 2, at=AT)
    assert make_quote(threes, board(), 3, at=AT).total > 0
