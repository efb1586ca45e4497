"""The planning commands: `flyfab plan` schedules panels through the factory, or solves one
textbook job-shop instance with the same solver (`--jobshop`); `flyfab plan-example` writes demo
panels. The work is in `plan_run`, imported when a command runs: the solver and plotting libraries
it loads would otherwise slow down every other command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flyfab.cli.app import app


@app.command("plan")
def plan_command(
    input: Annotated[
        Path | None, typer.Argument(help="Panels to plan: JSON (see docs/planning.md). Not with --jobshop.")
    ] = None,
    factory_file: Annotated[
        Path | None,
        typer.Option("--factory", help="Factory model (TOML; default: the shipped demo factory)."),
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds the solver may take.")] = 60.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (schema flyfab.plan/1).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write plan.json, gantt.html and the Gantt PNGs into this folder."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", help="Plan start (ISO date-time; default: the input's, or the earliest release)."
        ),
    ] = None,
    goal: Annotated[
        str, typer.Option(help="Objective: tardiness (then makespan) or makespan (then tardiness).")
    ] = "tardiness",
    jobshop: Annotated[
        Path | None, typer.Option("--jobshop", help="Solve one textbook job-shop instance instead.")
    ] = None,
    fjsp: Annotated[
        bool, typer.Option("--fjsp", help="The --jobshop file is a flexible job shop (Brandimarte format).")
    ] = False,
    workers: Annotated[int, typer.Option(help="CP-SAT workers (cores).")] = 2,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="Re-plan: the earlier plan.json; what started before --now stays."),
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help="Re-plan: the moment (ISO date-time).")] = None,
) -> None:
    """Plan panels through the factory's work centres: completion and lateness per order, utilisation
    per work centre, Gantt charts. Exit code 1 when some order could not be planned (the rest is)."""
    from flyfab.cli import plan_run

    plan_run.plan_command(
        input, factory_file, time_limit, as_json, out, start, goal, jobshop, fjsp, workers, previous, now
    )


@app.command("plan-example")
def plan_example_command(
    out: Annotated[Path, typer.Argument(help="Where to write the panels (JSON).")] = Path("panels.json"),
    panels: Annotated[int, typer.Option(help="How many panels.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the random mix.")] = 7,
) -> None:
    """Write demo panels for the demo factory: an input for `flyfab plan`."""
    from flyfab.cli import plan_run

    plan_run.plan_example_command(out, panels, seed)
