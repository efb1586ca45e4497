"""Use case: release approved orders to production — pooled onto panels, planned on the machines.

The approved orders' boards (size, holes, process parameters from the quote each was priced from)
are pooled onto production panels; the panels are planned through the factory's work centres; each
order then moves to `in_production` with the panels it rides on and the ship date the plan gives
it. The run (pooling, plan, panel production data) is kept in the data directory, and the plan
becomes the one new quotes promise ship dates from.
"""

from __future__ import annotations

import json
import logging
import pickle
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from flyfab.orders import State
from flyfab.planning import Factory, PanelOrder, Plan, order_results, plan, plan_json
from flyfab.pooling.model import Order as PoolOrder
from flyfab.pooling.model import Process
from flyfab.pooling.pool import PoolResult, pool
from flyfab.pooling.report import pool_json
from flyfab.services.accounts import Identity
from flyfab.services.errors import Conflict, Forbidden
from flyfab.services.orders import act, number
from flyfab.services.platform import Platform
from flyfab.store import tables as t

log = logging.getLogger("flyfab.production")
FINISHES = {
    "HASL": "hasl",
    "lead-free HASL": "lf-hasl",
    "ENIG": "enig",
    "OSP": "osp",
    "immersion silver": "immersion-silver",
    "immersion tin": "immersion-tin",
    "hard gold": "hard-gold",
}
# Finishes and features that change the route through the factory (planning options).
ROUTE_OPTIONS = {"enig": "enig", "osp": "osp"}


@dataclass
class Released:
    order: str  # order number
    panels: list[str]
    ship: date


@dataclass
class ProductionRun:
    id: str
    panels: int
    released: list[Released] = field(default_factory=list)
    held: list[tuple[str, str]] = field(default_factory=list)  # (order number, why it stays approved)
    folder: Path | None = None


def _options(quote: dict[str, Any]) -> dict[str, str]:
    return {str(o["option"]): str(o["value"]) for o in quote.get("options", [])}


def _oz(text: str | None) -> float | None:
    return float(text.removesuffix("oz")) if text else None


def _process(quote: dict[str, Any]) -> Process:
    o = _options(quote)
    layers = int(quote["board"]["copper_layers"])
    return Process(
        layers=layers,
        thickness_mm=float(o.get("thickness", "1.6")),
        copper_oz=_oz(o.get("outer_copper", "1oz")) or 1.0,
        inner_copper_oz=_oz(o.get("inner_copper")) if layers > 2 else None,
        finish=FINISHES.get(o.get("surface_finish", "HASL"), o.get("surface_finish", "hasl").lower()),
        mask=o.get("solder_mask", "green").replace(" ", "-"),
        silkscreen=o.get("silkscreen", "white"),
        klass=str((quote.get("class") or {}).get("chosen") or "standard"),
    )


def _due(quote: dict[str, Any]) -> date:
    tier = next((x for x in quote["tiers"] if x.get("selected")), quote["tiers"][0])
    return date.fromisoformat(tier["ship_date"])


def _technology(layers: int) -> str:
    return "single_sided" if layers == 1 else "double_sided" if layers == 2 else "multilayer"


def _factory_now(p: Platform, factory: Factory) -> datetime:
    zone = factory.factory.timezone
    local = p.now().astimezone(ZoneInfo(zone)) if zone else p.now().astimezone()
    return local.replace(tzinfo=None, second=0, microsecond=0)


def release_approved(p: Platform, who: Identity, time_limit: float = 20.0) -> ProductionRun:
    """Pool and plan every approved order; release those that got panels and a plan."""
    if not who.staff:
        raise Forbidden("releasing to production is for factory staff")
    factory = p.factory()
    with p.db.unit() as s:
        approved = list(s.scalars(select(t.Order).where(t.Order.state == State.APPROVED.value)))
    if not approved:
        raise Conflict("no approved orders to release")
    quotes = {o.id: json.loads(o.quote_snapshot) for o in approved}
    numbers = {o.id: number(o) for o in approved}
    by_number = {numbers[o.id]: o for o in approved}
    orders = [
        PoolOrder(
            id=numbers[o.id],
            width_mm=float(quotes[o.id]["board"]["width_mm"]),
            height_mm=float(quotes[o.id]["board"]["height_mm"]),
            quantity=int(quotes[o.id]["quantity"]),
            due=_due(quotes[o.id]),
            process=_process(quotes[o.id]),
            index=k,
        )
        for k, o in enumerate(approved)
    ]
    settings = p.pool_settings()
    pooled = pool(orders, settings, time_limit=max(1.0, time_limit / 3))
    holes = {numbers[o.id]: int(quotes[o.id]["board"].get("holes", 0)) for o in approved}
    start = _factory_now(p, factory)
    cutoff = factory.factory.ship_cutoff
    panel_orders = []
    for panel in pooled.panels:
        process = panel.process
        options = [ROUTE_OPTIONS[process.finish]] if process.finish in ROUTE_OPTIONS else []
        panel_orders.append(
            PanelOrder(
                id=panel.id,
                technology=_technology(process.layers),
                layers=process.layers,
                options=options,
                holes=sum(holes.get(pl.order, 0) for pl in panel.placements),
                release=start,
                due=datetime.combine(panel.due, time(cutoff.hour, cutoff.minute)),
            )
        )
    result: Plan = plan(factory, panel_orders, start, time_limit=max(5.0, time_limit * 2 / 3))
    ships = {r.order: r.ship for r in order_results(result, factory)}
    run = ProductionRun(id=p.now().strftime("%Y%m%d-%H%M%S"), panels=len(pooled.panels))
    on_panels: dict[str, list[str]] = {}
    for panel in pooled.panels:
        for pl in panel.placements:
            on_panels.setdefault(pl.order, [])
            if panel.id not in on_panels[pl.order]:
                on_panels[pl.order].append(panel.id)
    for rejected in pooled.rejected:
        run.held.append((rejected.order, rejected.reason))
    for issue in result.issues:
        run.held.append((issue.order, issue.reason))
    held = {h[0] for h in run.held}
    for order_number, panels in sorted(on_panels.items()):
        dates = [ships[pid] for pid in panels if pid in ships]
        if order_number in held or len(dates) != len(panels):
            if order_number not in held:
                run.held.append((order_number, "a panel it rides on could not be planned"))
            continue
        ship = max(dates)
        order = by_number[order_number]
        where = f"panel{'s' if len(panels) > 1 else ''} {', '.join(panels)}"
        reason = f"on {where}; planned to ship on {ship:%Y-%m-%d}"
        act(p, who, order.id, "release", reason)
        with p.db.unit() as s:
            row = s.get(t.Order, order.id)
            assert row is not None
            row.production = {"run": run.id, "panels": panels, "planned_ship": ship.isoformat()}
        run.released.append(Released(order_number, panels, ship))
    run.folder = _keep(p, run, pooled, orders, result, factory, time_limit)
    p.current_plan = result
    return run


def _keep(
    p: Platform,
    run: ProductionRun,
    pooled: PoolResult,
    orders: list[PoolOrder],
    result: Plan,
    factory: Factory,
    time_limit: float,
) -> Path:
    folder = p.settings.data_dir / "production" / run.id
    folder.mkdir(parents=True, exist_ok=True)
    pooling = pool_json(pooled, orders, p.pool_settings(), time_limit)
    (folder / "pool.json").write_text(json.dumps(pooling, indent=2, default=str))
    (folder / "plan.json").write_text(json.dumps(plan_json(result, factory), indent=2, default=str))
    (folder / "plan.pickle").write_bytes(pickle.dumps(result))
    (p.settings.data_dir / "production" / "current").write_text(run.id)
    return folder


def load_current_plan(p: Platform) -> Plan | None:
    """The plan of the last release, for promises; None when there is none (or it cannot be read)."""
    base = p.settings.data_dir / "production"
    try:
        run = (base / "current").read_text().strip()
        loaded = pickle.loads((base / run / "plan.pickle").read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if not isinstance(loaded, Plan):
        return None
    if loaded.start + timedelta(days=60) < _factory_now(p, p.factory()):
        return None  # too old to say anything about today's capacity
    return loaded
