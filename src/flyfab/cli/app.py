"""The Typer application every command registers on, and what commands share."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from flyfab import __version__

app = typer.Typer(
    name="flyfab",
    help="flyfab: the online factory of a printed-circuit-board maker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def progress_bar(counts: bool = True, show: bool = True) -> Progress:
    """The bar of long commands, on stderr and gone when done: the stage, a bar, with `counts`
    "done/total", and the time spent."""
    columns: list[ProgressColumn] = [TextColumn("[progress.description]{task.description}"), BarColumn()]
    if counts:
        columns.append(MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=err, transient=True, disable=not show)


def _version(value: bool) -> None:
    if value:
        print(f"flyfab {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """flyfab: the online factory of a printed-circuit-board maker."""


def fail(message: str, code: int = 2) -> typer.Exit:
    # Not wrapped (programs read it line by line) and not markup: paths may hold brackets.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
