"""A scene as a PNG: every paint is opaque, so each pixel shows the colour of the topmost paint
that covers it; anti-aliasing comes from doing that on a finer grid and averaging.

Each shape is filled once per pixel grid into a mask at `SUPERSAMPLE` times the resolution; a
paint shows where its shape is, all its "within" shapes are and none of its "outside" shapes is.
The result is an index image of the topmost paint per fine pixel (shapes filled by Pillow, masks
combined by numpy: Pillow's image arithmetic costs several times more on masks this size). A
block of k × k fine pixels holds a multiset of at most a handful of paints, so the finished pixel
is one of a few hundred averages at most: the picture is written as a palette image of those
averages, exact, without blending whole images paint by paint and without quantising colours
afterwards (both cost several times more). Pillow and numpy release the GIL in all of this, so
pictures can be drawn on several threads; masks are kept per shape and pixel grid, so the DFM
overlay and the pictures sharing a shape draw it once.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from flyfab.render.scene import Geoms, Paint, Scene

SUPERSAMPLE = 2
# Masks are kept a byte per fine pixel; a picture larger than this is drawn without the finer grid
# (at such sizes a pixel is too small to need anti-aliasing, and memory stays bounded).
FINE_PIXELS = 64_000_000
PNG_COMPRESSION = 1  # zlib level: pictures of boards compress well even at the fastest level
PALETTE = 256  # colours of a palette PNG
Mask = NDArray[np.bool_]
RGBA = tuple[int, int, int, int]


class Canvas:
    """Pixel geometry of a scene: board millimetres to pixels, mirrored for views from below."""

    def __init__(self, scene: Scene, width: int) -> None:
        x0, y0, x1, y1 = scene.bounds
        self.bounds = scene.bounds
        self.mirror = scene.mirror
        self.scale = width / (x1 - x0)
        self.width = width
        self.height = max(1, round((y1 - y0) * width / (x1 - x0)))
        fine = self.width * self.height * SUPERSAMPLE**2 <= FINE_PIXELS
        self.supersample = SUPERSAMPLE if scene.antialias and fine else 1

    @property
    def key(self) -> tuple[object, ...]:
        return (self.bounds, self.mirror, self.width, self.height, self.supersample)

    def pixels(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x0, _, x1, y1 = self.bounds
        px = (x1 - coords[:, 0]) if self.mirror else (coords[:, 0] - x0)
        return np.column_stack([px * self.scale, (y1 - coords[:, 1]) * self.scale])


class MaskCache:
    """Masks of shapes on the fine pixel grid of a canvas, each computed once, also when pictures
    sharing a shape are drawn on several threads at the same time."""

    def __init__(self) -> None:
        self._masks: dict[tuple[object, ...], Future[Mask]] = {}
        self._keep: list[Geoms] = []  # the shapes keyed by id() stay alive while cached
        self._lock = threading.Lock()

    def get(self, geoms: Geoms, canvas: Canvas) -> Mask:
        key = (id(geoms), *canvas.key)
        with self._lock:
            found = self._masks.get(key)
            mine = found is None
            if found is None:
                found = self._masks[key] = Future()
                self._keep.append(geoms)
        if mine:
            try:
                found.set_result(_mask(geoms, canvas))
            except BaseException as e:
                found.set_exception(e)
                raise
        return found.result()


def _mask(geoms: Geoms, canvas: Canvas) -> Mask:
    k = canvas.supersample
    fine = Image.new("L", (canvas.width * k, canvas.height * k), 0)
    if len(geoms) == 0:
        return np.zeros((fine.height, fine.width), dtype=bool)
    draw = ImageDraw.Draw(fine)
    x0, _, x1, y1 = canvas.bounds
    s = canvas.scale * k
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
    for n in np.argsort(rank[owner[ring_ids]], kind="stable"):
        if len(pieces[n]) >= 3:
            draw.polygon(pieces[n].ravel().tolist(), fill=0 if is_hole[ring_ids[n]] else 1)
    return np.asarray(fine).view(bool)


def _shown(scene: Scene, paint: Paint, canvas: Canvas, masks: MaskCache) -> Mask | None:
    """Where the paint shows on the fine grid; None when a shape it needs is missing."""
    shape = scene.shapes.get(paint.shape)
    if shape is None or any(n not in scene.shapes for n in paint.within):
        return None
    shown = masks.get(shape, canvas)
    for name in paint.within:
        shown = shown & masks.get(scene.shapes[name], canvas)
    for name in paint.outside:
        if name in scene.shapes:
            shown = shown > masks.get(scene.shapes[name], canvas)  # and not
    return shown


def _rgba(color: str) -> RGBA:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 255


@cache
def _blocks(colours: int, cells: int) -> tuple[NDArray[np.int64], NDArray[np.uint8], int] | None:
    """Every multiset of `cells` paint indices out of `colours`, as counts per colour; a table from
    a block's paint indices, packed `bits` to a cell, to the number of their multiset; and `bits`.
    None when there are more multisets than a palette holds or the packed code exceeds 16 bits."""
    combos = list(itertools.combinations_with_replacement(range(colours), cells))
    bits = max(1, (colours - 1).bit_length())
    if len(combos) > PALETTE or bits * cells > 16:
        return None
    number = {combo: n for n, combo in enumerate(combos)}
    counts = np.zeros((len(combos), colours), dtype=np.int64)
    for n, combo in enumerate(combos):
        for c in combo:
            counts[n, c] += 1
    table = np.zeros(1 << (bits * cells), dtype=np.uint8)
    for block in itertools.product(range(colours), repeat=cells):
        code = sum(c << (bits * n) for n, c in enumerate(block))
        table[code] = number[tuple(sorted(block))]
    return counts, table, bits


def _average(counts: NDArray[np.int64], colours: list[RGBA]) -> NDArray[np.uint8]:
    """The mean colour of each multiset, averaged with premultiplied alpha as a lens would."""
    c = np.array(colours, dtype=np.float64)
    premultiplied = c[:, :3] * c[:, 3:] / 255
    n = counts.sum(axis=1, keepdims=True)
    alpha = counts @ c[:, 3:] / n
    rgb = np.divide(counts @ premultiplied / n * 255, alpha, out=np.zeros((len(counts), 3)), where=alpha > 0)
    averaged: NDArray[np.uint8] = np.rint(np.column_stack([rgb, alpha])).clip(0, 255).astype(np.uint8)
    return averaged


def _palette_image(pixel: NDArray[np.uint8], counts: NDArray[np.int64], colours: list[RGBA]) -> Image.Image:
    image = Image.fromarray(pixel, "L").convert("P")
    image.putpalette(_average(counts, colours).ravel().tobytes(), "RGBA")
    return image


def _finish(index: NDArray[np.uint8], colours: list[RGBA], k: int) -> Image.Image:
    """The fine index image as the picture: each k × k block becomes the average of its paints."""
    if k == 1:
        return _palette_image(index, np.eye(len(colours), dtype=np.int64), colours)
    h, w = index.shape[0] // k, index.shape[1] // k
    cells = index[: h * k, : w * k].reshape(h, k, w, k)
    blocks = _blocks(len(colours), k * k)
    if blocks is None:  # too many paints for a palette: true colour
        mean = np.array(colours, dtype=np.float64)[cells].mean(axis=(1, 3))
        return Image.fromarray(np.rint(mean).astype(np.uint8), "RGBA")
    counts, table, bits = blocks
    code = np.zeros((h, w), dtype=np.uint16)
    for n, (i, j) in enumerate(itertools.product(range(k), repeat=2)):
        code |= cells[:, i, :, j].astype(np.uint16) << (bits * n)
    return _palette_image(table[code], counts, colours)


def to_image(scene: Scene, width: int = 1200, masks: MaskCache | None = None) -> Image.Image:
    """The scene without its markers (see `with_markers`), as a palette image with an alpha
    channel in its palette (transparent where nothing is painted, unless the scene has a
    background)."""
    masks = masks or MaskCache()
    canvas = Canvas(scene, width)
    k = canvas.supersample
    index = np.zeros((canvas.height * k, canvas.width * k), dtype=np.uint8)
    colours = [_rgba(scene.background) if scene.background else (0, 0, 0, 0)]
    for paint in scene.paints:
        shown = _shown(scene, paint, canvas, masks)
        if shown is None or len(colours) == 255:
            continue
        np.copyto(index, np.uint8(len(colours)), where=shown)
        colours.append(_rgba(paint.color))
    return _finish(index, colours, k)


def with_markers(image: Image.Image, scene: Scene, width: int) -> Image.Image:
    """A copy of the picture with the scene's markers drawn on it."""
    marked = image.copy()
    if not scene.markers:
        return marked
    canvas = Canvas(scene, width)
    inks = sorted({m.color for m in scene.markers})
    ink: dict[str, int | RGBA]
    used = len(marked.getpalette("RGBA") or []) // 4 if marked.mode == "P" else PALETTE
    if used + len(inks) <= PALETTE:
        # The marker colours join the palette, so the overlay stays a palette image.
        palette = (marked.getpalette("RGBA") or []) + [v for c in inks for v in _rgba(c)]
        marked.putpalette(palette, "RGBA")
        ink = {c: used + n for n, c in enumerate(inks)}
    else:
        marked = marked.convert("RGBA")
        ink = {c: _rgba(c) for c in inks}
    draw = ImageDraw.Draw(marked)
    font = ImageFont.load_default(size=max(11, canvas.width // 90))
    line = max(2, canvas.width // 500)
    for m in scene.markers:
        ((px, py),) = canvas.pixels(np.array([[m.x, m.y]]))
        r = max(m.radius_mm * canvas.scale, 6.0)
        draw.ellipse([px - r, py - r, px + r, py + r], outline=ink[m.color], width=line)
        if m.label:
            draw.text((px + r + 2, py - r - 2), m.label, fill=ink[m.color], font=font)
    return marked


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG; a true-colour picture as a palette image (boards have a handful of colours and
    their anti-aliased mixes, which a palette holds closely, in a third of the bytes and time)."""
    if image.mode != "P":
        image = image.quantize(PALETTE, method=Image.Quantize.FASTOCTREE)
    image.save(path, compress_level=PNG_COMPRESSION)
