"""A layer's dark area as islands: disjoint polygons, built from everything the file draws.

Clear polarity only removes what was drawn before it, so each dark shape is cut by just the later
clear shapes that touch it (found with an STRtree join), and everything left is merged in one
Clipper2 sweep (`clipping`), instead of re-merging a large pour with every later polarity run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from flyfab.cam import clipping

Geoms = NDArray[np.object_]


def as_array(geoms: Sequence[Any] | Geoms) -> Geoms:
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return arr


def polygons(geoms: Geoms) -> Geoms:
    """Explode to single polygons, dropping empties and anything without area."""
    if len(geoms) == 0:
        return as_array([])
    parts = shapely.get_parts(geoms)
    keep = shapely.get_type_id(parts) == 3
    parts = parts[keep]
    out: Geoms = parts[~shapely.is_empty(parts)]
    return out


def intersecting_pairs(left: Geoms, right: Geoms) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index pairs (i, j) where left[i] intersects right[j].

    Candidates come from bounding boxes; the exact test then runs with the geometry that has more
    vertices prepared, because testing a small pad against a large pour is otherwise linear in the
    pour's size for every pad.
    """
    if len(left) == 0 or len(right) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    i, j = shapely.STRtree(left).query(right)[::-1]
    if left is right:
        # A self-join: each unordered pair once, and nothing with itself.
        once = i < j
        i, j = i[once], j[once]
    if len(i) == 0:
        return i, j
    n_left, n_right = shapely.get_num_coordinates(left), shapely.get_num_coordinates(right)
    shapely.prepare(left[n_left > 500])
    shapely.prepare(right[n_right > 500])
    swap = n_right[j] > n_left[i]
    big = np.where(swap, right[j], left[i])
    small = np.where(swap, left[i], right[j])
    hit = shapely.intersects(big, small)
    return i[hit], j[hit]


# Polygons are merged tile by tile before the sweep over the whole layer: where strokes pile up (a
# pour hatched with lines far closer than their width), most of their edges end inside a tile and
# never reach the whole layer's sweep, whose cost grows with the edges it crosses.
TILE_POLYGONS = 64


class _Tiles:
    """The polygons grouped by the square tile that holds the middle of their box."""

    def __init__(self, polys: Geoms) -> None:
        box = shapely.bounds(polys)
        middle = (box[:, :2] + box[:, 2:]) / 2
        self.low = middle.min(axis=0)
        span = middle.max(axis=0) - self.low
        # About TILE_POLYGONS per tile if they were spread evenly (also when they lie along a line).
        share = TILE_POLYGONS / len(polys)
        self.cell = max(math.sqrt(span[0] * span[1] * share), max(span) * share, 1e-6)
        self.ij = np.floor((middle - self.low) / self.cell).astype(np.int64)
        self.key = self.ij[:, 0] * (int(self.ij[:, 1].max()) + 1) + self.ij[:, 1]  # each polygon's tile
        order = np.argsort(self.key, kind="stable")
        self.groups = np.split(order, np.flatnonzero(np.diff(self.key[order])) + 1)

    def merged(self, polys: Geoms) -> list[Geoms]:
        return [clipping.union(clipping.rings(polys[g])) if len(g) > 1 else polys[g] for g in self.groups]


def _tile_rings(polys: Geoms) -> list[clipping.Ring]:
    """Rings of the (single) polygons, those whose middles lie in one tile of a grid already
    merged: ring to ring, with no polygons built in between."""
    if len(polys) < 4 * TILE_POLYGONS:
        return clipping.rings(polys)
    all_rings, owner = clipping.owned_rings(polys)
    ring_tile = _Tiles(polys).key[owner]
    by_tile = np.argsort(ring_tile, kind="stable")
    bounds = np.flatnonzero(np.diff(ring_tile[by_tile])) + 1
    out: list[clipping.Ring] = []
    for group in np.split(by_tile, bounds):
        ring_group = [all_rings[r] for r in group]
        single = owner[group[0]] == owner[group[-1]]  # one polygon alone in its tile
        out.extend(ring_group if single else clipping.union_rings(ring_group))
    return out


def _settled(polys: Geoms, loose: Geoms) -> tuple[Geoms, list[clipping.Ring]]:
    """The polygons merged tile by tile, in two parts: islands already final, and the rings that
    still need the sweep over the whole layer.

    A merged polygon strictly inside its tile's rectangle can meet no polygon of another tile but
    one reaching out of its own tile (tiles' insides are disjoint), so unless it meets such a
    polygon it is an island as it stands; only what straddles the tiles' borders, and what meets
    it, is swept again. On a silkscreen or a solder mask that is a fraction of the layer. `loose`
    polygons, in no tile (shapes cut by clear polarity), go to the sweep with all they meet."""
    if len(polys) < 4 * TILE_POLYGONS:
        return as_array([]), clipping.rings(polys) + clipping.rings(loose)
    tiles = _Tiles(polys)
    merged = tiles.merged(polys)
    parts = np.concatenate(merged)
    lo = np.repeat(
        tiles.low + tiles.ij[[g[0] for g in tiles.groups]] * tiles.cell, [len(m) for m in merged], axis=0
    )
    b = shapely.bounds(parts)
    inside = np.all((b[:, :2] > lo) & (b[:, 2:] < lo + tiles.cell), axis=1)
    # Whatever meets a straddling or loose polygon (touching counts) goes to the sweep with it.
    _, near = shapely.STRtree(parts[inside]).query(
        np.concatenate([parts[~inside], loose]), predicate="intersects"
    )
    swept = ~inside
    swept[np.flatnonzero(inside)[near]] = True
    return parts[~swept], clipping.rings(parts[swept]) + clipping.rings(loose)


def union_islands(geoms: Geoms) -> Geoms:
    """The union of `geoms` as disjoint polygons."""
    geoms = polygons(geoms)
    if len(geoms) <= 1:
        return geoms
    settled, rings = _settled(geoms, as_array([]))
    return polygons(np.concatenate([settled, clipping.union(rings)]))


def _spans_half(some: Geoms, every: Geoms) -> bool:
    """Whether one of `some` has a box as large as half the box of `every` (a plane's pour)."""
    if len(some) == 0:
        return False
    b, whole = shapely.bounds(some), shapely.total_bounds(every)
    return bool(
        ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])).max() >= (whole[2] - whole[0]) * (whole[3] - whole[1]) / 2
    )


def compose(runs: Sequence[tuple[bool, Geoms]]) -> Geoms:
    """The image of polarity runs drawn in order, as islands.

    Clear polarity only removes what was drawn before it, so the image is the union over dark
    shapes of (shape minus the clear shapes drawn after it). Each dark shape is cut once by just
    the later clear shapes that touch it, and everything is merged in one pass at the end, instead
    of re-merging a large pour with every later run.
    """
    dark: list[tuple[int, Geoms]] = []
    clear: list[tuple[int, Geoms]] = []
    for k, (is_dark, parts) in enumerate(runs):
        parts = polygons(parts)
        if len(parts):
            (dark if is_dark else clear).append((k, parts))
    if not dark:
        return as_array([])
    shapes = np.concatenate([p for _, p in dark])
    if not clear:
        return union_islands(shapes)
    order = np.concatenate([np.full(len(p), k) for k, p in dark])
    cutters = np.concatenate([p for _, p in clear])
    cut_order = np.concatenate([np.full(len(p), k) for k, p in clear])
    hit_shape, hit_cut = intersecting_pairs(shapes, cutters)
    later = cut_order[hit_cut] > order[hit_shape]
    hit_shape, hit_cut = hit_shape[later], hit_cut[later]
    touched = np.unique(hit_shape)
    kept = np.ones(len(shapes), dtype=bool)
    kept[touched] = False
    # A plane cut by its clearances meets nearly everything: nothing would settle apart from it.
    plane = _spans_half(shapes[touched], shapes)
    cut: list[Geoms] = []
    cut_rings: list[clipping.Ring] = []
    if len(hit_shape):
        by = np.argsort(hit_shape, kind="stable")
        hit_shape, hit_cut = hit_shape[by], hit_cut[by]
        starts = np.flatnonzero(np.r_[True, np.diff(hit_shape) != 0])
        ends = np.r_[starts[1:], len(hit_shape)]
        for s, e in zip(starts, ends, strict=True):
            subject = clipping.rings(shapes[hit_shape[s] : hit_shape[s] + 1])
            cutting = clipping.rings(cutters[hit_cut[s:e]])
            if plane:
                cut_rings.extend(clipping.difference(subject, cutting))
            else:
                cut.append(clipping.difference_polygons(subject, cutting))
    if plane:
        return polygons(clipping.union(_tile_rings(shapes[kept]) + cut_rings))
    settled, rings = _settled(shapes[kept], np.concatenate(cut) if cut else as_array([]))
    return polygons(np.concatenate([settled, clipping.union(rings)]))


def multipolygon(islands: Geoms) -> BaseGeometry:
    return shapely.MultiPolygon(list(islands)) if len(islands) else shapely.MultiPolygon()
