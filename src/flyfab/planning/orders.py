"""What the planner is asked to make: production panels (or lots of identical panels) with their
technology, options, the data their processing times come from, and release and due dates.

Input (JSON, documented in docs/planning.md): either a list of panel objects or
`{"schema": "flyfab.plan-input/1", "start": ..., "panels": [...]}`. Each panel is checked on its
own: one that cannot be read is reported with the reason and the others are planned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator

INPUT_SCHEMA = "flyfab.plan-input/1"


class InputError(ValueError):
    """An input that cannot be used at all (not JSON, wrong shape)."""


def _moment(value: Any) -> Any:
    # A bare date means the end of that day's shipping (17:00 is refined by the factory later).
    if isinstance(value, str) and len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0, 0))
    return value


class PanelOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Strict(), Field(min_length=1, max_length=100)]
    technology: Annotated[str, Strict(), Field(min_length=1)]
    layers: Annotated[int, Strict(), Field(ge=1, le=64)]
    options: list[str] = []
    panels: Annotated[int, Strict(), Field(ge=1, le=10_000)] = 1
    holes: Annotated[int, Strict(), Field(ge=0, le=10_000_000)] = 0
    tools: Annotated[int, Strict(), Field(ge=0, le=1000)] = 0
    test_points: Annotated[int, Strict(), Field(ge=0, le=10_000_000)] = 0
    release: datetime | None = None
    due: datetime
    weight: Annotated[int, Strict(), Field(ge=1, le=1000)] = 1

    _moments = field_validator("release", "due", mode="before")(_moment)

    @property
    def cores(self) -> int:
        return max(0, (self.layers - 2) // 2) if self.layers > 2 else 0

    @property
    def sides(self) -> int:
        return 1 if self.layers == 1 else 2


@dataclass(frozen=True)
class OrderIssue:
    order: str  # the order's id, or "#index" when it has none
    reason: str
    planned: bool = False  # a warning about an order that is still planned


@dataclass
class PlanInput:
    orders: list[PanelOrder]
    issues: list[OrderIssue]
    start: datetime | None


def read_input(path: Path) -> PlanInput:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not JSON ({e})") from None
    return parse_input(data, str(path))


def parse_input(data: Any, source: str = "input") -> PlanInput:
    start: datetime | None = None
    if isinstance(data, dict):
        if data.get("schema", INPUT_SCHEMA) != INPUT_SCHEMA:
            raise InputError(f"{source}: schema {data.get('schema')!r} is not {INPUT_SCHEMA}")
        unknown = set(data) - {"schema", "start", "panels"}
        if unknown:
            raise InputError(f"{source}: unknown keys {sorted(unknown)}; expected schema, start, panels")
        if data.get("start") is not None:
            try:
                start = datetime.fromisoformat(str(data["start"]))
            except ValueError:
                raise InputError(f"{source}: start {data['start']!r} is not an ISO date-time") from None
        items = data.get("panels")
    else:
        items = data
    if not isinstance(items, list):
        raise InputError(f'{source}: expected a list of panels (or an object with "panels")')
    orders: list[PanelOrder] = []
    issues: list[OrderIssue] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        label = str(item.get("id")) if isinstance(item, dict) and item.get("id") else f"#{i}"
        if not isinstance(item, dict):
            issues.append(OrderIssue(label, "not an object"))
            continue
        try:
            order = PanelOrder.model_validate(item)
        except ValidationError as err:
            parts = [f"{'.'.join(str(p) for p in e['loc']) or 'panel'}: {e['msg']}" for e in err.errors()]
            issues.append(OrderIssue(label, "; ".join(parts)))
            continue
        if order.id in seen:
            issues.append(OrderIssue(label, "the same id appears earlier in the input; ids must be unique"))
            continue
        seen.add(order.id)
        orders.append(order)
    return PlanInput(orders, issues, start)
