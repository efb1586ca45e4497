"""Large-neighbourhood search with CP-SAT for factory-sized problems.

A whole factory (hundreds of panels, thousands of operations, calendars, batches) is too large for
CP-SAT to improve as one model within a minute, but a few dozen orders at a time are not: keep
every other order where it is — its operations become closed time on their machines — and let
CP-SAT re-plan the chosen ones from where they are (a complete, feasible hint). Neighbourhoods are
a late order with the orders that went before it on its machines, or the orders at work in a time
window; their size grows while CP-SAT solves them to optimality and shrinks when it cannot.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flyfab.planning.calendar import Window
from flyfab.planning.cpsat import SolveOptions, solve_cpsat
from flyfab.planning.dispatching import earliest_completion
from flyfab.planning.problem import Job, Machine, Problem, Schedule, Slot
from flyfab.planning.validate import violations

Score = Callable[[Schedule], tuple[int, int]]

log = logging.getLogger(__name__)

# CP-SAT's time for one neighbourhood, and what a round needs besides.
ROUND_SECONDS = 3.0
MARGIN = 0.4

# Problems this small are handed to CP-SAT whole first.
WHOLE_MODEL_OPERATIONS = 600


@dataclass
class LnsStats:
    rounds: int = 0
    improvements: int = 0
    sizes: list[int] = field(default_factory=list)


def renumber_cycles(problem: Problem, slots: list[Slot]) -> list[Slot]:
    """Batch cycles numbered per machine in time order (slots of one cycle share start and end)."""
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for s in slots:
        if problem.machines[s.machine].batch:
            spans[s.machine].append((s.start, s.end))
    number = {m: {span: i for i, span in enumerate(sorted(set(v)))} for m, v in spans.items()}
    return [
        Slot(s.job, s.step, s.machine, s.start, s.end, number[s.machine][(s.start, s.end)])
        if problem.machines[s.machine].batch
        else s
        for s in slots
    ]


def _subtract(windows: tuple[Window, ...], busy: list[Window], horizon: int) -> tuple[Window, ...]:
    out: list[Window] = []
    i = 0
    busy.sort()
    for a, b in windows:
        if a >= horizon:
            break
        b = min(b, horizon)
        t = a
        while i < len(busy) and busy[i][1] <= t:
            i += 1
        k = i
        while k < len(busy) and busy[k][0] < b:
            if busy[k][0] > t:
                out.append((t, busy[k][0]))
            t = max(t, busy[k][1])
            k += 1
        if t < b:
            out.append((t, b))
    return tuple(out)


def subproblem(
    problem: Problem,
    current: Schedule,
    chosen: list[int],
    frozen: Mapping[tuple[int, int], Slot],
    horizon: int,
) -> tuple[Problem, Schedule, dict[tuple[int, int], Slot]]:
    """The chosen jobs alone on machines whose other work has become closed time; their current
    slots as the hint; what must not move (frozen, or sharing a batch cycle with a job left out)."""
    keep = set(chosen)
    local = {j: i for i, j in enumerate(chosen)}
    busy: dict[int, list[Window]] = defaultdict(list)
    shared: set[tuple[int, int, int]] = set()
    cycles: dict[tuple[int, int, int], list[Slot]] = defaultdict(list)
    for s in current.slots:
        if problem.machines[s.machine].batch:
            cycles[(s.machine, s.start, s.end)].append(s)
        elif s.job not in keep:
            busy[s.machine].append((s.start, s.end))
    for key, members in cycles.items():
        if all(s.job not in keep for s in members):
            busy[key[0]].append((key[1], key[2]))
        elif any(s.job not in keep for s in members):
            shared.add(key)
    fixed: dict[tuple[int, int], Slot] = {}
    hint: list[Slot] = []
    for s in current.slots:
        if s.job in keep:
            moved = Slot(local[s.job], s.step, s.machine, s.start, s.end, s.batch)
            hint.append(moved)
            if (s.job, s.step) in frozen or (s.machine, s.start, s.end) in shared:
                fixed[(local[s.job], s.step)] = moved
    machines = tuple(
        Machine(
            m.name,
            m.capacity,
            _subtract(
                m.open_windows if m.open_windows is not None else ((0, horizon),), busy.get(i, []), horizon
            ),
            m.centre,
        )
        for i, m in enumerate(problem.machines)
    )
    jobs: tuple[Job, ...] = tuple(problem.jobs[j] for j in chosen)
    return Problem(jobs, machines, problem.objective, problem.name), Schedule(hint), fixed


def _late_neighbourhood(
    problem: Problem, current: Schedule, size: int, rng: random.Random, floor: Mapping[int, int]
) -> list[int]:
    ends: dict[int, int] = defaultdict(int)
    for s in current.slots:
        ends[s.job] = max(ends[s.job], s.end)
    # Lateness an idle factory could not avoid is no reason to pick a job.
    late = [
        (j, problem.jobs[j].weight * (ends[j] - max(problem.jobs[j].due or ends[j], floor.get(j, 0))))
        for j in ends
    ]
    late = [(j, w) for j, w in late if w > 0]
    if not late:
        # Nothing late: work on the jobs that end last.
        last = max(ends.values(), default=0)
        late = [(j, 1 + e) for j, e in ends.items() if e >= last - 1]
    seed = rng.choices([j for j, _ in late], weights=[w for _, w in late])[0]
    chosen = [seed]
    seen = {seed}
    by_machine: dict[int, list[Slot]] = defaultdict(list)
    for s in current.slots:
        by_machine[s.machine].append(s)
    # The jobs that went before the seed on its machines, nearest first.
    rivals: list[tuple[int, int]] = []
    for s in current.slots:
        if s.job != seed:
            continue
        for other in by_machine[s.machine]:
            if other.job not in seen and other.start <= s.start:
                rivals.append((s.start - other.start, other.job))
    rivals.sort()
    for _, j in rivals:
        if len(chosen) >= size:
            break
        if j not in seen:
            seen.add(j)
            chosen.append(j)
    return chosen


def _window_neighbourhood(problem: Problem, current: Schedule, size: int, rng: random.Random) -> list[int]:
    t = rng.randrange(0, max(1, current.makespan))
    active = sorted({s.job for s in current.slots if s.start <= t < s.end + 240})
    if not active:
        active = sorted({s.job for s in current.slots})
    rng.shuffle(active)
    return active[:size]


def improve(
    problem: Problem,
    start: Schedule,
    seconds: float,
    score: Score,
    workers: int = 2,
    frozen: Mapping[tuple[int, int], Slot] | None = None,
    previous: Schedule | None = None,
    not_before: int = 0,
    seed: int = 1,
    on_better: Callable[[Schedule], None] | None = None,
    stats: LnsStats | None = None,
) -> Schedule:
    """The best schedule reached from `start` within `seconds`; never worse than `start`."""
    deadline = time.perf_counter() + seconds
    rng = random.Random(seed)
    frozen = frozen or {}
    stats = stats if stats is not None else LnsStats()
    current = start
    best_score = score(current)
    whole = problem.operation_count() <= WHOLE_MODEL_OPERATIONS
    size = len(problem.jobs) if whole else min(len(problem.jobs), 25)
    floor = {j: t for j in range(len(problem.jobs)) if (t := earliest_completion(problem, j)) is not None}
    previous_by_job: dict[int, list[Slot]] = defaultdict(list)
    if previous is not None:
        for s in previous.slots:
            previous_by_job[s.job].append(s)
    while True:
        left = deadline - time.perf_counter()
        if left < 0.5 + MARGIN:
            break
        stats.rounds += 1
        if size >= len(problem.jobs):
            chosen = list(range(len(problem.jobs)))
        elif rng.random() < 0.7:
            chosen = _late_neighbourhood(problem, current, size, rng, floor)
        else:
            chosen = _window_neighbourhood(problem, current, size, rng)
        chosen.sort()
        stats.sizes.append(len(chosen))
        horizon = max(current.makespan, max((j.due or 0) for j in problem.jobs)) + 3 * 1440
        sub, hint, fixed = subproblem(problem, current, chosen, frozen, horizon)
        local_prev = None
        if previous is not None:
            local = {j: i for i, j in enumerate(chosen)}
            local_prev = Schedule(
                [
                    Slot(local[s.job], s.step, s.machine, s.start, s.end, s.batch)
                    for j in chosen
                    for s in previous_by_job.get(j, [])
                ]
            )
        # Leave time to build the model before and to check the result after.
        limit = left - MARGIN if whole and stats.rounds == 1 else min(left - MARGIN, ROUND_SECONDS)
        began = time.perf_counter()
        found, status = solve_cpsat(
            sub,
            SolveOptions(
                time_limit=limit,
                workers=workers,
                hint=hint,
                frozen=fixed,
                previous=local_prev,
                not_before=not_before,
                horizon=horizon,
            ),
        )
        took = time.perf_counter() - began
        log.debug(
            "round %d: %d jobs, %d operations, %s in %.2f s; %s",
            stats.rounds,
            len(chosen),
            sub.operation_count(),
            status,
            took,
            score(current),
        )
        if status == "OPTIMAL" and took < 0.5 * limit:
            size = min(len(problem.jobs), int(size * 1.25) + 1)
        elif status != "OPTIMAL":
            size = max(4, int(size * 0.85))
        if found is None:
            continue
        placed = {
            (chosen[s.job], s.step): Slot(chosen[s.job], s.step, s.machine, s.start, s.end, s.batch)
            for s in found.slots
        }
        merged = [placed.get((s.job, s.step), s) for s in current.slots]
        candidate = Schedule(renumber_cycles(problem, merged), source="cp-sat lns")
        new_score = score(candidate)
        # Equal schedules are taken too: moving along a plateau changes the next neighbourhoods.
        if new_score <= best_score and not violations(problem, candidate, limit=1):
            if new_score < best_score:
                stats.improvements += 1
                if on_better is not None:
                    on_better(candidate)
            current, best_score = candidate, new_score
        if whole and status == "OPTIMAL" and size >= len(problem.jobs):
            break
    return current
