"""The pooling command: `flyfab pool`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flyfab.cli.app import app, fail, progress_bar

if TYPE_CHECKING:
    from flyfab.pooling.model import Rejected
    from flyfab.pooling.settings import PoolSettings
    from flyfab.services.pooling import Pooled


def _read_input(path: Path) -> tuple[list[tuple[Any, Path | None]], list[Rejected]]:
    """Orders from a JSON file (a list of orders, or one order) or a folder of such files."""
    from flyfab.pooling.model import Rejected

    if not path.exists():
        raise fail(f"{path} does not exist: give a JSON file with a list of orders, or a folder of them")
    files = sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise fail(f"{path} holds no .json order files")
    items: list[tuple[Any, Path | None]] = []
    problems: list[Rejected] = []
    for f in files:
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            if not path.is_dir():
                raise fail(f"{f} is not a JSON list of orders: {e}") from None
            problems.append(
                Rejected(f.name, f"{f} is not valid JSON ({e}); none of its orders were read", "bad-file")
            )
            continue
        batch = doc if isinstance(doc, list) else [doc] if isinstance(doc, dict) else None
        if batch is None:
            message = f"{f} holds {type(doc).__name__}, not a list of orders"
            if not path.is_dir():
                raise fail(message)
            problems.append(Rejected(f.name, message, "bad-file"))
            continue
        items += [(item, f.parent) for item in batch]
    return items, problems


def _settings(
    config: Path | None, panel: str | None, frame: float | None, spacing: float | None, no_rotation: bool
) -> PoolSettings:
    from flyfab.pooling.settings import SettingsError, load_settings, parse_size

    try:
        s = load_settings(config)
        changes: dict[str, Any] = {}
        if panel is not None:
            changes["sizes"] = tuple(parse_size(p) for p in panel.split(","))
        if frame is not None:
            changes["frame_mm"] = frame
        if spacing is not None:
            changes["spacing_mm"] = spacing
        if no_rotation:
            changes["rotation"] = False
        s = s.model_copy(update=changes)
    except (SettingsError, ValueError) as e:
        raise fail(str(e)) from None
    for size in s.sizes:
        if size.width_mm <= 2 * s.frame_mm or size.height_mm <= 2 * s.frame_mm:
            raise fail(f"a {s.frame_mm:g} mm frame leaves no room on a {size.label()} mm panel")
    return s


@app.command("pool")
def pool_command(
    input: Annotated[Path, typer.Argument(help="JSON list of orders, or a folder of .json order files.")],
    panel: Annotated[
        str | None,
        typer.Option(help="Panel size WxH in mm (several: comma-separated); default: the settings'."),
    ] = None,
    frame: Annotated[float | None, typer.Option(help="Frame width in mm (0 allowed).")] = None,
    spacing: Annotated[float | None, typer.Option(help="Gap between boards in mm (0 allowed).")] = None,
    no_rotation: Annotated[bool, typer.Option("--no-rotation", help="Never turn boards by 90°.")] = False,
    time_limit: Annotated[float, typer.Option(help="Seconds for the search, all groups together.")] = 10.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (schema flyfab.pool/1).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Write pool.json and, per panel, production data, pictures and traveller here."),
    ] = None,
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="Pooling settings TOML (default: the shipped one).")
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="The date due dates are checked against (default: today).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the randomised search.")] = 0,
) -> None:
    """Pool orders onto shared production panels: groups of compatible orders nested by due date.

    Exit code 0 when every order was pooled, 1 when some could not be (the output says which and
    why), 2 when the input or the options cannot be used."""
    if (frame is not None and frame < 0) or (spacing is not None and spacing < 0):
        raise fail("--frame and --spacing must be 0 or more millimetres")
    if time_limit < 0:
        raise fail("--time-limit must be 0 or more seconds")
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise fail(f"--today must be an ISO date like 2026-12-24, not {today!r}") from None
    # Imported here (as all of pooling): the nesting code loads numba and compiled code, which other
    # commands do not need.
    from flyfab.pooling.report import pool_json
    from flyfab.services.pooling import pool_orders, read_orders, write_panel_files

    settings = _settings(settings_file, panel, frame, spacing, no_rotation)
    items, file_problems = _read_input(input)
    orders, rejected = read_orders(items, day, settings)
    show = not as_json and sys.stderr.isatty()
    with progress_bar(show=show) as bar:
        task = bar.add_task("pooling", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        pooled = pool_orders(orders, settings, time_limit=time_limit, seed=seed, progress=progress)
        files: dict[str, list[str]] = {}
        if out is not None:
            try:
                files = write_panel_files(pooled, out, progress)
            except OSError as e:
                raise fail(f"cannot write to {out}: {e.strerror or e}") from None
    extra = [*file_problems, *rejected, *pooled.rejected]
    document = pool_json(pooled.result, pooled.orders, settings, time_limit, extra, files)
    if out is not None:
        try:
            (out / "pool.json").write_text(json.dumps(document, indent=2) + "\n")
        except OSError as e:
            raise fail(f"cannot write to {out}: {e.strerror or e}") from None
    if as_json:
        print(json.dumps(document, indent=2))
    else:
        _print(pooled, document, Console())
    if document["unplaced"]:
        raise typer.Exit(1)


def _print(pooled: Pooled, doc: dict[str, Any], console: Console) -> None:
    table = Table(title="Panels")
    for col in ("panel", "size mm", "boards", "orders", "utilisation", "due"):
        table.add_column(col, justify="right" if col in ("boards", "utilisation") else "left")
    for p in doc["panels"]:
        table.add_row(
            p["id"], f"{p['width_mm']:g}×{p['height_mm']:g}", str(p["boards"]), ", ".join(p["orders"]),
            f"{p['utilisation']:.1%}", p["due"],
        )  # fmt: skip
    console.print(table)
    for g in doc["groups"]:
        console.print(
            f"group {g['index']}: {len(g['panels'])} panels of {g['panel_size']} mm, lower bound "
            f"{g['lower_bound']} (area bound {g['area_bound']}), {g['method']}, {g['seconds']:.2f} s",
            highlight=False,
        )
    console.print(
        f"{len(doc['panels'])} panels, lower bound {doc['lower_bound']} (gap {doc['gap']}), "
        f"utilisation {doc['utilisation']:.1%}",
        highlight=False,
    )
    for u in doc["unplaced"]:
        console.print(f"[bold red]not pooled:[/] {u['order']}: {u['reason']}", highlight=False)
