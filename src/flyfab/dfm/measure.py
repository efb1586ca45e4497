"""What the checks measure on an analysed board: every place a limit might be broken.

Each function returns `Instance`s, one per place, with the measured value; which class accepts it
is decided later against the profiles. Places are searched once with the strictest limit of all
classes, so one pass serves every class.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from flyfab.cam import clipping
from flyfab.cam.analyze import Analysis
from flyfab.cam.drills import plating_of
from flyfab.cam.edges import Spans, nearest_edge, spans_below, spans_of
from flyfab.cam.islands import Geoms, intersecting_pairs
from flyfab.cam.layerdata import Hole, LayerData
from flyfab.cam.model import Plating

Floats = NDArray[np.float64]
# Measurements closer together than this are one place to the customer (one neck, one gap).
SAME_PLACE_MM = 0.5
SAME_PLACE_CELL_MM = SAME_PLACE_MM / 50
# Copper reaching no further than this past a hole's edge goes with the hole: half the usual drill
# tolerance of ±0.05 mm.
DRILLED_AWAY_MM = 0.025
# A pour: copper at least POUR_WIDTH_MM wide within POUR_RADIUS_MM of a place, on an island at
# least POUR_AREA_MM2 large. Factories pull pours back from edges and non-plated holes in CAM;
# traces and pads there they cannot move.
POUR_WIDTH_MM = 0.6
POUR_RADIUS_MM = 1.5
POUR_AREA_MM2 = 20.0


@dataclass(frozen=True)
class Instance:
    rule: str
    layer: str | None  # file path, or None for the board as a whole
    measured: float | None  # mm (or a count for layer_count); None where nothing can be measured
    x: float | None
    y: float | None
    bound: str = "min"  # "min": measured must reach the limit; "max": must not exceed it
    # Which limit judges it where a rule has two: the profile key (drill_size), or "short"/"long"
    # for the board's sides (board_size).
    limit_key: str = ""
    note: str = ""
    # Set where the factory fixes the place itself instead of refusing the board (pulls a pour back
    # from the edge, routes a hole too large to drill): a warning with this message, never blocking.
    advice: str = ""


def places(values: Floats, points: Floats) -> list[tuple[float, float, float]]:
    """Group measurements that lie within SAME_PLACE_MM of each other; the worst of each group.

    A narrow stretch yields a measurement every few micrometres along it: each cell of a grid
    SAME_PLACE_CELL_MM wide first keeps only its worst one, and those are grouped, reaching two
    cell diagonals further so that measurements within SAME_PLACE_MM of each other still always
    share a group. A group's worst value and where it is are exact.
    """
    if len(values) == 0:
        return []
    cell = np.floor(points / SAME_PLACE_CELL_MM).astype(np.int64)
    by_cell = np.lexsort((values, cell[:, 1], cell[:, 0]))
    kept = by_cell[np.r_[True, (np.diff(cell[by_cell], axis=0) != 0).any(axis=1)]]
    n = len(kept)
    reach = SAME_PLACE_MM + 2 * math.sqrt(2) * SAME_PLACE_CELL_MM
    pairs = cKDTree(points[kept]).query_pairs(reach, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # The worst (smallest) value of each group: sort by group, then value; take each group's first.
    order = np.lexsort((values[kept], labels))
    first = kept[order[np.r_[True, labels[order][1:] != labels[order][:-1]]]]
    first.sort()
    return [(float(values[i]), float(points[i, 0]), float(points[i, 1])) for i in first]


def _spans(rule: str, layer: str, spans: Spans) -> list[Instance]:
    return [Instance(rule, layer, v, x, y) for v, x, y in places(spans.value, spans.middle)]


def copper_layers(
    a: Analysis, sides: tuple[str, ...] = ("top", "inner", "bottom")
) -> list[tuple[str, LayerData]]:
    """The drawn copper layers in stack order, those on `sides` only."""
    out = []
    for _, path, side in a.board.stack:
        data = a.layers.get(path)
        if side in sides and data is not None and data.islands is not None:
            out.append((path, data))
    return out


def widths_and_gaps(a: Analysis, below: float) -> list[Instance]:
    found: list[Instance] = []
    for path, data in copper_layers(a):
        assert data.islands is not None
        widths, gaps = spans_of(data.features, data.islands, below)
        found += _spans("trace_width", path, widths) + _spans("clearance", path, gaps)
    return found


def layers_of(a: Analysis, kind: str, side: str) -> list[tuple[str, LayerData]]:
    return [
        (f.path, a.layers[f.path])
        for f in a.files
        if f.role.type == kind and f.role.side == side and f.path in a.layers
    ]


def mask_webs(a: Analysis, below: float) -> list[Instance]:
    found: list[Instance] = []
    for side in ("top", "bottom"):
        for path, data in layers_of(a, "soldermask", side):
            if data.islands is not None and len(data.islands) > 1:
                _, gaps = spans_below(data.islands, below)
                found += _spans("mask_web", path, gaps)
    return found


def silk_lines(a: Analysis, below: float) -> list[Instance]:
    found: list[Instance] = []
    for side in ("top", "bottom"):
        for path, data in layers_of(a, "silkscreen", side):
            thin = [s for s in data.strokes if not s.region and 0 < s.width < below]
            if thin:
                values = np.array([s.width for s in thin])
                points = np.array([s.points[0] for s in thin])
                found += [Instance("silk_line_width", path, v, x, y) for v, x, y in places(values, points)]
    return found


def silk_on_pads(a: Analysis) -> list[Instance]:
    """Silkscreen printed on copper that the mask leaves bare (the factory clips it)."""
    found: list[Instance] = []
    for side in ("top", "bottom"):
        masks = [d.islands for _, d in layers_of(a, "soldermask", side) if d.islands is not None]
        metal = [d.islands for _, d in copper_layers(a, (side,)) if d.islands is not None]
        if not masks or not metal:
            continue
        for path, data in layers_of(a, "silkscreen", side):
            if data.islands is None or len(data.islands) == 0:
                continue
            # Ink in mask openings first (small), then only the copper under it.
            inked = _touching(data.islands, masks[0])
            inked = clipping.intersection(clipping.rings(data.islands), clipping.rings(inked))
            if len(inked) == 0:
                continue
            over = clipping.intersection(clipping.rings(inked), clipping.rings(_touching(inked, metal[0])))
            over = over[shapely.area(over) > 1e-4] if len(over) else over
            if len(over):
                centres = shapely.get_coordinates(shapely.centroid(over))
                area = shapely.area(over)
                # Measured: the overlapping area in mm² (the largest of each place); nothing is required.
                found += [Instance("silk_on_pad", path, -v, x, y) for v, x, y in places(-area, centres)]
    return found


def _touching(near: Geoms, shapes: Geoms) -> Geoms:
    """The shapes whose bounding boxes meet those of `near`."""
    if len(near) == 0 or len(shapes) == 0:
        return shapes[:0]
    _, hit = shapely.STRtree(shapes).query(near)
    picked: Geoms = shapes[np.unique(hit)]
    return picked


def drill_files(a: Analysis) -> list[tuple[str, LayerData, Plating | None]]:
    return [
        (f.path, a.layers[f.path], f.role.plating)
        for f in a.files
        if f.role.type == "drill" and f.path in a.layers and a.layers[f.path].readable
    ]


def _plated(hole_plated: bool | None, file_plating: Plating | None) -> bool | None:
    return {"plated": True, "non-plated": False}.get(plating_of(hole_plated, file_plating))


def all_holes(a: Analysis) -> list[tuple[str, Hole, bool | None]]:
    return [
        (path, h, _plated(h.plated, plating)) for path, data, plating in drill_files(a) for h in data.holes
    ]


def drill_sizes(a: Analysis, smallest: float, largest: float) -> list[Instance]:
    found = []
    for path, h, _ in all_holes(a):
        if h.d > 0 and h.d < smallest:
            found.append(Instance("drill_size", path, h.d, h.x, h.y, "min", "min_drill_mm"))
        elif h.d > largest:
            advice = (
                "hole of {measured} mm is larger than the largest drill ({required} mm): it will be routed"
            )
            found.append(Instance("drill_size", path, h.d, h.x, h.y, "max", "max_drill_mm", advice=advice))
    return found


def slot_widths(a: Analysis, below: float) -> list[Instance]:
    found = []
    for path, data, _ in drill_files(a):
        for s in data.slots:
            if 0 < s.d < below:
                x, y = s.points[0]
                found.append(Instance("slot_width", path, s.d, float(x), float(y)))
    return found


def holes_too_close(a: Analysis, below: float) -> list[Instance]:
    """Holes closer than `below` edge to edge. Hits that overlap are one drilled slot (a common way
    to draw a slot in a drill file); they are checked as a slot of the hits' width instead."""
    holes = all_holes(a)
    if len(holes) < 2:
        return []
    xy = np.array([[h.x, h.y] for _, h, _ in holes])
    r = np.array([h.d / 2 for _, h, _ in holes])
    pairs = cKDTree(xy).query_pairs(below + 2 * float(r.max()), output_type="ndarray")
    if len(pairs) == 0:
        return []
    i, j = pairs[:, 0], pairs[:, 1]
    centre = np.hypot(*(xy[i] - xy[j]).T)
    # The same hole listed in two files (a composite drill file beside per-type ones) is one hole.
    gap = centre - r[i] - r[j]
    distinct = centre > 1e-3
    slot = distinct & (gap < 0)
    # Hits chained by overlaps form one slot: no hole-to-hole distance inside a chain.
    n = len(holes)
    graph = coo_matrix((np.ones(int(slot.sum()), dtype=np.int8), (i[slot], j[slot])), shape=(n, n))
    _, chain = connected_components(graph, directed=False)
    near = distinct & (gap >= 0) & (gap < below) & (chain[i] != chain[j])
    mid = (xy[i] + xy[j]) / 2
    found: list[Instance] = []
    if near.any():
        path = holes[int(i[near][0])][0]
        found += [Instance("hole_to_hole", path, v, x, y) for v, x, y in places(gap[near], mid[near])]
    if slot.any():
        width = 2 * np.minimum(r[i], r[j])[slot]
        path = holes[int(i[slot][0])][0]
        found += [Instance("slot_width", path, v, x, y) for v, x, y in places(width, mid[slot])]
    return found


def annular_rings(a: Analysis, below: float) -> list[Instance]:
    """Copper around each plated hole on each copper layer where the hole has a pad.

    Inner layers without copper at a hole are normal (unused pads removed) and skipped; on an
    outer layer a plated hole without a pad has a ring of 0. Holes whose plating no file states
    count as plated when an outer layer has copper at them.
    """
    holes = [(h, plated) for _, h, plated in all_holes(a) if plated is not False and h.d > 0]
    layers = copper_layers(a)
    if not holes or not layers:
        return []
    xy = np.array([[h.x, h.y] for h, _ in holes])
    r = np.array([h.d / 2 for h, _ in holes])
    stated = np.array([p is True for _, p in holes])
    points = shapely.points(xy)
    outer_paths = {p for p, _ in copper_layers(a, ("top", "bottom"))}
    rings: dict[str, Floats] = {}
    has_pad_outer = np.zeros(len(holes), dtype=bool)
    for path, data in layers:
        assert data.islands is not None
        ring = np.full(len(holes), np.nan)
        if len(data.islands):
            island_i, hole_i = intersecting_pairs(data.islands, points)
            hole_i, first = np.unique(hole_i, return_index=True)
            # A hole in copper is nearest to the edge of the island it lies in: only those count.
            around = data.islands[np.unique(island_i[first])]
            # Rings at or above the limit need no exact value: measure only within reach of it.
            reach = r[hole_i] + below
            ring[hole_i] = nearest_edge(around, xy[hole_i], reach) - r[hole_i]
        rings[path] = ring
        if path in outer_paths:
            has_pad_outer |= ~np.isnan(ring)
    # A hole of unstated plating whose copper nowhere reaches past its edge has a pad drawn at the
    # hole's size (the way tools draw a mechanical hole): the drill removes it, nothing is plated.
    widest = np.nanmax(np.vstack(list(rings.values())), axis=0, initial=-np.inf)
    drawn_at_hole_size = ~stated & (widest <= DRILLED_AWAY_MM)
    found: list[Instance] = []
    check = (stated | has_pad_outer) & ~drawn_at_hole_size
    for path, ring in rings.items():
        values = np.where(np.isnan(ring), 0.0 if path in outer_paths else np.inf, ring)
        bad = check & (values < below)
        found += [Instance("annular_ring", path, v, x, y) for v, x, y in places(values[bad], xy[bad])]
    return found


def _board_edges(a: Analysis) -> BaseGeometry | None:
    """The board's edges for clearance: outline, cut-outs and non-plated slots."""
    outline = a.board.outline
    if outline is None:
        return None
    lines: list[BaseGeometry] = [shapely.boundary(outline.board)]
    for _, data, plating in drill_files(a):
        for s in data.slots:
            if _plated(s.plated, plating) is not True and len(s.points) >= 2:
                lines.append(shapely.boundary(shapely.LineString(s.points).buffer(s.d / 2)))
    return shapely.union_all(lines)


def copper_to_edge(a: Analysis, below: float) -> list[Instance]:
    edges = _board_edges(a)
    if edges is None:
        return []
    advice = "copper pour {measured} mm from the board edge: the factory pulls it back to {required} mm"
    return _near(a, "copper_to_edge", edges, below, advice)


def _near(
    a: Analysis, rule: str, target: BaseGeometry, below: float, advice: str, drilled: bool = False
) -> list[Instance]:
    """Copper within `below` of the target. With `drilled`, the target is holes, and copper inside
    them is drilled away first (a pad drawn smaller than its non-plated hole leaves nothing)."""
    found: list[Instance] = []
    shapely.prepare(target)
    zone = shapely.buffer(target, below, quad_segs=4)
    for path, data in copper_layers(a):
        assert data.islands is not None
        close = data.islands[shapely.dwithin(data.islands, target, below)]
        if drilled and len(close):
            # The drill takes the copper inside the hole, and its wall tolerance the hair beside it.
            close = shapely.get_parts(shapely.difference(close, shapely.buffer(target, DRILLED_AWAY_MM)))
            close = close[shapely.area(close) > 1e-6]
        values, points, pour = [], [], []
        for island in close:
            big = island.area >= POUR_AREA_MM2
            for piece in _nearby_pieces(island, zone):
                line = shapely.shortest_line(piece, target)
                values.append(float(line.length))
                at = np.asarray(line.coords[0])
                points.append(at)
                pour.append(big and _wide_near(island, piece))
        if not values:
            continue
        kinds = np.array(pour)
        v, p = np.array(values), np.array(points)
        for is_pour in (False, True):
            pick = kinds == is_pour
            found += [
                Instance(rule, path, value, x, y, advice=advice if is_pour else "")
                for value, x, y in places(v[pick], p[pick])
            ]
    return found


def _wide_near(island: BaseGeometry, piece: BaseGeometry) -> bool:
    """Whether the island is at least POUR_WIDTH_MM wide somewhere near the piece of it that is
    too close: the piece belongs to a pour, not to a trace or a pad."""
    local = island.intersection(piece.buffer(POUR_RADIUS_MM, quad_segs=4))
    return not local.buffer(-POUR_WIDTH_MM / 2, quad_segs=2).is_empty


def _nearby_pieces(island: BaseGeometry, zone: BaseGeometry) -> Iterable[BaseGeometry]:
    """The parts of an island inside the zone near the target, so that a pour along a whole edge
    gives one place per stretch that is too close, not one for the whole pour."""
    part = shapely.intersection(island, zone)
    return [p for p in shapely.get_parts(part) if not p.is_empty]


def npth_to_copper(a: Analysis, below: float) -> list[Instance]:
    holes = [h for _, h, plated in all_holes(a) if plated is False and h.d > 0]
    if not holes:
        return []
    circles = shapely.buffer(shapely.points([[h.x, h.y] for h in holes]), [h.d / 2 for h in holes])
    advice = "copper pour {measured} mm from a non-plated hole: the factory clears it to {required} mm"
    return _near(a, "npth_to_copper", shapely.union_all(circles), below, advice, drilled=True)


def holes_outside(a: Analysis) -> list[Instance]:
    """Holes that drill no board at all: their whole disc lies off the board (beside it or in a
    cut-out). A hole whose disc touches the board is an edge hole (castellation, mouse bite) or
    the drawn outline of the hole itself, and is not reported."""
    outline = a.board.outline
    if outline is None:
        return []
    board = outline.board
    shapely.prepare(board)
    found = []
    for path, hole, _ in all_holes(a):
        p = shapely.Point(hole.x, hole.y)
        if board.contains(p):
            continue
        off = float(board.distance(p)) - hole.d / 2
        if off > DRILLED_AWAY_MM:
            found.append(Instance("drill_outside_board", path, off, hole.x, hole.y))
    return found
