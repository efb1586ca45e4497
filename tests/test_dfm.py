"""DFM rules on boards built here: each violation planted just past its limit and just inside it.

The shipped profiles are used (standard: the plainest class, advanced above it), so a value
between the two limits must come out as `upgrade` naming `advanced`, one past both as `error`, and
the passing twin must give no finding of that rule at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from flyfab.cam.analyze import analyze
from flyfab.cam.cache import LayerCache
from flyfab.cam.synth import BoardBuilder
from flyfab.dfm import DFM_AREAS, DfmReport, ProfileError, check, load_profiles
from flyfab.dfm.profiles import default_profiles_text, parse_profiles

PROFILES = load_profiles()
# Draws a feature; returns where its finding must be reported (within 0.5 mm of this geometry).
Plant = Callable[[BoardBuilder, float], BaseGeometry]


def base() -> BoardBuilder:
    b = BoardBuilder(name="dfm")
    b.outline_rect(0, 0, 40, 30)
    b.via(36, 26, 0.4, 0.8)
    return b


def dfm(b: BoardBuilder, folder: Path, profiles: str | None = None) -> DfmReport:
    b.write(folder)
    a = analyze(folder, cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    chosen = parse_profiles(profiles, "test.toml") if profiles else PROFILES
    return check(a, chosen)


def trace_width(b: BoardBuilder, v: float) -> BaseGeometry:
    b.trace("top", [(5, 10), (20, 10)], v)
    return LineString([(5, 10), (20, 10)])


def clearance(b: BoardBuilder, v: float) -> BaseGeometry:
    b.trace("top", [(5, 10), (20, 10)], 0.2)
    b.trace("top", [(5, 10.2 + v), (20, 10.2 + v)], 0.2)
    return LineString([(5, 10.1 + v / 2), (20, 10.1 + v / 2)])


def annular_ring(b: BoardBuilder, v: float) -> BaseGeometry:
    b.th_pad(10, 10, 0.4, 0.4 + 2 * v)
    return Point(10, 10)


def hole_to_hole(b: BoardBuilder, v: float) -> BaseGeometry:
    b.hole(10, 10, 1.0)
    b.hole(11 + v, 10, 1.0)
    return Point(10.5 + v / 2, 10)


def drill_size(b: BoardBuilder, v: float) -> BaseGeometry:
    b.hole(10, 10, v)
    return Point(10, 10)


def copper_to_edge(b: BoardBuilder, v: float) -> BaseGeometry:
    b.trace("bottom", [(10, 20), (10, 30 - v - 0.1)], 0.2)
    return Point(10, 30 - v / 2)


def npth_to_copper(b: BoardBuilder, v: float) -> BaseGeometry:
    b.hole(10, 10, 2.0)
    b.trace("top", [(11.1 + v, 5), (11.1 + v, 15)], 0.2)
    return Point(11 + v / 2, 10)


def slot_width(b: BoardBuilder, v: float) -> BaseGeometry:
    b.slot(10, 10, 14, 10, v)
    return LineString([(10, 10), (14, 10)])


def silk_line_width(b: BoardBuilder, v: float) -> BaseGeometry:
    b.trace("top_silk", [(5, 20), (15, 20)], v)
    return LineString([(5, 20), (15, 20)])


def mask_web(b: BoardBuilder, v: float) -> BaseGeometry:
    # Mask openings grow 0.05 mm round each pad: pads 0.1 + v apart leave a web of v.
    b.pad("top", 10, 10, "rect", 1.0, 1.0)
    b.pad("top", 11.1 + v, 10, "rect", 1.0, 1.0)
    return LineString([(10.55 + v / 2, 9.5), (10.55 + v / 2, 10.5)])


CASES: list[tuple[str, Plant, float, float, str | None]] = [
    # rule, plant, failing value, passing value, severity of the failing one (None: warning)
    ("trace_width", trace_width, 0.12, 0.135, "upgrade"),
    ("trace_width", trace_width, 0.08, 0.135, "error"),
    ("clearance", clearance, 0.12, 0.135, "upgrade"),
    ("annular_ring", annular_ring, 0.12, 0.14, "upgrade"),
    ("annular_ring", annular_ring, 0.08, 0.14, "error"),
    ("hole_to_hole", hole_to_hole, 0.22, 0.27, "upgrade"),
    ("drill_size", drill_size, 0.25, 0.32, "upgrade"),
    ("drill_size", drill_size, 0.15, 0.32, "error"),
    ("copper_to_edge", copper_to_edge, 0.25, 0.32, "upgrade"),
    ("npth_to_copper", npth_to_copper, 0.17, 0.22, "upgrade"),
    ("slot_width", slot_width, 0.48, 0.52, "upgrade"),
    ("silk_line_width", silk_line_width, 0.12, 0.16, None),
    ("mask_web", mask_web, 0.07, 0.12, None),
]


@pytest.mark.parametrize(("rule", "plant", "bad", "good", "severity"), CASES)
def test_violation_found_at_its_place_and_twin_passes(
    tmp_path: Path, rule: str, plant: Plant, bad: float, good: float, severity: str | None
) -> None:
    b = base()
    where = plant(b, bad)
    report = dfm(b, tmp_path / "bad")
    found = [f for f in report.findings if f.rule == rule]
    assert found, [(f.rule, f.measured_mm) for f in report.findings]
    f = found[0]
    assert f.severity == (severity or "warning")
    if severity == "upgrade":
        assert f.upgrade_to == "advanced"
    assert f.measured_mm == pytest.approx(bad, abs=0.003)
    assert any(where.distance(Point(p)) <= 0.5 for p in f.locations), (f.locations, where)
    expected_class = {"upgrade": "advanced", "error": None}.get(severity or "", "standard")
    assert report.min_class == expected_class

    twin = base()
    plant(twin, good)
    passing = dfm(twin, tmp_path / "good")
    assert not [f for f in passing.findings if f.rule == rule], passing.findings
    assert passing.min_class == "standard"


def test_repeats_are_grouped_with_every_location(tmp_path: Path) -> None:
    b = base()
    for y in (5, 10, 15, 20):
        b.trace("top", [(5, y), (20, y)], 0.1)
    report = dfm(b, tmp_path)
    (f,) = [f for f in report.findings if f.rule == "trace_width"]
    assert f.count == 4
    assert sorted(round(p[1]) for p in f.locations) == [5, 10, 15, 20]


def test_board_size_hole_outside_and_missing_outline(tmp_path: Path) -> None:
    small = BoardBuilder(name="tiny")
    small.outline_rect(0, 0, 4, 20)
    small.via(2, 10, 0.3, 0.6)
    small.hole(2, 25, 1.0)
    report = dfm(small, tmp_path / "small")
    rules = {f.rule: f for f in report.findings}
    assert rules["board_size"].severity == "error" and rules["board_size"].measured_mm == pytest.approx(
        4, abs=0.01
    )
    # A hole off the board drills nothing: the data is suspect, the board can still be built.
    assert rules["drill_outside_board"].severity == "warning"
    assert rules["drill_outside_board"].measured_mm == pytest.approx(4.5, abs=0.01)
    assert math.dist(rules["drill_outside_board"].locations[0], (2, 25)) < 0.01
    assert report.min_class is None

    no_edge = BoardBuilder(name="edgeless")
    no_edge.trace("top", [(0, 0), (10, 0)], 0.3)
    no_edge.via(5, 5, 0.4, 0.8)
    report = dfm(no_edge, tmp_path / "edgeless")
    assert any(f.rule == "missing_layer" and "outline" in f.message for f in report.findings)


def test_layer_count_against_a_factory_profile(tmp_path: Path) -> None:
    text = default_profiles_text().replace("copper_layers = [1, 16]", "copper_layers = [1, 2]", 1)
    b = BoardBuilder(name="four", copper_layers=4)
    b.outline_rect(0, 0, 40, 30)
    b.via(20, 15, 0.4, 0.8)
    report = dfm(b, tmp_path, profiles=text)
    (f,) = [f for f in report.findings if f.rule == "layer_count"]
    assert (f.severity, f.upgrade_to, f.measured_mm) == ("upgrade", "advanced", 4)


def test_silk_on_pad_is_a_warning_at_the_pad(tmp_path: Path) -> None:
    b = base()
    b.pad("top", 10, 10, "rect", 2.0, 2.0)
    b.trace("top_silk", [(8, 10), (12, 10)], 0.2)
    report = dfm(b, tmp_path)
    (f,) = [f for f in report.findings if f.rule == "silk_on_pad"]
    assert f.severity == "warning"
    assert math.dist(f.locations[0], (10, 10)) < 0.5
    assert report.min_class == "standard"


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (
            ("min_trace_width_mm = 0.127", "min_trace_widht_mm = 0.127"),
            "profiles.standard.min_trace_widht_mm",
        ),
        (("min_drill_mm = 0.3", 'min_drill_mm = "0.3"'), "profiles.standard.min_drill_mm"),
        (("min_clearance_mm = 0.09", "min_clearance_mm = -0.09"), "profiles.advanced.min_clearance_mm"),
        (("copper_layers = [1, 16]", "copper_layers = [8, 2]"), "copper_layers"),
        (("[profiles.standard]", "[profiles.standard"), "not valid TOML"),
    ],
)
def test_bad_profiles_are_refused_naming_key_and_file(
    tmp_path: Path, edit: tuple[str, str], named: str
) -> None:
    path = tmp_path / "factory.toml"
    path.write_text(default_profiles_text().replace(*edit, 1))
    with pytest.raises(ProfileError) as err:
        load_profiles(path)
    assert str(path) in str(err.value) and named in str(err.value)


def test_edge_holes_are_not_off_the_board(tmp_path: Path) -> None:
    # Mouse bites and castellations: holes whose disc the board edge cuts.
    b = base()
    for x in (10, 11, 12):
        b.hole(x, 30.1, 0.5)
    b.hole(20, 31.0, 0.5)  # wholly beside the board
    report = dfm(b, tmp_path)
    (off,) = [f for f in report.findings if f.rule == "drill_outside_board"]
    assert off.count == 1 and math.dist(off.locations[0], (20, 31)) < 0.01


def test_overlapping_hits_are_a_drilled_slot(tmp_path: Path) -> None:
    b = base()
    for k in range(4):
        b.hole(10 + 0.2 * k, 10, 0.4)  # a slot drawn as overlapping 0.4 mm hits
    b.hole(20, 10, 0.3)
    b.hole(20.5, 10, 0.3)  # two holes 0.2 mm apart edge to edge
    report = dfm(b, tmp_path)
    (close,) = [f for f in report.findings if f.rule == "hole_to_hole"]
    assert close.measured_mm == pytest.approx(0.2, abs=0.003)
    assert math.dist(close.locations[0], (20.25, 10)) < 0.01
    (slot,) = [f for f in report.findings if f.rule == "slot_width"]
    assert slot.measured_mm == pytest.approx(0.4, abs=0.003) and slot.severity == "error"
    assert all(9.9 < x < 10.7 for x, _ in slot.locations)


def test_holes_larger_than_any_drill_are_routed(tmp_path: Path) -> None:
    b = base()
    b.hole(15, 15, 8.0)
    report = dfm(b, tmp_path)
    (big,) = [f for f in report.findings if f.rule == "drill_size"]
    assert big.severity == "warning" and "routed" in big.message
    assert report.min_class == "standard"


def test_pours_are_pulled_back_traces_are_not(tmp_path: Path) -> None:
    b = base()
    b.region("top", [(2, 2), (38, 2), (38, 29.9), (2, 29.9)])  # a pour 0.1 mm from the top edge
    b.trace("bottom", [(10, 10), (10, 29.9)], 0.2)  # a trace into the top edge
    report = dfm(b, tmp_path)
    edge = [f for f in report.findings if f.rule == "copper_to_edge"]
    pour = [f for f in edge if f.severity == "warning"]
    trace = [f for f in edge if f.severity != "warning"]
    assert len(pour) == 1 and "pulls it back" in pour[0].message
    assert all(abs(y - 29.9) < 0.05 for _, y in pour[0].locations)
    assert len(trace) == 1 and trace[0].severity == "error"
    assert math.dist(trace[0].locations[0], (10, 29.9)) < 0.5


def test_pad_drawn_at_hole_size_is_no_annular_ring(tmp_path: Path) -> None:
    # A mechanical hole as many tools draw it: a pad the size of the hole, plating not stated.
    b = base()
    b.pad("top", 10, 10, "circle", 3.0)
    b.pad("bottom", 10, 10, "circle", 3.0)
    b.hole(10, 10, 3.0)
    b.th_pad(20, 10, 1.0, 1.1)  # a real pad with a thin ring beside it
    folder = tmp_path / "board"
    b.write(folder, x2=False, drill_split=False)
    a = analyze(folder, cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    rings = [f for f in check(a, PROFILES).findings if f.rule == "annular_ring"]
    assert rings, "the thin ring beside it must still be found"
    assert all(math.dist(p, (20, 10)) < 0.5 for f in rings for p in f.locations)


def test_outline_plotted_into_copper_is_not_copper(tmp_path: Path) -> None:
    b = base()
    edge = [(0, 0), (40, 0), (40, 30), (0, 30), (0, 0)]
    b.trace("top", edge, 0.1)  # the board edge, plotted into the top film
    b.trace("top", [(5, 10), (20, 10)], 0.25)
    folder = tmp_path / "board"
    b.write(folder)
    a = analyze(folder, cache=LayerCache(None), workers=1, areas=DFM_AREAS)
    assert any(p.code == "outline-in-copper" for p in a.problems)
    top = next(f for f in a.features if f.side == "top")
    assert top.min_trace_width_mm == pytest.approx(0.25, abs=0.003)
    report = check(a, PROFILES)
    assert not [f for f in report.findings if f.rule in ("copper_to_edge", "trace_width")]


def test_copper_inside_a_non_plated_hole_is_drilled_away(tmp_path: Path) -> None:
    b = base()
    b.hole(10, 10, 3.0)
    b.pad("top", 10, 10, "circle", 1.0)  # smaller than its hole: nothing is left after drilling
    b.hole(20, 10, 1.0)
    b.pad("top", 20, 10, "circle", 2.0)  # a ring round a non-plated hole: copper at the hole wall
    report = dfm(b, tmp_path)
    (near,) = [f for f in report.findings if f.rule == "npth_to_copper"]
    assert near.count == 1 and math.dist(near.locations[0], (20, 10)) < 1.0


def test_places_group_nearby_measurements_and_keep_each_groups_worst() -> None:
    """`places` against single-linkage grouping done the plain way (every pair within
    SAME_PLACE_MM): it never splits such a group, and each place it reports is the exact worst
    measurement of one; clusters further apart than its reach stay apart."""
    import numpy as np
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import cdist

    from flyfab.dfm.measure import SAME_PLACE_MM, places

    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [5.0, 0.7], [20.0, 3.0]])
    # Dense runs of measurements along short stretches, as along a neck or a gap.
    points = np.concatenate([c + rng.uniform(-0.3, 0.3, (400, 2)) * [1, 0.05] for c in centres])
    values = rng.uniform(0.05, 0.12, len(points))
    _, labels = connected_components(cdist(points, points) <= SAME_PLACE_MM, directed=False)
    exact = {
        (float(values[i]), float(points[i, 0]), float(points[i, 1]))
        for g in np.unique(labels)
        for i in [np.flatnonzero(labels == g)[np.argmin(values[labels == g])]]
    }
    got = places(values, points)
    assert set(got) <= exact
    assert len(got) == len(exact) == 4  # the clusters 0.7 mm apart stay two places
    assert min(v for v, _, _ in got) == values.min()
