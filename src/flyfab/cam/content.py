"""Identification by content, for files whose names say nothing (`layer1.gbr`, `art03.pho`).

Two kinds of content evidence, weakest last:

1. The names a file gives itself inside: `%LN`/`%IN`, `G04 Layer:`/`G04 Title:` comments, Allegro's
   film contents (`ETCH/TOP`, `PIN/SOLDERMASK_TOP`, ...). Words like "silk", "stop mask", "paste",
   "outline", "assembly" mean the same in every tool.
2. Drawing statistics, the way a CAM engineer glances at a plot: a few thin strokes forming closed
   contours around everything is the outline; flashes only is a mask or paste; many short thin
   strokes is text, hence silkscreen; traces of many widths, pads and pours is copper.

Sides and the copper stack are settled afterwards, across files, in `stackup`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from flyfab.cam.attributes import Header
from flyfab.cam.layerdata import LayerData
from flyfab.cam.model import LayerType, Role, Side


@dataclass(frozen=True)
class Guess:
    role: Role
    detail: str
    confidence: float  # 0..1


# Drawings that belong to one side of the board (assembly views, courtyards, glue dots) keep it;
# fabrication drawings, notes and dimensions are of the whole board.
_SIDED_OTHER = re.compile(r"assy|assembl|(?<![a-z])asm(?![a-z])|courtyard|glue|adhes|component.?outline")
_TYPE_WORDS: tuple[tuple[LayerType, re.Pattern[str]], ...] = (
    (
        "other",
        re.compile(
            r"assy|assembl|(?<![a-z])asm(?![a-z])|fab(?!ric)|fabrication|drawing|drillmap|drilldraw|"
            r"courtyard|notes|(?<![a-z])doc(?![a-z])|_doc_|mechanical|dimension|keepout|keep-out|"
            r"glue|adhes"
        ),
    ),
    ("solderpaste", re.compile(r"paste|cream|stencil")),
    ("soldermask", re.compile(r"mask|stop|resist")),
    ("silkscreen", re.compile(r"silk|legend|overlay|posi|print|screen|marking|ident")),
    (
        "outline",
        re.compile(
            r"outline|profile|edge.?cut|boardedge|board.?edge|contour|boundary|milling|(?<![a-z])mill"
        ),
    ),
    (
        "copper",
        re.compile(
            r"copper|(?<![a-z])cu(?![a-z])|signal|etch|toplayer|bottomlayer|top.?layer|"
            r"bottom.?layer|(?<![a-z])plane|inner|(?<![a-z])gnd|(?<![a-z])vcc|(?<![a-z])pwr|"
            r"power|ground|mixed|^top$|^bottom$|^bot$|^l\d+$|layer.?\d+|group\d+|jumper"
        ),
    ),
)


def _side_of(name: str) -> Side:
    n = name.lower()
    if re.search(r"inner|inr|internal|mid|(?<![a-z])l(\d+)(?![a-z])|layer.?\d|group\d|plane", n):
        return "inner"
    if re.search(r"bot|bottom|back|secondary|(?<![a-z])sec(?![a-z])|solder(?!.?mask|.?stop|.?paste)", n):
        return "bottom"
    if re.search(r"top|front|primary|(?<![a-z])prm(?![a-z])|component|(?<![a-z])comp(?![a-z])", n):
        return "top"
    return "none"


def role_from_name(name: str) -> Role | None:
    """A role read from a layer's own name, as CAD tools write it into the file."""
    n = name.strip().lower()
    if not n:
        return None
    for kind, pattern in _TYPE_WORDS:
        if pattern.search(n):
            side = _side_of(n)
            if kind in ("soldermask", "solderpaste", "silkscreen"):
                if side not in ("top", "bottom"):
                    return None
                return Role(kind, side)
            if kind == "outline":
                return Role("outline", "all")
            if kind == "other":
                sided = _SIDED_OTHER.search(n) and side in ("top", "bottom")
                return Role("other", side if sided else "none")
            if side == "none":
                side = "top" if re.search(r"top", n) else "bottom" if re.search(r"bot", n) else "none"
            return Role("copper", side) if side != "none" else Role("copper", "inner")
    return None


def _allegro_role(layers: list[str]) -> Guess | None:
    """Allegro films list the class/subclass pairs plotted into them."""
    subclasses = [layer.split("/", 1) for layer in layers if "/" in layer]
    etch = [sub for cls, sub in subclasses if cls == "ETCH"]
    if etch:
        name = etch[0]
        side: Side = "top" if name == "TOP" else "bottom" if name == "BOTTOM" else "inner"
        return Guess(Role("copper", side), f"Allegro film plots ETCH/{name}", 0.95)
    joined = " ".join(sub for _, sub in subclasses)
    for kind, word in (
        ("soldermask", "SOLDERMASK"),
        ("solderpaste", "PASTEMASK"),
        ("silkscreen", "SILKSCREEN"),
    ):
        m = re.search(word + r"_(TOP|BOTTOM)", joined)
        if m:
            side = "top" if m.group(1) == "TOP" else "bottom"
            return Guess(Role(kind, side), f"Allegro film plots {word}_{m.group(1)}", 0.95)  # type: ignore[arg-type]
    m = re.search(r"ASSEMBLY_(TOP|BOTTOM)", joined)
    if m:
        return Guess(
            Role("other", "top" if m.group(1) == "TOP" else "bottom"),
            f"Allegro film plots ASSEMBLY_{m.group(1)}",
            0.9,
        )
    if subclasses:
        return Guess(Role("other", "none"), "Allegro film plots only drawing classes", 0.8)
    return None


def from_header(header: Header, path: str) -> Guess | None:
    if header.allegro_layers:
        guess = _allegro_role(header.allegro_layers)
        if guess:
            return guess
    base = path.rsplit("/", 1)[-1].lower()
    for name in header.names:
        # A header that only repeats the file name adds nothing the naming conventions did not see.
        if name.lower() == base or name.lower() in base:
            continue
        role = role_from_name(name)
        if role is not None:
            return Guess(role, f"layer name in the file: '{name}'", 0.8)
    return None


def _closed_fraction(data: LayerData) -> float:
    """Share of stroke length in paths that end where they start (or join into loops)."""
    total = closed = 0.0
    for st in data.strokes:
        if st.region or len(st.points) < 2:
            continue
        length = float(np.hypot(*np.diff(st.points, axis=0).T).sum())
        total += length
        if np.allclose(st.points[0], st.points[-1], atol=0.01):
            closed += length
    if total == 0:
        return 0.0
    # Loops drawn as separate segments: endpoints all shared.
    ends = [tuple(np.round(st.points[i], 2)) for st in data.strokes if not st.region for i in (0, -1)]
    if ends:
        counts: dict[tuple[float, ...], int] = {}
        for e in ends:
            counts[e] = counts.get(e, 0) + 1
        shared = sum(1 for e in ends if counts[e] >= 2) / len(ends)
        return max(closed / total, shared)
    return closed / total


def by_drawing(data: LayerData, board_bbox: tuple[float, float, float, float] | None) -> Guess | None:
    """A role type from drawing statistics alone; sides are left to the stack-up."""
    s = data.stats
    if data.kind == "excellon":
        return Guess(Role("drill", "all"), "Excellon drill program", 0.99)
    if s.objects == 0:
        return None
    functions = s.aperture_functions
    if functions:
        names = {f.lower() for f in functions}
        if names & {"profile"}:
            return Guess(Role("outline", "all"), "aperture function Profile", 0.9)
        if names & {
            "conductor",
            "viapad",
            "componentpad",
            "smdpad",
            "bgapad",
            "copperbalancing",
            "etchedcomponent",
        }:
            return Guess(
                Role("copper", "none"),
                "copper aperture functions (" + ", ".join(sorted(functions)) + ")",
                0.85,
            )
    strokes, flashes, regions = s.strokes, s.flashes, s.regions
    widths = s.stroke_widths
    thin = float((widths <= 0.3).mean()) if len(widths) else 0.0
    short = float((s.stroke_lengths <= 2.0).mean()) if len(s.stroke_lengths) else 0.0
    spans_board = False
    if board_bbox and s.bbox:
        bw, bh = board_bbox[2] - board_bbox[0], board_bbox[3] - board_bbox[1]
        w, h = s.bbox[2] - s.bbox[0], s.bbox[3] - s.bbox[1]
        spans_board = w >= 0.9 * bw and h >= 0.9 * bh
    closed = (
        flashes == 0 and regions == 0 and 0 < strokes <= 2000 and thin > 0.9 and _closed_fraction(data) > 0.8
    )
    if closed and (spans_board or board_bbox is None):
        return Guess(Role("outline", "all"), f"{strokes} thin strokes forming closed contours", 0.75)
    if strokes == 0 or (flashes + regions) / max(1, s.objects) > 0.9:
        return Guess(
            Role("soldermask", "none"), f"{flashes} flashes, no traces: pad openings (mask or paste)", 0.6
        )
    if flashes / max(1, s.objects) < 0.05 and thin > 0.8 and regions <= strokes:
        # Thin pen work that is not a board contour and has (nearly) no pads: legend text and
        # component outlines.
        return Guess(
            Role("silkscreen", "none"),
            f"{strokes} thin strokes ({short:.0%} under 2 mm), nearly no pads: text and outlines",
            0.6,
        )
    if flashes > 0 and strokes > 0:
        return Guess(Role("copper", "none"), f"traces ({strokes} strokes) and pads ({flashes} flashes)", 0.55)
    return None
