"""Which edges of a layer may come within a distance of each other: candidate pairs on a grid.

Every pair of edges closer than the distance must be found (exact distances are measured on the
candidates afterwards), without comparing every edge with every other. Each edge is cut into
pieces no longer than two grid cells, each piece's box is grown by half the distance, and boxes
that share a cell are compared; a pair is reported by the one cell holding the lower-left corner of
the two boxes' overlap, so it is found once per pair of pieces and never missed: two points at most
the distance apart lie in pieces whose grown boxes overlap.

Cutting long edges keeps pairs that only a long diagonal edge's box brings together out of the
candidates (a pour's outline against everything beside it).

Why not only a library's spatial index: an STRtree of GEOS boxes (shapely, the default in
edges.py) gives the same guarantee, but building a GEOS box per edge and walking the tree took 1.95 s
of CPU of the 3.2 s a 12-layer board's widths and gaps took to measure; this grid, compiled with
numba, took 0.69 s, and takes half that since its pieces are counted into their cells instead of
sorted, and pairs met in several cells are dropped with numpy's sort rather than numba's np.unique
(the altium board's five largest layers at two radii: 1.15 s → 0.54 s). Loading numba and the
compiled code costs about 0.35 s once per process (1.2 s where Python must compile numba's modules
again), so it is used where that pays: the platform's task workers load it when they start, and an
analysis of a large upload while its layers parse (`edges.try_load_grid`, `analyze.GRID_MIN_BYTES`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

Ints = NDArray[np.int64]


@njit(cache=True)
def _pieces(
    p1: np.ndarray, p2: np.ndarray, grow: float, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes of each edge's pieces (no longer than `step` along either axis), grown by `grow`."""
    n = p1.shape[0]
    counts = np.empty(n, np.int64)
    total = 0
    for e in range(n):
        reach = max(abs(p2[e, 0] - p1[e, 0]), abs(p2[e, 1] - p1[e, 1]))
        c = max(1, int(np.ceil(reach / step)))
        counts[e] = c
        total += c
    lo = np.empty((total, 2))
    hi = np.empty((total, 2))
    owner = np.empty(total, np.int64)
    k = 0
    for e in range(n):
        c = counts[e]
        dx, dy = p2[e, 0] - p1[e, 0], p2[e, 1] - p1[e, 1]
        for s in range(c):
            ax, ay = p1[e, 0] + dx * s / c, p1[e, 1] + dy * s / c
            bx, by = p1[e, 0] + dx * (s + 1) / c, p1[e, 1] + dy * (s + 1) / c
            lo[k, 0], lo[k, 1] = min(ax, bx) - grow, min(ay, by) - grow
            hi[k, 0], hi[k, 1] = max(ax, bx) + grow, max(ay, by) + grow
            owner[k] = e
            k += 1
    return lo, hi, owner


# Pieces are grouped by cell with a counting sort (linear, but over every cell of the grid) when the
# grid has at most this many cells per (cell, piece) entry, else by sorting the entries.
COUNTING_CELLS_PER_ENTRY = 4.0


@njit(cache=True)
def _by_cell(cx0: np.ndarray, cy0: np.ndarray, cx1: np.ndarray, cy1: np.ndarray,
             ny: int, total: int, counting: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each (cell, piece) entry of the pieces' cell ranges, as the pieces in order of cell number
    and the cell number of each; counted into place when the grid has at most `counting` cells
    per entry, else sorted."""
    m = cx0.shape[0]
    cells = (cx1.max() + 1) * ny
    ids = np.empty(total, np.int64)
    keys = np.empty(total, np.int64)
    if cells <= counting * total:
        start = np.zeros(cells + 1, np.int64)
        for k in range(m):
            for cx in range(cx0[k], cx1[k] + 1):
                for cy in range(cy0[k], cy1[k] + 1):
                    start[cx * ny + cy + 1] += 1
        for c in range(cells):
            start[c + 1] += start[c]
        for k in range(m):
            for cx in range(cx0[k], cx1[k] + 1):
                for cy in range(cy0[k], cy1[k] + 1):
                    key = cx * ny + cy
                    ids[start[key]] = k
                    keys[start[key]] = key
                    start[key] += 1
        return ids, keys
    t = 0
    for k in range(m):
        for cx in range(cx0[k], cx1[k] + 1):
            for cy in range(cy0[k], cy1[k] + 1):
                keys[t] = cx * ny + cy
                ids[t] = k
                t += 1
    order = np.argsort(keys, kind="mergesort")
    return ids[order], keys[order]


@njit(cache=True)
def _grid_pairs(
    p1: np.ndarray, p2: np.ndarray, grow: float, cell: float, budget: int, counting: float
) -> tuple[np.ndarray, bool]:
    """Codes i * n + j (i < j) of the edge pairs whose piece boxes meet, each as often as pieces of
    the two meet, in no order; False as the second value when more than `budget` piece pairs were
    found (the codes are then incomplete)."""
    n = p1.shape[0]
    lo, hi, owner = _pieces(p1, p2, grow, 2 * cell)
    m = lo.shape[0]
    ox, oy = lo[:, 0].min(), lo[:, 1].min()
    cx0 = np.empty(m, np.int64)
    cy0 = np.empty(m, np.int64)
    cx1 = np.empty(m, np.int64)
    cy1 = np.empty(m, np.int64)
    total = 0
    for k in range(m):
        cx0[k] = int(np.floor((lo[k, 0] - ox) / cell))
        cy0[k] = int(np.floor((lo[k, 1] - oy) / cell))
        cx1[k] = int(np.floor((hi[k, 0] - ox) / cell))
        cy1[k] = int(np.floor((hi[k, 1] - oy) / cell))
        total += (cx1[k] - cx0[k] + 1) * (cy1[k] - cy0[k] + 1)
    ny = cy1.max() + 1
    ids, keys = _by_cell(cx0, cy0, cx1, cy1, ny, total, counting)
    codes = np.empty(max(16, 4 * n), np.int64)
    found = 0
    start = 0
    while start < total:
        key = keys[start]
        end = start + 1
        while end < total and keys[end] == key:
            end += 1
        for a in range(start, end):
            u = ids[a]
            for b in range(a + 1, end):
                v = ids[b]
                if owner[u] == owner[v]:
                    continue
                if lo[u, 0] > hi[v, 0] or lo[v, 0] > hi[u, 0] or lo[u, 1] > hi[v, 1] or lo[v, 1] > hi[u, 1]:
                    continue
                # Reported by the cell of the overlap's lower-left corner only.
                if max(cx0[u], cx0[v]) * ny + max(cy0[u], cy0[v]) != key:
                    continue
                if found == budget:
                    return codes[:found], False
                if found == codes.shape[0]:
                    grown = np.empty(2 * found, np.int64)
                    grown[:found] = codes
                    codes = grown
                i, j = owner[u], owner[v]
                codes[found] = min(i, j) * n + max(i, j)
                found += 1
        start = end
    return codes[:found], True


def near_pairs(p1: NDArray[np.float64], p2: NDArray[np.float64], distance: float,
               budget: int) -> tuple[Ints, Ints] | None:  # fmt: skip
    """Edge pairs i < j (segments p1→p2) that may be within `distance` of each other, a superset of
    those that are; None when there would be more than `budget` candidates."""
    n = len(p1)
    if n < 2:
        empty = np.zeros(0, np.int64)
        return empty, empty
    # A hair more than half, so that edges exactly `distance` apart (common on a grid) are
    # candidates whatever the rounding.
    grow = distance / 2 + 1e-6
    extent = np.abs(p2 - p1).max(axis=1) + 2 * grow
    # Cells about twice a typical edge's box: few cells per box, few boxes per cell.
    cell = max(2.0 * float(np.median(extent)), 4 * grow, 1e-3)
    codes, complete = _grid_pairs(
        np.ascontiguousarray(p1), np.ascontiguousarray(p2), grow, cell, budget, COUNTING_CELLS_PER_ENTRY
    )
    if not complete:
        return None
    # Sorted and each pair once (pieces of two long edges may meet in several cells). numpy's sort
    # and a comparison with the neighbour: numba's np.unique, and numpy's own, are many times slower.
    codes.sort()
    codes = codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) else codes
    return codes // n, codes % n
