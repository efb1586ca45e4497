"""The factory's working-day calendar: weekdays, holidays, and the daily order cut-off.

An order placed on a working day before the cut-off (factory time) starts production that day;
otherwise on the next working day. A tier of N working days ships N working days after the start
day, so the ship date is always a working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flyfab.pricing.book import WEEKDAYS, Calendar

# No real calendar goes a year without a working day; a longer search means a broken calendar.
MAX_SEARCH_DAYS = 366


class CalendarError(ValueError):
    """The calendar has no working day where one is needed."""


@dataclass(frozen=True)
class WorkCalendar:
    zone: ZoneInfo
    weekdays: frozenset[int]  # Monday = 0
    cut_off: time
    holidays: frozenset[date]
    extra_working_days: frozenset[date]

    @classmethod
    def from_book(cls, c: Calendar) -> WorkCalendar:
        return cls(
            zone=ZoneInfo(c.time_zone),
            weekdays=frozenset(WEEKDAYS.index(d) for d in c.working_weekdays),
            cut_off=c.cut_off,
            holidays=frozenset(c.holidays),
            extra_working_days=frozenset(c.extra_working_days),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        for step in range(1, MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=step)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"the factory calendar has no working day in the year after {day}")

    def local(self, moment: datetime) -> datetime:
        """`moment` in factory time; a moment without a zone is taken as factory time."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.zone)
        return moment.astimezone(self.zone)

    def start_day(self, ordered_at: datetime) -> date:
        """The working day production starts for an order placed at `ordered_at`."""
        here = self.local(ordered_at)
        day = here.date()
        if self.is_working_day(day) and here.time() < self.cut_off:
            return day
        return self.next_working_day(day)

    def add_working_days(self, day: date, n: int) -> date:
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def ship_date(self, ordered_at: datetime, working_days: int) -> date:
        return self.add_working_days(self.start_day(ordered_at), working_days)

    def covers(self, day: date) -> bool:
        """Whether the holidays of `day`'s year are listed (a calendar not yet extended to it)."""
        return any(h.year == day.year for h in self.holidays)
