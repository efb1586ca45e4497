"""Pooling: compatible orders onto shared production panels.

1. Group: orders whose process parameters match (model.Process) may share a panel; within a group
   boards are nested in due-date tiers, so that an order due earlier is never moved to a later panel
   in favour of one due later; panels of all groups are released (numbered) by due date.
2. Copies: each order's quantity plus the factory's overage for yield.
3. Nest each group onto each configured panel size (nesting.py), keep the size that needs the least
   panel area, then give the last panel the smallest size that still holds what it carries.
4. Keep each order's copies together where that costs nothing: copies of the same size and due date
   are interchangeable, so their slots are handed out order by order, panel by panel.

Boards are placed by their outline's bounding box (what `analyze` measures as width × height); real
outlines are not nested into each other's concavities.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from flyfab.pooling.bounds import Bound
from flyfab.pooling.model import Mark, Order, Panel, PanelSize, Placement, Process, Rejected
from flyfab.pooling.nesting import Nesting, Sheet, nest
from flyfab.pooling.portfolio import nest_on_cores
from flyfab.pooling.settings import PoolSettings

Progress = Callable[[int, int], None]


@dataclass
class GroupResult:
    index: int
    process: Process
    orders: list[str]
    size: PanelSize
    panels: list[Panel]
    bound: Bound  # on panels of `size`
    seconds: float
    method: str
    decodes: int


@dataclass
class PoolResult:
    panels: list[Panel] = field(default_factory=list)
    groups: list[GroupResult] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lower_bound(self) -> int:
        return sum(g.bound.best for g in self.groups)

    @property
    def area_bound(self) -> int:
        return sum(g.bound.area for g in self.groups)


def marks_for(size: PanelSize, frame: float, settings: PoolSettings) -> tuple[list[Mark], list[str]]:
    """Tooling holes, fiducials and the panel id, centred in the frame; a mark whose keep-out is wider
    than the frame is left out, and the note says so."""
    m = settings.marks
    W, H, c = size.width_mm, size.height_mm, frame / 2
    marks: list[Mark] = []
    notes: list[str] = []
    if frame >= m.tooling_keep_out_mm:
        # Three corners and one off-corner hole, so that the panel only goes onto the pins one way.
        for x, y in ((c, c), (W - c, c), (c, H - c), (W - c - 4 * frame, H - c)):
            marks.append(Mark("tooling-hole", x, y, m.tooling_hole_mm, m.tooling_keep_out_mm))
    else:
        notes.append(
            f"no tooling holes: a {frame:g} mm frame is narrower than their "
            f"{m.tooling_keep_out_mm:g} mm keep-out"
        )
    if frame >= m.fiducial_keep_out_mm:
        for x, y in ((c + 2 * frame, c), (W - c - 2 * frame, c), (c + 2 * frame, H - c)):
            marks.append(Mark("fiducial", x, y, m.fiducial_mm, m.fiducial_keep_out_mm))
    else:
        notes.append(
            f"no fiducials: a {frame:g} mm frame is narrower than their "
            f"{m.fiducial_keep_out_mm:g} mm keep-out"
        )
    if frame >= m.panel_id_height_mm + 1:
        marks.append(Mark("panel-id", c + 4 * frame, c - m.panel_id_height_mm / 2, m.panel_id_height_mm, 0.0))
    else:
        notes.append(
            f"no panel id marking: a {frame:g} mm frame cannot hold {m.panel_id_height_mm:g} mm text"
        )
    return marks, notes


def _keep_outs(
    size: PanelSize, frame: float, marks: list[Mark], settings: PoolSettings
) -> list[tuple[float, float, float, float]]:
    """Keep-outs (panel coordinates) that reach into the usable area: the configured ones, and marks."""
    boxes = list(settings.keep_outs)
    for mk in marks:
        if mk.keep_out_mm > 0:
            k = mk.keep_out_mm
            boxes.append((mk.x_mm - k / 2, mk.y_mm - k / 2, k, k))
    x1, y1 = size.width_mm - frame, size.height_mm - frame
    return [b for b in boxes if b[0] < x1 and b[0] + b[2] > frame and b[1] < y1 and b[1] + b[3] > frame]


def sheet_for(
    size: PanelSize, settings: PoolSettings, frame: float, spacing: float
) -> tuple[Sheet, list[Mark], list[str]]:
    """The nesting area: the usable area (inside the frame) enlarged by the spacing, as every board
    is; keep-outs in its coordinates, grown by the spacing so that boards keep the routing gap."""
    marks, notes = marks_for(size, frame, settings)
    keep = [
        (x - frame, y - frame, w + spacing, h + spacing)
        for x, y, w, h in _keep_outs(size, frame, marks, settings)
    ]
    sheet = Sheet(size.width_mm - 2 * frame + spacing, size.height_mm - 2 * frame + spacing, keep)
    return sheet, marks, notes


@dataclass
class _Copies:
    order: list[Order]  # per board copy
    w: np.ndarray
    h: np.ndarray
    tier: np.ndarray


def _copies(orders: list[Order], settings: PoolSettings) -> _Copies:
    dues = sorted({o.due for o in orders})
    rank = {d: i for i, d in enumerate(dues)}
    owner: list[Order] = []
    for o in sorted(orders, key=lambda o: (o.due, o.index)):
        owner += [o] * settings.copies(o.quantity)
    w = np.array([o.width_mm for o in owner], dtype=np.float64)
    h = np.array([o.height_mm for o in owner], dtype=np.float64)
    tier = np.array([rank[o.due] for o in owner], dtype=np.int64)
    return _Copies(owner, w, h, tier)


def _fits(order: Order, sheet: Sheet, spacing: float, rotation: bool) -> bool:
    w, h = order.width_mm + spacing, order.height_mm + spacing
    return sheet.fits_empty(w, h) or (rotation and sheet.fits_empty(h, w))


def pool(
    orders: list[Order],
    settings: PoolSettings,
    time_limit: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> PoolResult:
    """Pool the orders (already checked one by one, sizes known) onto panels."""
    started = time.perf_counter()
    result = PoolResult()
    frame, spacing = settings.frame_mm, settings.spacing_mm
    sheets = {size: sheet_for(size, settings, frame, spacing) for size in settings.sizes}
    groups: dict[Process, list[Order]] = {}
    for o in orders:
        fitting = [s for s in settings.sizes if _fits(o, sheets[s][0], spacing, settings.rotation)]
        if not fitting:
            result.rejected.append(_too_large(o, settings))
            continue
        groups.setdefault(o.process, []).append(o)
    ordered = sorted(groups.items(), key=lambda kv: min((o.due, o.index) for o in kv[1]))
    total_copies = sum(settings.copies(o.quantity) for _, g in ordered for o in g)
    for gi, (process, members) in enumerate(ordered):
        copies = sum(settings.copies(o.quantity) for o in members)
        budget = max(0.05, time_limit * copies / max(1, total_copies))
        group, rejected = _pool_group(gi, process, members, settings, sheets, budget, seed)
        result.rejected += rejected
        result.groups.append(group)
        result.panels += group.panels
        if progress is not None:
            progress(gi + 1, len(ordered))
    # Released by due date across groups; within a group panels already run in due-date order, and
    # the stable sort keeps that order.
    result.panels.sort(key=lambda p: (p.due, p.group))
    for number, panel in enumerate(result.panels, start=1):
        panel.id = f"P{number:03d}"
    result.seconds = time.perf_counter() - started
    return result


def _too_large(o: Order, settings: PoolSettings) -> Rejected:
    biggest = max(settings.sizes, key=lambda s: s.area)
    uw, uh = biggest.width_mm - 2 * settings.frame_mm, biggest.height_mm - 2 * settings.frame_mm
    turn = " even turned" if settings.rotation else ""
    return Rejected(
        o.id,
        f"the board ({o.width_mm:g} × {o.height_mm:g} mm) does not fit any panel{turn}: the largest, "
        f"{biggest.label()} mm, holds boards up to {uw:g} × {uh:g} mm inside its {settings.frame_mm:g} mm "
        "frame (less keep-outs); it needs a dedicated production route",
        "too-large",
    )


def _pool_group(
    gi: int,
    process: Process,
    members: list[Order],
    settings: PoolSettings,
    sheets: dict[PanelSize, tuple[Sheet, list[Mark], list[str]]],
    budget: float,
    seed: int,
) -> tuple[GroupResult, list[Rejected]]:
    started = time.perf_counter()
    spacing = settings.spacing_mm
    rejected: list[Rejected] = []
    sizes = [
        s for s in settings.sizes if all(_fits(o, sheets[s][0], spacing, settings.rotation) for o in members)
    ]
    if not sizes:
        # No size holds every order of the group: take the one that holds the most board area.
        def held(s: PanelSize) -> float:
            return sum(
                o.width_mm * o.height_mm * o.quantity
                for o in members
                if _fits(o, sheets[s][0], spacing, settings.rotation)
            )

        best_size = max(settings.sizes, key=held)
        keep = [o for o in members if _fits(o, sheets[best_size][0], spacing, settings.rotation)]
        for o in members:
            if o not in keep:
                rejected.append(
                    Rejected(
                        o.id,
                        f"the board ({o.width_mm:g} × {o.height_mm:g} mm) only fits panel sizes its "
                        f"compatible orders do not use ({best_size.label()} holds the most of them); "
                        "pool it separately",
                        "too-large",
                    )
                )
        members, sizes = keep, [best_size]
    copies = _copies(members, settings)
    w, h = copies.w + spacing, copies.h + spacing
    tried: list[tuple[float, int, PanelSize, Nesting]] = []
    for size in sizes:
        nesting = nest_on_cores(
            w, h, sheets[size][0], settings.rotation, budget / len(sizes), copies.tier, seed
        )
        tried.append((nesting.panels * size.area, nesting.panels, size, nesting))
    _, _, size, nesting = min(tried, key=lambda t: (t[0], t[1]))
    sizes_of = [size] * nesting.panels
    layouts = dict.fromkeys(range(nesting.panels), (nesting.x, nesting.y, nesting.rotated))
    panel_of = nesting.panel.copy()
    last = nesting.panels - 1
    smaller = sorted((s for s in sizes if s.area < size.area), key=lambda s: s.area)
    idx = np.flatnonzero(panel_of == last)
    for s in smaller:
        alone = nest(
            w[idx], h[idx], sheets[s][0], settings.rotation, min(0.5, budget / 4), copies.tier[idx], seed
        )
        if alone.panels == 1:
            sizes_of[last] = s
            x, y, r = nesting.x.copy(), nesting.y.copy(), nesting.rotated.copy()
            x[idx], y[idx], r[idx] = alone.x, alone.y, alone.rotated
            layouts[last] = (x, y, r)
            break
    slots = _together(copies, panel_of, layouts)
    panels: list[Panel] = []
    frame = settings.frame_mm
    for p in range(nesting.panels):
        on = np.flatnonzero(panel_of == p)
        x, y, r = layouts[p]
        placements = []
        for i in on:
            order, copy = slots[i]
            bw, bh = (order.height_mm, order.width_mm) if r[i] else (order.width_mm, order.height_mm)
            placements.append(
                Placement(
                    order.id,
                    copy,
                    round(frame + float(x[i]), 4),
                    round(frame + float(y[i]), 4),
                    bw,
                    bh,
                    bool(r[i]),
                )
            )
        placements.sort(key=lambda pl: (pl.y_mm, pl.x_mm))
        _, marks, notes = sheets[sizes_of[p]]
        due = min(slots[i][0].due for i in on)
        panels.append(
            Panel("", sizes_of[p], frame, spacing, process, placements, due, gi, list(marks), list(notes))
        )
    group = GroupResult(
        gi,
        process,
        [o.id for o in sorted(members, key=lambda o: (o.due, o.index))],
        size,
        panels,
        nesting.bound,
        time.perf_counter() - started,
        nesting.method,
        nesting.decodes,
    )
    return group, rejected


def _together(
    copies: _Copies,
    panel_of: np.ndarray,
    layouts: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> list[tuple[Order, int]]:
    """Which order and copy number each nested board is. Boards of one size and due date are
    interchangeable, so their slots (panel, then bottom to top, left to right) go to the orders in
    turn: each order's copies end up next to each other, and no panel count changes."""
    slots: list[tuple[Order, int]] = [(copies.order[i], 0) for i in range(len(copies.order))]
    classes: dict[tuple[int, float, float], list[int]] = {}
    for i, o in enumerate(copies.order):
        key = (int(copies.tier[i]), round(o.width_mm, 6), round(o.height_mm, 6))
        classes.setdefault(key, []).append(i)
    for members in classes.values():
        where = sorted(
            members,
            key=lambda i: (
                int(panel_of[i]),
                round(float(layouts[int(panel_of[i])][1][i]), 3),
                round(float(layouts[int(panel_of[i])][0][i]), 3),
            ),
        )
        owners = sorted((copies.order[i] for i in members), key=lambda o: o.index)
        for slot, owner in zip(where, owners, strict=True):
            slots[slot] = (owner, 0)
    counter: dict[str, int] = {}
    out = []
    for order, _ in slots:
        counter[order.id] = counter.get(order.id, 0) + 1
        out.append((order, counter[order.id]))
    # Number copies in slot order so that copy 1, 2, ... run across the panel.
    by_order: dict[str, list[int]] = {}
    for i, (order, _) in enumerate(out):
        by_order.setdefault(order.id, []).append(i)
    for _order_id, idx in by_order.items():
        idx.sort(
            key=lambda i: (
                int(panel_of[i]),
                float(layouts[int(panel_of[i])][1][i]),
                float(layouts[int(panel_of[i])][0][i]),
            )
        )
        for n, i in enumerate(idx, start=1):
            out[i] = (out[i][0], n)
    return out
