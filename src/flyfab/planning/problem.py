"""The scheduling problem every planner solves, factory or textbook instance alike.

A job is a chain of operations; each operation runs on one of several machines (its options, each
with its own duration); machines may be closed at times (their calendar) and some process a batch
of operations of the same family in one cycle. Times are whole minutes (or the time units of a
textbook instance) from the start of the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Objective = Literal["makespan", "tardiness"]


@dataclass(frozen=True)
class Option:
    machine: int
    duration: int


@dataclass(frozen=True)
class Operation:
    step: int
    options: tuple[Option, ...]
    name: str = ""
    # Operations of one family may share a cycle of a batch machine; `load` is the room one takes.
    family: str = ""
    load: int = 1

    def duration_on(self, machine: int) -> int | None:
        for o in self.options:
            if o.machine == machine:
                return o.duration
        return None


@dataclass(frozen=True)
class Job:
    name: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1


@dataclass(frozen=True)
class Machine:
    name: str
    # Cycles of a batch machine hold up to `capacity` load; 1 for a machine that takes one at a time.
    capacity: int = 1
    # Sorted, disjoint half-open [start, end) windows when the machine may work; None = always open.
    open_windows: tuple[tuple[int, int], ...] | None = None
    centre: str = ""

    @property
    def batch(self) -> bool:
        return self.capacity > 1


@dataclass(frozen=True)
class Problem:
    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    objective: Objective = "makespan"
    name: str = ""

    @property
    def flexible(self) -> bool:
        return any(len(op.options) > 1 for j in self.jobs for op in j.operations)

    @property
    def has_calendars(self) -> bool:
        return any(m.open_windows is not None for m in self.machines)

    @property
    def has_batches(self) -> bool:
        return any(m.batch for m in self.machines)

    def operation_count(self) -> int:
        return sum(len(j.operations) for j in self.jobs)


@dataclass(frozen=True)
class Slot:
    """One operation placed: which job and step, on which machine, when; `batch` names the cycle of
    a batch machine it shares (same machine, same start) or is -1."""

    job: int
    step: int
    machine: int
    start: int
    end: int
    batch: int = -1


@dataclass
class Schedule:
    slots: list[Slot]
    # Proven lower bound on the objective (makespan problems), or None when nothing is proven.
    bound: int | None = None
    optimal: bool = False
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def makespan(self) -> int:
        return max((s.end for s in self.slots), default=0)

    def completion(self, job: int) -> int:
        return max(s.end for s in self.slots if s.job == job)

    def by_job(self) -> dict[int, list[Slot]]:
        out: dict[int, list[Slot]] = {}
        for s in self.slots:
            out.setdefault(s.job, []).append(s)
        for v in out.values():
            v.sort(key=lambda s: s.step)
        return out


def tardiness(problem: Problem, schedule: Schedule) -> tuple[int, int]:
    """Total weighted tardiness and total tardiness of a schedule."""
    ends: dict[int, int] = {}
    for s in schedule.slots:
        ends[s.job] = max(ends.get(s.job, 0), s.end)
    weighted = plain = 0
    for j, job in enumerate(problem.jobs):
        if job.due is not None and j in ends:
            late = max(0, ends[j] - job.due)
            weighted += job.weight * late
            plain += late
    return weighted, plain
