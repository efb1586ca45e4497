"""The board's drilling: tools, hits, slots and plating over all drill files."""

from __future__ import annotations

from dataclasses import dataclass, field

from flyfab.cam.layerdata import LayerData
from flyfab.cam.model import Plating


@dataclass
class DrillTool:
    diameter_mm: float
    plating: str  # "plated", "non-plated" or "unknown"
    hits: int = 0
    slots: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class DrillSummary:
    tools: list[DrillTool] = field(default_factory=list)
    total_holes: int = 0
    total_slots: int = 0
    smallest_hole_mm: float | None = None
    plated_holes: int = 0
    non_plated_holes: int = 0
    unknown_plating_holes: int = 0
    files: list[str] = field(default_factory=list)


def plating_of(tool_plated: bool | None, file_plating: Plating | None) -> str:
    """A hole's plating: its tool's own statement wins over its file's role."""
    if tool_plated is True:
        return "plated"
    if tool_plated is False:
        return "non-plated"
    if file_plating in ("plated", "non-plated"):
        return file_plating
    return "unknown"


def summarise(drills: list[tuple[LayerData, Plating | None]]) -> DrillSummary:
    """`drills`: each drill file's data with the plating its role gives it."""
    tools: dict[tuple[float, str], DrillTool] = {}
    summary = DrillSummary()
    for data, file_plating in drills:
        summary.files.append(data.path)
        for hole in data.holes:
            plating = plating_of(hole.plated, file_plating)
            tool = tools.setdefault((round(hole.d, 4), plating), DrillTool(round(hole.d, 4), plating))
            tool.hits += 1
            if data.path not in tool.files:
                tool.files.append(data.path)
            summary.total_holes += 1
            if plating == "plated":
                summary.plated_holes += 1
            elif plating == "non-plated":
                summary.non_plated_holes += 1
            else:
                summary.unknown_plating_holes += 1
        for slot in data.slots:
            plating = plating_of(slot.plated, file_plating)
            tool = tools.setdefault((round(slot.d, 4), plating), DrillTool(round(slot.d, 4), plating))
            tool.slots += 1
            if data.path not in tool.files:
                tool.files.append(data.path)
            summary.total_slots += 1
    summary.tools = sorted(tools.values(), key=lambda t: (t.diameter_mm, t.plating))
    sizes = [t.diameter_mm for t in summary.tools if t.hits and t.diameter_mm > 0]
    summary.smallest_hole_mm = min(sizes) if sizes else None
    return summary
