"""The vocabulary of fabrication data: layer roles, the evidence for them, and problems.

The words are those of ../shared/DESIGN.md and the corpus truth: a file's role is its `type`
(copper, soldermask, silkscreen, solderpaste, drill, outline, other), its `side` (top, bottom,
inner, all, none), for copper its `index` in the stack (1 = top) and for drills its `plating`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

LayerType = Literal["copper", "soldermask", "silkscreen", "solderpaste", "drill", "outline", "other"]
Side = Literal["top", "bottom", "inner", "all", "none"]
Plating = Literal["plated", "non-plated", "mixed"]

LAYER_TYPES: tuple[LayerType, ...] = (
    "copper",
    "soldermask",
    "silkscreen",
    "solderpaste",
    "drill",
    "outline",
    "other",
)
SIDES: tuple[Side, ...] = ("top", "bottom", "inner", "all", "none")
PLATINGS: tuple[Plating, ...] = ("plated", "non-plated", "mixed")


class Source(StrEnum):
    """Where a piece of evidence comes from, strongest first."""

    CUSTOMER = "customer"  # the customer corrected the role after seeing the analysis
    X2 = "x2"  # a Gerber X2 file attribute or an Excellon TF comment written by the CAD tool
    JOB = "job"  # a Gerber job file (.gbrjob) naming the file
    NAMING = "naming"  # a CAD tool's file-naming convention
    CONTENT = "content"  # what the file holds: header texts, drawing statistics, pairing with other layers

    @property
    def rank(self) -> int:
        return list(Source).index(self)


@dataclass(frozen=True)
class Role:
    type: LayerType
    side: Side
    index: int | None = None
    plating: Plating | None = None

    def with_index(self, index: int | None) -> Role:
        return replace(self, index=index)

    def label(self) -> str:
        if self.type == "copper":
            where = {"top": "top", "bottom": "bottom", "inner": "inner"}.get(self.side, self.side)
            return f"{where} copper" + (f" (L{self.index})" if self.index else "")
        if self.type == "drill":
            return f"drill ({self.plating or 'plating unknown'})"
        if self.side in ("top", "bottom"):
            return f"{self.side} {self.type}"
        return self.type


@dataclass(frozen=True)
class Evidence:
    """One reason for a role, in words a CAM engineer would accept."""

    source: Source
    detail: str
    tool: str | None = None  # the CAD tool whose convention or signature it is

    def text(self) -> str:
        who = f" ({self.tool})" if self.tool else ""
        return f"{self.source.value}{who}: {self.detail}"


class Severity(StrEnum):
    ERROR = "error"  # the file could not be used
    WARNING = "warning"  # the file was used, but something about it needs a look


@dataclass(frozen=True)
class Problem:
    path: str | None  # relative to the upload root; None for the upload as a whole
    message: str
    severity: Severity = Severity.ERROR
    code: str = "unreadable"


@dataclass
class Identified:
    """A file's role with all the evidence that led to it."""

    path: str
    role: Role
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def source(self) -> Source:
        return min((e.source for e in self.evidence), key=lambda s: s.rank, default=Source.CONTENT)
