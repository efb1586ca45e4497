"""A panel's production data: every board's layers placed, turned and merged, plus the frame.

For each layer of the stack (copper L1..Ln, solder mask, silkscreen and paste per side, outline,
plated and non-plated drills) one file holds every board on the panel, moved to its placement and
turned by 90° where the layout turned it, with gerbonara's own transformations. The frame adds the
panel edge (outline), tooling holes (non-plated drills), fiducials (copper dots on both outer
layers with a mask opening) and the panel id written in the top copper in gerbonara's stroke font.
Gerber files carry X2 file functions, so any CAM tool (and `flyfab analyze`) knows each layer.

Orders given by size only have no files: their outline rectangle is drawn, and the panel notes say so.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gerbonara import ExcellonFile, GerberFile
from gerbonara import apertures as gap
from gerbonara import graphic_objects as go
from gerbonara.newstroke import Newstroke
from gerbonara.utils import MM

from flyfab.cam.model import Role
from flyfab.pooling.boards import BoardFiles
from flyfab.pooling.model import Panel, Placement

OUTLINE_PEN_MM = 0.1


@dataclass
class PanelData:
    gerbers: dict[str, GerberFile] = field(default_factory=dict)  # layer key -> merged layer
    drills: dict[str, ExcellonFile] = field(default_factory=dict)  # "plated" / "non-plated"
    notes: list[str] = field(default_factory=list)

    def files(self, panel_id: str) -> dict[str, Any]:
        """File name -> layer, in a stable order."""
        out: dict[str, Any] = {f"{panel_id}-{k}.gbr": v for k, v in sorted(self.gerbers.items())}
        out |= {f"{panel_id}-drill-{k}.drl": v for k, v in sorted(self.drills.items())}
        return out


def layer_key(role: Role, copper_layers: int) -> str | None:
    """The panel layer a board file goes into; None for files that are not merged (drawings, other)."""
    if role.type == "copper" and role.index:
        side = "top" if role.index == 1 else "bottom" if role.index == copper_layers else "inner"
        return f"copper-l{role.index}-{side}"
    if role.type in ("soldermask", "silkscreen", "solderpaste") and role.side in ("top", "bottom"):
        return f"{role.type}-{role.side}"
    if role.type == "outline":
        return "outline"
    return None


def _x2(key: str, layers: int) -> dict[str, tuple[str, ...]]:
    parts = key.split("-")
    if parts[0] == "copper":
        index = int(parts[1][1:])
        where = "Top" if parts[2] == "top" else "Bot" if parts[2] == "bottom" else "Inr"
        return {".FileFunction": ("Copper", f"L{index}", where), ".FilePolarity": ("Positive",)}
    side = "Top" if key.endswith("top") else "Bot"
    function = {"soldermask": "Soldermask", "silkscreen": "Legend", "solderpaste": "Paste"}.get(parts[0])
    if function is not None:
        polarity = "Negative" if function == "Soldermask" else "Positive"
        return {".FileFunction": (function, side), ".FilePolarity": (polarity,)}
    return {".FileFunction": ("Profile", "NP"), ".FilePolarity": ("Positive",)}


def _moved(objects: list[Any], dx: float, dy: float) -> list[Any]:
    out = []
    for o in objects:
        c = copy.copy(o)
        c.offset(dx, dy, MM)
        if isinstance(c, go.Region) and any(c.arc_centers):
            # gerbonara's Region.offset moves the outline but not its (absolute) arc centres.
            ux, uy = c.unit(dx, MM), c.unit(dy, MM)
            c.arc_centers = [(a[0], (a[1][0] + ux, a[1][1] + uy)) if a else None for a in c.arc_centers]
        out.append(c)
    return out


class _Turned:
    """Each board layer once as given and once turned 90° counter-clockwise about the origin."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, bool], Any] = {}

    def get(self, layer: Any, turned: bool) -> Any:
        key = (id(layer), turned)
        if key not in self.cache:
            if turned:
                layer = copy.deepcopy(layer)
                layer.rotate(-math.pi / 2, 0, 0, MM)  # gerbonara turns clockwise: -90° is counter-clockwise
            self.cache[key] = layer
        return self.cache[key]


def board_offset(board_bounds: tuple[float, float, float, float], p: Placement) -> tuple[float, float]:
    """The shift that brings the board (turned about its origin when placed rotated) to its placement."""
    x0, y0, _x1, y1 = board_bounds
    if p.rotated:  # (u, v) -> (-v, u): the outline box becomes [-y1, -y0] × [x0, x1]
        return p.x_mm + y1, p.y_mm - x0
    return p.x_mm - x0, p.y_mm - y0


def panel_data(panel: Panel, boards: dict[str, BoardFiles | None]) -> PanelData:
    data = PanelData()
    layers = panel.process.layers
    turned = _Turned()
    pen = gap.CircleAperture(OUTLINE_PEN_MM, unit=MM)

    def gerber(key: str) -> GerberFile:
        if key not in data.gerbers:
            data.gerbers[key] = GerberFile(file_attrs=_x2(key, layers))
        return data.gerbers[key]

    def drill(plated: bool) -> ExcellonFile:
        key = "plated" if plated else "non-plated"
        if key not in data.drills:
            data.drills[key] = ExcellonFile()
        return data.drills[key]

    tools: dict[tuple[int, bool], Any] = {}  # tools of unknown plating, given the file's
    sizes_only: set[str] = set()
    for p in panel.placements:
        board = boards.get(p.order)
        if board is None:
            sizes_only.add(p.order)
            _rectangle(gerber("outline"), p.x_mm, p.y_mm, p.width_mm, p.height_mm, pen)
            continue
        dx, dy = board_offset(board.bounds, p)
        for path, layer in board.layers().items():
            role = board.roles[path]
            placed = turned.get(layer, p.rotated)
            if role.type == "drill":
                objects = _moved(
                    placed.to_excellon(errors="ignore").objects
                    if isinstance(placed, GerberFile)
                    else placed.objects,
                    dx,
                    dy,
                )
                for o in objects:
                    plated = bool(
                        o.tool.plated if o.tool.plated is not None else role.plating != "non-plated"
                    )
                    if o.tool.plated is not plated:
                        o.tool = tools.setdefault(
                            (id(o.tool), plated), dataclasses.replace(o.tool, plated=plated)
                        )
                    drill(plated).objects.append(o)
                continue
            key = layer_key(role, board.copper_layers)
            if key is not None:
                gerber(key).objects.extend(_moved(placed.objects, dx, dy))
    if sizes_only:
        data.notes.append(
            "no fabrication files for " + ", ".join(sorted(sizes_only)) + ": only their outlines are drawn"
        )
    _frame(panel, data, gerber, drill, pen)
    return data


def _rectangle(layer: GerberFile, x: float, y: float, w: float, h: float, pen: Any) -> None:
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    for (ax, ay), (bx, by) in itertools.pairwise(corners):
        layer.objects.append(go.Line(ax, ay, bx, by, aperture=pen, unit=MM))


def _frame(panel: Panel, data: PanelData, gerber: Any, drill: Any, pen: Any) -> None:
    W, H = panel.size.width_mm, panel.size.height_mm
    _rectangle(gerber("outline"), 0.0, 0.0, W, H, pen)
    top, bottom = "copper-l1-top", f"copper-l{panel.process.layers}-bottom"
    coppers = [top] if panel.process.layers == 1 else [top, bottom]
    for mark in panel.marks:
        if mark.kind == "tooling-hole":
            tool = gap.ExcellonTool(mark.diameter_mm, plated=False, unit=MM)
            drill(False).objects.append(go.Flash(mark.x_mm, mark.y_mm, tool, unit=MM))
        elif mark.kind == "fiducial":
            dot = gap.CircleAperture(mark.diameter_mm, unit=MM)
            opening = gap.CircleAperture(2 * mark.diameter_mm, unit=MM)
            for key in coppers:
                gerber(key).objects.append(go.Flash(mark.x_mm, mark.y_mm, dot, unit=MM))
            for key in ("soldermask-top", "soldermask-bottom")[: len(coppers)]:
                gerber(key).objects.append(go.Flash(mark.x_mm, mark.y_mm, opening, unit=MM))
        elif mark.kind == "panel-id":
            size = mark.diameter_mm
            text_pen = gap.CircleAperture(size / 8, unit=MM)
            label = f"{panel.id} {panel.process.label().split(' ')[0]}"
            for stroke in Newstroke.load().render(
                label, size=size, x0=mark.x_mm, y0=mark.y_mm, scale=(1, -1)
            ):
                for (ax, ay), (bx, by) in itertools.pairwise(stroke):
                    gerber(top).objects.append(go.Line(ax, ay, bx, by, aperture=text_pen, unit=MM))


def write_panel_data(panel: Panel, data: PanelData, folder: Path) -> list[Path]:
    """Write the merged layers as Gerber (X2) and Excellon files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, layer in data.files(panel.id).items():
        path = folder / name
        if isinstance(layer, GerberFile):
            text = layer.write_to_bytes().decode()
            # gerbonara 1.5 writes "G75" without its "*", which readers drop (see cam/synth.py).
            path.write_text(text.replace("\nG75\n", "\nG75*\n"))
        else:
            layer.save(path)
        written.append(path)
    return written
