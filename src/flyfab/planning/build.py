"""From a factory and its orders to the scheduling problem: machines with their open windows,
one job per order with its route's operations and their processing times.

Processing time of a step on a machine = (set-up + panels × count × per-panel time + panels ×
(holes × per-hole + tools × per-tool + test points × per-test-point)) / machine speed, rounded up to
whole minutes; on a batch centre, one cycle whatever its load. Orders that cannot be planned are
reported with the reason; the others make the problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flyfab.planning.calendar import Window, longest, minutes_from, open_windows
from flyfab.planning.factory import Centre, Factory
from flyfab.planning.orders import OrderIssue, PanelOrder
from flyfab.planning.problem import Job, Machine, Operation, Option, Problem
from flyfab.planning.routing import RouteError, RouteStep, route


@dataclass
class Built:
    problem: Problem
    start: datetime
    orders: list[PanelOrder]  # job index -> order
    routes: list[list[RouteStep]]  # job index -> the steps actually taken
    issues: list[OrderIssue] = field(default_factory=list)
    machine_names: list[str] = field(default_factory=list)

    def order_index(self, order_id: str) -> int | None:
        for i, o in enumerate(self.orders):
            if o.id == order_id:
                return i
        return None


def count_of(order: PanelOrder, step: RouteStep) -> int:
    return {"panel": 1, "cores": order.cores, "layers": order.layers, "sides": order.sides}[step.count]


def minutes(
    centre: Centre, order: PanelOrder, count: int, speed: float = 1.0, panels: float | None = None
) -> int:
    """Processing time of one step for the order's lot (or `panels` of it) on a machine of `speed`."""
    n = order.panels if panels is None else panels
    if centre.batch_capacity > 1:
        base = centre.cycle_min or 0.0
    else:
        per_panel = (
            centre.per_panel_min * count
            + (order.holes * centre.per_hole_s + order.tools * centre.per_tool_s) / 60
            + order.test_points * centre.per_test_point_s / 60
        )
        base = centre.setup_min + n * per_panel
    return max(1, math.ceil(base / speed - 1e-9))


def family(centre: Centre, centre_name: str, order: PanelOrder) -> str:
    key = {"layers": f"{order.layers}L", "technology": order.technology, "none": ""}[centre.batch_by]
    return f"{centre_name}:{key}"


def machines_of(factory: Factory, start: datetime, days: int) -> tuple[list[Machine], dict[str, list[int]]]:
    """Every machine with its windows (never open without a calendar) and each centre's machines."""
    machines: list[Machine] = []
    by_centre: dict[str, list[int]] = {}
    cache: dict[str, tuple[Window, ...]] = {}
    for key, centre in factory.centres.items():
        for spec in centre.machine_specs():
            cal = factory.machine_calendar(key, spec)
            if cal is None:
                windows: tuple[Window, ...] = ()
            else:
                if cal not in cache:
                    cache[cal] = open_windows(factory.calendars[cal], start, days)
                windows = cache[cal]
            by_centre.setdefault(key, []).append(len(machines))
            machines.append(
                Machine(spec.name, capacity=centre.batch_capacity, open_windows=windows, centre=key)
            )
    return machines, by_centre


def horizon_days(factory: Factory, start: datetime, orders: list[PanelOrder]) -> int:
    latest = max((o.due for o in orders), default=start)
    return max(factory.factory.horizon_days, (latest - start).days + 14)


def build(factory: Factory, orders: list[PanelOrder], start: datetime) -> Built:
    days = horizon_days(factory, start, orders)
    machines, by_centre = machines_of(factory, start, days)
    speeds = {spec.name: spec.speed for c in factory.centres.values() for spec in c.machine_specs()}
    jobs: list[Job] = []
    kept: list[PanelOrder] = []
    routes: list[list[RouteStep]] = []
    issues: list[OrderIssue] = []
    for order in orders:
        try:
            steps = [s for s in route(factory, order.technology, order.options) if count_of(order, s) > 0]
            ops = [_operation(factory, machines, by_centre, speeds, order, k, s) for k, s in enumerate(steps)]
        except RouteError as e:
            issues.append(OrderIssue(order.id, str(e)))
            continue
        release = max(0, minutes_from(start, order.release)) if order.release else 0
        due = minutes_from(start, order.due)
        if order.release is not None and order.due <= order.release:
            issues.append(
                OrderIssue(
                    order.id,
                    f"due {order.due:%Y-%m-%d %H:%M} is not after its release {order.release:%Y-%m-%d %H:%M}",
                )
            )
            continue
        jobs.append(Job(order.id, tuple(ops), release=release, due=due, weight=order.weight))
        kept.append(order)
        routes.append(steps)
    problem = Problem(tuple(jobs), tuple(machines), objective="tardiness", name=factory.factory.name)
    built = Built(problem, start, kept, routes, issues, [m.name for m in machines])
    _check_due_dates(built)
    return built


def _operation(
    factory: Factory,
    machines: list[Machine],
    by_centre: dict[str, list[int]],
    speeds: dict[str, float],
    order: PanelOrder,
    k: int,
    step: RouteStep,
) -> Operation:
    options: list[Option] = []
    reasons: list[str] = []
    fam = ""
    load = order.panels
    for centre_name in step.centres:
        centre = factory.centres[centre_name]
        if centre.batch_capacity > 1:
            fam = family(centre, centre_name, order)
            if order.panels > centre.batch_capacity:
                reasons.append(
                    f"{order.panels} panels exceed the {centre.batch_capacity} a cycle of {centre_name} holds"
                )
                continue
        for m in by_centre[centre_name]:
            machine = machines[m]
            d = minutes(centre, order, count_of(order, step), speeds[machine.name])
            windows = machine.open_windows or ()
            if not windows:
                reasons.append(f"machine {machine.name} of {centre_name} has no calendar")
            elif d > longest(windows):
                reasons.append(
                    f"it takes {d} min on {machine.name}, longer than any shift of its calendar "
                    f"(longest open stretch {longest(windows)} min)"
                )
            else:
                options.append(Option(m, d))
    if not options:
        raise RouteError(f"step {k + 1} ({step.name}) cannot run anywhere: " + "; ".join(reasons))
    return Operation(step=k, options=tuple(options), name=step.name, family=fam, load=load)


def _check_due_dates(built: Built) -> None:
    """Warn about due dates that even an idle factory cannot meet (the orders are still planned)."""
    from flyfab.planning.dispatching import earliest_completion

    for j, job in enumerate(built.problem.jobs):
        t = earliest_completion(built.problem, j)
        if job.due is not None and t is not None and t > job.due:
            when = built.start + timedelta(minutes=t)
            built.issues.append(
                OrderIssue(
                    job.name,
                    f"due {built.start + timedelta(minutes=job.due):%Y-%m-%d %H:%M} cannot be met even by an "
                    "idle "
                    f"factory: the route alone ends {when:%Y-%m-%d %H:%M} at the earliest",
                    planned=True,
                )
            )
