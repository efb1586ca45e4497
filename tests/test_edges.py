"""Candidate edge pairs for widths and gaps: every pair of edges within the search radius must be
offered, since the exact distances are only computed for the candidates (from the STRtree, every
pair whose boxes come within it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely
import shapely.affinity

from flyfab.cam import pairs
from flyfab.cam.cache import LayerCache
from flyfab.cam.edges import (
    Spans,
    _Neighbours,
    _segment_distance,
    edges_of,
    load_grid,
    measure,
    nearest_edge,
    unload_grid,
)
from flyfab.cam.islands import as_array
from flyfab.cam.pairs import near_pairs
from flyfab.cam.synth import example_board


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


@pytest.fixture
def grid() -> Iterator[None]:
    """Candidate pairs from the compiled grid, as in the platform's task workers."""
    load_grid()
    try:
        yield
    finally:
        unload_grid()


def _layer_with_long_diagonals() -> np.ndarray:
    """Scattered squares and long thin bars at odd angles, whose edges' boxes are large and reach
    far past the edges themselves (the grid cuts such edges into pieces)."""
    squares = _scattered_squares(150, 3)
    bars = []
    for k, angle in enumerate((17.0, 45.0, 62.5, 103.0, 151.0)):
        bar = shapely.affinity.rotate(shapely.box(0.0, 0.0, 9.0, 0.1), angle, origin=(0, 0))
        bars.append(shapely.affinity.translate(bar, 1.0 + k * 1.7, 0.5 + k * 0.9))
    merged = shapely.union_all(np.concatenate([squares, np.array(bars, dtype=object)]))
    return as_array(list(shapely.get_parts(merged)))


@pytest.mark.parametrize("radius", [0.127, 0.2032, 0.5])
def test_the_grid_offers_every_pair_of_edges_within_the_radius(radius: float, grid: None) -> None:
    edges = edges_of(_layer_with_long_diagonals())
    i, j = np.triu_indices(len(edges), k=1)
    d = _segment_distance(edges.p1[i], edges.p2[i], edges.p1[j], edges.p2[j])[0]
    within = set(zip(i[d <= radius].tolist(), j[d <= radius].tolist(), strict=True))
    q, t = _Neighbours(edges).pairs(radius)
    got = set(zip(q.tolist(), t.tolist(), strict=True))
    assert len(got) == len(q), "each pair once"
    assert all(a < b for a, b in got)
    assert within <= got
    # A subset of what the edges' grown boxes offer: pieces of long edges leave far pairs out.
    unload_grid()
    boxes = _Neighbours(edges).pairs(radius)
    assert got < set(zip(boxes[0].tolist(), boxes[1].tolist(), strict=True))


def test_widths_and_gaps_are_the_same_with_the_grid() -> None:
    islands = _layer_with_long_diagonals()
    plain = measure(islands, spans_below=0.3)
    load_grid()
    try:
        gridded = measure(islands, spans_below=0.3)
    finally:
        unload_grid()
    assert plain.width is not None and gridded.width is not None
    assert plain.gap is not None and gridded.gap is not None
    assert (gridded.width.value, gridded.gap.value) == (plain.width.value, plain.gap.value)
    for mine, theirs in ((gridded.widths, plain.widths), (gridded.gaps, plain.gaps)):
        assert mine is not None and theirs is not None and len(theirs) > 10

        def rows(s: Spans) -> np.ndarray:
            a = np.column_stack([s.value, s.p, s.q])
            return a[np.lexsort(a.T[::-1])]

        assert np.array_equal(rows(mine), rows(theirs))


@pytest.mark.parametrize("far", [0.0, 5000.0])
def test_cells_counted_or_sorted_give_the_same_pairs(far: float, monkeypatch: pytest.MonkeyPatch) -> None:
    # Far apart, most of the grid's cells are empty and its pieces are sorted into cells, not counted.
    layer = _layer_with_long_diagonals()
    moved = as_array([shapely.affinity.translate(layer[0], far, far)])
    islands = np.concatenate([layer, moved]) if far else layer
    edges = edges_of(islands)
    found = {}
    for counting in (0.0, 1e12):
        monkeypatch.setattr(pairs, "COUNTING_CELLS_PER_ENTRY", counting)
        got = near_pairs(edges.p1, edges.p2, 0.3, 10_000_000)
        assert got is not None
        found[counting] = got
    assert len(found[0.0][0]) > 100
    assert np.array_equal(found[0.0][0], found[1e12][0]) and np.array_equal(found[0.0][1], found[1e12][1])
    codes = found[0.0][0] * len(edges) + found[0.0][1]
    assert np.all(np.diff(codes) > 0), "sorted, each pair once"


def test_the_grid_gives_up_past_its_budget() -> None:
    edges = edges_of(_scattered_squares(150, 3))
    assert near_pairs(edges.p1, edges.p2, 0.5, 10) is None
    found = near_pairs(edges.p1, edges.p2, 0.5, 10_000_000)
    assert found is not None and len(found[0]) > 10


def test_task_workers_load_the_grid_and_start_without_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flyfab.cam import edges as edges_module
    from flyfab.jobs.queue import prepare_analysis

    edges = edges_of(_scattered_squares(20, 1))
    try:
        prepare_analysis()
        assert _Neighbours(edges)._grid is not None
    finally:
        unload_grid()
    assert _Neighbours(edges)._grid is None

    def broken() -> None:
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(edges_module, "load_grid", broken)
    prepare_analysis()  # the worker still starts
    assert "no compiler here" in caplog.text
    assert _Neighbours(edges)._grid is None


def test_a_large_upload_loads_the_grid_while_its_layers_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flyfab.cam import analyze as analysis
    from flyfab.cam import edges as edges_module

    example_board().write(tmp_path / "board")
    monkeypatch.setattr(analysis, "PARALLEL_MIN_BYTES", 0)  # parse in workers, as large uploads do
    unload_grid()
    small = analysis.analyze(tmp_path / "board", cache=LayerCache(None), workers=2)
    assert not edges_module.grid_loaded()  # far under GRID_MIN_BYTES: the STRtree
    monkeypatch.setattr(analysis, "GRID_MIN_BYTES", 0)
    large = analysis.analyze(tmp_path / "board", cache=LayerCache(None), workers=2)
    assert edges_module.grid_loaded()
    assert large.features == small.features and small.features

    def broken() -> None:
        raise RuntimeError("no compiler here")

    unload_grid()
    monkeypatch.setattr(edges_module, "load_grid", broken)
    again = analysis.analyze(tmp_path / "board", cache=LayerCache(None), workers=2)
    assert "no compiler here" in caplog.text and again.features == small.features
