"""A quote: the price of a board at a quantity with its options, every lead time with its ship date.

The arithmetic (docs/pricing.md has it in full):
- lines are `fixed + per_unit × units`, where units = quantity / sale unit; `fixed` and `per_unit`
  are each rounded half-up to the currency's minor unit, so the lines add up exactly to the total
  and the per-unit part never depends on the quantity's size;
- setup: fixed + per copper layer; boards: the production price per sale unit (panels or area);
- each option value: fixed, and per unit its per-board, per-m², per-hole amounts and a percent of
  the boards line;
- the lead-time tier: a percent of the fixed and per-unit parts of everything above, plus a fixed
  amount; shipping: the carrier's price for the parcel's weight;
- the unit price is the total before shipping divided by the quantity, rounded half-up to a
  hundredth of the minor unit.
The same inputs always give the same quote, and its id is a digest of those inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from flyfab.pricing.book import (
    CLASS,
    LEAD_TIME,
    SHIPPING,
    THICKNESS,
    PanelProduction,
    PriceBook,
)
from flyfab.pricing.facts import BoardFacts
from flyfab.pricing.money import ZERO, round_money, round_up, show
from flyfab.pricing.options import (
    Choice,
    QuoteError,
    Resolution,
    Unavailable,
    match_option,
    match_value,
    resolve,
    show_value,
)
from flyfab.pricing.production import ProductionError, ProductionPrice, area_price, panel_price
from flyfab.pricing.promise import CalendarPromiser, PromiseRequest, ShipDatePromiser
from flyfab.pricing.workdays import WorkCalendar

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Line:
    code: str  # "setup", "boards", "option:<name>", "lead_time" or "shipping"
    label: str
    fixed: Decimal
    per_unit: Decimal  # per sale unit
    units: int

    @property
    def amount(self) -> Decimal:
        return self.fixed + self.per_unit * self.units


@dataclass(frozen=True)
class TierQuote:
    name: str
    label: str
    working_days: int
    ship_date: date
    surcharge: Decimal
    total: Decimal
    selected: bool


@dataclass(frozen=True)
class ShippingQuote:
    name: str
    label: str
    weight_kg: Decimal  # the parcel
    charged_kg: Decimal  # in the carrier's steps
    amount: Decimal
    transit_days: tuple[int, int]


@dataclass(frozen=True)
class Quote:
    quote_id: str
    created_at: datetime
    expires_at: datetime
    currency: str
    minor_unit: Decimal
    quantity: int
    sale_unit: int
    lines: tuple[Line, ...]
    total: Decimal
    unit_price: Decimal
    tiers: tuple[TierQuote, ...]
    shipping: ShippingQuote | None
    board: BoardFacts
    layers_built: int
    production: ProductionPrice
    choices: dict[str, Choice]
    unavailable: tuple[Unavailable, ...]
    notes: tuple[str, ...]
    price_book: str  # its name
    price_book_digest: str
    upload_digest: str
    option_labels: dict[str, str] = field(default_factory=dict)

    @property
    def buildable(self) -> bool:
        """False when no capability class can build the board as drawn: the price assumes the most
        capable class and the order waits for an engineer's review."""
        return not self.board.unbuildable

    @property
    def tier(self) -> TierQuote:
        return next(t for t in self.tiers if t.selected)


def _check_quantity(book: PriceBook, quantity: int) -> None:
    q = book.quantity
    least = -(-q.min // q.sale_unit) * q.sale_unit
    if quantity < least:
        raise QuoteError(f"quantity {quantity}: order at least {least} board{'s' if least > 1 else ''}")
    if quantity % q.sale_unit:
        low = quantity - quantity % q.sale_unit
        nearest = " or ".join(str(v) for v in (low, low + q.sale_unit) if v >= max(q.min, 1))
        raise QuoteError(
            f"quantity {quantity}: boards are sold in multiples of {q.sale_unit}; order {nearest}"
        )
    if quantity > q.max:
        raise QuoteError(
            f"quantity {quantity}: at most {q.max} boards per order; ask the factory for a production quote"
        )


def precheck(book: PriceBook, quantity: int, asked: Mapping[str, str] | None = None) -> None:
    """Refuse what is wrong whatever the board: the quantity, unknown options and values."""
    _check_quantity(book, quantity)
    options, tier, ship = _split(book, asked or {})
    for name, value in options.items():
        option = book.options[name]
        match_value(name, list(option.values), option.unit, value)
    if tier is not None:
        match_value(LEAD_TIME, [t.name for t in book.lead_times], None, tier)
    if ship is not None and book.shipping is not None:
        match_value(SHIPPING, [o.name for o in book.shipping.options], None, ship)


def _layers_built(book: PriceBook, facts: BoardFacts) -> int:
    offered = book.layer_counts
    if facts.layers < 1:
        raise QuoteError("no copper layer found: the board cannot be priced; add the copper layers")
    built = next((n for n in offered if n >= facts.layers), None)
    if built is None:
        raise QuoteError(
            f"{facts.layers} copper layers: the price book offers {', '.join(map(str, offered))} layers"
        )
    return built


def _split(book: PriceBook, asked: Mapping[str, str]) -> tuple[dict[str, str], str | None, str | None]:
    options: dict[str, str] = {}
    tier = ship = None
    seen: set[str] = set()
    for raw, value in asked.items():
        name = match_option(book, raw, (LEAD_TIME, SHIPPING) if book.shipping else (LEAD_TIME,))
        if name in seen:
            raise QuoteError(f"{name} is set twice; set each option once")
        seen.add(name)
        if name == LEAD_TIME:
            tier = value
        elif name == SHIPPING:
            ship = value
        else:
            options[name] = value
    return options, tier, ship


def _production(
    book: PriceBook, facts: BoardFacts, layers: int, quantity: int, pooled: bool
) -> ProductionPrice:
    p = book.production
    if isinstance(p, PanelProduction):
        try:
            return panel_price(
                p, book.quantity_breaks, facts, layers, quantity, book.quantity.sale_unit, pooled
            )
        except ProductionError as e:
            raise QuoteError(str(e)) from None
    return area_price(p, book.quantity_breaks, facts, layers, quantity)


def _mm(v: Decimal) -> str:
    return f"{v.normalize():f}"


def make_quote(
    book: PriceBook,
    facts: BoardFacts,
    quantity: int,
    asked: Mapping[str, str] | None = None,
    at: datetime | None = None,
    promiser: ShipDatePromiser | None = None,
    upload_digest: str = "",
    *,
    compare_next_break: bool = True,
) -> Quote:
    """Price `quantity` boards with the options `asked` (option name -> value; `lead_time` and
    `shipping` choose those), for an order placed at `at` (default: now; without a zone: factory
    time). Raises QuoteError when the request cannot be quoted, saying what is allowed."""
    calendar = WorkCalendar.from_book(book.calendar)
    ordered_at = calendar.local(at if at is not None else datetime.now(calendar.zone).replace(microsecond=0))
    promise = promiser if promiser is not None else CalendarPromiser(calendar)
    _check_quantity(book, quantity)
    if (
        not (facts.width_mm.is_finite() and facts.height_mm.is_finite())
        or min(facts.width_mm, facts.height_mm) <= 0
    ):
        raise QuoteError("the board's size is unknown: add the board outline (edge cuts) layer")
    layers = _layers_built(book, facts)
    order_m2 = facts.area_m2 * quantity
    limit = book.quantity.max_area_m2
    if limit is not None and order_m2 > limit:
        most = int(limit / facts.area_m2) // book.quantity.sale_unit * book.quantity.sale_unit
        raise QuoteError(
            f"quantity {quantity}: {order_m2:.2f} m² of boards, more than the {_mm(limit)} m² one order "
            f"may hold; at most {most} boards of this size"
        )
    options, asked_tier, asked_ship = _split(book, asked or {})
    resolution = resolve(book, facts, layers, options)
    chosen = {name: book.options[name].values[c.value] for name, c in resolution.choices.items()}
    pooled = all(v.pool for v in chosen.values())
    production = _production(book, facts, layers, quantity, pooled)

    minor = book.minor_unit
    su = book.quantity.sale_unit
    units = quantity // su
    boards_unit = round_money(production.per_unit, minor)
    lines = [_setup_line(book, layers, units), _boards_line(facts, layers, production, boards_unit, units)]
    for name, choice in resolution.choices.items():
        price = chosen[name].price
        if price.is_free():
            continue
        per_board = price.per_board + price.per_m2 * facts.area_m2 + price.per_hole * facts.holes
        per_unit = round_money(per_board * su + price.percent / HUNDRED * boards_unit, minor)
        fixed = round_money(price.fixed, minor)
        if fixed or per_unit:
            option = book.options[name]
            lines.append(
                Line(
                    f"option:{name}",
                    f"{option.label}: {show_value(option, choice.value)}",
                    fixed,
                    per_unit,
                    units,
                )
            )
    lines = [line for line in lines if line.fixed or line.per_unit]
    fixed_sum = sum((line.fixed for line in lines), ZERO)
    unit_sum = sum((line.per_unit for line in lines), ZERO)

    unavailable = list(resolution.unavailable)
    shipping = _shipping(book, facts, quantity, resolution, asked_ship, unavailable)
    extra_days = sum(v.extra_days for v in chosen.values()) + max(
        (e.days for e in book.lead_time_extra_days if order_m2 >= e.from_area_m2), default=0
    )
    tiers, tier_lines = _tiers(
        book,
        calendar,
        promise,
        PromiseRequest(ordered_at, "", 0, layers, quantity, order_m2),
        extra_days,
        (fixed_sum, unit_sum, units),
        shipping,
        asked_tier,
        unavailable,
    )
    selected = next(t for t in tiers if t.selected)
    lines += [line for line in tier_lines[selected.name] if line.fixed or line.per_unit]
    if shipping is not None and shipping.amount:  # free carriage needs no line
        lines.append(
            Line(
                "shipping",
                f"shipping: {shipping.label} ({shipping.charged_kg.normalize():f} kg)",
                shipping.amount,
                ZERO,
                units,
            )
        )
    total = sum((line.amount for line in lines), ZERO)
    before_shipping = total - (shipping.amount if shipping else ZERO)
    unit_price = round_money(before_shipping / quantity, minor / HUNDRED)
    if not total.is_finite() or total <= 0 or unit_price <= 0:
        raise QuoteError(
            f"this order prices at {show(total, minor)} {book.currency} ({unit_price} a board): the board "
            f"({_mm(facts.width_mm)} × {_mm(facts.height_mm)} mm) is below what {book.name!r} charges "
            "for; no quote is given for nothing"
        )

    notes = _notes(facts, layers, production, quantity, resolution, calendar, tiers)
    if compare_next_break:
        notes += _cheaper_at_next_break(book, facts, quantity, asked, ordered_at, before_shipping)
    expires = ordered_at + timedelta(days=book.valid_days)
    quote_id = _quote_id(
        book,
        facts,
        quantity,
        resolution,
        selected.name if asked_tier is not None else None,
        shipping.name if shipping is not None and asked_ship is not None else None,
        ordered_at,
        upload_digest,
    )
    return Quote(
        quote_id=quote_id,
        created_at=ordered_at,
        expires_at=expires,
        currency=book.currency,
        minor_unit=minor,
        quantity=quantity,
        sale_unit=su,
        lines=tuple(lines),
        total=total,
        unit_price=unit_price,
        tiers=tuple(tiers),
        shipping=shipping,
        board=facts,
        layers_built=layers,
        production=production,
        choices=resolution.choices,
        unavailable=tuple(unavailable),
        notes=tuple(notes),
        price_book=book.name,
        price_book_digest=book.digest,
        upload_digest=upload_digest,
        option_labels={name: o.label for name, o in book.options.items()},
    )


def _setup_line(book: PriceBook, layers: int, units: int) -> Line:
    fixed = round_money(book.setup.fixed + book.setup.per_copper_layer * layers, book.minor_unit)
    return Line("setup", book.setup.label, fixed, ZERO, units)


def _boards_line(facts: BoardFacts, layers: int, p: ProductionPrice, per_unit: Decimal, units: int) -> Line:
    label = f"boards: {layers} layers, {_mm(facts.width_mm)} × {_mm(facts.height_mm)} mm"
    if p.plan is not None:
        label += f", {p.plan.describe()}"
    return Line("boards", label, ZERO, per_unit, units)


def _shipping(
    book: PriceBook,
    facts: BoardFacts,
    quantity: int,
    resolution: Resolution,
    asked: str | None,
    unavailable: list[Unavailable],
) -> ShippingQuote | None:
    s = book.shipping
    if s is None:
        return None
    thickness = s.default_thickness_mm
    if THICKNESS in resolution.choices:
        thickness = Decimal(resolution.choices[THICKNESS].value)
    grams = facts.area_mm2 * thickness / 1000 * s.board_density_g_cm3 * quantity + s.packaging_g
    kg = grams / 1000
    offers: list[ShippingQuote] = []
    for o in s.options:
        if o.max_kg is not None and kg > o.max_kg:
            unavailable.append(
                Unavailable(
                    SHIPPING, o.name, f"parcels up to {_mm(o.max_kg)} kg; this order weighs {kg:.1f} kg"
                )
            )
            continue
        charged = round_up(kg, o.kg_step)
        amount = round_money(o.base + o.per_kg * charged, book.minor_unit)
        offers.append(ShippingQuote(o.name, o.label or o.name, kg, charged, amount, o.transit_days))
    names = [o.name for o in s.options]
    if asked is not None:
        name = match_value(SHIPPING, names, None, asked)
        found = next((o for o in offers if o.name == name), None)
        if found is None:
            why = next(u.reason for u in unavailable if u.option == SHIPPING and u.value == name)
            allowed = ", ".join(o.name for o in offers)
            raise QuoteError(f"shipping={name} is not available for this order: {why}. Available: {allowed}")
        return found
    if not offers:
        raise QuoteError(f"no shipping option carries this order ({kg:.1f} kg); order fewer boards")
    return min(offers, key=lambda o: o.amount)  # the cheapest; the first of equals


def _tiers(
    book: PriceBook,
    calendar: WorkCalendar,
    promise: ShipDatePromiser,
    order: PromiseRequest,
    extra_days: int,
    subtotal: tuple[Decimal, Decimal, int],
    shipping: ShippingQuote | None,
    asked: str | None,
    unavailable: list[Unavailable],
) -> tuple[list[TierQuote], dict[str, list[Line]]]:
    fixed_sum, unit_sum, units = subtotal
    minor, layers, order_m2 = book.minor_unit, order.layers, order.area_m2
    offered: list[tuple[str, str, int, date, list[Line]]] = []
    for t in book.lead_times:
        if layers not in t.working_days:
            offered_layers = ", ".join(map(str, sorted(t.working_days)))
            unavailable.append(
                Unavailable(
                    LEAD_TIME, t.name, f"offered for {offered_layers} layers; this board has {layers}"
                )
            )
            continue
        if t.max_area_m2 is not None and order_m2 > t.max_area_m2:
            unavailable.append(
                Unavailable(
                    LEAD_TIME, t.name, f"orders up to {_mm(t.max_area_m2)} m²; this one is {order_m2:.2f} m²"
                )
            )
            continue
        days = t.working_days[layers] + extra_days
        day = promise(replace(order, tier=t.name, working_days=days))
        while not calendar.is_working_day(day):
            day = calendar.next_working_day(day)
        surcharge = Line(
            "lead_time",
            f"lead time: {t.label or t.name} ({days} working days)",
            round_money(fixed_sum * t.percent / HUNDRED + t.fixed, minor),
            round_money(unit_sum * t.percent / HUNDRED, minor),
            units,
        )
        offered.append((t.name, t.label or t.name, days, day, [surcharge]))
    if not offered:
        raise QuoteError(
            "no lead time is offered for this order: "
            + "; ".join(u.reason for u in unavailable if u.option == LEAD_TIME)
        )
    pick = offered[0][0]
    if asked is not None:
        names = [t.name for t in book.lead_times]
        pick = match_value(LEAD_TIME, names, None, asked)
        if pick not in [o[0] for o in offered]:
            why = next(u.reason for u in unavailable if u.option == LEAD_TIME and u.value == pick)
            allowed = ", ".join(o[0] for o in offered)
            raise QuoteError(f"lead_time={pick} is not available for this order: {why}. Available: {allowed}")
    base = fixed_sum + unit_sum * units + (shipping.amount if shipping else ZERO)
    tiers = [
        TierQuote(name, label, days, day, lines[0].amount, base + lines[0].amount, name == pick)
        for name, label, days, day, lines in offered
    ]
    return tiers, {o[0]: o[4] for o in offered}


def _notes(
    facts: BoardFacts,
    layers: int,
    p: ProductionPrice,
    quantity: int,
    resolution: Resolution,
    calendar: WorkCalendar,
    tiers: list[TierQuote],
) -> list[str]:
    notes = []
    if facts.unbuildable:
        at_class = f" at the {facts.min_class} class" if facts.min_class else ""
        notes.append(
            f"no capability class can build this board as drawn; priced{at_class}, "
            "the order waits for an engineer's review of: " + "; ".join(facts.unbuildable)
        )
    if layers != facts.layers:
        notes.append(f"{facts.layers} copper layers are built as a {layers}-layer stack-up")
    if p.priced_at < quantity:
        notes.append(
            f"boards priced at the per-board rate of {p.priced_at}: a larger order never costs more per board"
        )
    for c in resolution.choices.values():
        if c.by == "adjusted":
            notes.append(f"{c.option}: {c.value} chosen because the default does not fit ({c.note})")
        elif c.by == "board" and c.option != CLASS:
            notes.append(f"{c.option}: {c.value} chosen because {c.note}; set it to change")
    uncovered = sorted({t.ship_date.year for t in tiers if not calendar.covers(t.ship_date)})
    if uncovered:
        years = ", ".join(map(str, uncovered))
        notes.append(f"the factory calendar lists no holidays for {years}: ship dates count every weekday")
    return notes


def _cheaper_at_next_break(
    book: PriceBook,
    facts: BoardFacts,
    quantity: int,
    asked: Mapping[str, str] | None,
    at: datetime,
    before_shipping: Decimal,
) -> list[str]:
    """A note when the next quantity break makes more boards cost no more than these: the price
    per board never rises with quantity, but a total can fall where a break begins."""
    more = next((b.from_quantity for b in book.quantity_breaks if b.from_quantity > quantity), None)
    if more is None or more % book.quantity.sale_unit:
        return []
    try:
        other = make_quote(book, facts, more, asked, at, compare_next_break=False)
    except QuoteError:
        return []
    other_before = other.total - (other.shipping.amount if other.shipping else ZERO)
    if other_before > before_shipping:
        return []
    shown = show(other_before, book.minor_unit)
    return [f"{more} boards cost {shown} {book.currency} before shipping, no more than these {quantity}"]


def _quote_id(
    book: PriceBook,
    facts: BoardFacts,
    quantity: int,
    resolution: Resolution,
    tier: str | None,
    ship: str | None,
    at: datetime,
    upload: str,
) -> str:
    asked = {n: c.value for n, c in sorted(resolution.choices.items()) if c.by == "customer"}
    inputs = {
        "upload": upload,
        "board": repr(facts),
        "quantity": quantity,
        "options": asked,
        "lead_time": tier,
        "shipping": ship,
        "price_book": book.digest,
        "at": at.isoformat(),
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode("utf-8")).hexdigest()
    return "Q-" + digest[:16].upper()
