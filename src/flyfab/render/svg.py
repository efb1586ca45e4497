"""A scene as SVG: shapes once in <defs>, paints as uses of them limited by SVG masks.

The picture's user unit is the board millimetre (y up, flipped by one transform), so a CAM
engineer reads positions straight off the file; shape coordinates are written as whole
micrometres under a scale, which keeps files small and writing them fast.
"""

from __future__ import annotations

from html import escape

import numpy as np
import shapely

from flyfab.render.scene import Geoms, Paint, Scene

END = "</svg>\n"


def _path_data(geoms: Geoms) -> str:
    if len(geoms) == 0:
        return ""
    coords, ring = shapely.get_coordinates(shapely.get_rings(geoms), return_index=True)
    if len(coords) == 0:
        return ""
    um = np.round(coords * 1000).astype(np.int64)
    # Drop each ring's closing point (Z closes it) and repeated points after rounding.
    last = np.r_[ring[1:] != ring[:-1], True]
    same = np.r_[False, np.all(um[1:] == um[:-1], axis=1) & (ring[1:] == ring[:-1])]
    keep = ~last & ~same
    um, ring = um[keep], ring[keep]
    cuts = np.flatnonzero(np.diff(ring)) + 1
    return " ".join("M" + " ".join(map(str, r.ravel().tolist())) + "Z" for r in np.split(um, cuts))


def _mask_id(kind: str, shape: str) -> str:
    return f"{kind}-{shape}"


def _paint(paint: Paint, available: set[str]) -> str:
    body = f'<use href="#s-{paint.shape}" fill="{paint.color}"/>'
    for name in paint.outside:
        if name in available:
            body = f'<g mask="url(#{_mask_id("out", name)})">{body}</g>'
    for name in paint.within:
        # Within a shape the file lacks: nothing shows.
        if name not in available:
            return ""
        body = f'<g mask="url(#{_mask_id("in", name)})">{body}</g>'
    return f"<!-- {escape(paint.label)} -->{body}"


def _flip(scene: Scene) -> str:
    return "scale(-1,-1)" if scene.mirror else "scale(1,-1)"


def to_svg(scene: Scene, pixel_width: int = 1200) -> str:
    """The scene without its markers (see `with_markers`)."""
    x0, y0, x1, y1 = scene.bounds
    w, h = x1 - x0, y1 - y0
    vx = -x1 if scene.mirror else x0
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{vx:.4f} {-y1:.4f} {w:.4f} {h:.4f}" width="{pixel_width}" '
        f'height="{round(pixel_width * h / w)}">',
        f"<title>{escape(scene.title)}</title>",
        "<defs>",
    ]
    available = {name for name, g in scene.shapes.items() if len(g)}
    for name in sorted(available):
        out.append(
            f'<path id="s-{name}" fill-rule="evenodd" transform="scale(0.001)" '
            f'd="{_path_data(scene.shapes[name])}"/>'
        )
    used_in = {n for p in scene.paints for n in p.within if n in available}
    used_out = {n for p in scene.paints for n in p.outside if n in available}
    box = f'x="{x0:.4f}" y="{y0:.4f}" width="{w:.4f}" height="{h:.4f}"'
    for name in sorted(used_in):
        out.append(
            f'<mask id="{_mask_id("in", name)}" maskUnits="userSpaceOnUse" {box}>'
            f'<rect {box} fill="black"/><use href="#s-{name}" fill="white"/></mask>'
        )
    for name in sorted(used_out):
        out.append(
            f'<mask id="{_mask_id("out", name)}" maskUnits="userSpaceOnUse" {box}>'
            f'<rect {box} fill="white"/><use href="#s-{name}" fill="black"/></mask>'
        )
    out.append("</defs>")
    if scene.background:
        frame = f'x="{vx:.4f}" y="{-y1:.4f}" width="{w:.4f}" height="{h:.4f}"'
        out.append(f'<rect {frame} fill="{scene.background}"/>')
    out.append(f'<g transform="{_flip(scene)}">')
    out.extend(_paint(p, available) for p in scene.paints if p.shape in available)
    out.append("</g>")
    return "\n".join(out) + "\n" + END


def with_markers(svg: str, scene: Scene) -> str:
    """The picture with the scene's markers added on top."""
    if not scene.markers:
        return svg
    x0, y0, x1, y1 = scene.bounds
    size = max(x1 - x0, y1 - y0)
    stroke = size / 400
    out = [f'<g id="findings" transform="{_flip(scene)}">']
    for m in scene.markers:
        out.append(
            f'<circle cx="{m.x:.4f}" cy="{m.y:.4f}" r="{m.radius_mm:.4f}" fill="none" '
            f'stroke="{m.color}" stroke-width="{stroke:.4f}"><title>{escape(m.label)}</title></circle>'
        )
    out.append("</g>")
    for m in scene.markers:
        if m.label:
            tx = -m.x if scene.mirror else m.x
            where = f'x="{tx + m.radius_mm * 1.2:.4f}" y="{-m.y - m.radius_mm * 1.2:.4f}"'
            font = f'font-size="{size / 60:.3f}" font-family="sans-serif"'
            out.append(f'<text {where} {font} fill="{m.color}">{escape(m.label)}</text>')
    return svg[: -len(END)] + "\n".join(out) + "\n" + END
