"""Makespan schedules for textbook job shops and flexible job shops.

The strategy: a dispatching-rule schedule in milliseconds; tabu search on the machine sequences
(and on the machines of a flexible shop); CP-SAT with strong propagation in the no-overlap
constraints, started from the best schedule and bounded by its makespan, to improve it further
and to prove a lower bound. Stops early when the makespan meets the bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

import numpy as np

from flyfab.planning.cpsat import SolveOptions, solve_cpsat
from flyfab.planning.problem import Problem, Schedule, Slot
from flyfab.planning.tabu import Graph, TabuResult, tabu_search

Progress = Callable[[str, int, int | None], None]  # (phase, best makespan, bound)

# Edge finding, not-first/not-last and detectable precedences in the no-overlap constraints: with
# them CP-SAT proves most 15 × 15 shops optimal within seconds, without them within minutes.
CPSAT_PARAMETERS: Mapping[str, object] = {"use_strong_propagation_in_disjunctive": True}


def lower_bound(problem: Problem) -> int:
    """The longest job and, for machines that are the only option of their operations, the
    busiest machine; for flexible shops also the total work shared by all machines."""
    jobs = max(
        (sum(min(o.duration for o in op.options) for op in j.operations) for j in problem.jobs), default=0
    )
    load = [0] * len(problem.machines)
    total = 0
    for j in problem.jobs:
        for op in j.operations:
            d = min(o.duration for o in op.options)
            total += d
            if len(op.options) == 1:
                load[op.options[0].machine] += d
    shared = -(-total // max(1, len(problem.machines)))
    return max(jobs, max(load, default=0), shared)


def dispatch(problem: Problem, rule: str = "mwkr", rng: np.random.Generator | None = None) -> Schedule:
    """Giffler–Thompson active schedule: at each step the operation that can finish first fixes a
    machine and a time; among those that could start on it before then, `rule` picks (most work
    remaining, shortest processing time, or at random)."""
    jobs = problem.jobs
    nxt = [0] * len(jobs)
    ready = [j.release for j in jobs]
    free = [0] * len(problem.machines)
    remaining = [sum(min(o.duration for o in op.options) for op in j.operations) for j in jobs]
    slots: list[Slot] = []
    active = [j for j in range(len(jobs)) if jobs[j].operations]
    while active:
        best: tuple[int, int, int] | None = None  # (completion, machine, job)
        for j in active:
            op = jobs[j].operations[nxt[j]]
            for o in op.options:
                c = max(ready[j], free[o.machine]) + o.duration
                if best is None or c < best[0]:
                    best = (c, o.machine, j)
        assert best is not None
        c_star, m_star, _ = best
        conflict = []
        for j in active:
            op = jobs[j].operations[nxt[j]]
            d = op.duration_on(m_star)
            if d is not None and max(ready[j], free[m_star]) < c_star:
                conflict.append((j, d))
        if rule == "random" and rng is not None:
            j, d = conflict[int(rng.integers(len(conflict)))]
        elif rule == "spt":
            j, d = min(conflict, key=lambda t: (t[1], -remaining[t[0]]))
        else:
            j, d = max(conflict, key=lambda t: (remaining[t[0]], -t[1]))
        start = max(ready[j], free[m_star])
        slots.append(Slot(j, nxt[j], m_star, start, start + d))
        op = jobs[j].operations[nxt[j]]
        remaining[j] -= min(o.duration for o in op.options)
        free[m_star] = ready[j] = start + d
        nxt[j] += 1
        if nxt[j] == len(jobs[j].operations):
            active.remove(j)
    return Schedule(slots, source=f"dispatch-{rule}")


def graph_of(problem: Problem, schedule: Schedule) -> tuple[Graph, list[list[int]]]:
    """The disjunctive graph of a schedule's machine choices and its machine sequences."""
    index: dict[tuple[int, int], int] = {}
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            index[(j, k)] = len(index)
    n = len(index)
    p = np.zeros(n, np.int64)
    jp = np.full(n, -1, np.int64)
    js = np.full(n, -1, np.int64)
    rel = np.zeros(n, np.int64)
    mach = np.zeros(n, np.int64)
    alt_off = np.zeros(n + 1, np.int64)
    alt_m: list[int] = []
    alt_p: list[int] = []
    for (j, k), i in index.items():
        for o in problem.jobs[j].operations[k].options:
            alt_m.append(o.machine)
            alt_p.append(o.duration)
        alt_off[i + 1] = len(alt_m)
        if k > 0:
            jp[i] = index[(j, k - 1)]
            js[jp[i]] = i
        else:
            rel[i] = problem.jobs[j].release
    for s in schedule.slots:
        i = index[(s.job, s.step)]
        p[i] = s.end - s.start
        mach[i] = s.machine
    sequences: list[list[int]] = [[] for _ in problem.machines]
    for s in sorted(schedule.slots, key=lambda s: (s.start, s.end)):
        sequences[s.machine].append(index[(s.job, s.step)])
    graph = Graph(
        p,
        jp,
        js,
        rel,
        mach,
        len(problem.machines),
        alt_off,
        np.array(alt_m, np.int64),
        np.array(alt_p, np.int64),
    )
    return graph, sequences


def schedule_of(problem: Problem, graph: Graph, result: TabuResult, source: str) -> Schedule:
    _, r = graph.starts(result.sequences, result.mach, result.p)
    keys = [(j, k) for j, job in enumerate(problem.jobs) for k in range(len(job.operations))]
    slots = [
        Slot(j, k, int(result.mach[i]), int(r[i]), int(r[i] + result.p[i])) for i, (j, k) in enumerate(keys)
    ]
    return Schedule(slots, source=source)


def solve_shop(
    problem: Problem,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 1,
    progress: Progress | None = None,
    round_seconds: float | None = 10.0,
    cpsat_parameters: Mapping[str, object] | None = None,
    patience: float | None = 15.0,
) -> Schedule:
    """The shortest schedule found within `time_limit` seconds, with the best proven bound.

    Tabu search runs for the whole time in its own thread (compiled, without the interpreter lock)
    while CP-SAT runs beside it, started from the best schedule so far and bounded by it. CP-SAT
    keeps running, and learning, while it holds the best schedule or finds better bounds; once
    tabu search has a shorter schedule than the run has found and the run is `round_seconds`
    old, it restarts from that. Each adopts what the other finds better. When CP-SAT has found
    neither a better schedule nor a better bound for `patience` seconds, its core goes to a
    second tabu search. Stops when the makespan meets the proven bound."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    lock = threading.Lock()
    stop = threading.Event()
    lb = lower_bound(problem)
    best = min((dispatch(problem, rule) for rule in ("mwkr", "spt")), key=lambda s: s.makespan)
    best.bound = lb
    graph, sequences = graph_of(problem, best)
    index = {
        (j, k): i
        for i, (j, k) in enumerate(
            (j, k) for j, job in enumerate(problem.jobs) for k in range(len(job.operations))
        )
    }

    def offer(s: Schedule) -> None:
        nonlocal best
        with lock:
            if s.makespan < best.makespan:
                s.bound = best.bound
                best = s
                if progress is not None:
                    progress(s.source, s.makespan, s.bound)
            if best.makespan <= (best.bound or 0):
                stop.set()

    def adopt(makespan: int) -> tuple[list[list[int]], np.ndarray] | None:
        with lock:
            other = best if best.makespan < makespan and best.source != "tabu search" else None
        if other is None:
            return None
        seqs: list[list[int]] = [[] for _ in problem.machines]
        mach = graph.mach.copy()
        for s in sorted(other.slots, key=lambda s: (s.start, s.end)):
            seqs[s.machine].append(index[(s.job, s.step)])
            mach[index[(s.job, s.step)]] = s.machine
        return seqs, mach

    if progress is not None:
        progress(best.source, best.makespan, best.bound)

    def search(seconds: float, graph: Graph, start: list[list[int]], seed: int) -> None:
        tabu_search(
            graph,
            start,
            seconds=seconds,
            lower_bound=lb,
            seed=seed,
            stop=stop.is_set,
            on_improve=lambda r: offer(schedule_of(problem, graph, r, "tabu search")),
            adopt=adopt,
        )

    thread: threading.Thread | None = None
    if workers < 2:
        search(0.5 * time_limit, graph, sequences, seed)  # one core: tabu search first, CP-SAT after
    else:
        thread = threading.Thread(
            target=search, args=(time_limit, graph, sequences, seed), name="tabu-search", daemon=True
        )
        thread.start()
        # Let tabu search find a good first schedule for CP-SAT to start from and be bounded by.
        stop.wait(min(1.0, 0.05 * time_limit))

    helped = [time.perf_counter()]  # when CP-SAT last found a better schedule or bound

    def bound_found(value: float) -> None:
        raise_bound(math.ceil(value - 1e-6))

    def raise_bound(proven: int) -> None:
        with lock:
            if proven > (best.bound or 0):
                helped[0] = time.perf_counter()
                best.bound = proven
                if progress is not None:
                    progress("cp-sat bound", best.makespan, best.bound)
            if best.makespan <= (best.bound or 0):
                stop.set()

    run_began = [0.0]  # the current CP-SAT run's start and the best it found
    run_best = [0]

    def found_by_run(s: Schedule) -> None:
        run_best[0] = min(run_best[0], s.makespan)
        with lock:
            if s.makespan < best.makespan:
                helped[0] = time.perf_counter()
        offer(s)

    def hopeless() -> bool:
        # CP-SAT that has found nothing better for `patience` seconds, neither a schedule nor a
        # bound, hands its core to a second tabu search.
        return patience is not None and time.perf_counter() - helped[0] >= patience

    def stale() -> bool:
        # A run is kept while it holds the best schedule: what it has learnt (its bound above
        # all) is lost when it restarts. It restarts from tabu search's schedule when that is
        # shorter than anything the run has found, after `round_seconds`.
        if round_seconds is None or time.perf_counter() - run_began[0] < round_seconds:
            return False
        with lock:
            return best.makespan < run_best[0]

    while not stop.is_set() and deadline - time.perf_counter() > 0.05:
        with lock:
            start = best
        run_began[0] = time.perf_counter()
        run_best[0] = start.makespan
        found, _status = solve_cpsat(
            problem,
            SolveOptions(
                time_limit=deadline - run_began[0],
                workers=workers,
                hint=start,
                upper_bound=start.makespan,
                on_solution=lambda s, _: found_by_run(s),
                on_bound=bound_found,
                stop=lambda: stop.is_set() or stale() or hopeless(),
                parameters=CPSAT_PARAMETERS if cpsat_parameters is None else cpsat_parameters,
            ),
        )
        if found is not None:
            offer(found)
            # Bounded by the start's makespan, an optimum proves that nothing shorter exists.
            raise_bound(found.makespan if found.optimal else (found.bound or 0))
        if hopeless() and not stop.is_set():
            with lock:
                start = best
            search(deadline - time.perf_counter(), *graph_of(problem, start), seed + 1)
            break
    stop.set()
    if thread is not None:
        thread.join()
    best.optimal = best.bound is not None and best.makespan <= best.bound
    return best
