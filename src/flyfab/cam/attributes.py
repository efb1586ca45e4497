"""What a file says about itself in its own text: Gerber X2 attributes and the headers CAD tools write.

Read with regular expressions over the text (no full parse), so that identification can start
before the expensive geometry. Covered:
- X2 file attributes `%TF.FileFunction,...*%`, also in the comment form `G04 #@! TF....*` that KiCad
  4 and 5 wrote, and in Excellon comments `; #@! TF.FileFunction,...`;
- image and layer names: `%IN...*%`, `%LN...*%`, `G04 Layer: ...`, `G04 Title: board, layer`,
  Allegro's `G04 Film Name:` and its `G04 Layer: CLASS/SUBCLASS` list, Altium's
  `G04 Layer_Physical_Order=N`;
- drill plating stated in comments: `;TYPE=PLATED`, `; Contents: Thru / Drill / Plated`, Allegro tool
  lines with PLATED/NON_PLATED, KiCad `TA.AperFunction,Plated|NonPlated`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flyfab.cam.model import Plating

_X2_FILE = re.compile(r"(?:%TF|G04\s+#@!\s+%?TF|;\s*#@!\s*TF)\.(\w+),?([^*%\r\n]*)")
_IN = re.compile(r"%IN([^*%]*)\*")
_LN = re.compile(r"%LN([^*%]*)\*")
_G04_LAYER = re.compile(r"G04\s+Layer\s*:\s*([^*]+?)\s*\*")
_G04_TITLE = re.compile(r"G04\s+Title\s*:\s*([^*]+?)\s*\*")
_FILM = re.compile(r"G04\s+Film Name\s*:\s*([^*]+?)\s*\*")
_ORDER = re.compile(r"G04\s+Layer_Physical_Order\s*=\s*(\d+)")
_EXC_LAYER = re.compile(r"^\s*;\s*Layer\s*:\s*(.+?)\s*$", re.M)
_EXC_TYPE = re.compile(r"^\s*;\s*TYPE\s*=\s*(PLATED|NON_PLATED)", re.M | re.I)
_EXC_CONTENTS = re.compile(r"^\s*;\s*Contents\s*:\s*(.+?)\s*$", re.M | re.I)
_EXC_TOOL_PLATING = re.compile(r"^\s*;\s*T(\d+)\b[^\n]*?\b(NON[_ -]?PLATED|PLATED)\b", re.M | re.I)
_EXC_APERFUNCTION = re.compile(r"#@!\s*TA\.AperFunction,\s*(Plated|NonPlated)", re.I)
_G04 = re.compile(r"G04\s*([^*]*)\*")
_EXC_COMMENT = re.compile(r"^\s*;\s*(.+?)\s*$", re.M)


@dataclass
class Header:
    file_function: tuple[str, ...] | None = None  # X2 FileFunction fields, e.g. ("Copper", "L1", "Top")
    file_polarity: str | None = None
    generation_software: str | None = None
    part: str | None = None
    names: list[str] = field(default_factory=list)  # layer or image names the file gives itself
    allegro_layers: list[str] = field(default_factory=list)  # "ETCH/TOP", "PIN/SOLDERMASK_TOP", ...
    physical_order: int | None = None
    plating: Plating | None = None
    plated_tools: dict[int, bool] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)  # the first comments, for tool signatures


def _x2(header: Header, text: str) -> None:
    for name, value in _X2_FILE.findall(text[:200_000]):
        fields = tuple(v.strip() for v in value.split(",")) if value else ()
        if name == "FileFunction" and header.file_function is None:
            header.file_function = fields
        elif name == "FilePolarity" and header.file_polarity is None and fields:
            header.file_polarity = fields[0]
        elif name == "GenerationSoftware" and header.generation_software is None:
            header.generation_software = " ".join(f for f in fields if f)
        elif name == "Part" and header.part is None and fields:
            header.part = fields[0]


def _clean(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip()


def read_gerber_header(text: str) -> Header:
    head = text[:200_000]
    header = Header()
    _x2(header, head)
    for pattern in (_IN, _LN, _G04_TITLE, _FILM):
        for m in pattern.findall(head):
            name = _clean(m)
            if pattern is _G04_TITLE and "," in name:
                name = _clean(name.split(",", 1)[1])  # "board, layer" -> "layer"
            if name and name not in header.names:
                header.names.append(name)
    for m in _G04_LAYER.findall(head):
        name = _clean(m)
        if "/" in name and name.upper() == name:
            header.allegro_layers.append(name)
        elif name and name not in header.names:
            header.names.append(name)
    if m := _ORDER.search(head):
        header.physical_order = int(m.group(1))
    header.comments = [_clean(c) for c in _G04.findall(head[:20_000])][:40]
    return header


_EXC_TOOL_DEF = re.compile(r"^\s*T(\d+)\S*C[\d.]+", re.I)


def _typed_tools(head: str) -> set[str]:
    """The ;TYPE= sections (Altium, EasyEDA) that actually define tools: an empty NON_PLATED section
    after the plated tools does not make a file mixed."""
    current: str | None = None
    used: set[str] = set()
    for line in head.splitlines():
        m = _EXC_TYPE.match(line)
        if m:
            current = m.group(1).upper().replace(" ", "_")
        elif current and _EXC_TOOL_DEF.match(line):
            used.add(current)
        elif line.strip() == "%" or line.strip().upper().startswith("M95"):
            break
    return used


def read_excellon_header(text: str) -> Header:
    head = text[:200_000]
    header = Header()
    _x2(header, head)
    header.names = [_clean(m) for m in _EXC_LAYER.findall(head)]
    types = _typed_tools(head)
    contents = " ".join(_EXC_CONTENTS.findall(head)).lower()
    for tool, plating in _EXC_TOOL_PLATING.findall(head):
        header.plated_tools[int(tool)] = not plating.upper().startswith("NON")
    functions = {f.lower() for f in _EXC_APERFUNCTION.findall(head)}
    plated: set[bool] = set()
    if types:
        plated |= {t == "PLATED" for t in types}
    if contents:
        if "non-plated" in contents or "nonplated" in contents or "non plated" in contents:
            plated.add(False)
        elif "plated" in contents:
            plated.add(True)
    plated |= set(header.plated_tools.values())
    if functions:
        plated |= {f == "plated" for f in functions}
    if header.file_function:
        kind = header.file_function[0].lower()
        if kind == "plated":
            plated.add(True)
        elif kind == "nonplated":
            plated.add(False)
    if plated == {True}:
        header.plating = "plated"
    elif plated == {False}:
        header.plating = "non-plated"
    elif plated:
        header.plating = "mixed"
    header.comments = [_clean(c) for c in _EXC_COMMENT.findall(head[:20_000])][:40]
    return header
