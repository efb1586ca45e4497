"""A scene as a PNG: each shape rasterised once to a coverage map, paints composited over them.

Shapes are filled at twice the resolution and averaged down, so edges are anti-aliased; a paint's
opacity at a pixel is the product of its shape's coverage, its "within" shapes' coverage and the
complement of its "outside" shapes' coverage, composited front over back. All pixel work is done
by Pillow in C; coverage maps are kept per shape and pixel grid, so the DFM overlay and the
views that share a shape draw it once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from PIL import Image, ImageChops, ImageDraw, ImageFont

from flyfab.render.scene import Geoms, Scene

SUPERSAMPLE = 2
PNG_COMPRESSION = 1  # zlib level: pictures of boards compress well even at the fastest level


class Canvas:
    """Pixel geometry of a scene: board millimetres to pixels, mirrored for views from below."""

    def __init__(self, scene: Scene, width: int, factor: int = 1) -> None:
        x0, y0, x1, y1 = scene.bounds
        self.bounds = scene.bounds
        self.mirror = scene.mirror
        self.scale = width / (x1 - x0) * factor
        self.width = width * factor
        self.height = max(1, round((y1 - y0) * width / (x1 - x0))) * factor

    @property
    def key(self) -> tuple[object, ...]:
        return (self.bounds, self.mirror, self.width, self.height)

    def pixels(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x0, _, x1, y1 = self.bounds
        px = (x1 - coords[:, 0]) if self.mirror else (coords[:, 0] - x0)
        return np.column_stack([px * self.scale, (y1 - coords[:, 1]) * self.scale])


class CoverageCache:
    """Coverage maps ("L" images) of shapes on pixel grids, each computed once."""

    def __init__(self) -> None:
        self._maps: dict[tuple[object, ...], Image.Image] = {}
        self._keep: list[Geoms] = []  # the shapes keyed by id() stay alive while cached

    def get(self, geoms: Geoms, canvas: Canvas) -> Image.Image:
        key = (id(geoms), *canvas.key)
        if key not in self._maps:
            self._keep.append(geoms)
            self._maps[key] = _coverage(geoms, canvas)
        return self._maps[key]


def _coverage(geoms: Geoms, canvas: Canvas) -> Image.Image:
    fine = Image.new("L", (canvas.width * SUPERSAMPLE, canvas.height * SUPERSAMPLE), 0)
    if len(geoms) == 0:
        return fine.reduce(SUPERSAMPLE)
    draw = ImageDraw.Draw(fine)
    x0, _, x1, y1 = canvas.bounds
    s = canvas.scale * SUPERSAMPLE
    rings = shapely.get_rings(geoms)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    px = ((x1 - coords[:, 0]) if canvas.mirror else (coords[:, 0] - x0)) * s
    pixels = np.column_stack([px, (y1 - coords[:, 1]) * s])
    holes = shapely.get_num_interior_rings(geoms)
    first_ring = np.r_[0, np.cumsum(holes + 1)[:-1]]
    is_hole = np.ones(len(rings), dtype=bool)
    is_hole[first_ring] = False
    cuts = np.flatnonzero(np.diff(ring)) + 1
    pieces = np.split(pixels, cuts)
    ring_ids = ring[np.r_[0, cuts]]
    # Largest polygon first: an island lying in another's hole is smaller and must come after it.
    order = np.argsort(-shapely.area(geoms), kind="stable")
    owner = np.repeat(np.arange(len(geoms)), holes + 1)
    rank = np.empty(len(geoms), dtype=np.intp)
    rank[order] = np.arange(len(geoms))
    for k in np.argsort(rank[owner[ring_ids]], kind="stable"):
        if len(pieces[k]) >= 3:
            draw.polygon(pieces[k].ravel().tolist(), fill=0 if is_hole[ring_ids[k]] else 255)
    return fine.reduce(SUPERSAMPLE)


def to_image(scene: Scene, width: int = 1200, cache: CoverageCache | None = None) -> Image.Image:
    """The scene without its markers (see `with_markers`)."""
    cache = cache or CoverageCache()
    canvas = Canvas(scene, width)
    size = (canvas.width, canvas.height)
    image = Image.new("RGBA", size, scene.background or (0, 0, 0, 0))
    full = Image.new("L", size, 255)
    for paint in scene.paints:
        shape = scene.shapes.get(paint.shape)
        if shape is None or any(n not in scene.shapes for n in paint.within):
            continue
        alpha = cache.get(shape, canvas)
        for name in paint.within:
            alpha = ImageChops.multiply(alpha, cache.get(scene.shapes[name], canvas))
        for name in paint.outside:
            if name in scene.shapes:
                alpha = ImageChops.multiply(
                    alpha, ImageChops.subtract(full, cache.get(scene.shapes[name], canvas))
                )
        if paint.opacity < 1:
            alpha = alpha.point(lambda v, o=paint.opacity: round(v * o))
        layer = Image.new("RGBA", size, paint.color)
        layer.putalpha(alpha)
        image = Image.alpha_composite(image, layer)
    return image


def with_markers(image: Image.Image, scene: Scene, width: int) -> Image.Image:
    """A copy of the picture with the scene's markers drawn on it."""
    marked = image.copy()
    if not scene.markers:
        return marked
    canvas = Canvas(scene, width)
    draw = ImageDraw.Draw(marked)
    font = ImageFont.load_default(size=max(11, canvas.width // 90))
    line = max(2, canvas.width // 500)
    for m in scene.markers:
        ((px, py),) = canvas.pixels(np.array([[m.x, m.y]]))
        r = max(m.radius_mm * canvas.scale, 6.0)
        draw.ellipse([px - r, py - r, px + r, py + r], outline=m.color, width=line)
        if m.label:
            draw.text((px + r + 2, py - r - 2), m.label, fill=m.color, font=font)
    return marked


def save_png(image: Image.Image, path: Path) -> None:
    image.save(path, compress_level=PNG_COMPRESSION)
