"""A tiny factory and orders for the planning tests: small enough to solve in seconds, with a
calendar that has breaks and a holiday, alternative machines and a batch press."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flyfab.planning.factory import Factory, parse_factory
from flyfab.planning.orders import PanelOrder

MONDAY = datetime(2026, 11, 30, 8, 0)

TINY = """
[factory]
name = "tiny"
horizon_days = 21

[calendars.days]
shifts = [{ days = "mon-fri", start = "08:00", end = "16:00" }]
breaks = [{ start = "12:00", end = "12:30" }]
holidays = ["2026-12-02"]

[calendars.always]
shifts = [{ days = "mon-sun", start = "00:00", end = "00:00" }]

[centres.cut]
machines = ["CUT"]
calendar = "days"
setup_min = 5
per_panel_min = 10

[centres.drill]
machines = ["D1", { name = "D2", speed = 2.0 }]
calendar = "always"
setup_min = 5
per_hole_s = 1

[centres.press]
machines = ["P"]
calendar = "days"
batch_capacity = 3
cycle_min = 60
batch_by = "layers"

[centres.test]
machines = ["T"]
calendar = "days"
per_panel_min = 15

[routings.double_sided]
steps = ["cut", "drill", "test"]

[routings.multilayer]
steps = ["cut", "press", "drill", "test"]
"""


def tiny_factory(extra: str = "") -> Factory:
    return parse_factory(TINY + extra, "tiny.toml")


def order(i: int, **kw: Any) -> PanelOrder:
    fields: dict[str, Any] = {
        "id": f"O{i}",
        "technology": "multilayer" if i % 2 else "double_sided",
        "layers": 4 if i % 2 else 2,
        "holes": 600 + 60 * (i % 5),
        "release": MONDAY,
        "due": MONDAY + timedelta(days=2 + i % 3, hours=4),
    }
    fields.update(kw)
    return PanelOrder.model_validate(fields)
