"""Cross-file decisions: sides, the copper stack, mask against paste, drills drawn as Gerber, plating.

Layers of one board share pad positions: a top mask opens over the top copper's pads, paste only
over its surface-mount pads, drill hits fall on the centres of through-hole and via pads. Those
coincidences decide what names and headers left open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from flyfab.cam.attributes import Header
from flyfab.cam.layerdata import LayerData
from flyfab.cam.model import Evidence, Role, Side, Source

PAD_TOLERANCE_MM = 0.05
DRILL_ALLOWANCE_MM = 0.15  # drilled against finished hole size: the plating and its allowance


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
    """Drill data drawn as Gerber: round flashes only, each on a pad of every outer copper layer (a
    through hole), and smaller than those pads. A mask over through-hole pads is as large as the
    pads or larger, and a mask or paste over surface-mount pads is not on both sides."""
    outer = [c for c in _copper(cands) if c.role is not None and c.role.side in ("top", "bottom", "none")]
    if not outer:
        return
    # Beside a drill program, a drawing of the drills repeats its holes at their sizes (finished
    # or drilled: within a plating allowance); a mask opening over a pad is wider than the hole.
    programs = [c for c in cands if c.kind == "excellon" and c.data is not None and len(c.points())]
    hole_at = cKDTree(np.vstack([c.points() for c in programs])) if programs else None
    hole_size = (
        np.concatenate([c.data.flash_sizes for c in programs if c.data is not None]) if programs else None
    )
    for c in cands:
        if (
            c.kind != "gerber"
            or c.data is None
            or (c.strength is not None and c.strength.rank <= Source.NAMING.rank)
        ):
            continue
        s = c.data.stats
        if s.flashes < 3 or s.strokes or s.regions or c.role is None or c.role.type == "copper":
            continue
        pts, sizes = c.points(), c.data.flash_sizes
        smaller_on_all = np.ones(len(pts), dtype=bool)
        for o in outer:
            if o.data is None or len(o.points()) == 0:
                smaller_on_all[:] = False
                break
            d, k = cKDTree(o.points()).query(pts, distance_upper_bound=PAD_TOLERANCE_MM)
            found = np.isfinite(d)
            pad = np.where(found, o.data.flash_sizes[np.minimum(k, len(o.points()) - 1)], 0.0)
            smaller_on_all &= found & (sizes < pad - 1e-6)
        if hole_at is not None and hole_size is not None:
            d, k = hole_at.query(pts, distance_upper_bound=PAD_TOLERANCE_MM)
            found = np.isfinite(d)
            drilled = np.where(found, hole_size[np.minimum(k, len(hole_size) - 1)], np.inf)
            smaller_on_all &= found & (np.abs(sizes - drilled) <= DRILL_ALLOWANCE_MM)
        if smaller_on_all.mean() > 0.9:
            c.set(
                Role("drill", "all"),
                Evidence(
                    Source.CONTENT,
                    "round flashes only, each inside a pad on every outer copper layer: "
                    "drill data drawn as Gerber",
                ),
            )


def _dark_area(c: Candidate) -> float:
    if c.data is None or c.data.islands is None or not len(c.data.islands):
        return 0.0
    return float(shapely.area(c.data.islands).sum())


def _over_holes(c: Candidate, holes: NDArray[np.float64]) -> bool:
    """Whether the layer opens over the drill holes (a fifth of them at least)."""
    return _near(c, holes, "soldermask") >= 0.2


def mask_or_paste(cands: list[Candidate]) -> None:
    """Per side, of the opening layers found by content the solder mask is the one that opens over
    the holes (component pins are never tented, a stencil never prints into a hole), and of those
    alike the widest: paste opens only the surface-mount pads, and no wider than them."""
    holes = _hole_points(cands)
    for side in ("top", "bottom"):
        openings = [
            c
            for c in cands
            if c.role is not None
            and c.role.side == side
            and c.strength is Source.CONTENT
            and c.role.type in ("soldermask", "solderpaste")
        ]
        if len(openings) < 2:
            continue
        openings.sort(key=lambda c: (_over_holes(c, holes), _dark_area(c)), reverse=True)
        for rank, c in enumerate(openings):
            kind = "soldermask" if rank == 0 else "solderpaste"
            if c.role is not None and c.role.type != kind:
                c.role = Role(kind, side)  # type: ignore[arg-type]
                c.evidence.append(
                    Evidence(
                        Source.CONTENT,
                        "the widest openings of the " + side + " side are the "
                        "mask; narrower ones over the same pads are paste",
                    )
                )


def assign_sides(cands: list[Candidate]) -> None:
    """Give sides to copper, mask, paste and silkscreen that have none, from shared pad positions.

    Surface-mount pads decide: they are on one side only, and that side's mask and paste open
    over them and its legend is drawn around them. Where nothing decides (a through-hole board),
    the side with more on it is the top, where components and their legend usually are."""
    holes = _hole_points(cands)
    copper = _copper(cands)
    if any(c.role is not None and c.role.side == "none" for c in copper):
        _side_copper(cands, copper, holes)
    outer = {c.role.side: c for c in copper if c.role is not None and c.role.side in ("top", "bottom")}
    smd = {side: _smd(c.points(), holes) for side, c in outer.items()}
    for kind in ("soldermask", "solderpaste", "silkscreen"):
        layers = [
            c
            for c in cands
            if c.role is not None and c.role.type == kind and c.role.side not in ("top", "bottom")
        ]
        if not layers:
            continue
        taken: set[str] = {str(c.role.side) for c in cands if c.role is not None and c.role.type == kind}
        taken &= {"top", "bottom"}
        scored: list[tuple[Candidate, dict[str, float]]] = []
        for c in layers:
            scores: dict[str, float] = {side: _near(c, pads, kind) for side, pads in smd.items() if len(pads)}
            scored.append((c, scores))
        # Most decisive first; the other side goes to the next one.
        scored.sort(key=lambda cs: max(cs[1].values(), default=0.0), reverse=True)
        for c, scores in scored:
            free = [side for side in ("top", "bottom") if side not in taken] or ["top", "bottom"]
            best: str = max(free, key=lambda side: scores.get(side, -1.0))
            if scores.get(best, 0.0) > 0.05 and max(scores.values(), default=0.0) == scores.get(best):
                why = f"{scores[best]:.0%} of the {best} side's surface-mount pads under or beside it"
            else:
                best = _by_amount(c, layers, free)
                why = "pads do not tell the side: the layer with more on it is taken as the top"
            assert c.role is not None
            c.role = Role(kind, best)  # type: ignore[arg-type]
            c.evidence.append(Evidence(Source.CONTENT, why))
            taken.add(best)


def _near(c: Candidate, pads: NDArray[np.float64], kind: str) -> float:
    """How much of one side's surface-mount pads this layer covers (mask, paste) or outlines (silk)."""
    if c.data is None or len(pads) == 0:
        return 0.0
    if kind == "silkscreen":
        mids = np.array([st.points[len(st.points) // 2] for st in c.data.strokes]).reshape(-1, 2)
        if len(mids) == 0:
            return 0.0
        d, _ = cKDTree(mids).query(pads, distance_upper_bound=3.0)
        return float(np.isfinite(d).mean())
    if c.data.islands is not None and len(c.data.islands):
        area = shapely.MultiPolygon(list(c.data.islands))
        shapely.prepare(area)
        return float(shapely.contains_xy(area, pads[:, 0], pads[:, 1]).mean())
    return coincide(pads, c.points())


def _by_amount(c: Candidate, layers: list[Candidate], free: list[str]) -> Side:
    if len(free) == 1:
        return free[0]  # type: ignore[return-value]
    mine = c.data.stats.objects if c.data is not None else 0
    others = [o.data.stats.objects for o in layers if o is not c and o.data is not None]
    return "top" if not others or mine >= max(others) else "bottom"


def _side_copper(cands: list[Candidate], copper: list[Candidate], holes: NDArray[np.float64]) -> None:
    """Outer copper carries surface-mount pads that a mask opens; inner copper only via and hole pads."""
    masks = [c for c in cands if c.role is not None and c.role.type in ("soldermask", "solderpaste")]
    smd_counts = {c.path: len(_smd(c.points(), holes)) for c in copper}
    mask_match = {
        c.path: max(
            (_near(m, _smd(c.points(), holes), m.role.type if m.role else "soldermask") for m in masks),
            default=0.0,
        )
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
            # A single copper layer with only through-hole pads is the solder side of a
            # through-hole board; with surface-mount pads it is the side the parts sit on.
            side: Side = "top" if smd_counts[c.path] > 0 else "bottom"
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


def _plating_from_pads(cands: list[Candidate], drills: list[Candidate]) -> None:
    """Tools split their holes into files by plating; when several drill files state nothing, the
    one whose holes all sit in pads on every outer copper layer holds the plated holes, the one
    whose holes touch no pad the non-plated ones. (A single such file stays "mixed": nothing says
    its holes were meant to be split.)"""
    unknown = [
        c
        for c in drills
        if c.role is not None
        and c.role.plating is None
        and c.data is not None
        and c.data.holes
        and not c.header.plating
    ]
    if len(unknown) < 2:
        return
    outer = [c for c in _copper(cands) if c.role is not None and c.role.side in ("top", "bottom")]
    if not outer:
        return
    for c in unknown:
        assert c.data is not None
        holes = c.points()
        on_all = np.ones(len(holes), dtype=bool)
        on_any = np.zeros(len(holes), dtype=bool)
        for o in outer:
            pads = o.points()
            hit = (
                np.isfinite(cKDTree(pads).query(holes, distance_upper_bound=PAD_TOLERANCE_MM)[0])
                if len(pads)
                else np.zeros(len(holes), dtype=bool)
            )
            on_all &= hit
            on_any |= hit
        if on_all.all():
            c.role = Role("drill", "all", plating="plated")
            c.evidence.append(
                Evidence(Source.CONTENT, "every hole sits in a pad on both sides: plated holes")
            )
        elif not on_any.any():
            c.role = Role("drill", "all", plating="non-plated")
            c.evidence.append(Evidence(Source.CONTENT, "no hole touches a copper pad: non-plated holes"))


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
    _plating_from_pads(cands, drills)
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
