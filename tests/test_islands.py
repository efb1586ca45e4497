"""A layer's dark area from many overlapping shapes: merged tile by tile, then as a whole."""

from __future__ import annotations

import numpy as np
import shapely

from flyfab.cam.islands import TILE_POLYGONS, as_array, compose, union_islands


def _hatch_and_rings() -> list[shapely.Geometry]:
    """A pour hatched with strokes far closer than their width, pads with holes spread over it
    and beside it, as a Target3001 pour is drawn: several tiles' worth of shapes."""
    rng = np.random.default_rng(3)
    strokes = [
        shapely.LineString([(0, y), (30, y)]).buffer(0.075, quad_segs=4) for y in np.arange(0, 10, 0.02)
    ]
    pads = [
        shapely.Point(x, y).buffer(0.8, quad_segs=8).difference(shapely.Point(x, y).buffer(0.3))
        for x, y in rng.uniform([-5, -5], [40, 20], (300, 2))
    ]
    return strokes + pads


def _grid(shape: shapely.Geometry) -> float:
    """What rounding every vertex to Clipper's 1 nm grid may move: the boundary's length times 1 nm."""
    return float(shape.length) * 1e-6


def test_union_of_many_shapes_is_the_plain_union() -> None:
    shapes = _hatch_and_rings()
    assert len(shapes) > 4 * TILE_POLYGONS  # tiles are used
    merged = union_islands(as_array(shapes))
    expected = shapely.union_all(shapes)
    got = shapely.MultiPolygon(list(merged))
    assert shapely.symmetric_difference(got, expected).area < _grid(expected)
    # Disjoint islands: their areas add up to the whole.
    assert abs(shapely.area(merged).sum() - expected.area) < _grid(expected)
    assert len(merged) == len(shapely.get_parts(expected))


def test_clear_shapes_cut_what_was_drawn_before_them_across_tiles() -> None:
    shapes = _hatch_and_rings()
    cut = shapely.box(10, 2, 20, 8)
    drawn = compose([(True, as_array(shapes)), (False, as_array([cut]))])
    expected = shapely.union_all(shapes).difference(cut)
    got = shapely.MultiPolygon(list(drawn))
    assert shapely.symmetric_difference(got, expected).area < _grid(expected)
