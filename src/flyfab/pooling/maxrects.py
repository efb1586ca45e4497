"""The free space of one panel as maximal free rectangles (Jylänki's MaxRects), in numpy.

Every maximal empty axis-parallel rectangle of the panel is kept, so "does a w × h board fit anywhere?"
is answered exactly, not by a heuristic: a rectangle fits if and only if it fits inside one of them.
The deadline rule and the improvement phase rely on that exactness.

Coordinates are floats; comparisons allow EPS so that sizes computed in millimetres with spacing
added (e.g. 65.0 + 2.0) do not fail by rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

EPS = 1e-6

Array = NDArray[np.float64]


class FreeSpace:
    """Maximal free rectangles of a W × H bin: an (F, 4) array of x, y, w, h."""

    __slots__ = ("free", "height", "width")

    def __init__(
        self, width: float, height: float, obstacles: Sequence[tuple[float, float, float, float]] = ()
    ) -> None:
        self.width = width
        self.height = height
        self.free: Array = np.array([[0.0, 0.0, width, height]])
        for o in obstacles:
            self.cut(*o)

    def copy(self) -> FreeSpace:
        other = FreeSpace.__new__(FreeSpace)
        other.width, other.height, other.free = self.width, self.height, self.free.copy()
        return other

    def fits(self, w: float, h: float) -> bool:
        f = self.free
        return bool(np.any((f[:, 2] >= w - EPS) & (f[:, 3] >= h - EPS)))

    def fit_mask(self, sizes: Array) -> NDArray[np.bool_]:
        """(F, N) mask: free rectangle f can hold size n (sizes is an (N, 2) array of w, h)."""
        f = self.free
        return (f[:, 2, None] >= sizes[None, :, 0] - EPS) & (f[:, 3, None] >= sizes[None, :, 1] - EPS)

    def cut(self, x: float, y: float, w: float, h: float) -> None:
        """Take the rectangle x, y, w, h out of the free space (a board placed, or a keep-out)."""
        f = self.free
        fx, fy, fw, fh = f[:, 0], f[:, 1], f[:, 2], f[:, 3]
        hit = (fx < x + w - EPS) & (fx + fw > x + EPS) & (fy < y + h - EPS) & (fy + fh > y + EPS)
        if not hit.any():
            return
        keep = f[~hit]
        s = f[hit]
        sx, sy, sw, sh = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
        right_edge, top_edge = sx + sw, sy + sh
        pieces = np.concatenate(
            [
                np.stack([sx, sy, x - sx, sh], axis=1),  # left of it
                np.stack([np.full_like(sx, x + w), sy, right_edge - (x + w), sh], axis=1),  # right of it
                np.stack([sx, sy, sw, y - sy], axis=1),  # below it
                np.stack([sx, np.full_like(sy, y + h), sw, top_edge - (y + h)], axis=1),  # above it
            ]
        )
        pieces = pieces[(pieces[:, 2] > EPS) & (pieces[:, 3] > EPS)]
        self.free = np.concatenate([keep, _maximal(pieces, keep)]) if len(pieces) else keep

    def drop_smaller_than(self, side: float) -> None:
        """Forget free rectangles too narrow for any board still to come (their space stays free)."""
        f = self.free
        self.free = f[(f[:, 2] >= side - EPS) & (f[:, 3] >= side - EPS)]


def _contains(outer: Array, inner: Array) -> NDArray[np.bool_]:
    """(len(inner), len(outer)) mask: inner rectangle i lies inside outer rectangle o."""
    ix, iy = inner[:, 0, None], inner[:, 1, None]
    ir, it = ix + inner[:, 2, None], iy + inner[:, 3, None]
    ox, oy = outer[None, :, 0], outer[None, :, 1]
    o_r, ot = ox + outer[None, :, 2], oy + outer[None, :, 3]
    out: NDArray[np.bool_] = (ix >= ox - EPS) & (iy >= oy - EPS) & (ir <= o_r + EPS) & (it <= ot + EPS)
    return out


def _maximal(new: Array, old: Array) -> Array:
    """The new pieces not contained in an old rectangle or in another new piece (of equal ones, the first)."""
    redundant = _contains(old, new).any(axis=1) if len(old) else np.zeros(len(new), dtype=bool)
    among = _contains(new, new)
    n = len(new)
    np.fill_diagonal(among, False)
    equal = among & among.T
    earlier = np.arange(n)[None, :] < np.arange(n)[:, None]  # [i, j]: j comes before i
    redundant |= (among & (~equal | earlier)).any(axis=1)
    return new[~redundant]


def as_array(rows: Any) -> Array:
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)
