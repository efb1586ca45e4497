"""What a picture of the board shows, built from an analysis: shapes and the paint laid over them.

A board view is a stack of paints over a few base shapes (board, holes, copper, mask openings,
silkscreen), each paint limited to where other shapes are or are not: copper shows gold where the
mask leaves it open and a lighter mask colour where the mask covers it; the factory clips
silkscreen from mask openings and never prints it over holes. Writers (SVG, PNG) get this recipe,
not finished geometry, so the view costs no polygon overlays: SVG expresses "within" and "outside"
as masks, the rasteriser as coverage products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from flyfab.cam.analyze import Analysis
from flyfab.cam.image import Stroke
from flyfab.cam.islands import as_array, polygons
from flyfab.cam.layerdata import LayerData
from flyfab.cam.tolerance import circle_quad_segs
from flyfab.render.colors import Palette

Geoms = NDArray[np.object_]
Bounds = tuple[float, float, float, float]


@dataclass
class Paint:
    """A colour laid over a shape, opaque: where it shows it hides every paint before it."""

    label: str
    shape: str  # name of a base shape
    color: str  # #rrggbb
    within: tuple[str, ...] = ()  # shown only where all of these are
    outside: tuple[str, ...] = ()  # and where none of these is


@dataclass
class Marker:
    """A point to mark on the picture (a DFM finding), with its colour and a short label."""

    x: float
    y: float
    color: str
    label: str = ""
    radius_mm: float = 0.6


@dataclass
class Scene:
    name: str
    bounds: Bounds  # board mm, margin included
    shapes: dict[str, Geoms]
    paints: list[Paint]
    mirror: bool = False  # seen from below: mirrored left to right
    background: str | None = None  # None: transparent
    markers: list[Marker] = field(default_factory=list)
    title: str = ""
    antialias: bool = True  # smooth edges (shapes drawn at twice the resolution)


def _margin(bounds: Bounds) -> Bounds:
    x0, y0, x1, y1 = bounds
    m = max(1.0, 0.03 * max(x1 - x0, y1 - y0))
    return x0 - m, y0 - m, x1 + m, y1 + m


def board_shape(a: Analysis) -> Geoms:
    """The board: its outline with cut-outs, or the extent of the copper when there is none."""
    if a.board.outline is not None:
        return polygons(as_array([a.board.outline.board]))
    if a.board.bounds_mm is not None:
        return as_array([shapely.box(*a.board.bounds_mm)])
    return as_array([])


def board_bounds(a: Analysis) -> Bounds | None:
    shape = board_shape(a)
    if len(shape) == 0:
        return None
    b = shapely.total_bounds(shape)
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def holes_shape(a: Analysis) -> Geoms:
    """Every drilled hole and routed slot of the board, as the tool cuts it."""
    parts = []
    for f in a.files:
        data = a.layers.get(f.path)
        if f.role.type != "drill" or data is None:
            continue
        parts.extend(_drill_parts(data))
    return polygons(as_array(parts))


def _drill_parts(data: LayerData) -> list[shapely.Geometry]:
    parts: list[shapely.Geometry] = []
    holes = [h for h in data.holes if h.d > 0]
    if holes:
        xy = np.array([[h.x, h.y] for h in holes])
        r = np.array([h.d / 2 for h in holes])
        for q in sorted({circle_quad_segs(float(v)) for v in r}):
            pick = np.array([circle_quad_segs(float(v)) == q for v in r])
            parts.extend(shapely.buffer(shapely.points(xy[pick]), r[pick], quad_segs=q))
    for s in data.slots:
        if s.d > 0 and len(s.points) >= 2:
            parts.append(shapely.LineString(s.points).buffer(s.d / 2, quad_segs=circle_quad_segs(s.d / 2)))
    return parts


def drawn_shape(data: LayerData, pen_min: float = 0.05) -> Geoms:
    """A layer's drawn area: its islands where the analysis built them, else its strokes widened
    by their pens (outlines, drawings) and its flashes as discs of their size."""
    if data.islands is not None:
        return data.islands
    if data.kind == "excellon":
        return polygons(as_array(_drill_parts(data)))
    parts: list[shapely.Geometry] = []
    lines = [s for s in data.strokes if len(s.points) >= 2 and not s.region]
    parts.extend(_stroke_parts(lines, pen_min))
    regions = [s.points for s in data.strokes if s.region and len(s.points) >= 4]
    parts.extend(shapely.make_valid(shapely.polygons(r)) for r in regions)
    if len(data.flash_points):
        r = np.maximum(data.flash_sizes / 2, pen_min / 2)
        parts.extend(shapely.buffer(shapely.points(data.flash_points), r, quad_segs=4))
    return polygons(as_array(parts))


def _stroke_parts(strokes: list[Stroke], pen_min: float) -> list[shapely.Geometry]:
    if not strokes:
        return []
    coords = np.concatenate([s.points for s in strokes])
    index = np.repeat(np.arange(len(strokes)), [len(s.points) for s in strokes])
    lines = shapely.linestrings(coords, indices=index)
    widths = np.array([max(s.width, pen_min) for s in strokes])
    return list(shapely.buffer(lines, widths / 2, quad_segs=4))


def _layer(a: Analysis, kind: str, side: str) -> Geoms | None:
    """The union of all files of a type on a side (None when the upload has no such file)."""
    found = [
        drawn_shape(a.layers[f.path])
        for f in a.files
        if f.role.type == kind and f.role.side == side and f.path in a.layers
    ]
    if not found:
        return None
    return np.concatenate(found) if len(found) > 1 else found[0]


def board_view(a: Analysis, side: str, palette: Palette) -> Scene | None:
    """The board as it will come out, seen from `side` ("top" or "bottom")."""
    bounds = board_bounds(a)
    if bounds is None:
        return None
    copper = _layer(a, "copper", side)
    mask = _layer(a, "soldermask", side)
    silk = _layer(a, "silkscreen", side)
    shapes: dict[str, Geoms] = {"board": board_shape(a), "holes": holes_shape(a)}
    paints = [Paint("substrate", "board", palette.substrate, outside=("holes",))]
    if copper is not None:
        shapes["copper"] = copper
    if mask is not None:
        shapes["openings"] = mask
        paints.append(Paint("solder mask", "board", palette.mask, outside=("openings", "holes")))
        if copper is not None:
            paints.append(
                Paint("copper under mask", "copper", palette.mask_over_copper, outside=("openings", "holes"))
            )
            paints.append(Paint("finish", "copper", palette.finish, within=("openings",), outside=("holes",)))
    elif copper is not None:
        paints.append(Paint("finish", "copper", palette.finish, outside=("holes",)))
    if silk is not None:
        shapes["silk"] = silk
        clip = ("openings", "holes") if mask is not None else ("holes",)
        paints.append(Paint("silkscreen", "silk", palette.silk, within=("board",), outside=clip))
    return Scene(
        name=side,
        bounds=_margin(bounds),
        shapes=shapes,
        paints=paints,
        mirror=side == "bottom",
        title=f"{a.name}: {side} side",
    )


LAYER_COLORS = {
    "copper": "#d08a4c",
    "soldermask": "#2e9b57",
    "silkscreen": "#f2f2f2",
    "solderpaste": "#b8b8c0",
    "drill": "#111111",
    "outline": "#f0d040",
    "other": "#8ab4f8",
}


def layer_view(a: Analysis, path: str) -> Scene | None:
    """One file drawn alone over the board's silhouette, as a CAM engineer looks at a film."""
    data = a.layers.get(path)
    role = a.role_of(path)
    bounds = board_bounds(a)
    if data is None or role is None or bounds is None or not data.readable:
        return None
    drawn = drawn_shape(data)
    b = shapely.total_bounds(drawn) if len(drawn) else None
    if b is not None and np.all(np.isfinite(b)):
        bounds = (min(bounds[0], b[0]), min(bounds[1], b[1]), max(bounds[2], b[2]), max(bounds[3], b[3]))
    return Scene(
        name=path,
        bounds=_margin(bounds),
        shapes={"board": board_shape(a), "layer": drawn},
        paints=[
            Paint("board", "board", "#3a3a3a"),
            Paint(role.label(), "layer", LAYER_COLORS.get(role.type, "#cccccc")),
        ],
        mirror=role.side == "bottom",
        background="#1b1b1b",
        title=f"{path}: {role.label()}",
        antialias=False,  # a film for checking, at the pixel grid
    )
