"""The factory model: work centres and their machines, working calendars, routings per technology
and the extra steps of options, read from a TOML file the factory edits.

The file is validated as a whole on load: unknown keys, wrong types, impossible values and names
that point nowhere (a calendar that is not defined) are refused with the file and the dotted key.
What only some orders meet — a technology without routing, a route that loops, a work centre whose
machines have no calendar — is not a load error: those orders are reported and the rest planned.
"""

from __future__ import annotations

import re
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from flyfab.tomlfile import dotted, read_toml

Minutes = Annotated[float, Field(ge=0, le=100_000)]
Seconds = Annotated[float, Field(ge=0, le=100_000)]
Name = Annotated[str, Strict(), Field(min_length=1, max_length=80)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class FactoryError(ValueError):
    """A factory file that cannot be used, with the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value):
        h, m = map(int, value.split(":"))
        if h == 24 and m == 0:
            return time(0, 0)
        if 0 <= h < 24 and 0 <= m < 60:
            return time(h, m)
    raise ValueError(f"expected a clock time like '06:00', got {value!r}")


def parse_days(value: str | list[str]) -> tuple[int, ...]:
    """'mon-fri', 'sat', ['mon', 'wed'] -> weekday numbers (Monday 0)."""
    words = value if isinstance(value, list) else [value]
    out: list[int] = []
    for word in words:
        word = word.strip().lower()
        if "-" in word:
            a, b = word.split("-", 1)
            if a not in WEEKDAYS or b not in WEEKDAYS:
                raise ValueError(f"unknown day range {word!r}; days are {', '.join(WEEKDAYS)}")
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            out.extend(range(i, j + 1) if i <= j else [*range(i, 7), *range(j + 1)])
        elif word in WEEKDAYS:
            out.append(WEEKDAYS.index(word))
        else:
            raise ValueError(f"unknown day {word!r}; days are {', '.join(WEEKDAYS)}")
    return tuple(sorted(set(out)))


class Shift(_Strict):
    days: str | list[str] = "mon-fri"
    start: time
    end: time  # at or before `start`: the shift ends the next day

    _clocks = field_validator("start", "end", mode="before")(_clock)

    @field_validator("days")
    @classmethod
    def _days(cls, v: str | list[str]) -> str | list[str]:
        parse_days(v)
        return v


class Break(_Strict):
    start: time
    end: time

    _clocks = field_validator("start", "end", mode="before")(_clock)


class Calendar(_Strict):
    description: str = ""
    shifts: list[Shift] = Field(min_length=1)
    breaks: list[Break] = []
    holidays: list[date] = []


class MachineSpec(_Strict):
    name: Name
    # Relative speed: durations on this machine are the centre's divided by it.
    speed: Annotated[float, Field(gt=0, le=10)] = 1.0
    calendar: str | None = None


Count = Literal["panel", "cores", "layers", "sides"]


class StepSpec(_Strict):
    """One step of a route: a work centre (or several alternatives, `a|b`), and what the centre's
    per-panel time counts: each panel once, each inner core, each copper layer, or each side."""

    centre: Name
    count: Count = "panel"


StepRef = Annotated[str, Strict(), Field(min_length=1)] | StepSpec


class Centre(_Strict):
    name: str = ""
    description: str = ""
    machines: list[Annotated[str, Strict(), Field(min_length=1)] | MachineSpec] = Field(min_length=1)
    calendar: str | None = None
    setup_min: Minutes = 0
    per_panel_min: Minutes = 0
    per_hole_s: Seconds = 0
    per_tool_s: Seconds = 0
    per_test_point_s: Seconds = 0
    # Batch processes: a cycle of `cycle_min` holds up to `batch_capacity` panels of one family.
    batch_capacity: Annotated[int, Strict(), Field(ge=1, le=1000)] = 1
    cycle_min: Minutes | None = None
    batch_by: Literal["layers", "technology", "none"] = "none"

    def machine_specs(self) -> list[MachineSpec]:
        return [m if isinstance(m, MachineSpec) else MachineSpec(name=m) for m in self.machines]

    @model_validator(mode="after")
    def _batch(self) -> Centre:
        if self.batch_capacity > 1 and not self.cycle_min:
            raise ValueError("a batch centre (batch_capacity > 1) needs cycle_min, the time of one cycle")
        if self.cycle_min and self.batch_capacity == 1:
            raise ValueError("cycle_min is for batch centres: set batch_capacity above 1 too")
        return self


class Route(_Strict):
    description: str = ""
    steps: list[StepRef] = Field(min_length=1)


class Insert(_Strict):
    after: Name
    steps: list[StepRef] = Field(min_length=1)


class OptionSpec(_Strict):
    description: str = ""
    replace: dict[str, str] = {}
    insert: list[Insert] = []


class Site(_Strict):
    name: str = "factory"
    horizon_days: Annotated[int, Strict(), Field(ge=1, le=366)] = 42
    ship_cutoff: time = time(16, 0)
    ship_days: str | list[str] = "mon-fri"
    # The zone of the factory's clock times (an IANA name), for dates asked in other zones.
    timezone: str | None = None
    # Usable area of one production panel: how much of a panel an order of some area fills.
    panel_area_m2: Annotated[float, Field(gt=0, le=10)] = 0.23

    _clock = field_validator("ship_cutoff", mode="before")(_clock)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r} (an IANA name such as 'Europe/Berlin')") from None
        return v

    @field_validator("ship_days")
    @classmethod
    def _days(cls, v: str | list[str]) -> str | list[str]:
        parse_days(v)
        return v


class Factory(_Strict):
    factory: Site = Site()
    calendars: dict[str, Calendar] = {}
    centres: dict[str, Centre] = Field(min_length=1)
    segments: dict[str, Route] = {}
    routings: dict[str, Route] = {}
    options: dict[str, OptionSpec] = {}
    source: str = ""

    @model_validator(mode="after")
    def _references(self) -> Factory:
        problems = []
        seen: dict[str, str] = {}
        for key, centre in self.centres.items():
            if centre.calendar is not None and centre.calendar not in self.calendars:
                problems.append(f"centres.{key}.calendar: no calendar {centre.calendar!r} is defined")
            for i, m in enumerate(centre.machine_specs()):
                if m.calendar is not None and m.calendar not in self.calendars:
                    problems.append(
                        f"centres.{key}.machines.{i}.calendar: no calendar {m.calendar!r} is defined"
                    )
                if m.name in seen:
                    problems.append(
                        f"centres.{key}.machines.{i}: machine {m.name!r} is also in {seen[m.name]}"
                    )
                seen[m.name] = f"centres.{key}"
        for key in self.segments:
            if key in self.centres:
                problems.append(f"segments.{key}: a work centre has the same name; steps would be ambiguous")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def machine_calendar(self, centre: str, machine: MachineSpec) -> str | None:
        return machine.calendar or self.centres[centre].calendar


def parse_factory(text: str, source: str) -> Factory:
    raw = read_toml(text, source, FactoryError)
    centres = raw.get("centres")
    if isinstance(centres, dict):
        for key, table in centres.items():
            if isinstance(table, dict) and "name" not in table:
                table["name"] = key
    try:
        return Factory.model_validate({**raw, "source": source})
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            where = dotted(tuple(p for p in problem["loc"] if not (isinstance(p, str) and "[" in p)))
            msg = (
                "unknown key (see the shipped factory.toml for the keys)"
                if problem["type"] == "extra_forbidden"
                else problem["msg"]
            )
            lines.append(f"{source}: {where}: {msg}")
        raise FactoryError("\n".join(lines)) from None


def load_factory(path: Path | None = None) -> Factory:
    """The factory in `path`, or the demo factory shipped with flyfab."""
    if path is None:
        text = resources.files("flyfab.planning").joinpath("factory.toml").read_text()
        return parse_factory(text, "factory.toml (shipped)")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise FactoryError(f"{path}: cannot read it ({e})") from None
    return parse_factory(text, str(path))
