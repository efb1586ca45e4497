"""Quotes from the shipped price book, checked against values computed by hand: panel yield and the
factory's choice of panels, options and their rules, the class DFM requires, ship dates."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import jsonschema
import pytest

from flyfab.pricing import PriceBookError, PromiseRequest, QuoteError, make_quote
from flyfab.pricing.book import PanelProduction
from flyfab.pricing.document import quote_json
from flyfab.pricing.production import boards_per_panel
from tests.conftest import ROOT
from tests.pricing_support import AT, DEFAULT, board

SCHEMA = json.loads((ROOT / "src/flyfab/pricing/schemas/quote-1.schema.json").read_text())


def _panel_production() -> PanelProduction:
    p = DEFAULT.production
    assert isinstance(p, PanelProduction)
    return p


PRODUCTION = _panel_production()
BIG_PANEL = PRODUCTION.panels[0]  # 18 × 24 in, 12.7 mm frame: 431.8 × 584.2 mm usable
D = Decimal


@pytest.mark.parametrize(
    ("w", "h", "n"),
    [
        (100, 100, 20),  # (431.8 + 2) // 102 = 4 across, (584.2 + 2) // 102 = 5 down
        (25, 32, 272),  # 16 × 17 upright; turned it would be 12 × 21 = 252
        (32, 25, 272),
        (400, 500, 1),
        (431.8, 584.2, 1),  # exactly the usable area
        # Upright, 431.9 mm is wider than the usable 431.8 mm: none fit. Turned, 100 + 2 mm fits the
        # 431.8 mm side 4 times and 431.9 + 2 mm the 584.2 mm side once.
        (431.9, 100, 4),
    ],
)
def test_boards_per_panel_fit_the_usable_area_in_both_orientations(w: float, h: float, n: int) -> None:
    assert boards_per_panel(D(str(w)), D(str(h)), BIG_PANEL, PRODUCTION.spacing_mm) == n


def test_the_factory_pools_few_boards_and_fills_whole_panels_for_many() -> None:
    # A full 18 × 24 in 2-layer panel: 55 €/m² × 0.27870912 m² = 15.3290016; 20 boards of 100 × 100.
    panel = D("55") * D("457.2") * D("609.6") / 1_000_000
    pooled = panel * (102 * 102) / (D("431.8") * D("584.2") * D("0.80"))  # 0.7902… a board
    ten = make_quote(DEFAULT, board(100, 100), 10, at=AT)
    assert ten.production.plan is not None and ten.production.plan.pooled_boards == 10
    assert ten.lines[1].code == "boards" and ten.lines[1].per_unit == pooled.quantize(D("0.01"))  # 0.79
    twenty = make_quote(DEFAULT, board(100, 100), 20, at=AT)
    assert twenty.production.plan is not None and twenty.production.plan.dedicated_panels == 1
    assert twenty.lines[1].per_unit == (panel / 20).quantize(D("0.01"))  # 0.77
    # 21: one full panel and one pooled board; the price per board stays at the full panel's.
    more = make_quote(DEFAULT, board(100, 100), 21, at=AT)
    assert more.production.plan is not None
    assert (more.production.plan.dedicated_panels, more.production.plan.pooled_boards) == (1, 1)
    assert more.production.priced_at == 20 and more.lines[1].per_unit == D("0.77")
    assert any("never costs more per board" in n for n in more.notes)


def test_setup_is_a_fee_plus_a_charge_per_copper_layer() -> None:
    for layers, fee in [(1, "10.00"), (2, "12.00"), (4, "16.00"), (8, "24.00")]:
        q = make_quote(DEFAULT, board(50, 30, layers), 5, at=AT)
        assert q.lines[0].code == "setup" and q.lines[0].amount == D(fee)


def test_quantity_breaks_lower_the_board_price() -> None:
    # 50 × 30 mm boards pool well below one panel; from 100 boards the factor is 0.90.
    at_99 = make_quote(DEFAULT, board(50, 30), 99, at=AT).production.per_unit
    at_100 = make_quote(DEFAULT, board(50, 30), 100, at=AT).production.per_unit
    assert at_100 < at_99


def test_options_not_available_say_why() -> None:
    q = make_quote(DEFAULT, board(120, 80, 8), 10, at=AT)
    why = {(u.option, u.value): u.reason for u in q.unavailable}
    assert why["thickness", "0.4"].startswith("needs 1–4 copper layers; this board has 8")
    assert "needs 1–6 copper layers" in why["thickness", "0.6"]
    assert ("thickness", "0.8") not in why
    assert ("inner_copper", None) not in why and ("impedance_control", "yes") not in why
    two = {
        (u.option, u.value): u.reason for u in make_quote(DEFAULT, board(120, 80, 2), 10, at=AT).unavailable
    }
    assert "needs 4–16 copper layers" in two["inner_copper", None]
    assert "needs 4–16 copper layers" in two["impedance_control", "yes"]
    big = {
        (u.option, u.value): u.reason for u in make_quote(DEFAULT, board(320, 200, 2), 2, at=AT).unavailable
    }
    assert "takes boards up to 250 × 300 mm; this one is 200 × 320 mm" in big["surface_finish", "hard gold"]
    tiny = {(u.option, u.value): u.reason for u in make_quote(DEFAULT, board(8, 20, 2), 2, at=AT).unavailable}
    assert "needs a board of at least 10 × 10 mm" in tiny["castellated_holes", "yes"]
    fine = {
        (u.option, u.value): u.reason
        for u in make_quote(DEFAULT, board(50, 30, min_trace_mm=D("0.1")), 2, at=AT).unavailable
    }
    assert "needs traces and gaps of at least 0.16 mm; this board has 0.1 mm" in fine["outer_copper", "2oz"]


def test_an_unavailable_choice_is_refused_listing_what_is_allowed() -> None:
    with pytest.raises(QuoteError) as caught:
        make_quote(DEFAULT, board(120, 80, 8), 10, {"thickness": "0.4"}, at=AT)
    message = str(caught.value)
    assert (
        "thickness=0.4 mm is not available for this board: needs 1–4 copper layers; this board has 8"
        in message
    )
    assert "Available: 0.8 mm, 1.0 mm, 1.2 mm, 1.6 mm, 2.0 mm, 2.4 mm" in message


def test_choices_that_exclude_each_other_are_refused() -> None:
    with pytest.raises(
        QuoteError,
        match=r"gold_fingers=plain and surface_finish=HASL do not go together: "
        r"gold fingers plain needs surface finish ENIG, hard gold, not HASL",
    ):
        make_quote(DEFAULT, board(), 10, {"surface_finish": "HASL", "gold_fingers": "plain"}, at=AT)


def test_defaults_give_way_to_the_customers_choice() -> None:
    q = make_quote(DEFAULT, board(), 10, {"gold_fingers": "plain"}, at=AT)
    finish = q.choices["surface_finish"]
    assert (finish.value, finish.by) == ("ENIG", "adjusted")
    assert any(n.startswith("surface_finish: ENIG chosen because the default does not fit") for n in q.notes)
    labels = [line.label for line in q.lines]
    assert "surface finish: ENIG" in labels and "gold fingers: plain" in labels
    # A light mask turns the default white print black.
    light = make_quote(DEFAULT, board(), 10, {"solder_mask": "white"}, at=AT)
    assert light.choices["silkscreen"].value == "black"
    assert ("silkscreen", "white") in {(u.option, u.value) for u in light.unavailable}


def test_option_values_are_matched_loosely_and_priced_as_stated() -> None:
    # ENIG: 10.00 once + 45 €/m² × 0.0015 m² = 0.0675 → 0.07 a board.
    q = make_quote(DEFAULT, board(50, 30), 10, {"Surface-Finish": "enig", "thickness": "1.60 mm"}, at=AT)
    enig = next(line for line in q.lines if line.code == "option:surface_finish")
    assert (enig.fixed, enig.per_unit, enig.amount) == (D("10.00"), D("0.07"), D("10.70"))
    assert q.choices["thickness"].value == "1.6"


def test_the_class_dfm_requires_is_priced_with_its_reasons() -> None:
    facts = board(
        min_class="advanced", class_reasons=("copper 0.1 mm wide, narrower than 0.127 mm on top (3 places)",)
    )
    q = make_quote(DEFAULT, facts, 10, at=AT)
    assert q.choices["class"].value == "advanced" and q.choices["class"].by == "board"
    base = make_quote(DEFAULT, board(), 10, at=AT)
    surcharge = next(line for line in q.lines if line.code == "option:class")
    assert surcharge.per_unit == (D("0.30") * base.lines[1].per_unit).quantize(D("0.01"))
    doc = quote_json(q)
    assert doc["class"] == {
        "required": "advanced",
        "reasons": ["copper 0.1 mm wide, narrower than 0.127 mm on top (3 places)"],
        "chosen": "advanced",
    }
    standard = next(u for u in q.unavailable if (u.option, u.value) == ("class", "standard"))
    assert "the board needs the advanced class: copper 0.1 mm wide" in standard.reason
    with pytest.raises(QuoteError, match=r"class=standard is not available for this board: the board needs"):
        make_quote(DEFAULT, facts, 10, {"class": "standard"}, at=AT)


def test_a_class_the_book_does_not_price_is_a_book_error() -> None:
    facts = board(classes=("standard", "advanced", "premium"))
    with pytest.raises(
        PriceBookError, match=r"options\.class\.values: no price for the capability class 'premium'"
    ):
        make_quote(DEFAULT, facts, 10, at=AT)


def test_an_unbuildable_board_is_priced_for_review() -> None:
    facts = board(unbuildable=("a hole lies 1.6 mm outside the board outline (3 places)",))
    q = make_quote(DEFAULT, facts, 10, at=AT)
    assert not q.buildable and q.total > 0
    assert any("waits for an engineer's review" in n and "outside the board outline" in n for n in q.notes)
    assert quote_json(q)["buildable"] is False


def test_castellated_holes_seen_on_the_board_are_priced_by_default() -> None:
    q = make_quote(DEFAULT, board(hints=frozenset({"castellated"})), 10, at=AT)
    assert q.choices["castellated_holes"].value == "yes" and q.choices["castellated_holes"].by == "board"
    assert any("castellated" in n for n in q.notes)
    plain = make_quote(
        DEFAULT, board(hints=frozenset({"castellated"})), 10, {"castellated_holes": "no"}, at=AT
    )
    assert plain.total < q.total


def test_options_kept_off_shared_panels_take_dedicated_panels() -> None:
    q = make_quote(DEFAULT, board(50, 30), 5, {"thickness": "2.4"}, at=AT)
    assert q.production.plan is not None and q.production.plan.pooled_boards == 0
    assert q.production.plan.dedicated_panels == 1


@pytest.mark.parametrize(
    ("at", "standard", "rush"),
    [
        ("2026-03-04T10:00:00+01:00", date(2026, 3, 11), date(2026, 3, 5)),  # Wed before the cut-off
        ("2026-03-04T16:30", date(2026, 3, 12), date(2026, 3, 6)),  # after 16:00: starts Thursday
        ("2026-03-04T15:30:00Z", date(2026, 3, 12), date(2026, 3, 6)),  # 16:30 in Berlin
        ("2026-03-06T17:00", date(2026, 3, 16), date(2026, 3, 10)),  # Friday evening: starts Monday
        ("2026-03-07T09:00", date(2026, 3, 16), date(2026, 3, 10)),  # Saturday
        # 16:30 summer time on Monday: starts Tuesday 31 March; Good Friday 3 April and Easter
        # Monday 6 April are closed.
        ("2026-03-30T14:30:00Z", date(2026, 4, 9), date(2026, 4, 1)),
        ("2026-04-01T10:00", date(2026, 4, 10), date(2026, 4, 2)),
        # Christmas: 24–26 December, 31 December and 1 January are closed.
        ("2026-12-23T10:00", date(2027, 1, 5), date(2026, 12, 28)),
    ],
)
def test_ship_dates_count_working_days_from_the_cut_off(at: str, standard: date, rush: date) -> None:
    q = make_quote(DEFAULT, board(), 10, at=datetime.fromisoformat(at))
    dates = {t.name: t.ship_date for t in q.tiers}
    assert (dates["standard"], dates["rush"]) == (standard, rush)


def test_option_days_and_large_orders_add_working_days() -> None:
    plain = {t.name: t.working_days for t in make_quote(DEFAULT, board(), 10, at=AT).tiers}
    assert plain == {"standard": 5, "express": 3, "rush": 1}
    enig = {
        t.name: t.working_days
        for t in make_quote(DEFAULT, board(), 10, {"surface_finish": "ENIG"}, at=AT).tiers
    }
    assert enig == {"standard": 6, "express": 4, "rush": 2}
    # 100 × 100 mm × 400 = 4 m²: one day more, and too large for the rush tier (1 m²).
    large = make_quote(DEFAULT, board(100, 100), 400, at=AT)
    assert {t.name: t.working_days for t in large.tiers} == {"standard": 6, "express": 4}
    assert ("lead_time", "rush") in {(u.option, u.value) for u in large.unavailable}


def test_a_production_plan_can_promise_the_dates() -> None:
    asked: list[PromiseRequest] = []

    def plan(request: PromiseRequest) -> date:
        asked.append(request)
        return date(2026, 3, 21)  # a Saturday: the quote moves it to Monday

    q = make_quote(DEFAULT, board(), 10, at=AT, promiser=plan)
    assert [r.tier for r in asked] == ["standard", "express", "rush"]
    assert [r.working_days for r in asked] == [5, 3, 1] and asked[0].quantity == 10
    assert {t.ship_date for t in q.tiers} == {date(2026, 3, 23)}


def test_the_quote_id_and_expiry_follow_the_inputs() -> None:
    q = make_quote(DEFAULT, board(), 10, at=AT, upload_digest="a" * 64)
    assert q.quote_id == make_quote(DEFAULT, board(), 10, at=AT, upload_digest="a" * 64).quote_id
    others = [
        make_quote(DEFAULT, board(), 11, at=AT, upload_digest="a" * 64),
        make_quote(DEFAULT, board(), 10, at=datetime(2026, 3, 4, 10, 1), upload_digest="a" * 64),
        make_quote(DEFAULT, board(), 10, {"solder_mask": "red"}, at=AT, upload_digest="a" * 64),
        make_quote(DEFAULT, board(), 10, at=AT, upload_digest="b" * 64),
        make_quote(DEFAULT, board(51, 30), 10, at=AT, upload_digest="a" * 64),
    ]
    assert len({q.quote_id, *(o.quote_id for o in others)}) == 6
    assert q.expires_at == datetime.fromisoformat("2026-03-18T10:00:00+01:00")
    # The same moment written in another zone is the same input.
    utc = make_quote(
        DEFAULT, board(), 10, at=datetime.fromisoformat("2026-03-04T09:00:00Z"), upload_digest="a" * 64
    )
    assert utc.quote_id == q.quote_id


def test_shipping_is_the_cheapest_carrier_that_takes_the_parcel() -> None:
    # 100 × 100 × 1.6 mm at 1.85 g/cm³ = 29.6 g a board; 10 boards + 250 g packing = 0.546 kg → 1.0 kg.
    q = make_quote(DEFAULT, board(100, 100), 10, at=AT)
    assert q.shipping is not None and q.shipping.name == "post"
    assert q.shipping.weight_kg == D("0.546") and q.shipping.charged_kg == D("1.0")
    assert q.shipping.amount == D("8.40")  # 6.90 + 2 × 0.5 kg × 1.50
    heavy = make_quote(DEFAULT, board(300, 300), 500, at=AT)  # 2.9 m², about 2.7 kg a board... 266 kg
    assert heavy.shipping is not None and heavy.shipping.name == "freight"
    with pytest.raises(
        QuoteError, match=r"shipping=post is not available for this order: parcels up to 31.5 kg"
    ):
        make_quote(DEFAULT, board(300, 300), 500, {"shipping": "post"}, at=AT)


def test_the_json_follows_its_schema_and_holds_what_the_issue_asks() -> None:
    q = make_quote(DEFAULT, board(120, 80, 8), 25, {"lead_time": "express", "surface_finish": "ENIG"}, at=AT)
    doc = quote_json(q)
    jsonschema.validate(doc, SCHEMA)
    for key in (
        "currency",
        "total",
        "unit_price",
        "quantity",
        "lines",
        "tiers",
        "class",
        "unavailable",
        "quote_id",
        "expires_at",
    ):
        assert key in doc
    assert doc["lead_time"] == "express" and doc["tiers"][1]["selected"] is True
    assert doc["total"] == doc["tiers"][1]["total"]
    assert {"label", "amount"} <= set(doc["lines"][0])
    assert {"name", "working_days", "ship_date", "total"} <= set(doc["tiers"][0])
    assert {
        "option": "thickness",
        "value": "0.4",
        "reason": "needs 1–4 copper layers; this board has 8 "
        "(thin cores cannot take more than 4 copper layers)",
    } in doc["unavailable"]


def test_a_quote_says_when_the_next_quantity_break_costs_no_more() -> None:
    # 50 × 30 mm: 99 boards (a full 16 × 18 in panel of 91 and 8 pooled, at the full rate) cost
    # more than 100 at the 0.90 break: 23.00 before shipping.
    q = make_quote(DEFAULT, board(50, 30), 99, at=AT)
    hundred = make_quote(DEFAULT, board(50, 30), 100, at=AT)
    assert hundred.total - hundred.lines[-1].amount <= q.total - q.lines[-1].amount
    assert "100 boards cost 23.00 EUR before shipping, no more than these 99" in q.notes
    assert not any("boards cost" in n for n in make_quote(DEFAULT, board(50, 30), 80, at=AT).notes)


def test_a_few_boards_kept_off_pooled_panels_go_on_the_panel_size_cheapest_for_them() -> None:
    """Hard gold keeps a board off shared panels. One board needs one whole panel: the smallest
    that holds it, not the size whose full panel makes a board cheapest; and a longer board never
    costs less than a shorter one."""
    p = DEFAULT.production
    assert isinstance(p, PanelProduction)
    smallest = min(p.panels, key=lambda x: x.area_m2)
    short = make_quote(DEFAULT, board(5, 20), 1, {"surface_finish": "hard gold"}, at=AT)
    long = make_quote(DEFAULT, board(5, "32.5"), 1, {"surface_finish": "hard gold"}, at=AT)
    made = next(line.label for line in short.lines if line.label.startswith("boards"))
    assert f"1 dedicated panel of {smallest.name}" in made
    assert long.total >= short.total
