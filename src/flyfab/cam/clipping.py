"""Polygon booleans with Clipper2 (through pyclipr), for layers of many thousands of shapes.

GEOS merges overlapping shapes pairwise in a cascade, each step a full overlay; Clipper2 sweeps all
edges of all shapes once (Vatti's algorithm) on an integer grid, and cuts a shape by any number of
overlapping cutters without merging the cutters first. On the copper layers of the corpus drawing
a layer this way is several times faster (docs/benchmarks.md). The grid is 1 nm, far below the
2.5 µm to which curves are already approximated, so nothing measurable moves.

Shapes travel between the steps as rings: arrays of points, shells counter-clockwise and holes
clockwise, so that the non-zero fill rule gives the union of everything drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyclipr
import shapely
from numpy.typing import NDArray

SCALE = 1_000_000  # grid steps per millimetre

Geoms = NDArray[np.object_]
Ring = NDArray[np.float64]


def rings(polys: Geoms) -> list[Ring]:
    """Every ring of the polygons, shells counter-clockwise and holes clockwise."""
    polys = shapely.get_parts(polys)  # a MultiPolygon's rings are those of its parts
    polys = polys[shapely.get_type_id(polys) == 3]
    return owned_rings(polys)[0]


def owned_rings(polys: Geoms) -> tuple[list[Ring], NDArray[np.intp]]:
    """Every ring of the polygons (single polygons), oriented as `rings` does, and the index of the
    polygon each belongs to."""
    if len(polys) == 0:
        return [], np.zeros(0, dtype=np.intp)
    oriented = shapely.orient_polygons(polys)
    each, owner = shapely.get_rings(oriented, return_index=True)
    coords, ring = shapely.get_coordinates(each, return_index=True)
    cuts = np.flatnonzero(np.diff(ring)) + 1
    return np.split(coords, cuts), owner


def _clipper() -> Any:
    clipper = pyclipr.Clipper()
    clipper.scaleFactor = SCALE
    return clipper


def difference(subject: list[Ring], cutters: list[Ring]) -> list[Ring]:
    """What of `subject` no cutter covers, as oriented rings."""
    clipper = _clipper()
    clipper.addPaths(subject, pyclipr.Subject)
    clipper.addPaths(cutters, pyclipr.Clip)
    out: list[Ring] = clipper.execute(pyclipr.Difference, pyclipr.FillRule.NonZero)
    return out


def difference_polygons(subject: list[Ring], cutters: list[Ring]) -> Geoms:
    """What of `subject` no cutter covers, as disjoint shapely polygons."""
    clipper = _clipper()
    clipper.addPaths(subject, pyclipr.Subject)
    clipper.addPaths(cutters, pyclipr.Clip)
    return _polygons(clipper.execute2(pyclipr.Difference, pyclipr.FillRule.NonZero))


def intersection(subject: list[Ring], clip: list[Ring]) -> Geoms:
    """Where both sets of rings are filled, as disjoint shapely polygons."""
    if not subject or not clip:
        return np.empty(0, dtype=object)
    clipper = _clipper()
    clipper.addPaths(subject, pyclipr.Subject)
    clipper.addPaths(clip, pyclipr.Clip)
    return _polygons(clipper.execute2(pyclipr.Intersection, pyclipr.FillRule.NonZero))


def union_rings(parts: list[Ring]) -> list[Ring]:
    """The union of oriented rings as oriented rings (for a further union: no polygons built)."""
    if not parts:
        return []
    clipper = _clipper()
    clipper.addPaths(parts, pyclipr.Subject)
    out: list[Ring] = clipper.execute(pyclipr.Union, pyclipr.FillRule.NonZero)
    return out


def union(parts: list[Ring]) -> Geoms:
    """The union of oriented rings as disjoint shapely polygons (with their holes)."""
    if not parts:
        return np.empty(0, dtype=object)
    clipper = _clipper()
    clipper.addPaths(parts, pyclipr.Subject)
    return _polygons(clipper.execute2(pyclipr.Union, pyclipr.FillRule.NonZero))


def _polygons(tree: Any) -> Geoms:
    """A Clipper poly tree as shapely polygons, built in bulk: shells, their holes, and the
    islands inside holes as polygons of their own. Each node's points are read once (pyclipr
    copies them out on every read); shapely closes the rings."""
    coords: list[Ring] = []
    owner: list[int] = []
    todo = list(tree.children)
    shells = 0
    while todo:
        shell = todo.pop()
        holes = shell.children
        for hole in holes:
            todo.extend(hole.children)
        outer = shell.polygon
        if len(outer) < 3:
            continue
        coords.append(outer)
        owner.append(shells)
        for hole in holes:
            ring = hole.polygon
            if len(ring) >= 3:
                coords.append(ring)
                owner.append(shells)
        shells += 1
    if not coords:
        return np.empty(0, dtype=object)
    points = np.concatenate(coords)
    ring_of_point = np.repeat(np.arange(len(coords)), [len(c) for c in coords])
    linear = shapely.linearrings(points, indices=ring_of_point)
    owners = np.asarray(owner)
    polys: Geoms = shapely.polygons(linear, indices=owners)
    return polys
