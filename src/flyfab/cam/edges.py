"""Width and spacing measured on polygon edges, the way a design-rule checker does.

A layer's islands are broken into their boundary edges, oriented so that copper lies to the left
of every edge. Two kinds of edge pairs are measured:

- internal (width): two edges of the same island that face each other across copper, nearly
  anti-parallel (within `FACING_ANGLE`) and overlapping when projected on each other. Neighbouring
  edges are never paired, so the corners of a pad do not count as narrow copper. This is the
  "opposite" width check of commercial DRC tools.
- external (gap): edges of two different islands, at their true Euclidean distance, corners
  included, because a fabricator has to etch every gap between separate shapes.

Candidate pairs come from an STRtree over the edges' boxes (or, in long-lived processes, the grid of
pairs.py), searched within a distance that starts near the thinnest drawn trace and doubles until
both are found, so the exact minimum is found without comparing every edge with every other.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from flyfab.cam.islands import Geoms
from flyfab.cam.tolerance import ARC_TOLERANCE_MM, FINE_RADIUS_MM, FINE_TOLERANCE_MM

log = logging.getLogger(__name__)

# Where two polygonised curves meet, chords can leave spikes and slivers up to about one chord
# error thick that are not in the design; spans thinner than two chord errors are that noise.
NOISE_FLOOR_MM = 2 * ARC_TOLERANCE_MM

FACING_ANGLE = math.radians(30)
SQUARE = math.sin(math.radians(8))  # how far a width span may lean from the edges' normals
Floats = NDArray[np.float64]
Ints = NDArray[np.intp]


@dataclass(frozen=True)
class Span:
    """A measured distance and where it was measured (the middle of the span, board mm)."""

    value: float
    x: float
    y: float
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class Edges:
    p1: Floats  # (n, 2) start points
    p2: Floats  # (n, 2) end points
    island: Ints  # island index of each edge
    ring: Ints  # global ring index of each edge
    pos: Ints  # position of the edge within its ring
    ring_len: Ints  # number of edges in the edge's ring
    bulge: Floats  # how far the arc this edge is a chord of bows out of the copper (+) or into it (-)

    def __len__(self) -> int:
        return len(self.p1)

    @cached_property
    def unit(self) -> Floats:
        """Each edge's direction as a unit vector."""
        d = self.p2 - self.p1
        out: Floats = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-300)[:, None]
        return out


def edges_of(islands: Geoms) -> Edges:
    # Unions can repeat a vertex; a zero-length edge would hide which edges are neighbours.
    polys = (
        shapely.orient_polygons(shapely.remove_repeated_points(islands, 1e-9)) if len(islands) else islands
    )
    rings = shapely.get_rings(polys)
    ring_island = np.repeat(np.arange(len(polys)), shapely.get_num_interior_rings(polys) + 1)
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        z = np.zeros((0, 2))
        e = np.zeros(0, dtype=np.intp)
        return Edges(z, z, e, e, e, e, np.zeros(0))
    same = ring_index[1:] == ring_index[:-1]
    p1 = coords[:-1][same]
    p2 = coords[1:][same]
    ring = ring_index[:-1][same]
    starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    counts = np.diff(np.r_[starts, len(ring)])
    pos = np.arange(len(ring)) - np.repeat(starts, counts)
    ring_len = np.repeat(counts, counts)
    return Edges(p1, p2, ring_island[ring], ring, pos, ring_len, _bulges(p1, p2, starts, counts))


MAX_CHORD_TURN = math.radians(35)


def _bulges(p1: Floats, p2: Floats, starts: Ints, counts: Ints) -> Floats:
    """The sagitta of the arc each edge is a chord of, signed: + where copper bulges out.

    Every curve here was replaced by chords that turn by equal small angles; the chord's neighbours
    say by how much, and with its length that gives the arc's sagitta (at most the chord tolerance).
    An edge between turns that differ, or turns too sharp for our chords, is a real straight edge.
    """
    d = p2 - p1
    length = np.hypot(d[:, 0], d[:, 1])
    angle = np.arctan2(d[:, 1], d[:, 0])
    # The previous edge in the same ring (rings are closed: the first edge follows the last).
    index = np.arange(len(p1))
    ring_start = np.repeat(starts, counts)
    ring_end = ring_start + np.repeat(counts, counts) - 1
    prev = np.where(index == ring_start, ring_end, index - 1)
    nxt = np.where(index == ring_end, ring_start, index + 1)
    turn_in = (angle - angle[prev] + math.pi) % (2 * math.pi) - math.pi
    turn_out = (angle[nxt] - angle + math.pi) % (2 * math.pi) - math.pi
    big = np.maximum(np.abs(turn_in), np.abs(turn_out))
    small = np.minimum(np.abs(turn_in), np.abs(turn_out))
    # A chord next to a straight side turns by half a step there: allow a factor of two.
    arc = (
        (np.sign(turn_in) == np.sign(turn_out))
        & (big <= MAX_CHORD_TURN)
        & (small >= 0.45 * big)
        & (small > 0)
    )
    sagitta = np.where(arc, length / 2 * np.tan(big / 4), 0.0)
    radius = np.where(arc, length / (2 * np.sin(np.maximum(big, 1e-12) / 2)), np.inf)
    cap = np.where(radius <= FINE_RADIUS_MM, FINE_TOLERANCE_MM, ARC_TOLERANCE_MM)
    return np.sign(turn_in) * np.minimum(sagitta, cap)


def _point_segment(p: Floats, a: Floats, b: Floats) -> tuple[Floats, Floats, Floats]:
    """Distance from points p to segments ab, the closest points, and the projection parameter."""
    ab = b - a
    denom = np.einsum("ij,ij->i", ab, ab)
    t = np.einsum("ij,ij->i", p - a, ab) / np.where(denom == 0, 1, denom)
    tc = np.clip(t, 0, 1)
    c = a + ab * tc[:, None]
    return np.hypot(*(p - c).T), c, t


def _segment_distance(
    a1: Floats, a2: Floats, b1: Floats, b2: Floats
) -> tuple[Floats, Floats, Floats, Ints, Floats]:
    """Euclidean distance between segments, the two closest points, which segment (0: b, 1: a) the
    second point lies on and where along it (segments do not cross here)."""
    cands = [
        (*_point_segment(a1, b1, b2), a1, 0),
        (*_point_segment(a2, b1, b2), a2, 0),
        (*_point_segment(b1, a1, a2), b1, 1),
        (*_point_segment(b2, a1, a2), b2, 1),
    ]
    dist = np.stack([c[0] for c in cands])
    best = np.argmin(dist, axis=0)
    rows = np.arange(len(a1))
    d = dist[best, rows]
    q = np.stack([c[1] for c in cands])[best, rows]
    t = np.clip(np.stack([c[2] for c in cands])[best, rows], 0, 1)
    p = np.stack([c[3] for c in cands])[best, rows]
    on = np.array([c[4] for c in cands])[best]
    return d, p, q, on, t


def _internal(edges: Edges, i: Ints, j: Ints) -> tuple[Floats, Floats, Floats]:
    """Width across copper for candidate edge pairs that face each other across copper: the
    widths and their end points, for the pairs that qualify only."""
    gap = np.abs(edges.pos[i] - edges.pos[j])
    n = edges.ring_len[i]
    adjacent = (edges.ring[i] == edges.ring[j]) & ((gap <= 1) | (gap >= n - 1))
    # Copper lies to the left of each edge; facing edges run in opposite directions. Cheap tests
    # first: most candidate pairs are neighbours or parallel sides and need no distances.
    unit = edges.unit
    ok = ~adjacent & (np.einsum("ij,ij->i", unit[i], unit[j]) < -math.cos(FACING_ANGLE))
    i, j = i[ok], j[ok]
    a1, a2, b1, b2 = edges.p1[i], edges.p2[i], edges.p1[j], edges.p2[j]
    ua, ub = unit[i], unit[j]
    ok = np.ones(len(i), dtype=bool)
    inf = np.full(len(i), np.inf)
    na = np.stack([-ua[:, 1], ua[:, 0]], axis=1)
    nb = np.stack([-ub[:, 1], ub[:, 0]], axis=1)
    mid_a, mid_b = (a1 + a2) / 2, (b1 + b2) / 2
    ok &= np.einsum("ij,ij->i", mid_b - mid_a, na) > 0
    ok &= np.einsum("ij,ij->i", mid_a - mid_b, nb) > 0
    best = inf.copy()
    p_best = np.zeros((len(i), 2))
    q_best = np.zeros((len(i), 2))
    bow = np.zeros(len(i))
    # Only distances whose foot falls inside the other edge count ("opposite" projection).
    for p, s1, s2, foot_edge in ((a1, b1, b2, j), (a2, b1, b2, j), (b1, a1, a2, i), (b2, a1, a2, i)):
        d, c, t = _point_segment(p, s1, s2)
        # Across, not aslant: the span must run along both edges' normals, else the corner of a
        # side and the far end of a round cap's chord would read as a narrower width.
        span = (c - p) / np.maximum(d, 1e-12)[:, None]
        square = (np.abs(np.einsum("ij,ij->i", span, ua)) <= SQUARE) & (
            np.abs(np.einsum("ij,ij->i", span, ub)) <= SQUARE
        )
        inside = ok & square & (t >= 0) & (t <= 1) & (d < best)
        best[inside] = d[inside]
        p_best[inside] = p[inside]
        q_best[inside] = c[inside]
        bow[inside] = (edges.bulge[foot_edge] * 4 * t * (1 - t))[inside]
    # The measured point on a chord lies inside the true arc: across copper the arc is farther.
    return best + bow, p_best, q_best


def _external(edges: Edges, i: Ints, j: Ints) -> tuple[Floats, Floats, Floats]:
    """Distance between edges of different islands (the caller passes only such pairs)."""
    d, p, q, on, t = _segment_distance(edges.p1[i], edges.p2[i], edges.p1[j], edges.p2[j])
    foot = np.where(on == 1, i, j)
    # Copper bulging out of a chord comes closer to its neighbour than the chord does.
    return d - edges.bulge[foot] * 4 * t * (1 - t), p, q


def _first(d: Floats, p: Floats, q: Floats, radius: float, floor: float) -> Span | None:
    d = np.where(d > floor, d, np.inf)
    if len(d) == 0:
        return None
    k = int(np.argmin(d))
    if d[k] > radius:
        return None
    (x1, y1), (x2, y2) = p[k], q[k]
    return Span(
        float(d[k]), float((x1 + x2) / 2), float((y1 + y2) / 2), float(x1), float(y1), float(x2), float(y2)
    )


@dataclass
class Spans:
    """Every measured span of one kind: value, and the two points it runs between."""

    value: Floats
    p: Floats  # (n, 2)
    q: Floats  # (n, 2)

    def __len__(self) -> int:
        return len(self.value)

    @property
    def middle(self) -> Floats:
        out: Floats = (self.p + self.q) / 2
        return out


def _keep(d: Floats, p: Floats, q: Floats, below: float, floor: float) -> Spans:
    ok = (d > floor) & (d < below)
    return Spans(d[ok], p[ok], q[ok])


@dataclass
class WidthAndGap:
    width: Span | None
    gap: Span | None
    searched_mm: float = 0.0  # nothing narrower or closer than this was missed
    # Every width and gap under `spans_below_mm`, when asked for (what design-rule checks need),
    # measured in the same pass as the minimums.
    widths: Spans | None = None
    gaps: Spans | None = None
    spans_below_mm: float = 0.0


PAIR_BUDGET = 12_000_000  # candidate pairs one round may examine (about 1 GB of work arrays)
_GRID: Callable[[Floats, Floats, float, int], tuple[Ints, Ints] | None] | None = None


def load_grid() -> None:
    """Find candidate edge pairs with the compiled grid of pairs.py from now on, in this process and
    the processes it forks. Loading numba and the compiled code takes about 0.35 s (1.2 s where
    Python must compile numba's modules again), so processes that live long (the platform's task
    workers) do it once when they start, and a command that analyses one upload only when the
    upload is large (`analyze.GRID_MIN_BYTES`); otherwise GEOS's STRtree, which needs no loading."""
    global _GRID
    from flyfab.cam.pairs import near_pairs

    near_pairs(np.zeros((2, 2)), np.ones((2, 2)), 1.0, 16)  # loads the compiled code now
    _GRID = near_pairs


def grid_loaded() -> bool:
    return _GRID is not None


def try_load_grid() -> None:
    """`load_grid` unless it is loaded already. A failure is logged, not raised: the STRtree
    measures the same, only slower, and a worker or an analysis must go on whatever the compiler
    says."""
    if grid_loaded():
        return
    try:
        load_grid()
    except Exception as e:
        log.warning("edge-pair grid not loaded, edge pairs come from the STRtree: %s", e)


def unload_grid() -> None:
    """Back to GEOS's STRtree (for comparing the two)."""
    global _GRID
    _GRID = None


class _Neighbours:
    """Edge pairs that may come within a distance of each other (a superset of those that do):
    from the grid once it is loaded, else from an STRtree of the edges' boxes, each grown by half
    the distance, so two edges are candidates exactly when their grown boxes meet (one set of boxes
    per distance serves as the tree and as the queries)."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self.lo = np.minimum(edges.p1, edges.p2)
        self.hi = np.maximum(edges.p1, edges.p2)
        self._radius: float | None = None
        self._boxes: NDArray[np.object_] = np.empty(0, dtype=object)
        self._tree = shapely.STRtree(self._boxes)
        self._grid = _GRID
        self._found: dict[float, tuple[Ints, Ints] | None] = {}

    def _grown(self, radius: float) -> tuple[shapely.STRtree, NDArray[np.object_]]:
        if radius != self._radius:
            # A hair more than half, so that edges exactly `radius` apart (common on a grid) are
            # candidates whatever the rounding.
            grow = radius / 2 + 1e-6
            lo, hi = self.lo - grow, self.hi + grow
            self._boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
            self._tree = shapely.STRtree(self._boxes)
            self._radius = radius
        return self._tree, self._boxes

    def _from_grid(self, radius: float) -> tuple[Ints, Ints] | None:
        assert self._grid is not None
        if radius not in self._found:
            self._found = {radius: self._grid(self.edges.p1, self.edges.p2, radius, PAIR_BUDGET)}
        return self._found[radius]

    def estimate(self, radius: float) -> float:
        """Number of candidate pairs within `radius`: counted on the grid (inf past the budget),
        expected from a sample of edges on the STRtree."""
        if self._grid is not None:
            found = self._from_grid(radius)
            return math.inf if found is None else float(len(found[0]))
        tree, boxes = self._grown(radius)
        step = max(1, len(boxes) // 2000)
        got = tree.query(boxes[::step])
        return len(got[0]) * step / 2

    def pairs(self, radius: float) -> tuple[Ints, Ints]:
        found = self._from_grid(radius) if self._grid is not None else None
        if found is not None:
            return found
        # No grid, or past its budget (for callers that do not ask `estimate` first).
        tree, boxes = self._grown(radius)
        q, t = tree.query(boxes)
        keep = q < t
        return q[keep].astype(np.intp), t[keep].astype(np.intp)


def measure(
    islands: Geoms,
    start: float = 0.1,
    limit: float = 3.2,
    floor: float = NOISE_FLOOR_MM,
    spans_below: float | None = None,
) -> WidthAndGap:
    """The narrowest copper (width) and the closest two separate islands (gap) of a layer.

    The search radius doubles from `start` until both are found, `limit` is reached or the next
    round would be too large; a value is only accepted when it is within the radius searched, so it
    is the true minimum. Copper wider than `limit` is not a trace, islands further apart are not a
    clearance question; both are then reported as not found, with the radius that was searched.
    With `spans_below`, every width and gap under it is kept too, from the same edge pairs.
    """
    edges = edges_of(islands)
    found = WidthAndGap(None, None)
    want_gap = len(islands) > 1
    # Every pair under `spans_below` is examined anyway: the first round goes that far at once
    # (one round at 0.127 mm costs less than rounds at 0.1 and 0.2 mm).
    radius = max(start, min(spans_below or 0.0, limit))
    neighbours = _Neighbours(edges) if len(edges) else None
    while neighbours is not None:
        if neighbours.estimate(radius) > PAIR_BUDGET:
            break
        found.searched_mm = radius
        i, j = neighbours.pairs(radius)
        same = edges.island[i] == edges.island[j]
        collect = spans_below is not None and found.widths is None and radius >= spans_below
        if found.width is None or collect:
            inner = _internal(edges, i[same], j[same])
            found.width = found.width or _first(*inner, radius, floor)
            if collect:
                assert spans_below is not None
                found.widths = _keep(*inner, spans_below, floor)
        if (want_gap and found.gap is None) or collect:
            outer = _external(edges, i[~same], j[~same])
            found.gap = found.gap or (_first(*outer, radius, floor) if want_gap else None)
            if collect:
                assert spans_below is not None
                found.gaps = _keep(*outer, spans_below, floor)
                found.spans_below_mm = spans_below
        done = found.width is not None and (found.gap is not None or not want_gap)
        if (done and (spans_below is None or found.widths is not None)) or radius >= limit:
            break
        radius = min(radius * 2, limit)
    if spans_below is not None and found.widths is None and neighbours is not None:
        found.widths, found.gaps = _spans(edges, neighbours, spans_below, floor)
        found.spans_below_mm = spans_below
    return found


def spans_below(islands: Geoms, below: float, floor: float = NOISE_FLOOR_MM) -> tuple[Spans, Spans]:
    """All copper narrower than `below` (widths) and all gaps between separate islands closer than
    it, as design-rule checks need them: every place, not just the minimum."""
    edges = edges_of(islands)
    if len(edges) == 0:
        empty = Spans(np.zeros(0), np.zeros((0, 2)), np.zeros((0, 2)))
        return empty, empty
    return _spans(edges, _Neighbours(edges), below, floor)


def _spans(edges: Edges, neighbours: _Neighbours, below: float, floor: float) -> tuple[Spans, Spans]:
    i, j = neighbours.pairs(below)
    same = edges.island[i] == edges.island[j]
    widths = _keep(*_internal(edges, i[same], j[same]), below, floor)
    gaps = _keep(*_external(edges, i[~same], j[~same]), below, floor)
    return widths, gaps


def spans_of(features: WidthAndGap | None, islands: Geoms, below: float) -> tuple[Spans, Spans]:
    """Every width and gap under `below`: from the analysis when it measured them that far."""
    measured = features is not None and features.widths is not None and features.gaps is not None
    if measured and features is not None and features.spans_below_mm >= below:
        assert features.widths is not None and features.gaps is not None
        return _under(features.widths, below), _under(features.gaps, below)
    return spans_below(islands, below)


def _under(spans: Spans, below: float) -> Spans:
    keep = spans.value < below
    return Spans(spans.value[keep], spans.p[keep], spans.q[keep])


GRID_CELLS = 4_000_000  # the most cells of the grid that tells which edges may be near a point


def _boxes_near(lo: Floats, hi: Floats, points: Floats, reach: Floats) -> NDArray[np.bool_]:
    """Which boxes [lo, hi] may come within each point's reach of it (a superset): on a grid of
    cells as wide as the typical reach, the cells each point's reach covers are marked, and a box
    is kept when a summed-area table finds a marked cell under it."""
    cell = max(float(np.median(reach)), 1e-3)
    grown = reach[:, None] + 1e-6  # a micrometre more, so rounding never drops an edge at the reach
    origin = (points - grown).min(axis=0)
    first = np.floor((points - grown - origin) / cell).astype(np.intp)
    last = np.floor((points + grown - origin) / cell).astype(np.intp) + 1
    shape = last.max(axis=0)
    if int(shape[0]) * int(shape[1]) > GRID_CELLS:
        return np.ones(len(lo), dtype=bool)
    # Each point's square of cells as four corners of a difference grid, summed up.
    marks = np.zeros((int(shape[0]) + 1, int(shape[1]) + 1), dtype=np.int64)
    for (i, j), sign in (((first, first), 1), ((last, first), -1), ((first, last), -1), ((last, last), 1)):
        np.add.at(marks, (i[:, 0], j[:, 1]), sign)
    covered = marks.cumsum(axis=0).cumsum(axis=1)[:-1, :-1] > 0
    table = np.zeros((int(shape[0]) + 1, int(shape[1]) + 1), dtype=np.int64)
    table[1:, 1:] = covered.cumsum(axis=0).cumsum(axis=1)
    a = np.clip(np.floor((lo - origin) / cell).astype(np.intp), 0, shape)
    b = np.clip(np.floor((hi - origin) / cell).astype(np.intp) + 1, 0, shape)
    (a0, a1), (b0, b1) = a.T, b.T
    count = table[b0, b1] - table[a0, b1] - table[b0, a1] + table[a0, a1]
    near: NDArray[np.bool_] = count > 0
    return near


def nearest_edge(islands: Geoms, points: Floats, within: Floats) -> Floats:
    """Distance from each point to the nearest copper edge, if closer than its `within`; else inf.

    For a point inside copper that is the distance to its own island's boundary (any other island
    lies beyond it), e.g. the pad edge around a drill hole, found from the edges nearby only: edges
    whose box comes within no point's own reach are dropped (a pour's long boundary, far from every
    hole), the rest are cut into pieces no longer than the typical reach, and a k-d tree over the
    pieces' middles finds every piece that may come within reach of a point.
    """
    out = np.full(len(points), np.inf)
    edges = edges_of(islands)
    if len(edges) == 0 or len(points) == 0:
        return out
    near = _boxes_near(np.minimum(edges.p1, edges.p2), np.maximum(edges.p1, edges.p2), points, within)
    p1, p2 = edges.p1[near], edges.p2[near]
    if len(p1) == 0:
        return out
    # Pieces about as long as the typical reach; a point reaching further asks a wider circle.
    step = min(max(float(np.median(within)), 1e-3), 1.0)
    d = p2 - p1
    pieces = np.maximum(1, np.ceil(np.hypot(d[:, 0], d[:, 1]) / step)).astype(np.intp)
    owner = np.repeat(np.arange(len(pieces)), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    t = (np.arange(len(owner)) - first + 0.5) / pieces[owner]
    middles = p1[owner] + d[owner] * t[:, None]
    # Every point of a piece lies within step/2 of its middle.
    found = cKDTree(middles).query_ball_point(points, within + step / 2)
    counts = np.fromiter((len(n) for n in found), dtype=np.intp, count=len(found))
    if counts.sum() == 0:
        return out
    k = np.repeat(np.arange(len(points)), counts)
    e = owner[np.concatenate([np.asarray(n, dtype=np.intp) for n in found if len(n)])]
    dist, _, _ = _point_segment(points[k], p1[e], p2[e])
    np.minimum.at(out, k, dist)
    return np.where(out < within, out, np.inf)
