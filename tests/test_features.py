"""Finest features, outline and drills measured on synthetic boards whose geometry is known exactly.

Every board is written by flyfab.cam.synth in real Gerber/Excellon (gerbonara writes them), read
back through the whole analysis, and the measured values compared with what was planted: trace
widths, gaps, necks in pours, clear polarity, arcs, rotated macro pads, inch and mm files.
Tolerances: widths and gaps are exact on straight edges; on arcs the chord error (2.5 µm) applies.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from flyfab.cam.analyze import Analysis, CopperFeatures, analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.synth import BoardBuilder

ARC = 0.003  # chord error allowance for curved edges, mm


def run(b: BoardBuilder, tmp_path: Path, **write: object) -> Analysis:
    archive = tmp_path / f"{b.name}.zip"
    b.write_zip(archive, **write)
    return analyze(archive, cache=LayerCache(None))


def layer(a: Analysis, index: int) -> CopperFeatures:
    return next(f for f in a.features if f.index == index)


def near(at: tuple[float, float] | None, x: float, y: float, within: float = 0.5) -> bool:
    return at is not None and math.dist(at, (x, y)) <= within


def base(name: str, units: str = "mm") -> BoardBuilder:
    b = BoardBuilder(name=name, units=units)  # type: ignore[arg-type]
    b.outline_rect(0, 0, 40, 30)
    # Something on the bottom, far from everything, so both layers exist.
    b.pad("bottom", 35, 25, "circle", 2.0)
    return b


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_thinnest_trace_and_its_place(tmp_path: Path, units: str) -> None:
    b = base("traces", units)
    b.trace("top", [(2, 5), (20, 5)], 0.25)
    b.trace("top", [(2, 10), (20, 10)], 0.127)
    b.trace("top", [(2, 15), (12, 15), (20, 20)], 0.2)
    f = layer(run(b, tmp_path), 1)
    assert f.min_trace_width_mm == pytest.approx(0.127, abs=1e-4)
    assert f.min_trace_at is not None and abs(f.min_trace_at[1] - 10) < 0.1
    assert 2 <= f.min_trace_at[0] <= 20


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_smallest_gap_between_separate_copper(tmp_path: Path, units: str) -> None:
    b = base("gaps", units)
    b.trace("top", [(2, 5), (20, 5)], 0.2)
    b.trace("top", [(2, 5.29), (20, 5.29)], 0.2)  # edge to edge 0.09
    b.pad("top", 30, 10, "rect", 1.0, 1.0)
    b.pad("top", 31.15, 10, "rect", 1.0, 1.0)  # pad gap 0.15
    f = layer(run(b, tmp_path), 1)
    assert f.min_gap_mm == pytest.approx(0.09, abs=1e-4)
    assert f.min_gap_at is not None and abs(f.min_gap_at[1] - 5.145) < 0.01


def test_neck_in_a_pour_is_a_trace_width(tmp_path: Path) -> None:
    """A pour (region) pinched to 0.08 mm: the width comes from the region's shape, not an aperture."""
    b = base("neck")
    b.trace("top", [(2, 25), (10, 25)], 0.3)
    b.region("top", [(2, 2), (10, 2), (10, 8), (14, 8), (14, 8.08), (10, 8.08), (10, 14), (2, 14)])
    b.region("top", [(14, 2), (24, 2), (24, 14), (14, 14)])
    f = layer(run(b, tmp_path), 1)
    assert f.min_trace_width_mm == pytest.approx(0.08, abs=1e-4)
    assert (
        f.min_trace_at is not None and 10 <= f.min_trace_at[0] <= 14 and abs(f.min_trace_at[1] - 8.04) < 0.01
    )


def test_clear_polarity_cuts_earlier_copper(tmp_path: Path) -> None:
    """A clear rectangle leaves a 0.07 mm strip of a pour: only drawing order explains it."""
    b = base("clear")
    b.region("top", [(2, 2), (20, 2), (20, 12), (2, 12)])
    b.region("top", [(2, 2), (20, 2), (20, 11.93), (2, 11.93)], clear=True)
    b.trace("top", [(2, 20), (20, 20)], 0.3)
    a = run(b, tmp_path)
    f = layer(a, 1)
    assert f.min_trace_width_mm == pytest.approx(0.07, abs=1e-4)
    # The strip plus the trace: 18 x 0.07 + 18 x 0.3 + caps.
    assert f.copper_area_mm2 == pytest.approx(18 * 0.07 + 18 * 0.3 + math.pi * 0.15**2, rel=1e-3)


def test_arc_trace_width(tmp_path: Path) -> None:
    b = base("arcs")
    b.arc_trace("top", (5, 10), (15, 10), (10, 10), clockwise=True, width=0.11)
    b.trace("top", [(2, 20), (20, 20)], 0.3)
    f = layer(run(b, tmp_path), 1)
    assert f.min_trace_width_mm == pytest.approx(0.11, abs=ARC)


def test_rotated_macro_pads_are_measured_as_drawn(tmp_path: Path) -> None:
    """Rotated rectangles (aperture macros): 0.2 mm wide at 30°, and 0.12 mm apart edge to edge."""
    b = base("macros")
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    b.pad("top", 10, 10, "rotrect", 1.0, 0.2, rotation=30)
    # The neighbour shifted along the short axis by 0.2 + 0.12.
    b.pad("top", 10 - 0.32 * s, 10 + 0.32 * c, "rotrect", 1.0, 0.2, rotation=30)
    b.trace("top", [(2, 25), (20, 25)], 0.3)
    f = layer(run(b, tmp_path), 1)
    assert f.min_trace_width_mm == pytest.approx(0.2, abs=1e-4)
    assert f.min_gap_mm == pytest.approx(0.12, abs=1e-4)


def test_roundrect_and_octagon_pads(tmp_path: Path) -> None:
    b = base("shapes")
    b.pad("top", 10, 10, "roundrect", 1.5, 0.6)
    b.pad("top", 10, 11.0, "roundrect", 1.5, 0.6)  # 0.4 mm apart
    b.pad("top", 20, 10, "octagon", 1.2)
    b.trace("top", [(2, 25), (20, 25)], 0.3)
    f = layer(run(b, tmp_path), 1)
    assert f.min_gap_mm == pytest.approx(0.4, abs=ARC)
    assert f.min_trace_width_mm == pytest.approx(0.3, abs=1e-4)


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_outline_size_area_and_cutouts(tmp_path: Path, units: str) -> None:
    b = BoardBuilder(name="outline", units=units)  # type: ignore[arg-type]
    b.outline_rect(0, 0, 60, 40, corner_radius=3)
    b.cutout_rect(10, 10, 8, 5, corner_radius=1)
    b.cutout_circle(40, 20, 6)
    b.pad("top", 30, 30, "circle", 1.0)
    b.pad("bottom", 30, 30, "circle", 1.0)
    a = run(b, tmp_path)
    assert a.board.width_mm == pytest.approx(60, abs=1e-3)
    assert a.board.height_mm == pytest.approx(40, abs=1e-3)
    outline = a.board.outline
    assert outline is not None and len(outline.cutouts) == 2
    corner_loss = (4 - math.pi) * 3**2
    cut = 8 * 5 - (4 - math.pi) * 1**2 + math.pi * 3**2
    assert a.board.area_mm2 == pytest.approx(60 * 40 - corner_loss - cut, rel=1e-4)
    assert a.board.outline_file is not None and a.board.size_from == "outline"


def test_outline_of_tiny_segments_with_micrometre_gaps(tmp_path: Path) -> None:
    b = BoardBuilder(name="sloppy")
    b.outline_as_segments(0.05)
    b.outline_gap(0.003)
    b.outline_rect(5, 5, 30, 20, corner_radius=4)
    b.cutout_circle(20, 15, 5)
    b.pad("top", 10, 10, "circle", 1.0)
    b.pad("bottom", 10, 10, "circle", 1.0)
    a = run(b, tmp_path)
    expected = b.expected()["size_mm"]
    assert a.board.width_mm == pytest.approx(expected[0], abs=0.01)
    assert a.board.height_mm == pytest.approx(expected[1], abs=0.01)
    assert a.board.outline is not None and len(a.board.outline.cutouts) == 1


def test_round_board_from_full_circle_arcs(tmp_path: Path) -> None:
    b = BoardBuilder(name="round")
    b.outline_circle(50, 50, 80)
    b.cutout_circle(50, 50, 8)
    b.pad("top", 50, 70, "circle", 1.0)
    b.pad("bottom", 50, 70, "circle", 1.0)
    a = run(b, tmp_path)
    assert a.board.width_mm == pytest.approx(80, abs=1e-3)
    assert a.board.area_mm2 == pytest.approx(math.pi * (40**2 - 4**2), rel=1e-4)


def test_drills_tools_hits_slots_and_plating(tmp_path: Path) -> None:
    b = base("drills")
    for i in range(5):
        b.via(5 + 2 * i, 5, 0.3, 0.6)
    b.th_pad(20, 10, 1.0, 1.8)
    b.th_pad(22.54, 10, 1.0, 1.8)
    b.hole(30, 20, 3.2)
    b.slot(10, 20, 10, 23, 1.2, plated=False)
    a = run(b, tmp_path)
    d = a.drills
    assert d.total_holes == 8 and d.total_slots == 1
    assert d.smallest_hole_mm == pytest.approx(0.3)
    by = {(t.diameter_mm, t.plating): (t.hits, t.slots) for t in d.tools}
    assert by[(0.3, "plated")] == (5, 0)
    assert by[(1.0, "plated")] == (2, 0)
    assert by[(3.2, "non-plated")] == (1, 0)
    assert by[(1.2, "non-plated")] == (0, 1)
    assert d.plated_holes == 7 and d.non_plated_holes == 1


def test_mm_and_inch_files_give_the_same_answers(tmp_path: Path) -> None:
    def board(units: str) -> BoardBuilder:
        b = BoardBuilder(name=f"same-{units}", units=units)  # type: ignore[arg-type]
        b.outline_rect(0, 0, 30, 20, corner_radius=1)
        b.trace("top", [(2, 5), (20, 5)], 0.15)
        b.trace("top", [(2, 5.3), (20, 5.3)], 0.15)
        b.pad("bottom", 10, 10, "rect", 2, 1)
        b.via(25, 15, 0.4, 0.8)
        return b

    mm, inch = run(board("mm"), tmp_path), run(board("inch"), tmp_path)
    assert mm.board.width_mm == pytest.approx(inch.board.width_mm, abs=1e-4)
    for a, b in zip(mm.features, inch.features, strict=True):
        assert a.min_trace_width_mm == pytest.approx(b.min_trace_width_mm, abs=1e-4)
        assert a.min_gap_mm == pytest.approx(b.min_gap_mm, abs=1e-4)
        assert a.copper_area_mm2 == pytest.approx(b.copper_area_mm2, rel=1e-5)
    assert [(t.diameter_mm, t.hits) for t in mm.drills.tools] == [
        (t.diameter_mm, t.hits) for t in inch.drills.tools
    ]


def test_copper_fraction(tmp_path: Path) -> None:
    b = BoardBuilder(name="fraction")
    b.outline_rect(0, 0, 20, 10)
    b.region("top", [(0, 0), (10, 0), (10, 10), (0, 10)])
    b.pad("bottom", 5, 5, "circle", 1)
    f = layer(run(b, tmp_path), 1)
    assert f.copper_fraction == pytest.approx(0.5, abs=1e-4)


def test_strokes_of_rectangular_apertures_sweep_their_hull() -> None:
    from gerbonara import GerberFile
    from shapely import affinity, box, union_all

    from flyfab.cam.image import draw

    text = (
        "%FSLAX46Y46*%\n%MOMM*%\n%ADD10R,0.5X0.3*%\nD10*\n"
        "X0Y0D02*\nX10000000Y0D01*\nX10000000Y5000000D01*\n"  # an L of two axis-parallel segments
        "X20000000Y0D02*\nX23000000Y4000000D01*\nM02*\n"  # one slanted segment
    )
    image = draw(GerberFile.from_string(text))
    pen = box(-0.25, -0.15, 0.25, 0.15)
    expected = union_all(
        [
            box(-0.25, -0.15, 10.25, 0.15),
            box(9.75, -0.15, 10.25, 5.15),
            union_all([affinity.translate(pen, 20, 0), affinity.translate(pen, 23, 4)]).convex_hull,
        ]
    )
    drawn = image.dark
    assert abs(drawn.area - expected.area) < 1e-6
    assert drawn.symmetric_difference(expected).area < 1e-6


def test_spans_kept_by_the_analysis_are_those_dfm_would_measure(tmp_path: Path) -> None:
    import numpy as np

    from flyfab.cam import edges
    from flyfab.cam.synth import example_board

    example_board().write(tmp_path)
    a = analyze(tmp_path, cache=LayerCache(None), workers=1, spans=0.2)
    for f in a.features:
        data = a.layers[f.path]
        assert data.islands is not None and data.features is not None
        assert data.features.spans_below_mm == 0.2
        for below in (0.2, 0.16):
            kept = edges.spans_of(data.features, data.islands, below)
            fresh = edges.spans_below(data.islands, below)
            for k, n in zip(kept, fresh, strict=True):
                assert np.allclose(np.sort(k.value), np.sort(n.value))
        # The example's 0.15 mm traces are among them.
        widths, _ = edges.spans_of(data.features, data.islands, 0.2)
        if f.side == "top":
            assert np.isclose(widths.value, 0.15, atol=0.003).any()


def test_keeping_spans_finds_the_same_minimums(tmp_path: Path) -> None:
    """Keeping every span under a limit starts the search at that limit: the narrowest width and
    the closest gap, and where they are, must come out as without it."""
    b = base("spans-minimums")
    b.trace("top", [(5, 5), (30, 5)], 0.11)
    b.trace("top", [(5, 5.3), (30, 5.3)], 0.2)  # 0.145 mm from the first trace
    archive = tmp_path / "b.zip"
    b.write_zip(archive)
    plain = analyze(archive, cache=LayerCache(None), workers=1)
    kept = analyze(archive, cache=LayerCache(None), workers=1, spans=0.3)
    for f, g in zip(plain.features, kept.features, strict=True):
        assert (f.min_trace_width_mm, f.min_gap_mm) == (g.min_trace_width_mm, g.min_gap_mm)
        assert (f.min_trace_at, f.min_gap_at) == (g.min_trace_at, g.min_gap_at)
    top = layer(kept, 1)
    assert top.min_trace_width_mm == pytest.approx(0.11, abs=1e-4)
    assert top.min_gap_mm == pytest.approx(0.145, abs=1e-4)


def test_only_copper_is_measured(tmp_path: Path) -> None:
    """Mask and silkscreen get their area for the checks but no width-and-gap search, which the
    checks of those layers do not read."""
    from flyfab.cam.synth import example_board
    from flyfab.dfm import DFM_AREAS

    example_board().write(tmp_path)
    a = analyze(tmp_path, cache=LayerCache(None), workers=1, areas=DFM_AREAS, spans=0.2)
    types = {f.path: f.role.type for f in a.files}
    drawn = {p: d for p, d in a.layers.items() if d.islands is not None}
    assert {types[p] for p in drawn} >= {"copper", "soldermask", "silkscreen"}
    for path, data in drawn.items():
        assert (data.features is not None) == (types[path] == "copper"), path


def test_where_the_search_starts_changes_nothing_it_finds(tmp_path: Path) -> None:
    """The search may start past the thinnest drawn trace (or where an earlier search ended): a
    neck far thinner than that start, and a gap far smaller, are still the minimums found."""
    from flyfab.cam import edges

    b = base("search-start")
    b.trace("top", [(5, 5), (30, 5)], 0.3)
    b.trace("top", [(5, 5.36), (30, 5.36)], 0.3)  # 0.06 mm from the first
    b.region("top", [(5, 10), (20, 10), (20, 10.05), (5, 10.05)])  # a 0.05 mm sliver of pour
    archive = tmp_path / "b.zip"
    b.write_zip(archive)
    a = analyze(archive, cache=LayerCache(None), workers=1)
    islands = a.layers[layer(a, 1).path].islands
    assert islands is not None
    found = [edges.measure(islands, start=start) for start in (0.1, 0.26, 0.4)]
    for f in found:
        assert f.width is not None and f.gap is not None
        assert f.width.value == pytest.approx(0.05, abs=1e-4)
        assert f.gap.value == pytest.approx(0.06, abs=1e-4)
    assert len({(f.width.value, f.gap.value) for f in found if f.width and f.gap}) == 1
