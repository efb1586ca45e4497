"""The image a Gerber file draws, as shapely geometry in millimetres.

Two views of one file:
- `dark`: the area the file exposes (copper, mask openings, ink), with clear polarity applied in
  drawing order and aperture holes and macro exposure kept local to their aperture;
- `paths`: the centre lines of every stroke with their widths, which is what a board outline is.

Building `dark` is vectorised per polarity run: circles, boxes and strokes are created in bulk by
shapely, and each distinct aperture shape is built once and translated to all its flash points.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from gerbonara import apertures as gap
from gerbonara import graphic_objects as go
from gerbonara.utils import MM
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from flyfab.cam import islands
from flyfab.cam.apertures import aperture_shape, to_mm
from flyfab.cam.tolerance import arc_points, circle_quad_segs


@dataclass
class Stroke:
    """The centre line of one drawn line or arc, with the width of its aperture (0 if none)."""

    points: NDArray[np.float64]
    width: float
    polarity_dark: bool = True
    region: bool = False  # the contour of a filled region rather than a drawn line


def path_lengths(paths: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """The drawn length of each path (0 for a path of one point)."""
    if not paths:
        return np.zeros(0)
    sizes = np.array([len(p) for p in paths])
    owner = np.repeat(np.arange(len(paths)), sizes)
    steps = np.hypot(*np.diff(np.concatenate(paths), axis=0).T)
    # Step k joins points k and k + 1; where they belong to two paths it is no step of either.
    within = owner[1:] == owner[:-1]
    lengths = np.bincount(owner[:-1][within], weights=steps[within], minlength=len(paths))
    return lengths.astype(np.float64)


@dataclass
class Tally:
    """What the file draws, counted while drawing it: objects by kind, those in clear polarity,
    and every distinct aperture used (for its attributes)."""

    flashes: int = 0
    lines: int = 0
    arcs: int = 0
    regions: int = 0
    clear: int = 0
    apertures: list[Any] = field(default_factory=list)


@dataclass
class LayerImage:
    islands: islands.Geoms  # disjoint polygons: the dark area of the file
    strokes: list[Stroke] = field(default_factory=list)
    flash_points: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 2)))
    flash_sizes: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    tally: Tally = field(default_factory=Tally)
    problems: list[str] = field(default_factory=list)

    @property
    def dark(self) -> BaseGeometry:
        return islands.multipolygon(self.islands)


def _unit_scale(unit: Any) -> float:
    return float(unit.convert_to(MM, 1.0)) if unit is not None else 1.0


class _Run:
    """Everything of one polarity drawn in a row, collected for bulk construction."""

    def __init__(self, dark: bool) -> None:
        self.dark = dark
        self.circles: dict[int, list[tuple[float, float, float]]] = defaultdict(
            list
        )  # quad_segs -> (x, y, r)
        self.segments: dict[int, list[tuple[float, float, float, float, float]]] = defaultdict(list)
        self.paths: dict[int, list[tuple[NDArray[np.float64], float]]] = defaultdict(
            list
        )  # quad_segs -> polylines
        self.flashes: dict[int, list[tuple[float, float]]] = defaultdict(list)  # id(aperture) -> points
        self.swept: dict[int, list[NDArray[np.float64]]] = defaultdict(list)  # id(aperture) -> polylines
        self.contours: list[NDArray[np.float64]] = []  # regions' closed contours

    def parts(self, templates: dict[int, BaseGeometry]) -> islands.Geoms:
        parts: list[Any] = list(_region_polygons(self.contours))
        for q, items in self.circles.items():
            a = np.asarray(items)
            parts.extend(shapely.buffer(shapely.points(a[:, :2]), a[:, 2], quad_segs=q))
        for q, segs in self.segments.items():
            a = np.asarray(segs)
            lines = shapely.linestrings(a[:, :4].reshape(-1, 2, 2))
            parts.extend(shapely.buffer(lines, a[:, 4], quad_segs=q))
        for q, polylines in self.paths.items():
            coords = np.concatenate([p for p, _ in polylines])
            index = np.repeat(np.arange(len(polylines)), [len(p) for p, _ in polylines])
            lines = shapely.linestrings(coords, indices=index)
            parts.extend(shapely.buffer(lines, np.array([r for _, r in polylines]), quad_segs=q))
        for key, pts in self.flashes.items():
            template = templates[key]
            if template.is_empty:
                continue
            offsets = np.asarray(pts)
            geoms = np.full(len(offsets), template, dtype=object)
            shift = np.repeat(offsets, shapely.get_num_coordinates(geoms), axis=0)
            parts.extend(shapely.transform(geoms, lambda c, s=shift: c + s))
        for key, swept in self.swept.items():
            parts.extend(_swept(swept, templates[key]))
        return islands.as_array(parts)


def _swept(polylines: list[NDArray[np.float64]], template: BaseGeometry) -> list[BaseGeometry]:
    """The area a non-circular aperture sweeps along polylines: per segment, the convex hull of the
    aperture at both ends, built for all segments at once."""
    if template.is_empty:
        return []
    outline = shapely.get_coordinates(shapely.convex_hull(template))[:-1]
    starts = np.concatenate([p[:-1] if len(p) > 1 else p for p in polylines])
    ends = np.concatenate([p[1:] if len(p) > 1 else p for p in polylines])
    k = len(outline)
    # Each segment: the outline placed at its start, then at its end.
    points = np.concatenate(
        [starts[:, None, :] + outline[None, :, :], ends[:, None, :] + outline[None, :, :]], axis=1
    )
    owner = np.repeat(np.arange(len(starts)), 2 * k)
    hulls = shapely.convex_hull(shapely.multipoints(points.reshape(-1, 2), indices=owner))
    return list(hulls)


def _circle_width(aperture: Any) -> float | None:
    if isinstance(aperture, gap.CircleAperture | gap.ExcellonTool):
        return to_mm(aperture.unit, aperture.diameter)
    return None


def _region_contour(obj: Any, scale: float) -> NDArray[np.float64]:
    """The closed contour of a region, arcs replaced by chords, first point repeated at the end."""
    outline = obj.outline
    if len(outline) < 3:
        return np.zeros((0, 2))
    arcs = obj.arc_centers
    if arcs.count(None) == len(arcs) or not any(a and a[0] is not None for a in arcs):
        pts = np.asarray(outline, dtype=np.float64) * scale
    else:
        chunks: list[Any] = []
        for i in range(len(outline) - 1):
            (x1, y1), (x2, y2) = outline[i], outline[i + 1]
            arc = arcs[i] if i < len(arcs) else None
            if arc and arc[0] is not None:
                clockwise, (cx, cy) = arc
                chunks.append(
                    arc_points(
                        cx * scale, cy * scale, x1 * scale, y1 * scale, x2 * scale, y2 * scale, clockwise
                    )[:-1]
                )
            else:
                chunks.append(np.array([[x1 * scale, y1 * scale]]))
        chunks.append(np.array([[outline[-1][0] * scale, outline[-1][1] * scale]]))
        pts = np.vstack(chunks)
    first, last = pts[0], pts[-1]
    if first[0] != last[0] or first[1] != last[1]:
        pts = np.vstack([pts, pts[:1]])
    return pts


def _region_polygons(contours: list[NDArray[np.float64]]) -> islands.Geoms:
    """The regions' polygons, built all at once, in order; those without area left out."""
    contours = [c for c in contours if len(c) >= 4]
    if not contours:
        return islands.as_array([])
    ring_of_point = np.repeat(np.arange(len(contours)), [len(c) for c in contours])
    polys = shapely.polygons(shapely.linearrings(np.concatenate(contours), indices=ring_of_point))
    # Cut-ins make a region touch itself; buffer(0) turns that into a polygon with holes.
    invalid = ~shapely.is_valid(polys)
    if invalid.any():
        polys[invalid] = shapely.buffer(polys[invalid], 0)
    out: islands.Geoms = polys[~shapely.is_empty(polys)]
    return out


def draw(gerber: Any, area: bool = True) -> LayerImage:
    """Draw a parsed gerbonara GerberFile into a LayerImage; without `area` only strokes and flashes."""
    templates: dict[int, BaseGeometry] = {}
    template_size: dict[int, float] = {}
    runs: list[_Run] = []
    strokes: list[Stroke] = []
    flash_pts: list[tuple[float, float]] = []
    flash_sizes: list[float] = []
    used: dict[int, Any] = {}  # id(aperture) -> aperture, every one drawn with
    lines = arcs = flashes = regions = clear = 0
    problems: list[str] = []
    # The path being drawn: consecutive strokes of one aperture that continue each other become one
    # polyline, buffered once, which is far cheaper than merging thousands of single segments.
    path: list[tuple[float, float]] = []
    path_key: tuple[Any, bool] | None = None
    scales: dict[int, float] = {}
    widths: dict[int, float | None] = {}  # per aperture: its circle's diameter in mm, None if not a circle

    def run_for(dark: bool) -> _Run:
        if not runs or runs[-1].dark != dark:
            runs.append(_Run(dark))
        return runs[-1]

    def template(aperture: Any) -> BaseGeometry:
        key = id(aperture)
        if key not in templates:
            used[key] = aperture
            shape = aperture_shape(aperture)
            templates[key] = shape
            template_size[key] = min_dimension(shape)
        return templates[key]

    def finish_path() -> None:
        nonlocal path, path_key
        if not path or path_key is None:
            path, path_key = [], None
            return
        aperture, dark = path_key
        pts = np.array(path, dtype=np.float64)
        key = id(aperture)
        if key not in widths:
            widths[key] = _circle_width(aperture) if aperture is not None else 0.0
            if aperture is not None:
                used[key] = aperture
        width = widths[key]
        run = run_for(dark)
        if width is None:
            template(aperture)
            strokes.append(Stroke(pts, template_size[id(aperture)], dark))
            run.swept[id(aperture)].append(pts)
        else:
            strokes.append(Stroke(pts, width, dark))
            if width > 0:
                r = width / 2
                q = circle_quad_segs(r)
                if len(pts) == 2:
                    (x1, y1), (x2, y2) = pts
                    if x1 == x2 and y1 == y2:
                        run.circles[q].append((x1, y1, r))
                    else:
                        run.segments[q].append((x1, y1, x2, y2, r))
                else:
                    run.paths[q].append((pts, r))
        path, path_key = [], None

    for obj in gerber.objects:
        unit_key = id(obj.unit)
        scale = scales.get(unit_key)
        if scale is None:
            scale = scales[unit_key] = _unit_scale(obj.unit)
        dark = bool(obj.polarity_dark)
        if not dark:
            clear += 1
        kind = type(obj)
        if kind is go.Line or kind is go.Arc:
            start = (obj.x1 * scale, obj.y1 * scale)
            if path and (
                path_key is None
                or path_key[0] is not obj.aperture
                or path_key[1] != dark
                or path[-1] != start
            ):
                finish_path()
            if not path:
                path.append(start)
            if kind is go.Line:
                lines += 1
                path.append((obj.x2 * scale, obj.y2 * scale))
            else:
                arcs += 1
                arc = arc_points(
                    (obj.x1 + obj.cx) * scale,
                    (obj.y1 + obj.cy) * scale,
                    start[0],
                    start[1],
                    obj.x2 * scale,
                    obj.y2 * scale,
                    obj.clockwise,
                )
                path.extend(map(tuple, arc[1:].tolist()))
            path_key = (obj.aperture, dark)
            continue
        finish_path()
        if isinstance(obj, go.Flash):
            flashes += 1
            if obj.aperture is None:
                continue
            x, y = obj.x * scale, obj.y * scale
            template(obj.aperture)
            run_for(dark).flashes[id(obj.aperture)].append((x, y))
            flash_pts.append((x, y))
            flash_sizes.append(template_size[id(obj.aperture)])
        elif isinstance(obj, go.Region):
            regions += 1
            contour = _region_contour(obj, scale)
            if len(contour) >= 3:
                strokes.append(Stroke(contour, 0.0, dark, region=True))
            if area:
                run_for(dark).contours.append(contour)
        else:  # pragma: no cover - gerbonara has no other object kinds
            problems.append(f"unknown object {type(obj).__name__} ignored")
    finish_path()

    dark_area = (
        islands.compose([(run.dark, run.parts(templates)) for run in runs]) if area else islands.as_array([])
    )

    tally = Tally(flashes, lines, arcs, regions, clear, list(used.values()))
    return LayerImage(
        islands=dark_area,
        strokes=strokes,
        flash_points=np.asarray(flash_pts, dtype=np.float64).reshape(-1, 2),
        flash_sizes=np.asarray(flash_sizes, dtype=np.float64),
        tally=tally,
        problems=problems,
    )


def min_dimension(shape: BaseGeometry) -> float:
    if shape.is_empty:
        return 0.0
    b = shape.bounds
    return float(min(b[2] - b[0], b[3] - b[1]))


__all__ = ["LayerImage", "Stroke", "draw", "math"]
