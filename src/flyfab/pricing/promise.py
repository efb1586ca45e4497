"""Ship dates: who promises them.

A quote asks a `ShipDatePromiser` for the ship date of every lead-time tier. The default,
`CalendarPromiser`, counts the tier's working days on the factory calendar. A production plan can
supply its own (capable-to-promise: the date the schedule can really meet); it is called with the
same request and must return a date in factory time. The quote moves a date that falls on a
non-working day to the next working day, so no promiser can make it promise a day the factory is
closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from flyfab.pricing.workdays import WorkCalendar


@dataclass(frozen=True)
class PromiseRequest:
    ordered_at: datetime  # when the order is placed (aware)
    tier: str  # the lead-time tier's name
    working_days: int  # the tier's working days for this board and its options
    layers: int  # copper layers as built
    quantity: int
    area_m2: Decimal  # board area of the whole order


class ShipDatePromiser(Protocol):
    def __call__(self, request: PromiseRequest) -> date: ...


@dataclass(frozen=True)
class CalendarPromiser:
    """Working days counted on the calendar from the day production starts."""

    calendar: WorkCalendar

    def __call__(self, request: PromiseRequest) -> date:
        return self.calendar.ship_date(request.ordered_at, request.working_days)
