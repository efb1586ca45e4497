"""Cross-file decisions: sides, the copper stack, mask against paste, drills drawn as Gerber, plating.

Layers of one board share pad positions: a top mask opens over the top copper's pads, paste only
over its surface-mount pads, drill hits fall on the centres of through-hole and via pads. Those
coincidences decide what names and headers left open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from flyfab.cam.attributes import Header
from flyfab.cam.layerdata import LayerData
from flyfab.cam.model import Evidence, Role, Side, Source

PAD_TOLERANCE_MM = 0.05


@dataclass
class Candidate:
    path: str
    kind: str  # "gerber" or "excellon"
    header: Header
    data: LayerData | None
    role: Role | None = None
    evidence: list[Evidence] = field(default_factory=list)
    strength: Source | None = None  # the strongest source behind the role
    number: int | None = None  # a copper layer number from a name or header, for ordering

    def points(self) -> NDArray[np.float64]:
        return self.data.flash_points if self.data is not None else np.zeros((0, 2))

    def set(self, role: Role, evidence: Evidence) -> None:
        self.role = role
        self.evidence.append(evidence)
        if self.strength is None or evidence.source.rank < self.strength.rank:
            self.strength = evidence.source


def coincide(a: NDArray[np.float64], b: NDArray[np.float64], tol: float = PAD_TOLERANCE_MM) -> float:
    """Share of the points in `a` that have a point of `b` within `tol`."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    d, _ = cKDTree(b).query(a, distance_upper_bound=tol)
    return float(np.isfinite(d).mean())


def _hole_points(cands: list[Candidate]) -> NDArray[np.float64]:
    pts = [c.points() for c in cands if c.role is not None and c.role.type == "drill" and c.data is not None]
    return np.vstack(pts) if pts else np.zeros((0, 2))


def _smd(points: NDArray[np.float64], holes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Flash positions not on a drill hit: surface-mount pads."""
    if len(points) == 0 or len(holes) == 0:
        return points
    d, _ = cKDTree(holes).query(points, distance_upper_bound=PAD_TOLERANCE_MM)
    out: NDArray[np.float64] = points[~np.isfinite(d)]
    return out


def _copper(cands: list[Candidate]) -> list[Candidate]:
    return [c for c in cands if c.role is not None and c.role.type == "copper"]


def detect_gerber_drills(cands: list[Candidate]) -> None:
    """A Gerber file of round flashes only, each on a copper pad centre and smaller than it, is drill data."""
    copper_pts = [c.points() for c in _copper(cands)]
    if not copper_pts:
        return
    pads = np.vstack(copper_pts)
    for c in cands:
        if (
            c.kind != "gerber"
            or c.data is None
            or (c.strength is not None and c.strength.rank <= Source.NAMING.rank)
        ):
            continue
        s = c.data.stats
        if s.flashes < 3 or s.strokes or s.regions:
            continue
        if coincide(c.points(), pads) > 0.9 and c.role is not None and c.role.type != "copper":
            c.set(
                Role("drill", "all"),
                Evidence(
                    Source.CONTENT,
                    "round flashes only, all on copper pad centres: drill data drawn as Gerber",
                ),
            )


def mask_or_paste(cands: list[Candidate]) -> None:
    """Flash-only layers guessed by content: openings over drill hits mean mask, else paste."""
    holes = _hole_points(cands)
    for c in cands:
        if (
            c.strength is not Source.CONTENT
            or c.role is None
            or c.role.type not in ("soldermask", "solderpaste")
        ):
            continue
        if c.evidence and c.evidence[-1].detail.startswith("layer name"):
            continue
        on_holes = coincide(c.points(), holes) if len(holes) else 0.0
        if len(holes) and on_holes > 0.05:
            c.role = Role("soldermask", c.role.side)
            c.evidence.append(
                Evidence(Source.CONTENT, f"{on_holes:.0%} of its openings sit on drill holes: solder mask")
            )
        elif len(holes):
            c.role = Role("solderpaste", c.role.side)
            c.evidence.append(Evidence(Source.CONTENT, "no openings on drill holes: solder paste"))


def assign_sides(cands: list[Candidate]) -> None:
    """Give sides to copper, mask, paste and silkscreen that have none, from shared pad positions."""
    holes = _hole_points(cands)
    copper = _copper(cands)
    outer = [c for c in copper if c.role and c.role.side in ("top", "bottom")]
    unsided_copper = [c for c in copper if c.role and c.role.side in ("none",)]
    if unsided_copper:
        _side_copper(cands, copper, holes)
        outer = [c for c in copper if c.role and c.role.side in ("top", "bottom")]
    for c in cands:
        if (
            c.role is None
            or c.role.type not in ("soldermask", "solderpaste")
            or c.role.side in ("top", "bottom")
        ):
            continue
        best, score = _best_match(c.points(), outer, holes)
        if best is not None and best.role is not None:
            c.role = Role(c.role.type, best.role.side)
            c.evidence.append(
                Evidence(Source.CONTENT, f"{score:.0%} of its openings sit on pads of {best.path}")
            )
    for c in cands:
        if c.role is None or c.role.type != "silkscreen" or c.role.side in ("top", "bottom"):
            continue
        side = _silk_side(c, outer, holes)
        c.role = Role("silkscreen", side)
        c.evidence.append(
            Evidence(Source.CONTENT, f"component outlines around the {side} side's surface-mount pads")
        )


def _best_match(
    points: NDArray[np.float64], outer: list[Candidate], holes: NDArray[np.float64]
) -> tuple[Candidate | None, float]:
    best, best_score = None, 0.0
    for c in outer:
        smd = _smd(c.points(), holes)
        score = coincide(points, smd) if len(smd) else 0.0
        if score > best_score:
            best, best_score = c, score
    return best, best_score


def _silk_side(c: Candidate, outer: list[Candidate], holes: NDArray[np.float64]) -> Side:
    if c.data is None or not outer:
        return "top"
    mids = (
        np.array([st.points[len(st.points) // 2] for st in c.data.strokes])
        if c.data.strokes
        else np.zeros((0, 2))
    )
    scores: dict[Side, float] = {}
    for o in outer:
        smd = _smd(o.points(), holes)
        if len(smd) == 0 or len(mids) == 0 or o.role is None:
            continue
        d, _ = cKDTree(mids).query(smd, distance_upper_bound=3.0)
        scores[o.role.side] = max(scores.get(o.role.side, 0.0), float(np.isfinite(d).mean()))
    if not scores:
        return "top"
    return max(scores, key=lambda s: scores[s])


def _side_copper(cands: list[Candidate], copper: list[Candidate], holes: NDArray[np.float64]) -> None:
    """Outer copper carries surface-mount pads that a mask opens; inner copper only via and hole pads."""
    masks = [c for c in cands if c.role is not None and c.role.type in ("soldermask", "solderpaste")]
    smd_counts = {c.path: len(_smd(c.points(), holes)) for c in copper}
    mask_match = {
        c.path: max((coincide(_smd(c.points(), holes), m.points()) for m in masks), default=0.0)
        for c in copper
    }
    ranked = sorted(copper, key=lambda c: (mask_match[c.path], smd_counts[c.path]), reverse=True)
    sided = {c.path for c in copper if c.role is not None and c.role.side in ("top", "bottom")}
    taken = {c.role.side for c in copper if c.role is not None and c.role.side in ("top", "bottom")}
    free: list[Side] = [s for s in ("top", "bottom") if s not in taken]
    for c in ranked:
        if c.path in sided or c.role is None:
            continue
        if len(copper) == 1:
            side: Side = "top"
        elif free and (mask_match[c.path] > 0.2 or smd_counts[c.path] > 0 or len(copper) == 2):
            # More surface-mount pads means the component side, by the overwhelmingly common convention.
            side = free.pop(0)
        else:
            side = "inner"
        c.role = Role("copper", side)
        c.evidence.append(
            Evidence(
                Source.CONTENT,
                f"{smd_counts[c.path]} surface-mount pads"
                + (f", {mask_match[c.path]:.0%} under mask openings" if masks else "")
                + f": {side} copper",
            )
        )


_NUMBER = re.compile(r"(?<![a-z])(?:l|layer|in|inner|group|g|gp|ly|lyr)[ _-]?0*(\d{1,2})(?!\d)", re.I)


def _number_from(c: Candidate) -> int | None:
    if c.number is not None:
        return c.number
    if c.header.physical_order is not None:
        return c.header.physical_order
    for text in [*c.header.names, c.path.rsplit("/", 1)[-1]]:
        m = _NUMBER.search(text)
        if m:
            return int(m.group(1))
    return None


def _allegro_stack(cands: list[Candidate]) -> list[str]:
    """Allegro lists every etch subclass in stack order inside each film's header."""
    for c in cands:
        for cls in ("VIA KEEPOUT", "ROUTE KEEPOUT", "CONSTRAINT REGION"):
            subs = [
                layer.split("/", 1)[1] for layer in c.header.allegro_layers if layer.startswith(cls + "/")
            ]
            subs = [
                s
                for s in subs
                if s not in ("ALL", "OUTER_LAYERS", "INNER_SIGNAL_LAYERS", "INNER_PLANE_LAYERS")
            ]
            if "TOP" in subs and "BOTTOM" in subs and len(subs) >= 2:
                return subs if subs.index("TOP") < subs.index("BOTTOM") else subs[::-1]
    return []


def order_copper(cands: list[Candidate]) -> list[Candidate]:
    """Number the copper layers 1 (top) to N (bottom); returns them in stack order."""
    copper = _copper(cands)
    if not copper:
        return []
    if len(copper) == 1:
        c = copper[0]
        assert c.role is not None
        c.role = c.role.with_index(1)
        return copper
    stack = _allegro_stack(cands)
    top = [c for c in copper if c.role is not None and c.role.side == "top"]
    bottom = [c for c in copper if c.role is not None and c.role.side == "bottom"]
    inner = [c for c in copper if c.role is not None and c.role.side == "inner"]

    def key(c: Candidate) -> tuple[int, float, str]:
        etch = next(
            (layer.split("/", 1)[1] for layer in c.header.allegro_layers if layer.startswith("ETCH/")), None
        )
        if stack and etch in stack:
            return (0, stack.index(etch), c.path)
        if c.role is not None and c.role.index is not None:
            return (0, c.role.index, c.path)
        number = _number_from(c)
        if number is not None:
            return (1, number, c.path)
        return (2, 0, c.path)

    inner.sort(key=key)
    ordered = top + inner + bottom
    for i, c in enumerate(ordered, start=1):
        assert c.role is not None
        if c.role.index != i:
            c.role = c.role.with_index(i)
        if c.role.side == "inner" and key(c)[0] == 2:
            c.evidence.append(
                Evidence(Source.CONTENT, "inner layer order not stated by the files; taken from names")
            )
    return ordered


def resolve_plating(cands: list[Candidate]) -> None:
    """Plating of drill files the files do not state, from the tools and from sibling files."""
    drills = [c for c in cands if c.role is not None and c.role.type == "drill"]
    for c in drills:
        if c.role is None or c.role.plating is not None:
            continue
        if c.header.plating:
            c.role = Role("drill", "all", plating=c.header.plating)
            c.evidence.append(Evidence(Source.CONTENT, f"drill header states {c.header.plating} holes"))
            continue
        tools = {h.plated for h in c.data.holes} | {s.plated for s in c.data.slots} if c.data else set()
        if tools and None not in tools:
            plating = "plated" if tools == {True} else "non-plated" if tools == {False} else "mixed"
            c.role = Role("drill", "all", plating=plating)  # type: ignore[arg-type]
            c.evidence.append(Evidence(Source.CONTENT, f"tool definitions mark the holes {plating}"))
    explicit_np = [c for c in drills if c.role is not None and c.role.plating == "non-plated"]
    for c in drills:
        if c.role is None or c.role.plating is not None:
            continue
        if c.data is not None and c.data.slots and not c.data.holes:
            # Routing is milled after plating unless a file says otherwise (plated slots are
            # declared: ;TYPE=PLATED, ContourPlated, X2 Plated,...,Rout).
            c.role = Role("drill", "all", plating="non-plated")
            c.evidence.append(
                Evidence(
                    Source.CONTENT,
                    "routed paths only, plating not stated: milled after plating, so non-plated",
                )
            )
        elif explicit_np:
            c.role = Role("drill", "all", plating="plated")
            c.evidence.append(
                Evidence(
                    Source.CONTENT,
                    f"non-plated holes are in {explicit_np[0].path}, so this file holds the plated ones",
                )
            )
        else:
            c.role = Role("drill", "all", plating="mixed")
            c.evidence.append(
                Evidence(Source.CONTENT, "plating not stated: taken as mixed (plated and non-plated)")
            )
