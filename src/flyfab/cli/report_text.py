"""The analysis as a readable report (Rich tables), for people at a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from flyfab.cam.analyze import Analysis
from flyfab.cam.model import Severity
from flyfab.dfm.checks import DfmReport


def _mm(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_analysis(a: Analysis, console: Console) -> None:
    b = a.board
    console.print(f"[bold]{a.name}[/]  analysed in {a.seconds:.2f} s", highlight=False)
    size = f"{_mm(b.width_mm, 2)} × {_mm(b.height_mm, 2)} mm" if b.width_mm is not None else "unknown size"
    where = {
        "outline": f"outline {b.outline_file}",
        "drawing": f"edge drawn in {b.outline_source}",
        "copper": "copper extents (no outline)",
        "none": "no geometry",
    }[b.size_from]
    console.print(
        f"board: {size}, area {_mm(b.area_mm2, 1)} mm², {b.copper_layers} copper layer(s), "
        f"from {where}; generator: {b.generator or 'unknown'}",
        highlight=False,
    )
    if b.outline is not None and b.outline.cutouts:
        console.print(f"       {len(b.outline.cutouts)} cut-out(s) inside the board", highlight=False)

    files = Table(title="Layers", show_lines=False, title_justify="left")
    for col in ("file", "role", "evidence"):
        files.add_column(col, overflow="fold")
    for f in a.files:
        strongest = f.evidence[0] if f.evidence else None
        files.add_row(f.path, f.role.label(), strongest.text() if strongest else "")
    console.print(files)

    if b.stack:
        console.print("stack: " + " / ".join(f"L{i} {p}" for i, p, _ in b.stack), highlight=False)

    if a.features:
        feat = Table(title="Finest copper features", title_justify="left")
        for col in ("layer", "min trace mm", "at", "min gap mm", "at", "copper %"):
            feat.add_column(col)
        for cf in a.features:
            feat.add_row(
                f"L{cf.index} {cf.path}",
                _mm(cf.min_trace_width_mm),
                f"{cf.min_trace_at[0]:.2f}, {cf.min_trace_at[1]:.2f}" if cf.min_trace_at else "",
                _mm(cf.min_gap_mm),
                f"{cf.min_gap_at[0]:.2f}, {cf.min_gap_at[1]:.2f}" if cf.min_gap_at else "",
                f"{100 * cf.copper_fraction:.1f}" if cf.copper_fraction is not None else "—",
            )
        console.print(feat)

    d = a.drills
    if d.tools:
        drills = Table(
            title=f"Drills: {d.total_holes} holes, {d.total_slots} slots, smallest "
            f"{_mm(d.smallest_hole_mm)} mm",
            title_justify="left",
        )
        for col in ("Ø mm", "plating", "hits", "slots", "files"):
            drills.add_column(col)
        for t in d.tools:
            drills.add_row(f"{t.diameter_mm:.3f}", t.plating, str(t.hits), str(t.slots), ", ".join(t.files))
        console.print(drills)

    if a.ignored:
        ignored = Table(title="Ignored", title_justify="left")
        ignored.add_column("file", overflow="fold")
        ignored.add_column("reason", overflow="fold")
        for s in a.ignored:
            ignored.add_row(s.path, s.reason)
        console.print(ignored)

    if a.problems:
        console.print("[bold]Problems[/]")
        for p in a.problems:
            colour = "red" if p.severity is Severity.ERROR else "yellow"
            console.print(
                f"  [{colour}]{p.severity.value}[/] {p.path or '(upload)'}: {p.message}", highlight=False
            )
    else:
        console.print("no problems found")


def print_dfm(report: DfmReport, console: Console) -> None:
    built = report.min_class or "no class"
    console.print(
        f"[bold]Manufacturability[/] against [bold]{report.profile}[/] "
        f"(classes: {', '.join(report.classes)}): lowest class that can build it: [bold]{built}[/]"
    )
    if not report.findings:
        console.print("  no findings")
        return
    table = Table(show_edge=False, pad_edge=False)
    for col in ("severity", "rule", "layer", "measured", "required", "count", "worst at", "message"):
        table.add_column(col, overflow="fold")
    colours = {"error": "red", "upgrade": "yellow", "warning": "cyan"}
    for f in report.findings:
        req = f.required_mm
        shown = "–".join(f"{v:g}" for v in req) if isinstance(req, list) else _mm(req)
        at = f"{f.locations[0][0]:.2f}, {f.locations[0][1]:.2f}" if f.locations else ""
        table.add_row(
            f"[{colours[f.severity]}]{f.severity}[/]",
            f.rule,
            f.layer or "board",
            _mm(f.measured_mm),
            shown,
            str(f.count),
            at,
            f.message,
        )
    console.print(table)
