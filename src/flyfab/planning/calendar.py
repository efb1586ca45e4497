"""Working calendars turned into the open windows of a plan: minutes from the plan's start.

A shift belongs to the day it starts on (a night shift from 22:00 to 06:00 is Monday's when it
starts on Monday), so a holiday removes the shifts that start on it. Breaks are clock times
taken out of every day. Adjacent shifts join into one window.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flyfab.planning.factory import Calendar, parse_days

Window = tuple[int, int]


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def open_windows(calendar: Calendar, start: datetime, days: int) -> tuple[Window, ...]:
    """Sorted disjoint [start, end) minutes from `start` when the calendar works, for `days` days."""
    holidays = set(calendar.holidays)
    first = start.date() - timedelta(days=1)
    spans: list[Window] = []
    for d in range(days + 2):
        day = first + timedelta(days=d)
        if day in holidays:
            continue
        for shift in calendar.shifts:
            if day.weekday() not in parse_days(shift.days):
                continue
            begin = datetime.combine(day, shift.start)
            finish = datetime.combine(day, shift.end)
            if finish <= begin:
                finish += timedelta(days=1)
            spans.append((_minutes(begin - start), _minutes(finish - start)))
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    breaks: list[Window] = []
    for d in range(days + 2):
        day = first + timedelta(days=d)
        for br in calendar.breaks:
            begin = datetime.combine(day, br.start)
            finish = datetime.combine(day, br.end)
            if finish <= begin:
                finish += timedelta(days=1)
            breaks.append((_minutes(begin - start), _minutes(finish - start)))
    out = _subtract([(a, b) for a, b in merged], sorted(breaks))
    end = days * 24 * 60
    return tuple((max(a, 0), min(b, end)) for a, b in out if b > 0 and a < end and min(b, end) > max(a, 0))


def _subtract(spans: list[Window], holes: list[Window]) -> list[Window]:
    out: list[Window] = []
    for a, b in spans:
        pieces = [(a, b)]
        for h0, h1 in holes:
            if h1 <= a or h0 >= b:
                continue
            nxt = []
            for x, y in pieces:
                if h1 <= x or h0 >= y:
                    nxt.append((x, y))
                    continue
                if x < h0:
                    nxt.append((x, h0))
                if h1 < y:
                    nxt.append((h1, y))
            pieces = nxt
        out.extend(pieces)
    return out


def longest(windows: tuple[Window, ...]) -> int:
    return max((b - a for a, b in windows), default=0)


def at(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)


def minutes_from(start: datetime, moment: datetime) -> int:
    return _minutes(moment - start)


def ship_date(done: datetime, cutoff_hour: int, cutoff_minute: int, ship_days: tuple[int, ...]) -> date:
    """The day a parcel packed at `done` leaves: that day if it is a shipping day and before the
    cut-off, otherwise the next shipping day."""
    day = done.date()
    if day.weekday() in ship_days and (done.hour, done.minute) <= (cutoff_hour, cutoff_minute):
        return day
    for i in range(1, 15):
        nxt = day + timedelta(days=i)
        if nxt.weekday() in ship_days:
            return nxt
    return day + timedelta(days=1)
