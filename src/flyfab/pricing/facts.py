"""What pricing needs to know about a board, and nothing more.

`BoardFacts` is filled from the analysis and the DFM verdict by `flyfab.pricing.from_analysis`; the
price itself is computed from these facts alone, so it can be computed and tested without parsing
a board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flyfab.pricing.book import AREA_UNITS


@dataclass(frozen=True)
class BoardFacts:
    width_mm: Decimal  # extents of the outline: the rectangle the board takes on a panel
    height_mm: Decimal
    layers: int  # copper layers
    holes: int = 0  # drilled holes (hits), all files
    plated_holes: int = 0  # plated or of unknown plating (the factory plates those)
    slots: int = 0
    smallest_hole_mm: Decimal | None = None
    min_trace_mm: Decimal | None = None  # narrowest copper on any layer (None: not measured)
    min_gap_mm: Decimal | None = None  # closest copper on any layer
    # The plainest capability class that builds everything DFM found buildable (None: not checked);
    # the findings that force it above the plainest; the findings no class can build (empty:
    # buildable; otherwise the order waits for an engineer's review).
    min_class: str | None = None
    classes: tuple[str, ...] = ()  # the capability classes, plainest first
    class_reasons: tuple[str, ...] = ()
    unbuildable: tuple[str, ...] = ()
    hints: frozenset[str] = field(default_factory=frozenset)  # features seen on the board: "castellated"
    name: str = ""

    @property
    def short_long_mm(self) -> tuple[Decimal, Decimal]:
        short, long = sorted((self.width_mm, self.height_mm))
        return short, long

    @property
    def area_mm2(self) -> Decimal:
        return self.width_mm * self.height_mm

    @property
    def area_m2(self) -> Decimal:
        return self.area_mm2 / AREA_UNITS["m2"]

    @property
    def min_feature_mm(self) -> Decimal | None:
        known = [v for v in (self.min_trace_mm, self.min_gap_mm) if v is not None]
        return min(known) if known else None
