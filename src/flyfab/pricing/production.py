"""The price of making the boards themselves, before options: panels or area.

Panels (`method = "panels"`): the board takes its extents plus the routing spacing on a production
panel. Boards per panel come from a grid fit of that rectangle on the panel's usable area, in both
orientations. The factory then chooses, for the quantity ordered, the cheapest of:
- pooled: a share of a pooled panel, the rectangle's area over the pooled panel's usable area
  filled to its average fill (only when the board fits the pooled panel and no chosen option keeps
  it off shared panels);
- dedicated: whole panels of one size, the size that makes that quantity cheapest (a few boards go
  on a small panel even where a large full panel makes a board cheaper);
- mixed: as many full dedicated panels as the quantity fills, the remaining boards pooled.
Quantity breaks then scale the cost. Because whole panels come in steps, a few more boards can
cost more per board than a full panel; the factory never charges that: the price per board at
quantity q is the lowest per-board price of any quantity up to q.

Area (`method = "area"`): rate per area unit × the board's extents area, per sale unit, scaled by
the quantity breaks (schemes that sell by the square inch or cm² and ignore panels).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flyfab.pricing.book import AREA_UNITS, AreaProduction, Panel, PanelProduction, QuantityBreak
from flyfab.pricing.facts import BoardFacts
from flyfab.pricing.money import ONE, floor_int

COMPARE = Decimal("1e-15")


class ProductionError(ValueError):
    """The board cannot be made on any production panel."""


def boards_per_panel(width: Decimal, height: Decimal, panel: Panel, spacing: Decimal) -> int:
    """Boards of width × height with `spacing` between them that fit the panel's usable area."""
    usable_w, usable_h = panel.usable_mm

    def grid(w: Decimal, h: Decimal) -> int:
        return floor_int((usable_w + spacing) / (w + spacing)) * floor_int(
            (usable_h + spacing) / (h + spacing)
        )

    return max(grid(width, height), grid(height, width))


def break_factor(breaks: list[QuantityBreak], quantity: int) -> Decimal:
    factor = ONE
    for b in breaks:
        if quantity >= b.from_quantity:
            factor = b.factor
    return factor


@dataclass(frozen=True)
class Plan:
    """How the factory makes the boards: dedicated panels and/or boards on pooled panels."""

    dedicated_panels: int
    panel: str | None
    per_panel: int  # boards per dedicated panel
    pooled_boards: int

    def describe(self) -> str:
        parts = []
        if self.dedicated_panels:
            s = "s" if self.dedicated_panels > 1 else ""
            parts.append(
                f"{self.dedicated_panels} dedicated panel{s} of {self.panel} ({self.per_panel} per panel)"
            )
        if self.pooled_boards:
            parts.append(f"{self.pooled_boards} on pooled panels")
        return " + ".join(parts)


@dataclass(frozen=True)
class ProductionPrice:
    per_unit: Decimal  # per sale unit, exact (before rounding)
    plan: Plan | None  # None for area pricing
    priced_at: int  # the quantity whose per-board price is charged (≤ the quantity ordered)
    boards_per_panel: int | None


@dataclass(frozen=True)
class Dedicated:
    """A panel size the board fits: boards per panel and the cost of one panel."""

    panel: Panel
    per_panel: int
    panel_cost: Decimal


@dataclass(frozen=True)
class PanelCosts:
    pooled: Decimal | None  # cost of one board on pooled panels (None: not pooled)
    sizes: list[Dedicated]  # every panel size the board fits, cheapest per board when full first

    @property
    def per_panel(self) -> int:
        """Boards per panel on the size that makes a board cheapest when full."""
        return self.sizes[0].per_panel

    def cost(self, q: int) -> tuple[Decimal, Plan]:
        """The factory's cheapest way to make q boards, before quantity breaks."""
        plans: list[tuple[Decimal, Plan]] = []
        if self.pooled is not None:
            plans.append((self.pooled * q, Plan(0, None, 0, q)))
        for d in self.sizes:
            full, rest = divmod(q, d.per_panel)
            panels = full + (1 if rest else 0)
            plans.append((d.panel_cost * panels, Plan(panels, d.panel.name, d.per_panel, 0)))
            if self.pooled is not None and full and rest:
                mixed = d.panel_cost * full + self.pooled * rest
                plans.append((mixed, Plan(full, d.panel.name, d.per_panel, rest)))
        return min(plans, key=lambda p: p[0])


def panel_costs(p: PanelProduction, facts: BoardFacts, layers: int, pooled: bool) -> PanelCosts:
    rate = p.rates_m2[layers]
    w, h, s = facts.width_mm, facts.height_mm, p.spacing_mm
    pooled_cost: Decimal | None = None
    if pooled and p.pool is not None:
        pool_panel = next(x for x in p.panels if x.name == p.pool.panel)
        if boards_per_panel(w, h, pool_panel, s) >= 1:
            usable_w, usable_h = pool_panel.usable_mm
            share = (w + s) * (h + s) / (usable_w * usable_h * p.pool.fill)
            pooled_cost = rate * pool_panel.area_m2 * share
    sizes = [
        Dedicated(panel, n, rate * panel.area_m2)
        for panel in p.panels
        if (n := boards_per_panel(w, h, panel, s)) >= 1
    ]
    if not sizes:
        largest = max(p.panels, key=lambda x: x.usable_mm[0] * x.usable_mm[1])
        uw, uh = largest.usable_mm
        raise ProductionError(
            f"the board ({w:g} × {h:g} mm) does not fit the largest production panel's usable area "
            f"({uw:g} × {uh:g} mm with {s:g} mm spacing)"
        )
    sizes.sort(key=lambda d: d.panel_cost / d.per_panel)  # stable: ties keep the book's order
    return PanelCosts(pooled_cost, sizes)


def panel_price(
    p: PanelProduction,
    breaks: list[QuantityBreak],
    facts: BoardFacts,
    layers: int,
    quantity: int,
    sale_unit: int,
    pooled: bool,
) -> ProductionPrice:
    costs = panel_costs(p, facts, layers, pooled)

    def unit(q: int) -> Decimal:
        # Compared at 1e-15 of the currency: division leaves noise in the last digits, and a tie
        # must keep the quantity ordered.
        return (break_factor(breaks, q) * costs.cost(q)[0] / q).quantize(COMPARE)

    best_q, best = quantity, unit(quantity)
    for q in _candidates(breaks, [d.per_panel for d in costs.sizes], quantity):
        u = unit(q)
        if u < best:
            best_q, best = q, u
    return ProductionPrice(best * sale_unit, costs.cost(quantity)[1], best_q, costs.per_panel)


def _candidates(breaks: list[QuantityBreak], sizes: list[int], quantity: int) -> list[int]:
    """The quantities up to `quantity` where the per-board price can be lowest, for panels holding
    `sizes` boards each.

    Within a stretch of one break factor, cost per board over a panel's worth of boards first rises
    (leftover boards pooled) then falls (a panel filling up), and is lowest where a panel is full:
    so the minimum is at the stretch's ends or a size's first full panel."""
    starts = sorted({1, *(b.from_quantity for b in breaks if b.from_quantity <= quantity)})
    found: set[int] = set()
    for i, low in enumerate(starts):
        high = min(starts[i + 1] - 1 if i + 1 < len(starts) else quantity, quantity)
        found.update({low, high})
        for per_panel in sizes:
            first_full = -(-low // per_panel) * per_panel
            if first_full <= high:
                found.add(first_full)
    return sorted(found)


def area_price(
    p: AreaProduction, breaks: list[QuantityBreak], facts: BoardFacts, layers: int, quantity: int
) -> ProductionPrice:
    area = facts.area_mm2 / AREA_UNITS[p.area_unit]
    return ProductionPrice(p.rates[layers] * area * break_factor(breaks, quantity), None, quantity, None)
