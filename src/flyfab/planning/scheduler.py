"""Plan and re-plan the factory: the earliest-due-date dispatch first (in well under a second),
then CP-SAT started from it within the time limit; the better of the two by weighted tardiness,
then makespan, after the independent validator has passed it. Re-planning freezes what has
started, and keeps the rest where it was unless moving it lowers the tardiness.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from flyfab.planning.build import Built, build
from flyfab.planning.calendar import minutes_from
from flyfab.planning.dispatching import Booking, edd_dispatch
from flyfab.planning.factory import Factory
from flyfab.planning.lns import LnsStats, improve
from flyfab.planning.orders import OrderIssue, PanelOrder
from flyfab.planning.problem import Job, Problem, Schedule, Slot, tardiness
from flyfab.planning.validate import violations

Progress = Callable[[str, float, tuple[int, int] | None], None]  # (phase, seconds, (tardiness, makespan))
Goal = Literal["tardiness", "makespan"]


@dataclass
class Plan:
    built: Built
    schedule: Schedule
    issues: list[OrderIssue]
    stats: dict[str, object] = field(default_factory=dict)

    @property
    def problem(self) -> Problem:
        return self.built.problem

    @property
    def start(self) -> datetime:
        return self.built.start

    def planned_jobs(self) -> list[int]:
        return sorted({s.job for s in self.schedule.slots})


def score(problem: Problem, schedule: Schedule, goal: Goal = "tardiness") -> tuple[int, int]:
    weighted, _ = tardiness(problem, schedule)
    return (weighted, schedule.makespan) if goal == "tardiness" else (schedule.makespan, weighted)


def _without(problem: Problem, names: set[str]) -> tuple[Problem, list[int]]:
    keep = [j for j, job in enumerate(problem.jobs) if job.name not in names]
    jobs: tuple[Job, ...] = tuple(problem.jobs[j] for j in keep)
    return Problem(jobs, problem.machines, problem.objective, problem.name), keep


def _restrict(built: Built, names: set[str]) -> Built:
    problem, keep = _without(built.problem, names)
    return Built(
        problem,
        built.start,
        [built.orders[j] for j in keep],
        [built.routes[j] for j in keep],
        built.issues,
        built.machine_names,
    )


def solve(
    built: Built,
    time_limit: float = 60.0,
    workers: int = 2,
    goal: Goal = "tardiness",
    frozen: Mapping[tuple[int, int], Slot] | None = None,
    previous: Schedule | None = None,
    not_before: int = 0,
    progress: Progress | None = None,
) -> Plan:
    """Schedule a built problem: dispatch, then CP-SAT from it; the best valid schedule."""
    t0 = time.perf_counter()
    frozen = dict(frozen or {})
    issues = list(built.issues)

    def say(phase: str, s: Schedule | None) -> None:
        if progress is not None:
            progress(phase, time.perf_counter() - t0, score(built.problem, s, goal) if s else None)

    dispatch = edd_dispatch(built.problem, frozen=frozen, not_before=not_before)
    if dispatch.notes:
        names = set(dispatch.notes)
        for name in dispatch.notes:
            issues.append(OrderIssue(name, "cannot be finished within the planning horizon of the calendars"))
        keep = [j for j, job in enumerate(built.problem.jobs) if job.name not in names]
        renumber = {j: i for i, j in enumerate(keep)}
        frozen = {
            (renumber[j], k): Slot(renumber[j], k, s.machine, s.start, s.end, s.batch)
            for (j, k), s in frozen.items()
            if j in renumber
        }
        if previous is not None:
            previous = Schedule(
                [
                    Slot(renumber[s.job], s.step, s.machine, s.start, s.end, s.batch)
                    for s in previous.slots
                    if s.job in renumber
                ]
            )
        built = _restrict(built, names)
        dispatch = edd_dispatch(built.problem, frozen=frozen, not_before=not_before)
    say("edd dispatch", dispatch)
    # Operation due dates often do better than the orders' due dates: start from the better.
    odd = edd_dispatch(built.problem, frozen=frozen, not_before=not_before, rule="odd")
    problem = Problem(
        built.problem.jobs,
        built.problem.machines,
        "tardiness" if goal == "tardiness" else "makespan",
        built.problem.name,
    )
    hint = dispatch
    if not odd.notes and score(problem, odd, goal) < score(problem, dispatch, goal):
        hint = odd
    if previous is not None:
        # Re-planning: the previous plan kept as it is and new work booked around it changes
        # nothing that need not change; use it when it is no later than the dispatch.
        kept = _keep_previous(problem, previous, frozen, not_before)
        if kept is not None and score(problem, kept, goal) <= score(problem, dispatch, goal):
            hint = kept
    best: Schedule = hint
    source = hint.source
    stats: dict[str, object] = {"edd": score(problem, dispatch, goal), "odd": score(problem, odd, goal)}
    left = time_limit - (time.perf_counter() - t0)
    if left > 0.5 and problem.jobs:

        def better(s: Schedule) -> None:
            say("cp-sat", s)

        lns_stats = LnsStats()

        def judge(s: Schedule) -> tuple[int, int]:
            if previous is None:
                return score(problem, s, goal)
            # Re-planning: tardiness first, then as few operations moved as possible.
            return (score(problem, s, goal)[0], moved(previous, s, frozen))

        found = improve(
            problem,
            hint,
            left,
            judge,
            workers=workers,
            frozen=frozen,
            previous=previous,
            not_before=not_before,
            on_better=better if progress else None,
            stats=lns_stats,
        )
        stats["lns_rounds"] = lns_stats.rounds
        stats["lns_improvements"] = lns_stats.improvements
        if found is not hint and score(problem, found, goal) <= score(problem, best, goal):
            best, source = found, "cp-sat"
    best.source = source
    stats["seconds"] = round(time.perf_counter() - t0, 2)
    stats["objective"] = score(problem, best, goal)
    say("done", best)
    return Plan(
        Built(problem, built.start, built.orders, built.routes, built.issues, built.machine_names),
        best,
        issues,
        stats,
    )


def moved(previous: Schedule, schedule: Schedule, frozen: Mapping[tuple[int, int], Slot]) -> int:
    """How many operations of the previous plan (not frozen) changed start or machine."""
    now = {(s.job, s.step): s for s in schedule.slots}
    count = 0
    for s in previous.slots:
        if (s.job, s.step) in frozen:
            continue
        n = now.get((s.job, s.step))
        if n is None or n.start != s.start or n.machine != s.machine:
            count += 1
    return count


def _keep_previous(
    problem: Problem, previous: Schedule, frozen: Mapping[tuple[int, int], Slot], not_before: int
) -> Schedule | None:
    kept = {(s.job, s.step): s for s in previous.slots}
    booking = Booking(problem, kept.values())
    slots = list(kept.values())
    for j, job in enumerate(problem.jobs):
        ready = max(job.release, not_before)
        for k in range(len(job.operations)):
            if (j, k) in kept:
                ready = kept[(j, k)].end
                continue
            slot = booking.place(j, k, ready)
            if slot is None:
                return None
            slots.append(slot)
            ready = slot.end
    schedule = Schedule(slots, source="previous plan")
    return None if violations(problem, schedule) else schedule


def plan(
    factory: Factory,
    orders: list[PanelOrder],
    start: datetime,
    time_limit: float = 60.0,
    workers: int = 2,
    goal: Goal = "tardiness",
    progress: Progress | None = None,
) -> Plan:
    """A plan for every order that can be made; the others reported in `Plan.issues`. The time
    limit covers everything, the routing and timing of the orders included."""
    t0 = time.perf_counter()
    built = build(factory, orders, start)
    left = time_limit - (time.perf_counter() - t0)
    return solve(built, left, workers, goal, progress=progress)


@dataclass(frozen=True)
class Booked:
    """An operation of an earlier plan, by names: which order's step, on which machine, when
    (minutes from that plan's start), in which batch cycle."""

    order: str
    step: int
    machine: str
    start: int
    end: int
    cycle: int = -1


def booked(plan: Plan) -> list[Booked]:
    p = plan.problem
    return [
        Booked(p.jobs[s.job].name, s.step, p.machines[s.machine].name, s.start, s.end, s.batch)
        for s in plan.schedule.slots
    ]


def replan(
    current: Plan,
    factory: Factory,
    orders: list[PanelOrder],
    now: datetime,
    time_limit: float = 30.0,
    workers: int = 2,
    progress: Progress | None = None,
) -> Plan:
    """A new plan at `now` for `orders` (those of the current plan and any new ones): operations
    that started before `now` stay exactly where they are; the others may only move to reduce the
    weighted tardiness, and otherwise keep their place."""
    return replan_booked(current.start, booked(current), factory, orders, now, time_limit, workers, progress)


def replan_booked(
    start: datetime,
    previous: list[Booked],
    factory: Factory,
    orders: list[PanelOrder],
    now: datetime,
    time_limit: float = 30.0,
    workers: int = 2,
    progress: Progress | None = None,
) -> Plan:
    """`replan` from an earlier plan given by names (as `plan.json` has it) that started at `start`.
    Operations of orders no longer asked for, or of steps or machines the factory no longer has,
    are dropped; an order whose route changed keeps only the steps that still match."""
    t0 = time.perf_counter()
    built = build(factory, orders, start)
    cut = minutes_from(start, now)
    job_of = {o.id: j for j, o in enumerate(built.orders)}
    machine_of = {name: i for i, name in enumerate(built.machine_names)}
    frozen: dict[tuple[int, int], Slot] = {}
    kept: list[Slot] = []
    for b in previous:
        j, m = job_of.get(b.order), machine_of.get(b.machine)
        if j is None or m is None or b.step >= len(built.problem.jobs[j].operations):
            continue
        if built.problem.jobs[j].operations[b.step].duration_on(m) != b.end - b.start:
            continue  # the step changed since (another machine or time): plan it anew
        slot = Slot(j, b.step, m, b.start, b.end, b.cycle)
        if b.start < cut:
            frozen[(j, b.step)] = slot
        kept.append(slot)
    # The previous plan, with the new orders added by dispatch, is where unstarted work should stay.
    plan = solve(
        built,
        time_limit - (time.perf_counter() - t0),
        workers,
        "tardiness",
        frozen=frozen,
        previous=Schedule(kept),
        not_before=cut,
        progress=progress,
    )
    plan.stats["frozen"] = len(frozen)
    return plan
