"""Aperture shapes as shapely polygons, in millimetres, centred on the flash point.

gerbonara parses apertures and aperture macros (and evaluates macro expressions) for us, but its own
conversion to graphic primitives is not usable for measuring copper: rotated rectangles come out as
their axis-aligned bounding box, macro polygons ignore their centre, thermals raise NameError, and
"exposure off" clears whatever lies below instead of only cutting the aperture itself. So the
geometry is built here, to the Gerber specification (revision 2023.08, section 4.5), from the
parameters gerbonara read.
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from gerbonara import apertures as gap
from gerbonara.aperture_macros import primitive as amp
from gerbonara.utils import MM
from shapely.geometry.base import BaseGeometry

from flyfab.cam.tolerance import circle_quad_segs

EMPTY = shapely.Polygon()


class ApertureError(ValueError):
    """An aperture that cannot be turned into a shape (unknown kind, impossible size)."""


def to_mm(unit: Any, value: float) -> float:
    return float(unit.convert_to(MM, value)) if unit is not None else float(value)


def circle(x: float, y: float, diameter: float) -> BaseGeometry:
    r = diameter / 2
    if r <= 0:
        return EMPTY
    return shapely.Point(x, y).buffer(r, quad_segs=circle_quad_segs(r))


def rectangle(w: float, h: float) -> BaseGeometry:
    if w <= 0 or h <= 0:
        return EMPTY
    return shapely.box(-w / 2, -h / 2, w / 2, h / 2)


def obround(w: float, h: float) -> BaseGeometry:
    if w <= 0 or h <= 0:
        return EMPTY
    d = min(w, h)
    half = (max(w, h) - d) / 2
    line = (
        shapely.LineString([(-half, 0), (half, 0)]) if w >= h else shapely.LineString([(0, -half), (0, half)])
    )
    if half == 0:
        return circle(0, 0, d)
    return line.buffer(d / 2, quad_segs=circle_quad_segs(d / 2))


def regular_polygon(x: float, y: float, diameter: float, vertices: int, rotation_deg: float) -> BaseGeometry:
    if diameter <= 0 or vertices < 3:
        return EMPTY
    r = diameter / 2
    start = math.radians(rotation_deg)
    pts = [
        (
            x + r * math.cos(start + 2 * math.pi * i / vertices),
            y + r * math.sin(start + 2 * math.pi * i / vertices),
        )
        for i in range(vertices)
    ]
    return shapely.Polygon(pts)


def with_hole(shape: BaseGeometry, hole_dia: float | None) -> BaseGeometry:
    # A hole in a standard aperture is see-through: it cuts the flash, not what lies beneath it.
    if hole_dia:
        return shape.difference(circle(0, 0, hole_dia))
    return shape


def aperture_shape(aperture: Any) -> BaseGeometry:
    """The flashed shape of an aperture at (0, 0), in mm."""
    unit = aperture.unit
    if isinstance(aperture, gap.CircleAperture | gap.ExcellonTool):
        shape = circle(0, 0, to_mm(unit, aperture.diameter))
    elif isinstance(aperture, gap.RectangleAperture):
        shape = rectangle(to_mm(unit, aperture.w), to_mm(unit, aperture.h))
    elif isinstance(aperture, gap.ObroundAperture):
        shape = obround(to_mm(unit, aperture.w), to_mm(unit, aperture.h))
    elif isinstance(aperture, gap.PolygonAperture):
        # The AD statement gives the rotation in degrees; gerbonara stores the number as it was read.
        shape = regular_polygon(
            0, 0, to_mm(unit, aperture.diameter), aperture.n_vertices, aperture.rotation or 0
        )
    elif isinstance(aperture, gap.ApertureMacroInstance):
        return macro_shape(aperture)
    else:
        raise ApertureError(f"unsupported aperture {type(aperture).__name__}")
    hole = getattr(aperture, "hole_dia", None)
    return with_hole(shape, to_mm(unit, hole) if hole else None)


def _rotated(shape: BaseGeometry, degrees: float) -> BaseGeometry:
    if not degrees or shape.is_empty:
        return shape
    # Macro primitives rotate about the macro origin, not about their own centre.
    return shapely.affinity.rotate(shape, degrees, origin=(0, 0))


def _primitive_shape(prim: Any, binding: dict[int, float]) -> tuple[BaseGeometry, bool]:
    """One macro primitive as (shape, exposure_on)."""

    def num(name: str) -> float:
        return float(getattr(prim, name).calculate(binding, MM))

    def opt(name: str) -> float:
        return num(name) if getattr(prim, name, None) is not None else 0.0

    if isinstance(prim, amp.Circle):
        shape = circle(num("x"), num("y"), num("diameter"))
        return _rotated(shape, opt("rotation")), bool(num("exposure"))
    if isinstance(prim, amp.VectorLine):
        x1, y1, x2, y2, w = num("start_x"), num("start_y"), num("end_x"), num("end_y"), num("width")
        length = math.hypot(x2 - x1, y2 - y1)
        if w <= 0 or length <= 0:
            return EMPTY, bool(num("exposure"))
        # A vector line is a rectangle with butt ends along the segment.
        nx, ny = -(y2 - y1) / length * w / 2, (x2 - x1) / length * w / 2
        shape = shapely.Polygon(
            [(x1 + nx, y1 + ny), (x2 + nx, y2 + ny), (x2 - nx, y2 - ny), (x1 - nx, y1 - ny)]
        )
        return _rotated(shape, opt("rotation")), bool(num("exposure"))
    if isinstance(prim, amp.CenterLine):
        shape = shapely.affinity.translate(rectangle(num("width"), num("height")), num("x"), num("y"))
        return _rotated(shape, opt("rotation")), bool(num("exposure"))
    if isinstance(prim, amp.Polygon):
        shape = regular_polygon(num("x"), num("y"), num("diameter"), round(num("n_vertices")), 0)
        return _rotated(shape, opt("rotation")), bool(num("exposure"))
    if isinstance(prim, amp.Outline):
        coords = [float(c.calculate(binding, MM)) for c in prim.coords]
        pts = list(zip(coords[0::2], coords[1::2], strict=True))
        shape = shapely.make_valid(shapely.Polygon(pts)) if len(pts) >= 3 else EMPTY
        return _rotated(_polygonal(shape), opt("rotation")), bool(num("exposure"))
    if isinstance(prim, amp.Thermal):
        # The specification's thermal has no exposure modifier, but gerbonara's dataclass starts with one,
        # so every modifier sits one field further on: exposure holds x, x holds y, and so on.
        x = to_mm(prim.unit, float(prim.exposure.calculate(binding)))
        y, outer, inner, gap_w = num("x"), num("y"), num("d_outer"), num("d_inner")
        rotation = float(prim.gap_w.calculate(binding, None))
        ring = circle(x, y, outer).difference(circle(x, y, inner))
        bars = shapely.union_all(
            [
                shapely.affinity.translate(rectangle(outer * 1.01, gap_w), x, y),
                shapely.affinity.translate(rectangle(gap_w, outer * 1.01), x, y),
            ]
        )
        return _rotated(ring.difference(bars), rotation), True
    if isinstance(prim, amp.Moire):
        x, y = num("x"), num("y")
        outer, thick, gap_w = num("d_outer"), num("line_thickness"), num("gap_w")
        rings = []
        d = outer
        for _ in range(max(0, round(num("num_circles")))):
            if d <= 0:
                break
            rings.append(circle(x, y, d).difference(circle(x, y, d - 2 * thick)))
            d -= 2 * (thick + gap_w)
        ch_t, ch_l = opt("crosshair_thickness"), opt("crosshair_length")
        if ch_t > 0 and ch_l > 0:
            rings.append(shapely.affinity.translate(rectangle(ch_l, ch_t), x, y))
            rings.append(shapely.affinity.translate(rectangle(ch_t, ch_l), x, y))
        return _rotated(shapely.union_all(rings), opt("rotation")), True
    if isinstance(prim, amp.Comment):
        return EMPTY, True
    raise ApertureError(f"unsupported aperture macro primitive {type(prim).__name__}")


def _polygonal(shape: BaseGeometry) -> BaseGeometry:
    """Keep only the areas of a geometry (make_valid may return lines and points too)."""
    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    parts = [g for g in getattr(shape, "geoms", [shape]) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else EMPTY


def macro_shape(aperture: Any) -> BaseGeometry:
    """An aperture macro instance: its primitives in order, exposure off cutting only the macro itself."""
    binding = {i: float(v) for i, v in enumerate(aperture.parameters, start=1)}
    shape: BaseGeometry = EMPTY
    for prim in aperture.macro.primitives:
        part, exposed = _primitive_shape(prim, binding)
        if part.is_empty:
            continue
        shape = shape.union(part) if exposed else shape.difference(part)
    return _polygonal(shape)
