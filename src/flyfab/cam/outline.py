"""The board outline: closed contours found in drawn strokes.

An outline layer is a set of strokes (lines, arcs, sometimes thousands of tiny segments, sometimes
with gaps of a few micrometres between them). Their endpoints are snapped together, the strokes are
noded and polygonised into faces, and the faces are combined even-odd: the outer contour is board,
a contour inside it a cut-out, a contour inside that board again.

When the outline has to be found in a layer that also holds other drawings (a fabrication drawing
on a mechanical layer, a board rectangle plotted into a copper or silkscreen film), the board is
the smallest contour that encloses the copper, and cut-outs must be drawn with the board edge's own
pen and hold no copper.

Sizes are the extents of the contours' centre lines, as the fabricator's router follows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from flyfab.cam.image import Stroke, path_lengths

# Endpoint gaps closed, tried in this order until the contours take up the drawing. Gaps narrower
# than the pen are invisible on a plot and common in hand-drawn outlines.
SNAP_STEPS_MM = (0.005, 0.02, 0.1, 0.3, 0.5)
# A board edge plotted into a film (copper, legend) is the CAD tool's own contour, written in one
# go and joined to its output resolution; a contour there that closes only over wider gaps is
# traces or artwork. Hand-drawn edge and mechanical layers get the wider joins.
FILM_GAP_MM = 0.1
MAX_EDGE_PEN_MM = 1.0  # strokes wider than this are not board edges


@dataclass
class Outline:
    board: BaseGeometry  # the board area (Polygon or MultiPolygon), holes are cut-outs
    exteriors: list[shapely.Polygon]  # outer contours as filled polygons (no holes)
    cutouts: list[shapely.Polygon]
    gap_closed_mm: float = 0.0  # the largest endpoint gap that had to be bridged
    pen_mm: float | None = None  # stroke width of the board edge
    notes: list[str] = field(default_factory=list)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        b = shapely.MultiPolygon(self.exteriors).bounds
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])

    @property
    def width(self) -> float:
        b = self.bounds
        return b[2] - b[0]

    @property
    def height(self) -> float:
        b = self.bounds
        return b[3] - b[1]

    @property
    def area(self) -> float:
        return float(self.board.area)


def _snap(paths: list[NDArray[np.float64]], tolerance: float) -> tuple[list[NDArray[np.float64]], float]:
    """Bridge each loose path end to the nearest other path end within `tolerance`.

    A loose end meets no other end. Bridging it with a short segment, instead of moving it, keeps
    every drawn point where it was, so the board's extents are the drawing's; one bridge per loose
    end keeps text-heavy drawings from growing a web of bridges.
    """
    ends = np.array([p[i] for p in paths for i in (0, -1)])
    if len(ends) < 2:
        return paths, 0.0
    tree = cKDTree(ends)
    touching = tree.query_ball_point(ends, 1e-9, return_length=True)
    loose = np.flatnonzero(touching == 1)
    if len(loose) == 0:
        return paths, 0.0
    k = min(4, len(ends))
    d, idx = tree.query(ends[loose], k=k, distance_upper_bound=tolerance)
    d, idx = d.reshape(len(loose), k), idx.reshape(len(loose), k)
    # The nearest end that is not itself, nor the other end of its own path (that would close a
    # stroke on itself).
    end = loose[:, None]
    usable = np.isfinite(d) & (idx != end) & (idx // 2 != end // 2) & (d != 0)
    rows = np.flatnonzero(usable.any(axis=1))
    if len(rows) == 0:
        return paths, 0.0
    first = usable[rows].argmax(axis=1)
    other = idx[rows, first]
    bridges = np.stack([ends[loose[rows]], ends[other]], axis=1)
    return list(paths) + list(bridges), float(d[rows, first].max())


def _prune_dangles(paths: list[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """Drop paths that cannot be part of a closed contour joined at endpoints (text, leaders)."""
    keep = [p for p in paths if len(p) >= 2]
    while keep:
        ends = np.round(np.array([[p[0], p[-1]] for p in keep]).reshape(-1, 2), 6)
        _, inverse = np.unique(ends, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1, 2)
        loops = inverse[:, 0] == inverse[:, 1]
        degree = np.bincount(inverse[~loops].ravel(), minlength=int(inverse.max()) + 1)
        alive = loops | ((degree[inverse[:, 0]] > 1) & (degree[inverse[:, 1]] > 1))
        if alive.all():
            return keep
        keep = [p for p, a in zip(keep, alive, strict=True) if a]
    return keep


def _around(
    paths: list[NDArray[np.float64]], pens: NDArray[np.float64], holds: _Holder
) -> tuple[list[NDArray[np.float64]], NDArray[np.float64]]:
    """Only strokes that reach outside the heart of the copper can be part of a board edge around it."""
    if holds.copper is None:
        return paths, pens
    core = holds.copper.envelope.buffer(-1.0)
    if core.is_empty:
        return paths, pens
    x0, y0, x1, y1 = core.bounds
    lo = np.array([p.min(axis=0) for p in paths])
    hi = np.array([p.max(axis=0) for p in paths])
    inside = (lo[:, 0] > x0) & (lo[:, 1] > y0) & (hi[:, 0] < x1) & (hi[:, 1] < y1)
    return [p for p, i in zip(paths, inside, strict=True) if not i], pens[~inside]


def _faces(paths: list[NDArray[np.float64]]) -> list[shapely.Polygon]:
    if not paths:
        return []
    lines = shapely.linestrings(
        np.concatenate(paths), indices=np.repeat(np.arange(len(paths)), [len(p) for p in paths])
    )
    try:
        noded = shapely.node(shapely.MultiLineString(list(lines)))
    except shapely.errors.GEOSException:
        # Nearly coincident segments can defeat floating-point noding; snap-rounding to a 0.1 µm grid
        # (what a precise union does) always converges.
        noded = shapely.union_all(lines, grid_size=1e-4)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return [f for f in faces if f.area > 1e-6]


def _depths(shells: Sequence[shapely.Polygon]) -> list[int]:
    """How many other contours enclose each contour."""
    tree = shapely.STRtree(list(shells))
    points = [s.representative_point() for s in shells]
    inner, outer = tree.query(points, predicate="within")
    depth = np.zeros(len(shells), dtype=int)
    for i, j in zip(inner, outer, strict=True):
        if i != j and shells[j].area > shells[i].area:
            depth[i] += 1
    return depth.tolist()


def _even_odd(
    shells: Sequence[shapely.Polygon], depth: Sequence[int]
) -> tuple[BaseGeometry, list[int], list[int]]:
    outer = [i for i, d in enumerate(depth) if d % 2 == 0]
    holes = [i for i, d in enumerate(depth) if d % 2 == 1]
    board = shapely.union_all([shells[i] for i in outer]) if outer else shapely.Polygon()
    if holes:
        board = board.difference(shapely.union_all([shells[i] for i in holes]))
    return board, outer, holes


def _shells(faces: list[shapely.Polygon]) -> list[shapely.Polygon]:
    """Each distinct closed contour as a filled polygon."""
    if not faces:
        return []
    # Every face's exterior and interiors in order, as filled polygons, built and keyed in bulk.
    shells = shapely.polygons(shapely.get_rings(np.asarray(faces, dtype=object)))
    shells = shells[shapely.area(shells) > 1e-6]
    keys = shapely.to_wkb(shapely.normalize(shells), output_dimension=2)
    seen: dict[bytes, shapely.Polygon] = {}
    for key, shell in zip(keys.tolist(), shells.tolist(), strict=True):
        seen.setdefault(key, shell)
    # A contour is a shell only if no other face lies on both sides of it in a way that merges them;
    # faces' own exteriors and interiors are exactly the drawn closed contours.
    return list(seen.values())


def find_outline(
    strokes: Sequence[Stroke],
    copper: BaseGeometry | None = None,
    dedicated: bool = True,
    copper_points: NDArray[np.float64] | None = None,
    max_gap: float = SNAP_STEPS_MM[-1],
) -> Outline | None:
    """Find the board in `strokes`.

    `copper` (the copper's extent) and `copper_points` (pad centres) tell which contour is the
    board: the smallest one that holds the copper. `dedicated` says the layer is meant to be the
    board edge; such a layer may still carry a drawing (a fabrication drawing on a mechanical
    layer), which is recognised by how little of it the board's contours explain, and then only
    contours drawn with the board edge's pen and holding no copper count as cut-outs. Gaps up to
    `max_gap` are bridged.
    """
    # In a drawing the board edge is drawn with a pen; filled areas there are copper or ink.
    candidates = [
        s
        for s in strokes
        if len(s.points) >= 2
        and s.polarity_dark
        and ((s.region and dedicated) or (not s.region and s.width <= MAX_EDGE_PEN_MM))
    ]
    if not candidates:
        return None
    paths = [s.points for s in candidates]
    pens = np.array([s.width for s in candidates])
    # An edge layer's contour may leave a connector's pads hanging over the edge; a contour found
    # in a drawing must hold (nearly) everything, or it is some other outline of the drawing.
    holds = _Holder(copper, copper_points, 0.9 if dedicated else 0.97)
    if not dedicated and not holds.known:
        return None
    if not dedicated:
        paths, pens = _around(paths, pens, holds)
        if not paths:
            return None
    best: tuple[tuple[bool, float], Outline] | None = None
    for tolerance in (t for t in SNAP_STEPS_MM if t <= max_gap):
        snapped, gap = _snap(paths, tolerance)
        faces = _faces(snapped if dedicated else _prune_dangles(snapped))
        if not faces:
            continue
        shells, pen_of = _shells(faces), _Pens(paths, pens)
        result = _choose(shells, holds, dedicated, pen_of)
        if result is None:
            continue
        covered = _coverage(paths, result)
        if dedicated and covered < DRAWING_COVERAGE and holds.known:
            # Mostly not board edge: a drawing on the edge layer; read it as one.
            result = _choose(shells, holds, False, pen_of) or result
        result.gap_closed_mm = gap
        # The joins are good enough once a contour holds the copper; without copper to go by,
        # once (nearly) every stroke of the edge layer belongs to a contour.
        score = (holds.known and any(holds(e) for e in result.exteriors), covered)
        if best is None or score > best[0]:
            best = (score, result)
        if score[0] or (not holds.known and covered >= 0.98):
            break
    if best is None:
        return None
    (_, covered), result = best
    if result.gap_closed_mm > 0.02:
        result.notes.append(
            f"the outline's segments do not meet: gaps up to {result.gap_closed_mm:.3f} mm were closed"
        )
    if dedicated and covered >= DRAWING_COVERAGE:
        _add_routed_cutouts(result, strokes)
    return result


# The narrowest cut-out a router can mill: the smallest routing bits fabs use for cut-outs and slots.
MIN_ROUTED_MM = 0.8


def routable(shell: BaseGeometry) -> bool:
    """Whether a router bit fits inside the contour (its largest inscribed circle is wide enough)."""
    radius = shapely.maximum_inscribed_circle(shell, 0.01).length
    return bool(2 * radius >= MIN_ROUTED_MM)


# Below this share of its strokes on the board's contours, an edge layer is a drawing (title block,
# notes, dimensions) and its other closed shapes are not cut-outs.
DRAWING_COVERAGE = 0.6


def _add_routed_cutouts(result: Outline, strokes: Sequence[Stroke]) -> None:
    """Wide strokes inside the board on an edge layer are slots milled with that width."""
    board_shell = shapely.union_all(result.exteriors)
    edges = shapely.union_all(
        [shapely.LinearRing(e.exterior.coords) for e in result.exteriors + result.cutouts]
    )
    routed = []
    for st in strokes:
        if st.region or st.width <= 0 or not st.polarity_dark:
            continue
        line = shapely.LineString(st.points) if len(st.points) > 1 else shapely.Point(st.points[0])
        if line.distance(edges) < 1e-6 and st.width <= MAX_EDGE_PEN_MM:
            continue  # part of a contour: its centre line is the edge
        cut = line.buffer(st.width / 2)
        if board_shell.contains(cut):
            routed.append(cut)
    if routed:
        merged = shapely.get_parts(shapely.union_all(routed)).tolist()
        result.cutouts.extend(merged)
        result.board = result.board.difference(shapely.union_all(merged))
        result.notes.append(
            f"{len(merged)} slot(s) or hole(s) milled inside the board, drawn as wide strokes"
        )


def _mids(paths: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """The middle of each path's middle segment (its only point for a one-point path)."""
    if not paths:
        return np.zeros((0, 2))
    sizes = np.array([len(p) for p in paths])
    start = np.r_[0, np.cumsum(sizes)[:-1]]
    points = np.concatenate(paths)
    after = start + sizes // 2
    before = np.where(sizes > 1, after - 1, after)
    out: NDArray[np.float64] = (points[before] + points[after]) / 2
    return out


def _coverage(paths: list[NDArray[np.float64]], result: Outline) -> float:
    """Share of the drawn length that lies on the board's contours."""
    rings = [shapely.LinearRing(g.exterior.coords) for g in result.exteriors + result.cutouts]
    if not rings:
        return 0.0
    boundary = shapely.union_all(rings)
    lengths = path_lengths(paths)
    if lengths.sum() <= 0:
        return 1.0
    on = shapely.distance(boundary, shapely.points(_mids(paths))) < 1e-6
    return float(lengths[on].sum() / lengths.sum())


class _Pens:
    """The pen (stroke width) that drew a contour: the median width of the strokes lying on it."""

    def __init__(self, paths: list[NDArray[np.float64]], pens: NDArray[np.float64]) -> None:
        self.pens = pens
        self.tree = shapely.STRtree(shapely.points(_mids(paths))) if paths else None

    def of(self, shell: shapely.Polygon) -> float | None:
        if self.tree is None:
            return None
        near = self.tree.query(shell.exterior, predicate="dwithin", distance=1e-3)
        return float(np.median(self.pens[near])) if len(near) else None


def _shared_length(a: shapely.Polygon, b: shapely.Polygon) -> float:
    common = a.exterior.intersection(b.exterior)
    return float(common.length) if not common.is_empty else 0.0


def _boards(shells: list[shapely.Polygon], holds: _Holder) -> list[shapely.Polygon] | None:
    """The board contours: the smallest one holding the copper, with the tabs drawn onto it (edge
    connectors, ears: contours sharing a stretch of its edge); or, for a panel, the separate
    contours that together hold the copper."""
    holding = [s for s in shells if holds(s)]
    if holding:
        edge = min(holding, key=lambda s: s.area)
        tabs = [
            s
            for s in shells
            if s is not edge
            and not edge.contains(s)
            and not s.contains(edge)
            and s.area < edge.area
            and _shared_length(edge, s) >= 0.5
        ]
        return [edge, *tabs]
    if holds.points is not None:
        share = [(s, holds.share(s)) for s in shells]
        parts = [
            s for s, f in share if f >= 0.01 and not any(o is not s and o.contains(s) for o, g in share if g)
        ]
        if parts and holds.share(shapely.union_all(parts)) >= holds.enough:
            return parts
    return None


def _choose(shells: list[shapely.Polygon], holds: _Holder, dedicated: bool, pens: _Pens) -> Outline | None:
    if not shells:
        return None
    if not holds.known:
        # Nothing to tell the board by (a bare board): the layer's contours, even-odd.
        depth = _depths(shells)
        board, outer, holes = _even_odd(shells, depth)
        if board.is_empty:
            return None
        pen = pens.of(shells[outer[0]]) if outer else None
        return Outline(board, [shells[i] for i in outer], [shells[i] for i in holes], pen_mm=pen)
    boards = _boards(shells, holds)
    if not boards:
        return None
    exterior = shapely.union_all(boards)
    pen = pens.of(boards[0])
    inside = [
        s for s in shells if not any(s is b for b in boards) and exterior.contains(s) and s.area >= 0.01
    ]
    inside = [s for s in inside if not holds(s)]
    cutouts = []
    for s in inside:
        if holds.any_inside(s):
            continue  # copper inside: a drawing (drill symbol, component outline), not a hole in the board
        if not routable(s):
            continue  # too narrow for any router bit: a drawing (a letter, a mark), not a hole in the board
        if not dedicated:
            s_pen = pens.of(s)
            if pen is not None and (s_pen is None or abs(s_pen - pen) > 1e-4):
                continue
        cutouts.append(s)
    # Only the outermost: a contour inside a cut-out is an island of board, rare and kept simple.
    cutouts = [c for c in cutouts if not any(o is not c and o.contains(c) for o in cutouts)]
    board = exterior.difference(shapely.union_all(cutouts)) if cutouts else exterior
    return Outline(board, list(boards), cutouts, pen_mm=pen)


def _core(copper: BaseGeometry) -> BaseGeometry:
    """The copper extent, slightly shrunk: pads may overhang a board edge by a hair."""
    return copper.envelope.buffer(-0.25) if min(_dims(copper)) > 1.0 else copper.envelope


class _Holder:
    """Does a contour hold the board's copper? Judged on pad centres (`enough` of them inside,
    allowing tooling marks and overhanging connectors outside), or on the copper's extent when
    there are no pads."""

    def __init__(
        self, copper: BaseGeometry | None, points: NDArray[np.float64] | None, enough: float = 0.97
    ) -> None:
        self.enough = enough
        self.copper = copper if copper is not None and not copper.is_empty else None
        self.points = points if points is not None and len(points) >= 4 else None
        self.known = self.copper is not None or self.points is not None
        self._by_x: NDArray[np.float64] | None = None
        # A contour holding `enough` of the pads is at least as wide and tall as the narrowest
        # strip holding that share of them: most contours of a drawing fail this at once.
        self.min_span = (0.0, 0.0)
        if self.points is not None:
            k = max(1, int(np.ceil(enough * len(self.points))) - 1)
            spans = []
            for axis in (0, 1):
                v = np.sort(self.points[:, axis])
                spans.append(float((v[k:] - v[: len(v) - k]).min()) - 0.2 if k < len(v) else 0.0)
            self.min_span = (spans[0], spans[1])

    def any_inside(self, shell: BaseGeometry) -> bool:
        """Whether any pad centre lies inside the shell (asked of hundreds of small contours:
        only the pads within the shell's x range, found in the pads sorted by x, are tested)."""
        if self.points is None:
            return False
        if self._by_x is None:
            self._by_x = self.points[np.argsort(self.points[:, 0], kind="stable")]
        p = self._by_x
        x0, y0, x1, y1 = shell.bounds
        p = p[np.searchsorted(p[:, 0], x0, "left") : np.searchsorted(p[:, 0], x1, "right")]
        p = p[(p[:, 1] >= y0) & (p[:, 1] <= y1)]
        return bool(len(p) and shapely.contains_xy(shell, p[:, 0], p[:, 1]).any())

    def share(self, shell: BaseGeometry) -> float:
        if self.points is None:
            return 0.0
        x0, y0, x1, y1 = shell.bounds
        p = self.points
        in_box = (p[:, 0] >= x0 - 0.1) & (p[:, 0] <= x1 + 0.1) & (p[:, 1] >= y0 - 0.1) & (p[:, 1] <= y1 + 0.1)
        if not in_box.any():
            return 0.0
        inside = shapely.contains_xy(shell.buffer(0.1), p[in_box, 0], p[in_box, 1])
        return float(inside.sum() / len(p))

    def __call__(self, shell: shapely.Polygon) -> bool:
        if self.points is not None:
            x0, y0, x1, y1 = shell.bounds
            if x1 - x0 < self.min_span[0] or y1 - y0 < self.min_span[1]:
                return False
            p = self.points
            # Most contours of a drawing hold few pads: decide those on the bounding box alone.
            in_box = (
                (p[:, 0] >= x0 - 0.1) & (p[:, 0] <= x1 + 0.1) & (p[:, 1] >= y0 - 0.1) & (p[:, 1] <= y1 + 0.1)
            )
            if in_box.mean() < self.enough:
                return False
            return self.share(shell) >= self.enough
        if self.copper is not None:
            return bool(shell.buffer(0.05).contains(_core(self.copper)))
        return False


def copper_core(points: NDArray[np.float64]) -> BaseGeometry | None:
    """Where the board's pads are: the box holding all but the outermost 1 % of pad centres on each
    side, so that tooling marks and plot corners some films carry do not count as the board."""
    if len(points) < 4:
        return None
    lo = np.percentile(points, 1, axis=0)
    hi = np.percentile(points, 99, axis=0)
    return shapely.box(lo[0], lo[1], hi[0], hi[1])


def _dims(geom: BaseGeometry) -> tuple[float, float]:
    b = geom.bounds
    return float(b[2] - b[0]), float(b[3] - b[1])
