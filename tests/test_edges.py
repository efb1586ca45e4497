"""Candidate edge pairs for widths and gaps: every pair of edges whose boxes come within the search
radius must be offered, since the exact distances are only computed for the candidates."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from flyfab.cam.edges import _Neighbours, edges_of, nearest_edge
from flyfab.cam.islands import as_array


def _scattered_squares(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Coordinates on a 0.0254 mm grid, as CAD tools write them: many edges lie exactly a grid
    # multiple apart, where rounding decides a box test.
    xy = rng.integers(0, 400, size=(n, 2)) * 0.0254
    size = rng.integers(2, 12, size=n) * 0.0254
    return as_array(list(shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + size, xy[:, 1] + size)))


@pytest.mark.parametrize("radius", [0.127, 0.2032, 0.5])
def test_every_pair_of_edges_within_the_radius_is_a_candidate(radius: float) -> None:
    islands = as_array(list(shapely.get_parts(shapely.union_all(_scattered_squares(150, 3)))))
    edges = edges_of(islands)
    lo, hi = np.minimum(edges.p1, edges.p2), np.maximum(edges.p1, edges.p2)
    # Brute force: the gap between two boxes along x and along y (negative where they overlap).
    gx = np.maximum(lo[:, None, 0] - hi[None, :, 0], lo[None, :, 0] - hi[:, None, 0])
    gy = np.maximum(lo[:, None, 1] - hi[None, :, 1], lo[None, :, 1] - hi[:, None, 1])
    near = (gx <= radius + 1e-9) & (gy <= radius + 1e-9)
    i, j = np.nonzero(np.triu(near, k=1))
    expected = set(zip(i.tolist(), j.tolist(), strict=True))
    q, t = _Neighbours(edges).pairs(radius)
    got = set(zip(q.tolist(), t.tolist(), strict=True))
    assert expected <= got
    # Candidates are no wider than the radius allows (up to the micrometre of slack).
    assert all(gx[a, b] <= radius + 2e-6 and gy[a, b] <= radius + 2e-6 for a, b in got)


def test_nearest_edge_within_each_points_reach_is_exact() -> None:
    """Edges far from every point are skipped before the search; what is found must still be the
    exact distance to the nearest edge, or nothing when no edge lies within the point's reach."""
    islands = as_array(list(shapely.get_parts(shapely.union_all(_scattered_squares(120, 5)))))
    rng = np.random.default_rng(9)
    points = rng.uniform(-0.5, 11, size=(400, 2))
    within = rng.choice([0.05, 0.2, 0.6, 2.0], size=len(points))
    got = nearest_edge(islands, points, within)
    boundary = shapely.union_all(shapely.boundary(islands))
    exact = shapely.distance(shapely.points(points), boundary)
    expected = np.where(exact < within, exact, np.inf)
    assert np.isfinite(expected).sum() > 100  # the test reaches edges often
    assert np.allclose(got, expected, atol=1e-9, equal_nan=False)
