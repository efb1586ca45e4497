"""Unions that stay local.

GEOS' cascaded union merges everything with everything, so a copper layer of thousands of pads and
traces pays again and again for geometry that never touches. Here shapes are first grouped into
clusters that touch each other (an STRtree join and a connected-components pass), and only the
members of a cluster are merged. The result is a list of disjoint polygons, the layer's islands.
On the corpus this is about four times faster than one `union_all` over the whole layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

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


def clusters(geoms: Geoms) -> list[NDArray[np.intp]]:
    """Index groups of geometries that touch or overlap, transitively."""
    n = len(geoms)
    if n == 0:
        return []
    a, b = intersecting_pairs(geoms, geoms)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    # connected_components needs no diagonal; isolated shapes are their own component.
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, cuts)


def union_islands(geoms: Geoms) -> Geoms:
    """The union of `geoms` as disjoint polygons."""
    geoms = polygons(geoms)
    if len(geoms) <= 1:
        return geoms
    sizes = shapely.get_num_coordinates(geoms)
    merged: list[BaseGeometry] = []
    for group in clusters(geoms):
        if len(group) == 1:
            merged.append(geoms[group[0]])
            continue
        # Merge the small members among themselves first, then once into the largest (a pour),
        # instead of rewriting the pour for every pad that touches it.
        group = group[np.argsort(sizes[group])]
        largest, rest = geoms[group[-1]], geoms[group[:-1]]
        merged.append(largest.union(rest[0] if len(rest) == 1 else shapely.union_all(rest)))
    return polygons(as_array(merged))


def add(islands: Geoms, new: Geoms) -> Geoms:
    """Islands after drawing `new` shapes in dark polarity on top of them."""
    new = union_islands(new)
    if len(islands) == 0:
        return new
    if len(new) == 0:
        return islands
    hit_old, _ = intersecting_pairs(islands, new)
    if len(hit_old) == 0:
        return np.concatenate([islands, new])
    touched = np.unique(hit_old)
    untouched = np.setdiff1d(np.arange(len(islands)), touched)
    merged = union_islands(np.concatenate([islands[touched], new]))
    return np.concatenate([islands[untouched], merged])


def cut(islands: Geoms, clear: Geoms) -> Geoms:
    """Islands after drawing `clear` shapes in clear polarity: only what they overlap is cut."""
    clear = union_islands(clear)
    if len(islands) == 0 or len(clear) == 0:
        return islands
    hit_island, hit_clear = intersecting_pairs(islands, clear)
    if len(hit_island) == 0:
        return islands
    order = np.argsort(hit_island, kind="stable")
    hit_island, hit_clear = hit_island[order], hit_clear[order]
    starts = np.flatnonzero(np.r_[True, np.diff(hit_island) != 0])
    ends = np.r_[starts[1:], len(hit_island)]
    out = list(islands)
    for s, e in zip(starts, ends, strict=True):
        i = hit_island[s]
        cutter = clear[hit_clear[s]] if e - s == 1 else shapely.union_all(clear[hit_clear[s:e]])
        out[i] = out[i].difference(cutter)
    return polygons(as_array(out))


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
    order = np.concatenate([np.full(len(p), k) for k, p in dark])
    if clear:
        cutters = np.concatenate([p for _, p in clear])
        cut_order = np.concatenate([np.full(len(p), k) for k, p in clear])
        hit_shape, hit_cut = intersecting_pairs(shapes, cutters)
        later = cut_order[hit_cut] > order[hit_shape]
        hit_shape, hit_cut = hit_shape[later], hit_cut[later]
        if len(hit_shape):
            by = np.argsort(hit_shape, kind="stable")
            hit_shape, hit_cut = hit_shape[by], hit_cut[by]
            starts = np.flatnonzero(np.r_[True, np.diff(hit_shape) != 0])
            ends = np.r_[starts[1:], len(hit_shape)]
            shapes = shapes.copy()
            for s, e in zip(starts, ends, strict=True):
                i = hit_shape[s]
                cutter = cutters[hit_cut[s]] if e - s == 1 else shapely.union_all(cutters[hit_cut[s:e]])
                shapes[i] = shapes[i].difference(cutter)
    return union_islands(shapes)


def multipolygon(islands: Geoms) -> BaseGeometry:
    return shapely.MultiPolygon(list(islands)) if len(islands) else shapely.MultiPolygon()
