"""The factory model: the shipped demo factory, validation errors, calendars, routes."""

from __future__ import annotations

from datetime import datetime

import pytest

from flyfab.planning.calendar import open_windows
from flyfab.planning.factory import FactoryError, load_factory, parse_factory
from flyfab.planning.routing import RouteError, route
from tests.planning_helpers import MONDAY, TINY, tiny_factory


def test_the_demo_factory_loads_and_routes_every_technology() -> None:
    factory = load_factory()
    assert {"drilling", "lamination", "soldermask", "flying_probe", "packing"} <= set(factory.centres)
    lengths = {t: len(route(factory, t)) for t in factory.routings}
    assert lengths == {"single_sided": 12, "double_sided": 14, "multilayer": 18}
    gold = [s.name for s in route(factory, "double_sided", ["enig", "gold_fingers"])]
    assert "enig" in gold and "hasl" not in gold
    assert gold.index("gold_plating") == gold.index("soldermask") + 1
    assert gold.index("bevelling") == gold.index("routing") + 1


def test_errors_name_the_file_and_the_key() -> None:
    with pytest.raises(FactoryError, match=r"tiny.toml: centres.cut.per_panel_mins: unknown key"):
        parse_factory(TINY.replace("per_panel_min = 10", "per_panel_mins = 10"), "tiny.toml")
    with pytest.raises(FactoryError, match=r"centres.test.calendar: no calendar 'nights'"):
        parse_factory(
            TINY.replace('calendar = "days"\nper_panel_min = 15', 'calendar = "nights"\nper_panel_min = 15'),
            "tiny.toml",
        )
    with pytest.raises(FactoryError, match=r"needs cycle_min"):
        parse_factory(TINY.replace("cycle_min = 60\n", ""), "tiny.toml")
    with pytest.raises(FactoryError, match=r"clock time"):
        parse_factory(TINY.replace('"16:00"', '"16h"'), "tiny.toml")
    with pytest.raises(FactoryError, match="not valid TOML"):
        parse_factory("[factory", "tiny.toml")


def test_calendar_windows_have_breaks_holidays_and_weekends() -> None:
    factory = tiny_factory()
    windows = open_windows(factory.calendars["days"], MONDAY, 7)
    # Monday 08:00-12:00 and 12:30-16:00, Tuesday the same, Wednesday a holiday, Thu, Fri; no weekend.
    day = 24 * 60
    assert windows[:2] == ((0, 240), (270, 480))
    assert windows[2:4] == ((day, day + 240), (day + 270, day + 480))
    assert windows[4][0] == 3 * day
    assert len(windows) == 8
    always = open_windows(factory.calendars["always"], MONDAY, 7)
    assert always == ((0, 7 * day),)


def test_night_shifts_belong_to_the_day_they_start() -> None:
    factory = tiny_factory("""
[calendars.nights]
shifts = [{ days = "fri", start = "22:00", end = "06:00" }]
""")
    windows = open_windows(factory.calendars["nights"], datetime(2026, 11, 30, 0, 0), 7)
    friday_22 = 4 * 24 * 60 + 22 * 60
    assert windows == ((friday_22, friday_22 + 8 * 60),)


def test_routes_that_cannot_be_followed() -> None:
    factory = tiny_factory("""
[segments.loop_a]
steps = ["cut", "loop_b"]
[segments.loop_b]
steps = ["loop_a"]
[routings.looping]
steps = ["loop_a", "test"]
[routings.typo]
steps = ["cut", "drll"]
[options.extra]
insert = [{ after = "route", steps = ["test"] }]
""")
    with pytest.raises(RouteError, match="cyclic: loop_a → loop_b → loop_a"):
        route(factory, "looping")
    with pytest.raises(RouteError, match="no routing for technology 'flex'"):
        route(factory, "flex")
    with pytest.raises(RouteError, match="'drll' names no work centre"):
        route(factory, "typo")
    with pytest.raises(RouteError, match="unknown option 'gold'"):
        route(factory, "double_sided", ["gold"])
    with pytest.raises(RouteError, match="after 'route'"):
        route(factory, "double_sided", ["extra"])
