"""Board facts for pricing from an analysed upload and its DFM verdict.

The one place where pricing meets the CAM and DFM objects; the price itself sees only `BoardFacts`.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import shapely

from flyfab.cam.analyze import Analysis
from flyfab.dfm.checks import DfmReport
from flyfab.dfm.measure import all_holes
from flyfab.pricing.facts import BoardFacts

# A hole stated as plated whose centre lies this close to the board edge, as a share of its radius,
# is cut by the edge: a castellated (half) hole. A row of at least three makes the board
# castellated; fewer, or holes of unstated plating, are as likely connector or mouse-bite holes.
CASTELLATION_SHARE = 0.5
CASTELLATED_MIN = 3


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def _smallest(values: list[float | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return _dec(min(known)) if known else None


def castellated_holes(a: Analysis) -> int:
    """Holes stated as plated that the board's outer edge cuts in half."""
    outline = a.board.outline
    if outline is None:
        return 0
    plated = [h for _, h, p in all_holes(a) if p is True and h.d > 0]
    if not plated:
        return 0
    edge = shapely.MultiPolygon(outline.exteriors).boundary
    points = shapely.points(np.array([(h.x, h.y) for h in plated]))
    distance = shapely.distance(points, edge)
    radius = np.array([h.d / 2 for h in plated])
    return int(np.count_nonzero(distance < CASTELLATION_SHARE * radius))


def _reason(message: str, upgrade_to: str | None, layer: str | None, count: int) -> str:
    text = message.removesuffix(f"; the {upgrade_to} class can build it") if upgrade_to else message
    where = f" on {layer}" if layer else ""
    return f"{text}{where} ({count} place{'s' if count != 1 else ''})"


def board_facts(a: Analysis, report: DfmReport) -> BoardFacts:
    """What pricing needs of an analysed board; `report` is DFM against the plainest class."""
    b = a.board
    d = a.drills
    upgrades = [f for f in report.findings if f.severity == "upgrade"]
    errors = [f for f in report.findings if f.severity == "error"]
    classes = list(report.classes)
    min_class = report.min_class
    if min_class is None and classes:
        # No class builds it all: the class that builds what can be built, for the price.
        ranks = [classes.index(f.upgrade_to) for f in upgrades if f.upgrade_to in classes]
        min_class = classes[max(ranks, default=0)]
    hints = {"castellated"} if castellated_holes(a) >= CASTELLATED_MIN else set()
    return BoardFacts(
        width_mm=_dec(b.width_mm) or Decimal(0),
        height_mm=_dec(b.height_mm) or Decimal(0),
        layers=b.copper_layers,
        holes=d.total_holes,
        plated_holes=d.plated_holes + d.unknown_plating_holes,
        slots=d.total_slots,
        smallest_hole_mm=_dec(d.smallest_hole_mm),
        min_trace_mm=_smallest([f.min_trace_width_mm for f in a.features]),
        min_gap_mm=_smallest([f.min_gap_mm for f in a.features]),
        min_class=min_class,
        classes=tuple(classes),
        class_reasons=tuple(_reason(f.message, f.upgrade_to, f.layer, f.count) for f in upgrades),
        unbuildable=tuple(_reason(f.message, None, f.layer, f.count) for f in errors),
        hints=frozenset(hints),
        name=a.name,
    )
