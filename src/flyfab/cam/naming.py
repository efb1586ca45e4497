"""Identification by file name, using the CAD tools' naming conventions in `naming_rules`.

Names are ambiguous on their own (`.top` is copper in OrCAD, `.txt` is a drill file in Altium and a
README anywhere), so the upload is judged as a whole: every tool's rules are tried on every file,
a tool earns points for the files only its conventions explain, and each file takes the reading of
the best-scoring tool that has a rule for it. The tool the headers name (the generator) gets a head
start, because a tool's own output follows its own conventions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from flyfab.cam.model import Evidence, Role, Source
from flyfab.cam.naming_rules import RULES, NameRule


@dataclass(frozen=True)
class NameHit:
    rule: NameRule
    number: int | None  # the layer number the name carries, if any

    @property
    def ignore(self) -> bool:
        return self.rule.type == "ignore"

    def role(self) -> Role:
        r = self.rule
        index = None
        if r.type == "copper":
            if r.side == "top":
                index = 1
            elif self.number is not None and r.number_kind == "stack":
                index = self.number
            elif self.number is not None and r.number_kind == "inner":
                index = self.number + 1
        return Role(r.type, r.side, index, r.plating)  # type: ignore[arg-type]

    def evidence(self) -> Evidence:
        note = f" ({self.rule.note})" if self.rule.note else ""
        return Evidence(Source.NAMING, f"name matches {self.rule.pattern!r}{note}", self.rule.tool)


@cache
def _compiled() -> tuple[tuple[NameRule, re.Pattern[str]], ...]:
    return tuple((r, re.compile(r.pattern, re.IGNORECASE)) for r in RULES)


def matches(path: str) -> dict[str, NameHit]:
    """The first matching rule of every tool for one file name."""
    name = PurePosixPath(path).name
    found: dict[str, NameHit] = {}
    for rule, pattern in _compiled():
        if rule.tool in found:
            continue
        m = pattern.fullmatch(name)
        if m is None:
            continue
        number = None
        if rule.number_group is not None:
            try:
                number = int(m.group(rule.number_group))
            except (IndexError, TypeError, ValueError):
                number = None
        found[rule.tool] = NameHit(rule, number)
    return found


_ALIASES = {"mentorgraphicsxpedition": "siemens", "fusion360": "fusion360eagle", "gedapcb": "geda"}


def _same_family(tool: str, generator: str | None) -> bool:
    if not generator:
        return False
    a = re.sub(r"[^a-z0-9]", "", tool.lower())
    b = re.sub(r"[^a-z0-9]", "", generator.lower())
    b = _ALIASES.get(b, b)
    return bool(a and b) and (a in b or b in a or ("allegro" in a and "allegro" in b))


def by_name(paths: list[str], generator: str | None = None) -> dict[str, NameHit]:
    """The naming-convention reading of every file that any convention explains."""
    per_file = {p: matches(p) for p in paths}
    score: dict[str, float] = defaultdict(float)
    for hits in per_file.values():
        for tool, hit in hits.items():
            if hit.rule.tool == "generic":
                continue
            score[tool] += 1.0 if hit.rule.specificity else 0.25
    for tool in list(score):
        if _same_family(tool, generator):
            score[tool] += 100.0
    out: dict[str, NameHit] = {}
    for path, hits in per_file.items():
        if not hits:
            continue
        ranked = sorted(
            hits.values(),
            key=lambda h: (h.rule.tool != "generic", h.rule.specificity, score.get(h.rule.tool, 0.0)),
            reverse=True,
        )
        # The best tool's specific rule wins; a generic rule only when no tool-specific rule applies.
        best_specific = [h for h in ranked if h.rule.tool != "generic" and h.rule.specificity]
        if best_specific:
            out[path] = max(best_specific, key=lambda h: score.get(h.rule.tool, 0.0))
        else:
            out[path] = max(ranked, key=lambda h: (score.get(h.rule.tool, 0.0), h.rule.tool != "generic"))
    return out
