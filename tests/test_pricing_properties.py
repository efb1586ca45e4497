"""Properties every quote keeps, whatever the board, quantity, options and time of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flyfab.pricing import BoardFacts, PriceBook, Quote, QuoteError, WorkCalendar, make_quote
from flyfab.pricing.book import PanelProduction
from flyfab.pricing.document import quote_json
from flyfab.pricing.production import COMPARE, break_factor, panel_costs, panel_price
from tests.pricing_support import AT, DEFAULT, board, book

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOOKS = {"default": DEFAULT, "per_square_inch": book("per_square_inch"), "job_fee_area": book("job_fee_area")}
CALENDAR = WorkCalendar.from_book(DEFAULT.calendar)

sides = st.decimals(min_value=5, max_value=400, places=1)
layer_counts = st.sampled_from([1, 2, 3, 4, 6, 8, 10])
hole_counts = st.integers(0, 3000)
# Options a customer might set on the shipped book; combinations that a board's rules refuse are skipped.
choices = st.fixed_dictionaries(
    {},
    optional={
        "surface_finish": st.sampled_from(
            ["HASL", "lead-free HASL", "ENIG", "OSP", "immersion tin", "hard gold"]
        ),
        "thickness": st.sampled_from(["0.8", "1.0", "1.2", "1.6", "2.0", "2.4"]),
        "solder_mask": st.sampled_from(["green", "red", "black", "purple", "matte black"]),
        "outer_copper": st.sampled_from(["1oz", "2oz"]),
        "via_treatment": st.sampled_from(["tented", "plugged"]),
        "electrical_test": st.sampled_from(["flying probe", "fixture", "none"]),
        "class": st.sampled_from(["standard", "advanced"]),
        "lead_time": st.sampled_from(["standard", "express"]),
        "shipping": st.sampled_from(["express", "freight"]),
    },
)


def quote_or_skip(
    b: PriceBook, facts: BoardFacts, qty: int, asked: dict[str, str], at: datetime = AT
) -> Quote:
    try:
        return make_quote(b, facts, qty, asked, at=at)
    except QuoteError:
        assume(False)
        raise  # unreachable: assume(False) ends the example


def before_shipping(q: Quote) -> Decimal:
    return q.total - (q.shipping.amount if q.shipping else Decimal(0))


def options_for(b: PriceBook, asked: dict[str, str]) -> dict[str, str]:
    known = {*b.options, "lead_time", *(["shipping"] if b.shipping else [])}
    return {
        k: v
        for k, v in asked.items()
        if k in known and (k != "lead_time" or v in {t.name for t in b.lead_times})
    }


@SETTINGS
@given(
    st.sampled_from(sorted(BOOKS)), sides, sides, layer_counts, hole_counts, choices,
    st.integers(1, 3000), st.integers(1, 3000),
)  # fmt: skip
def test_unit_price_never_rises_with_quantity(
    name: str, w: Decimal, h: Decimal, layers: int, holes: int, asked: dict[str, str], q1: int, q2: int
) -> None:
    b = BOOKS[name]
    unit = b.quantity.sale_unit
    small, large = sorted((q1 * unit, q2 * unit))
    facts = board(w, h, min(layers, 4) if name != "default" else layers, holes)
    mine = options_for(b, asked)
    a = quote_or_skip(b, facts, small, mine)
    z = quote_or_skip(b, facts, large, mine)
    assert z.unit_price <= a.unit_price, (a.lines, z.lines)
    assert z.production.per_unit <= a.production.per_unit


@SETTINGS
@given(sides, sides, layer_counts, hole_counts, choices, st.integers(1, 5000))
def test_a_faster_tier_never_costs_less_nor_ships_later(
    w: Decimal, h: Decimal, layers: int, holes: int, asked: dict[str, str], qty: int
) -> None:
    q = quote_or_skip(DEFAULT, board(w, h, layers, holes), qty, asked)
    for fast in q.tiers:
        for slow in q.tiers:
            if fast.working_days < slow.working_days:
                assert fast.total >= slow.total
                assert fast.ship_date <= slow.ship_date


@SETTINGS
@given(st.sampled_from(sorted(BOOKS)), sides, sides, layer_counts, hole_counts, choices, st.integers(1, 5000))
def test_lines_add_up_to_the_total_and_nothing_is_free(
    name: str, w: Decimal, h: Decimal, layers: int, holes: int, asked: dict[str, str], qty: int
) -> None:
    b = BOOKS[name]
    qty *= b.quantity.sale_unit
    q = quote_or_skip(b, board(w, h, layers, holes), qty, options_for(b, asked))
    assert sum(line.amount for line in q.lines) == q.total
    assert q.total > 0 and q.unit_price > 0 and q.total.is_finite()
    assert q.tier.total == q.total
    for line in q.lines:
        assert line.amount > 0
        assert line.fixed == line.fixed.quantize(b.minor_unit) and line.per_unit == line.per_unit.quantize(
            b.minor_unit
        )
    doc = quote_json(q)
    assert sum(Decimal(line["amount"]) for line in doc["lines"]) == Decimal(doc["total"])


@SETTINGS
@given(
    sides, sides, st.decimals(0, 100, places=1), st.decimals(0, 100, places=1),
    layer_counts, hole_counts, choices, st.integers(1, 5000),
)  # fmt: skip
def test_a_larger_board_never_costs_less(
    w: Decimal, h: Decimal, dw: Decimal, dh: Decimal, layers: int, holes: int, asked: dict[str, str], qty: int
) -> None:
    small = quote_or_skip(DEFAULT, board(w, h, layers, holes), qty, asked)
    large = quote_or_skip(DEFAULT, board(w + dw, h + dh, layers, holes), qty, asked)
    assert large.total >= small.total
    assert large.unit_price >= small.unit_price
    larger_tiers = {t.name: t.total for t in large.tiers}
    for t in small.tiers:
        if t.name in larger_tiers:
            assert larger_tiers[t.name] >= t.total


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 20), timezones=st.just(UTC)
)


@SETTINGS
@given(moments, st.integers(-12, 12), layer_counts, choices, st.integers(1, 20000))
def test_a_ship_date_never_falls_on_a_non_working_day(
    moment: datetime, offset: int, layers: int, asked: dict[str, str], qty: int
) -> None:
    q = quote_or_skip(DEFAULT, board(80, 60, layers), qty, asked, at=moment + timedelta(hours=offset))
    ordered = q.created_at.date()
    for t in q.tiers:
        assert CALENDAR.is_working_day(t.ship_date), t
        assert t.ship_date.weekday() < 5 and t.ship_date not in DEFAULT.calendar.holidays
        assert t.ship_date > ordered


@SETTINGS
@given(sides, sides, st.sampled_from([1, 2, 4, 8]), st.integers(1, 400), st.booleans())
def test_the_per_board_price_is_the_lowest_of_any_smaller_quantity(
    w: Decimal, h: Decimal, layers: int, qty: int, pooled: bool
) -> None:
    p = DEFAULT.production
    assert isinstance(p, PanelProduction)
    facts = board(w, h, layers)
    costs = panel_costs(p, facts, layers, pooled)

    def unit(n: int) -> Decimal:
        return (break_factor(DEFAULT.quantity_breaks, n) * costs.cost(n)[0] / n).quantize(COMPARE)

    brute = min(unit(n) for n in range(1, qty + 1))
    found = panel_price(p, DEFAULT.quantity_breaks, facts, layers, qty, 1, pooled)
    assert found.per_unit == brute
    assert unit(found.priced_at) == brute


@settings(max_examples=40, deadline=None)
@given(sides, sides, layer_counts, choices, st.integers(1, 5000))
def test_the_same_inputs_give_the_identical_quote(
    w: Decimal, h: Decimal, layers: int, asked: dict[str, str], qty: int
) -> None:
    a = quote_or_skip(DEFAULT, board(w, h, layers), qty, asked)
    b = quote_or_skip(DEFAULT, board(w, h, layers), qty, dict(reversed(list(asked.items()))))
    assert a == b and quote_json(a) == quote_json(b)
    c = quote_or_skip(DEFAULT, board(w, h, layers), qty + 1, asked)
    assert c.quote_id != a.quote_id


@pytest.mark.parametrize("qty", [19, 20, 21, 39, 40, 41])
def test_a_few_boards_past_a_full_panel_cost_no_more_per_board(qty: int) -> None:
    # 100 × 100 mm boards: 20 to an 18 × 24 in panel; 21 would need a second panel or a pooled board.
    q = make_quote(DEFAULT, board(100, 100), qty, at=AT)
    full = make_quote(DEFAULT, board(100, 100), qty // 20 * 20 or 1, at=AT)
    assert q.production.per_unit <= full.production.per_unit
