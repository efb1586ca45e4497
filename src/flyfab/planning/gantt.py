"""Gantt charts of a plan, by machine and by order: interactive HTML (plotly) and PNG (matplotlib)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt
import plotly.graph_objects as go
from matplotlib import colormaps
from matplotlib.collections import PolyCollection

from flyfab.planning.problem import Problem, Schedule


def _rows(problem: Problem, schedule: Schedule, by: str) -> list[str]:
    if by == "machine":
        used = {s.machine for s in schedule.slots}
        return [m.name for i, m in enumerate(problem.machines) if i in used]
    jobs = sorted({s.job for s in schedule.slots})
    return [problem.jobs[j].name for j in jobs]


def figure(problem: Problem, schedule: Schedule, start: datetime, by: str) -> go.Figure:
    """Bars per machine (coloured by work centre) or per order (coloured by work centre)."""
    centres = sorted({m.centre for m in problem.machines})
    palette = colormaps["tab20"]
    colour = {
        c: "#{:02x}{:02x}{:02x}".format(*(int(255 * v) for v in palette(i % 20)[:3]))
        for i, c in enumerate(centres)
    }
    fig = go.Figure()
    for centre in centres:
        slots = [s for s in schedule.slots if problem.machines[s.machine].centre == centre]
        if not slots:
            continue
        rows = [
            problem.machines[s.machine].name if by == "machine" else problem.jobs[s.job].name for s in slots
        ]
        fig.add_trace(
            go.Bar(
                name=centre,
                y=rows,
                base=[(start + timedelta(minutes=s.start)).isoformat() for s in slots],
                x=[(s.end - s.start) * 60_000 for s in slots],
                orientation="h",
                marker_color=colour[centre],
                hovertext=[
                    f"{problem.jobs[s.job].name} step {s.step} "
                    f"{problem.jobs[s.job].operations[s.step].name}<br>{problem.machines[s.machine].name}: "
                    f"{start + timedelta(minutes=s.start):%a %d %b %H:%M} – "
                    f"{start + timedelta(minutes=s.end):%H:%M}"
                    for s in slots
                ],
                hoverinfo="text",
            )
        )
    rows = _rows(problem, schedule, by)
    fig.update_layout(
        title=f"{problem.name}: plan by {by}",
        barmode="overlay",
        xaxis={"type": "date"},
        yaxis={"categoryorder": "array", "categoryarray": rows[::-1], "title": by},
        height=max(400, 18 * len(rows) + 150),
        legend_title="work centre",
    )
    return fig


def write_html(problem: Problem, schedule: Schedule, start: datetime, path: Path) -> None:
    """One self-contained page (no network needed) with both charts."""
    parts = [
        figure(problem, schedule, start, by).to_html(full_html=False, include_plotlyjs=(i == 0))
        for i, by in enumerate(("machine", "order"))
    ]
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>flyfab plan</title></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


def write_png(problem: Problem, schedule: Schedule, start: datetime, path: Path, by: str) -> None:
    rows = _rows(problem, schedule, by)
    index = {name: i for i, name in enumerate(rows)}
    centres = sorted({m.centre for m in problem.machines})
    palette = colormaps["tab20"]
    height = min(60.0, max(4.0, 0.16 * len(rows) + 1.5))
    fig, ax = plt.subplots(figsize=(16, height))
    for ci, centre in enumerate(centres):
        boxes = []
        for s in schedule.slots:
            if problem.machines[s.machine].centre != centre:
                continue
            name = problem.machines[s.machine].name if by == "machine" else problem.jobs[s.job].name
            y, x0, x1 = index[name], s.start / 1440, s.end / 1440
            boxes.append([(x0, y - 0.4), (x1, y - 0.4), (x1, y + 0.4), (x0, y + 0.4)])
        if boxes:
            # One collection per work centre: thousands of bars draw in a moment.
            ax.add_collection(PolyCollection(boxes, facecolors=palette(ci % 20), label=centre))
    ax.set_xlim(0, max(1, schedule.makespan) / 1440 * 1.01)
    ax.set_ylim(-1, len(rows))
    ax.set_yticks(range(len(rows)), rows, fontsize=6 if len(rows) > 60 else 8)
    ax.invert_yaxis()
    ax.set_xlabel(f"days from {start:%a %d %b %Y %H:%M}")
    ax.set_title(f"{problem.name}: plan by {by}")
    handles, labels = ax.get_legend_handles_labels()
    seen = dict(zip(labels, handles, strict=False))
    ax.legend(seen.values(), seen.keys(), fontsize=7, loc="upper right", ncol=2)
    ax.grid(axis="x", alpha=0.3)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.6 / height, bottom=0.6 / height)
    fig.savefig(path, dpi=100)
    plt.close(fig)
