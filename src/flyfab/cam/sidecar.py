"""What reports beside the fabrication files say about them.

CAD tools often write a text report next to their output that lists each file with a description:
TARGET 3001!'s `.Info` ("board.Drill = Galvanised drills"), Altium's extension report (`.EXTREP`:
".GM14   ASM BOT"), readmes of fab-house exports. A line that names one of the upload's files (by
its name, or by an extension only one file has) gives that file a description, which is evidence
of the same kind as a layer name written inside the file.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_LINE = re.compile(
    r"^\s*(?P<name>[*]?[\w .\-()\[\]]*?\.?[A-Za-z][\w-]{0,12})\s*(?:=|:|\t|\s{2,})\s*(?P<desc>.+?)\s*$"
)
_PLATED = re.compile(r"galvani[sz]ed|through.?plated|(?<!non.)(?<!non)(?<!un)plated|\bpth\b", re.I)
_NONPLATED = re.compile(r"non.?plated|unplated|not plated|\bnpth\b", re.I)


def _squash(name: str) -> str:
    return re.sub(r"[\s_]", "", name).lower()


def descriptions(reports: dict[str, str], fab_paths: list[str]) -> dict[str, tuple[str, str]]:
    """{fab path: (description, report path)} for every fab file a report describes."""
    by_name = {_squash(PurePosixPath(p).name): p for p in fab_paths}
    by_ext: dict[str, list[str]] = {}
    for p in fab_paths:
        suffix = PurePosixPath(p).suffix.lower()
        if suffix:
            by_ext.setdefault(suffix, []).append(p)
    found: dict[str, tuple[str, str]] = {}
    for report, text in reports.items():
        for line in text.splitlines()[:2000]:
            m = _LINE.match(line)
            if not m:
                continue
            name, desc = m.group("name").strip(), m.group("desc")
            # "16 = Copper top L1 ( *.Top )": drop layer numbers and the repeated pattern.
            desc = re.sub(r"^\d+\s*=\s*", "", desc)
            desc = re.sub(r"\(\s*\*\.[\w]+\s*\)", "", desc).strip()
            if not desc or len(desc) > 80:
                continue
            target = by_name.get(_squash(name))
            if target is None:
                ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else None
                if (
                    ext
                    and len(by_ext.get(ext, [])) == 1
                    and (name.startswith(("*", ".")) or _squash(name).endswith(_squash(ext)))
                ):
                    target = by_ext[ext][0]
            if target is not None and target not in found:
                found[target] = (desc, report)
    return found


def plating_in(description: str) -> str | None:
    if _NONPLATED.search(description):
        return "non-plated"
    if _PLATED.search(description):
        return "plated"
    return None
