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
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from flyfab.planning.build import count_of, family, minutes
from flyfab.planning.calendar import minutes_from, ship_date
from flyfab.planning.dispatching import Booking, edd_dispatch
from flyfab.planning.factory import Factory, parse_days
from flyfab.planning.orders import PanelOrder
from flyfab.planning.problem import Job, Operation, Option, Problem, Schedule, Slot
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


@dataclass
class _Fitted:
    """What every tier of one request shares: the timed job, its end in the free capacity, the
    unstarted work re-dispatched without it (the yardstick for going first in the queues)."""

    probe: Job
    release: int
    started: dict[tuple[int, int], Slot]
    free_end: int | None
    base: dict[int, int]


def _fit(plan: Plan, factory: Factory, work: NewWork, now: datetime) -> _Fitted:
    release = max(0, minutes_from(plan.start, now))
    problem = plan.problem
    probe = _job(factory, plan, work, release, release)  # RouteError when it cannot be routed
    started = {(s.job, s.step): s for s in plan.schedule.slots if s.start < release}
    # (a) Free capacity: nobody moves.
    booking = Booking(
        Problem((*problem.jobs, probe), problem.machines, problem.objective), plan.schedule.slots
    )
    ready: int | None = release
    for k in range(len(probe.operations)):
        slot = booking.place(len(problem.jobs), k, ready or 0)
        if slot is None:
            ready = None
            break
        ready = slot.end
    base = _ends(edd_dispatch(problem, frozen=started, not_before=release))
    return _Fitted(probe, release, started, ready, base)


def _tier(plan: Plan, factory: Factory, fitted: _Fitted, tier: str, lead: float, now: datetime) -> Promise:
    cutoff = factory.factory.ship_cutoff
    ship_days = parse_days(factory.factory.ship_days)
    problem = plan.problem
    j_new = len(problem.jobs)
    nominal = working_days_after(now, lead, ship_days).replace(hour=cutoff.hour, minute=cutoff.minute)
    due = minutes_from(plan.start, nominal)
    job = Job(fitted.probe.name, fitted.probe.operations, fitted.release, due, 1)
    extended = Problem((*problem.jobs, job), problem.machines, problem.objective)
    # (b) The tier's due date in the queues, if no planned order ends later for it.
    ends = _ends(edd_dispatch(extended, frozen=fitted.started, not_before=fitted.release))
    harmless = j_new in ends and all(
        ends.get(j, 1 << 60) <= max(end, problem.jobs[j].due or 0) for j, end in fitted.base.items()
    )
    options: list[tuple[int, str]] = []
    if fitted.free_end is not None:
        options.append((fitted.free_end, "free capacity"))
    if harmless:
        options.append((ends[j_new], "queue priority"))
    reasons = [] if harmless else ["going first in the queues would make planned orders later"]
    if not options:
        return Promise(tier, None, None, "", [*reasons, "does not fit before the calendars end"])
    end, how = min(options)
    done = plan.start + timedelta(minutes=end)
    ship = ship_date(done, cutoff.hour, cutoff.minute, ship_days)
    if nominal.date() > ship:
        ship, how = nominal.date(), "lead time"
    return Promise(tier, ship, done, how, reasons)


def promise(
    plan: Plan,
    factory: Factory,
    work: NewWork,
    tiers: Mapping[str, float],
    now: datetime,
) -> dict[str, Promise]:
    """The earliest ship date the factory can hold for `work`, per tier (name -> the tier's
    nominal lead time in shipping days), given the current `plan`, at `now` (factory time)."""
    try:
        fitted = _fit(plan, factory, work, now)
    except RouteError as e:
        return {tier: Promise(tier, None, None, "", [str(e)]) for tier in tiers}
    return {tier: _tier(plan, factory, fitted, tier, lead, now) for tier, lead in tiers.items()}


class PromiseRequestLike(Protocol):
    """What the quote asks (flyfab.pricing's PromiseRequest has these fields)."""

    @property
    def ordered_at(self) -> datetime: ...
    @property
    def tier(self) -> str: ...
    @property
    def working_days(self) -> int: ...
    @property
    def layers(self) -> int: ...
    @property
    def area_m2(self) -> Decimal | float: ...


@dataclass
class PlanPromiser:
    """Ship dates from the plan for the quote: a callable taking the quote's request (ordered at,
    tier, working days, layers, board area) and giving the date the plan can hold.

    The request says no technology, options or drill data: the technology follows from the layer
    count (1 single-sided, 2 double-sided, more multilayer), `options` are taken as given here, and
    the share of a panel is the order's area over the factory's usable panel area. When the plan
    cannot make the order at all, the tier's nominal date is returned (as a plain calendar would)."""

    plan: Plan
    factory: Factory
    options: tuple[str, ...] = ()
    _fitted: dict[tuple[datetime, int, float], _Fitted | RouteError] = field(default_factory=dict)

    def __call__(self, request: PromiseRequestLike) -> date:
        now = self._factory_time(request.ordered_at)
        layers = request.layers
        technology = "single_sided" if layers == 1 else "double_sided" if layers == 2 else "multilayer"
        share = float(request.area_m2) / self.factory.factory.panel_area_m2
        key = (now, layers, share)
        if key not in self._fitted:
            work = NewWork(technology, layers, self.options, max(share, 0.01))
            try:
                self._fitted[key] = _fit(self.plan, self.factory, work, now)
            except RouteError as e:
                self._fitted[key] = e
        fitted = self._fitted[key]
        ship_days = parse_days(self.factory.factory.ship_days)
        nominal = working_days_after(now, request.working_days, ship_days).date()
        if isinstance(fitted, RouteError):
            return nominal
        answer = _tier(self.plan, self.factory, fitted, request.tier, request.working_days, now)
        return answer.ship_date or nominal

    def _factory_time(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            return moment
        zone = self.factory.factory.timezone
        local = moment.astimezone(ZoneInfo(zone)) if zone else moment.astimezone()
        return local.replace(tzinfo=None)
