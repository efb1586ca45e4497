"""A layer's dark area from many overlapping shapes: merged tile by tile, then as a whole."""

from __future__ import annotations

import numpy as np
import shapely

from flyfab.cam.islands import TILE_POLYGONS, _settled, as_array, compose, union_islands


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


def test_islands_inside_their_tiles_are_kept_as_merged_there() -> None:
    """Pads away from everything else settle in their tile; what straddles tiles or meets a
    straddler is swept again. Both parts together are the union."""
    shapes = _hatch_and_rings()
    settled, rings = _settled(as_array(shapes), as_array([]))
    assert len(settled) > 0 and len(rings) > 0
    expected = shapely.union_all(shapes)
    # A settled island is a whole island of the union: no other part of the layer meets it.
    for island in settled:
        assert any(
            island.equals_exact(part, 1e-6) or island.symmetric_difference(part).area < _grid(part)
            for part in shapely.get_parts(expected)
            if part.intersects(island)
        )


def test_a_plane_cut_by_its_clearances_is_the_plain_difference() -> None:
    """A pour over the whole layer with clear clearances and pads inside them (a power plane): the
    plane's pieces meet nearly everything, so the layer is swept whole."""
    rng = np.random.default_rng(5)
    plane = shapely.box(0, 0, 60, 40)
    centres = rng.uniform([2, 2], [58, 38], (400, 2))
    clearances = [shapely.Point(x, y).buffer(0.6, quad_segs=8) for x, y in centres]
    pads = [shapely.Point(x, y).buffer(0.35, quad_segs=8) for x, y in centres[::2]]
    drawn = compose([(True, as_array([plane])), (False, as_array(clearances)), (True, as_array(pads))])
    expected = plane.difference(shapely.union_all(clearances)).union(shapely.union_all(pads))
    got = shapely.MultiPolygon(list(drawn))
    assert shapely.symmetric_difference(got, expected).area < _grid(expected)
    assert len(drawn) == len(shapely.get_parts(expected))


def test_a_plane_with_many_shapes_merged_tile_by_tile_is_the_plain_result() -> None:
    """Enough shapes beside the plane to be merged tile by tile before the sweep, each in its own
    clearance so that every one shows: pairs of overlapping pads, rings with a hole (whose two
    rings must stay together), a shape alone in its tile."""
    rng = np.random.default_rng(11)
    plane = shapely.box(0, 0, 80, 50)
    centres = rng.uniform([2, 2], [60, 48], (700, 2))
    clearances = [shapely.Point(x, y).buffer(1.0, quad_segs=8) for x, y in centres]
    pads = [shapely.Point(x + dx, y).buffer(0.3, quad_segs=8) for x, y in centres[:600] for dx in (-0.1, 0.1)]
    annuli = [
        shapely.Point(x, y).buffer(0.8, quad_segs=8).difference(shapely.Point(x, y).buffer(0.4, quad_segs=8))
        for x, y in centres[600:]
    ]
    lonely = shapely.Point(77, 3).buffer(0.5).difference(shapely.Point(77, 3).buffer(0.2))  # alone in a tile
    clearances.append(shapely.Point(77, 3).buffer(1.0))
    later = as_array([*pads, *annuli, lonely])
    assert len(later) >= 4 * TILE_POLYGONS
    drawn = compose([(True, as_array([plane])), (False, as_array(clearances)), (True, later)])
    expected = plane.difference(shapely.union_all(clearances)).union(shapely.union_all(later))
    got = shapely.MultiPolygon(list(drawn))
    assert shapely.symmetric_difference(got, expected).area < _grid(expected)
    assert len(drawn) == len(shapely.get_parts(expected))
    assert sum(len(p.interiors) for p in drawn) == sum(len(p.interiors) for p in shapely.get_parts(expected))
