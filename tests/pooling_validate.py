"""An independent check of panel layouts: plain Python over the JSON-like result, no code shared with
the packer (no free rectangles, no numpy), so that a packer bug cannot hide itself.

- every board inside the usable area (inside the frame);
- no two boards closer than the spacing, and boards the spacing away from keep-outs;
- every copy of every order placed exactly once, with the order's size (turned when rotated);
- the deadline rule, within each group of compatible orders: an order due earlier is never on a
  later panel because a board due later took its room — for every panel before the last one holding
  a copy of order A, a board of A's size does not fit into that panel once the boards due later
  than A are taken off it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TOL = 1e-6


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


def apart(a: Box, b: Box, gap: float) -> bool:
    """The two rectangles are at least `gap` apart along x or along y (touching allowed at gap 0)."""
    return (
        a.x + a.w + gap <= b.x + TOL
        or b.x + b.w + gap <= a.x + TOL
        or a.y + a.h + gap <= b.y + TOL
        or b.y + b.h + gap <= a.y + TOL
    )


def layout_errors(
    panels: list[dict],  # type: ignore[type-arg]
    sizes: dict[str, tuple[float, float]],  # order -> (width, height)
    copies: dict[str, int],  # order -> copies expected
    keep_outs: Iterable[Box] = (),
) -> list[str]:
    errors: list[str] = []
    seen: dict[tuple[str, int], str] = {}
    keep = list(keep_outs)
    for p in panels:
        f, s = p["frame_mm"], p["spacing_mm"]
        W, H = p["width_mm"], p["height_mm"]
        boxes = []
        for q in p["placements"]:
            key = (q["order"], q["copy"])
            if key in seen:
                errors.append(f"{key} placed twice ({seen[key]} and {p['id']})")
            seen[key] = p["id"]
            w, h = sizes[q["order"]]
            want = (h, w) if q["rotated"] else (w, h)
            if abs(q["width_mm"] - want[0]) > TOL or abs(q["height_mm"] - want[1]) > TOL:
                errors.append(
                    f"{key} on {p['id']} has size {q['width_mm']}×{q['height_mm']}, expected {want}"
                )
            b = Box(q["x_mm"], q["y_mm"], q["width_mm"], q["height_mm"])
            if b.x < f - TOL or b.y < f - TOL or b.x + b.w > W - f + TOL or b.y + b.h > H - f + TOL:
                errors.append(f"{key} on {p['id']} at {b} is outside the usable area")
            for k in keep:
                if not apart(b, k, s):
                    errors.append(f"{key} on {p['id']} at {b} is closer than {s} to keep-out {k}")
            boxes.append((key, b))
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if not apart(boxes[i][1], boxes[j][1], s):
                    errors.append(f"{boxes[i][0]} and {boxes[j][0]} on {p['id']} closer than {s} mm")
    for order, n in copies.items():
        for c in range(1, n + 1):
            if (order, c) not in seen:
                errors.append(f"copy {c} of {order} is not placed")
    for order, c in seen:
        if c > copies.get(order, 0):
            errors.append(f"copy {c} of {order} is one too many")
    return errors


def fits_among(w: float, h: float, boxes: list[Box], area: Box, gap: float) -> bool:
    """Can a w × h board go somewhere in `area` keeping `gap` from every box? A feasible position can
    be slid left and down until it rests on the area's edge or a box's far side plus the gap, so only
    those corner candidates need trying."""
    xs = {area.x} | {b.x + b.w + gap for b in boxes}
    ys = {area.y} | {b.y + b.h + gap for b in boxes}
    for x in xs:
        if x + w > area.x + area.w + TOL:
            continue
        for y in ys:
            if y + h > area.y + area.h + TOL:
                continue
            cand = Box(x, y, w, h)
            if all(apart(cand, b, gap) for b in boxes):
                return True
    return False


def deadline_errors(
    panels: list[dict],  # type: ignore[type-arg]  # in production order
    sizes: dict[str, tuple[float, float]],
    dues: dict[str, str],
    rotation: bool,
    keep_outs: Iterable[Box] = (),
) -> list[str]:
    errors = []
    keep = list(keep_outs)
    last: dict[str, int] = {}
    group: dict[str, object] = {}
    for i, p in enumerate(panels):
        for q in p["placements"]:
            last[q["order"]] = i
            group[q["order"]] = p.get("group")
    for order, k in last.items():
        w, h = sizes[order]
        for i in range(k):
            p = panels[i]
            if p.get("group") != group[order]:
                continue  # other process parameters: the order cannot go there anyway
            f, s = p["frame_mm"], p["spacing_mm"]
            area = Box(f, f, p["width_mm"] - 2 * f, p["height_mm"] - 2 * f)
            earlier = [
                Box(q["x_mm"], q["y_mm"], q["width_mm"], q["height_mm"])
                for q in p["placements"]
                if dues[q["order"]] <= dues[order]
            ]
            later = [q for q in p["placements"] if dues[q["order"]] > dues[order]]
            if not later:
                continue
            orientations = [(w, h), (h, w)] if rotation else [(w, h)]
            if any(fits_among(a, b, earlier + keep, area, s) for a, b in orientations):
                errors.append(
                    f"{order} (due {dues[order]}) has a copy on panel {k + 1} but would fit on panel {i + 1} "
                    f"without the boards due later there ({', '.join(sorted({q['order'] for q in later}))})"
                )
    return errors
