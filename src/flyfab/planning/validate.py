"""Check a schedule against its problem without trusting whoever made it.

Deliberately independent of the solvers: it reads only the problem and the slots, and says in
words every rule a slot breaks — each operation placed exactly once on one of its machines for its
duration, not before its job's release, after its predecessor, inside an open window of the
machine's calendar, one operation at a time per machine or, on a batch machine, cycles that start
and end together, hold one family and no more than the machine's capacity.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from flyfab.planning.problem import Problem, Schedule, Slot


def violations(problem: Problem, schedule: Schedule, limit: int = 50) -> list[str]:
    """Every broken rule (up to `limit`), or an empty list for a valid schedule."""
    out: list[str] = []
    placed: dict[tuple[int, int], Slot] = {}
    for s in schedule.slots:
        where = f"job {s.job} step {s.step}"
        if not 0 <= s.job < len(problem.jobs) or not 0 <= s.step < len(problem.jobs[s.job].operations):
            out.append(f"{where}: no such operation")
            continue
        if (s.job, s.step) in placed:
            out.append(f"{where}: placed more than once")
            continue
        placed[(s.job, s.step)] = s
        job = problem.jobs[s.job]
        op = job.operations[s.step]
        duration = op.duration_on(s.machine)
        if duration is None:
            out.append(f"{where}: machine {s.machine} is not one of its options")
        elif s.end - s.start != duration:
            out.append(f"{where}: lasts {s.end - s.start}, its duration on machine {s.machine} is {duration}")
        if s.start < job.release:
            out.append(f"{where}: starts at {s.start}, before the job's release {job.release}")
        if 0 <= s.machine < len(problem.machines):
            windows = problem.machines[s.machine].open_windows
            if windows is not None and not _inside(windows, s.start, s.end):
                out.append(
                    f"{where}: [{s.start}, {s.end}) is not inside an open window of machine {s.machine}"
                )
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            if (j, k) not in placed:
                out.append(f"job {j} step {k}: not scheduled")
            elif k > 0 and (j, k - 1) in placed and placed[(j, k)].start < placed[(j, k - 1)].end:
                out.append(
                    f"job {j} step {k}: starts at {placed[(j, k)].start} before step {k - 1} ends at "
                    f"{placed[(j, k - 1)].end}"
                )
    out.extend(_capacity(problem, list(placed.values())))
    return out[:limit]


def _inside(windows: tuple[tuple[int, int], ...], start: int, end: int) -> bool:
    i = bisect.bisect_right(windows, (start, float("inf"))) - 1
    return i >= 0 and windows[i][0] <= start and end <= windows[i][1]


def _capacity(problem: Problem, slots: list[Slot]) -> list[str]:
    out: list[str] = []
    per_machine: dict[int, list[Slot]] = defaultdict(list)
    for s in slots:
        if 0 <= s.machine < len(problem.machines):
            per_machine[s.machine].append(s)
    for m, items in per_machine.items():
        machine = problem.machines[m]
        # A cycle is the set of slots with one (start, end); on a plain machine each holds one.
        cycles: dict[tuple[int, int], list[Slot]] = defaultdict(list)
        for s in items:
            if s.end > s.start:
                cycles[(s.start, s.end)].append(s)
        for (start, end), members in cycles.items():
            ops = [problem.jobs[s.job].operations[s.step] for s in members]
            if not machine.batch and len(members) > 1:
                out.append(f"machine {m}: {len(members)} operations at once in [{start}, {end})")
            elif machine.batch:
                load = sum(op.load for op in ops)
                if load > machine.capacity:
                    out.append(
                        f"machine {m}: cycle [{start}, {end}) holds {load} > capacity {machine.capacity}"
                    )
                families = {op.family for op in ops}
                if len(families) > 1:
                    out.append(f"machine {m}: cycle [{start}, {end}) mixes families {sorted(families)}")
        reach: tuple[int, int] | None = None  # the span seen so far that ends last
        for s2, e2 in sorted(cycles):
            if reach is not None and s2 < reach[1]:
                out.append(f"machine {m}: [{reach[0]}, {reach[1]}) and [{s2}, {e2}) overlap")
            if reach is None or e2 > reach[1]:
                reach = (s2, e2)
    return out
