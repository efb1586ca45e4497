"""Fast schedules by rule, for a warm start, a fallback and a yardstick.

- `edd_dispatch`: a simulation of the shop floor where each machine, when free and open, takes
  the waiting operation whose order is due first (a batch machine fills its cycle with waiting
  operations of the same family, most urgent first).
- `forward_booking`: what common ERP software does: orders one after the other in order of arrival,
  each operation booked into the first free slot of a machine that can do it.

Both respect calendars, batches, releases and operations frozen by re-planning. Operations that do
not fit before the end of the calendars are left out, and their jobs named in `Schedule.notes`.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping

from flyfab.planning.calendar import Window
from flyfab.planning.problem import Problem, Schedule, Slot

INF = 1 << 60


class Timeline:
    """A machine's open windows and the spans already booked on it."""

    def __init__(self, windows: tuple[Window, ...] | None) -> None:
        self.windows = windows if windows is not None else ((0, INF),)
        self.starts: list[int] = []
        self.ends: list[int] = []

    def earliest(self, ready: int, duration: int) -> int | None:
        """First start at or after `ready` of a free span of `duration` inside one open window."""
        w = max(0, bisect.bisect_right(self.windows, (ready, INF)) - 1)
        for a, b in self.windows[w:]:
            t = max(a, ready)
            while t + duration <= b:
                i = bisect.bisect_right(self.starts, t) - 1
                if i >= 0 and self.ends[i] > t:
                    t = self.ends[i]
                    continue
                if i + 1 < len(self.starts) and self.starts[i + 1] < t + duration:
                    t = self.ends[i + 1]
                    continue
                return t
        return None

    def book(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)

    def open_at(self, t: int) -> Window | None:
        w = bisect.bisect_right(self.windows, (t, INF)) - 1
        if w >= 0 and self.windows[w][0] <= t < self.windows[w][1]:
            return self.windows[w]
        return None

    def next_open(self, t: int) -> int | None:
        w = bisect.bisect_right(self.windows, (t, INF))
        return self.windows[w][0] if w < len(self.windows) else None


def _urgency(problem: Problem, j: int) -> tuple[int, int, int]:
    job = problem.jobs[j]
    return (job.due if job.due is not None else INF, job.release, j)


def edd_dispatch(
    problem: Problem,
    frozen: Mapping[tuple[int, int], Slot] | None = None,
    not_before: int = 0,
    priority: Mapping[int, int] | None = None,
    rule: str = "edd",
) -> Schedule:
    """Earliest-due-date dispatching (a lower `priority` value, when given, goes first). With
    rule "odd" each operation is due when its order is, less the work still to do after it
    (operation due dates), which favours long routes."""
    frozen = frozen or {}
    machines = problem.machines
    timelines = [Timeline(m.open_windows) for m in machines]
    slots: list[Slot] = list(frozen.values())
    free_at = [not_before] * len(machines)
    for s in frozen.values():
        free_at[s.machine] = max(free_at[s.machine], s.end)
    cycle_no = [0] * len(machines)

    after: dict[tuple[int, int], int] = {}
    if rule == "odd":
        for j, job in enumerate(problem.jobs):
            rest = 0
            for k in range(len(job.operations) - 1, -1, -1):
                after[(j, k)] = rest
                rest += min(o.duration for o in job.operations[k].options)

    def key(j: int, k: int) -> tuple[int, ...]:
        due, release, _ = _urgency(problem, j)
        u = (due - after.get((j, k), 0), release, j)
        return (priority.get(j, 0), *u) if priority else u

    # Waiting operations, per set of machines that can take them, most urgent first.
    queues: dict[tuple[int, ...], list[tuple[tuple[int, ...], int, int]]] = defaultdict(list)
    serves: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    events: list[tuple[int, int]] = []  # (time, job) when a job's next operation becomes ready
    wake: list[tuple[int, int]] = []  # (time, machine)
    nxt = [0] * len(problem.jobs)
    for j, job in enumerate(problem.jobs):
        ready = max(job.release, not_before)
        k = 0
        while k < len(job.operations) and (j, k) in frozen:
            ready = max(ready, frozen[(j, k)].end)
            k += 1
        nxt[j] = k
        if k < len(job.operations):
            heapq.heappush(events, (ready, j))

    def enqueue(j: int) -> None:
        op = problem.jobs[j].operations[nxt[j]]
        ms = tuple(sorted(o.machine for o in op.options))
        if ms not in serves[ms[0]]:
            for m in ms:
                serves[m].append(ms)
        bisect.insort(queues[ms], (key(j, nxt[j]), j, nxt[j]))

    pending = 0
    t = 0
    stuck: set[int] = set()
    while events or wake or pending:
        times = [e[0] for e in (events[:1] + wake[:1])]
        if not times:
            break
        t = min(times)
        while events and events[0][0] == t:
            _, j = heapq.heappop(events)
            enqueue(j)
            pending += 1
        while wake and wake[0][0] == t:
            heapq.heappop(wake)
        for m, machine in enumerate(machines):
            if free_at[m] > t or not serves[m]:
                continue
            window = timelines[m].open_at(t)
            candidates = [(q[0], ms) for ms in serves[m] if (q := queues[ms])]
            if not candidates:
                continue
            if window is None:
                nxt_open = timelines[m].next_open(t)
                if nxt_open is not None:
                    heapq.heappush(wake, (nxt_open, m))
                continue
            (_urg, j, k), ms = min(candidates)
            op = problem.jobs[j].operations[k]
            d = op.duration_on(m) or 0
            if t + d > window[1]:
                # Does not fit before the window closes: wait for the next one.
                nxt_open = timelines[m].next_open(window[1])
                if nxt_open is not None:
                    heapq.heappush(wake, (nxt_open, m))
                continue
            members = [(j, k, ms)]
            if machine.batch:
                room = machine.capacity - op.load
                for other_ms in serves[m]:
                    for _, j2, k2 in queues[other_ms]:
                        op2 = problem.jobs[j2].operations[k2]
                        if (j2, k2) != (j, k) and op2.family == op.family and op2.load <= room:
                            members.append((j2, k2, other_ms))
                            room -= op2.load
            for j2, k2, ms2 in members:
                queue = queues[ms2]
                for i, entry in enumerate(queue):
                    if entry[1] == j2 and entry[2] == k2:
                        del queue[i]
                        break
                pending -= 1
                d2 = problem.jobs[j2].operations[k2].duration_on(m) or 0
                end = t + (d if machine.batch else d2)
                slots.append(Slot(j2, k2, m, t, end, cycle_no[m] if machine.batch else -1))
                nxt[j2] += 1
                if nxt[j2] < len(problem.jobs[j2].operations):
                    heapq.heappush(events, (end, j2))
            cycle_no[m] += machine.batch
            free_at[m] = t + d
            timelines[m].book(t, t + d)
            heapq.heappush(wake, (t + d, m))
        if not events and pending and not wake:
            # Waiting operations no machine will open for again: past the calendars' end.
            for queue in queues.values():
                stuck.update(j for _, j, _ in queue)
                queue.clear()
            pending = 0
    return _finish(problem, slots, stuck, f"{rule} dispatch")


def _finish(problem: Problem, slots: list[Slot], stuck: Iterable[int], source: str) -> Schedule:
    stuck = set(stuck)
    schedule = Schedule([s for s in slots if s.job not in stuck], source=source)
    schedule.notes = [problem.jobs[j].name for j in sorted(stuck)]
    return schedule


class Booking:
    """Machine timelines with batch cycles, for booking operations into the first free slot."""

    def __init__(self, problem: Problem, slots: Iterable[Slot] = ()) -> None:
        self.problem = problem
        self.timelines = [Timeline(m.open_windows) for m in problem.machines]
        # Per batch machine: [start, end, family, load, cycle number]
        self.cycles: dict[int, list[list[int | str]]] = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        for s in slots:
            op = problem.jobs[s.job].operations[s.step]
            if problem.machines[s.machine].batch:
                for c in self.cycles[s.machine]:
                    if c[0] == s.start and c[2] == op.family:
                        c[3] = int(c[3]) + op.load
                        break
                else:
                    self.cycles[s.machine].append([s.start, s.end, op.family, op.load, s.batch])
            if (s.machine, s.start) not in seen or not problem.machines[s.machine].batch:
                self.timelines[s.machine].book(s.start, s.end)
                seen.add((s.machine, s.start))

    def place(self, j: int, k: int, ready: int) -> Slot | None:
        """Book operation k of job j at its earliest finish on any of its machines."""
        op = self.problem.jobs[j].operations[k]
        best: tuple[int, int, int, int] | None = None  # (end, start, machine, cycle index or -1)
        for o in op.options:
            machine = self.problem.machines[o.machine]
            if machine.batch:
                for i, c in enumerate(self.cycles[o.machine]):
                    if c[2] == op.family and int(c[0]) >= ready and int(c[3]) + op.load <= machine.capacity:
                        cand = (int(c[1]), int(c[0]), o.machine, i)
                        if best is None or cand < best:
                            best = cand
            s = self.timelines[o.machine].earliest(ready, o.duration)
            if s is not None and (best is None or (s + o.duration, s) < best[:2]):
                best = (s + o.duration, s, o.machine, -1)
        if best is None:
            return None
        end, start, m, ci = best
        machine = self.problem.machines[m]
        if ci >= 0:
            c = self.cycles[m][ci]
            c[3] = int(c[3]) + op.load
            return Slot(j, k, m, start, end, int(c[4]))
        self.timelines[m].book(start, end)
        batch = -1
        if machine.batch:
            batch = len(self.cycles[m]) + 10_000  # numbered apart from cycles already planned
            self.cycles[m].append([start, end, op.family, op.load, batch])
        return Slot(j, k, m, start, end, batch)


def forward_booking(
    problem: Problem,
    order: Iterable[int] | None = None,
    frozen: Mapping[tuple[int, int], Slot] | None = None,
    not_before: int = 0,
) -> Schedule:
    """Jobs in `order` (default: by release, then as listed), each booked operation by operation
    into the first free slot."""
    frozen = frozen or {}
    booking = Booking(problem, frozen.values())
    slots = list(frozen.values())
    stuck = []
    jobs = (
        list(order)
        if order is not None
        else sorted(range(len(problem.jobs)), key=lambda j: (problem.jobs[j].release, j))
    )
    for j in jobs:
        job = problem.jobs[j]
        ready = max(job.release, not_before)
        placed = []
        for k in range(len(job.operations)):
            if (j, k) in frozen:
                ready = max(ready, frozen[(j, k)].end)
                continue
            slot = booking.place(j, k, ready)
            if slot is None:
                stuck.append(j)
                break
            placed.append(slot)
            ready = slot.end
        slots.extend(placed)
    return _finish(problem, slots, stuck, "forward booking")


def earliest_completion(problem: Problem, j: int) -> int | None:
    """When job j would be done in an idle factory (calendars only), or None past the calendars."""
    job = problem.jobs[j]
    t = job.release
    for op in job.operations:
        ends = []
        for o in op.options:
            start = Timeline(problem.machines[o.machine].open_windows).earliest(t, o.duration)
            if start is not None:
                ends.append(start + o.duration)
        if not ends:
            return None
        t = min(ends)
    return t
