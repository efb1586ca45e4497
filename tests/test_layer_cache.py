"""The layer cache on disk: a board analysed from cached layers reads exactly as from its files."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from flyfab.cam.analyze import analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.islands import as_array
from flyfab.cam.layerdata import LayerData
from flyfab.cam.report import to_json
from flyfab.cam.synth import example_board
from flyfab.dfm import DFM_AREAS


def _without_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "seconds"}


def test_a_board_from_the_disk_cache_reads_as_from_its_files(tmp_path: Path) -> None:
    example_board().write(tmp_path / "board")
    store = tmp_path / "cache"
    store.mkdir()
    fresh = analyze(tmp_path / "board", cache=LayerCache(store), workers=1, areas=DFM_AREAS)
    assert len(list(store.glob("*.pickle"))) >= len(fresh.layers)
    # A new cache on the same folder holds nothing in memory: every layer comes off the disk.
    cached = analyze(tmp_path / "board", cache=LayerCache(store), workers=1, areas=DFM_AREAS)
    assert _without_timing(to_json(cached)) == _without_timing(to_json(fresh))
    for path, layer in fresh.layers.items():
        again = cached.layers[path]
        # Islands travel as ragged arrays: the same polygons, holes and vertex order included.
        if layer.islands is None:
            assert again.islands is None
        else:
            assert again.islands is not None and len(layer.islands) > 0
            assert shapely.to_wkb(again.islands).tolist() == shapely.to_wkb(layer.islands).tolist()
        assert len(again.strokes) == len(layer.strokes)
        for a, b in zip(layer.strokes, again.strokes, strict=True):
            assert np.array_equal(a.points, b.points)
            assert (a.width, a.polarity_dark, a.region) == (b.width, b.polarity_dark, b.region)


def test_a_layer_without_strokes_pickles(tmp_path: Path) -> None:
    example_board().write(tmp_path / "board")
    a = analyze(tmp_path / "board", cache=LayerCache(None), workers=1)
    drills = [d for d in a.layers.values() if d.kind == "excellon"]
    assert drills and not drills[0].strokes
    again = pickle.loads(pickle.dumps(drills[0]))
    assert again.strokes == [] and len(again.holes) == len(drills[0].holes)


def test_islands_of_any_kind_pickle() -> None:
    ring = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    two = shapely.MultiPolygon([shapely.box(5, 0, 6, 1), shapely.box(7, 0, 8, 1)])
    for islands in ([], [ring, shapely.box(4, 0, 5, 1)], [ring, two]):
        layer = LayerData("copper.gbr", "gerber", islands=as_array(islands))
        again = pickle.loads(pickle.dumps(layer))
        assert again.islands is not None
        assert shapely.to_wkb(again.islands).tolist() == shapely.to_wkb(layer.islands).tolist()


def test_copper_is_measured_once_and_a_measured_layer_comes_back_measured(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Each copper layer is measured once, after any board edge plotted into it is taken out; from
    the cache, a layer without such a plot comes back with its widths and gaps, and only the
    plotted one is measured again."""
    from flyfab.cam import edges
    from flyfab.cam.synth import BoardBuilder

    b = BoardBuilder(name="plotted")
    b.outline_rect(0, 0, 40, 30)
    b.trace("top", [(0, 0), (40, 0), (40, 30), (0, 30), (0, 0)], 0.1)  # the edge, plotted
    b.trace("top", [(5, 10), (20, 10)], 0.25)
    b.trace("bottom", [(5, 20), (20, 20)], 0.3)
    b.write(tmp_path / "board")
    measured: list[int] = []
    real = edges.measure

    def counted(islands: Any, **kw: Any) -> edges.WidthAndGap:
        measured.append(len(islands))
        return real(islands, **kw)

    monkeypatch.setattr(edges, "measure", counted)
    cache = LayerCache(None)
    first = analyze(tmp_path / "board", cache=cache, workers=1, spans=0.2)
    assert len(measured) == 2  # top and bottom, the top only without its plot
    assert any(p.code == "outline-in-copper" for p in first.problems)
    measured.clear()
    again = analyze(tmp_path / "board", cache=cache, workers=1, spans=0.2)
    assert len(measured) == 1  # the plotted top; the bottom came back measured
    assert [(f.min_trace_width_mm, f.min_gap_mm) for f in again.features] == [
        (f.min_trace_width_mm, f.min_gap_mm) for f in first.features
    ]
    assert [f.min_trace_width_mm for f in first.features] == [0.25, 0.3]
