"""The synthetic board writer: files parse back to what was planted, named as each CAD tool names them."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
import warnings
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from gerbonara import ExcellonFile, GerberFile
from gerbonara import apertures as gap
from gerbonara import graphic_objects as go
from gerbonara.utils import MM

from flyfab.cam.model import Role
from flyfab.cam.synth import NAMINGS, PAD_SHAPES, BoardBuilder, FileRole, Naming, Units, example_board

# The writer's promise is < 0.1 µm; 2.6 inch and 4.6 mm formats round to at most 0.013 µm.
TOL = 5e-5


def sample_board(units: Units = "mm") -> BoardBuilder:
    """A 4-layer board with one of everything the builder can plant."""
    b = BoardBuilder(name="test", units=units, copper_layers=4)
    b.outline_rect(0, 0, 40, 25, corner_radius=1.5)
    b.cutout_circle(30, 12.5, 4)
    b.trace("top", [(5, 5), (15, 5), (15, 10)], 0.15)
    b.arc_trace("top", (20, 5), (25, 10), (20, 10), clockwise=False, width=0.2)
    b.trace("in1", [(5, 15), (20, 15)], 0.1)
    b.region("in2", [(2, 2), (38, 2), (38, 23), (2, 23)])
    b.region("in2", [(10, 10), (12, 10), (12, 12), (10, 12)], clear=True)
    b.trace("bottom", [(5, 20), (30, 20)], 0.3)
    for i, shape in enumerate(PAD_SHAPES):
        h = 1.2 if shape in ("circle", "octagon") else 0.8
        b.pad("top", 4 + 3 * i, 22, shape, 1.2, h, rotation=30 if shape == "rotrect" else 0)
    b.pad("top", 30, 3, "rect", 1.0, 0.5, rotation=45)
    b.pad("bottom", 10, 8, "roundrect", 1.5, 0.7, rotation=90)
    b.pad("bottom", 14, 8, "obround", 1.5, 0.7, rotation=30)
    b.via(8, 12, 0.3, 0.6)
    b.th_pad(20, 18, 1.0, 1.8)
    b.hole(35, 3, 3.0)
    b.slot(35, 20, 35, 23, 1.0, plated=True, pad=1.6)
    b.slot(2.5, 10, 2.5, 14, 0.8)
    b.text("top_silk", 20, 21, "TEST 1")
    b.text("bottom_silk", 20, 21, "BOT")
    return b


# What each naming convention calls the files of `sample_board` (4 layers, paste and silk on both sides).
EXPECTED_NAMES: dict[str, set[str]] = {
    "kicad": {
        *(f"test-{s}.gbr" for s in ("F_Cu", "In1_Cu", "In2_Cu", "B_Cu", "F_Mask", "B_Mask", "F_Paste")),
        *(f"test-{s}.gbr" for s in ("B_Paste", "F_Silkscreen", "B_Silkscreen", "Edge_Cuts")),
        "test-PTH.drl",
        "test-NPTH.drl",
    },
    "kicad_old": {
        *(f"test-{s}.gbr" for s in ("F.Cu", "In1.Cu", "In2.Cu", "B.Cu", "F.Mask", "B.Mask", "F.Paste")),
        *(f"test-{s}.gbr" for s in ("B.Paste", "F.SilkS", "B.SilkS", "Edge.Cuts")),
        "test-PTH.drl",
        "test-NPTH.drl",
    },
    "altium": {
        *(f"test.{e}" for e in ("GTL", "G1", "G2", "GBL", "GTS", "GBS", "GTP", "GBP", "GTO", "GBO", "GKO")),
        "test-Plated.TXT",
        "test-NonPlated.TXT",
    },
    "eagle": {
        f"test.{e}"
        for e in ("cmp", "ly2", "ly3", "sol", "stc", "sts", "crc", "crs", "plc", "pls", "dim", "drd")
    },
    "eagle9": {
        *(f"copper_{s}.gbr" for s in ("top", "l2", "l3", "bottom")),
        *(f"{t}_{s}.gbr" for t in ("soldermask", "solderpaste", "silkscreen") for s in ("top", "bottom")),
        "profile.gbr",
        "drills.xln",
    },
    "diptrace": {
        *(
            f"test_{s}.gbr"
            for s in ("Top", "Inner1", "Inner2", "Bottom", "TopMask", "BottomMask", "TopPaste")
        ),
        *(f"test_{s}.gbr" for s in ("BottomPaste", "TopSilk", "BottomSilk", "BoardOutline")),
        "test.drl",
    },
    "geda": {
        *(
            f"test.{s}.gbr"
            for s in ("top", "group2", "group3", "bottom", "topmask", "bottommask", "toppaste")
        ),
        *(f"test.{s}.gbr" for s in ("bottompaste", "topsilk", "bottomsilk", "outline")),
        "test.plated-drill.cnc",
        "test.unplated-drill.cnc",
    },
    "easyeda": {
        "Gerber_TopLayer.GTL",
        "Gerber_InnerLayer1.G1",
        "Gerber_InnerLayer2.G2",
        "Gerber_BottomLayer.GBL",
        "Gerber_TopSolderMaskLayer.GTS",
        "Gerber_BottomSolderMaskLayer.GBS",
        "Gerber_TopPasteMaskLayer.GTP",
        "Gerber_BottomPasteMaskLayer.GBP",
        "Gerber_TopSilkLayer.GTO",
        "Gerber_BottomSilkLayer.GBO",
        "Gerber_BoardOutline.GKO",
        "Gerber_Drill_PTH.DRL",
        "Gerber_Drill_NPTH.DRL",
    },
    "target3001": {
        f"test.{e}"
        for e in (
            *("Top", "Inner1", "Inner2", "Bot", "StopTop", "StopBot", "PasteTop", "PasteBot"),
            *("PosiTop", "PosiBot", "Outline", "Drill"),
        )
    },
    "siemens": {
        *(
            f"test_{s}.gdo"
            for s in ("L01_Top", "L02", "L03", "L04_Bottom", "SoldermaskTop", "SoldermaskBottom")
        ),
        *(
            f"test_{s}.gdo"
            for s in ("SolderPasteTop", "SolderPasteBottom", "SilkscreenTop", "SilkscreenBottom")
        ),
        "test_BoardOutline.gdo",
        "test_ThruHolePlated.ncd",
        "test_ThruHoleNonPlated.ncd",
    },
    "meaningless": {*(f"layer{i}.gbr" for i in range(1, 12)), "drill1.drl", "drill2.drl"},
}

FILE_FUNCTIONS = {
    ("copper", "top"): "Copper,L1,Top",
    ("copper", "inner"): "Copper,L{index},Inr",
    ("copper", "bottom"): "Copper,L4,Bot",
    ("soldermask", "top"): "Soldermask,Top",
    ("soldermask", "bottom"): "Soldermask,Bot",
    ("solderpaste", "top"): "Paste,Top",
    ("solderpaste", "bottom"): "Paste,Bot",
    ("silkscreen", "top"): "Legend,Top",
    ("silkscreen", "bottom"): "Legend,Bot",
    ("outline", "all"): "Profile,NP",
}


def read(path: Path, role: FileRole) -> Any:
    """Open a written file with gerbonara; any parser warning is a defect of the writer."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if role.type == "drill":
            return ExcellonFile.open(path)
        return GerberFile.open(path)


@cache
def written(units: Units, naming: Naming, x2: bool, root: Path) -> dict[str, FileRole]:
    return sample_board(units).write(root / f"{units}-{naming}-{x2}", naming=naming, x2=x2)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synth")


def mm(obj: Any, value: float) -> float:
    return float(obj.unit.convert_to(MM, value))


def by_type(objects: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in objects:
        name = type(o).__name__
        if isinstance(o, go.Region):
            name += "-clear" if not o.polarity_dark else ""
        counts[name] = counts.get(name, 0) + 1
    return counts


def file_of(roles: dict[str, FileRole], **want: Any) -> str:
    [name] = [n for n, r in roles.items() if all(getattr(r, k) == v for k, v in want.items())]
    return name


# --- every naming convention x unit x X2 ---------------------------------------------------------


@pytest.mark.parametrize("x2", [True, False], ids=["x2", "rs274x"])
@pytest.mark.parametrize("units", ["mm", "inch"])
@pytest.mark.parametrize("naming", NAMINGS)
def test_every_convention_round_trips(out: Path, naming: Naming, units: Units, x2: bool) -> None:
    roles = written(units, naming, x2, out)
    folder = out / f"{units}-{naming}-{x2}"
    assert {p.name for p in folder.iterdir()} == set(roles), "the roles cover exactly the files written"
    assert set(roles) == EXPECTED_NAMES[naming]
    for name, role in roles.items():
        parsed = read(folder / name, role)
        text = (folder / name).read_text()
        assert isinstance(role.as_role(), Role)
        if role.type == "drill":
            assert ("INCH" if units == "inch" else "METRIC") in text
            assert ("#@! TF.FileFunction," in text) == x2
            assert parsed.objects
            continue
        assert ("%MOIN*%" if units == "inch" else "%MOMM*%") in text
        assert ("%FSLAX26Y26*%" if units == "inch" else "%FSLAX46Y46*%") in text
        if x2:
            expected = FILE_FUNCTIONS[(role.type, role.side)].format(index=role.index)
            assert ",".join(parsed.file_attrs[".FileFunction"]) == expected
            assert parsed.file_attrs[".GenerationSoftware"][:2] == ("flyfab", "synth")
            polarity = "Negative" if role.type == "soldermask" else "Positive"
            assert parsed.file_attrs[".FilePolarity"] == (polarity,)
        else:
            assert parsed.file_attrs == {}
            assert "%TF" not in text


def test_roles_follow_the_stack(out: Path) -> None:
    roles = written("mm", "kicad", True, out)
    assert roles["test-F_Cu.gbr"] == ("copper", "top", 1, None)
    assert roles["test-In1_Cu.gbr"] == ("copper", "inner", 2, None)
    assert roles["test-In2_Cu.gbr"] == ("copper", "inner", 3, None)
    assert roles["test-B_Cu.gbr"] == ("copper", "bottom", 4, None)
    assert roles["test-Edge_Cuts.gbr"] == ("outline", "all", None, None)
    assert roles["test-PTH.drl"] == ("drill", "all", None, "plated")
    assert roles["test-NPTH.drl"].as_role() == Role("drill", "all", plating="non-plated")
    text = (out / "mm-kicad-True" / "test-PTH.drl").read_text()
    assert "; #@! TF.FileFunction,Plated,1,4,PTH" in text
    assert "; #@! TF.FileFunction,NonPlated,1,4,NPTH" in (out / "mm-kicad-True" / "test-NPTH.drl").read_text()


def test_meaningless_names_are_shuffled_but_seeded(tmp_path: Path) -> None:
    first = sample_board().write(tmp_path / "a", naming="meaningless")
    second = sample_board().write(tmp_path / "b", naming="meaningless")
    assert first == second
    order = [role.index for role in first.values() if role.type == "copper"]
    names = [name for name, role in first.items() if role.type == "copper"]
    assert order == [1, 2, 3, 4]
    assert names != ["layer1.gbr", "layer2.gbr", "layer3.gbr", "layer4.gbr"]


# --- geometry survives the round trip ------------------------------------------------------------


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_copper_round_trip(out: Path, units: Units) -> None:
    roles = written(units, "kicad", True, out)
    folder = out / f"{units}-kicad-True"
    top = read(folder / "test-F_Cu.gbr", roles["test-F_Cu.gbr"])
    # 2 segments of the polyline, 1 arc; 7 pads, the via, the through-hole pad and the slot's pad
    assert by_type(top.objects) == {"Line": 2, "Arc": 1, "Flash": 10}
    line = top.objects[0]
    assert abs(mm(line, line.x1) - 5) < TOL and abs(mm(line, line.y2) - 5) < TOL
    assert abs(line.aperture.equivalent_width(MM) - 0.15) < TOL
    arc = top.objects[2]
    assert isinstance(arc, go.Arc) and not arc.clockwise
    assert abs(mm(arc, arc.x1 + arc.cx) - 20) < TOL and abs(mm(arc, arc.y1 + arc.cy) - 10) < TOL
    assert abs(mm(arc, arc.x2) - 25) < TOL and abs(arc.aperture.equivalent_width(MM) - 0.2) < TOL

    flashes = [o for o in top.objects if isinstance(o, go.Flash)]
    circle, rect, obround, roundrect, rotrect, octagon, rotated_rect = (f.aperture for f in flashes[:7])
    assert isinstance(circle, gap.CircleAperture) and abs(circle.equivalent_width(MM) - 1.2) < TOL
    assert isinstance(rect, gap.RectangleAperture) and abs(MM(rect.w, rect.unit) - 1.2) < TOL
    assert abs(MM(rect.h, rect.unit) - 0.8) < TOL
    assert isinstance(obround, gap.ObroundAperture) and abs(MM(obround.h, obround.unit) - 0.8) < TOL
    f = 1.0 if units == "mm" else 25.4  # macro parameters are in file units
    assert roundrect.macro.name == "RoundRect"
    r, *corners = (p * f for p in roundrect.parameters)
    assert abs(r - 0.2) < TOL  # 25 % of the smaller side
    assert all(abs(abs(c) - v) < TOL for c, v in zip(corners, [0.4, 0.2] * 4, strict=True))
    assert rotrect.macro.name == "RotRect"
    assert abs(rotrect.parameters[0] * f - 1.2) < TOL and abs(rotrect.parameters[1] * f - 0.8) < TOL
    assert rotrect.parameters[2] == 30
    assert octagon.macro.name == "Octagon"
    assert abs(octagon.parameters[0] * f * math.cos(math.pi / 8) - 1.2) < TOL  # flat to flat
    assert octagon.parameters[1] == 22.5
    assert rotated_rect.macro.name == "RotRect" and rotated_rect.parameters[2] == 45
    assert abs(mm(flashes[6], flashes[6].x) - 30) < TOL

    bottom = read(folder / "test-B_Cu.gbr", roles["test-B_Cu.gbr"])
    apertures = [o.aperture for o in bottom.objects if isinstance(o, go.Flash)]
    assert apertures[0].macro.name == "RoundRect"  # 1.5 x 0.7 turned by 90°: corners at (±0.175, ±0.575)
    corners_90 = (0.175, 0.175, -0.575, 0.175, 0.575, -0.175, 0.575, -0.175, -0.575)
    assert all(abs(p * f - v) < TOL for p, v in zip(apertures[0].parameters, corners_90, strict=True))
    assert apertures[1].macro.name == "Oval"
    width, x1, y1, x2, y2 = (p * f for p in apertures[1].parameters)
    assert abs(width - 0.7) < TOL and abs(math.hypot(x2 - x1, y2 - y1) - 0.8) < TOL
    assert abs(math.degrees(math.atan2(y2 - y1, x2 - x1)) - 30) < 1e-3


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_mask_paste_and_drills_round_trip(out: Path, units: Units) -> None:
    roles = written(units, "kicad", True, out)
    folder = out / f"{units}-kicad-True"
    mask = read(folder / "test-F_Mask.gbr", roles["test-F_Mask.gbr"])
    paste = read(folder / "test-F_Paste.gbr", roles["test-F_Paste.gbr"])
    # smd pads get mask and paste, the through-hole pad and the slot pad only mask, the via neither
    assert len(mask.objects) == 7 + 2 and len(paste.objects) == 7
    assert abs(mask.objects[0].aperture.equivalent_width(MM) - (1.2 + 2 * 0.05)) < TOL
    assert abs(paste.objects[0].aperture.equivalent_width(MM) - 1.2) < TOL
    bottom_mask = read(folder / "test-B_Mask.gbr", roles["test-B_Mask.gbr"])
    assert len(bottom_mask.objects) == 2 + 2

    pth = read(folder / "test-PTH.drl", roles["test-PTH.drl"])
    npth = read(folder / "test-NPTH.drl", roles["test-NPTH.drl"])
    assert by_type(pth.objects) == {"Flash": 2, "Line": 1} and by_type(npth.objects) == {
        "Flash": 1,
        "Line": 1,
    }
    assert [round(d, 4) for d in pth.drill_sizes()] == [0.3, 1.0]
    slot = next(o for o in npth.objects if isinstance(o, go.Line))
    assert abs(mm(slot, slot.y1) - 10) < TOL and abs(mm(slot, slot.y2) - 14) < TOL
    hole = next(o for o in npth.objects if isinstance(o, go.Flash))
    assert abs(mm(hole, hole.x) - 35) < TOL and abs(hole.tool.equivalent_width(MM) - 3.0) < TOL


def test_arcs_are_written_as_arcs(out: Path) -> None:
    roles = written("mm", "kicad", True, out)
    text = (out / "mm-kicad-True" / "test-Edge_Cuts.gbr").read_text()
    assert "G02*" in text or "G03*" in text
    outline = read(out / "mm-kicad-True" / "test-Edge_Cuts.gbr", roles["test-Edge_Cuts.gbr"])
    assert by_type(outline.objects) == {"Line": 4, "Arc": 5}  # 4 corners + the round cut-out
    [circle] = [o for o in outline.objects if isinstance(o, go.Arc) and (o.x1, o.y1) == (o.x2, o.y2)]
    assert abs(mm(circle, circle.x1 + circle.cx) - 30) < TOL and abs(mm(circle, -circle.cx) - 2) < TOL
    assert abs(outline.objects[0].aperture.equivalent_width(MM) - 0.1) < TOL


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_outline_as_segments_writes_no_arcs(tmp_path: Path, units: Units) -> None:
    b = BoardBuilder(name="seg", units=units)
    b.outline_as_segments(0.5)
    b.outline_rect(0, 0, 10, 5, corner_radius=1)
    b.cutout_circle(5, 2.5, 2)
    roles = b.write(tmp_path)
    text = (tmp_path / "seg-Edge_Cuts.gbr").read_text()
    assert "G02" not in text and "G03" not in text
    outline = read(tmp_path / "seg-Edge_Cuts.gbr", roles["seg-Edge_Cuts.gbr"])
    assert set(by_type(outline.objects)) == {"Line"} and len(outline.objects) > 30
    assert b.expected()["size_mm"] == (10.0, 5.0)
    ends = [(mm(o, o.x2), mm(o, o.y2)) for o in outline.objects]
    starts = [(mm(o, o.x1), mm(o, o.y1)) for o in outline.objects]
    jumps = [math.dist(e, s) > TOL for e, s in zip(ends, starts[1:] + starts[:1], strict=True)]
    assert sum(jumps) == 2  # closed chains: only the moves board edge -> cut-out -> board edge


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_outline_gaps(tmp_path: Path, units: Units) -> None:
    b = BoardBuilder(name="gap", units=units)
    b.outline_gap(0.002)
    b.outline_rect(0, 0, 10, 5, corner_radius=1)
    roles = b.write(tmp_path)
    outline = read(tmp_path / "gap-Edge_Cuts.gbr", roles["gap-Edge_Cuts.gbr"])
    objects = outline.objects
    gaps = [
        math.dist((mm(a, a.x2), mm(a, a.y2)), (mm(b, b.x1), mm(b, b.y1)))
        for a, b in zip(objects, objects[1:] + objects[:1], strict=True)
    ]
    assert len(gaps) == 8 and all(abs(g - 0.002) < TOL for g in gaps)
    assert "G03*" in (tmp_path / "gap-Edge_Cuts.gbr").read_text()


def test_clear_polarity_region(out: Path) -> None:
    roles = written("inch", "altium", True, out)
    path = out / "inch-altium-True" / "test.G2"
    assert "%LPC*%" in path.read_text()
    inner = read(path, roles["test.G2"])
    assert by_type(inner.objects) == {"Region": 1, "Region-clear": 1, "Flash": 3}  # + via, pad, slot pad
    clear = inner.objects[1]
    corners = [(MM(x, clear.unit), MM(y, clear.unit)) for x, y in clear.outline[:2]]
    assert all(math.dist(c, e) < TOL for c, e in zip(corners, [(10, 10), (12, 10)], strict=True))


def test_rotated_macro_pads_are_written_as_macros(out: Path) -> None:
    written("mm", "kicad", True, out)
    text = (out / "mm-kicad-True" / "test-F_Cu.gbr").read_text()
    assert "%AMRotRect*" in text and "21,1,$1,$2,0,0,$3*" in text
    assert "RotRect,1X0.5X45*%" in text and "RotRect,1.2X0.8X30*%" in text
    assert "%AMRoundRect*" in text and "%AMOctagon*" in text and "5,1,8,0,0,$1,$2*" in text
    assert "%AMOval*" in (out / "mm-kicad-True" / "test-B_Cu.gbr").read_text()


def test_text_is_mirrored_on_the_bottom(out: Path) -> None:
    roles = written("mm", "kicad", True, out)
    top = read(out / "mm-kicad-True" / "test-F_Silkscreen.gbr", roles["test-F_Silkscreen.gbr"])
    bottom = read(out / "mm-kicad-True" / "test-B_Silkscreen.gbr", roles["test-B_Silkscreen.gbr"])
    top_x = [x for o in top.objects if isinstance(o, go.Line) for x in (o.x1, o.x2)]
    bottom_x = [x for o in bottom.objects if isinstance(o, go.Line) for x in (o.x1, o.x2)]
    assert min(top_x) >= 20 and max(bottom_x) <= 20
    assert min(bottom_x) == pytest.approx(20 - 2 - 4 / 6)  # "BOT": two advances and one glyph width


# --- drills: split, combined, single-sided -------------------------------------------------------


def test_combined_drill_file_is_mixed(tmp_path: Path) -> None:
    roles = sample_board().write(tmp_path, naming="kicad", drill_split=False)
    drills = {n: r for n, r in roles.items() if r.type == "drill"}
    assert drills == {"test.drl": ("drill", "all", None, "mixed")}
    text = (tmp_path / "test.drl").read_text()
    assert "; #@! TF.FileFunction,MixedPlating,1,4" in text
    parsed = read(tmp_path / "test.drl", drills["test.drl"])
    assert {o.tool.plated for o in parsed.objects} == {True, False}
    assert len(parsed.objects) == 5


def test_tools_with_one_drill_convention(tmp_path: Path) -> None:
    geda = sample_board().write(tmp_path / "geda", naming="geda", drill_split=False)
    assert sorted(r.plating or "" for r in geda.values() if r.type == "drill") == ["non-plated", "plated"]
    eagle = sample_board().write(tmp_path / "eagle", naming="eagle", drill_split=True)
    assert [r.plating for r in eagle.values() if r.type == "drill"] == ["mixed"]


def test_single_sided_bottom(tmp_path: Path) -> None:
    b = BoardBuilder(name="ss", copper_layers=1, single_sided_side="bottom")
    b.outline_rect(0, 0, 20, 10)
    b.trace("bottom", [(2, 2), (8, 2)], 0.4)
    b.th_pad(10, 5, 0.8, 1.6)
    with pytest.raises(ValueError, match="single-sided"):
        b.trace("top", [(2, 2), (8, 2)], 0.4)
    roles = b.write(tmp_path)
    assert roles == {
        "ss-B_Cu.gbr": ("copper", "bottom", 1, None),
        "ss-B_Mask.gbr": ("soldermask", "bottom", None, None),
        "ss-Edge_Cuts.gbr": ("outline", "all", None, None),
        "ss-PTH.drl": ("drill", "all", None, "plated"),
    }
    assert "%TF.FileFunction,Copper,L1,Bot*%" in (tmp_path / "ss-B_Cu.gbr").read_text()
    assert "; #@! TF.FileFunction,Plated,1,1,PTH" in (tmp_path / "ss-PTH.drl").read_text()


# --- the example board ---------------------------------------------------------------------------


@pytest.mark.parametrize("units", ["mm", "inch"])
def test_example_board(tmp_path: Path, units: Units) -> None:
    b = example_board(units)
    roles = b.write(tmp_path)
    assert {r.type for r in roles.values()} == {
        "copper",
        "soldermask",
        "solderpaste",
        "silkscreen",
        "outline",
        "drill",
    }
    parsed = {name: read(tmp_path / name, role) for name, role in roles.items()}
    expected = b.expected()
    assert expected["size_mm"] == (50.0, 30.0)
    assert expected["min_trace_width_mm"] == {1: 0.15, 2: 0.25}
    assert expected["drill_diameters_mm"] == {"plated": [0.3, 1.0], "non-plated": [3.2]}
    assert expected["cutouts"] == 1
    (x0, y0), (x1, y1) = parsed["flyfab-example-Edge_Cuts.gbr"].bounding_box(MM)
    assert (x1 - x0, y1 - y0) == (pytest.approx(50.1), pytest.approx(30.1))  # centre lines plus the stroke
    bottom = parsed["flyfab-example-B_Cu.gbr"]
    assert sum(isinstance(o, go.Region) and not o.polarity_dark for o in bottom.objects) == 12
    pth = parsed["flyfab-example-PTH.drl"]
    assert len(list(pth.drills())) == 8 and len(list(pth.slots())) == 1
    assert len(parsed["flyfab-example-NPTH.drl"].objects) == 2
    top = (tmp_path / "flyfab-example-F_Cu.gbr").read_text()
    assert "RoundRect," in top and "RotRect," in top and "G03*" in top


# --- determinism ---------------------------------------------------------------------------------


def test_same_calls_give_the_same_bytes(tmp_path: Path) -> None:
    for naming in ("kicad", "meaningless"):
        a = example_board("inch").write(tmp_path / f"a-{naming}", naming=naming)
        b = example_board("inch").write(tmp_path / f"b-{naming}", naming=naming)
        assert a == b
        for name in a:
            assert (tmp_path / f"a-{naming}" / name).read_bytes() == (
                tmp_path / f"b-{naming}" / name
            ).read_bytes()
    example_board().write_zip(tmp_path / "a.zip", naming="altium", x2=False)
    example_board().write_zip(tmp_path / "b.zip", naming="altium", x2=False)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert "flyfab-example.GTL" in archive.namelist()


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # gerbonara names and hashes things internally: the output must not depend on str hashing
    code = (
        "import hashlib; from pathlib import Path; from flyfab.cam.synth import example_board; "
        f"p = Path({str(tmp_path)!r}) / 'x.zip'; example_board().write_zip(p, naming='meaningless'); "
        "print(hashlib.sha256(p.read_bytes()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    example_board().write_zip(tmp_path / "x.zip", naming="meaningless")
    digests.add(hashlib.sha256((tmp_path / "x.zip").read_bytes()).hexdigest())
    assert len(digests) == 1


# --- input checks --------------------------------------------------------------------------------


def test_bad_input_is_refused() -> None:
    b = BoardBuilder(copper_layers=4)
    with pytest.raises(ValueError, match="in3"):
        b.trace("in3", [(0, 0), (1, 0)], 0.1)
    with pytest.raises(ValueError, match="one circle"):
        b.arc_trace("top", (0, 0), (3, 0), (1, 0), clockwise=True, width=0.1)
    with pytest.raises(ValueError, match="pad shape"):
        b.pad("top", 0, 0, "star", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="glyph"):
        b.text("top_silk", 0, 0, "Ω")
    with pytest.raises(ValueError, match="corner radius"):
        b.outline_rect(0, 0, 10, 4, corner_radius=3)
    with pytest.raises(ValueError, match="naming"):
        b.write(Path("/nonexistent"), naming="orcad")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one copper layer"):
        BoardBuilder(copper_layers=0)
