"""Identification by content across files, for uploads whose names and headers say nothing.

A CAM engineer who gets `file01.gbr` ... `file12.gbr` looks at them against the drill hits:
- drill data drawn as Gerber is small round flashes inside the pads of several other layers;
- the board edge is a thin contour around everything, and little else;
- copper joins holes into nets (traces ending at vias and pads, planes), a solder mask opens a
  window over each pad (component pins included, vias often tented), paste opens only the
  surface-mount pads, silkscreen is pen work that keeps off the holes;
- a drawing that reaches far beyond the board is a drawing (fabrication, assembly).
Sides and the copper stack are decided afterwards in `stackup`, from shared pad positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from flyfab.cam.content import by_drawing
from flyfab.cam.image import path_lengths
from flyfab.cam.model import Evidence, Role, Source
from flyfab.cam.outline import DRAWING_COVERAGE, find_outline
from flyfab.cam.stackup import Candidate

MIN_HOLES = 4  # fewer drill hits than this say too little about a layer
PIN_HOLE_MM = 0.6  # holes this large take component pins; smaller ones are vias
# A stencil cannot print through an opening smaller than this; flashes that small are pen work
# (legend logos and pictures are often drawn as thousands of pixel-sized squares).
PRINTABLE_MM = 0.1


def _unknown(cands: list[Candidate]) -> list[Candidate]:
    return [
        c for c in cands if c.role is None and c.kind == "gerber" and c.data is not None and c.data.readable
    ]


def _drills(cands: list[Candidate]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Hole centres and diameters of the files identified as drill data."""
    pts, sizes = [], []
    for c in cands:
        if c.role is not None and c.role.type == "drill" and c.data is not None and len(c.points()):
            pts.append(c.points())
            sizes.append(c.data.flash_sizes)
    if not pts:
        return np.zeros((0, 2)), np.zeros(0)
    return np.vstack(pts), np.concatenate(sizes)


def _area(c: Candidate) -> shapely.MultiPolygon | None:
    if c.data is None or c.data.islands is None or not len(c.data.islands):
        return None
    area = shapely.MultiPolygon(list(c.data.islands))
    shapely.prepare(area)
    return area


def _inside(c: Candidate, points: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which points lie in the file's dark area (or, without one, on one of its flashes)."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    area = _area(c)
    if area is not None:
        inside: NDArray[np.bool_] = shapely.contains_xy(area, points[:, 0], points[:, 1])
        return inside
    if len(c.points()) == 0:
        return np.zeros(len(points), dtype=bool)
    d, _ = cKDTree(c.points()).query(points, distance_upper_bound=0.05)
    found: NDArray[np.bool_] = np.isfinite(d)
    return found


@dataclass
class Features:
    cover: float  # share of the drill holes in the file's dark area
    pins: float  # the same for component-pin holes only
    joined: float  # share of covered holes whose island holds another hole: nets
    traces: float  # share of stroke length in long, thin strokes (length ≥ 5 × width)
    ends_on_holes: float  # share of stroke ends sitting on a hole: traces running into vias
    pads: float  # share of the objects that are flashes or regions
    area: float  # dark area over the area the holes span


def features(c: Candidate, holes: NDArray[np.float64], sizes: NDArray[np.float64]) -> Features:
    assert c.data is not None
    s = c.data.stats
    covered = _inside(c, holes)
    pins = sizes >= PIN_HOLE_MM
    joined = 0.0
    if c.data.islands is not None and covered.any():
        tree = shapely.STRtree(c.data.islands)
        _, island = tree.query(shapely.points(holes[covered]), predicate="within")
        if len(island):
            counts = np.bincount(island, minlength=len(c.data.islands))
            joined = float((counts[island] >= 2).mean())
    widths, lengths = s.stroke_widths, s.stroke_lengths
    long_thin = (lengths >= 5 * np.maximum(widths, 0.05)) & (widths <= 1.0) & (widths > 0)
    traces = float(lengths[long_thin].sum() / lengths.sum()) if len(lengths) and lengths.sum() > 0 else 0.0
    # Ends of real runs only: a mask drawn with dots has every "stroke" end on its hole.
    runs = [
        st
        for st, length in zip(c.data.strokes, _lengths(c), strict=True)
        if not st.region and length >= 2 * max(st.width, 0.05)
    ]
    ends = np.array([st.points[i] for st in runs for i in (0, -1)]).reshape(-1, 2)
    ends_on = 0.0
    if len(ends) and len(holes):
        d, _ = cKDTree(holes).query(ends, distance_upper_bound=0.05)
        ends_on = float(np.isfinite(d).mean())
    span = (holes.max(axis=0) - holes.min(axis=0)).prod() if len(holes) >= 2 else 0.0
    dark = (
        float(shapely.area(c.data.islands).sum())
        if c.data.islands is not None and len(c.data.islands)
        else 0.0
    )
    return Features(
        area=dark / span if span > 0 else 0.0,
        cover=float(covered.mean()) if len(covered) else 0.0,
        pins=float(covered[pins].mean()) if pins.any() else float(covered.mean()) if len(covered) else 0.0,
        joined=joined,
        traces=traces,
        ends_on_holes=ends_on,
        pads=(s.flashes + s.regions) / max(1, s.objects),
    )


def _lengths(c: Candidate) -> list[float]:
    assert c.data is not None
    lengths: list[float] = path_lengths([st.points for st in c.data.strokes]).tolist()
    return lengths


def _gerber_drills(cands: list[Candidate], unknown: list[Candidate]) -> None:
    """Drill data drawn as Gerber: round flashes only, each inside the dark area of three or more
    other files (both coppers and both masks for a through hole). A mask's surface-mount openings
    sit in two files at most, so a mask does not pass."""
    others = [c for c in cands if c.kind == "gerber" and c.data is not None and c.data.readable]
    for c in unknown:
        assert c.data is not None
        s = c.data.stats
        if s.flashes < 3 or s.strokes or s.regions:
            continue
        pts = c.points()
        hits = np.zeros(len(pts), dtype=int)
        for o in others:
            if o is not c:
                hits += _inside(o, pts)
        if (hits >= 3).mean() >= 0.9:
            c.set(
                Role("drill", "all"),
                Evidence(
                    Source.CONTENT,
                    "round flashes only, each inside the pads of three or more layers: drill data "
                    "drawn as Gerber",
                ),
            )


def _outline_layer(cands: list[Candidate], unknown: list[Candidate], holes: NDArray[np.float64]) -> None:
    """The board edge: pen-only thin strokes, mostly closed contours, the outer one holding everything."""
    if any(c.role is not None and c.role.type == "outline" for c in cands):
        return
    pen_only = []
    for c in unknown:
        assert c.data is not None
        s = c.data.stats
        if (
            s.strokes == 0
            or s.flashes > 0.02 * s.objects
            or (len(s.stroke_widths) and np.median(s.stroke_widths) > 0.5)
        ):
            continue
        pen_only.append(c)
    for c in sorted(pen_only, key=lambda c: c.data.stats.objects if c.data else 0):
        assert c.data is not None
        pts = [holes] + [o.points() for o in cands if o is not c and o.data is not None and len(o.points())]
        points = np.vstack([p for p in pts if len(p)]) if any(len(p) for p in pts) else np.zeros((0, 2))
        if len(points) < 4:
            continue
        found = find_outline(c.data.strokes, None, dedicated=True, copper_points=points)
        if found is None:
            continue
        exterior = shapely.union_all(found.exteriors).buffer(0.1)
        inside = float(shapely.contains_xy(exterior, points[:, 0], points[:, 1]).mean())
        drawn = sum(float(np.hypot(*np.diff(st.points, axis=0).T).sum()) for st in c.data.strokes)
        edge = sum(e.exterior.length for e in found.exteriors) + sum(h.exterior.length for h in found.cutouts)
        # Silkscreen and films sometimes carry the board edge too; an outline layer is mostly edge.
        if inside >= 0.9 and drawn > 0 and edge / drawn >= DRAWING_COVERAGE:
            c.set(
                Role("outline", "all"),
                Evidence(
                    Source.CONTENT,
                    f"thin strokes forming a closed contour around {inside:.0%} of all pads and holes",
                ),
            )
            return


def classify(cands: list[Candidate], board_bbox: tuple[float, float, float, float] | None) -> None:
    unknown = _unknown(cands)
    if not unknown:
        return
    holes, sizes = _drills(cands)
    if len(holes) < MIN_HOLES:
        _gerber_drills(cands, unknown)
        holes, sizes = _drills(cands)
    _outline_layer(cands, _unknown(cands), holes)
    rest: list[tuple[Candidate, Features]] = []
    for c in _unknown(cands):
        assert c.data is not None
        if c.data.stats.objects == 0:
            continue  # an empty layer says nothing about itself
        if len(holes) < MIN_HOLES:
            guess = by_drawing(c.data, board_bbox)
            if guess is not None:
                c.set(guess.role, Evidence(Source.CONTENT, guess.detail))
            continue
        f = features(c, holes, sizes)
        if not _pad_layer(c, f, board_bbox):
            rest.append((c, f))
    _pads_only_copper(cands)
    # What keeps off the holes is told apart against the copper now known: paste openings lie on
    # copper pads, silkscreen does not.
    copper = [c for c in cands if c.role is not None and c.role.type == "copper"]
    for c, f in rest:
        _off_holes(c, f, copper)


def _beyond_board(c: Candidate, board_bbox: tuple[float, float, float, float] | None) -> bool:
    s = c.data.stats if c.data is not None else None
    if board_bbox is None or s is None or s.bbox is None:
        return False
    bw, bh = board_bbox[2] - board_bbox[0], board_bbox[3] - board_bbox[1]
    w, h = s.bbox[2] - s.bbox[0], s.bbox[3] - s.bbox[1]
    return w > 1.5 * bw or h > 1.5 * bh


def _pad_layer(c: Candidate, f: Features, board_bbox: tuple[float, float, float, float] | None) -> bool:
    """Copper, mask, or a drawing; False when the layer keeps off the holes (paste or silkscreen)."""
    assert c.data is not None
    s = c.data.stats
    if _beyond_board(c, board_bbox):
        c.set(
            Role("other", "none"),
            Evidence(
                Source.CONTENT, "a drawing reaching far beyond the board (fabrication or assembly drawing)"
            ),
        )
        return True
    # Copper: a plane or pour (half the board dark) joining holes of its net, traces running into
    # vias and pads, or traces and pads joined into nets over the holes. Masks and paste are
    # openings, each on its own: a mask with large openings can be half dark too, but no two holes
    # share one of them, and neither do they in a drawing's filled artwork.
    plane = f.area >= 0.5 and f.joined > 0
    into_holes = f.ends_on_holes >= 0.1
    nets = f.cover >= 0.5 and ((f.traces >= 0.3 and f.joined >= 0.5) or s.clear > 0)
    if plane or into_holes or nets:
        c.set(
            Role("copper", "none"),
            Evidence(
                Source.CONTENT,
                f"copper: {f.area:.0%} of the board dark, {f.ends_on_holes:.0%} of trace ends on holes, "
                f"{f.cover:.0%} of the holes covered ({f.joined:.0%} joined into nets)",
            ),
        )
        return True
    if f.cover >= 0.2 or f.pins >= 0.5:
        # Vias are often tented, component pins never are. Mask or paste is settled per side later,
        # the wider openings being the mask.
        c.set(
            Role("soldermask", "none"),
            Evidence(
                Source.CONTENT, f"openings over {f.pins:.0%} of the component-pin holes, each on its own"
            ),
        )
        return True
    return False


def _pads_only_copper(cands: list[Candidate]) -> None:
    """A copper side with no traces at all (everything routed on the other side) looks like a mask:
    pads over every hole, each on its own. Of the pad layers on the same holes, masks open wider
    than the pads, so with more than two such layers and fewer than two coppers, the one with the
    smallest pads is copper."""
    copper = [c for c in cands if c.role is not None and c.role.type == "copper"]
    masks = [
        c
        for c in cands
        if c.role is not None
        and c.role.type == "soldermask"
        and c.strength is Source.CONTENT
        and c.data is not None
        and len(c.data.flash_sizes)
    ]
    while len(copper) < 2 and len(masks) > 2:
        smallest = min(
            masks, key=lambda c: float(np.median(c.data.flash_sizes)) if c.data is not None else 0.0
        )
        smallest.role = Role("copper", "none")
        smallest.evidence.append(
            Evidence(
                Source.CONTENT,
                "the smallest pads of the layers over the holes: copper without traces (masks open wider)",
            )
        )
        copper.append(smallest)
        masks.remove(smallest)


def _off_holes(c: Candidate, f: Features, copper: list[Candidate]) -> None:
    """Paste opens over copper pads; silkscreen is pen work beside them."""
    assert c.data is not None
    s = c.data.stats
    printable = c.data.flash_sizes >= PRINTABLE_MM
    openings = c.points()[printable]
    on_copper = 0.0
    if len(openings) and copper:
        on = np.zeros(len(openings), dtype=bool)
        for o in copper:
            on |= _inside(o, openings)
        on_copper = float(on.mean())
    if s.strokes == 0 or ((len(openings) + s.regions) >= 0.5 * s.objects and on_copper >= 0.8):
        c.set(
            Role("solderpaste", "none"),
            Evidence(
                Source.CONTENT,
                f"pad openings on copper pads ({on_copper:.0%}), none over the holes: solder paste",
            ),
        )
    else:
        c.set(
            Role("silkscreen", "none"),
            Evidence(
                Source.CONTENT, f"pen work ({s.strokes} strokes) beside the pads, off the holes: silkscreen"
            ),
        )
