"""How finely curves become polygons.

Copper is measured on polygons, so every arc is replaced by chords that stay within
ARC_TOLERANCE_MM of the true curve. Chords lie inside the curve, so measured on chords alone a gap
between two round shapes would read up to twice this much too large and a width across round ends
this much too small; the edge measurement corrects by the chords' sagitta, leaving errors of
either sign well under the tolerance. Straight edges are exact. 2.5 µm is a quarter of a laser
direct imager's 10 µm step and keeps the vertex count, which drives every later operation, at about
half of what 1 µm would cost.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

ARC_TOLERANCE_MM = 0.0025
# Small radii (traces' round ends, small pads) may be given a finer tolerance than large curves;
# with the sagitta correction 2.5 µm for both holds the tests' widths and gaps to 0.1 µm on straight
# edges and within the tolerance on round ones (tests/test_features.py).
FINE_TOLERANCE_MM = 0.0025
FINE_RADIUS_MM = 0.5
MAX_QUAD_SEGS = 64


def tolerance_for(radius: float) -> float:
    return FINE_TOLERANCE_MM if radius <= FINE_RADIUS_MM else ARC_TOLERANCE_MM


@lru_cache(maxsize=4096)  # drawing asks for the same few radii tens of thousands of times
def circle_quad_segs(radius: float, tolerance: float | None = None) -> int:
    """Segments per quarter circle so that chords stay within `tolerance` of a circle of `radius`."""
    tolerance = tolerance_for(radius) if tolerance is None else tolerance
    if radius <= tolerance:
        return 2
    step = 2 * math.acos(1 - tolerance / radius)
    return max(2, min(MAX_QUAD_SEGS, math.ceil((math.pi / 2) / step)))


def arc_points(
    cx: float,
    cy: float,
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    clockwise: bool,
    tolerance: float | None = None,
) -> NDArray[np.float64]:
    """Points along a circular arc from (x1, y1) to (x2, y2) about (cx, cy), both ends included.

    Start and end at the same point means a full circle (Gerber single-quadrant and multi-quadrant
    arcs both end up here that way).
    """
    r1 = math.hypot(x1 - cx, y1 - cy)
    r2 = math.hypot(x2 - cx, y2 - cy)
    a1 = math.atan2(y1 - cy, x1 - cx)
    a2 = math.atan2(y2 - cy, x2 - cx)
    sweep = a1 - a2 if clockwise else a2 - a1
    sweep %= 2 * math.pi
    if sweep < 1e-12:
        sweep = 2 * math.pi
    r = max(r1, r2)
    if r <= 0:
        return np.array([[x1, y1], [x2, y2]], dtype=np.float64)
    step = (math.pi / 2) / circle_quad_segs(r, tolerance)
    n = max(2, math.ceil(sweep / step) + 1)
    t = np.linspace(0.0, 1.0, n)
    angles = a1 - sweep * t if clockwise else a1 + sweep * t
    # Radii may differ slightly at the two ends (rounded coordinates); blend them.
    radii = r1 + (r2 - r1) * t
    pts = np.column_stack((cx + radii * np.cos(angles), cy + radii * np.sin(angles)))
    pts[0] = (x1, y1)
    pts[-1] = (x2, y2)
    return pts
