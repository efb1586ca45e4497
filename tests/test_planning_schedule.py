"""Factory plans: valid schedules with calendars and batches, not worse than the dispatch rules,
re-planning that keeps started work fixed, why-late explanations, promises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flyfab.planning.build import build
from flyfab.planning.cpsat import SolveOptions, solve_cpsat
from flyfab.planning.dispatching import edd_dispatch, forward_booking
from flyfab.planning.explain import why_late
from flyfab.planning.problem import Job, Machine, Objective, Operation, Option, Problem, tardiness
from flyfab.planning.promise import NewWork, PlanPromiser, promise
from flyfab.planning.scheduler import plan, replan
from flyfab.planning.validate import violations
from tests.planning_helpers import MONDAY, order, tiny_factory


def test_plan_is_valid_respects_calendars_and_batches_and_beats_the_rules() -> None:
    factory = tiny_factory()
    orders = [order(i) for i in range(14)]
    result = plan(factory, orders, MONDAY, time_limit=8)
    problem, schedule = result.problem, result.schedule
    assert violations(problem, schedule) == []
    assert len({s.job for s in schedule.slots}) == 14
    windows = {m.name: m.open_windows for m in problem.machines}
    day_windows = windows["CUT"]
    assert day_windows is not None
    for s in schedule.slots:
        machine = problem.machines[s.machine]
        if machine.name in ("CUT", "P", "T"):
            # inside one open window of the day calendar: never in a break, at night or on the holiday
            assert any(a <= s.start and s.end <= b for a, b in day_windows), s
            assert not (2 * 1440 <= s.start < 3 * 1440), "the holiday is closed"
    presses = [s for s in schedule.slots if problem.machines[s.machine].name == "P"]
    cycles: dict[tuple[int, int], int] = {}
    for s in presses:
        cycles[(s.start, s.end)] = cycles.get((s.start, s.end), 0) + 1
    assert max(cycles.values()) > 1, "the press runs several panels per cycle"
    assert max(cycles.values()) <= 3
    edd, erp = edd_dispatch(problem), forward_booking(problem)
    assert violations(problem, edd) == [] and violations(problem, erp) == []
    mine = tardiness(problem, schedule)[0]
    assert mine <= tardiness(problem, edd)[0]
    assert mine <= tardiness(problem, erp)[0]


def test_replanning_keeps_started_operations_where_they_are() -> None:
    factory = tiny_factory()
    orders = [order(i) for i in range(10)]
    first = plan(factory, orders, MONDAY, time_limit=4)
    now = MONDAY + timedelta(hours=5)
    cut = 5 * 60
    rush = order(99, release=now, due=now + timedelta(hours=30))
    second = replan(first, factory, [*orders, rush], now, time_limit=4)
    assert violations(second.problem, second.schedule) == []
    before = {(first.problem.jobs[s.job].name, s.step): s for s in first.schedule.slots}
    after = {(second.problem.jobs[s.job].name, s.step): s for s in second.schedule.slots}
    started = [key for key, s in before.items() if s.start < cut]
    assert started, "something had started"
    for key in started:
        assert (after[key].start, after[key].end, after[key].machine) == (
            before[key].start,
            before[key].end,
            before[key].machine,
        )
    for key, s in after.items():
        if key not in before or before[key].start >= cut:
            assert s.start >= cut, f"{key} starts in the past"
    assert any(name == "O99" for name, _ in after)


def test_why_late_names_the_machine_it_waited_for() -> None:
    factory = tiny_factory()
    # Eight panels due within two hours queue at the one cutter and the one tester: the last are late.
    orders = [
        order(i, technology="double_sided", layers=2, holes=0, due=MONDAY + timedelta(hours=2, minutes=i))
        for i in range(8)
    ]
    built = build(factory, orders, MONDAY)
    schedule = edd_dispatch(built.problem)
    late = [j for j in range(len(orders)) if why_late(built.problem, schedule, j) is not None]
    assert late
    reason = why_late(built.problem, schedule, late[-1])
    assert reason is not None and reason.late > 0
    assert reason.bottleneck is not None and reason.bottleneck.machine in ("CUT", "T")
    assert reason.bottleneck.ahead_due_earlier > 0
    assert "waited" in reason.text()


def test_promise_gives_a_date_per_tier_no_earlier_than_the_tier_allows() -> None:
    factory = tiny_factory()
    orders = [order(i) for i in range(10)]
    current = plan(factory, orders, MONDAY, time_limit=2)
    tiers = {"express": 1, "standard": 5}
    dates = promise(current, factory, NewWork("multilayer", 4, (), 0.5, holes=500), tiers, MONDAY)
    assert set(dates) == set(tiers)
    express, standard = dates["express"], dates["standard"]
    assert express.ship_date is not None and standard.ship_date is not None
    assert express.ship_date <= standard.ship_date
    assert standard.ship_date >= (MONDAY + timedelta(days=5)).date()
    assert express.completion is not None and express.completion > MONDAY
    unknown = promise(current, factory, NewWork("flex", 2), tiers, MONDAY)
    assert unknown["express"].ship_date is None and "no routing" in unknown["express"].reasons[0]


def test_the_objective_orders_tardiness_and_makespan() -> None:
    # J0 is short on the second machine and due soon; J1 is long there and due late. Putting J0
    # first keeps it on time (makespan 16); putting J1 first is shorter (12) but J0 is late by 6.
    jobs = (
        Job("J0", (Operation(0, (Option(0, 5),)), Operation(1, (Option(1, 1),))), due=6),
        Job("J1", (Operation(0, (Option(0, 1),)), Operation(1, (Option(1, 10),))), due=1000),
    )
    machines = (Machine("m0"), Machine("m1"))
    cases: list[tuple[Objective, int, int]] = [("tardiness", 16, 0), ("makespan", 12, 6)]
    for objective, makespan, late in cases:
        problem = Problem(jobs, machines, objective)
        schedule, status = solve_cpsat(problem, SolveOptions(time_limit=10))
        assert schedule is not None and status == "OPTIMAL"
        assert violations(problem, schedule) == []
        assert (schedule.makespan, tardiness(problem, schedule)[0]) == (makespan, late)


@dataclass(frozen=True)
class QuoteRequest:
    """The fields of the quote's promise request (flyfab.pricing.promise.PromiseRequest)."""

    ordered_at: datetime
    tier: str
    working_days: int
    layers: int
    quantity: int
    area_m2: Decimal


def test_plan_promiser_answers_the_quote_in_factory_time() -> None:
    factory = tiny_factory()
    current = plan(factory, [order(i) for i in range(6)], MONDAY, time_limit=2)
    promiser = PlanPromiser(current, factory)
    # Naive moments are factory time; aware ones are converted to the factory's zone.
    naive = promiser(QuoteRequest(MONDAY, "standard", 3, 4, 10, Decimal("0.05")))
    assert naive == date(2026, 12, 3)  # three shipping days after Monday: Thursday
    express = promiser(QuoteRequest(MONDAY, "express", 1, 4, 10, Decimal("0.05")))
    assert express >= date(2026, 12, 1) and express <= naive
    zoned = PlanPromiser(
        current,
        tiny_factory().model_copy(
            update={"factory": factory.factory.model_copy(update={"timezone": "Europe/Berlin"})}
        ),
    )
    utc = datetime(2026, 11, 30, 7, 0, tzinfo=ZoneInfo("UTC"))  # 08:00 in Berlin
    assert zoned(QuoteRequest(utc, "standard", 3, 4, 10, Decimal("0.05"))) == naive
    # A layer count the factory has no route for: the calendar's date, as a plain promiser gives.
    assert promiser(QuoteRequest(MONDAY, "standard", 3, 1, 10, Decimal("0.05"))) == date(2026, 12, 3)
