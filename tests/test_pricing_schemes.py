"""Real public price schemes expressed as price books (test fixtures, not product defaults),
priced by flyfab and compared with prices computed by hand from the scheme's own rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flyfab.pricing import QuoteError, make_quote
from tests.pricing_support import AT, board, book

SQUARE_INCH = book("per_square_inch")
JOB_FEE = book("job_fee_area")


@pytest.mark.parametrize(
    ("width", "height", "layers", "quantity", "total"),
    [
        # 2 × 1 in = 2 in², $5 per in² per set of 3: $10 a set.
        (50.8, 25.4, 2, 3, "10.00"),
        (50.8, 25.4, 2, 6, "20.00"),
        (50.8, 25.4, 2, 300, "1000.00"),
        # 1 in² of 4 layers at $10.
        (25.4, 25.4, 4, 3, "10.00"),
        # 25 × 32 mm = 800 mm² = 1.24000496 in²: 6.2000248 a set, rounded half-up to 6.20; 3 sets.
        (25, 32, 2, 9, "18.60"),
        # 100 × 80 mm = 12.40004960 in² × $5 = 62.0002480 → 62.00 a set.
        (100, 80, 2, 3, "62.00"),
    ],
)
def test_per_square_inch_in_sets_of_three(
    width: float, height: float, layers: int, quantity: int, total: str
) -> None:
    q = make_quote(SQUARE_INCH, board(width, height, layers), quantity, at=AT)
    assert q.total == Decimal(total)
    assert [line.code for line in q.lines] == ["boards"]  # no fees, free shipping
    assert q.currency == "USD"
    assert q.lines[0].per_unit * (quantity // 3) == q.total


def test_per_square_inch_unit_price_and_swift_service() -> None:
    q = make_quote(SQUARE_INCH, board(50.8, 25.4), 6, at=AT)
    assert q.unit_price == Decimal("3.3333")  # 20.00 / 6, half-up to 1/100 of a cent
    swift = make_quote(SQUARE_INCH, board(50.8, 25.4), 6, {"lead_time": "swift"}, at=AT)
    assert swift.total == Decimal("109.00")  # the flat $89 fee on top of $20
    assert [t.total for t in q.tiers] == [Decimal("20.00"), Decimal("109.00")]


def test_per_square_inch_sells_only_whole_sets() -> None:
    with pytest.raises(QuoteError, match=r"multiples of 3; order 3 or 6"):
        make_quote(SQUARE_INCH, board(), 4, at=AT)
    with pytest.raises(QuoteError, match=r"at least 3 boards"):
        make_quote(SQUARE_INCH, board(), 0, at=AT)


def test_per_square_inch_builds_three_layers_as_four_and_refuses_six() -> None:
    q = make_quote(SQUARE_INCH, board(25.4, 25.4, 3), 3, at=AT)
    assert q.total == Decimal("10.00") and q.layers_built == 4
    assert any("built as a 4-layer" in n for n in q.notes)
    with pytest.raises(QuoteError, match=r"6 copper layers: the price book offers 2, 4 layers"):
        make_quote(SQUARE_INCH, board(25.4, 25.4, 6), 3, at=AT)


@pytest.mark.parametrize(
    ("width", "height", "layers", "quantity", "asked", "total"),
    [
        # €39 job fee + 15 cm² × €0.08 × 10 = 39 + 12.00.
        (50, 30, 2, 10, {}, "51.00"),
        (50, 30, 2, 100, {}, "159.00"),
        (50, 30, 1, 1, {}, "39.90"),  # 15 cm² × €0.06
        # 80 cm² × €0.16 × 25 = 320.00.
        (100, 80, 4, 25, {}, "359.00"),
        # 53.7 × 28.6 mm = 15.3582 cm² × 0.08 = 1.228656 a board, rounded half-up to 1.23, × 7.
        (53.7, 28.6, 2, 7, {}, "47.61"),
        # ENIG: €10 once and €0.50 a board: 51.00 + 10 + 5.00.
        (50, 30, 2, 10, {"surface_finish": "ENIG"}, "66.00"),
    ],
)
def test_job_fee_plus_area_rate(
    width: float, height: float, layers: int, quantity: int, asked: dict[str, str], total: str
) -> None:
    q = make_quote(JOB_FEE, board(width, height, layers), quantity, asked, at=AT)
    assert q.total == Decimal(total)
    assert q.lines[0].label == "job fee" and q.lines[0].amount == Decimal("39.00")
    assert sum(line.amount for line in q.lines) == q.total


def test_job_fee_unit_price_is_the_total_over_the_quantity() -> None:
    q = make_quote(JOB_FEE, board(53.7, 28.6), 7, at=AT)
    assert q.unit_price == Decimal("6.8014")  # 47.61 / 7 = 6.80142857...
