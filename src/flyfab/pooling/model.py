"""The words of pooling: orders, their process parameters, panels, placements, what could not be pooled."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Process:
    """The process parameters that decide which orders can share a panel: a panel is laminated,
    plated, masked, printed and finished as one, so all of them must match."""

    layers: int = 2  # copper layers
    thickness_mm: float = 1.6
    copper_oz: float = 1.0  # outer layers
    inner_copper_oz: float | None = None  # only for more than 2 layers
    finish: str = "hasl"
    mask: str = "green"
    silkscreen: str = "white"
    klass: str = "standard"  # capability class (from DFM); "class" in order files
    material: str = "fr4"

    def label(self) -> str:
        inner = f"/{self.inner_copper_oz:g}" if self.inner_copper_oz is not None else ""
        return (
            f"{self.layers}L {self.thickness_mm:g}mm {self.copper_oz:g}{inner}oz {self.finish} "
            f"{self.mask}/{self.silkscreen} {self.klass} {self.material}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "layers": self.layers,
            "thickness_mm": self.thickness_mm,
            "copper_oz": self.copper_oz,
            "inner_copper_oz": self.inner_copper_oz,
            "finish": self.finish,
            "mask": self.mask,
            "silkscreen": self.silkscreen,
            "class": self.klass,
            "material": self.material,
        }


@dataclass
class Order:
    id: str
    width_mm: float  # the board's outline extents
    height_mm: float
    quantity: int
    due: date
    process: Process
    board: Path | None = None  # fabrication files, when the size was read from them
    group: str | None = None  # a named group whose orders must share panels (e.g. a customer's batch)
    index: int = 0  # position in the input, for stable ordering


@dataclass(frozen=True)
class Rejected:
    """An order (or some of its copies) that was not pooled, and why, in words a planner can act on."""

    order: str
    reason: str
    code: (
        str  # bad-size, bad-quantity, too-large, bad-params, group-mismatch, past-due, unreadable-board, ...
    )


@dataclass(frozen=True)
class Mark:
    """Something the factory puts in a panel's frame: a tooling hole, a fiducial, the panel id."""

    kind: str  # "tooling-hole", "fiducial" or "panel-id"
    x_mm: float  # centre (holes, fiducials) or lower-left corner (panel id), panel coordinates
    y_mm: float
    diameter_mm: float  # hole or copper dot diameter; text height for the panel id
    keep_out_mm: float  # side of the square around it that boards must stay out of (0: none)


@dataclass(frozen=True)
class PanelSize:
    width_mm: float
    height_mm: float

    @property
    def area(self) -> float:
        return self.width_mm * self.height_mm

    def label(self) -> str:
        return f"{self.width_mm:g}x{self.height_mm:g}"


@dataclass(frozen=True)
class Placement:
    order: str
    copy: int  # 1..quantity (+ overage)
    x_mm: float  # lower-left corner of the board as placed, panel coordinates
    y_mm: float
    width_mm: float  # as placed (swapped when rotated)
    height_mm: float
    rotated: bool  # turned 90° counter-clockwise about its lower-left corner, then moved


@dataclass
class Panel:
    id: str
    size: PanelSize
    frame_mm: float
    spacing_mm: float
    process: Process
    placements: list[Placement]
    due: date  # the earliest due date of its orders
    group: int  # index of its group of compatible orders
    marks: list[Mark] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def board_area(self) -> float:
        return sum(p.width_mm * p.height_mm for p in self.placements)

    @property
    def utilisation(self) -> float:
        """Board area over the whole panel area."""
        return self.board_area / self.size.area

    def orders(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.placements:
            seen.setdefault(p.order, None)
        return list(seen)
