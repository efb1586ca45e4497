"""The CP-SAT model of a `Problem`: a flexible job shop with calendars, batches, release and due
dates, operations frozen by re-planning, and a hint to start from.

Each operation has a start and an end and one optional interval per machine it may run on (exactly
one present). Closed time of a machine's calendar enters its no-overlap constraint as fixed
intervals. A batch machine runs cycles: candidate cycles per family and machine are intervals
of their own, and each batch operation joins exactly one cycle among a few near its due-date rank
(so the model stays small), whose load must fit the capacity.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from flyfab.planning.problem import Problem, Schedule, Slot

# How many candidate cycles on each side of its due-date rank a batch operation may join.
CYCLE_WINDOW = 2


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 2
    hint: Schedule | None = None
    # Re-planning: slots that must stay as they are (started or done), and the previous plan whose
    # other slots should move only when that lowers the tardiness.
    frozen: Mapping[tuple[int, int], Slot] = field(default_factory=dict)
    previous: Schedule | None = None
    upper_bound: int | None = None  # makespan problems: look only for makespans up to this
    not_before: int = 0  # re-planning: nothing that is not frozen starts before this
    horizon: int | None = None
    on_solution: Callable[[Schedule, float], None] | None = None
    stop: Callable[[], bool] | None = None  # polled; ends the search early when it says so
    on_bound: Callable[[float], None] | None = None  # each better lower bound of the objective
    log: bool = False
    parameters: Mapping[str, object] = field(default_factory=dict)  # extra CP-SAT parameters


@dataclass
class _Op:
    job: int
    step: int
    start: cp_model.IntVar
    end: cp_model.IntVar
    choice: dict[int, cp_model.IntVar | int]  # machine -> presence literal (1 when the only one)
    cycle: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)


class _Model:
    def __init__(self, problem: Problem, options: SolveOptions) -> None:
        self.p = problem
        self.o = options
        self.m = cp_model.CpModel()
        self.ops: dict[tuple[int, int], _Op] = {}
        self.per_machine: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
        self.cycle_slots: dict[
            tuple[int, str], list[tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]]
        ] = {}
        self.horizon = options.horizon or _horizon(problem, options)
        self.objective_var: cp_model.IntVar | None = None
        self.makespan_var: cp_model.IntVar | None = None
        self.late_vars: dict[int, cp_model.IntVar] = {}
        self.moved_vars: dict[tuple[int, int], tuple[cp_model.IntVar, int, int]] = {}

    def build(self) -> None:
        p, m, h = self.p, self.m, self.horizon
        for j, job in enumerate(p.jobs):
            prev_end: cp_model.IntVar | None = None
            for k, op in enumerate(job.operations):
                frozen = self.o.frozen.get((j, k))
                lo = max(job.release, self.o.not_before) if frozen is None else frozen.start
                s = m.new_int_var(lo, h, f"s{j}_{k}")
                e = m.new_int_var(lo, h, f"e{j}_{k}")
                choice: dict[int, cp_model.IntVar | int] = {}
                options = [o for o in op.options if frozen is None or o.machine == frozen.machine]
                for opt in options:
                    batch = p.machines[opt.machine].batch
                    if len(options) == 1:
                        lit: cp_model.IntVar | int = 1
                        iv = m.new_interval_var(s, opt.duration, e, f"i{j}_{k}")
                    else:
                        lit = m.new_bool_var(f"x{j}_{k}_{opt.machine}")
                        iv = m.new_optional_interval_var(s, opt.duration, e, lit, f"i{j}_{k}_{opt.machine}")
                    choice[opt.machine] = lit
                    if not batch:
                        self.per_machine[opt.machine].append(iv)
                if len(options) > 1:
                    m.add_exactly_one([v for v in choice.values() if not isinstance(v, int)])
                if frozen is not None:
                    m.add(s == frozen.start)
                if prev_end is not None:
                    m.add(s >= prev_end)
                self.ops[(j, k)] = _Op(j, k, s, e, choice)
                prev_end = e
        self._calendars()
        self._batches()
        self._no_overlap()
        self._objective()
        self._hint()

    def _calendars(self) -> None:
        for i, machine in enumerate(self.p.machines):
            if machine.open_windows is None:
                continue
            t = 0
            for a, b in [*machine.open_windows, (self.horizon + 1, self.horizon + 1)]:
                end = min(a, self.horizon + 1)
                if end > t:
                    self.per_machine[i].append(self.m.new_fixed_size_interval_var(t, end - t, f"off{i}_{t}"))
                t = max(t, b)
                if t > self.horizon:
                    break

    def _batches(self) -> None:
        p, m, h = self.p, self.m, self.horizon
        groups: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
        frozen_cycles: set[tuple[int, int, int]] = set()
        for (j, k), op in self.ops.items():
            for machine in op.choice:
                if not p.machines[machine].batch:
                    continue
                fz = self.o.frozen.get((j, k))
                if fz is not None:
                    frozen_cycles.add((machine, fz.start, fz.end))
                else:
                    groups[(machine, p.jobs[j].operations[k].family)].append((j, k))
        for machine, start, end in sorted(frozen_cycles):
            self.per_machine[machine].append(m.new_fixed_size_interval_var(start, end - start, "frozen"))
        rank = {key: i for i, key in enumerate(sorted(self.ops, key=self._urgency))}
        hinted = self._hinted_cycles()
        for (machine, family), members in groups.items():
            cap = p.machines[machine].capacity
            members.sort(key=lambda key: rank[key])
            load = sum(p.jobs[j].operations[k].load for j, k in members)
            full = max(1, math.ceil(load / cap))
            # The average number of operations per cycle places each operation's candidate cycles,
            # unless the hint says which cycle it was in.
            per_cycle = max(1.0, len(members) / full)
            centre = {key: int(i / per_cycle) for i, key in enumerate(members)}
            centre.update({key: c for key, c in hinted.items() if key in centre and c >= 0})
            count = min(len(members), max(full + 1, max(centre.values()) + 1))
            duration = max(p.jobs[j].operations[k].duration_on(machine) or 0 for j, k in members)
            slots: list[tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]] = []
            for c in range(count):
                y = m.new_bool_var(f"y{machine}_{family}_{c}")
                s = m.new_int_var(0, h, f"cs{machine}_{family}_{c}")
                e = m.new_int_var(0, h, f"ce{machine}_{family}_{c}")
                self.per_machine[machine].append(m.new_optional_interval_var(s, duration, e, y, "cycle"))
                if c > 0:
                    # Cycles are used in order: no gaps in the numbering, no swapped twins.
                    m.add_implication(y, slots[c - 1][0])
                    m.add(s >= slots[c - 1][2]).only_enforce_if(y)
                slots.append((y, s, e))
            self.cycle_slots[(machine, family)] = slots
            members_of: list[list[tuple[cp_model.IntVar, int]]] = [[] for _ in range(count)]
            for j, k in members:
                op = self.ops[(j, k)]
                c0 = min(centre[(j, k)], count - 1)
                lits = []
                for c in range(max(0, c0 - CYCLE_WINDOW), min(count - 1, c0 + CYCLE_WINDOW) + 1):
                    x = m.new_bool_var(f"b{j}_{k}_{machine}_{c}")
                    y, s, e = slots[c]
                    m.add(op.start == s).only_enforce_if(x)
                    m.add_implication(x, y)
                    op.cycle[(machine, c)] = x
                    members_of[c].append((x, p.jobs[j].operations[k].load))
                    lits.append(x)
                on_machine = op.choice[machine]
                if isinstance(on_machine, int):
                    m.add_exactly_one(lits)
                else:
                    m.add(sum(lits) == on_machine)
            for c, entries in enumerate(members_of):
                y = slots[c][0]
                if entries:
                    m.add(sum(load * x for x, load in entries) <= cap * y)
                    m.add_bool_or([x for x, _ in entries]).only_enforce_if(y)
                else:
                    m.add(y == 0)

    def _no_overlap(self) -> None:
        for ivs in self.per_machine.values():
            if len(ivs) > 1:
                self.m.add_no_overlap(ivs)

    def _hinted_cycles(self) -> dict[tuple[int, int], int]:
        """Each batch operation's cycle number in the hint: cycles of one machine and family
        counted in time order."""
        out: dict[tuple[int, int], int] = {}
        if self.o.hint is None:
            return out
        starts: dict[tuple[int, str], list[int]] = defaultdict(list)
        free = [s for s in self.o.hint.slots if (s.job, s.step) not in self.o.frozen]
        for s in free:
            if self.p.machines[s.machine].batch:
                family = self.p.jobs[s.job].operations[s.step].family
                starts[(s.machine, family)].append(s.start)
        order = {key: sorted(set(v)) for key, v in starts.items()}
        for s in free:
            if self.p.machines[s.machine].batch:
                family = self.p.jobs[s.job].operations[s.step].family
                out[(s.job, s.step)] = order[(s.machine, family)].index(s.start)
        return out

    def _urgency(self, key: tuple[int, int]) -> tuple[int, int, int]:
        job = self.p.jobs[key[0]]
        return (job.due if job.due is not None else self.horizon, job.release, key[0])

    def _objective(self) -> None:
        p, m, h = self.p, self.m, self.horizon
        ends = [self.ops[(j, len(job.operations) - 1)].end for j, job in enumerate(p.jobs) if job.operations]
        cmax = m.new_int_var(0, h, "makespan")
        m.add_max_equality(cmax, ends)
        self.makespan_var = cmax
        if self.o.upper_bound is not None:
            m.add(cmax <= self.o.upper_bound)
        if p.objective == "makespan":
            m.minimize(cmax)
            self.objective_var = cmax
            return
        terms = []
        for j, job in enumerate(p.jobs):
            if job.due is None or not job.operations:
                continue
            late = m.new_int_var(0, h, f"late{j}")
            m.add(late >= self.ops[(j, len(job.operations) - 1)].end - job.due)
            self.late_vars[j] = late
            terms.append(job.weight * late)
        if self.o.previous is not None:
            # Re-planning: tardiness first, then as few operations as possible moved.
            moved = []
            for s in self.o.previous.slots:
                op = self.ops.get((s.job, s.step))
                if op is None or (s.job, s.step) in self.o.frozen:
                    continue
                mv = m.new_bool_var(f"moved{s.job}_{s.step}")
                self.moved_vars[(s.job, s.step)] = (mv, s.start, s.machine)
                m.add(op.start == s.start).only_enforce_if(~mv)
                lit = op.choice.get(s.machine)
                if lit is None:
                    continue
                if not isinstance(lit, int):
                    m.add_implication(~mv, lit)
                moved.append(mv)
            m.minimize((len(moved) + 1) * sum(terms) + sum(moved))
        else:
            m.minimize((h + 1) * sum(terms) + cmax)

    def _hint(self) -> None:
        hint = self.o.hint
        if hint is None:
            return
        m = self.m
        cycles = self._hinted_cycles()
        used: dict[tuple[int, str], dict[int, tuple[int, int]]] = defaultdict(dict)
        for s in hint.slots:
            op = self.ops.get((s.job, s.step))
            if op is None:
                continue
            m.add_hint(op.start, s.start)
            m.add_hint(op.end, s.end)
            for machine, lit in op.choice.items():
                if not isinstance(lit, int):
                    m.add_hint(lit, machine == s.machine)
            c = cycles.get((s.job, s.step), -1)
            for (machine, cc), x in op.cycle.items():
                m.add_hint(x, machine == s.machine and cc == c)
            if c >= 0:
                family = self.p.jobs[s.job].operations[s.step].family
                used[(s.machine, family)][c] = (s.start, s.end)
        for key, slots in self.cycle_slots.items():
            last = 0
            for c, (y, start, end) in enumerate(slots):
                span = used.get(key, {}).get(c)
                m.add_hint(y, span is not None)
                if span is not None:
                    last = span[1]
                m.add_hint(start, span[0] if span else last)
                m.add_hint(end, span[1] if span else last)
        # A complete hint is checked at once and becomes the first solution.
        ends: dict[int, int] = {}
        placed = {(s.job, s.step): s for s in hint.slots}
        for s in hint.slots:
            ends[s.job] = max(ends.get(s.job, 0), s.end)
        if self.makespan_var is not None:
            m.add_hint(self.makespan_var, max(ends.values(), default=0))
        for j, late in self.late_vars.items():
            due = self.p.jobs[j].due or 0
            m.add_hint(late, max(0, ends.get(j, 0) - due))
        for op_key, (mv, was, where) in self.moved_vars.items():
            slot = placed.get(op_key)
            m.add_hint(mv, slot is None or slot.start != was or slot.machine != where)

    def solution(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> list[Slot]:
        slots = []
        for (j, k), op in self.ops.items():
            machine = next(mc for mc, lit in op.choice.items() if isinstance(lit, int) or solver.value(lit))
            batch = -1
            for (mc, c), x in op.cycle.items():
                if mc == machine and solver.value(x):
                    batch = c
            slots.append(Slot(j, k, machine, solver.value(op.start), solver.value(op.end), batch))
        return slots


def _horizon(problem: Problem, options: SolveOptions) -> int:
    if options.upper_bound is not None and not problem.has_calendars and problem.objective == "makespan":
        return options.upper_bound
    total = sum(max(o.duration for o in op.options) for j in problem.jobs for op in j.operations)
    latest = max((j.release for j in problem.jobs), default=0) + total
    if options.hint is not None:
        latest = min(latest, 2 * options.hint.makespan + 1) if problem.objective == "makespan" else latest
    windows = [w[-1][1] for m in problem.machines if (w := m.open_windows)]
    if windows:
        latest = min(latest, max(windows))
    return max(latest, 1)


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, model: _Model, report: Callable[[Schedule, float], None]) -> None:
        super().__init__()
        self.model, self.report, self.t0 = model, report, time.perf_counter()

    def on_solution_callback(self) -> None:
        self.report(Schedule(self.model.solution(self), source="cp-sat"), time.perf_counter() - self.t0)


def solve_cpsat(problem: Problem, options: SolveOptions) -> tuple[Schedule | None, str]:
    """The best schedule CP-SAT finds within the options' limits (None if none) and its status."""
    model = _Model(problem, options)
    model.build()
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, options.time_limit)
    solver.parameters.num_workers = options.workers
    solver.parameters.log_search_progress = options.log
    for key, value in options.parameters.items():
        if isinstance(value, list | tuple):
            getattr(solver.parameters, key).extend(value)  # repeated fields (subsolvers)
        else:
            setattr(solver.parameters, key, value)
    callback = _Callback(model, options.on_solution) if options.on_solution else None
    if options.on_bound is not None:
        solver.best_bound_callback = options.on_bound
    done = threading.Event()
    watcher = None
    if options.stop is not None:
        should_stop = options.stop

        def watch() -> None:
            while not done.wait(0.05):
                if should_stop():
                    solver.stop_search()
                    return

        watcher = threading.Thread(target=watch, name="cp-sat-stop", daemon=True)
        watcher.start()
    try:
        status = solver.solve(model.m, callback)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, name
    schedule = Schedule(model.solution(solver), source="cp-sat", optimal=status == cp_model.OPTIMAL)
    if problem.objective == "makespan":
        schedule.bound = math.ceil(solver.best_objective_bound - 1e-6)
    return schedule, name
