"""The board outline plotted into a copper film is a drawing, not copper.

Several CAD tools (and many designers) plot the board edge into every film as a thin line, so
that each film shows where the board is. A fabricator removes it in CAM: left in, it would be a
copper ring around the board, cut in half by the router. A copper layer carries such a plot when
thin strokes lying on the board edge follow most of the edge; the plot is then cut out of the
layer's copper (a band as wide as its pen along the edge) before the finest features are
measured.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from flyfab.cam import clipping
from flyfab.cam.islands import as_array, polygons
from flyfab.cam.layerdata import LayerData
from flyfab.cam.outline import MAX_EDGE_PEN_MM

ON_EDGE_MM = 0.02  # how far a plotted edge's centre line may stray from the outline's
COVERED = 0.5  # share of the edge's length the plot must follow


def edge_pen(data: LayerData, edge: BaseGeometry) -> float | None:
    """The pen of the board edge plotted into this layer, or None when it holds no such plot."""
    length = edge.length
    if length <= 0 or data.islands is None:
        return None
    band = shapely.buffer(edge, ON_EDGE_MM)
    shapely.prepare(band)
    pens = [s for s in data.strokes if not s.region and len(s.points) >= 2 and 0 < s.width <= MAX_EDGE_PEN_MM]
    if pens:
        # A stroke on the edge starts on it: the many that do not are left out before building lines.
        first = np.array([s.points[0] for s in pens])
        near = shapely.intersects_xy(band, first[:, 0], first[:, 1])
        pens = [s for s, n in zip(pens, near, strict=True) if n]
    if not pens:
        return None
    coords = np.concatenate([s.points for s in pens])
    lines = shapely.linestrings(
        coords, indices=np.repeat(np.arange(len(pens)), [len(s.points) for s in pens])
    )
    lengths = shapely.length(lines)
    on_edge = (lengths > 0) & shapely.contains(band, lines)
    if lengths[on_edge].sum() < COVERED * length:
        return None
    return float(max(s.width for s, on in zip(pens, on_edge, strict=True) if on))


def without_edge_plot(data: LayerData, edge: BaseGeometry, pen: float) -> LayerData:
    """A copy of the layer with the copper along the edge, as wide as the pen, removed."""
    assert data.islands is not None
    band = shapely.buffer(edge, pen / 2 + ON_EDGE_MM, quad_segs=4)
    rings = clipping.rings(data.islands)
    kept = polygons(clipping.union(clipping.difference(rings, clipping.rings(as_array([band])))))
    kept = kept[shapely.area(kept) > 1e-6] if len(kept) else kept
    # Measured afterwards, like every copper layer (`analyze._measure_copper`).
    return replace(data, islands=kept, features=None)
