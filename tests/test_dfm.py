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
    assert rules["drill_outside_board"].severity == "error"
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
