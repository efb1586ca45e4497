"""Panel pictures and the traveller sheet: what the shop floor looks at.

The layout picture (SVG and PNG, drawn with matplotlib) shows the panel, its frame and marks, each
board with its order number (colour per order) and the panel's utilisation. The traveller is a
self-contained HTML page that goes with the panel: the process, the orders with quantities and
due dates, every board's position, and the picture.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from flyfab.pooling.model import Panel

PALETTE = [plt.get_cmap("tab20")(i) for i in range(20)]


def figure(panel: Panel) -> Figure:
    W, H = panel.size.width_mm, panel.size.height_mm
    scale = 8.0 / max(W, H)
    fig = Figure(figsize=(W * scale + 0.4, H * scale + 0.9))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96 * H * scale / (H * scale + 0.5)))
    ax.set_xlim(-1, W + 1)
    ax.set_ylim(-1, H + 1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(Rectangle((0, 0), W, H, facecolor="#d8c99b", edgecolor="black", linewidth=1))
    f = panel.frame_mm
    ax.add_patch(
        Rectangle((f, f), W - 2 * f, H - 2 * f, facecolor="#f4efe1", edgecolor="#8a7f60", linewidth=0.5)
    )
    colours = {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(panel.orders())}
    for p in panel.placements:
        ax.add_patch(
            Rectangle(
                (p.x_mm, p.y_mm),
                p.width_mm,
                p.height_mm,
                facecolor=colours[p.order],
                edgecolor="black",
                linewidth=0.4,
            )
        )
        label = f"{p.order}\n#{p.copy}" if min(p.width_mm, p.height_mm) > 12 else p.order
        ax.text(
            p.x_mm + p.width_mm / 2,
            p.y_mm + p.height_mm / 2,
            label,
            ha="center",
            va="center",
            # About a fifth of the board's short side (in points), readable but inside the board.
            fontsize=max(3.0, min(9.0, min(p.width_mm, p.height_mm) * scale * 72 * 0.2)),
            rotation=90 if p.height_mm > 1.5 * p.width_mm else 0,
        )
    for m in panel.marks:
        if m.kind == "tooling-hole":
            ax.add_patch(
                Circle(
                    (m.x_mm, m.y_mm), m.diameter_mm / 2, facecolor="white", edgecolor="black", linewidth=0.5
                )
            )
        elif m.kind == "fiducial":
            ax.add_patch(Circle((m.x_mm, m.y_mm), m.diameter_mm, facecolor="#c87533", edgecolor="none"))
        elif m.kind == "panel-id":
            ax.text(m.x_mm, m.y_mm, panel.id, fontsize=6, va="bottom", ha="left", family="monospace")
    ax.set_title(
        f"{panel.id}  {panel.size.label()} mm  {len(panel.placements)} boards  "
        f"utilisation {panel.utilisation:.1%}  due {panel.due.isoformat()}",
        fontsize=9,
    )
    return fig


def write_pictures(panel: Panel, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fig = figure(panel)
    svg, png = folder / f"{panel.id}.svg", folder / f"{panel.id}.png"
    fig.savefig(svg, format="svg", metadata={"Date": None})
    fig.savefig(png, format="png", dpi=150)
    return svg, png


def traveller(
    panel: Panel, quantities: dict[str, int], dues: dict[str, str], picture_png: bytes | None
) -> str:
    """The traveller sheet as one HTML page (the picture embedded)."""
    e = html.escape
    per_order: dict[str, list[str]] = {}
    for p in panel.placements:
        per_order.setdefault(p.order, []).append(f"#{p.copy}")
    rows = "".join(
        f"<tr><td>{e(o)}</td><td>{quantities.get(o, 0)}</td><td>{len(c)}</td>"
        f"<td>{e(dues.get(o, ''))}</td></tr>"
        for o, c in per_order.items()
    )
    places = "".join(
        f"<tr><td>{e(p.order)}</td><td>{p.copy}</td><td>{p.x_mm:.3f}</td><td>{p.y_mm:.3f}</td>"
        f"<td>{p.width_mm:.3f} × {p.height_mm:.3f}</td><td>{'90°' if p.rotated else '0°'}</td></tr>"
        for p in panel.placements
    )
    proc = panel.process.as_dict()
    params = "".join(
        f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in proc.items() if v is not None
    )
    data = base64.b64encode(picture_png).decode() if picture_png else ""
    img = f'<img alt="layout of {e(panel.id)}" src="data:image/png;base64,{data}">' if picture_png else ""
    notes = "".join(f"<li>{e(n)}</li>" for n in panel.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Traveller {e(panel.id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #999;padding:2px 8px;text-align:left}}img{{max-width:100%}}</style></head>
<body>
<h1>Traveller {e(panel.id)}</h1>
<p>Panel {e(panel.size.label())} mm, frame {panel.frame_mm:g} mm, spacing {panel.spacing_mm:g} mm;
{len(panel.placements)} boards; utilisation {panel.utilisation:.1%}; due {panel.due.isoformat()}.</p>
<h2>Process</h2><table>{params}</table>
<h2>Orders</h2>
<table><tr><th>order</th><th>ordered</th><th>boards on this panel</th><th>due</th></tr>{rows}</table>
<h2>Positions</h2>
<p>Lower-left corner of each board as placed, millimetres from the panel's lower-left corner; 90° = turned
counter-clockwise.</p>
<table><tr><th>order</th><th>copy</th><th>x</th><th>y</th><th>size</th><th>turn</th></tr>{places}</table>
{"<h2>Notes</h2><ul>" + notes + "</ul>" if notes else ""}
{img}
</body></html>
"""


def png_bytes(panel: Panel) -> bytes:
    buf = io.BytesIO()
    figure(panel).savefig(buf, format="png", dpi=100)
    return buf.getvalue()
