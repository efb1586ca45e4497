"""The pricing command: `quote`."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flyfab.cam.analyze import Analysis, analyze_upload
from flyfab.cam.cache import default_cache
from flyfab.cam.intake import IntakeError, IntakeLimits, Upload, read_upload
from flyfab.cam.model import Severity
from flyfab.cli.app import app, err, fail, progress_bar
from flyfab.dfm import DFM_AREAS, ProfileError, check, copper_limit, load_profiles
from flyfab.pricing import PriceBookError, Quote, QuoteError, load_price_book, make_quote
from flyfab.pricing.document import content_digest, quote_json
from flyfab.pricing.from_analysis import board_facts
from flyfab.pricing.money import show
from flyfab.pricing.quote import precheck


def _options(pairs: list[str]) -> dict[str, str]:
    asked: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise fail(f"--set {pair!r}: write option=value, e.g. --set surface_finish=ENIG")
        if name.strip() in asked:
            raise fail(f"--set {name.strip()} is given twice; set each option once")
        asked[name.strip()] = value.strip()
    return asked


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise fail(
            f"--at {text!r} is not a date and time: write ISO 8601, e.g. 2026-03-02T17:30 (factory time) "
            "or 2026-03-02T17:30+01:00"
        ) from None


def _analyse(upload: Upload, show_progress: bool, spans: float) -> Analysis:
    if not show_progress:
        return analyze_upload(upload, cache=default_cache(), areas=DFM_AREAS, spans=spans)
    with progress_bar() as bar:
        task = bar.add_task("reading layers", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return analyze_upload(upload, cache=default_cache(), progress=progress, areas=DFM_AREAS, spans=spans)


@app.command("quote")
def quote_command(
    path: Annotated[Path, typer.Argument(help="The upload: a .zip, a .tar.gz/.tgz, or a folder.")],
    qty: Annotated[int, typer.Option("--qty", metavar="N", help="Number of boards.")],
    options: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="OPTION=VALUE",
            help="option=value (repeat): e.g. surface_finish=ENIG, lead_time=express.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            metavar="DATETIME",
            help="When the order is placed (ISO 8601; without a zone: factory time). Default: now.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the quote as JSON (schema flyfab.quote/1).")
    ] = False,
    price_book: Annotated[
        Path | None,
        typer.Option("--price-book", metavar="FILE", help="Price book file (default: the shipped one)."),
    ] = None,
) -> None:
    """Price a board: total, itemised lines, every lead time with its ship date, the class DFM
    requires and why, the options not available and why.

    Exit code 0 priced; 1 priced, but files could not be read or no class can build the board as
    drawn (the order then waits for review); 2 the request or the input cannot be used."""
    asked = _options(options or [])
    moment = _moment(at)
    try:
        book = load_price_book(price_book)
        precheck(book, qty, asked)
    except (PriceBookError, QuoteError) as e:
        raise fail(str(e)) from None
    if not path.exists():
        raise fail(f"{path} does not exist: give the .zip, .tar.gz or folder of the fabrication files")
    try:
        upload = read_upload(path, IntakeLimits.from_env())
        profiles = load_profiles()
    except (IntakeError, ProfileError) as e:
        raise fail(str(e)) from None
    analysis = _analyse(upload, not as_json and sys.stderr.isatty(), copper_limit(profiles))
    facts = board_facts(analysis, check(analysis, profiles))
    digest = content_digest((f.path, f.data) for f in upload.files)
    try:
        quote = make_quote(book, facts, qty, asked, moment, upload_digest=digest)
    except (PriceBookError, QuoteError) as e:
        raise fail(str(e)) from None
    if as_json:
        print(json.dumps(quote_json(quote), indent=2, ensure_ascii=False))
    else:
        print_quote(quote, Console())
    unreadable = any(p.severity is Severity.ERROR for p in analysis.problems)
    if unreadable or not quote.buildable:
        if unreadable:
            err.print("[yellow]some files could not be read: `flyfab analyze` lists them[/]")
        raise typer.Exit(1)


def print_quote(q: Quote, console: Console) -> None:
    minor = q.minor_unit
    b = q.board
    console.print(
        f"[bold]Quote {q.quote_id}[/] for {b.name or 'the board'}: {q.quantity} boards, "
        f"valid until {q.expires_at:%Y-%m-%d %H:%M %Z}",
        highlight=False,
    )
    console.print(
        f"board {b.width_mm.normalize():f} × {b.height_mm.normalize():f} mm, {b.layers} copper layers, "
        f"{b.holes} holes; class required: [bold]{b.min_class or 'not checked'}[/]",
        highlight=False,
    )
    for reason in b.class_reasons:
        console.print(f"  because {reason}", highlight=False)
    if b.unbuildable:
        console.print("[bold red]no class can build the board as drawn:[/]")
        for reason in b.unbuildable:
            console.print(f"  {reason}", highlight=False)
    lines = Table(show_edge=False, pad_edge=False)
    lines.add_column("")
    lines.add_column(q.currency, justify="right")
    for line in q.lines:
        lines.add_row(line.label, show(line.amount, minor))
    lines.add_row("[bold]total[/]", f"[bold]{show(q.total, minor)}[/]")
    console.print(lines)
    console.print(
        f"unit price {show(q.unit_price, minor / 100)} {q.currency} (before shipping)", highlight=False
    )
    tiers = Table(title="Lead times", title_justify="left", show_edge=False, pad_edge=False)
    for col in ("", "tier", "working days", "ships", f"total {q.currency}"):
        tiers.add_column(col)
    for t in q.tiers:
        tiers.add_row(
            "▶" if t.selected else "",
            t.label,
            str(t.working_days),
            f"{t.ship_date:%a %Y-%m-%d}",
            show(t.total, minor),
        )
    console.print(tiers)
    chosen = ", ".join(f"{q.option_labels.get(c.option, c.option)} {c.value}" for c in q.choices.values())
    if chosen:
        console.print(f"options: {chosen}", highlight=False)
    if q.unavailable:
        console.print("[bold]Not available for this board[/]")
        for u in q.unavailable:
            what = f"{u.option}={u.value}" if u.value is not None else u.option
            console.print(f"  {what}: {u.reason}", highlight=False)
    for note in q.notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)
