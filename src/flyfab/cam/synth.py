"""Synthetic fabrication data with exactly known geometry.

`BoardBuilder` collects copper, outline, holes and texts in millimetres and writes them as the Gerber and
Excellon files a CAD tool would produce, named the way that tool names them. The test-suite uses it to
plant features of known size (traces, gaps, holes, cut-outs, arcs, rotated macro pads, clear polarity)
and `example_board()` is the board behind `flyfab example`.

All files are written through gerbonara's object model, corrected where it falls short:
- standard apertures and macro parameters are written with 6 decimals (gerbonara writes 4 significant
  digits, which in inch files is off by up to a micrometre);
- two statements gerbonara 1.5 writes wrongly are repaired in the text: the header's `G75` without its
  `*` (readers drop it) and the `G01**` that opens every region (an empty statement); its Excellon
  banner "Comments found in original file" is dropped.

Coordinates are written as 4.6 (mm) or 2.6 (inch), so every written coordinate is within 0.013 µm of
the value given to the builder. Output is deterministic: no dates, seeded shuffling, fixed zip times.
"""

from __future__ import annotations

import io
import itertools
import math
import random
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple

from gerbonara import ExcellonFile, GerberFile
from gerbonara import apertures as gap
from gerbonara import graphic_objects as go
from gerbonara.aperture_macros import primitive as amp
from gerbonara.aperture_macros.expression import ParameterExpression
from gerbonara.aperture_macros.parse import ApertureMacro
from gerbonara.cam import FileSettings
from gerbonara.utils import MM, Inch

from flyfab import __version__
from flyfab.cam.model import LayerType, Plating, Role, Side

__all__ = [
    "NAMINGS",
    "PAD_SHAPES",
    "BoardBuilder",
    "FileRole",
    "LayerName",
    "Naming",
    "PadShape",
    "Units",
    "example_board",
]

LayerName = str  # "top", "bottom", "in1", "in2", ... (copper); "top_silk", "bottom_silk", "top_mask", ...
Point = tuple[float, float]
ArcSpec = tuple[float, float, bool]  # centre x, centre y, clockwise
Units = Literal["mm", "inch"]
PadShape = Literal["circle", "rect", "obround", "roundrect", "rotrect", "octagon"]
Naming = Literal[
    "kicad",
    "kicad_old",
    "altium",
    "eagle",
    "eagle9",
    "diptrace",
    "geda",
    "easyeda",
    "target3001",
    "siemens",
    "meaningless",
]
NAMINGS: tuple[Naming, ...] = (
    "kicad",
    "kicad_old",
    "altium",
    "eagle",
    "eagle9",
    "diptrace",
    "geda",
    "easyeda",
    "target3001",
    "siemens",
    "meaningless",
)
PAD_SHAPES: tuple[PadShape, ...] = ("circle", "rect", "obround", "roundrect", "rotrect", "octagon")

# Drawable layers besides copper. Mask and paste openings are generated from pads; these names let a
# test add extra features (a mask sliver, a paste window) on top of that.
_EXTRA_LAYERS = ("top_silk", "bottom_silk", "top_mask", "bottom_mask", "top_paste", "bottom_paste")

# How each tool splits plated and non-plated holes: "flag" honours drill_split, "combined" is the tool's
# single drill file, "split" are the two files the tool always writes.
_DRILL_POLICY: dict[str, Literal["flag", "combined", "split"]] = {
    "kicad": "flag",
    "kicad_old": "flag",
    "altium": "flag",
    "meaningless": "flag",
    "eagle": "combined",
    "eagle9": "combined",
    "diptrace": "combined",
    "target3001": "combined",
    "geda": "split",
    "easyeda": "split",
    "siemens": "split",
}

_GERBER_FORMAT = {"mm": (4, 6), "inch": (2, 6)}
_EPS = 1e-9


class FileRole(NamedTuple):
    """What a written file is, in the vocabulary of `flyfab.cam.model.Role`."""

    type: LayerType
    side: Side
    index: int | None = None  # type: ignore[assignment]  # shadows tuple.index, as the vocabulary names it
    plating: Plating | None = None

    def as_role(self) -> Role:
        return Role(self.type, self.side, self.index, self.plating)


# --- numbers ---------------------------------------------------------------------------------------


def _snap(v: float) -> float:
    # Computed coordinates carry float noise (1e-15); rounding keeps "-0" and noise out of the files so
    # the same calls give the same bytes on every platform.
    return round(v, 9) + 0.0


def _pt(x: float, y: float) -> Point:
    return (_snap(x), _snap(y))


def _fmt(v: float) -> str:
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _rotate(p: Point, degrees: float) -> Point:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return (p[0] * c - p[1] * s, p[0] * s + p[1] * c)


def _is_quarter_turn(degrees: float) -> bool:
    q = degrees / 90.0
    return abs(q - round(q)) < 1e-9


# --- apertures -------------------------------------------------------------------------------------


def _standard_definition(aperture: Any, settings: Any) -> str:
    unit = settings.unit if settings is not None else None
    params = [float(p) for p in aperture._params(unit) if p is not None]
    return f"{aperture._gerber_shape_code}," + "X".join(_fmt(p) for p in params)


# gerbonara formats aperture parameters with 4 significant digits; these subclasses only change that.
class _CircleAperture(gap.CircleAperture):  # type: ignore[misc]  # gerbonara has no type hints
    __slots__ = ()

    def to_gerber(self, settings: Any = None) -> str:
        return _standard_definition(self, settings)


class _RectAperture(gap.RectangleAperture):  # type: ignore[misc]
    __slots__ = ()

    def to_gerber(self, settings: Any = None) -> str:
        return _standard_definition(self, settings)


class _ObroundAperture(gap.ObroundAperture):  # type: ignore[misc]
    __slots__ = ()

    def to_gerber(self, settings: Any = None) -> str:
        return _standard_definition(self, settings)


class _MacroAperture(gap.ApertureMacroInstance):  # type: ignore[misc]
    """A macro instance whose parameters are already in file units (as KiCad writes them)."""

    __slots__ = ()

    def to_gerber(self, settings: Any = None) -> str:
        return f"{self.macro.name}," + "X".join(_fmt(float(p)) for p in self.parameters)


def _p(n: int) -> Any:
    return ParameterExpression(n)


# Macros in the style of KiCad 6-8. Their primitives carry no unit: parameters are in file units.
_ROUNDRECT = ApertureMacro(
    "RoundRect",
    9,
    (
        amp.Outline(None, 1, 4, (_p(2), _p(3), _p(4), _p(5), _p(6), _p(7), _p(8), _p(9), _p(2), _p(3)), 0),
        *(amp.Circle(None, 1, _p(1) + _p(1), _p(2 * i + 2), _p(2 * i + 3)) for i in range(4)),
        *(
            amp.VectorLine(
                None,
                1,
                _p(1) + _p(1),
                _p(2 * i + 2),
                _p(2 * i + 3),
                _p((2 * i + 2) % 8 + 2),
                _p((2 * i + 3) % 8 + 2),
                0,
            )
            for i in range(4)
        ),
    ),
    comments=(
        "Rectangle with rounded corners",
        "$1 Rounding radius",
        "$2 $3 $4 $5 $6 $7 $8 $9 X,Y pos of 4 corners",
        "A 4 corners polygon as box body, four circles and four lines between the corners",
    ),
)
_ROTRECT = ApertureMacro(
    "RotRect",
    3,
    (amp.CenterLine(None, 1, _p(1), _p(2), 0, 0, _p(3)),),
    comments=(
        "Rectangle, with rotation",
        "The origin of the aperture is its center",
        "$1 length",
        "$2 width",
        "$3 Rotation angle, in degrees counterclockwise",
    ),
)
_OVAL = ApertureMacro(
    "Oval",
    5,
    (
        amp.VectorLine(None, 1, _p(1), _p(2), _p(3), _p(4), _p(5), 0),
        amp.Circle(None, 1, _p(1), _p(2), _p(3)),
        amp.Circle(None, 1, _p(1), _p(4), _p(5)),
    ),
    comments=(
        "Thick line with rounded ends",
        "$1 width",
        "$2 $3 position (X,Y) of the first rounded end",
        "$4 $5 position (X,Y) of the second rounded end",
    ),
)
_OCTAGON = ApertureMacro(
    "Octagon",
    2,
    (amp.Polygon(None, 1, 8, 0, 0, _p(1), _p(2)),),
    comments=("Regular octagon", "$1 circumscribed diameter", "$2 rotation in degrees counterclockwise"),
)


@dataclass(frozen=True)
class _Shape:
    kind: PadShape
    w: float
    h: float
    rotation: float = 0.0  # degrees, counter-clockwise
    radius: float = 0.0  # roundrect corner radius

    def grown(self, d: float) -> _Shape:
        radius = self.radius + d if self.kind == "roundrect" else 0.0
        return replace(self, w=self.w + 2 * d, h=self.h + 2 * d, radius=max(radius, 0.0))


def _aperture(shape: _Shape, units: Units) -> Any:
    rot = shape.rotation % 360.0
    if shape.kind == "circle":
        return _CircleAperture(shape.w, unit=MM)
    if shape.kind in ("rect", "obround") and _is_quarter_turn(rot):
        w, h = (shape.h, shape.w) if round(rot / 90.0) % 2 else (shape.w, shape.h)
        return (_RectAperture if shape.kind == "rect" else _ObroundAperture)(w, h, unit=MM)
    unit = MM if units == "mm" else Inch
    f = 1.0 if units == "mm" else 1.0 / 25.4
    if shape.kind in ("rect", "rotrect"):
        params: tuple[float, ...] = (shape.w * f, shape.h * f, _snap(rot))
        return _MacroAperture(_ROTRECT, params, unit=unit)
    if shape.kind == "obround":
        d = min(shape.w, shape.h)
        half = (max(shape.w, shape.h) - d) / 2
        ex, ey = _rotate((half, 0.0), rot if shape.w >= shape.h else rot + 90.0)
        params = (d * f, -ex * f, -ey * f, ex * f, ey * f)
        return _MacroAperture(_OVAL, tuple(_snap(p) for p in params), unit=unit)
    if shape.kind == "roundrect":
        a, b = shape.w / 2 - shape.radius, shape.h / 2 - shape.radius
        corners = [_rotate(c, rot) for c in ((-a, -b), (a, -b), (a, b), (-a, b))]
        params = (shape.radius * f, *(v * f for c in corners for v in c))
        return _MacroAperture(_ROUNDRECT, tuple(_snap(p) for p in params), unit=unit)
    # octagon: flat-to-flat width w, flats on the axes at rotation 0 (as Eagle's OC8)
    diameter = shape.w / math.cos(math.pi / 8)
    return _MacroAperture(_OCTAGON, (diameter * f, _snap((22.5 + rot) % 360.0)), unit=unit)


# --- features --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stroke:
    """A line (center None) or an arc drawn with a round aperture."""

    p1: Point
    p2: Point
    width: float
    center: Point | None = None
    clockwise: bool = False
    dark: bool = True


@dataclass(frozen=True)
class _Dot:
    x: float
    y: float
    shape: _Shape
    dark: bool = True


@dataclass(frozen=True)
class _Area:
    points: tuple[Point, ...]  # open ring; the closing edge is implied
    arcs: tuple[ArcSpec | None, ...]  # one entry per edge, None for a straight edge
    dark: bool = True


_Feature = _Stroke | _Dot | _Area


@dataclass(frozen=True)
class _PadRecord:
    side: Literal["top", "bottom"]
    x: float
    y: float
    shape: _Shape
    paste: bool


@dataclass(frozen=True)
class _Hole:
    x: float
    y: float
    d: float
    plated: bool


@dataclass(frozen=True)
class _Slot:
    p1: Point
    p2: Point
    d: float
    plated: bool


def _gerber_objects(features: Iterable[_Feature], units: Units) -> list[Any]:
    objects: list[Any] = []
    for f in features:
        if isinstance(f, _Stroke):
            ap = _CircleAperture(f.width, unit=MM)
            if f.center is None:
                objects.append(go.Line(*f.p1, *f.p2, aperture=ap, polarity_dark=f.dark, unit=MM))
            else:
                cx, cy = f.center[0] - f.p1[0], f.center[1] - f.p1[1]
                objects.append(
                    go.Arc(
                        *f.p1,
                        *f.p2,
                        cx,
                        cy,
                        clockwise=f.clockwise,
                        aperture=ap,
                        polarity_dark=f.dark,
                        unit=MM,
                    )
                )
        elif isinstance(f, _Dot):
            objects.append(
                go.Flash(f.x, f.y, aperture=_aperture(f.shape, units), polarity_dark=f.dark, unit=MM)
            )
        else:
            # gerbonara's Region.close() repeats the last point instead of the first: pass a closed ring.
            outline = [*f.points, f.points[0]]
            centers = [None if a is None else (a[2], (a[0], a[1])) for a in f.arcs]
            objects.append(go.Region(outline, centers, unit=MM, polarity_dark=f.dark))
    return objects


# --- outline contours ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Seg:
    """One piece of a contour: a line, or an arc when center is set (p1 == p2: a full circle)."""

    p1: Point
    p2: Point
    center: Point | None = None
    clockwise: bool = False

    def reversed(self) -> _Seg:
        return _Seg(self.p2, self.p1, self.center, not self.clockwise)

    def radius(self) -> float:
        assert self.center is not None
        return math.dist(self.center, self.p1)

    def sweep(self) -> float:
        """Swept angle in radians, positive."""
        assert self.center is not None
        a1 = math.atan2(self.p1[1] - self.center[1], self.p1[0] - self.center[0])
        a2 = math.atan2(self.p2[1] - self.center[1], self.p2[0] - self.center[0])
        s = (a1 - a2) if self.clockwise else (a2 - a1)
        s %= 2 * math.pi
        return 2 * math.pi if s < 1e-12 else s

    def length(self) -> float:
        return self.radius() * self.sweep() if self.center is not None else math.dist(self.p1, self.p2)

    def point_at(self, t: float) -> Point:
        if self.center is None:
            return _pt(self.p1[0] + (self.p2[0] - self.p1[0]) * t, self.p1[1] + (self.p2[1] - self.p1[1]) * t)
        cx, cy = self.center
        r = self.radius()
        a = math.atan2(self.p1[1] - cy, self.p1[0] - cx) + (-1 if self.clockwise else 1) * self.sweep() * t
        return _pt(cx + r * math.cos(a), cy + r * math.sin(a))

    def extent_points(self) -> list[Point]:
        if self.center is None:
            return [self.p1, self.p2]
        cx, cy = self.center
        r, sweep = self.radius(), self.sweep()
        a1 = math.atan2(self.p1[1] - cy, self.p1[0] - cx)
        sign = -1 if self.clockwise else 1
        points = [self.p1, self.p2]
        for k in range(4):
            if ((k * math.pi / 2 - a1) * sign) % (2 * math.pi) <= sweep + 1e-12:
                points.append((cx + r * math.cos(k * math.pi / 2), cy + r * math.sin(k * math.pi / 2)))
        return points


def _rect_contour(x: float, y: float, w: float, h: float, r: float) -> list[_Seg]:
    if w <= 0 or h <= 0:
        raise ValueError(f"rectangle needs a positive size, got {w} x {h}")
    if r < 0 or r > min(w, h) / 2 + _EPS:
        raise ValueError(f"corner radius {r} does not fit a {w} x {h} rectangle")
    x2, y2 = x + w, y + h
    if r <= 0:
        corners = [_pt(x, y), _pt(x2, y), _pt(x2, y2), _pt(x, y2)]
        return [_Seg(corners[i], corners[(i + 1) % 4]) for i in range(4)]
    segs = [
        _Seg(_pt(x + r, y), _pt(x2 - r, y)),
        _Seg(_pt(x2 - r, y), _pt(x2, y + r), _pt(x2 - r, y + r)),
        _Seg(_pt(x2, y + r), _pt(x2, y2 - r)),
        _Seg(_pt(x2, y2 - r), _pt(x2 - r, y2), _pt(x2 - r, y2 - r)),
        _Seg(_pt(x2 - r, y2), _pt(x + r, y2)),
        _Seg(_pt(x + r, y2), _pt(x, y2 - r), _pt(x + r, y2 - r)),
        _Seg(_pt(x, y2 - r), _pt(x, y + r)),
        _Seg(_pt(x, y + r), _pt(x + r, y), _pt(x + r, y + r)),
    ]
    # a radius of half the side leaves zero-length edges: drop them
    return [s for s in segs if s.center is not None or math.dist(s.p1, s.p2) > _EPS]


def _circle_contour(cx: float, cy: float, d: float) -> list[_Seg]:
    if d <= 0:
        raise ValueError(f"circle needs a positive diameter, got {d}")
    start = _pt(cx + d / 2, cy)
    return [_Seg(start, start, _pt(cx, cy))]


def _reverse(contour: list[_Seg]) -> list[_Seg]:
    # cut-outs run clockwise, the board edge counter-clockwise, as most CAD tools emit them
    return [s.reversed() for s in reversed(contour)]


# --- text ------------------------------------------------------------------------------------------

# A small stroke font on a 4 x 6 grid: strokes separated by "|", points as two digits "xy".
_FONT: dict[str, str] = {
    "A": "00 04 26 44 40|03 43",
    "B": "00 06 36 45 44 33 03|33 42 41 30 00",
    "C": "45 36 16 05 01 10 30 41",
    "D": "00 06 26 44 42 20 00",
    "E": "46 06 00 40|03 33",
    "F": "46 06 00|03 33",
    "G": "45 36 16 05 01 10 30 41 43 23",
    "H": "00 06|40 46|03 43",
    "I": "16 36|26 20|10 30",
    "J": "46 41 30 10 01",
    "K": "00 06|46 02|13 40",
    "L": "06 00 40",
    "M": "00 06 23 46 40",
    "N": "00 06 40 46",
    "O": "10 01 05 16 36 45 41 30 10",
    "P": "00 06 36 45 44 33 03",
    "Q": "10 01 05 16 36 45 41 30 10|22 40",
    "R": "00 06 36 45 44 33 03|23 40",
    "S": "45 36 16 05 04 13 33 42 41 30 10 01",
    "T": "06 46|26 20",
    "U": "06 01 10 30 41 46",
    "V": "06 20 46",
    "W": "06 10 24 30 46",
    "X": "00 46|06 40",
    "Y": "06 23 46|23 20",
    "Z": "06 46 00 40",
    "0": "10 01 05 16 36 45 41 30 10|01 45",
    "1": "15 26 20|10 30",
    "2": "05 16 36 45 44 00 40",
    "3": "05 16 36 45 44 33 13|33 42 41 30 10 01",
    "4": "30 36 02 42",
    "5": "46 06 03 33 42 41 30 00",
    "6": "36 16 05 01 10 30 41 42 33 03",
    "7": "06 46 10",
    "8": "13 04 05 16 36 45 44 33 13 02 01 10 30 41 42 33",
    "9": "43 13 04 05 16 36 45 41 30 10",
    "-": "13 33",
    "+": "13 33|22 24",
    ".": "20",
    ":": "21|25",
    "/": "00 46",
    "_": "00 40",
    "(": "36 25 21 30",
    ")": "16 25 21 10",
}


def _glyph_strokes(text: str, x: float, y: float, height: float, mirror: bool) -> list[list[Point]]:
    unit = height / 6  # the font's cap height is 6 grid units
    strokes: list[list[Point]] = []
    for i, ch in enumerate(text.upper()):
        if ch == " ":
            continue
        if ch not in _FONT:
            raise ValueError(f"the synthetic font has no glyph for {ch!r}")
        x0 = i * height  # advance: 4 units of glyph and 2 of spacing
        for stroke in _FONT[ch].split("|"):
            points = []
            for token in stroke.split():
                dx = x0 + int(token[0]) * unit
                points.append(_pt(x - dx if mirror else x + dx, y + int(token[1]) * unit))
            strokes.append(points)
    return strokes


# --- naming ----------------------------------------------------------------------------------------


def _layer_file_name(naming: Naming, base: str, role: FileRole) -> str:
    t, side, index = role.type, role.side, role.index or 0
    top = side == "top"
    inner = index - 1  # number of an inner layer: In1 is L2
    if naming in ("kicad", "kicad_old"):
        sep = "_" if naming == "kicad" else "."
        if t == "copper":
            stem = f"{'F' if top else 'B' if side == 'bottom' else f'In{inner}'}{sep}Cu"
        elif t == "outline":
            stem = f"Edge{sep}Cuts"
        else:
            silk = "Silkscreen" if naming == "kicad" else "SilkS"
            word = {"soldermask": "Mask", "solderpaste": "Paste", "silkscreen": silk}[t]
            stem = f"{'F' if top else 'B'}{sep}{word}"
        return f"{base}-{stem}.gbr"
    if naming == "altium":
        if t == "copper":
            ext = "GTL" if top else "GBL" if side == "bottom" else f"G{inner}"
        elif t == "outline":
            ext = "GKO"
        else:
            ext = "GT" if top else "GB"
            ext += {"soldermask": "S", "solderpaste": "P", "silkscreen": "O"}[t]
        return f"{base}.{ext}"
    if naming == "eagle":
        if t == "copper":
            ext = "cmp" if top else "sol" if side == "bottom" else f"ly{index}"
        elif t == "outline":
            ext = "dim"
        else:
            ext = {"soldermask": ("stc", "sts"), "solderpaste": ("crc", "crs"), "silkscreen": ("plc", "pls")}[
                t
            ][0 if top else 1]
        return f"{base}.{ext}"
    if naming == "eagle9":
        if t == "copper":
            return f"copper_{'top' if top else 'bottom' if side == 'bottom' else f'l{index}'}.gbr"
        if t == "outline":
            return "profile.gbr"
        return f"{t}_{'top' if top else 'bottom'}.gbr"
    if naming == "diptrace":
        if t == "copper":
            return f"{base}_{'Top' if top else 'Bottom' if side == 'bottom' else f'Inner{inner}'}.gbr"
        if t == "outline":
            return f"{base}_BoardOutline.gbr"
        word = {"soldermask": "Mask", "solderpaste": "Paste", "silkscreen": "Silk"}[t]
        return f"{base}_{'Top' if top else 'Bottom'}{word}.gbr"
    if naming == "geda":
        if t == "copper":
            return f"{base}.{'top' if top else 'bottom' if side == 'bottom' else f'group{index}'}.gbr"
        if t == "outline":
            return f"{base}.outline.gbr"
        word = {"soldermask": "mask", "solderpaste": "paste", "silkscreen": "silk"}[t]
        return f"{base}.{'top' if top else 'bottom'}{word}.gbr"
    if naming == "easyeda":
        if t == "copper":
            if side == "inner":
                return f"Gerber_InnerLayer{inner}.G{inner}"
            return "Gerber_TopLayer.GTL" if top else "Gerber_BottomLayer.GBL"
        if t == "outline":
            return "Gerber_BoardOutline.GKO"
        word, ext = {
            "soldermask": ("SolderMask", "S"),
            "solderpaste": ("PasteMask", "P"),
            "silkscreen": ("Silk", "O"),
        }[t]
        return f"Gerber_{'Top' if top else 'Bottom'}{word}Layer.G{'T' if top else 'B'}{ext}"
    if naming == "target3001":
        if t == "copper":
            return f"{base}.{'Top' if top else 'Bot' if side == 'bottom' else f'Inner{inner}'}"
        if t == "outline":
            return f"{base}.Outline"
        word = {"soldermask": "Stop", "solderpaste": "Paste", "silkscreen": "Posi"}[t]
        return f"{base}.{word}{'Top' if top else 'Bot'}"
    if naming == "siemens":
        if t == "copper":
            suffix = "_Top" if top else "_Bottom" if side == "bottom" else ""
            return f"{base}_L{index:02d}{suffix}.gdo"
        if t == "outline":
            return f"{base}_BoardOutline.gdo"
        word = {"soldermask": "Soldermask", "solderpaste": "SolderPaste", "silkscreen": "Silkscreen"}[t]
        return f"{base}_{word}{'Top' if top else 'Bottom'}.gdo"
    raise ValueError(f"unknown naming convention {naming!r}")


def _drill_file_name(naming: Naming, base: str, plating: Plating) -> str:
    names: dict[str, tuple[str, str, str]] = {  # plated, non-plated, mixed
        "kicad": (f"{base}-PTH.drl", f"{base}-NPTH.drl", f"{base}.drl"),
        "kicad_old": (f"{base}-PTH.drl", f"{base}-NPTH.drl", f"{base}.drl"),
        "altium": (f"{base}-Plated.TXT", f"{base}-NonPlated.TXT", f"{base}.TXT"),
        "eagle": (f"{base}.drd", f"{base}.drd", f"{base}.drd"),
        "eagle9": ("drills.xln", "drills.xln", "drills.xln"),
        "diptrace": (f"{base}.drl", f"{base}.drl", f"{base}.drl"),
        "target3001": (f"{base}.Drill", f"{base}.Drill", f"{base}.Drill"),
        "geda": (f"{base}.plated-drill.cnc", f"{base}.unplated-drill.cnc", ""),
        "easyeda": ("Gerber_Drill_PTH.DRL", "Gerber_Drill_NPTH.DRL", ""),
        "siemens": (f"{base}_ThruHolePlated.ncd", f"{base}_ThruHoleNonPlated.ncd", ""),
    }
    return names[naming][("plated", "non-plated", "mixed").index(plating)]


def _x2_function(role: FileRole) -> tuple[tuple[str, ...], str]:
    """X2 .FileFunction fields and .FilePolarity of a Gerber file."""
    sides = {"top": "Top", "bottom": "Bot", "inner": "Inr"}
    if role.type == "copper":
        return ("Copper", f"L{role.index}", sides[role.side]), "Positive"
    if role.type == "outline":
        return ("Profile", "NP"), "Positive"
    kind = {"soldermask": "Soldermask", "solderpaste": "Paste", "silkscreen": "Legend"}[role.type]
    # a mask file draws the openings, i.e. where there is no mask: KiCad marks it negative
    return (kind, sides[role.side]), "Negative" if role.type == "soldermask" else "Positive"


# --- the builder -----------------------------------------------------------------------------------


@dataclass
class BoardBuilder:
    """Collects the features of a board (all coordinates in mm) and writes its fabrication files."""

    name: str = "board"
    units: Units = "mm"  # the unit written into the files
    copper_layers: int = 2
    single_sided_side: Literal["top", "bottom"] = "top"  # the copper side when copper_layers == 1
    mask_expansion: float = 0.05  # mask opening = pad grown by this on every side
    outline_width: float = 0.1

    _layers: dict[str, list[_Feature]] = field(default_factory=dict, init=False, repr=False)
    _pads: list[_PadRecord] = field(default_factory=list, init=False, repr=False)
    _holes: list[_Hole] = field(default_factory=list, init=False, repr=False)
    _slots: list[_Slot] = field(default_factory=list, init=False, repr=False)
    _outline: list[_Seg] = field(default_factory=list, init=False, repr=False)
    _trace_widths: dict[int, list[float]] = field(default_factory=dict, init=False, repr=False)
    _cutouts: int = field(default=0, init=False, repr=False)
    _segment_length: float | None = field(default=None, init=False, repr=False)
    _gap: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.copper_layers < 1:
            raise ValueError(f"a board needs at least one copper layer, got {self.copper_layers}")
        if self.units not in ("mm", "inch"):
            raise ValueError(f"units must be 'mm' or 'inch', got {self.units!r}")
        if self.single_sided_side not in ("top", "bottom"):
            raise ValueError(f"single_sided_side must be 'top' or 'bottom', got {self.single_sided_side!r}")
        if not self.name or any(c in self.name for c in "/\\"):
            raise ValueError(f"board name {self.name!r} cannot be part of a file name")

    # --- layers ---

    def _copper_index(self, layer: LayerName) -> int:
        n = self.copper_layers
        if n == 1:
            if layer != self.single_sided_side:
                raise ValueError(
                    f"single-sided board has copper only on {self.single_sided_side!r}, not {layer!r}"
                )
            return 1
        if layer == "top":
            return 1
        if layer == "bottom":
            return n
        match = re.fullmatch(r"in([0-9]+)", layer)
        if match and 1 <= int(match[1]) <= n - 2:
            return int(match[1]) + 1
        raise ValueError(f"no copper layer {layer!r} on a {n}-layer board (top, bottom, in1..in{n - 2})")

    def _copper_side(self, index: int) -> Side:
        if self.copper_layers == 1:
            return self.single_sided_side
        return "top" if index == 1 else "bottom" if index == self.copper_layers else "inner"

    def _copper_sides(self) -> list[Literal["top", "bottom"]]:
        if self.copper_layers == 1:
            return [self.single_sided_side]
        return ["top", "bottom"]

    def _key(self, layer: LayerName) -> str:
        if layer in _EXTRA_LAYERS:
            return layer
        return f"cu{self._copper_index(layer)}"

    def _is_bottom(self, key: str) -> bool:
        if key.startswith("cu"):
            return self._copper_side(int(key[2:])) == "bottom"
        return key.startswith("bottom")

    def _add(self, key: str, feature: _Feature) -> None:
        self._layers.setdefault(key, []).append(feature)

    # --- outline ---

    def outline_rect(self, x: float, y: float, w: float, h: float, corner_radius: float = 0.0) -> None:
        """Board edge from (x, y) to (x + w, y + h); corners as quarter arcs when corner_radius > 0."""
        self._emit_contour(_rect_contour(x, y, w, h, corner_radius))

    def outline_polygon(self, points: Sequence[Point]) -> None:
        ring = _open_ring(points)
        if len(ring) < 3:
            raise ValueError("an outline polygon needs at least 3 points")
        self._emit_contour([_Seg(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))])

    def outline_circle(self, cx: float, cy: float, d: float) -> None:
        """A round board: one 360° arc."""
        self._emit_contour(_circle_contour(cx, cy, d))

    def cutout_rect(self, x: float, y: float, w: float, h: float, corner_radius: float = 0.0) -> None:
        """An inner contour (a milled opening) in the outline layer."""
        self._emit_contour(_reverse(_rect_contour(x, y, w, h, corner_radius)))
        self._cutouts += 1

    def cutout_circle(self, cx: float, cy: float, d: float) -> None:
        self._emit_contour(_reverse(_circle_contour(cx, cy, d)))
        self._cutouts += 1

    def outline_as_segments(self, segment_length: float) -> None:
        """From now on, write outline lines and arcs as chains of short lines of about this length."""
        if segment_length <= 0:
            raise ValueError(f"segment length must be positive, got {segment_length}")
        self._segment_length = segment_length

    def outline_gap(self, gap: float) -> None:
        """From now on, end every outline segment `gap` mm before the next one starts (sloppy CAD output)."""
        if gap < 0:
            raise ValueError(f"gap must not be negative, got {gap}")
        self._gap = gap

    def _emit_contour(self, contour: list[_Seg]) -> None:
        pieces: list[_Seg] = []
        for seg in contour:
            if self._segment_length is None:
                pieces.append(seg)
                continue
            n = max(1, round(seg.length() / self._segment_length))
            points = [seg.point_at(i / n) for i in range(n)] + [seg.p2]
            pieces.extend(_Seg(points[i], points[i + 1]) for i in range(n))
        if self._gap > 0:
            pieces = [_shorten(s, self._gap) for s in pieces]
        for s in pieces:
            self._add("outline", _Stroke(s.p1, s.p2, self.outline_width, s.center, s.clockwise))
        self._outline.extend(pieces)

    # --- copper and drawings ---

    def trace(self, layer: LayerName, points: Sequence[Point], width: float) -> None:
        """A polyline with a round aperture of `width`; also on top_silk, bottom_silk, *_mask, *_paste."""
        if width <= 0:
            raise ValueError(f"trace width must be positive, got {width}")
        if len(points) < 2:
            raise ValueError("a trace needs at least two points")
        key = self._key(layer)
        pts = [_pt(*p) for p in points]
        for a, b in itertools.pairwise(pts):
            self._add(key, _Stroke(a, b, width))
        self._note_width(key, width)

    def arc_trace(
        self,
        layer: LayerName,
        start: Point,
        end: Point,
        center: Point,
        clockwise: bool,
        width: float,
    ) -> None:
        """A circular arc from start to end around center; start == end draws a full circle."""
        if width <= 0:
            raise ValueError(f"trace width must be positive, got {width}")
        r1, r2 = math.dist(start, center), math.dist(end, center)
        if r1 <= 0 or abs(r1 - r2) > 1e-6:
            raise ValueError(f"start and end are not on one circle around {center}: radii {r1} and {r2}")
        key = self._key(layer)
        self._add(key, _Stroke(_pt(*start), _pt(*end), width, _pt(*center), clockwise))
        self._note_width(key, width)

    def _note_width(self, key: str, width: float) -> None:
        if key.startswith("cu"):
            self._trace_widths.setdefault(int(key[2:]), []).append(width)

    def pad(
        self,
        layer: LayerName,
        x: float,
        y: float,
        shape: PadShape,
        w: float,
        h: float | None = None,
        rotation: float = 0.0,
        smd: bool = True,
        *,
        corner_ratio: float = 0.25,
    ) -> None:
        """A flashed pad (rotation in degrees counter-clockwise). On an outer layer it gets a mask opening
        (grown by mask_expansion) and, when smd, a paste opening of the pad's size.

        rect/obround at multiples of 90° are standard apertures; otherwise rotated rectangles use the
        KiCad RotRect macro (centre-line primitive with a rotation), rotated obrounds an Oval macro
        (line + two circles); roundrect is KiCad's RoundRect macro (outline, four circles, four lines,
        radius = corner_ratio * the smaller side); octagon is a macro polygon primitive, flats on the axes.
        """
        index = self._copper_index(layer)
        s = _make_shape(shape, w, h, rotation, corner_ratio)
        self._add(f"cu{index}", _Dot(_snap(x), _snap(y), s))
        outer = _outer_side(self._copper_side(index))
        if outer is not None:
            self._pads.append(_PadRecord(outer, _snap(x), _snap(y), s, paste=smd))

    def region(
        self,
        layer: LayerName,
        points: Sequence[Point],
        clear: bool = False,
        arcs: Sequence[ArcSpec | None] | None = None,
    ) -> None:
        """A filled polygon (a pour). `arcs[i]` = (cx, cy, clockwise) makes the edge from points[i] to
        points[i + 1] (the last one back to points[0]) an arc. clear=True writes it with clear polarity
        (%LPC), erasing what the layer drew before."""
        ring = _open_ring(points)
        if len(ring) < 2 or (len(ring) < 3 and not arcs):
            raise ValueError("a region needs at least 3 points (or 2 joined by arcs)")
        edge_arcs: list[ArcSpec | None] = list(arcs or [])
        if len(edge_arcs) > len(ring):
            raise ValueError(f"{len(edge_arcs)} arc entries for {len(ring)} edges")
        edge_arcs += [None] * (len(ring) - len(edge_arcs))
        for i, a in enumerate(edge_arcs):
            if a is not None:
                c = (a[0], a[1])
                if abs(math.dist(ring[i], c) - math.dist(ring[(i + 1) % len(ring)], c)) > 1e-6:
                    raise ValueError(f"edge {i} of the region is not an arc around {c}")
        arcs_t = tuple(None if a is None else (_snap(a[0]), _snap(a[1]), bool(a[2])) for a in edge_arcs)
        self._add(self._key(layer), _Area(tuple(ring), arcs_t, dark=not clear))

    def text(
        self,
        layer: LayerName,
        x: float,
        y: float,
        text: str,
        height: float = 1.0,
        stroke: float = 0.15,
    ) -> None:
        """Stroke-font text (letters, digits, - + . : / _ ( )) with its baseline starting at (x, y).
        On bottom layers it is mirrored, as CAD tools write it, and so runs to the left of x."""
        if height <= 0 or stroke <= 0:
            raise ValueError("text height and stroke must be positive")
        key = self._key(layer)
        for points in _glyph_strokes(text, x, y, height, mirror=self._is_bottom(key)):
            if len(points) == 1:
                self._add(key, _Dot(*points[0], _Shape("circle", stroke, stroke)))
            for a, b in itertools.pairwise(points):
                self._add(key, _Stroke(a, b, stroke))

    def picture(self, layer: LayerName, x: float, y: float, rows: Sequence[str], pixel: float = 0.05) -> None:
        """A bitmap (rows of '#' for ink, top row first) drawn from (x, y) downwards as square
        flashes of `pixel` mm, as CAD tools write logos and pictures on the legend."""
        if pixel <= 0:
            raise ValueError("the pixel size must be positive")
        key = self._key(layer)
        for r, row in enumerate(rows):
            for c, ink in enumerate(row):
                if ink == "#":
                    self._add(
                        key, _Dot(_snap(x + c * pixel), _snap(y - r * pixel), _Shape("rect", pixel, pixel))
                    )

    # --- holes ---

    def via(self, x: float, y: float, drill: float, pad: float) -> None:
        """A plated hole with a round pad on every copper layer; tented (no mask opening)."""
        _check_annulus(drill, pad)
        for index in range(1, self.copper_layers + 1):
            self._add(f"cu{index}", _Dot(_snap(x), _snap(y), _Shape("circle", pad, pad)))
        self._holes.append(_Hole(_snap(x), _snap(y), drill, plated=True))

    def th_pad(self, x: float, y: float, drill: float, pad: float, shape: PadShape = "circle") -> None:
        """A plated through-hole pad: pad on every copper layer, mask openings on the outer sides."""
        _check_annulus(drill, pad)
        s = _make_shape(shape, pad, pad, 0.0, 0.25)
        for index in range(1, self.copper_layers + 1):
            self._add(f"cu{index}", _Dot(_snap(x), _snap(y), s))
        for side in self._copper_sides():
            self._pads.append(_PadRecord(side, _snap(x), _snap(y), s, paste=False))
        self._holes.append(_Hole(_snap(x), _snap(y), drill, plated=True))

    def hole(self, x: float, y: float, d: float, plated: bool = False) -> None:
        """A drilled hole without copper (non-plated by default)."""
        if d <= 0:
            raise ValueError(f"hole diameter must be positive, got {d}")
        self._holes.append(_Hole(_snap(x), _snap(y), d, plated))

    def slot(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        d: float,
        plated: bool = False,
        *,
        pad: float | None = None,
    ) -> None:
        """A routed slot of width d between two centres (Excellon route mode, as gerbonara writes it).
        With `pad` (plated slots only), an oval copper pad `pad` wide surrounds it on every copper layer."""
        if d <= 0 or (x1, y1) == (x2, y2):
            raise ValueError("a slot needs a positive width and two different end points")
        self._slots.append(_Slot(_pt(x1, y1), _pt(x2, y2), d, plated))
        if pad is None:
            return
        if not plated:
            raise ValueError("only a plated slot can have a copper pad")
        _check_annulus(d, pad)
        length = math.dist((x1, y1), (x2, y2))
        angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
        s = _make_shape("obround", length + pad, pad, angle, 0.25)
        cx, cy = _snap((x1 + x2) / 2), _snap((y1 + y2) / 2)
        for index in range(1, self.copper_layers + 1):
            self._add(f"cu{index}", _Dot(cx, cy, s))
        for side in self._copper_sides():
            self._pads.append(_PadRecord(side, cx, cy, s, paste=False))

    # --- output ---

    def write(
        self,
        folder: Path,
        naming: Naming = "kicad",
        x2: bool = True,
        drill_split: bool = True,
    ) -> dict[str, FileRole]:
        """Write one file per layer into `folder` and return {file name: role}.

        Copper per layer, mask top/bottom (copper sides), paste where there are smd pads, silkscreen where
        there is text, the outline where one was drawn, and the drill files. Plated and non-plated holes go
        to separate files when drill_split, else to one "mixed" file - except where the tool knows only one
        way: Eagle, Eagle 9, DipTrace and TARGET 3001! always write one drill file, gEDA, EasyEDA and
        Siemens always two.
        x2 adds X2 file attributes (Excellon: KiCad's `; #@! TF.` comments); without it, plain RS-274X.
        """
        rendered = self._render(naming, x2, drill_split)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, (data, _role) in rendered.items():
            (folder / name).write_bytes(data)
        return {name: role for name, (_data, role) in rendered.items()}

    def write_zip(self, path: Path, **write_kwargs: Any) -> dict[str, FileRole]:
        """The same files as `write`, in a zip archive with fixed time stamps (byte-identical each time)."""
        rendered = self._render(**write_kwargs)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, (data, _role) in rendered.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        Path(path).write_bytes(buffer.getvalue())
        return {name: role for name, (_data, role) in rendered.items()}

    def expected(self) -> dict[str, Any]:
        """The geometry the files were made from.

        size_mm: (w, h) of the outline's centre lines as written (gaps and segments included), or None;
        min_trace_width_mm: {copper index: thinnest trace or arc trace};
        holes / slots: every drilled hole and routed slot; drill_diameters_mm by plating."""
        size: tuple[float, float] | None = None
        if self._outline:
            pts = [p for s in self._outline for p in s.extent_points()]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            size = (round(max(xs) - min(xs), 9), round(max(ys) - min(ys), 9))
        holes = [{"x": h.x, "y": h.y, "d": h.d, "plated": h.plated} for h in self._holes]
        slots = [
            {"x1": s.p1[0], "y1": s.p1[1], "x2": s.p2[0], "y2": s.p2[1], "d": s.d, "plated": s.plated}
            for s in self._slots
        ]
        drilled: list[_Hole | _Slot] = [*self._holes, *self._slots]
        diameters: dict[str, list[float]] = {
            plating: sorted({h.d for h in drilled if h.plated == (plating == "plated")})
            for plating in ("plated", "non-plated")
        }
        return {
            "size_mm": size,
            "copper_layers": self.copper_layers,
            "min_trace_width_mm": {i: min(ws) for i, ws in sorted(self._trace_widths.items())},
            "holes": holes,
            "slots": slots,
            "drill_diameters_mm": diameters,
            "cutouts": self._cutouts,
        }

    # --- rendering ---

    def _jobs(self) -> list[tuple[FileRole, list[_Feature]]]:
        """The Gerber files to write, in a stable order, with their features."""
        jobs: list[tuple[FileRole, list[_Feature]]] = []
        for index in range(1, self.copper_layers + 1):
            role = FileRole("copper", self._copper_side(index), index)
            jobs.append((role, list(self._layers.get(f"cu{index}", []))))
        sides: tuple[Literal["top", "bottom"], ...] = ("top", "bottom")
        kinds: tuple[tuple[LayerType, str], ...] = (("soldermask", "mask"), ("solderpaste", "paste"))
        for kind, suffix in kinds:
            for side in sides:
                records = [r for r in self._pads if r.side == side and (kind == "soldermask" or r.paste)]
                grow = self.mask_expansion if kind == "soldermask" else 0.0
                features: list[_Feature] = [_Dot(r.x, r.y, r.shape.grown(grow)) for r in records]
                features += self._layers.get(f"{side}_{suffix}", [])
                wanted = kind == "soldermask" and side in self._copper_sides()
                if features or wanted:
                    jobs.append((FileRole(kind, side), features))
        for side in sides:
            if silk := list(self._layers.get(f"{side}_silk", [])):
                jobs.append((FileRole("silkscreen", side), silk))
        if outline := list(self._layers.get("outline", [])):
            jobs.append((FileRole("outline", "all"), outline))
        return jobs

    def _drill_jobs(self, naming: Naming, drill_split: bool) -> list[tuple[FileRole, list[_Hole | _Slot]]]:
        objects: list[_Hole | _Slot] = [*self._holes, *self._slots]
        plated = [o for o in objects if o.plated]
        unplated = [o for o in objects if not o.plated]
        policy = _DRILL_POLICY[naming]
        split = drill_split if policy == "flag" else policy == "split"
        groups: list[tuple[Plating, list[_Hole | _Slot]]]
        if split:
            groups = [("plated", plated), ("non-plated", unplated)]
        else:
            plating: Plating = "mixed" if plated and unplated else "plated" if plated else "non-plated"
            groups = [(plating, objects)]
        return [(FileRole("drill", "all", None, p), objs) for p, objs in groups if objs]

    def _render(
        self, naming: Naming = "kicad", x2: bool = True, drill_split: bool = True
    ) -> dict[str, tuple[bytes, FileRole]]:
        if naming not in NAMINGS:
            raise ValueError(f"unknown naming convention {naming!r}; one of {', '.join(NAMINGS)}")
        jobs = self._jobs()
        drill_jobs = self._drill_jobs(naming, drill_split)
        names = self._file_names(naming, [r for r, _ in jobs], [r for r, _ in drill_jobs])
        out: dict[str, tuple[bytes, FileRole]] = {}
        for (role, features), name in zip(jobs, names[: len(jobs)], strict=True):
            out[name] = (self._gerber_bytes(role, features, x2), role)
        for (role, objs), name in zip(drill_jobs, names[len(jobs) :], strict=True):
            out[name] = (self._excellon_bytes(role, objs, x2), role)
        if len(out) != len(jobs) + len(drill_jobs):
            raise AssertionError(f"file names collide under {naming!r}: {names}")
        return out

    def _file_names(self, naming: Naming, layers: list[FileRole], drills: list[FileRole]) -> list[str]:
        if naming == "meaningless":
            # numbered in an order unrelated to the stack, but the same for the same board name
            rng = random.Random(f"flyfab-synth:{self.name}")
            layer_numbers = list(range(1, len(layers) + 1))
            drill_numbers = list(range(1, len(drills) + 1))
            rng.shuffle(layer_numbers)
            rng.shuffle(drill_numbers)
            return [f"layer{n}.gbr" for n in layer_numbers] + [f"drill{n}.drl" for n in drill_numbers]
        return [_layer_file_name(naming, self.name, r) for r in layers] + [
            _drill_file_name(naming, self.name, r.plating or "mixed") for r in drills
        ]

    def _gerber_bytes(self, role: FileRole, features: list[_Feature], x2: bool) -> bytes:
        gerber = GerberFile()
        gerber.objects = _gerber_objects(features, self.units)
        if x2:
            function, polarity = _x2_function(role)
            gerber.file_attrs = {
                ".GenerationSoftware": ("flyfab", "synth", __version__),
                ".FileFunction": function,
                ".FilePolarity": (polarity,),
            }
        settings = FileSettings(
            unit=MM if self.units == "mm" else Inch, number_format=_GERBER_FORMAT[self.units], zeros="leading"
        )
        settings.calculate_out_all_aperture_macros = (
            False  # keep parameterised macros, as CAD tools write them
        )
        return _repair_gerbonara(gerber.write_to_bytes(settings)) + b"\n"

    def _excellon_bytes(self, role: FileRole, objs: list[_Hole | _Slot], x2: bool) -> bytes:
        tools: dict[tuple[float, bool], Any] = {}
        objects: list[Any] = []
        # grouped by tool, holes before slots, as a drill program runs
        for o in sorted(objs, key=_drill_order):
            tool = tools.setdefault((o.d, o.plated), gap.ExcellonTool(o.d, plated=o.plated, unit=MM))
            if isinstance(o, _Hole):
                objects.append(go.Flash(o.x, o.y, tool, unit=MM))
            else:
                objects.append(go.Line(*o.p1, *o.p2, tool, unit=MM))
        # KiCad's format comment: declares the unit and explicit decimals, so readers need not guess
        unit_word = "metric" if self.units == "mm" else "inch"
        comments = [f"FORMAT={{-:-/ absolute / {unit_word} / decimal}}"]
        if x2:
            n = self.copper_layers
            function = {
                "plated": f"Plated,1,{n},PTH",
                "non-plated": f"NonPlated,1,{n},NPTH",
                "mixed": f"MixedPlating,1,{n}",
            }[role.plating or "mixed"]
            comments += [
                f" #@! TF.GenerationSoftware,flyfab,synth,{__version__}",
                f" #@! TF.FileFunction,{function}",
            ]
        excellon = ExcellonFile(objects=objects, comments=comments)
        settings = FileSettings(unit=MM if self.units == "mm" else Inch, number_format=(1, 6), zeros=None)
        with warnings.catch_warnings():
            # gerbonara warns that mixed plating uses Altium's ";TYPE=PLATED" comments: that is intended
            warnings.simplefilter("ignore")
            data: bytes = excellon.write_to_bytes(settings, drop_comments=False)
        # gerbonara introduces the comments as copied from an "original file"; there is none
        return data.replace(b"; Comments found in original file:\n", b"") + b"\n"


def _repair_gerbonara(data: bytes) -> bytes:
    """Two statements gerbonara 1.5 writes wrongly: the header's "G75" lacks its "*" (readers then drop
    it and see arcs without a quadrant mode) and each region opens with "G01**" (an empty statement)."""
    data = re.sub(rb"(?m)^G75$", rb"G75*", data)
    return re.sub(rb"(?m)^(G0[123])\*\*$", rb"\1*", data)


def _drill_order(o: _Hole | _Slot) -> tuple[bool, float, bool]:
    return (not o.plated, o.d, isinstance(o, _Slot))


def _outer_side(side: Side) -> Literal["top", "bottom"] | None:
    if side == "top":
        return "top"
    if side == "bottom":
        return "bottom"
    return None


def _open_ring(points: Sequence[Point]) -> list[Point]:
    ring = [_pt(*p) for p in points]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def _shorten(seg: _Seg, gap: float) -> _Seg:
    """End the piece `gap` mm (straight-line distance) before its end point."""
    if seg.center is None:
        length = math.dist(seg.p1, seg.p2)
        if gap >= length:
            raise ValueError(f"outline gap {gap} is not shorter than a segment of {length:.6f} mm")
        t = 1 - gap / length
        return _Seg(seg.p1, seg.point_at(t))
    r = seg.radius()
    if gap >= 2 * r:
        raise ValueError(f"outline gap {gap} is larger than an arc of radius {r}")
    delta = 2 * math.asin(gap / (2 * r))
    sweep = seg.sweep()
    if delta >= sweep:
        raise ValueError(f"outline gap {gap} is longer than an arc of {math.degrees(sweep):.3f}°")
    return _Seg(seg.p1, seg.point_at(1 - delta / sweep), seg.center, seg.clockwise)


def _make_shape(shape: PadShape, w: float, h: float | None, rotation: float, corner_ratio: float) -> _Shape:
    if shape not in PAD_SHAPES:
        raise ValueError(f"unknown pad shape {shape!r}; one of {', '.join(PAD_SHAPES)}")
    h = w if h is None else h
    if w <= 0 or h <= 0:
        raise ValueError(f"pad size must be positive, got {w} x {h}")
    if shape in ("circle", "octagon") and abs(w - h) > _EPS:
        raise ValueError(f"a {shape} pad has one size, got {w} x {h}")
    if shape == "roundrect" and not 0 < corner_ratio <= 0.5:
        raise ValueError(f"corner_ratio must be in (0, 0.5], got {corner_ratio}")
    radius = corner_ratio * min(w, h) if shape == "roundrect" else 0.0
    return _Shape(shape, w, h, rotation % 360.0, radius)


def _check_annulus(drill: float, pad: float) -> None:
    if drill <= 0 or pad <= drill:
        raise ValueError(f"pad {pad} must be larger than the drill {drill} (both positive)")


# --- the example board -----------------------------------------------------------------------------


def _circle_area(cx: float, cy: float, d: float) -> tuple[list[Point], list[ArcSpec | None]]:
    """A round region as two half-circle arcs."""
    r = d / 2
    return [(cx + r, cy), (cx - r, cy)], [(cx, cy, False), (cx, cy, False)]


def _stadium_area(p1: Point, p2: Point, width: float) -> tuple[list[Point], list[ArcSpec | None]]:
    """The area a round tool of `width` sweeps from p1 to p2: two lines and two half-circle arcs."""
    length = math.dist(p1, p2)
    nx, ny = -(p2[1] - p1[1]) / length * width / 2, (p2[0] - p1[0]) / length * width / 2
    points = [
        (p1[0] - nx, p1[1] - ny),
        (p2[0] - nx, p2[1] - ny),
        (p2[0] + nx, p2[1] + ny),
        (p1[0] + nx, p1[1] + ny),
    ]
    return points, [None, (p2[0], p2[1], False), None, (p1[0], p1[1], False)]


def _rounded_rect_area(
    x: float, y: float, w: float, h: float, r: float
) -> tuple[list[Point], list[ArcSpec | None]]:
    x2, y2 = x + w, y + h
    points = [
        (x + r, y),
        (x2 - r, y),
        (x2, y + r),
        (x2, y2 - r),
        (x2 - r, y2),
        (x + r, y2),
        (x, y2 - r),
        (x, y + r),
    ]
    arcs: list[ArcSpec | None] = [
        None,
        (x2 - r, y + r, False),
        None,
        (x2 - r, y2 - r, False),
        None,
        (x + r, y2 - r, False),
        None,
        (x + r, y + r, False),
    ]
    return points, arcs


def example_board(units: Units = "mm") -> BoardBuilder:
    """A small realistic 2-layer board, 50 x 30 mm with 2 mm corner radii, for the README and demos.

    Top: an SOIC-8 (roundrect SMD pads), two 0603 parts, a 1x4 through-hole header, a 45°-rotated
    QFN-like pad set (RotRect macros), 0.25 mm and 0.15 mm traces and one arc trace. Bottom: a ground pour
    (a region) with clear-polarity clearances of 0.2 mm around the pads and vias it must not touch.
    Also 0.3/0.6 mm vias, two 3.2 mm non-plated mounting holes, a plated slot, a rectangular cut-out,
    silkscreen references and outlines on top, and a short mirrored text on the bottom.
    """
    clearance = 0.2
    b = BoardBuilder(name="flyfab-example", units=units, copper_layers=2)
    b.outline_rect(0, 0, 50, 30, corner_radius=2)
    b.cutout_rect(21, 2.5, 8, 4)

    # Nets, so the pour knows what to keep clear of.
    u1 = [(12.3, 17 + dy) for dy in (1.905, 0.635, -0.635, -1.905)]  # pins 1-4, top to bottom
    u1 += [(17.7, 17 + dy) for dy in (-1.905, -0.635, 0.635, 1.905)]  # pins 5-8, bottom to top
    header = [(5.0, 11 + 2.54 * i) for i in range(4)]  # pin 1 is ground
    signal_vias, ground_vias = [(9.0, 22.0), (30.0, 24.0)], [(20.0, 9.5), (40.0, 9.0)]
    mounting = [(4.0, 26.0), (46.0, 4.0)]
    slot_ends = ((44.0, 19.0), (44.0, 22.0))

    # Bottom: pour first, then clear-polarity clearances, then the copper that sits in them.
    def pour(area: tuple[list[Point], list[ArcSpec | None]], clear: bool = True) -> None:
        b.region("bottom", area[0], clear=clear, arcs=area[1])

    pour(_rounded_rect_area(0.5, 0.5, 49, 29, 1.5), clear=False)
    for x, y in header[1:]:
        pour(_circle_area(x, y, 1.7 + 2 * clearance))
    for x, y in signal_vias:
        pour(_circle_area(x, y, 0.6 + 2 * clearance))
    for x, y in mounting:
        pour(_circle_area(x, y, 3.2 + 2 * clearance))
    pour(_stadium_area(*slot_ends, 1.8 + 2 * clearance))
    pour(([(20.5, 2.0), (29.5, 2.0), (29.5, 7.0), (20.5, 7.0)], []))  # around the cut-out
    bottom_route = [signal_vias[0], (9.0, 26.5), (27.0, 26.5), signal_vias[1]]
    for p, q in itertools.pairwise(bottom_route):
        pour(_stadium_area(p, q, 0.25 + 2 * clearance))
    b.trace("bottom", bottom_route, 0.25)

    # Top: parts.
    for x, y in u1:
        b.pad("top", x, y, "roundrect", 1.55, 0.6)
    for cy in (21.0, 13.0):  # R1, C1
        b.pad("top", 23.175, cy, "rect", 0.8, 0.95)
        b.pad("top", 24.825, cy, "rect", 0.8, 0.95)
    qfn_center, qfn_angle = (36.0, 17.0), 45.0
    qfn: list[Point] = []
    for side in range(4):
        for k in (-1, 0, 1):
            dx, dy = _rotate(_rotate((1.5, 0.5 * k), 90.0 * side), qfn_angle)
            qfn.append((qfn_center[0] + dx, qfn_center[1] + dy))
            b.pad("top", *qfn[-1], "rotrect", 0.7, 0.25, rotation=qfn_angle + 90.0 * side)
    b.pad("top", *qfn_center, "rotrect", 1.4, 1.4, rotation=qfn_angle)
    for i, (x, y) in enumerate(header):
        b.th_pad(x, y, 1.0, 1.7, shape="rect" if i == 0 else "circle")
    for x, y in signal_vias + ground_vias:
        b.via(x, y, 0.3, 0.6)
    for x, y in mounting:
        b.hole(x, y, 3.2)
    b.slot(*slot_ends[0], *slot_ends[1], 1.0, plated=True, pad=1.8)

    # Top: traces (0.25 mm signal, 0.15 mm QFN fan-out and U1 pin 1) and one arc.
    b.trace("top", [u1[7], (20.0, u1[7][1]), (22.0, 21.0), (23.175, 21.0)], 0.25)
    b.trace("top", [u1[4], (20.0, u1[4][1]), (22.0, 13.0), (23.175, 13.0)], 0.25)
    b.trace("top", [(24.825, 21.0), (27.0, 21.0), signal_vias[1]], 0.25)
    b.trace("top", [header[1], (8.0, header[1][1]), (9.555, u1[3][1]), u1[3]], 0.25)
    b.trace("top", [header[2], (8.0, header[2][1]), (9.555, u1[2][1]), u1[2]], 0.25)
    b.trace("top", [header[0], (9.0, header[0][1]), ground_vias[0]], 0.25)
    b.trace("top", [u1[0], (10.5, u1[0][1]), signal_vias[0]], 0.15)
    b.trace("top", [(24.825, 13.0), (26.0, 13.0)], 0.25)
    b.arc_trace("top", (26.0, 13.0), (30.0, 17.0), (26.0, 17.0), clockwise=False, width=0.25)
    b.trace("top", [(30.0, 17.0), qfn[7]], 0.15)
    b.trace("top", [qfn[1], (39.5, 20.5), (44.0, 20.5)], 0.15)  # into the slot's pad
    b.trace("top", [qfn[10], ground_vias[1]], 0.15)
    b.trace("top", [qfn[4], (33.5, 20.5), (33.5, 24.0), signal_vias[1]], 0.15)

    # Silkscreen: references, part outlines, pin-1 marks; a mirrored line on the bottom.
    silk = 0.15
    b.trace("top_silk", [(13.4, 20.4), (16.6, 20.4)], silk)
    b.trace("top_silk", [(13.4, 13.6), (16.6, 13.6)], silk)
    b.text("top_silk", 13.8, 21.2, "U1")
    b.text("top_silk", 22.5, 22.1, "R1")
    b.text("top_silk", 22.5, 14.1, "C1")
    b.trace("top_silk", [(3.5, 9.5), (6.5, 9.5), (6.5, 20.1), (3.5, 20.1), (3.5, 9.5)], silk)
    b.text("top_silk", 4.0, 20.8, "J1")
    diamond = [
        _rotate(c, qfn_angle) for c in ((2.3, 2.3), (-2.3, 2.3), (-2.3, -2.3), (2.3, -2.3), (2.3, 2.3))
    ]
    b.trace("top_silk", [(qfn_center[0] + dx, qfn_center[1] + dy) for dx, dy in diamond], silk)
    b.text("top_silk", 33.0, 21.0, "U2")
    b.text("top_silk", 31.0, 27.0, "FLYFAB 1.0", height=1.2, stroke=0.18)
    b.text("bottom_silk", 47.0, 25.5, "REV A")
    return b
