"""Why an order is late: where along its route it waited, and for what.

Each step's wait (from the moment the order could go on to it until it starts) is split into time
its machine was closed by its calendar and time the machine was busy with other orders; the step
with the longest busy wait is the bottleneck, named with how many orders went first and how many
of those were due earlier. Lateness an idle factory could not avoid (the route alone is too long
for the time given) is said first.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from flyfab.planning.dispatching import earliest_completion
from flyfab.planning.problem import Problem, Schedule, Slot


@dataclass(frozen=True)
class Wait:
    step: int
    name: str
    centre: str
    machine: str
    waited: int  # minutes from ready to start
    closed: int  # of which the machine was closed
    busy: int  # of which the machine was busy with other orders
    ahead: int  # operations of other orders started on the machine meanwhile
    ahead_due_earlier: int


@dataclass(frozen=True)
class Lateness:
    order: str
    late: int  # minutes after the due date
    unavoidable: int  # minutes of it an idle factory would be late too
    bottleneck: Wait | None
    waits: list[Wait]

    def text(self) -> str:
        parts = []
        if self.unavoidable > 0:
            parts.append(f"the route alone ends {_span(self.unavoidable)} after the due date")
        if self.bottleneck is not None and self.bottleneck.busy > 0:
            b = self.bottleneck
            parts.append(
                f"waited {_span(b.busy)} at {b.name} ({b.centre}, {b.machine}) behind {b.ahead} operations "
                f"of other orders, {b.ahead_due_earlier} of them due earlier"
            )
        closed = sum(w.closed for w in self.waits)
        if closed:
            parts.append(f"{_span(closed)} of waiting fell in closed time of the calendars")
        return "; ".join(parts) or "late by the processing time of its route"


def _span(minutes: int) -> str:
    if minutes >= 1440:
        return f"{minutes / 1440:.1f} days"
    if minutes >= 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes} min"


def _closed(problem: Problem, machine: int, a: int, b: int) -> int:
    windows = problem.machines[machine].open_windows
    if windows is None or b <= a:
        return 0
    open_time = 0
    i = max(0, bisect.bisect_right(windows, (a, 1 << 60)) - 1)
    for w0, w1 in windows[i:]:
        if w0 >= b:
            break
        open_time += max(0, min(w1, b) - max(w0, a))
    return (b - a) - open_time


def why_late(problem: Problem, schedule: Schedule, job: int) -> Lateness | None:
    """The explanation for a late job, or None when it is on time."""
    j = problem.jobs[job]
    slots = sorted((s for s in schedule.slots if s.job == job), key=lambda s: s.step)
    if not slots or j.due is None:
        return None
    end = slots[-1].end
    if end <= j.due:
        return None
    floor = earliest_completion(problem, job) or end
    per_machine: dict[int, list[Slot]] = {}
    for s in schedule.slots:
        per_machine.setdefault(s.machine, []).append(s)
    waits = []
    ready = j.release
    for s in slots:
        waited = s.start - ready
        closed = _closed(problem, s.machine, ready, s.start)
        others = [o for o in per_machine[s.machine] if o.job != job and ready <= o.start < s.start]
        due = [problem.jobs[o.job].due for o in others]
        earlier = sum(1 for d in due if d is not None and d < j.due)
        op = j.operations[s.step]
        machine = problem.machines[s.machine]
        waits.append(
            Wait(
                s.step,
                op.name or f"step {s.step}",
                machine.centre,
                machine.name,
                waited,
                closed,
                max(0, waited - closed),
                len(others),
                earlier,
            )
        )
        ready = s.end
    bottleneck = max(waits, key=lambda w: w.busy) if waits else None
    return Lateness(
        j.name,
        end - j.due,
        max(0, min(end, floor) - j.due),
        bottleneck,
        sorted(waits, key=lambda w: -w.waited)[:3],
    )
