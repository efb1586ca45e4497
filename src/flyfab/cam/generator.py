"""Which software wrote the files: from X2 attributes, the job file, and tool signatures in headers.

Each file votes; the board's generator is the strongest vote. The signatures are the ones the tools
write themselves (comments, attribute values, the layout of their headers), not file names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from flyfab.cam.attributes import Header

# (tool, pattern over the header comments and attributes); the first match of a file wins.
SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("KiCad", re.compile(r"\bKiCad\b|\bPcbnew\b|\bKicad\b", re.I)),
    ("Fusion 360", re.compile(r"Fusion\s*360|Fusion Electronics", re.I)),
    ("Eagle", re.compile(r"\bEAGLE\b", re.I)),
    ("Altium", re.compile(r"Altium|Layer_Physical_Order|Layer_Color=|AMPARAMS", re.I)),
    ("Allegro", re.compile(r"Cadence Allegro|Allegro\s+\d|OrCAD PCB", re.I)),
    ("DipTrace", re.compile(r"DipTrace", re.I)),
    ("EasyEDA", re.compile(r"EasyEDA", re.I)),
    ("Fritzing", re.compile(r"FRITZING", re.I)),
    ("pcb-rnd", re.compile(r"pcb-rnd", re.I)),
    ("gEDA PCB", re.compile(r"\bgEDA\b|Creator:\s*pcb\b", re.I)),
    ("Mentor Graphics Xpedition", re.compile(r"Mentor Graphics|Xpedition|Expedition PCB", re.I)),
    ("TARGET 3001!", re.compile(r"TARGET\s*3001", re.I)),
    ("PADS", re.compile(r"\bPADS\b|PowerPCB", re.I)),
    ("Zuken", re.compile(r"Zuken|CR-?[58]000|CADSTAR", re.I)),
    ("P-CAD", re.compile(r"P-CAD", re.I)),
    ("Upverter", re.compile(r"Upverter", re.I)),
    ("Proteus", re.compile(r"Proteus|LABCENTER", re.I)),
    ("CircuitMaker", re.compile(r"CircuitMaker", re.I)),
)

# The Eagle CAM processor's RS-274X output has no tool name but an unmistakable opening.
_EAGLE_LAYOUT = re.compile(r"%OFA0B0\*%\s*%FSLAX\d\dY\d\d\*%\s*%IPPOS\*%|%AMOC8\*")
_COMPATIBLE = re.compile(r"[\s-]*compatible", re.I)
# gEDA/pcb-rnd title comment layout
_GEDA_TITLE = re.compile(r"G04 Title: [^*]*, [^*]*\*\s*G04 Creator: ")


@dataclass(frozen=True)
class Vote:
    tool: str
    evidence: str
    weight: int  # 3: the tool names itself in an attribute; 2: a signature comment; 1: a layout habit


def vote(header: Header, text: str) -> Vote | None:
    if header.generation_software:
        for tool, pattern in SIGNATURES:
            if pattern.search(header.generation_software):
                return Vote(tool, f"X2 GenerationSoftware {header.generation_software}", 3)
        return Vote(header.generation_software, "X2 GenerationSoftware", 3)
    comments = " | ".join(header.comments)
    for tool, pattern in SIGNATURES:
        # "Eagle compatible aperture list" names a format, not the writer.
        if any(not _COMPATIBLE.match(comments, m.end()) for m in pattern.finditer(comments)):
            return Vote(tool, "names the tool", 2)
    head = text[:4000]
    if _GEDA_TITLE.search(head):
        creator = re.search(r"G04 Creator: ([^*]*)\*", head)
        who = creator.group(1) if creator else ""
        return Vote("pcb-rnd" if "rnd" in who.lower() else "gEDA PCB", "Title/Creator header", 2)
    if _EAGLE_LAYOUT.search(head):
        return Vote("Eagle", "Eagle CAM processor header layout (%OFA0B0%/%IPPOS%/%AMOC8)", 1)
    return None


def board_generator(votes: Iterable[Vote | None], job_generator: str | None = None) -> str | None:
    """The job file's word if there is one; else the most common tool among the strongest votes.

    Strength goes first: Fusion 360 still writes "EAGLE" in every Gerber header, but its job file
    and attributes name Fusion.
    """
    if job_generator:
        return _normalise(job_generator)
    cast = [v for v in votes if v is not None]
    if not cast:
        return None
    strongest = max(v.weight for v in cast)
    score = Counter(_normalise(v.tool) for v in cast if v.weight == strongest)
    return score.most_common(1)[0][0]


def _normalise(tool: str) -> str:
    for name, pattern in SIGNATURES:
        if pattern.search(tool):
            return name
    return tool
