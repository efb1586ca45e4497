"""A scene as a PNG: every paint is opaque, so each pixel shows the colour of the topmost paint
that covers it; anti-aliasing comes from doing that on a finer grid and averaging.

Each shape is filled once per pixel grid into a mask at `SUPERSAMPLE` times the resolution, as a
bit of its own: one byte per fine pixel says which shapes cover it. A paint shows where its shape
is, all its "within" shapes are and none of its "outside" shapes is, so which paint is on top is a
table over the 256 patterns of bits, looked up once per pixel instead of combining whole masks
paint by paint (shapes filled by Pillow, bits combined by numpy: Pillow's image arithmetic costs
several times more on masks this size). A block of k × k fine pixels holds a multiset of at most a
handful of paints, so the finished pixel is one of a few hundred averages at most: the picture is
written as a palette image of those averages, exact, without blending whole images paint by paint
and without quantising colours afterwards (both cost several times more).

Memory is most of the cost on small boards: a picture of 1200 px is 5.8 million fine pixels, and
every megabyte a fresh process touches for the first time is a page fault. So Pillow fills each
shape straight into numpy's memory (no copy of the mask), the first shape into the picture's bits
themselves, and a mask lives only until its bit is set.
"""

from __future__ import annotations

import io
import itertools
import zlib
from functools import cache

import numpy as np
import shapely
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont, ImagePalette  # noqa: F401  (loaded now, not at a first picture)

from flyfab.render.scene import Geoms, Scene

# Pillow imports its palette support and its five common file format plugins at the first picture
# saved (`Image.preinit`); imported with the renderer instead, that one-off cost (5 to 30 ms) is
# paid once per process when it starts, not by the first board drawn.
Image.preinit()

SUPERSAMPLE = 2
# Masks are kept a byte per fine pixel; a picture larger than this is drawn without the finer grid
# (at such sizes a pixel is too small to need anti-aliasing, and memory stays bounded).
FINE_PIXELS = 64_000_000
PNG_COMPRESSION = 1  # zlib level: pictures of boards compress well even at the fastest level
# zlib's run-length strategy: a board picture is long runs of a few colours, which it finds at
# least as fast as the default strategy, in about half the bytes.
PNG_STRATEGY = zlib.Z_RLE
PALETTE = 256  # colours of a palette PNG
SHAPE_BITS = 8  # shapes of a scene: a bit each in a byte per fine pixel
Mask = NDArray[np.uint8]  # a shape's value inside it, 0 outside
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


def _fill(target: Mask, geoms: Geoms, canvas: Canvas, value: int) -> None:
    """Fill the shape with `value` into `target`, a zeroed fine pixel grid of the canvas."""
    k = canvas.supersample
    h, w = target.shape
    # A Pillow image over the array's memory: Pillow maps a contiguous buffer instead of copying
    # it, and marks such an image read-only only so that it never writes to a caller's bytes
    # unasked; here writing into them is the point (tests/test_render.py checks that it does).
    fine = Image.frombuffer("L", (w, h), target, "raw", "L", 0, 1)
    fine.readonly = False
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
            draw.polygon(pieces[n].ravel().tolist(), fill=0 if is_hole[ring_ids[n]] else value)


def _paint_table(scene: Scene, names: list[str]) -> tuple[NDArray[np.uint8], list[RGBA]]:
    """Which paint shows over each pattern of shape bits (bit i: inside shape `names[i]`), and the
    colours by paint index (0: the background)."""
    bit = {name: 1 << i for i, name in enumerate(names)}
    patterns = np.arange(1 << SHAPE_BITS)
    table = np.zeros(len(patterns), dtype=np.uint8)
    colours = [_rgba(scene.background) if scene.background else (0, 0, 0, 0)]
    for paint in scene.paints:
        needed = (paint.shape, *paint.within)
        if any(n not in bit for n in needed) or len(colours) == 255:
            continue
        inside = sum(bit[n] for n in needed)
        outside = sum(bit[n] for n in paint.outside if n in bit)
        shows = (patterns & (inside | outside)) == inside
        table[shows] = len(colours)  # later paints cover earlier ones
        colours.append(_rgba(paint.color))
    return table, colours


def _shape_bits(scene: Scene, names: list[str], canvas: Canvas) -> NDArray[np.uint8]:
    """One byte per fine pixel, bit i set inside shape `names[i]`: every paint's condition is then
    a lookup, instead of combining whole masks paint by paint."""
    k = canvas.supersample
    bits = np.zeros((canvas.height * k, canvas.width * k), dtype=np.uint8)
    scratch: Mask | None = None
    for i, name in enumerate(names):
        geoms = scene.shapes[name]
        if not len(geoms):  # an empty shape leaves its bit clear everywhere
            continue
        if not i:
            _fill(bits, geoms, canvas, 1)
            continue
        if scratch is None:
            scratch = np.zeros(bits.shape, dtype=np.uint8)  # calloc: no pages touched yet
        else:
            scratch.fill(0)
        _fill(scratch, geoms, canvas, 1 << i)
        bits |= scratch
    return bits


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


def _palette_image(
    pixel: NDArray[np.uint8],
    counts: NDArray[np.int64],
    colours: list[RGBA],
    lookup: NDArray[np.uint8] | None = None,
) -> Image.Image:
    """`pixel` (through `lookup`, a table of 256, if given) as palette indices into the averages."""
    image = Image.fromarray(pixel, "L")
    if lookup is not None:
        image = image.point(lookup.tolist())  # Pillow's table lookup is several times numpy's
    image.putpalette(_average(counts, colours).ravel().tobytes(), "RGBA")
    return image


def _finish(bits: NDArray[np.uint8], table: NDArray[np.uint8], colours: list[RGBA], k: int) -> Image.Image:
    """The fine shape bits as the picture: each k × k block becomes the average of its paints."""
    if k == 1:
        return _palette_image(bits, np.eye(len(colours), dtype=np.int64), colours, table)
    h, w = bits.shape[0] // k, bits.shape[1] // k
    blocks = _blocks(len(colours), k * k)
    if blocks is not None and k == 2:
        return _palette_image(_pairs_to_blocks(bits, table, blocks, h, w), blocks[0], colours)
    cells = table[bits[: h * k, : w * k]].reshape(h, k, w, k)
    if blocks is None:  # too many paints for a palette: true colour
        mean = np.array(colours, dtype=np.float64)[cells].mean(axis=(1, 3))
        return Image.fromarray(np.rint(mean).astype(np.uint8), "RGBA")
    counts, multiset, b = blocks
    code = np.zeros((h, w), dtype=np.uint16)
    for n, (i, j) in enumerate(itertools.product(range(k), repeat=2)):
        code |= cells[:, i, :, j].astype(np.uint16) << (b * n)
    return _palette_image(multiset[code], counts, colours)


# Rows of finished pixels per step of `_pairs_to_blocks`: its buffers then stay in the CPU's cache,
# and the picture's fine bits are read once instead of through temporaries as large as the picture.
BLOCK_ROWS = 32


def _pairs_to_blocks(
    bits: NDArray[np.uint8],
    table: NDArray[np.uint8],
    blocks: tuple[NDArray[np.int64], NDArray[np.uint8], int],
    h: int,
    w: int,
) -> NDArray[np.uint8]:
    """The palette index of each 2 × 2 block of fine pixels: two neighbouring fine pixels read as
    one 16-bit number give both paints in one lookup, already packed (half the lookups, and no
    per-cell shifting, the slow part at this size)."""
    _, multiset, b = blocks
    pair = np.arange(1 << 16)
    upper = table[pair & 0xFF].astype(np.uint16) | table[pair >> 8].astype(np.uint16) << b
    lower = upper << np.uint16(2 * b)  # the lower row's pair, shifted already
    rows = bits[: 2 * h, : 2 * w].view("<u2")
    pixel = np.empty((h, w), dtype=np.uint8)
    step = min(BLOCK_ROWS, h)
    code = np.empty((step, w), dtype=np.uint16)
    second = np.empty((step, w), dtype=np.uint16)
    for r in range(0, h, step):
        n = min(step, h - r)
        np.take(upper, rows[2 * r : 2 * (r + n) : 2], out=code[:n], mode="clip")
        np.take(lower, rows[2 * r + 1 : 2 * (r + n) : 2], out=second[:n], mode="clip")
        code[:n] |= second[:n]
        np.take(multiset, code[:n], out=pixel[r : r + n], mode="clip")
    return pixel


def to_image(scene: Scene, width: int = 1200) -> Image.Image:
    """The scene without its markers (see `with_markers`), as a palette image with an alpha
    channel in its palette (transparent where nothing is painted, unless the scene has a
    background)."""
    used = {n for p in scene.paints for n in (p.shape, *p.within, *p.outside)}
    names = [n for n in scene.shapes if n in used]
    if len(names) > SHAPE_BITS:
        raise ValueError(f"a scene is drawn from at most {SHAPE_BITS} shapes, this one has {len(names)}")
    canvas = Canvas(scene, width)
    table, colours = _paint_table(scene, names)
    bits = _shape_bits(scene, names, canvas)
    return _finish(bits, table, colours, canvas.supersample)


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


def png_bytes(image: Image.Image) -> bytes:
    """The picture as a PNG file's bytes; a true-colour picture as a palette image (boards have a
    handful of colours and their anti-aliased mixes, which a palette holds closely, in a third of
    the bytes and time)."""
    if image.mode != "P":
        image = image.quantize(PALETTE, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESSION, compress_type=PNG_STRATEGY)
    return out.getvalue()
