"""Everything the analysis needs from one file, computed once, cheap to keep and to send between processes.

`read_layer` parses a Gerber or Excellon text and condenses it: drawing statistics (for telling
layers apart by content), stroke centre lines (for outlines), flash positions (for pairing mask and
paste with copper, and drills with pads), drill hits and slots, and, when asked for, the dark area
as islands with the finest features measured on it. The gerbonara objects themselves are dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from gerbonara import ExcellonFile
from gerbonara import graphic_objects as go
from numpy.typing import NDArray

from flyfab.cam import edges, islands
from flyfab.cam.apertures import to_mm
from flyfab.cam.image import LayerImage, Stroke, Tally, draw, path_lengths
from flyfab.cam.model import Problem
from flyfab.cam.parse import parse_excellon, parse_gerber


@dataclass
class Stats:
    """Drawing statistics, the raw material of identification by content."""

    unit: str = "mm"
    flashes: int = 0
    lines: int = 0
    arcs: int = 0
    regions: int = 0
    clear: int = 0  # objects drawn in clear polarity
    bbox: tuple[float, float, float, float] | None = None
    aperture_functions: Counter[str] = field(default_factory=Counter)
    stroke_widths: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    stroke_lengths: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def objects(self) -> int:
        return self.flashes + self.lines + self.arcs + self.regions

    @property
    def strokes(self) -> int:
        return self.lines + self.arcs


@dataclass
class Hole:
    x: float
    y: float
    d: float
    plated: bool | None


@dataclass
class Slot:
    points: NDArray[np.float64]
    d: float
    plated: bool | None


@dataclass
class LayerData:
    path: str
    kind: str  # "gerber" or "excellon"
    stats: Stats = field(default_factory=Stats)
    problems: list[Problem] = field(default_factory=list)
    strokes: list[Stroke] = field(default_factory=list)
    flash_points: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 2)))
    flash_sizes: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    holes: list[Hole] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    islands: islands.Geoms | None = None
    features: edges.WidthAndGap | None = None
    readable: bool = True

    @property
    def has_area(self) -> bool:
        return self.islands is not None

    # Layers travel from worker processes and to the disk cache by pickling. A silkscreen holds
    # tens of thousands of strokes, each a small array that pickle would describe on its own:
    # packed into a few arrays they pickle and unpickle about ten times faster. Islands go as
    # shapely's ragged arrays (coordinates and offsets) rather than one WKB per polygon: a third
    # of the time on a copper layer of 3,000 islands, and the same polygons.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["strokes"] = _pack(self.strokes)
        if self.islands is not None and len(self.islands) and (shapely.get_type_id(self.islands) == 3).all():
            state["islands"] = shapely.to_ragged_array(self.islands)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.strokes = _unpack(state["strokes"])
        if isinstance(self.islands, tuple):
            self.islands = shapely.from_ragged_array(*self.islands)


Flags = NDArray[np.bool_]
Packed = tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float64], Flags, Flags]


def _pack(strokes: list[Stroke]) -> Packed:
    points = [s.points.reshape(-1, 2) for s in strokes]
    coords = np.concatenate(points).astype(np.float64, copy=False) if points else np.zeros((0, 2))
    return (
        coords,
        np.array([len(p) for p in points], dtype=np.intp),
        np.array([s.width for s in strokes], dtype=np.float64),
        np.array([s.polarity_dark for s in strokes], dtype=bool),
        np.array([s.region for s in strokes], dtype=bool),
    )


def _unpack(packed: Packed) -> list[Stroke]:
    coords, counts, widths, dark, region = packed
    pieces = np.split(coords, np.cumsum(counts)[:-1]) if len(counts) else []
    return [
        Stroke(p, w, d, r)
        for p, w, d, r in zip(pieces, widths.tolist(), dark.tolist(), region.tolist(), strict=True)
    ]


def _bbox(image: LayerImage | None, holes: list[Hole]) -> tuple[float, float, float, float] | None:
    """Extent of everything drawn: stroke centre lines widened by their pen, flashes by their size.

    (gerbonara's own bounding_box renders every object to primitives first, and costs more than
    parsing.)"""
    boxes = []
    if image is not None:
        if image.strokes:
            points = np.concatenate([st.points.reshape(-1, 2) for st in image.strokes])
            if len(points):
                counts = [len(st.points) for st in image.strokes]
                r = np.repeat([st.width / 2 for st in image.strokes], counts)[:, None]
                lo, hi = (points - r).min(axis=0), (points + r).max(axis=0)
                boxes.append((float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
        if len(image.flash_points):
            half = image.flash_sizes / 2
            p = image.flash_points
            boxes.append(
                (
                    float((p[:, 0] - half).min()),
                    float((p[:, 1] - half).min()),
                    float((p[:, 0] + half).max()),
                    float((p[:, 1] + half).max()),
                )
            )
    for h in holes:
        boxes.append((h.x - h.d / 2, h.y - h.d / 2, h.x + h.d / 2, h.y + h.d / 2))
    if not boxes:
        return None
    a = np.asarray(boxes, dtype=np.float64)
    return float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max())


def _tally(layer: Any) -> Tally:
    """What `draw` counts while drawing, for files that are not drawn (drill programs)."""
    t = Tally()
    kinds: Counter[type] = Counter()
    used: dict[int, Any] = {}
    for obj in layer.objects:
        kinds[type(obj)] += 1
        t.clear += not obj.polarity_dark
        ap = getattr(obj, "aperture", None)
        if ap is not None:
            used.setdefault(id(ap), ap)
    t.flashes, t.lines, t.arcs, t.regions = (kinds[go.Flash], kinds[go.Line], kinds[go.Arc], kinds[go.Region])
    t.apertures = list(used.values())
    return t


def _stats(layer: Any, image: LayerImage | None, holes: list[Hole] | None = None) -> Stats:
    s = Stats()
    t = image.tally if image is not None else _tally(layer)
    s.flashes, s.lines, s.arcs, s.regions, s.clear = t.flashes, t.lines, t.arcs, t.regions, t.clear
    functions: Counter[str] = Counter()
    for ap in t.apertures:
        for name, value in ap.attrs or ():
            if name == ".AperFunction" and value:
                functions[str(value[0])] += 1
    s.aperture_functions = functions
    unit = getattr(getattr(layer, "import_settings", None), "unit", None)
    s.unit = "inch" if unit is not None and getattr(unit, "shorthand", "") == "in" else "mm"
    s.bbox = _bbox(image, holes or [])
    if image is not None and image.strokes:
        s.stroke_widths = np.array([st.width for st in image.strokes])
        s.stroke_lengths = path_lengths([st.points for st in image.strokes])
    return s


def _drills(layer: Any) -> tuple[list[Hole], list[Slot]]:
    holes: list[Hole] = []
    slots: list[Slot] = []
    for obj in layer.objects:
        tool = obj.aperture
        d = to_mm(tool.unit, tool.diameter) if hasattr(tool, "diameter") else 0.0
        plated = getattr(tool, "plated", None)
        scale = to_mm(obj.unit, 1.0)
        if isinstance(obj, go.Flash):
            holes.append(Hole(obj.x * scale, obj.y * scale, d, plated))
        elif isinstance(obj, go.Line):
            slots.append(Slot(np.array([[obj.x1, obj.y1], [obj.x2, obj.y2]]) * scale, d, plated))
        elif isinstance(obj, go.Arc):
            from flyfab.cam.tolerance import arc_points

            pts = (
                arc_points(obj.x1 + obj.cx, obj.y1 + obj.cy, obj.x1, obj.y1, obj.x2, obj.y2, obj.clockwise)
                * scale
            )
            slots.append(Slot(pts, d, plated))
    return holes, slots


def read_layer(
    path: str,
    kind: str,
    text: str,
    *,
    area: bool = False,
    siblings: dict[str, str] | None = None,
    reference: Any = None,
) -> LayerData:
    """Parse one file and condense it. `area=True` also builds the dark area; its widths and gaps
    are measured apart (`measure_layer`), once the layer's role and board edge are known."""
    data = LayerData(path, kind)
    if kind == "excellon":
        parsed = parse_excellon(path, text, siblings, reference)
    else:
        parsed = parse_gerber(path, text)
    data.problems = parsed.problems
    layer = parsed.layer
    if layer is None:
        data.readable = False
        return data
    if isinstance(layer, ExcellonFile):
        data.holes, data.slots = _drills(layer)
        data.stats = _stats(layer, None, data.holes)
        data.stats.flashes = len(data.holes)
        data.stats.lines = len(data.slots)
        data.flash_points = np.array([[h.x, h.y] for h in data.holes]).reshape(-1, 2)
        data.flash_sizes = np.array([h.d for h in data.holes])
        return data
    image = draw(layer, area=area)
    data.stats = _stats(layer, image)
    data.strokes = image.strokes
    data.flash_points = image.flash_points
    data.flash_sizes = image.flash_sizes
    if area:
        data.islands = image.islands
    return data


def measure_layer(data: LayerData, spans: float = 0.0) -> edges.WidthAndGap:
    """The layer's narrowest width and closest gap; with `spans`, every width and gap under it too."""
    assert data.islands is not None
    return edges.measure(data.islands, start=_search_from(data.strokes), spans_below=spans or None)


# Traces are drawn 0.1 mm wide and wider; the search for the narrowest copper starts at once a
# little past the thinnest drawn trace, where it usually is, instead of doubling its way up from
# 0.1 mm (each round re-examines every pair of the round before), but not so far that a neck in a
# pour much thinner than every trace would cost a needlessly wide first round.
SEARCH_FROM_MM = 0.1
SEARCH_FROM_MAX_MM = 0.26


def _search_from(strokes: list[Stroke]) -> float:
    widths = [s.width for s in strokes if not s.region and s.width > edges.NOISE_FLOOR_MM]
    if not widths:
        return SEARCH_FROM_MM
    return min(max(SEARCH_FROM_MM, min(widths) * 1.02), SEARCH_FROM_MAX_MM)


def copper_area(data: LayerData) -> float:
    return float(shapely.area(data.islands).sum()) if data.islands is not None and len(data.islands) else 0.0
