"""Capable-to-promise: the ship date a new order can be given, per lead-time tier, from the plan.

For each tier, the order's route is timed for its share of a panel and fitted to the factory as it
is planned: (a) into the capacity the plan leaves free, disturbing nobody; (b) with the tier's due
date in the queues (earliest due date first) among the work not yet started, accepted only if no
planned order ends later than it does in (b) without the new one. The earlier of the two is what the
factory can hold; the tier's promise is that, or the tier's own lead time when that is later, as
the next shipping day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flyfab.planning.build import count_of, family, minutes
from flyfab.planning.calendar import minutes_from, ship_date
from flyfab.planning.dispatching import Booking, edd_dispatch
from flyfab.planning.factory import Factory, parse_days
from flyfab.planning.orders import PanelOrder
from flyfab.planning.problem import Job, Operation, Option, Problem, Schedule
from flyfab.planning.routing import RouteError, route
from flyfab.planning.scheduler import Plan


@dataclass(frozen=True)
class NewWork:
    """The work a new order brings: its technology, layers and options, and how much of a
    production panel it fills (0.25 = a quarter of one panel; 3 = three panels)."""

    technology: str
    layers: int
    options: tuple[str, ...] = ()
    panel_share: float = 1.0
    holes: int = 0  # per panel
    tools: int = 0
    test_points: int = 0  # per panel


@dataclass(frozen=True)
class Promise:
    tier: str
    ship_date: date | None
    completion: datetime | None  # when packing would end
    held_by: str  # "free capacity", "queue priority" or "lead time" (the tier's own date is later)
    reasons: list[str] = field(default_factory=list)


def _job(factory: Factory, plan: Plan, work: NewWork, release: int, due: int) -> Job:
    # Time the route as the panel it rides on, scaled by the share of it the order fills.
    order = PanelOrder(
        id="new order",
        technology=work.technology,
        layers=work.layers,
        options=list(work.options),
        holes=work.holes,
        tools=work.tools,
        test_points=work.test_points,
        due=plan.start + timedelta(minutes=due),
    )
    by_centre: dict[str, list[int]] = {}
    for i, m in enumerate(plan.problem.machines):
        by_centre.setdefault(m.centre, []).append(i)
    speeds = {spec.name: spec.speed for c in factory.centres.values() for spec in c.machine_specs()}
    ops: list[Operation] = []
    load = max(1, round(work.panel_share))
    for step in route(factory, work.technology, work.options):
        count = count_of(order, step)
        if count == 0:
            continue
        options = []
        fam = ""
        for centre_name in step.centres:
            centre = factory.centres[centre_name]
            if centre.batch_capacity > 1:
                fam = family(centre, centre_name, order)
            for index in by_centre.get(centre_name, []):
                machine = plan.problem.machines[index]
                if not machine.open_windows:
                    continue
                d = minutes(centre, order, count, speeds[machine.name], work.panel_share)
                options.append(Option(index, d))
        if not options:
            raise RouteError(f"step {step.name} has no machine with a calendar")
        ops.append(Operation(step=len(ops), options=tuple(options), name=step.name, family=fam, load=load))
    return Job("new order", tuple(ops), release=release, due=due, weight=1)


def _ends(schedule: Schedule) -> dict[int, int]:
    out: dict[int, int] = {}
    for s in schedule.slots:
        out[s.job] = max(out.get(s.job, 0), s.end)
    return out


def working_days_after(moment: datetime, days: float, ship_days: tuple[int, ...]) -> datetime:
    """`days` shipping days after `moment` (whole days; a fraction counts as a whole one)."""
    whole = int(-(-days // 1))
    out = moment
    while whole > 0:
        out += timedelta(days=1)
        if out.weekday() in ship_days:
            whole -= 1
    return out


def promise(
    plan: Plan,
    factory: Factory,
    work: NewWork,
    tiers: Mapping[str, float],
    now: datetime,
) -> dict[str, Promise]:
    """The earliest ship date the factory can hold for `work`, per tier (name -> the tier's
    nominal lead time in shipping days), given the current `plan`, at `now`."""
    cutoff = factory.factory.ship_cutoff
    ship_days = parse_days(factory.factory.ship_days)
    release = max(0, minutes_from(plan.start, now))
    problem = plan.problem
    started = {(s.job, s.step): s for s in plan.schedule.slots if s.start < release}
    out: dict[str, Promise] = {}
    try:
        probe = _job(factory, plan, work, release, release)
    except RouteError as e:
        return {tier: Promise(tier, None, None, "", [str(e)]) for tier in tiers}
    # (a) Free capacity: nobody moves.
    booking = Booking(
        Problem((*problem.jobs, probe), problem.machines, problem.objective), plan.schedule.slots
    )
    ready = release
    j_new = len(problem.jobs)
    free_end: int | None = None
    for k in range(len(probe.operations)):
        slot = booking.place(j_new, k, ready)
        if slot is None:
            ready = -1
            break
        ready = slot.end
    if ready >= 0:
        free_end = ready
    # The unstarted work re-dispatched without the new order: the yardstick for (b).
    base = _ends(edd_dispatch(problem, frozen=started, not_before=release))
    for tier, lead in tiers.items():
        nominal = working_days_after(now, lead, ship_days)
        nominal = nominal.replace(hour=cutoff.hour, minute=cutoff.minute)
        due = minutes_from(plan.start, nominal)
        job = Job(probe.name, probe.operations, release, due, 1)
        extended = Problem((*problem.jobs, job), problem.machines, problem.objective)
        with_new = edd_dispatch(extended, frozen=started, not_before=release)
        ends = _ends(with_new)
        harmless = j_new in ends and all(
            ends.get(j, 1 << 60) <= max(base.get(j, 0), problem.jobs[j].due or 0) for j in base
        )
        options: list[tuple[int, str]] = []
        if free_end is not None:
            options.append((free_end, "free capacity"))
        if harmless:
            options.append((ends[j_new], "queue priority"))
        reasons = [] if harmless else ["going first in the queues would make planned orders later"]
        if not options:
            out[tier] = Promise(tier, None, None, "", [*reasons, "does not fit before the calendars end"])
            continue
        end, how = min(options)
        done = plan.start + timedelta(minutes=end)
        ship = ship_date(done, cutoff.hour, cutoff.minute, ship_days)
        if nominal.date() > ship:
            ship, how = nominal.date(), "lead time"
        out[tier] = Promise(tier, ship, done, how, reasons)
    return out
