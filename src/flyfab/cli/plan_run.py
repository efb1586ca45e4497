"""What `flyfab plan` and `flyfab plan-example` do (cli/plan.py declares them; this module, with
the solver and plotting libraries it needs, is imported only when they run)."""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from flyfab.cli.app import fail, progress_bar
from flyfab.planning import gantt
from flyfab.planning.demo import demo_orders
from flyfab.planning.factory import Factory, FactoryError, load_factory
from flyfab.planning.instances import InstanceError, read_fjsp, read_jobshop
from flyfab.planning.orders import InputError, read_input
from flyfab.planning.problem import Problem, Schedule
from flyfab.planning.report import PlanFileError, centre_loads, order_results, plan_json, read_booked
from flyfab.planning.scheduler import Goal, Plan, plan, replan_booked
from flyfab.planning.shop import solve_shop
from flyfab.planning.validate import violations

JOBSHOP_SCHEMA = "flyfab.jobshop/1"


def plan_command(
    input: Path | None,
    factory_file: Path | None,
    time_limit: float,
    as_json: bool,
    out: Path | None,
    start: str | None,
    goal: str,
    jobshop: Path | None,
    fjsp: bool,
    workers: int,
    previous: Path | None,
    now: str | None,
) -> None:
    """`flyfab plan` (options described in `cli.plan`)."""
    if time_limit <= 0:
        raise fail("--time-limit must be positive")
    if workers < 1:
        raise fail("--workers must be at least 1")
    if jobshop is not None:
        if input is not None:
            raise fail("give either INPUT or --jobshop FILE, not both")
        _jobshop(jobshop, fjsp, time_limit, workers, as_json)
        return
    if fjsp:
        raise fail("--fjsp goes with --jobshop FILE")
    if input is None:
        raise fail("give the panels to plan (INPUT) or --jobshop FILE")
    if goal not in ("tardiness", "makespan"):
        raise fail(f"--goal must be tardiness or makespan, not {goal!r}")
    try:
        factory = load_factory(factory_file)
        data = read_input(input)
    except (FactoryError, InputError) as e:
        raise fail(str(e)) from None
    moment = None
    if start is not None:
        try:
            moment = datetime.fromisoformat(start)
        except ValueError:
            raise fail(f"--start {start!r} is not an ISO date-time") from None
    begin = moment or data.start or min((o.release for o in data.orders if o.release), default=None)
    if begin is None:
        begin = datetime.now().replace(second=0, microsecond=0)
    if (previous is None) != (now is None):
        raise fail("re-planning needs both --previous PLAN.json and --now")
    show = not as_json and sys.stderr.isatty()
    if previous is not None and now is not None:
        try:
            moment_now = datetime.fromisoformat(now)
        except ValueError:
            raise fail(f"--now {now!r} is not an ISO date-time") from None
        try:
            earlier_start, earlier = read_booked(json.loads(previous.read_text()), str(previous))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, PlanFileError) as e:
            raise fail(f"cannot use {previous}: {e}") from None
        result = _solve_with_progress(
            lambda progress: replan_booked(
                earlier_start, earlier, factory, data.orders, moment_now, time_limit, workers, progress
            ),
            time_limit,
            show=show,
        )
    else:
        result = _solve_with_progress(
            lambda progress: plan(
                factory, data.orders, begin, time_limit, workers, goal_of(goal), progress=progress
            ),
            time_limit,
            show=show,
        )
    result.issues[:0] = data.issues
    broken = violations(result.problem, result.schedule)
    if broken:  # never expected: the planner returns only validated schedules
        raise fail("internal error: the plan breaks rules: " + "; ".join(broken[:3]), 1)
    document = plan_json(result, factory)
    if out is not None:
        _write(out, result, document)
    if as_json:
        print(json.dumps(document, indent=2))
    else:
        _print_plan(result, factory, Console())
    if any(not i.planned for i in result.issues):
        raise typer.Exit(1)


def goal_of(text: str) -> Goal:
    return "makespan" if text == "makespan" else "tardiness"


def _solve_with_progress(run: Any, time_limit: float, show: bool) -> Plan:
    if not show:
        plan_result: Plan = run(None)
        return plan_result
    box: dict[str, Any] = {}
    state = {"text": "dispatching"}

    def progress(phase: str, seconds: float, objective: tuple[int, int] | None) -> None:
        if objective is not None:
            state["text"] = f"{phase}: weighted tardiness {objective[0]} min, makespan {objective[1]} min"

    def work() -> None:
        try:
            box["plan"] = run(progress)
        except BaseException as e:  # re-raised in the main thread
            box["error"] = e

    thread = threading.Thread(target=work, daemon=True)
    with progress_bar(counts=False) as bar:
        task = bar.add_task("planning", total=time_limit)
        t0 = time.perf_counter()
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
            bar.update(task, completed=min(time_limit, time.perf_counter() - t0), description=state["text"])
    if "error" in box:
        raise box["error"]
    result: Plan = box["plan"]
    return result


def _write(out: Path, result: Plan, document: dict[str, Any]) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan.json").write_text(json.dumps(document, indent=2) + "\n")
        gantt.write_html(result.problem, result.schedule, result.start, out / "gantt.html")
        gantt.write_png(result.problem, result.schedule, result.start, out / "gantt-machines.png", "machine")
        gantt.write_png(result.problem, result.schedule, result.start, out / "gantt-orders.png", "order")
    except OSError as e:
        raise fail(f"cannot write to {out}: {e.strerror}") from None


def _print_plan(result: Plan, factory: Factory, console: Console) -> None:
    results = order_results(result, factory)
    table = Table(title=f"Plan from {result.start:%a %d %b %Y %H:%M} ({result.schedule.source})")
    for column in ("order", "due", "completion", "lateness", "ships", "why late"):
        table.add_column(column, justify="right" if column == "lateness" else "left")
    for r in results:
        late = f"[red]{_hm(r.lateness)}[/]" if r.lateness > 0 else _hm(r.lateness)
        table.add_row(
            r.order,
            f"{r.due:%a %d %b %H:%M}",
            f"{r.completion:%a %d %b %H:%M}",
            late,
            f"{r.ship:%a %d %b}",
            r.why.text() if r.why else "",
        )
    console.print(table)
    loads = Table(title="Work centres")
    for column in ("centre", "machines", "utilisation", "cycles", "mean fill"):
        loads.add_column(column, justify="left" if column == "centre" else "right")
    for c in centre_loads(result):
        loads.add_row(
            c.centre,
            str(c.machines),
            f"{100 * c.utilisation:.0f} %",
            str(c.cycles or ""),
            f"{100 * c.fill:.0f} %" if c.cycles else "",
        )
    console.print(loads)
    overdue = [r for r in results if r.lateness > 0]
    console.print(
        f"{len(results)} orders planned, {len(overdue)} late, total lateness "
        f"{_hm(sum(r.lateness for r in overdue))}; {result.stats.get('seconds')} s"
    )
    for issue in result.issues:
        style = "yellow" if issue.planned else "red"
        console.print(f"[{style}]{issue.order}:[/] {issue.reason}", highlight=False)


def _hm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    m = abs(minutes)
    return f"{sign}{m // 60}h{m % 60:02d}"


def _jobshop(path: Path, flexible: bool, time_limit: float, workers: int, as_json: bool) -> None:
    try:
        problem = read_fjsp(path) if flexible else read_jobshop(path)
    except InstanceError as e:
        raise fail(f"{e}" + ("" if flexible else " (a flexible job shop? add --fjsp)")) from None
    show = not as_json and sys.stderr.isatty()
    schedule = _solve_shop(problem, time_limit, workers, show)
    broken = violations(problem, schedule)
    if broken:
        raise fail("internal error: the schedule breaks rules: " + "; ".join(broken[:3]), 1)
    document = jobshop_json(problem, schedule)
    if as_json:
        print(json.dumps(document, indent=2))
        return
    console = Console()
    gap = f"{100 * (schedule.makespan / schedule.bound - 1):.2f} % above the bound" if schedule.bound else ""
    console.print(
        f"{problem.name}: makespan {schedule.makespan}, lower bound {schedule.bound}"
        f"{' (optimal)' if schedule.optimal else ''} {gap}",
        highlight=False,
    )
    table = Table(title="Machine sequences (job.step start–end)")
    table.add_column("machine", justify="right")
    table.add_column("operations")
    for m in range(len(problem.machines)):
        ops = sorted((s for s in schedule.slots if s.machine == m), key=lambda s: s.start)
        table.add_row(str(m), " ".join(f"{s.job}.{s.step}@{s.start}–{s.end}" for s in ops))
    console.print(table)


def _solve_shop(problem: Problem, time_limit: float, workers: int, show: bool) -> Schedule:
    if not show:
        return solve_shop(problem, time_limit, workers)
    with progress_bar(counts=False) as bar:
        task = bar.add_task("solving", total=time_limit)
        t0 = time.perf_counter()

        def progress(phase: str, makespan: int, bound: int | None) -> None:
            bar.update(
                task,
                completed=min(time_limit, time.perf_counter() - t0),
                description=f"{phase}: makespan {makespan}, bound {bound}",
            )

        return solve_shop(problem, time_limit, workers, progress=progress)


def jobshop_json(problem: Problem, schedule: Schedule) -> dict[str, Any]:
    """Jobs, steps and machines numbered from 0, as in the classic file format (the flexible
    format numbers machines from 1; they are shifted down by one here)."""
    return {
        "schema": JOBSHOP_SCHEMA,
        "instance": problem.name,
        "makespan": schedule.makespan,
        "bound": schedule.bound,
        "optimal": schedule.optimal,
        "operations": [
            {"job": s.job, "step": s.step, "machine": s.machine, "start": s.start, "end": s.end}
            for s in sorted(schedule.slots, key=lambda s: (s.job, s.step))
        ],
    }


def plan_example_command(out: Path, panels: int, seed: int) -> None:
    """`flyfab plan-example`."""
    if panels < 1:
        raise fail("--panels must be at least 1")
    try:
        out.write_text(json.dumps(demo_orders(panels, seed), indent=1) + "\n")
    except OSError as e:
        raise fail(f"cannot write {out}: {e.strerror}") from None
    print(f"wrote {panels} panels to {out}")
